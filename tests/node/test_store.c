/*
 * test_store.c - the store's conformance suite (store.h), run against every
 * backend of the build (test_store_backends.h): persistence, appends and
 * their all-or-nothing failures, the checkpoint rules, blobs, concurrent
 * readers, and trees that match hh_memtree; and the checks store.c makes
 * before any backend (NULL stores, storage URIs this build cannot open).
 *
 * These tests reach the database only through store.h. Tests that need a
 * backend's own tools are in that backend's file (test_store_sqlite.c).
 * Every test works in its own scratch directory under /tmp and removes it.
 */
#include "harness.h"

#include "test_store_util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- before any backend ---- */

TEST(store_null_store)
{
    struct hh_error err = {0};
    uint64_t size = 7;

    CHECK_ERR(hh_store_size(NULL, &size, &err), HH_ERR_INVALID);
    CHECK(size == 0);
    CHECK_ERR(hh_store_append(NULL, 0, NULL, 0, NULL, NULL, 0, &err), HH_ERR_INVALID);
    hh_store_checkpoint_clear(NULL);
    hh_store_close(NULL);
}

/* Opening uri fails with HH_ERR_INVALID, *out NULL, a message with want and without secret. */
static bool open_refused(const char *uri, const char *want, const char *secret)
{
    static int dummy;
    struct hh_store *s = (struct hh_store *)&dummy;
    struct hh_error err = {0};
    hh_status rc = hh_store_open(uri, &s, &err);

    if (rc != HH_ERR_INVALID || s != NULL || err.code != HH_ERR_INVALID)
        return false;
    hh_test_note("%s", err.msg); /* not the URI: some hold a password */
    return strstr(err.msg, want) != NULL && (secret == NULL || strstr(err.msg, secret) == NULL);
}

TEST(store_open_uri_refused)
{
    CHECK(open_refused(NULL, "storage URI is empty", NULL));
    CHECK(open_refused("", "storage URI is empty", NULL));
    CHECK(open_refused("postgresql://henhouse:s3cret@db.example/log", "no PostgreSQL backend",
                       "s3cret"));
    CHECK(open_refused("postgres://henhouse:s3cret@db.example/log", "no PostgreSQL backend",
                       "s3cret"));
    CHECK(open_refused("PostgreSQL://db.example/log", "no PostgreSQL backend", NULL));
    CHECK(open_refused("mysql://root:s3cret@db.example/log", "unknown storage scheme \"mysql\"",
                       "s3cret"));
    CHECK(open_refused("s3:bucket/log.db", "unknown storage scheme \"s3\"", NULL));
    CHECK(open_refused("log:1.db", "unknown storage scheme \"log\"", NULL));
    CHECK(open_refused("sqlite:", "no path given", NULL));
}

/* ---- open, close, reopen ---- */

static void store_open_reopen_persists_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_store_checkpoint cp;
    struct hh_hash h, want;
    uint64_t size = 99;

    BCHECK(ts_open(&f, be));
    BCHECK_OK(hh_store_size(f.s, &size, NULL));
    BCHECK(size == 0);
    BCHECK_ERR(hh_store_latest_checkpoint(f.s, &cp, NULL), HH_ERR_NOT_FOUND);
    BCHECK(ts_append_n(f.s, t, 10));
    BCHECK(ts_reopen(&f));
    BCHECK_OK(hh_store_size(f.s, &size, NULL));
    BCHECK(size == 10);
    BCHECK(ts_entries_ok(f.s, 0, 10));
    struct hh_hash_reader r = hh_memtree_reader(t);
    BCHECK_OK(hh_merkle_root(&r, 10, &want, NULL));
    r = hh_store_hash_reader(f.s);
    BCHECK_OK(hh_merkle_root(&r, 10, &h, NULL));
    BCHECK(hh_hash_equal(&h, &want));
    BCHECK(ts_append_n(f.s, t, 5)); /* the reopened store appends where it left off */
    BCHECK_OK(hh_store_size(f.s, &size, NULL));
    BCHECK(size == 15);
    ts_close(&f);
    hh_memtree_free(t);
}

