/*
 * hh_adversary.c - a misbehaving party, for the witness tests. It uses the
 * real library and store on a node directory, the way a party that controls
 * its own node (and its keys) could:
 *
 *   hh_adversary fork SRC DST --keep N
 *       Copies node directory SRC to DST (databases through SQLite's backup
 *       API, so SRC may be running) and cuts DST's log back to its first N
 *       entries: entries from N on, tree nodes not complete in a tree of
 *       size N, checkpoints larger than N and cosignatures gathered for them
 *       are deleted. Served and given other statements, DST then signs a
 *       different tree for sizes SRC already signed (a split view, or a
 *       rewritten history when SRC's witnesses had seen more than N).
 *
 *   hh_adversary sign-unauthorised DIR [--payload FILE]
 *       Appends to DIR's log (the node must be stopped) one statement signed
 *       by a fresh key that is not one of the party's signers, through the
 *       sequencer directly, bypassing the server's signer check, and signs a
 *       checkpoint that includes it. Prints "index I", "id HEX" and the
 *       intruder's verifier key.
 *
 * Exit 0 done, 2 usage or any failure. Test tooling only: never installed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <henhouse/henhouse.h>

#include "config.h"
#include <henhouse/client/files.h>
#include "node_impl.h"
#include "log/sequencer.h"

#define PATH_CAP       4096
#define STATEMENT_TYPE "application/vnd.henhouse.statement+json"
#define PAYLOAD_MAX    (60 * 1024)

static const char usage[] = "usage: hh_adversary fork SRC DST --keep N\n"
                            "       hh_adversary sign-unauthorised DIR [--payload FILE]\n";

static int fail(const char *what, const struct hh_error *err)
{
    fprintf(stderr, "hh_adversary: %s: %s\n", what, err->msg[0] ? err->msg : "failed");
    return 2;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static hh_status join(char *out, const char *dir, const char *name, struct hh_error *err)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_CAP)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "path too long: %s/%s", dir, name);
    return HH_OK;
}

/* ---- fork: copying a node directory ---- */

/* Copies a live SQLite database with the backup API: a consistent snapshot. */
static hh_status copy_database(const char *src, const char *dst, struct hh_error *err)
{
    sqlite3 *from = NULL, *to = NULL;
    sqlite3_backup *b;
    hh_status rc = HH_OK;

    if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = hh_error_set(err, HH_ERR_IO, "opening %s or %s", src, dst);
        goto out;
    }
    sqlite3_busy_timeout(from, 10000);
    b = sqlite3_backup_init(to, "main", from, "main");
    if (b == NULL) {
        rc = hh_error_set(err, HH_ERR_IO, "backup of %s: %s", src, sqlite3_errmsg(to));
        goto out;
    }
    int step;
    while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
        sqlite3_sleep(20);
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE)
        rc = hh_error_set(err, HH_ERR_IO, "backup of %s: %s", src, sqlite3_errstr(step));
    else if (sqlite3_exec(to, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", dst, sqlite3_errmsg(to));
out:
    sqlite3_close(from);
    sqlite3_close(to);
    return rc;
}

static hh_status copy_file(const char *src, const char *dst, mode_t mode, struct hh_error *err)
{
    char buf[65536];
    int in = open(src, O_RDONLY), out = -1;
    hh_status rc = HH_OK;
    ssize_t n;

    if (in < 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL, mode & 0777);
    if (out < 0) {
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", dst, strerror(errno));
        goto out;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            rc = hh_error_set(err, HH_ERR_IO, "%s: %s", dst, strerror(errno));
            goto out;
        }
    }
    if (n < 0)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", src, strerror(errno));
out:
    close(in);
    if (out >= 0)
        close(out);
    return rc;
}

static hh_status copy_tree(const char *src, const char *dst, struct hh_error *err);

/* Copies one directory entry: a database by backup, its WAL side files not at all. */
static hh_status copy_entry(const char *src, const char *dst, const char *name,
                            struct hh_error *err)
{
    char from[PATH_CAP], to[PATH_CAP];
    struct stat st;
    hh_status rc = join(from, src, name, err);

