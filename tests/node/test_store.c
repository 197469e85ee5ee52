/*
 * test_store.c - the store (store.h) on its SQLite backend: persistence,
 * appends and their all-or-nothing failures, the checkpoint rules, blobs,
 * schema versions, concurrent readers, and trees that match hh_memtree.
 *
 * Every test works in its own mkdtemp directory under /tmp and removes it.
 */
#include "harness.h"

#include "storage/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures ---- */

struct fixture {
    char dir[64];
    char path[128];
    struct hh_store *s;
};

static bool fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hh_store_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return false;
    snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
    return hh_store_open_sqlite(f->path, &f->s, NULL) == HH_OK;
}

static bool fixture_reopen(struct fixture *f)
{
    hh_store_close(f->s);
    f->s = NULL;
    return hh_store_open_sqlite(f->path, &f->s, NULL) == HH_OK;
}

/* Closes the store and removes every file of the directory, then the directory. */
static void fixture_close(struct fixture *f)
{
    hh_store_close(f->s);
    f->s = NULL;
    hh_test_rmdir(f->dir);
}

/* ---- entries and batches ---- */

/* Entry i: its index in the first 8 bytes, then a pattern; 100..599 bytes. */
static size_t entry_bytes(uint64_t i, uint8_t *buf, size_t len)
{
    if (len == 0)
        len = 100 + (size_t)(i % 500);
    for (size_t j = 0; j < len; j++)
        buf[j] = (uint8_t)(j < 8 ? i >> (8 * j) : i * 31 + j);
    return len;
}

struct batch {
    struct hh_store_entry *e;
    uint8_t *buf;
    struct hh_subtree_id *ids;
    struct hh_hash *hashes;
    size_t n, nnodes;
};

static void batch_free(struct batch *b)
{
    free(b->e);
    free(b->buf);
    free(b->ids);
    free(b->hashes);
    memset(b, 0, sizeof(*b));
}

static bool batch_alloc(struct batch *b, size_t n, size_t each)
{
    memset(b, 0, sizeof(*b));
    b->e = calloc(n + 1, sizeof(*b->e));
    b->buf = malloc(n * each + 1);
    b->ids = malloc((2 * n + HH_MERKLE_MAX_PROOF) * sizeof(*b->ids));
    b->hashes = malloc((2 * n + HH_MERKLE_MAX_PROOF) * sizeof(*b->hashes));
    b->n = n;
    return b->e != NULL && b->buf != NULL && b->ids != NULL && b->hashes != NULL;
}

/* Entries first..first+n-1, each len bytes (or the varying default when len is 0). */
static bool batch_entries(struct batch *b, uint64_t first, size_t n, size_t len)
{
    size_t each = len > 0 ? len : 600;

    if (!batch_alloc(b, n, each))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = b->buf + i * each;
        b->e[i].len = entry_bytes(first + i, p, len);
        b->e[i].data = p;
        hh_sha256(p, b->e[i].len, &b->e[i].id);
    }
    return true;
}

/* batch_entries and the nodes they complete, computed on t (which holds first leaves). */
static bool batch_make(struct batch *b, struct hh_memtree *t, uint64_t first, size_t n, size_t len)
{
    struct hh_hash_reader r = hh_memtree_reader(t);

    if (!batch_entries(b, first, n, len))
        return false;
    for (size_t i = 0; i < n; i++) {
        struct hh_hash leaf;
        size_t k;
        hh_merkle_leaf_hash(b->e[i].data, b->e[i].len, &leaf);
        if (hh_merkle_append(&r, first + i, &leaf, b->ids + b->nnodes, b->hashes + b->nnodes, &k,
                             NULL) != HH_OK ||
            hh_memtree_append(t, &leaf) != HH_OK)
            return false;
        b->nnodes += k;
    }
    return true;
}

static hh_status batch_append(struct hh_store *s, uint64_t first, const struct batch *b,
                              struct hh_error *err)
{
    return hh_store_append(s, first, b->e, b->n, b->ids, b->hashes, b->nnodes, err);
}

/* Appends n default entries at the store's end, keeping t in step. */
static bool append_n(struct hh_store *s, struct hh_memtree *t, size_t n)
{
    struct batch b;
    uint64_t first = hh_memtree_size(t);
    bool ok = batch_make(&b, t, first, n, 0) && batch_append(s, first, &b, NULL) == HH_OK;

    batch_free(&b);
    return ok;
}

/* Appends the leaves of the default entries 0..n-1 to the empty tree t. */
static bool memtree_mirror(struct hh_memtree *t, uint64_t n)
{
    uint8_t buf[600];
    struct hh_hash h;

    for (uint64_t i = 0; i < n; i++) {
        hh_merkle_leaf_hash(buf, entry_bytes(i, buf, 0), &h);
        if (hh_memtree_append(t, &h) != HH_OK)
            return false;
    }
    return true;
}