/* hh_store_find_ids answers as hh_store_find_id does, for logged and unknown ids at once. */
static bool find_ids_agree(struct hh_store *s, const struct hh_hash *unknown)
{
    struct hh_hash ids[4];
    uint64_t indexes[4] = {9, 9, 9, 9};
    bool found[4] = {true, true, true, true}, ok;
    uint8_t buf[600];

    hh_sha256(buf, ts_entry_bytes(5, buf, 0), &ids[0]);
    ids[1] = *unknown;
    hh_sha256(buf, ts_entry_bytes(1110, buf, 0), &ids[2]);
    ids[3] = ids[0];
    ok = hh_store_find_ids(s, ids, 4, indexes, found, NULL) == HH_OK;
    ok = ok && found[0] && indexes[0] == 5 && !found[1] && indexes[1] == 0;
    ok = ok && found[2] && indexes[2] == 1110 && found[3] && indexes[3] == 5;
    ok = ok && hh_store_find_ids(s, ids, 0, indexes, found, NULL) == HH_OK;
    return ok && hh_store_find_ids(s, NULL, 1, indexes, found, NULL) == HH_ERR_INVALID;
}

TEST(store_open_reopen_persists)
{
    tb_each(store_open_reopen_persists_on);
}

/* ---- appends ---- */

static bool subtrees_match(struct hh_store *s, struct hh_memtree *t)
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

static void store_append_and_read_back_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    static const size_t sizes[] = {1, 3, 100, 1000, 7};
    struct hh_error err = {0};
    struct hh_hash out[4];
    uint64_t size = 0, index = 0;

    BCHECK(ts_open(&f, be));
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        BCHECK(ts_append_n(f.s, t, sizes[i]));
    BCHECK_OK(hh_store_size(f.s, &size, NULL));
    BCHECK(size == 1111);
    BCHECK(ts_entries_ok(f.s, 0, 1111));
    BCHECK(ts_entries_ok(f.s, 500, 256));
    BCHECK(ts_entries_ok(f.s, 1110, 1));
    BCHECK(subtrees_match(f.s, t));
    for (uint64_t i = 0; i < 1111; i += 37) {
        uint8_t buf[600];
        struct hh_hash id;
        hh_sha256(buf, ts_entry_bytes(i, buf, 0), &id);
        BCHECK_OK(hh_store_find_id(f.s, &id, &index, NULL));
        BCHECK(index == i);
    }
    struct hh_hash unknown = {{1, 2, 3}};
    BCHECK_ERR(hh_store_find_id(f.s, &unknown, &index, &err), HH_ERR_NOT_FOUND);
    BCHECK(strstr(err.msg, "010203") != NULL);
    BCHECK(find_ids_agree(f.s, &unknown));
    struct ts_expect x = {1100, 0, 0, 0};
    BCHECK_ERR(hh_store_read_entries(f.s, 1100, 12, ts_expect_entry, &x, &err), HH_ERR_NOT_FOUND);
    BCHECK(x.seen == 0); /* nothing is delivered when the range is not all there */
    BCHECK(strstr(err.msg, "1111 entries") != NULL);
    struct ts_expect y = {0, 0, 0, 5};
    BCHECK_OK(hh_store_read_entries(f.s, 0, 100, ts_expect_entry, &y, NULL));
    BCHECK(y.seen == 5 && y.bad == 0);
    memset(out, 0xff, sizeof(out));
    BCHECK_ERR(hh_store_read_hash_range(f.s, 0, 1109, 4, out, &err), HH_ERR_NOT_FOUND);
    BCHECK(strstr(err.msg, "(0, 1111)") != NULL);
    BCHECK(out[0].b[0] == 0 && out[3].b[31] == 0);
    BCHECK_ERR(hh_store_read_hash_range(f.s, 200, 0, 1, out, &err), HH_ERR_NOT_FOUND);
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_append_and_read_back)
{
    tb_each(store_append_and_read_back_on);
}

