/*
 * test_store_sqlite.c - the store's SQLite backend, tested with SQLite's own
 * tools: the storage URIs that name a SQLite file, open errors of files and
 * directories, the file's format (WAL, page size, schema version) and
 * databases made by earlier henhouse versions, schema versions it refuses,
 * a disk that fills up (a file size limit), and a blob corrupted by SQL.
 *
 * The backend-neutral behaviour is in the conformance suite (test_store.c).
 * Every test works in its own scratch directory under /tmp and removes it.
 */
#include "harness.h"
#include "sqlite_test_util.h"

#include "storage/sqlite/sqlite_backends.h"
#include "test_store_util.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SQLITE_PREFIX "sqlite:"

/* A store on a fresh SQLite database (its URI is "sqlite:" then the file's path). */
static bool sq_open(struct ts_fixture *f)
{
    const struct tb_backend *b = tb_named("sqlite");

    return b != NULL && ts_open(f, b) && strncmp(f->uri, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) == 0;
}

static const char *sq_path(const struct ts_fixture *f)
{
    return f->uri + strlen(SQLITE_PREFIX);
}

static void sq_shut(struct ts_fixture *f)
{
    hh_store_close(f->s);
    f->s = NULL;
}

static bool write_garbage(const char *path)
{
    FILE *fp = fopen(path, "wb");

    if (fp == NULL)
        return false;
    for (int i = 0; i < 4096; i++)
        fputc('x', fp);
    return fclose(fp) == 0;
}

static bool size_is(const char *uri, uint64_t want)
{
    struct hh_store *s = NULL;
    uint64_t size = UINT64_MAX;
    bool ok = hh_store_open(uri, &s, NULL) == HH_OK && hh_store_size(s, &size, NULL) == HH_OK;

    hh_store_close(s);
    return ok && size == want;
}

/* ---- storage URIs ---- */

/* The same file through every spelling that names it, from inside its directory. */
static void check_relative_paths(const char *dir)
{
    char cwd[PATH_MAX];
    struct hh_store *s = NULL;
    struct hh_error err = {0};

    CHECK(getcwd(cwd, sizeof(cwd)) != NULL && chdir(dir) == 0);
    CHECK(size_is("store.db", 3)); /* a node's "database log.db" is a bare relative path */
    CHECK(size_is("sqlite:store.db", 3));
    CHECK(size_is("./store.db", 3));
    CHECK_OK(hh_store_open("./a:b.db", &s, &err)); /* ':' after a '/' is in the path */
    hh_store_close(s);
    CHECK_OK(hh_store_open("sqlite:a:c.db", &s, &err));
    hh_store_close(s);
    CHECK_ERR(hh_store_open("a:d.db", &s, &err), HH_ERR_INVALID); /* ':' first: a scheme */
    CHECK(s == NULL && strstr(err.msg, "unknown storage scheme \"a\"") != NULL);
    CHECK(access("a:d.db", F_OK) != 0);
    CHECK(access("a:b.db", F_OK) == 0 && access("a:c.db", F_OK) == 0);
    CHECK(chdir(cwd) == 0);
}

TEST(store_sqlite_open_uri_forms)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    char uri[TB_URI_MAX];

    CHECK(sq_open(&f));
    CHECK(ts_append_n(f.s, t, 3));
    sq_shut(&f);
    CHECK(size_is(f.uri, 3));
    CHECK(size_is(sq_path(&f), 3));                       /* a plain path is a SQLite file */
    snprintf(uri, sizeof(uri), "SQLite:%s", sq_path(&f)); /* schemes ignore case */
    CHECK(size_is(uri, 3));
    snprintf(uri, sizeof(uri), "%s/x:y.db", f.dir); /* ':' after the first '/' */
    CHECK(size_is(uri, 0));
    check_relative_paths(f.dir);
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_sqlite_open_errors)
{
    static int dummy;
    struct ts_fixture f;
    struct hh_store *s = (struct hh_store *)&dummy;
    struct hh_error err = {0};
    char path[192];

    CHECK_ERR(hh_store_open_sqlite(NULL, &s, &err), HH_ERR_INVALID);
    CHECK(s == NULL);
    s = (struct hh_store *)&dummy;
    CHECK_ERR(hh_store_open_sqlite("", &s, &err), HH_ERR_INVALID);
    CHECK(s == NULL && strstr(err.msg, "no path given") != NULL);
    CHECK_ERR(hh_store_open("/nonexistent-dir/x/store.db", &s, &err), HH_ERR_IO);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "/nonexistent-dir/x/store.db") != NULL);
    CHECK(sq_open(&f));
    snprintf(path, sizeof(path), "%s/garbage.db", f.dir);
    CHECK(write_garbage(path));
    CHECK_ERR(hh_store_open(path, &s, &err), HH_ERR_IO);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "not a database") != NULL);
    ts_close(&f);
}