/* Checks each entry read against entry_bytes. */
struct expect {
    uint64_t next;
    size_t seen;
    int bad;
    size_t stop_after;
};

static int expect_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct expect *x = ctx;
    uint8_t want[600];
    size_t n = entry_bytes(index, want, 0);

    if (index != x->next || len != n || memcmp(data, want, n) != 0)
        x->bad++;
    x->next = index + 1;
    x->seen++;
    return x->stop_after != 0 && x->seen == x->stop_after;
}

static bool entries_ok(struct hh_store *s, uint64_t start, size_t n)
{
    struct expect x = {start, 0, 0, 0};

    return hh_store_read_entries(s, start, n, expect_entry, &x, NULL) == HH_OK && x.bad == 0 &&
           x.seen == n;
}

static double clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- open, close, reopen ---- */

TEST(store_open_reopen_persists)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_store_checkpoint cp;
    struct hh_hash h, want;
    uint64_t size = 99;

    CHECK(fixture_open(&f));
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 0);
    CHECK_ERR(hh_store_latest_checkpoint(f.s, &cp, NULL), HH_ERR_NOT_FOUND);
    CHECK(append_n(f.s, t, 10));
    CHECK(fixture_reopen(&f));
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 10);
    CHECK(entries_ok(f.s, 0, 10));
    struct hh_hash_reader r = hh_memtree_reader(t);
    CHECK_OK(hh_merkle_root(&r, 10, &want, NULL));
    r = hh_store_hash_reader(f.s);
    CHECK_OK(hh_merkle_root(&r, 10, &h, NULL));
    CHECK(hh_hash_equal(&h, &want));
    CHECK(append_n(f.s, t, 5)); /* the reopened store appends where it left off */
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 15);
    fixture_close(&f);
    hh_memtree_free(t);
}

TEST(store_open_errors)
{
    static int dummy;
    struct fixture f;
    struct hh_store *s = (struct hh_store *)&dummy;
    struct hh_error err = {0};
    char path[192];
    FILE *fp;

    hh_store_close(NULL);
    CHECK_ERR(hh_store_open_sqlite(NULL, &s, &err), HH_ERR_INVALID);
    CHECK(s == NULL);
    CHECK_ERR(hh_store_open_sqlite("/nonexistent-dir/x/store.db", &s, &err), HH_ERR_IO);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "/nonexistent-dir/x/store.db") != NULL);
    CHECK(fixture_open(&f));
    snprintf(path, sizeof(path), "%s/garbage.db", f.dir);
    fp = fopen(path, "wb");
    CHECK(fp != NULL);
    for (int i = 0; fp != NULL && i < 4096; i++)
        fputc('x', fp);
    if (fp != NULL)
        fclose(fp);
    CHECK_ERR(hh_store_open_sqlite(path, &s, &err), HH_ERR_IO);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "not a database") != NULL);
    fixture_close(&f);
}

TEST(store_null_store)
{
    struct hh_error err = {0};
    uint64_t size = 7;

    CHECK_ERR(hh_store_size(NULL, &size, &err), HH_ERR_INVALID);
    CHECK(size == 0);
    CHECK_ERR(hh_store_append(NULL, 0, NULL, 0, NULL, NULL, 0, &err), HH_ERR_INVALID);
    hh_store_checkpoint_clear(NULL);
}

