/*
 * hh_adversary.c - a misbehaving party, for the witness tests. It uses the
 * real library and the node's storage interfaces (storage/store.h,
 * storage/witness_db.h) on a node directory, the way a party that controls
 * its own node (and its keys) could, whatever backend holds its log:
 *
 *   hh_adversary fork SRC DST --keep N
 *       Makes DST a copy of node directory SRC whose log holds only SRC's
 *       first N entries. The configuration, keys and other plain files are
 *       copied (databases, their -wal/-shm/-journal side files and the
 *       mirrors/ and evidence/ folders are not); DST's log is then created
 *       through the store interface and SRC's entries 0..N-1 are appended to
 *       it in batches, with their subtree hashes computed as the sequencer
 *       does, followed by every checkpoint SRC signed for a size <= N. DST
 *       gets a new, empty witness state: no cosignatures, no evidence, no
 *       witnessed logs. SRC is only read (it may be running). Served and
 *       given other statements, DST then signs a different tree for sizes
 *       SRC already signed (a split view, or a rewritten history when SRC's
 *       witnesses had seen more than N).
 *
 *   hh_adversary sign-unauthorised DIR [--payload FILE]
 *       Appends to DIR's log (the node must be stopped) one statement signed
 *       by a fresh key that is not one of the party's signers, through the
 *       sequencer directly, bypassing the server's signer check, and signs a
 *       checkpoint that includes it. Prints "index I", "id HEX" and the
 *       intruder's verifier key.
 *
 * Exit 0 done, 2 usage or any failure (a failed fork leaves DST as far as
 * it got). Test tooling only: never installed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <henhouse/client/files.h>
#include <henhouse/henhouse.h>

#include "config.h"
#include "log/sequencer.h"
#include "log/tree_batch.h"
#include "node_impl.h"
#include "storage/store.h"
#include "storage/witness_db.h"

#define PATH_CAP       4096
#define URI_CAP        (HH_CONFIG_PATH_MAX * 2 + 16)
#define STATEMENT_TYPE "application/vnd.henhouse.statement+json"
#define PAYLOAD_MAX    (60 * 1024)
#define FORK_BATCH     1024 /* entries read and appended at once (<= HH_STORE_MAX_BATCH) */

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

/* ---- fork: copying the node directory's plain files ---- */

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

/*
 * What the fork does not copy as a file: any database and its side files
 * (the log is rebuilt through the store, the witness state starts empty),
 * and at the top of the node directory the mirrors and evidence, which
 * belong to the witness state it does not keep.
 */
static bool skipped(const char *name, bool top)
{
    static const char *const suffixes[] = {".db", "-wal", "-shm", "-journal"};

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (ends_with(name, suffixes[i]))
            return true;
    return top && (strcmp(name, "mirrors") == 0 || strcmp(name, "evidence") == 0);
}

static hh_status copy_tree(const char *src, const char *dst, bool top, struct hh_error *err);

/* Copies one directory entry: a folder recursively, a regular file with its mode. */
static hh_status copy_entry(const char *src, const char *dst, const char *name, bool top,
                            struct hh_error *err)
{
    char from[PATH_CAP], to[PATH_CAP];
    struct stat st;
    hh_status rc = join(from, src, name, err);

    if (rc == HH_OK)
        rc = join(to, dst, name, err);
    if (rc != HH_OK || skipped(name, top))
        return rc;
    if (lstat(from, &st) != 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", from, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return copy_tree(from, to, false, err);
    if (!S_ISREG(st.st_mode))
        return HH_OK;
    return copy_file(from, to, st.st_mode, err);
}

/* Creates dst (it must not exist) and copies src's plain files into it. */
static hh_status copy_tree(const char *src, const char *dst, bool top, struct hh_error *err)
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
            rc = copy_entry(src, dst, e->d_name, top, err);
    closedir(d);
    return rc;
}

/* ---- fork: re-appending the entries ---- */

/* One batch of entries read from SRC: copies owned here, ids computed after the read. */
struct batch {
    struct hh_store_entry entries[FORK_BATCH];
    size_t n;
    bool nomem;
};

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free((void *)b->entries[i].data);
    b->n = 0;
    b->nomem = false;
}

/* hh_store_read_entries callback: copies the entry only (it must not use the store). */
static int collect_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct batch *b = ctx;
    uint8_t *copy = malloc(len > 0 ? len : 1);

    (void)index;
    if (copy == NULL || b->n == FORK_BATCH) {
        free(copy);
        b->nomem = true;
        return 1;
    }
    memcpy(copy, data, len);
    b->entries[b->n].data = copy;
    b->entries[b->n].len = len;
    b->n++;
    return 0;
}

/* The statement id of a logged entry: SHA-256 of its envelope's PAE. */
static hh_status entry_id(uint64_t index, const struct hh_store_entry *e, struct hh_hash *id,
                          struct hh_error *err)
{
    struct hh_dsse *env = NULL;
    hh_status rc = hh_dsse_parse((const char *)e->data, e->len, &env, err);