/* ---- the file ---- */

TEST(store_sqlite_file_is_wal_with_16k_pages)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    char v[32];

    CHECK(sq_open(&f));
    CHECK(ts_append_n(f.s, t, 20));
    sq_shut(&f);
    CHECK(st_sql_value(sq_path(&f), "PRAGMA journal_mode", v, sizeof(v)) && strcmp(v, "wal") == 0);
    CHECK(st_sql_value(sq_path(&f), "PRAGMA page_size", v, sizeof(v)) && strcmp(v, "16384") == 0);
    CHECK(st_sql_value(sq_path(&f), "PRAGMA user_version", v, sizeof(v)) && strcmp(v, "1") == 0);
    CHECK(st_sql_value(sq_path(&f), "SELECT count(*) FROM entries", v, sizeof(v)) &&
          strcmp(v, "20") == 0);
    CHECK(st_sql_value(sq_path(&f), "SELECT count(*) FROM nodes WHERE level = 0", v, sizeof(v)) &&
          strcmp(v, "20") == 0);
    ts_close(&f);
    hh_memtree_free(t);
}

/* Schema version 1 as henhouse has always written it, with one entry, checkpoint and blob. */
static bool make_version_1(const char *path, const struct hh_hash *id, const struct hh_hash *leaf,
                           const struct hh_hash *blob)
{
    char sql[1024], a[2 * HH_HASH_LEN + 1], b[2 * HH_HASH_LEN + 1], c[2 * HH_HASH_LEN + 1];

    hh_hash_to_hex(id, a);
    hh_hash_to_hex(leaf, b);
    hh_hash_to_hex(blob, c);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE entries(idx INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
             " data BLOB NOT NULL);"
             "CREATE TABLE nodes(level INTEGER, idx INTEGER, hash BLOB NOT NULL,"
             " PRIMARY KEY(level, idx)) WITHOUT ROWID;"
             "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL,"
             " note BLOB NOT NULL, time INTEGER NOT NULL);"
             "CREATE TABLE blobs(hash BLOB PRIMARY KEY, data BLOB NOT NULL);"
             "INSERT INTO entries VALUES(0, x'%s', CAST('one' AS BLOB));"
             "INSERT INTO nodes VALUES(0, 0, x'%s');"
             "INSERT INTO checkpoints VALUES(1, x'%s', CAST('note 1' AS BLOB), 1700000000);"
             "INSERT INTO blobs VALUES(x'%s', CAST('hello' AS BLOB));"
             "PRAGMA user_version=1;",
             a, b, b, c);
    return st_sql_exec(path, sql);
}

/* Removes path's WAL and shared-memory files, if a close left any. */
static void remove_wal(const char *path)
{
    char p[TB_URI_MAX + 8];

    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static int record_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    int *ok = ctx;

    *ok = index == 0 && len == 3 && memcmp(data, "one", 3) == 0;
    return 0;
}

TEST(store_sqlite_opens_a_version_1_database)
{
    struct ts_fixture f;
    struct hh_hash id, leaf, blob, h;
    struct hh_subtree_id sub = {0, 0};
    struct hh_store_checkpoint cp;
    uint64_t size = 0, index = 9;
    uint8_t *data = NULL;
    size_t len = 0;
    int entry_ok = 0;

    hh_sha256("one", 3, &id);
    hh_merkle_leaf_hash("one", 3, &leaf);
    hh_sha256("hello", 5, &blob);
    CHECK(sq_open(&f));
    sq_shut(&f);
    CHECK(unlink(sq_path(&f)) == 0);
    remove_wal(sq_path(&f));
    CHECK(make_version_1(sq_path(&f), &id, &leaf, &blob));
    CHECK(ts_reopen(&f));
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 1);
    CHECK_OK(hh_store_read_entries(f.s, 0, 1, record_entry, &entry_ok, NULL));
    CHECK(entry_ok);
    CHECK_OK(hh_store_find_id(f.s, &id, &index, NULL));
    CHECK(index == 0);
    CHECK_OK(hh_store_read_hashes(f.s, &sub, 1, &h, NULL));
    CHECK(hh_hash_equal(&h, &leaf));
    CHECK_OK(hh_store_latest_checkpoint(f.s, &cp, NULL));
    CHECK(cp.size == 1 && cp.note_len == 6 && strcmp(cp.note, "note 1") == 0);
    CHECK(cp.time == 1700000000 && hh_hash_equal(&cp.root, &leaf));
    hh_store_checkpoint_clear(&cp);
    CHECK_OK(hh_store_get_blob(f.s, &blob, &data, &len, NULL));
    CHECK(len == 5 && data != NULL && memcmp(data, "hello", 5) == 0);
    free(data);
    ts_close(&f);
}