static bool set_user_version(const char *path, int v)
{
    sqlite3 *db = NULL;
    char sql[64];
    bool ok;

    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
    ok = sqlite3_open(path, &db) == SQLITE_OK &&
         sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

TEST(store_schema_too_new_refused)
{
    struct fixture f;
    struct hh_error err = {0};
    struct hh_memtree *t = hh_memtree_new();

    CHECK(fixture_open(&f));
    CHECK(append_n(f.s, t, 3));
    hh_store_close(f.s);
    f.s = NULL;
    CHECK(set_user_version(f.path, 99));
    CHECK_ERR(hh_store_open_sqlite(f.path, &f.s, &err), HH_ERR_INVALID);
    CHECK(f.s == NULL);
    CHECK(strstr(err.msg, "schema version 99") != NULL);
    CHECK(set_user_version(f.path, -1));
    CHECK_ERR(hh_store_open_sqlite(f.path, &f.s, &err), HH_ERR_INVALID);
    CHECK(set_user_version(f.path, 1)); /* the current version opens again, data intact */
    CHECK_OK(hh_store_open_sqlite(f.path, &f.s, &err));
    CHECK(f.s != NULL && entries_ok(f.s, 0, 3));
    fixture_close(&f);
    hh_memtree_free(t);
}

/* ---- appends ---- */

static bool nodes_match(struct hh_store *s, struct hh_memtree *t)
{
    uint64_t size = hh_memtree_size(t);
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_hash got[64], want[64];
    bool ok = true;

    for (unsigned l = 0; l < 12 && (size >> l) > 0; l++) {
        uint64_t n = size >> l;
        uint64_t start = n > 64 ? n - 64 : 0;
        struct hh_subtree_id ids[64];
        for (uint64_t i = start; i < n; i++)
            ids[i - start] = (struct hh_subtree_id){(uint8_t)l, i};
        ok = ok && hh_store_read_hash_range(s, (uint8_t)l, start, (size_t)(n - start), got, NULL) ==
                       HH_OK;
        ok = ok && r.read(r.ctx, ids, (size_t)(n - start), want, NULL) == HH_OK;
        ok = ok && memcmp(got, want, (size_t)(n - start) * sizeof(got[0])) == 0;
    }
    return ok;
}

TEST(store_append_and_read_back)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    static const size_t sizes[] = {1, 3, 100, 1000, 7};
    struct hh_error err = {0};
    struct hh_hash out[4];
    uint64_t size = 0, index = 0;

    CHECK(fixture_open(&f));
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        CHECK(append_n(f.s, t, sizes[i]));
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 1111);
    CHECK(entries_ok(f.s, 0, 1111));
    CHECK(entries_ok(f.s, 500, 256));
    CHECK(entries_ok(f.s, 1110, 1));
    CHECK(nodes_match(f.s, t));
    for (uint64_t i = 0; i < 1111; i += 37) {
        uint8_t buf[600];
        struct hh_hash id;
        hh_sha256(buf, entry_bytes(i, buf, 0), &id);
        CHECK_OK(hh_store_find_id(f.s, &id, &index, NULL));
        CHECK(index == i);
    }
    struct hh_hash unknown = {{1, 2, 3}};
    CHECK_ERR(hh_store_find_id(f.s, &unknown, &index, &err), HH_ERR_NOT_FOUND);
    CHECK(strstr(err.msg, "010203") != NULL);
    struct expect x = {1100, 0, 0, 0};
    CHECK_ERR(hh_store_read_entries(f.s, 1100, 12, expect_entry, &x, &err), HH_ERR_NOT_FOUND);
    CHECK(x.seen == 0); /* nothing is delivered when the range is not all there */
    CHECK(strstr(err.msg, "1111 entries") != NULL);
    struct expect y = {0, 0, 0, 5};
    CHECK_OK(hh_store_read_entries(f.s, 0, 100, expect_entry, &y, NULL));
    CHECK(y.seen == 5 && y.bad == 0);
    memset(out, 0xff, sizeof(out));
    CHECK_ERR(hh_store_read_hash_range(f.s, 0, 1109, 4, out, &err), HH_ERR_NOT_FOUND);
    CHECK(strstr(err.msg, "(0, 1111)") != NULL);
    CHECK(out[0].b[0] == 0 && out[3].b[31] == 0);
    CHECK_ERR(hh_store_read_hash_range(f.s, 200, 0, 1, out, &err), HH_ERR_NOT_FOUND);
    fixture_close(&f);
    hh_memtree_free(t);
}

TEST(store_read_nodes_batches)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_subtree_id ids[8] = {{0, 5}, {0, 6}, {0, 7}, {3, 1}, {1, 0}, {1, 1}, {0, 2}, {6, 0}};
    struct hh_hash got[8], want[8];
    struct hh_error err = {0};

    CHECK(fixture_open(&f));
    CHECK(append_n(f.s, t, 100));
    CHECK_OK(hh_store_read_hashes(f.s, ids, 8, got, NULL));
    CHECK_OK(r.read(r.ctx, ids, 8, want, NULL));
    CHECK(memcmp(got, want, sizeof(got)) == 0);
    ids[5] = (struct hh_subtree_id){2, 25}; /* complete only at 104 leaves */
    CHECK_ERR(hh_store_read_hashes(f.s, ids, 8, got, &err), HH_ERR_NOT_FOUND);
    CHECK(strstr(err.msg, "(2, 25)") != NULL);
    CHECK(got[0].b[0] == 0 && got[7].b[0] == 0);
    struct hh_hash_reader sr = hh_store_hash_reader(f.s);
    CHECK_ERR(sr.read(sr.ctx, &ids[5], 1, got, NULL), HH_ERR_NOT_FOUND);
    fixture_close(&f);
    hh_memtree_free(t);
}