static void store_read_hashes_batches_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_subtree_id ids[8] = {{0, 5}, {0, 6}, {0, 7}, {3, 1}, {1, 0}, {1, 1}, {0, 2}, {6, 0}};
    struct hh_hash got[8], want[8];
    struct hh_error err = {0};

    BCHECK(ts_open(&f, be));
    BCHECK(ts_append_n(f.s, t, 100));
    BCHECK_OK(hh_store_read_hashes(f.s, ids, 8, got, NULL));
    BCHECK_OK(r.read(r.ctx, ids, 8, want, NULL));
    BCHECK(memcmp(got, want, sizeof(got)) == 0);
    ids[5] = (struct hh_subtree_id){2, 25}; /* complete only at 104 leaves */
    BCHECK_ERR(hh_store_read_hashes(f.s, ids, 8, got, &err), HH_ERR_NOT_FOUND);
    BCHECK(strstr(err.msg, "(2, 25)") != NULL);
    BCHECK(got[0].b[0] == 0 && got[7].b[0] == 0);
    struct hh_hash_reader sr = hh_store_hash_reader(f.s);
    BCHECK_ERR(sr.read(sr.ctx, &ids[5], 1, got, NULL), HH_ERR_NOT_FOUND);
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_read_hashes_batches)
{
    tb_each(store_read_hashes_batches_on);
}

static void store_append_duplicate_id_writes_nothing_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_memtree *t2 = hh_memtree_new();
    struct hh_error err = {0};
    struct ts_batch b;
    struct hh_hash h;
    uint8_t buf[600];
    uint64_t size = 0;

    BCHECK(ts_open(&f, be));
    BCHECK(ts_append_n(f.s, t, 10));
    BCHECK(ts_memtree_mirror(t2, 10)); /* t2 mirrors t, to build a second batch at 10 */
    BCHECK(ts_batch_make(&b, t, 10, 50, 0));
    hh_sha256(buf, ts_entry_bytes(4, buf, 0), &b.e[20].id); /* entry 30 reuses entry 4's id */
    BCHECK_ERR(ts_batch_append(f.s, 10, &b, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "already in the log as entry 4") != NULL);
    BCHECK_OK(hh_store_size(f.s, &size, NULL));
    BCHECK(size == 10);
    struct ts_expect x = {10, 0, 0, 0};
    BCHECK_ERR(hh_store_read_entries(f.s, 10, 1, ts_expect_entry, &x, NULL), HH_ERR_NOT_FOUND);
    BCHECK_ERR(hh_store_read_hash_range(f.s, 0, 10, 1, &h, NULL), HH_ERR_NOT_FOUND);
    BCHECK_ERR(hh_store_find_id(f.s, &b.e[0].id, &size, NULL), HH_ERR_NOT_FOUND);
    b.e[20].id = b.e[3].id; /* twice in one batch */
    BCHECK_ERR(ts_batch_append(f.s, 10, &b, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "twice in the batch (entries 13 and 30)") != NULL);
    ts_batch_free(&b);
    BCHECK(ts_batch_make(&b, t2, 10, 50, 0)); /* the proper batch still goes in at 10 */
    BCHECK_OK(ts_batch_append(f.s, 10, &b, &err));
    BCHECK(ts_entries_ok(f.s, 0, 60));
    ts_batch_free(&b);
    ts_close(&f);
    hh_memtree_free(t);
    hh_memtree_free(t2);
}

TEST(store_append_duplicate_id_writes_nothing)
{
    tb_each(store_append_duplicate_id_writes_nothing_on);
}