    if (rc == HH_OK)
        rc = hh_dsse_id(env, id);
    hh_dsse_free(env);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "entry %llu", (unsigned long long)index);
    return HH_OK;
}

/* Reads SRC's entries start..start+n-1 into b, with their statement ids. */
static hh_status read_batch(struct hh_store *src, uint64_t start, size_t n, struct batch *b,
                            struct hh_error *err)
{
    hh_status rc = hh_store_read_entries(src, start, n, collect_entry, b, err);

    if (rc == HH_OK && (b->nomem || b->n != n))
        rc = hh_error_set(err, HH_ERR_NOMEM, "reading entries %llu..+%zu: got %zu",
                          (unsigned long long)start, n, b->n);
    for (size_t i = 0; rc == HH_OK && i < b->n; i++)
        rc = entry_id(start + i, &b->entries[i], &b->entries[i].id, err);
    return rc;
}

/* Appends entries as old_size.. with the subtree hashes they complete, as the sequencer does. */
static hh_status append_batch(struct hh_store *dst, uint64_t old_size,
                              const struct hh_store_entry *entries, size_t n, struct hh_error *err)
{
    struct hh_tree_batch *b = NULL;
    const struct hh_subtree_id *ids = NULL;
    const struct hh_hash *hashes = NULL;
    size_t nnodes = 0;
    hh_status rc = hh_tree_batch_new(dst, old_size, old_size + n, &b, err);

    for (size_t i = 0; rc == HH_OK && i < n; i++) {
        struct hh_hash leaf;
        hh_merkle_leaf_hash(entries[i].data, entries[i].len, &leaf);
        rc = hh_tree_batch_add(b, &leaf, err);
    }
    if (rc == HH_OK) {
        hh_tree_batch_nodes(b, &ids, &hashes, &nnodes);
        rc = hh_store_append(dst, old_size, entries, n, ids, hashes, nnodes, err);
    }
    hh_tree_batch_free(b);
    return rc;
}

/* Appends SRC's entries 0..keep-1 to the empty DST, FORK_BATCH at a time. */
static hh_status copy_entries(struct hh_store *src, struct hh_store *dst, uint64_t keep,
                              struct hh_error *err)
{
    struct batch *b = calloc(1, sizeof(*b));
    hh_status rc = HH_OK;