TEST(store_append_duplicate_id_writes_nothing)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_memtree *t2 = hh_memtree_new();
    struct hh_error err = {0};
    struct batch b;
    struct hh_hash h;
    uint8_t buf[600];
    uint64_t size = 0;

    CHECK(fixture_open(&f));
    CHECK(append_n(f.s, t, 10));
    CHECK(memtree_mirror(t2, 10)); /* t2 mirrors t, to build a second batch at 10 */
    CHECK(batch_make(&b, t, 10, 50, 0));
    hh_sha256(buf, entry_bytes(4, buf, 0), &b.e[20].id); /* entry 30 reuses entry 4's id */
    CHECK_ERR(batch_append(f.s, 10, &b, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "already in the log as entry 4") != NULL);
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 10);
    struct expect x = {10, 0, 0, 0};
    CHECK_ERR(hh_store_read_entries(f.s, 10, 1, expect_entry, &x, NULL), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_store_read_hash_range(f.s, 0, 10, 1, &h, NULL), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_store_find_id(f.s, &b.e[0].id, &size, NULL), HH_ERR_NOT_FOUND);
    b.e[20].id = b.e[3].id; /* twice in one batch */
    CHECK_ERR(batch_append(f.s, 10, &b, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "twice in the batch (entries 13 and 30)") != NULL);
    batch_free(&b);
    CHECK(batch_make(&b, t2, 10, 50, 0)); /* the proper batch still goes in at 10 */
    CHECK_OK(batch_append(f.s, 10, &b, &err));
    CHECK(entries_ok(f.s, 0, 60));
    batch_free(&b);
    fixture_close(&f);
    hh_memtree_free(t);
    hh_memtree_free(t2);
}

TEST(store_append_wrong_first_index)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_memtree *t2 = hh_memtree_new();
    struct hh_error err = {0};
    struct batch b;
    uint64_t size = 0;

    CHECK(fixture_open(&f));
    CHECK(append_n(f.s, t, 8));
    CHECK(batch_make(&b, t2, 0, 4, 0)); /* nodes for 0..3: right for index 0 only */
    CHECK_ERR(batch_append(f.s, 0, &b, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "append at index 0 but the log has 8 entries") != NULL);
    batch_free(&b);
    CHECK(batch_make(&b, t, 8, 4, 0));
    CHECK_ERR(batch_append(f.s, 9, &b, &err), HH_ERR_INVALID); /* nodes do not fit 9.. */
    b.nnodes = 0;
    for (size_t i = 0; i < 4; i++) /* give 9..12 exactly the nodes they complete */
        b.ids[b.nnodes++] = (struct hh_subtree_id){0, 9 + i};
    b.ids[b.nnodes++] = (struct hh_subtree_id){1, 4};
    b.ids[b.nnodes++] = (struct hh_subtree_id){1, 5};
    b.ids[b.nnodes++] = (struct hh_subtree_id){2, 2};
    CHECK_ERR(batch_append(f.s, 9, &b, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "append at index 9 but the log has 8 entries") != NULL);
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 8);
    batch_free(&b);
    fixture_close(&f);
    hh_memtree_free(t);
    hh_memtree_free(t2);
}

static int record_len(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    size_t *lens = ctx;

    (void)data;
    lens[index] = len;
    return 0;
}

TEST(store_append_limits_and_bad_nodes)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_error err = {0};
    struct batch b;
    static uint8_t big[HH_ENTRY_MAX + 1];
    struct hh_store_entry e = {{{0}}, big, HH_ENTRY_MAX + 1};
    struct hh_subtree_id id = {0, 0};
    struct hh_hash h;
    size_t lens[4] = {0};

    hh_merkle_leaf_hash(big, HH_ENTRY_MAX, &h);
    CHECK(fixture_open(&f));
    CHECK_ERR(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, &err), HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "entry 0 is 65536 bytes") != NULL);
    CHECK_ERR(hh_store_append(f.s, 0, &e, HH_STORE_MAX_BATCH + 1, &id, &h, 1, &err),
              HH_ERR_TOO_LARGE);
    CHECK_ERR(hh_store_append(f.s, INT64_MAX, &e, 1, &id, &h, 1, &err), HH_ERR_TOO_LARGE);
    e.data = NULL;
    e.len = 5;
    CHECK_ERR(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, &err), HH_ERR_INVALID);
    e.data = big;
    CHECK_ERR(hh_store_append(f.s, 0, &e, 1, NULL, NULL, 1, &err), HH_ERR_INVALID);
    e.len = HH_ENTRY_MAX; /* the largest entry goes in */
    CHECK_OK(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, &err));
    CHECK_OK(hh_memtree_append(t, &h));
    CHECK(batch_make(&b, t, 1, 3, 0)); /* nodes (0,1) (1,0) (0,2) (0,3) (1,1) (2,0) */
    CHECK(b.nnodes == 6);
    CHECK_ERR(hh_store_append(f.s, 1, b.e, 3, b.ids, b.hashes, 5, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "5 tree nodes given") != NULL);
    struct hh_subtree_id keep = b.ids[5];
    b.ids[5] = (struct hh_subtree_id){2, 1}; /* completed only at 8 leaves */
    CHECK_ERR(batch_append(f.s, 1, &b, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "(2, 1) is not completed") != NULL);
    b.ids[5] = b.ids[0]; /* the right count, but one node twice */
    CHECK_ERR(batch_append(f.s, 1, &b, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "(0, 1) is given twice") != NULL);
    b.ids[5] = keep;
    CHECK_OK(batch_append(f.s, 1, &b, &err));
    CHECK_ERR(hh_store_read_entries(f.s, 0, 4, NULL, NULL, &err), HH_ERR_INVALID);
    CHECK_OK(hh_store_read_entries(f.s, 0, 4, record_len, lens, &err));
    CHECK(lens[0] == HH_ENTRY_MAX && lens[1] == b.e[0].len && lens[3] == b.e[2].len);
    batch_free(&b);
    fixture_close(&f);
    hh_memtree_free(t);
}