static void store_append_wrong_first_index_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_memtree *t2 = hh_memtree_new();
    struct hh_error err = {0};
    struct ts_batch b;
    uint64_t size = 0;

    BCHECK(ts_open(&f, be));
    BCHECK(ts_append_n(f.s, t, 8));
    BCHECK(ts_batch_make(&b, t2, 0, 4, 0)); /* subtrees of 0..3: right for index 0 only */
    BCHECK_ERR(ts_batch_append(f.s, 0, &b, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "append at index 0 but the log has 8 entries") != NULL);
    ts_batch_free(&b);
    BCHECK(ts_batch_make(&b, t, 8, 4, 0));
    BCHECK_ERR(ts_batch_append(f.s, 9, &b, &err), HH_ERR_INVALID); /* subtrees do not fit 9.. */
    b.nhashes = 0;
    for (size_t i = 0; i < 4; i++) /* give 9..12 exactly the subtrees they complete */
        b.ids[b.nhashes++] = (struct hh_subtree_id){0, 9 + i};
    b.ids[b.nhashes++] = (struct hh_subtree_id){1, 4};
    b.ids[b.nhashes++] = (struct hh_subtree_id){1, 5};
    b.ids[b.nhashes++] = (struct hh_subtree_id){2, 2};
    BCHECK_ERR(ts_batch_append(f.s, 9, &b, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "append at index 9 but the log has 8 entries") != NULL);
    BCHECK_OK(hh_store_size(f.s, &size, NULL));
    BCHECK(size == 8);
    ts_batch_free(&b);
    ts_close(&f);
    hh_memtree_free(t);
    hh_memtree_free(t2);
}

TEST(store_append_wrong_first_index)
{
    tb_each(store_append_wrong_first_index_on);
}

static int record_len(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    size_t *lens = ctx;

    (void)data;
    lens[index] = len;
    return 0;
}

static void store_append_limits_and_bad_subtrees_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_error err = {0};
    struct ts_batch b;
    static uint8_t big[HH_ENTRY_MAX + 1];
    struct hh_store_entry e = {{{0}}, big, HH_ENTRY_MAX + 1};
    struct hh_subtree_id id = {0, 0};
    struct hh_hash h;
    size_t lens[4] = {0};

    hh_merkle_leaf_hash(big, HH_ENTRY_MAX, &h);
    BCHECK(ts_open(&f, be));
    BCHECK_ERR(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, &err), HH_ERR_TOO_LARGE);
    BCHECK(strstr(err.msg, "entry 0 is 65536 bytes") != NULL);
    BCHECK_ERR(hh_store_append(f.s, 0, &e, HH_STORE_MAX_BATCH + 1, &id, &h, 1, &err),
               HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_store_append(f.s, INT64_MAX, &e, 1, &id, &h, 1, &err), HH_ERR_TOO_LARGE);
    e.data = NULL;
    e.len = 5;
    BCHECK_ERR(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, &err), HH_ERR_INVALID);
    e.data = big;
    BCHECK_ERR(hh_store_append(f.s, 0, &e, 1, NULL, NULL, 1, &err), HH_ERR_INVALID);
    e.len = HH_ENTRY_MAX; /* the largest entry goes in */
    BCHECK_OK(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, &err));
    BCHECK_OK(hh_memtree_append(t, &h));
    BCHECK(ts_batch_make(&b, t, 1, 3, 0)); /* nodes (0,1) (1,0) (0,2) (0,3) (1,1) (2,0) */
    BCHECK(b.nhashes == 6);
    BCHECK_ERR(hh_store_append(f.s, 1, b.e, 3, b.ids, b.hashes, 5, &err), HH_ERR_INVALID);
    BCHECK(strstr(err.msg, "5 subtree hashes given") != NULL);
    struct hh_subtree_id keep = b.ids[5];
    b.ids[5] = (struct hh_subtree_id){2, 1}; /* completed only at 8 leaves */
    BCHECK_ERR(ts_batch_append(f.s, 1, &b, &err), HH_ERR_INVALID);
    BCHECK(strstr(err.msg, "(2, 1) is not completed") != NULL);
    b.ids[5] = b.ids[0]; /* the right count, but one node twice */
    BCHECK_ERR(ts_batch_append(f.s, 1, &b, &err), HH_ERR_INVALID);
    BCHECK(strstr(err.msg, "(0, 1) is given twice") != NULL);
    b.ids[5] = keep;
    BCHECK_OK(ts_batch_append(f.s, 1, &b, &err));
    BCHECK_ERR(hh_store_read_entries(f.s, 0, 4, NULL, NULL, &err), HH_ERR_INVALID);
    BCHECK_OK(hh_store_read_entries(f.s, 0, 4, record_len, lens, &err));
    BCHECK(lens[0] == HH_ENTRY_MAX && lens[1] == b.e[0].len && lens[3] == b.e[2].len);
    ts_batch_free(&b);
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_append_limits_and_bad_subtrees)
{
    tb_each(store_append_limits_and_bad_subtrees_on);
}