static bool set_user_version(const char *path, int v)
{
    char sql[64];

    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
    return st_sql_exec(path, sql);
}

TEST(store_sqlite_schema_too_new_refused)
{
    struct ts_fixture f;
    struct hh_error err = {0};
    struct hh_memtree *t = hh_memtree_new();

    CHECK(sq_open(&f));
    CHECK(ts_append_n(f.s, t, 3));
    sq_shut(&f);
    CHECK(set_user_version(sq_path(&f), 99));
    CHECK_ERR(hh_store_open(f.uri, &f.s, &err), HH_ERR_INVALID);
    CHECK(f.s == NULL);
    CHECK(strstr(err.msg, "schema version 99") != NULL);
    CHECK(set_user_version(sq_path(&f), -1));
    CHECK_ERR(hh_store_open(f.uri, &f.s, &err), HH_ERR_INVALID);
    CHECK(set_user_version(sq_path(&f), 1)); /* the current version opens again, data intact */
    CHECK_OK(hh_store_open(f.uri, &f.s, &err));
    CHECK(f.s != NULL && ts_entries_ok(f.s, 0, 3));
    ts_close(&f);
    hh_memtree_free(t);
}

/* ---- failures ---- */

/*
 * A file size limit makes the WAL write fail the way a full disk does; the
 * append must fail with HH_ERR_IO, write nothing, and the store must go on.
 */
TEST(store_sqlite_append_disk_full_writes_nothing)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_memtree *t2 = hh_memtree_new();
    struct hh_error err = {0};
    struct rlimit old, small;
    void (*old_handler)(int);
    struct ts_batch b;
    uint64_t size = 0;

    CHECK(sq_open(&f));
    CHECK(ts_append_n(f.s, t, 10));
    CHECK(ts_memtree_mirror(t2, 10));
    CHECK(ts_batch_make(&b, t, 10, 5000, 0));
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    small = old;
    small.rlim_cur = 1024 * 1024;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    hh_status rc = ts_batch_append(f.s, 10, &b, &err);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, old_handler);
    CHECK(rc == HH_ERR_IO);
    hh_test_note("%s", err.msg);
    CHECK(err.code == HH_ERR_IO && strstr(err.msg, "sqlite") != NULL);
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 10);
    CHECK_ERR(hh_store_read_hash_range(f.s, 0, 10, 1, &b.hashes[0], NULL), HH_ERR_NOT_FOUND);
    ts_batch_free(&b);
    CHECK(ts_append_n(f.s, t2, 5000)); /* the same entries go in once there is room */
    CHECK(ts_reopen(&f));
    CHECK(ts_entries_ok(f.s, 0, 5010));
    ts_close(&f);
    hh_memtree_free(t);
    hh_memtree_free(t2);
}

TEST(store_sqlite_corrupt_blob_refused)
{
    struct ts_fixture f;
    struct hh_error err = {0};
    struct hh_hash id;
    uint8_t *data = NULL;
    size_t len = 0;

    CHECK(sq_open(&f));
    CHECK_OK(hh_store_put_blob(f.s, (const uint8_t *)"hello", 5, &id, &err));
    sq_shut(&f);
    CHECK(st_sql_exec(sq_path(&f), "UPDATE blobs SET data = x'00' WHERE length(data) = 5"));
    CHECK(ts_reopen(&f));
    CHECK_ERR(hh_store_get_blob(f.s, &id, &data, &len, &err), HH_ERR_IO);
    CHECK(data == NULL && len == 0 && strstr(err.msg, "is corrupt") != NULL);
    ts_close(&f);
}

TEST(store_sqlite_corrupt_subtree_hash_refused)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_error err = {0};
    struct hh_hash out[4];

    CHECK(sq_open(&f));
    CHECK(ts_append_n(f.s, t, 4));
    sq_shut(&f);
    CHECK(st_sql_exec(sq_path(&f), "UPDATE nodes SET hash = x'0102' WHERE level = 0 AND idx = 2"));
    CHECK(ts_reopen(&f));
    memset(out, 0xff, sizeof(out));
    CHECK_ERR(hh_store_read_hash_range(f.s, 0, 0, 4, out, &err), HH_ERR_IO);
    CHECK(strstr(err.msg, "subtree (0, 2) is corrupt") != NULL);
    CHECK(out[0].b[0] == 0 && out[1].b[31] == 0); /* nothing half-read */
    ts_close(&f);
    hh_memtree_free(t);
}