TEST(store_empty_entry_reads_back_empty)
{
    struct fixture f;
    struct hh_store_entry e = {{{7}}, NULL, 0};
    struct hh_subtree_id id = {0, 0};
    struct hh_hash h;
    size_t lens[1] = {99};

    hh_merkle_leaf_hash("", 0, &h);
    CHECK(fixture_open(&f));
    CHECK_OK(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, NULL));
    CHECK_OK(hh_store_read_entries(f.s, 0, 1, record_len, lens, NULL));
    CHECK(lens[0] == 0);
    fixture_close(&f);
}

/*
 * A file size limit makes the WAL write fail the way a full disk does; the
 * append must fail with HH_ERR_IO, write nothing, and the store must go on.
 */
TEST(store_append_disk_full_writes_nothing)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_memtree *t2 = hh_memtree_new();
    struct hh_error err = {0};
    struct rlimit old, small;
    void (*old_handler)(int);
    struct batch b;
    uint64_t size = 0;

    CHECK(fixture_open(&f));
    CHECK(append_n(f.s, t, 10));
    CHECK(memtree_mirror(t2, 10));
    CHECK(batch_make(&b, t, 10, 5000, 0));
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    small = old;
    small.rlim_cur = 1024 * 1024;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    hh_status rc = batch_append(f.s, 10, &b, &err);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, old_handler);
    CHECK(rc == HH_ERR_IO);
    hh_test_note("%s", err.msg);
    CHECK(strstr(err.msg, "sqlite") != NULL);
    CHECK_OK(hh_store_size(f.s, &size, NULL));
    CHECK(size == 10);
    CHECK_ERR(hh_store_read_hash_range(f.s, 0, 10, 1, &b.hashes[0], NULL), HH_ERR_NOT_FOUND);
    batch_free(&b);
    CHECK(append_n(f.s, t2, 5000)); /* the same entries go in once there is room */
    CHECK(fixture_reopen(&f));
    CHECK(entries_ok(f.s, 0, 5010));
    fixture_close(&f);
    hh_memtree_free(t);
    hh_memtree_free(t2);
}

/* ---- checkpoints ---- */

struct cp_list {
    uint64_t sizes[8];
    size_t n, stop_after;
    int bad;
};

static int collect_cp(void *ctx, const struct hh_store_checkpoint *c)
{
    struct cp_list *l = ctx;

    if (l->n < 8)
        l->sizes[l->n++] = c->size;
    if (c->note == NULL || c->note_len == 0 || c->note[c->note_len] != '\0')
        l->bad++;
    return l->stop_after != 0 && l->n == l->stop_after;
}

static struct hh_hash root_of(int i)
{
    struct hh_hash h;

    hh_sha256(&i, sizeof(i), &h);
    return h;
}

static void check_checkpoint_rules(struct hh_store *s)
{
    struct hh_hash r3 = root_of(3), r5 = root_of(5), r10 = root_of(10), other = root_of(99);
    struct hh_error err = {0};

    CHECK_OK(hh_store_put_checkpoint(s, 3, &r3, "note 3\n", 7, &err));
    CHECK_OK(hh_store_put_checkpoint(s, 5, &r5, "note 5\n", 7, &err));
    CHECK_OK(hh_store_put_checkpoint(s, 5, &r5, "other note\n", 11, &err)); /* no-op */
    CHECK_ERR(hh_store_put_checkpoint(s, 5, &other, "x", 1, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "size 5 is already stored with a different root") != NULL);
    CHECK_ERR(hh_store_put_checkpoint(s, 4, &r3, "x", 1, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "4 is smaller than the latest, 5") != NULL);
    CHECK_ERR(hh_store_put_checkpoint(s, 3, &r3, "note 3\n", 7, &err), HH_ERR_CONFLICT);
    CHECK_ERR(hh_store_put_checkpoint(s, 11, &r10, "x", 1, &err), HH_ERR_CONFLICT);
    CHECK(strstr(err.msg, "11 is larger than the 10 entries stored") != NULL);
    CHECK_ERR(hh_store_put_checkpoint(s, UINT64_MAX, &r10, "x", 1, &err), HH_ERR_CONFLICT);
    CHECK_ERR(hh_store_put_checkpoint(s, 10, &r10, "", 0, &err), HH_ERR_INVALID);
    CHECK_ERR(hh_store_put_checkpoint(s, 10, &r10, "x", HH_NOTE_MAX_BYTES + 1, &err),
              HH_ERR_TOO_LARGE);
    CHECK_OK(hh_store_put_checkpoint(s, 10, &r10, "note 10\n", 8, &err));
}