static void store_empty_entry_reads_back_empty_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_store_entry e = {{{7}}, NULL, 0};
    struct hh_subtree_id id = {0, 0};
    struct hh_hash h;
    size_t lens[1] = {99};

    hh_merkle_leaf_hash("", 0, &h);
    BCHECK(ts_open(&f, be));
    BCHECK_OK(hh_store_append(f.s, 0, &e, 1, &id, &h, 1, NULL));
    BCHECK_OK(hh_store_read_entries(f.s, 0, 1, record_len, lens, NULL));
    BCHECK(lens[0] == 0);
    ts_close(&f);
}

TEST(store_empty_entry_reads_back_empty)
{
    tb_each(store_empty_entry_reads_back_empty_on);
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

    BCHECK_OK(hh_store_put_checkpoint(s, 3, &r3, "note 3\n", 7, &err));
    BCHECK_OK(hh_store_put_checkpoint(s, 5, &r5, "note 5\n", 7, &err));
    BCHECK_OK(hh_store_put_checkpoint(s, 5, &r5, "other note\n", 11, &err)); /* no-op */
    BCHECK_ERR(hh_store_put_checkpoint(s, 5, &other, "x", 1, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "size 5 is already stored with a different root") != NULL);
    BCHECK_ERR(hh_store_put_checkpoint(s, 4, &r3, "x", 1, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "4 is smaller than the latest, 5") != NULL);
    BCHECK_ERR(hh_store_put_checkpoint(s, 3, &r3, "note 3\n", 7, &err), HH_ERR_CONFLICT);
    BCHECK_ERR(hh_store_put_checkpoint(s, 11, &r10, "x", 1, &err), HH_ERR_CONFLICT);
    BCHECK(strstr(err.msg, "11 is larger than the 10 entries stored") != NULL);
    BCHECK_ERR(hh_store_put_checkpoint(s, UINT64_MAX, &r10, "x", 1, &err), HH_ERR_CONFLICT);
    BCHECK_ERR(hh_store_put_checkpoint(s, 10, &r10, "", 0, &err), HH_ERR_INVALID);
    BCHECK_ERR(hh_store_put_checkpoint(s, 10, &r10, "x", HH_NOTE_MAX_BYTES + 1, &err),
               HH_ERR_TOO_LARGE);
    BCHECK_OK(hh_store_put_checkpoint(s, 10, &r10, "note 10\n", 8, &err));
}