    if (rc == HH_OK)
        rc = join(to, dst, name, err);
    if (rc != HH_OK)
        return rc;
    if (ends_with(name, "-wal") || ends_with(name, "-shm") || ends_with(name, "-journal"))
        return HH_OK;
    if (lstat(from, &st) != 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", from, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return copy_tree(from, to, err);
    if (!S_ISREG(st.st_mode))
        return HH_OK;
    if (ends_with(name, ".db"))
        return copy_database(from, to, err);
    return copy_file(from, to, st.st_mode, err);
}

static hh_status copy_tree(const char *src, const char *dst, struct hh_error *err)
{
    struct stat st;
    struct dirent *e;
    hh_status rc = HH_OK;
    DIR *d;

    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
        return hh_error_set(err, HH_ERR_IO, "%s is not a directory", src);
    if (mkdir(dst, st.st_mode & 0777) != 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", dst, strerror(errno));
    d = opendir(src);
    if (d == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", src, strerror(errno));
    while (rc == HH_OK && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = copy_entry(src, dst, e->d_name, err);
    closedir(d);
    return rc;
}

/* ---- fork: cutting the copied log back ---- */

static hh_status exec_sql(sqlite3 *db, const char *sql, struct hh_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return HH_OK;
    hh_error_set(err, HH_ERR_IO, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return HH_ERR_IO;
}

static hh_status query_u64(sqlite3 *db, const char *sql, uint64_t *out, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc = HH_OK;

    *out = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* Runs the printf-formatted statement sql with keep substituted. */
static hh_status exec_keep(sqlite3 *db, const char *fmt, uint64_t keep, struct hh_error *err)
{
    char sql[512];
    int n = snprintf(sql, sizeof(sql), fmt, (long long)keep);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return hh_error_set(err, HH_ERR_INTERNAL, "statement too long");
    return exec_sql(db, sql, err);
}

/* Deletes everything of the log in db beyond its first keep entries, in one transaction. */
static hh_status truncate_log(const char *path, uint64_t keep, uint64_t *dropped,
                              struct hh_error *err)
{
    sqlite3 *db = NULL;
    uint64_t size = 0;
    hh_status rc = HH_OK;

    *dropped = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    rc = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (rc == HH_OK)
        rc = query_u64(db, "SELECT COUNT(*) FROM entries", &size, err);
    if (rc == HH_OK && size < keep)
        rc = hh_error_set(err, HH_ERR_INVALID, "the log has %llu entries, fewer than --keep %llu",
                          (unsigned long long)size, (unsigned long long)keep);
    if (rc == HH_OK)
        rc = exec_keep(db, "DELETE FROM entries WHERE idx >= %lld", keep, err);
    if (rc == HH_OK)
        rc = exec_keep(db, "DELETE FROM nodes WHERE ((idx + 1) << level) > %lld", keep, err);
    if (rc == HH_OK)
        rc = exec_keep(db, "DELETE FROM checkpoints WHERE size > %lld", keep, err);
    if (rc == HH_OK)
        rc = exec_sql(db, "COMMIT", err);
    else
        (void)exec_sql(db, "ROLLBACK", NULL);
    if (rc == HH_OK)
        *dropped = size - keep;
out:
    sqlite3_close(db);
    return rc;
}

/* Drops the cosignatures gathered for sizes beyond keep (they sign the old tree). */
static hh_status trim_witness_db(const char *dir, uint64_t keep, struct hh_error *err)
{
    char path[PATH_CAP];
    sqlite3 *db = NULL;
    uint64_t has = 0;
    hh_status rc = join(path, dir, "witness.db", err);

    if (rc != HH_OK || access(path, F_OK) != 0)
        return rc;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    rc = query_u64(db,
                   "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                   " AND name = 'cosignatures'",
                   &has, err);
    if (rc == HH_OK && has)
        rc = exec_keep(db, "DELETE FROM cosignatures WHERE size > %lld", keep, err);
out:
    sqlite3_close(db);
    return rc;
}

static int cmd_fork(int argc, char **argv)
{
    struct hh_error err = {0};
    struct hh_config cfg;
    char db[PATH_CAP];
    uint64_t keep = 0, dropped = 0;

    if (argc != 5 || strcmp(argv[3], "--keep") != 0 ||
        hh_parse_u64(argv[4], strlen(argv[4]), &keep, &err) != HH_OK) {
        fputs(usage, stderr);
        return 2;
    }
    if (hh_config_load(argv[1], &cfg, &err) != HH_OK)
        return fail(argv[1], &err);
    if (copy_tree(argv[1], argv[2], &err) != HH_OK)
        return fail("copying", &err);
    if (hh_config_path(argv[2], cfg.database, db, sizeof(db), &err) != HH_OK ||
        truncate_log(db, keep, &dropped, &err) != HH_OK)
        return fail("truncating the log", &err);
    if (trim_witness_db(argv[2], keep, &err) != HH_OK)
        return fail("trimming cosignatures", &err);
    printf("forked %s to %s at size %llu (%llu entries dropped)\n", argv[1], argv[2],
           (unsigned long long)keep, (unsigned long long)dropped);
    return 0;
}

/* ---- sign-unauthorised ---- */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    struct hh_sequenced result;
};

static void on_sequenced(void *ctx, const struct hh_sequenced *res)
{
    struct waiter *w = ctx;

    pthread_mutex_lock(&w->mu);
    w->result = *res;
    w->result.checkpoint = NULL;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static hh_status default_payload(const struct hh_config *c, char **out, size_t *len,
                                 struct hh_error *err)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"kind\":\"notice\",\"from\":\"%s\",\"to\":[\"all\"],"
                     "\"subject\":\"not signed by any signer of %s\",\"body\":\"intruder\"}\n",
                     c->party, c->party);
    *out = NULL;
    *len = 0;
    if (n < 0 || (size_t)n >= sizeof(buf))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "party name too long");
    *out = strdup(buf);
    if (*out == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    *len = (size_t)n;
    return HH_OK;
}

/* Signs payload with a fresh key named "<origin>/intruder"; prints its verifier key. */
static hh_status intruder_envelope(const struct hh_config *c, const char *payload, size_t len,
                                   char **entry, size_t *entry_len, struct hh_hash *id,
                                   struct hh_error *err)
{
    char name[HH_KEY_NAME_MAX + 1], vtext[HH_KEY_TEXT_MAX];
    struct hh_signer *key = NULL;
    struct hh_dsse *env = NULL;
    struct hh_verifier v;
    hh_status rc;

    snprintf(name, sizeof(name), "%.200s/intruder", c->origin);
    rc = hh_signer_generate(name, HH_KEY_ED25519, &key, err);
    if (rc == HH_OK)
        rc = hh_dsse_sign(STATEMENT_TYPE, (const uint8_t *)payload, len, &key, 1, &env, err);
    if (rc == HH_OK)
        rc = hh_dsse_id(env, id);
    if (rc == HH_OK)
        rc = hh_dsse_format(env, entry, entry_len, err);
    if (rc == HH_OK) {
        hh_signer_verifier(key, &v);
        if (hh_verifier_format(&v, vtext, sizeof(vtext)) == HH_OK)
            printf("intruder %s\n", vtext);
    }
    hh_dsse_free(env);
    hh_signer_free(key);
    return rc;
}

/* Queues entry on a fresh sequencer over n's store and waits for its checkpoint. */
static hh_status append_entry(struct hh_node *n, const struct hh_hash *id, const char *entry,
                              size_t len, uint64_t *index, struct hh_error *err)
{
    struct waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    hh_status rc = hh_node_start_sequencer(n, err);

    if (rc == HH_OK)
        rc = hh_sequencer_submit(n->sequencer, id, (const uint8_t *)entry, len, true, on_sequenced,
                                 &w, err);
    if (rc != HH_OK)
        return rc;
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    if (w.result.rc != HH_OK)
        return hh_error_set(err, w.result.rc, "the sequencer refused the entry");
    if (w.result.duplicate)
        return hh_error_set(err, HH_ERR_CONFLICT, "the entry was already logged");
    *index = w.result.index;
    return HH_OK;
}

static int cmd_sign_unauthorised(int argc, char **argv)
{
    struct hh_error err = {0};
    struct hh_node *n = NULL;
    struct hh_hash id;
    char *payload = NULL, *entry = NULL, hex[2 * HH_HASH_LEN + 1];
    size_t payload_len = 0, entry_len = 0;
    uint64_t index = 0;
    int code = 2;

    if (!(argc == 2 || (argc == 4 && strcmp(argv[2], "--payload") == 0))) {
        fputs(usage, stderr);
        return 2;
    }
    if (hh_node_open(argv[1], &n, &err) != HH_OK) {
        code = fail(argv[1], &err);
        goto out;
    }
    if ((argc == 4 ? hh_read_file(argv[3], PAYLOAD_MAX, &payload, &payload_len, &err)
                   : default_payload(&n->config, &payload, &payload_len, &err)) != HH_OK ||
        intruder_envelope(&n->config, payload, payload_len, &entry, &entry_len, &id, &err) !=
            HH_OK) {
        code = fail("signing", &err);
        goto out;
    }
    if (append_entry(n, &id, entry, entry_len, &index, &err) != HH_OK) {
        code = fail("appending", &err);
        goto out;
    }
    hh_hash_to_hex(&id, hex);
    printf("index %llu\nid %s\n", (unsigned long long)index, hex);
    code = 0;
out:
    hh_node_close(n); /* stops the sequencer after it signed the checkpoint */
    free(payload);
    free(entry);
    return code;
}

int main(int argc, char **argv)
{
    if (hh_init() != HH_OK)
        return 2;
    if (argc >= 2 && strcmp(argv[1], "fork") == 0)
        return cmd_fork(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "sign-unauthorised") == 0)
        return cmd_sign_unauthorised(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    fputs(usage, stderr);
    return 2;
}