static void check_checkpoint_reads(struct hh_store *s)
{
    struct hh_hash r5 = root_of(5), r10 = root_of(10);
    struct hh_store_checkpoint c;
    struct cp_list l = {{0}, 0, 0, 0};
    struct cp_list two = {{0}, 0, 2, 0};
    int64_t now = (int64_t)time(NULL);

    CHECK_OK(hh_store_latest_checkpoint(s, &c, NULL));
    CHECK(c.size == 10 && hh_hash_equal(&c.root, &r10));
    CHECK(c.note_len == 8 && memcmp(c.note, "note 10\n", 9) == 0);
    CHECK(c.time > now - 600 && c.time <= now + 1);
    hh_store_checkpoint_clear(&c);
    CHECK(c.note == NULL);
    CHECK_OK(hh_store_checkpoint_at(s, 5, &c, NULL));
    CHECK(c.size == 5 && hh_hash_equal(&c.root, &r5));
    CHECK(c.note_len == 7 && memcmp(c.note, "note 5\n", 7) == 0); /* the no-op kept the first */
    hh_store_checkpoint_clear(&c);
    CHECK_ERR(hh_store_checkpoint_at(s, 4, &c, NULL), HH_ERR_NOT_FOUND);
    CHECK(c.note == NULL && c.size == 0);
    CHECK_OK(hh_store_each_checkpoint(s, collect_cp, &l, NULL));
    CHECK(l.n == 3 && l.sizes[0] == 3 && l.sizes[1] == 5 && l.sizes[2] == 10 && l.bad == 0);
    CHECK_OK(hh_store_each_checkpoint(s, collect_cp, &two, NULL));
    CHECK(two.n == 2);
    CHECK_ERR(hh_store_each_checkpoint(s, NULL, NULL, NULL), HH_ERR_INVALID);
}

TEST(store_checkpoint_rules)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();

    CHECK(fixture_open(&f));
    CHECK(append_n(f.s, t, 10));
    check_checkpoint_rules(f.s);
    check_checkpoint_reads(f.s);
    CHECK(fixture_reopen(&f));
    check_checkpoint_reads(f.s);
    fixture_close(&f);
    hh_memtree_free(t);
}

TEST(store_checkpoint_of_empty_log)
{
    struct fixture f;
    struct hh_hash r0, r1 = root_of(1);
    struct hh_store_checkpoint c;

    hh_merkle_empty_root(&r0);
    CHECK(fixture_open(&f));
    CHECK_OK(hh_store_put_checkpoint(f.s, 0, &r0, "empty\n", 6, NULL));
    CHECK_ERR(hh_store_put_checkpoint(f.s, 1, &r1, "one\n", 4, NULL), HH_ERR_CONFLICT);
    CHECK_OK(hh_store_latest_checkpoint(f.s, &c, NULL));
    CHECK(c.size == 0 && hh_hash_equal(&c.root, &r0));
    hh_store_checkpoint_clear(&c);
    fixture_close(&f);
}

/* ---- blobs ---- */

static bool corrupt_blob(const char *path)
{
    sqlite3 *db = NULL;
    bool ok;

    ok = sqlite3_open(path, &db) == SQLITE_OK &&
         sqlite3_exec(db, "UPDATE blobs SET data = x'00' WHERE length(data) = 5", NULL, NULL,
                      NULL) == SQLITE_OK &&
         sqlite3_changes(db) == 1;
    sqlite3_close(db);
    return ok;
}

TEST(store_blobs)
{
    struct fixture f;
    struct hh_error err = {0};
    struct hh_hash id, id2, want, empty;
    uint8_t *data = NULL;
    size_t len = 0;

    CHECK(fixture_open(&f));
    CHECK_OK(hh_store_put_blob(f.s, (const uint8_t *)"hello", 5, &id, &err));
    hh_sha256("hello", 5, &want);
    CHECK(hh_hash_equal(&id, &want));
    CHECK_OK(hh_store_put_blob(f.s, (const uint8_t *)"hello", 5, &id2, &err)); /* idempotent */
    CHECK(hh_hash_equal(&id2, &want));
    CHECK_OK(hh_store_get_blob(f.s, &id, &data, &len, &err));
    CHECK(len == 5 && data != NULL && memcmp(data, "hello", 5) == 0);
    free(data);
    CHECK_OK(hh_store_put_blob(f.s, NULL, 0, &empty, &err));
    CHECK_OK(hh_store_get_blob(f.s, &empty, &data, &len, &err));
    CHECK(len == 0 && data != NULL);
    free(data);
    struct hh_hash missing = {{0xab}};
    CHECK_ERR(hh_store_get_blob(f.s, &missing, &data, &len, &err), HH_ERR_NOT_FOUND);
    CHECK(data == NULL && strstr(err.msg, "blob ab00") != NULL);
    CHECK_ERR(hh_store_put_blob(f.s, (const uint8_t *)"x", (size_t)HH_BLOB_MAX + 1, &id2, &err),
              HH_ERR_TOO_LARGE);
    CHECK_ERR(hh_store_put_blob(f.s, NULL, 3, &id2, &err), HH_ERR_INVALID);
    hh_store_close(f.s);
    f.s = NULL;
    CHECK(corrupt_blob(f.path));
    CHECK(fixture_reopen(&f));
    CHECK_ERR(hh_store_get_blob(f.s, &id, &data, &len, &err), HH_ERR_IO);
    CHECK(data == NULL && len == 0 && strstr(err.msg, "is corrupt") != NULL);
    fixture_close(&f);
}