static void check_checkpoint_reads(struct hh_store *s)
{
    struct hh_hash r5 = root_of(5), r10 = root_of(10);
    struct hh_store_checkpoint c;
    struct cp_list l = {{0}, 0, 0, 0};
    struct cp_list two = {{0}, 0, 2, 0};
    int64_t now = (int64_t)time(NULL);

    BCHECK_OK(hh_store_latest_checkpoint(s, &c, NULL));
    BCHECK(c.size == 10 && hh_hash_equal(&c.root, &r10));
    BCHECK(c.note_len == 8 && memcmp(c.note, "note 10\n", 9) == 0);
    BCHECK(c.time > now - 600 && c.time <= now + 1);
    hh_store_checkpoint_clear(&c);
    BCHECK(c.note == NULL);
    BCHECK_OK(hh_store_checkpoint_at(s, 5, &c, NULL));
    BCHECK(c.size == 5 && hh_hash_equal(&c.root, &r5));
    BCHECK(c.note_len == 7 && memcmp(c.note, "note 5\n", 7) == 0); /* the no-op kept the first */
    hh_store_checkpoint_clear(&c);
    BCHECK_ERR(hh_store_checkpoint_at(s, 4, &c, NULL), HH_ERR_NOT_FOUND);
    BCHECK(c.note == NULL && c.size == 0);
    BCHECK_OK(hh_store_each_checkpoint(s, collect_cp, &l, NULL));
    BCHECK(l.n == 3 && l.sizes[0] == 3 && l.sizes[1] == 5 && l.sizes[2] == 10 && l.bad == 0);
    BCHECK_OK(hh_store_each_checkpoint(s, collect_cp, &two, NULL));
    BCHECK(two.n == 2);
    BCHECK_ERR(hh_store_each_checkpoint(s, NULL, NULL, NULL), HH_ERR_INVALID);
}

static void store_checkpoint_rules_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();

    BCHECK(ts_open(&f, be));
    BCHECK(ts_append_n(f.s, t, 10));
    check_checkpoint_rules(f.s);
    check_checkpoint_reads(f.s);
    BCHECK(ts_reopen(&f));
    check_checkpoint_reads(f.s);
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_checkpoint_rules)
{
    tb_each(store_checkpoint_rules_on);
}

static void store_checkpoint_of_empty_log_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_hash r0, r1 = root_of(1);
    struct hh_store_checkpoint c;

    hh_merkle_empty_root(&r0);
    BCHECK(ts_open(&f, be));
    BCHECK_OK(hh_store_put_checkpoint(f.s, 0, &r0, "empty\n", 6, NULL));
    BCHECK_ERR(hh_store_put_checkpoint(f.s, 1, &r1, "one\n", 4, NULL), HH_ERR_CONFLICT);
    BCHECK_OK(hh_store_latest_checkpoint(f.s, &c, NULL));
    BCHECK(c.size == 0 && hh_hash_equal(&c.root, &r0));
    hh_store_checkpoint_clear(&c);
    ts_close(&f);
}

TEST(store_checkpoint_of_empty_log)
{
    tb_each(store_checkpoint_of_empty_log_on);
}

/* ---- blobs ---- */

static void store_blobs_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_error err = {0};
    struct hh_hash id, id2, want, empty;
    uint8_t *data = NULL;
    size_t len = 0;

    BCHECK(ts_open(&f, be));
    BCHECK_OK(hh_store_put_blob(f.s, (const uint8_t *)"hello", 5, &id, &err));
    hh_sha256("hello", 5, &want);
    BCHECK(hh_hash_equal(&id, &want));
    BCHECK_OK(hh_store_put_blob(f.s, (const uint8_t *)"hello", 5, &id2, &err)); /* idempotent */
    BCHECK(hh_hash_equal(&id2, &want));
    BCHECK_OK(hh_store_get_blob(f.s, &id, &data, &len, &err));
    BCHECK(len == 5 && data != NULL && memcmp(data, "hello", 5) == 0);
    free(data);
    BCHECK_OK(hh_store_put_blob(f.s, NULL, 0, &empty, &err));
    BCHECK_OK(hh_store_get_blob(f.s, &empty, &data, &len, &err));
    BCHECK(len == 0 && data != NULL);
    free(data);
    struct hh_hash missing = {{0xab}};
    BCHECK_ERR(hh_store_get_blob(f.s, &missing, &data, &len, &err), HH_ERR_NOT_FOUND);
    BCHECK(data == NULL && strstr(err.msg, "blob ab00") != NULL);
    BCHECK_ERR(hh_store_put_blob(f.s, (const uint8_t *)"x", (size_t)HH_BLOB_MAX + 1, &id2, &err),
               HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_store_put_blob(f.s, NULL, 3, &id2, &err), HH_ERR_INVALID);
    BCHECK(ts_reopen(&f)); /* blobs are durable (a corrupt one: test_store_sqlite.c) */
    BCHECK_OK(hh_store_get_blob(f.s, &id, &data, &len, &err));
    BCHECK(len == 5 && data != NULL && memcmp(data, "hello", 5) == 0);
    free(data);
    ts_close(&f);
}