    if (b == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    for (uint64_t at = 0; rc == HH_OK && at < keep;) {
        size_t n = keep - at < FORK_BATCH ? (size_t)(keep - at) : FORK_BATCH;
        rc = read_batch(src, at, n, b, err);
        if (rc == HH_OK)
            rc = append_batch(dst, at, b->entries, n, err);
        batch_clear(b);
        at += n;
    }
    free(b);
    return rc;
}

/* ---- fork: copying the checkpoints ---- */

/* SRC's checkpoints of size <= keep, copied out of hh_store_each_checkpoint. */
struct checkpoints {
    uint64_t keep;
    struct hh_store_checkpoint *v; /* notes malloc'd */
    size_t n, cap;
    bool nomem;
};

static void checkpoints_clear(struct checkpoints *l)
{
    for (size_t i = 0; i < l->n; i++)
        hh_store_checkpoint_clear(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* hh_store_each_checkpoint callback (sizes ascending): copies, stops past keep. */
static int collect_checkpoint(void *ctx, const struct hh_store_checkpoint *c)
{
    struct checkpoints *l = ctx;
    struct hh_store_checkpoint *slot;

    if (c->size > l->keep)
        return 1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        slot = realloc(l->v, cap * sizeof(*slot));
        if (slot == NULL)
            goto nomem;
        l->v = slot;
        l->cap = cap;
    }
    slot = &l->v[l->n];
    *slot = *c;
    slot->note = malloc(c->note_len + 1);
    if (slot->note == NULL)
        goto nomem;
    memcpy(slot->note, c->note, c->note_len);
    slot->note[c->note_len] = '\0';
    l->n++;
    return 0;
nomem:
    l->nomem = true;
    return 1;
}

/* Stores in DST every checkpoint SRC signed for a size <= keep, in size order. */
static hh_status copy_checkpoints(struct hh_store *src, struct hh_store *dst, uint64_t keep,
                                  struct hh_error *err)
{
    struct checkpoints l = {.keep = keep};
    hh_status rc = hh_store_each_checkpoint(src, collect_checkpoint, &l, err);

    if (rc == HH_OK && l.nomem)
        rc = hh_error_set(err, HH_ERR_NOMEM, "out of memory copying checkpoints");
    for (size_t i = 0; rc == HH_OK && i < l.n; i++)
        rc = hh_store_put_checkpoint(dst, l.v[i].size, &l.v[i].root, l.v[i].note, l.v[i].note_len,
                                     err);
    checkpoints_clear(&l);
    return rc;
}

/* ---- fork ---- */

/* The storage URIs of the log of node directories src and dst; they must differ. */
static hh_status log_uris(const struct hh_config *cfg, const char *src, const char *dst,
                          char *src_uri, char *dst_uri, struct hh_error *err)
{
    hh_status rc = hh_config_storage_uri(src, cfg->database, src_uri, URI_CAP, err);

    if (rc == HH_OK)
        rc = hh_config_storage_uri(dst, cfg->database, dst_uri, URI_CAP, err);
    if (rc == HH_OK && strcmp(src_uri, dst_uri) == 0)
        rc = hh_error_set(err, HH_ERR_INVALID,
                          "database '%s' is not inside the node directory: a fork needs its own",
                          cfg->database);
    return rc;
}

/* Opens SRC's log and checks it holds at least keep entries; *size is how many it holds. */
static hh_status open_source(const char *uri, uint64_t keep, struct hh_store **src, uint64_t *size,
                             struct hh_error *err)
{
    hh_status rc = hh_store_open(uri, src, err);

    *size = 0;
    if (rc == HH_OK)
        rc = hh_store_size(*src, size, err);
    if (rc == HH_OK && *size < keep)
        rc = hh_error_set(err, HH_ERR_INVALID, "the log has %llu entries, fewer than --keep %llu",
                          (unsigned long long)*size, (unsigned long long)keep);
    return rc;
}

/* Creates DST's log (it must come out empty) and fills it from SRC up to keep. */
static hh_status build_log(struct hh_store *src, const char *uri, uint64_t keep,
                           struct hh_error *err)
{
    struct hh_store *dst = NULL;
    uint64_t size = 0;
    hh_status rc = hh_store_open(uri, &dst, err);

    if (rc == HH_OK)
        rc = hh_store_size(dst, &size, err);
    if (rc == HH_OK && size != 0)
        rc = hh_error_set(err, HH_ERR_CONFLICT, "the new log already holds %llu entries",
                          (unsigned long long)size);
    if (rc == HH_OK)
        rc = copy_entries(src, dst, keep, err);
    if (rc == HH_OK)
        rc = copy_checkpoints(src, dst, keep, err);
    hh_store_close(dst);
    return rc;
}

/* Creates DST's witness state, empty: what SRC cosigned or gathered stays with SRC. */
static hh_status new_witness_state(const char *dir, struct hh_error *err)
{
    char uri[URI_CAP];
    struct hh_wdb *w = NULL;
    hh_status rc = hh_config_storage_uri(dir, "witness.db", uri, sizeof(uri), err);

    if (rc == HH_OK)
        rc = hh_wdb_open(uri, &w, err);
    hh_wdb_close(w);
    return rc;
}

/* Forks SRC into DST at keep; *dropped is how many of SRC's entries DST lacks. */
static int fork_dir(const char *src_dir, const char *dst_dir, uint64_t keep, uint64_t *dropped)
{
    struct hh_error err = {0};
    struct hh_config cfg;
    struct hh_store *src = NULL;
    char src_uri[URI_CAP], dst_uri[URI_CAP];
    uint64_t size = 0;
    int code = 2;

    if (hh_config_load(src_dir, &cfg, &err) != HH_OK ||
        log_uris(&cfg, src_dir, dst_dir, src_uri, dst_uri, &err) != HH_OK)
        code = fail(src_dir, &err);
    else if (open_source(src_uri, keep, &src, &size, &err) != HH_OK)
        code = fail("reading the log", &err);
    else if (copy_tree(src_dir, dst_dir, true, &err) != HH_OK)
        code = fail("copying", &err);
    else if (build_log(src, dst_uri, keep, &err) != HH_OK)
        code = fail("building the forked log", &err);
    else if (new_witness_state(dst_dir, &err) != HH_OK)
        code = fail("creating the witness state", &err);
    else
        code = 0;
    hh_store_close(src);
    if (code == 0)
        *dropped = size - keep;
    return code;
}

static int cmd_fork(int argc, char **argv)
{
    struct hh_error err = {0};
    uint64_t keep = 0, dropped = 0;

    if (argc != 5 || strcmp(argv[3], "--keep") != 0 ||
        hh_parse_u64(argv[4], strlen(argv[4]), &keep, &err) != HH_OK) {
        fputs(usage, stderr);
        return 2;
    }
    if (fork_dir(argv[1], argv[2], keep, &dropped) != 0)
        return 2;
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
        rc = hh_sequencer_submit(hh_node_sequencer(n), id, (const uint8_t *)entry, len, true,
                                 on_sequenced, &w, err);
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
                   : default_payload(hh_node_config(n), &payload, &payload_len, &err)) != HH_OK ||
        intruder_envelope(hh_node_config(n), payload, payload_len, &entry, &entry_len, &id, &err) !=
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