TEST(store_blob_large)
{
    struct fixture f;
    size_t n = 4 * 1024 * 1024;
    uint8_t *big = malloc(n), *data = NULL;
    struct hh_hash id;
    size_t len = 0;

    CHECK(big != NULL && fixture_open(&f));
    for (size_t i = 0; big != NULL && i < n; i++)
        big[i] = (uint8_t)(i * 7);
    CHECK_OK(hh_store_put_blob(f.s, big, n, &id, NULL));
    CHECK_OK(hh_store_get_blob(f.s, &id, &data, &len, NULL));
    CHECK(len == n && data != NULL && memcmp(data, big, n) == 0);
    free(data);
    free(big);
    fixture_close(&f);
}

/* ---- concurrency ---- */

#define CC_LEAVES  4000
#define CC_BATCH   100
#define CC_READERS 6

struct cc {
    struct hh_store *s;
    struct hh_memtree *full; /* every leaf, built before the threads start; only read */
    atomic_bool done;
    atomic_int failures;
    atomic_int reads;
};

static bool cc_read_once(struct cc *c, uint64_t *seed)
{
    struct hh_hash_reader mr = hh_memtree_reader(c->full), sr = hh_store_hash_reader(c->s);
    struct hh_hash a, b;
    uint64_t size = 0, index = 0;
    uint8_t buf[600];

    if (hh_store_size(c->s, &size, NULL) != HH_OK)
        return false;
    if (size == 0)
        return true;
    *seed = *seed * 6364136223846793005u + 1442695040888963407u;
    uint64_t i = (*seed >> 33) % size;
    size_t n = (size_t)(size - i < 50 ? size - i : 50);
    struct hh_hash id;
    hh_sha256(buf, entry_bytes(i, buf, 0), &id);
    return entries_ok(c->s, i, n) && hh_merkle_root(&sr, size, &a, NULL) == HH_OK &&
           hh_merkle_root(&mr, size, &b, NULL) == HH_OK && hh_hash_equal(&a, &b) &&
           hh_store_find_id(c->s, &id, &index, NULL) == HH_OK && index == i;
}

static void *cc_reader(void *arg)
{
    struct cc *c = arg;
    uint64_t seed = (uint64_t)(uintptr_t)&seed;

    while (!atomic_load(&c->done)) {
        if (!cc_read_once(c, &seed))
            atomic_fetch_add(&c->failures, 1);
        atomic_fetch_add(&c->reads, 1);
    }
    return NULL;
}

static bool cc_write(struct cc *c)
{
    struct hh_memtree *t = hh_memtree_new();
    bool ok = t != NULL;

    for (uint64_t first = 0; ok && first < CC_LEAVES; first += CC_BATCH)
        ok = append_n(c->s, t, CC_BATCH);
    hh_memtree_free(t);
    return ok;
}

TEST(store_concurrent_readers_while_appending)
{
    struct fixture f;
    struct cc c;
    pthread_t th[CC_READERS];
    uint8_t buf[600];
    struct hh_hash leaf;

    memset(&c, 0, sizeof(c));
    c.full = hh_memtree_new();
    for (uint64_t i = 0; i < CC_LEAVES; i++) {
        hh_merkle_leaf_hash(buf, entry_bytes(i, buf, 0), &leaf);
        CHECK_OK(hh_memtree_append(c.full, &leaf));
    }
    CHECK(fixture_open(&f));
    c.s = f.s;
    atomic_init(&c.done, false);
    for (int i = 0; i < CC_READERS; i++)
        CHECK(pthread_create(&th[i], NULL, cc_reader, &c) == 0);
    CHECK(cc_write(&c));
    atomic_store(&c.done, true);
    for (int i = 0; i < CC_READERS; i++)
        pthread_join(th[i], NULL);
    CHECK(atomic_load(&c.failures) == 0);
    CHECK(atomic_load(&c.reads) > CC_READERS);
    hh_test_note("%d reads by %d threads during %d appends", atomic_load(&c.reads), CC_READERS,
                 CC_LEAVES / CC_BATCH);
    CHECK(entries_ok(f.s, 0, CC_LEAVES));
    fixture_close(&f);
    hh_memtree_free(c.full);
}

/* ---- the store as a Merkle tree ---- */

/* The nodes of a batch not yet stored, in front of the store (as the sequencer does). */
struct overlay {
    struct hh_store *s;
    const struct hh_subtree_id *ids;
    const struct hh_hash *hashes;
    size_t n;
};