TEST(store_blobs)
{
    tb_each(store_blobs_on);
}

static void store_blob_large_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    size_t n = 4 * 1024 * 1024;
    uint8_t *big = malloc(n), *data = NULL;
    struct hh_hash id;
    size_t len = 0;

    BCHECK(big != NULL && ts_open(&f, be));
    for (size_t i = 0; big != NULL && i < n; i++)
        big[i] = (uint8_t)(i * 7);
    BCHECK_OK(hh_store_put_blob(f.s, big, n, &id, NULL));
    BCHECK_OK(hh_store_get_blob(f.s, &id, &data, &len, NULL));
    BCHECK(len == n && data != NULL && memcmp(data, big, n) == 0);
    free(data);
    free(big);
    ts_close(&f);
}

TEST(store_blob_large)
{
    tb_each(store_blob_large_on);
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
    hh_sha256(buf, ts_entry_bytes(i, buf, 0), &id);
    return ts_entries_ok(c->s, i, n) && hh_merkle_root(&sr, size, &a, NULL) == HH_OK &&
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
        ok = ts_append_n(c->s, t, CC_BATCH);
    hh_memtree_free(t);
    return ok;
}

static void store_concurrent_readers_while_appending_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct cc c;
    pthread_t th[CC_READERS];
    uint8_t buf[600];
    struct hh_hash leaf;

    memset(&c, 0, sizeof(c));
    c.full = hh_memtree_new();
    for (uint64_t i = 0; i < CC_LEAVES; i++) {
        hh_merkle_leaf_hash(buf, ts_entry_bytes(i, buf, 0), &leaf);
        BCHECK_OK(hh_memtree_append(c.full, &leaf));
    }
    BCHECK(ts_open(&f, be));
    c.s = f.s;
    atomic_init(&c.done, false);
    for (int i = 0; i < CC_READERS; i++)
        BCHECK(pthread_create(&th[i], NULL, cc_reader, &c) == 0);
    BCHECK(cc_write(&c));
    atomic_store(&c.done, true);
    for (int i = 0; i < CC_READERS; i++)
        pthread_join(th[i], NULL);
    BCHECK(atomic_load(&c.failures) == 0);
    BCHECK(atomic_load(&c.reads) > CC_READERS);
    hh_test_note("[%s] %d reads by %d threads during %d appends", be->name, atomic_load(&c.reads),
                 CC_READERS, CC_LEAVES / CC_BATCH);
    BCHECK(ts_entries_ok(f.s, 0, CC_LEAVES));
    ts_close(&f);
    hh_memtree_free(c.full);
}

TEST(store_concurrent_readers_while_appending)
{
    tb_each(store_concurrent_readers_while_appending_on);
}

/* ---- the store as a Merkle tree ---- */

/* The subtrees of a batch not yet stored, in front of the store (as the sequencer does). */
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

/* Appends n leaves at first, with subtrees computed through the store by hh_merkle_append. */
static bool store_tree_append(struct hh_store *s, uint64_t first, size_t n)
{
    struct ts_batch b;
    struct overlay o = {s, NULL, NULL, 0};
    struct hh_hash_reader r = {overlay_read, &o};
    bool ok = ts_batch_entries(&b, first, n, 0);

    o.ids = b.ids;
    o.hashes = b.hashes;
    for (size_t i = 0; ok && i < n; i++) {
        struct hh_hash leaf;
        size_t k = 0;
        hh_merkle_leaf_hash(b.e[i].data, b.e[i].len, &leaf);
        o.n = b.nhashes;
        ok = hh_merkle_append(&r, first + i, &leaf, b.ids + b.nhashes, b.hashes + b.nhashes, &k,
                              NULL) == HH_OK;
        b.nhashes += k;
    }
    ok = ok && ts_batch_append(s, first, &b, NULL) == HH_OK;
    ts_batch_free(&b);
    return ok;
}