static hh_status overlay_read(void *ctx, const struct hh_subtree_id *ids, size_t n,
                              struct hh_hash *out, struct hh_error *err)
{
    struct overlay *o = ctx;

    for (size_t i = 0; i < n; i++) {
        size_t j = o->n;
        while (j > 0 &&
               (o->ids[j - 1].level != ids[i].level || o->ids[j - 1].index != ids[i].index))
            j--;
        if (j > 0) {
            out[i] = o->hashes[j - 1];
            continue;
        }
        hh_status rc = hh_store_read_hashes(o->s, &ids[i], 1, &out[i], err);
        if (rc != HH_OK)
            return rc;
    }
    return HH_OK;
}

/* Appends n leaves at first, with nodes computed through the store by hh_merkle_append. */
static bool store_tree_append(struct hh_store *s, uint64_t first, size_t n)
{
    struct batch b;
    struct overlay o = {s, NULL, NULL, 0};
    struct hh_hash_reader r = {overlay_read, &o};
    bool ok = batch_entries(&b, first, n, 0);

    o.ids = b.ids;
    o.hashes = b.hashes;
    for (size_t i = 0; ok && i < n; i++) {
        struct hh_hash leaf;
        size_t k = 0;
        hh_merkle_leaf_hash(b.e[i].data, b.e[i].len, &leaf);
        o.n = b.nnodes;
        ok = hh_merkle_append(&r, first + i, &leaf, b.ids + b.nnodes, b.hashes + b.nnodes, &k,
                              NULL) == HH_OK;
        b.nnodes += k;
    }
    ok = ok && batch_append(s, first, &b, NULL) == HH_OK;
    batch_free(&b);
    return ok;
}

TEST(store_tree_matches_memtree)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader mr = hh_memtree_reader(t), sr;
    struct hh_hash a, b, pa[HH_MERKLE_MAX_PROOF], pb[HH_MERKLE_MAX_PROOF];
    uint64_t size = 0;
    size_t na = 0, nb = 0;
    int bad = 0;

    CHECK(fixture_open(&f));
    sr = hh_store_hash_reader(f.s);
    for (uint64_t i = 0; i < 3000; i++) {
        uint8_t buf[600];
        hh_merkle_leaf_hash(buf, entry_bytes(i, buf, 0), &a);
        CHECK_OK(hh_memtree_append(t, &a));
    }
    while (size < 3000) {
        size_t n = 1 + (size_t)(hh_test_rand() % 200);
        n = n > 3000 - size ? (size_t)(3000 - size) : n;
        CHECK(store_tree_append(f.s, size, n));
        size += n;
        if (hh_merkle_root(&sr, size, &a, NULL) != HH_OK ||
            hh_merkle_root(&mr, size, &b, NULL) != HH_OK || !hh_hash_equal(&a, &b))
            bad++;
    }
    CHECK(bad == 0);
    for (uint64_t s = 1; s <= 3000; s += 1 + s / 3) {
        CHECK_OK(hh_merkle_root(&sr, s, &a, NULL));
        CHECK_OK(hh_merkle_root(&mr, s, &b, NULL));
        CHECK(hh_hash_equal(&a, &b));
        CHECK_OK(hh_merkle_inclusion_proof(&sr, s - 1, 3000, pa, &na, NULL));
        CHECK_OK(hh_merkle_inclusion_proof(&mr, s - 1, 3000, pb, &nb, NULL));
        CHECK(na == nb && memcmp(pa, pb, na * sizeof(pa[0])) == 0);
        CHECK_OK(hh_merkle_consistency_proof(&sr, s, 3000, pa, &na, NULL));
        CHECK_OK(hh_merkle_consistency_proof(&mr, s, 3000, pb, &nb, NULL));
        CHECK(na == nb && memcmp(pa, pb, na * sizeof(pa[0])) == 0);
    }
    CHECK(nodes_match(f.s, t));
    fixture_close(&f);
    hh_memtree_free(t);
}

/* ---- speed ---- */

TEST(store_append_10000_in_one_transaction)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_error err = {0};
    struct batch b;
    double ms[2];

    CHECK(fixture_open(&f));
    for (int round = 0; round < 2; round++) {
        uint64_t first = hh_memtree_size(t);
        CHECK(batch_make(&b, t, first, 10000, 600));
        double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
        CHECK_OK(batch_append(f.s, first, &b, &err));
        ms[round] = clock_ms(CLOCK_MONOTONIC) - t0;
        hh_test_note("append %d: 10000 entries of 600 bytes + %zu nodes in %.1f ms (%.1f ms CPU)",
                     round, b.nnodes, ms[round], clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0);
        batch_free(&b);
    }
    CHECK(ms[0] < 5000 && ms[1] < 5000); /* a sanity bound; the figure is in the note */
    fixture_close(&f);
    hh_memtree_free(t);
}