static void store_tree_matches_memtree_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader mr = hh_memtree_reader(t), sr;
    struct hh_hash a, b, pa[HH_MERKLE_MAX_PROOF], pb[HH_MERKLE_MAX_PROOF];
    uint64_t size = 0;
    size_t na = 0, nb = 0;
    int bad = 0;

    BCHECK(ts_open(&f, be));
    sr = hh_store_hash_reader(f.s);
    for (uint64_t i = 0; i < 3000; i++) {
        uint8_t buf[600];
        hh_merkle_leaf_hash(buf, ts_entry_bytes(i, buf, 0), &a);
        BCHECK_OK(hh_memtree_append(t, &a));
    }
    while (size < 3000) {
        size_t n = 1 + (size_t)(hh_test_rand() % 200);
        n = n > 3000 - size ? (size_t)(3000 - size) : n;
        BCHECK(store_tree_append(f.s, size, n));
        size += n;
        if (hh_merkle_root(&sr, size, &a, NULL) != HH_OK ||
            hh_merkle_root(&mr, size, &b, NULL) != HH_OK || !hh_hash_equal(&a, &b))
            bad++;
    }
    BCHECK(bad == 0);
    for (uint64_t s = 1; s <= 3000; s += 1 + s / 3) {
        BCHECK_OK(hh_merkle_root(&sr, s, &a, NULL));
        BCHECK_OK(hh_merkle_root(&mr, s, &b, NULL));
        BCHECK(hh_hash_equal(&a, &b));
        BCHECK_OK(hh_merkle_inclusion_proof(&sr, s - 1, 3000, pa, &na, NULL));
        BCHECK_OK(hh_merkle_inclusion_proof(&mr, s - 1, 3000, pb, &nb, NULL));
        BCHECK(na == nb && memcmp(pa, pb, na * sizeof(pa[0])) == 0);
        BCHECK_OK(hh_merkle_consistency_proof(&sr, s, 3000, pa, &na, NULL));
        BCHECK_OK(hh_merkle_consistency_proof(&mr, s, 3000, pb, &nb, NULL));
        BCHECK(na == nb && memcmp(pa, pb, na * sizeof(pa[0])) == 0);
    }
    BCHECK(subtrees_match(f.s, t));
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_tree_matches_memtree)
{
    tb_each(store_tree_matches_memtree_on);
}

/* ---- speed ---- */

static void store_append_10000_in_one_transaction_on(const struct tb_backend *be)
{
    struct ts_fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_error err = {0};
    struct ts_batch b;
    double ms[2];

    BCHECK(ts_open(&f, be));
    for (int round = 0; round < 2; round++) {
        uint64_t first = hh_memtree_size(t);
        BCHECK(ts_batch_make(&b, t, first, 10000, 600));
        double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
        BCHECK_OK(ts_batch_append(f.s, first, &b, &err));
        ms[round] = clock_ms(CLOCK_MONOTONIC) - t0;
        hh_test_note("[%s] append %d: 10000 entries of 600 bytes + %zu subtree hashes in %.1f ms "
                     "(%.1f ms CPU)",
                     be->name, round, b.nhashes, ms[round], clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0);
        ts_batch_free(&b);
    }
    BCHECK(ms[0] < 5000 && ms[1] < 5000); /* a sanity bound; the figure is in the note */
    ts_close(&f);
    hh_memtree_free(t);
}

TEST(store_append_10000_in_one_transaction)
{
    tb_each(store_append_10000_in_one_transaction_on);
}
