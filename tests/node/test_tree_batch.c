/*
 * test_tree_batch.c - tree batches (tree_batch.h) over an SQLite store: the
 * roots, proofs and nodes of a batch match hh_memtree for batches of many
 * sizes written one after another; the reader takes old nodes from the
 * store and only finished nodes from the batch; the declared size is a hard
 * limit.
 *
 * Every test works in its own mkdtemp directory under /tmp and removes it.
 */
#include "harness.h"

#include "storage/store.h"
#include "log/tree_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
    char dir[64];
    struct hh_store *s;
    struct hh_memtree *t; /* the same leaves, all in memory */
};

static int fixture_open(struct fixture *f)
{
    char path[128];

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hh_tree_batch_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return 0;
    snprintf(path, sizeof(path), "%s/store.db", f->dir);
    f->t = hh_memtree_new();
    return f->t != NULL && hh_store_open(path, &f->s, NULL) == HH_OK;
}

static void fixture_close(struct fixture *f)
{
    hh_store_close(f->s);
    hh_memtree_free(f->t);
    hh_test_rmdir(f->dir);
}

/* Entry i: 24 bytes naming it. */
static void entry(uint64_t i, uint8_t buf[24])
{
    memset(buf, 0, 24);
    snprintf((char *)buf, 24, "entry %llu", (unsigned long long)i);
}

static void leaf(uint64_t i, struct hh_hash *out)
{
    uint8_t buf[24];
    entry(i, buf);
    hh_merkle_leaf_hash(buf, sizeof(buf), out);
}

/* Roots at every size old+1..size and a few proofs agree between the batch and the memtree. */
static int batch_agrees(struct hh_tree_batch *b, struct hh_memtree *t, uint64_t old, uint64_t size)
{
    struct hh_hash_reader br = hh_tree_batch_reader(b), mr = hh_memtree_reader(t);
    struct hh_hash x, y, px[HH_MERKLE_MAX_PROOF], py[HH_MERKLE_MAX_PROOF];
    size_t nx = 0, ny = 0;
    int ok = 1;

    for (uint64_t s = old > 0 ? old : 1; ok && s <= size; s++)
        ok = hh_merkle_root(&br, s, &x, NULL) == HH_OK &&
             hh_merkle_root(&mr, s, &y, NULL) == HH_OK && hh_hash_equal(&x, &y);
    for (uint64_t i = 0; ok && i < size; i += 1 + size / 7) {
        ok = hh_merkle_inclusion_proof(&br, i, size, px, &nx, NULL) == HH_OK &&
             hh_merkle_inclusion_proof(&mr, i, size, py, &ny, NULL) == HH_OK && nx == ny &&
             memcmp(px, py, nx * sizeof(px[0])) == 0;
        ok = ok && hh_merkle_consistency_proof(&br, i + 1, size, px, &nx, NULL) == HH_OK &&
             hh_merkle_consistency_proof(&mr, i + 1, size, py, &ny, NULL) == HH_OK && nx == ny &&
             memcmp(px, py, nx * sizeof(px[0])) == 0;
    }
    return ok;
}

/*
 * The batch's nodes are exactly those hh_merkle_append makes on the memtree
 * for the same leaves, in the same order.
 */
static int nodes_match(const struct hh_tree_batch *b, struct hh_memtree *t, uint64_t old,
                       uint64_t size)
{
    struct hh_hash_reader mr = hh_memtree_reader(t);
    const struct hh_subtree_id *ids;
    const struct hh_hash *hashes;
    struct hh_subtree_id want_ids[HH_MERKLE_MAX_PROOF];
    struct hh_hash want[HH_MERKLE_MAX_PROOF], l;
    size_t n = 0, k = 0, at = 0;

    hh_tree_batch_nodes(b, &ids, &hashes, &n);
    for (uint64_t i = old; i < size; i++) {
        leaf(i, &l);
        if (hh_merkle_append(&mr, i, &l, want_ids, want, &k, NULL) != HH_OK || at + k > n)
            return 0;
        for (size_t j = 0; j < k; j++, at++)
            if (ids[at].level != want_ids[j].level || ids[at].index != want_ids[j].index ||
                !hh_hash_equal(&hashes[at], &want[j]))
                return 0;
    }
    return at == n;
}

/* Appends n leaves through a batch, checks it, and writes entries and nodes to the store. */
static int batch_append(struct fixture *f, uint64_t n)
{
    struct hh_tree_batch *b = NULL;
    struct hh_store_entry *e = calloc(n + 1, sizeof(*e));
    uint8_t *buf = malloc(24 * (n + 1));
    const struct hh_subtree_id *ids;
    const struct hh_hash *hashes;
    uint64_t old = hh_memtree_size(f->t), size = 0;
    size_t nn = 0;
    int ok = e != NULL && buf != NULL && hh_tree_batch_new(f->s, old, old + n, &b, NULL) == HH_OK &&
             b != NULL;

    for (uint64_t i = 0; ok && i < n; i++) {
        struct hh_hash l;
        entry(old + i, buf + 24 * i);
        e[i].data = buf + 24 * i;
        e[i].len = 24;
        hh_sha256(e[i].data, 24, &e[i].id);
        leaf(old + i, &l);
        ok = hh_tree_batch_add(b, &l, NULL) == HH_OK && hh_memtree_append(f->t, &l) == HH_OK;
    }
    ok = ok && batch_agrees(b, f->t, old, old + n) && nodes_match(b, f->t, old, old + n);
    if (ok) {
        hh_tree_batch_nodes(b, &ids, &hashes, &nn);
        ok = hh_store_append(f->s, old, e, (size_t)n, ids, hashes, nn, NULL) == HH_OK &&
             hh_store_size(f->s, &size, NULL) == HH_OK && size == old + n;
    }
    hh_tree_batch_free(b);
    free(e);
    free(buf);
    return ok;
}

TEST(tree_batch_matches_memtree)
{
    static const uint64_t sizes[] = {1, 1, 2, 3, 1, 8, 7, 16, 100, 255, 256, 1, 1000, 24, 2};
    struct fixture f;
    struct hh_hash_reader sr;
    int bad = 0;

    CHECK(fixture_open(&f));
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (!batch_append(&f, sizes[i])) {
            hh_test_note("batch %zu of %llu leaves from size %llu", i, (unsigned long long)sizes[i],
                         (unsigned long long)hh_memtree_size(f.t));
            bad++;
        }
    }
    CHECK(bad == 0);
    /* the store alone now holds the whole tree */
    sr = hh_store_hash_reader(f.s);
    {
        struct hh_hash x, y;
        struct hh_hash_reader mr = hh_memtree_reader(f.t);
        uint64_t n = hh_memtree_size(f.t);
        CHECK(n == 1677);
        CHECK_OK(hh_merkle_root(&sr, n, &x, NULL));
        CHECK_OK(hh_merkle_root(&mr, n, &y, NULL));
        CHECK(hh_hash_equal(&x, &y));
    }
    fixture_close(&f);
}

TEST(tree_batch_random_sizes)
{
    struct fixture f;
    int bad = 0;

    CHECK(fixture_open(&f));
    for (int i = 0; i < 40; i++)
        bad += !batch_append(&f, 1 + hh_test_rand() % 70);
    CHECK(bad == 0);
    fixture_close(&f);
}

/* An empty batch, and a batch's reader before any leaf: everything comes from the store. */
TEST(tree_batch_reader_falls_through_to_store)
{
    struct fixture f, empty;
    struct hh_tree_batch *b = NULL;
    struct hh_hash_reader br, mr;
    struct hh_hash x, y, l;
    const struct hh_subtree_id *ids;
    const struct hh_hash *hashes;
    size_t n = 9;

    CHECK(fixture_open(&f) && fixture_open(&empty));
    CHECK(batch_append(&f, 13));
    mr = hh_memtree_reader(f.t);
    CHECK_OK(hh_tree_batch_new(f.s, 13, 13, &b, NULL));
    hh_tree_batch_nodes(b, &ids, &hashes, &n);
    CHECK(n == 0);
    br = hh_tree_batch_reader(b);
    for (uint64_t s = 1; s <= 13; s++) {
        CHECK_OK(hh_merkle_root(&br, s, &x, NULL));
        CHECK_OK(hh_merkle_root(&mr, s, &y, NULL));
        CHECK(hh_hash_equal(&x, &y));
    }
    leaf(13, &l);
    CHECK(hh_tree_batch_add(b, &l, NULL) != HH_OK);
    hh_tree_batch_free(b);
    /* the same batch over a store without those nodes cannot answer for them */
    CHECK_OK(hh_tree_batch_new(empty.s, 13, 16, &b, NULL));
    br = hh_tree_batch_reader(b);
    CHECK(hh_merkle_root(&br, 13, &x, NULL) == HH_ERR_NOT_FOUND);
    /* appending leaf 13 needs node (0, 12), which only the store had */
    CHECK(hh_tree_batch_add(b, &l, NULL) == HH_ERR_NOT_FOUND);
    hh_tree_batch_free(b);
    fixture_close(&f);
    fixture_close(&empty);
}

/* The reader answers from the batch only for nodes that are complete. */
TEST(tree_batch_reader_unfinished_nodes)
{
    struct fixture f;
    struct hh_tree_batch *b = NULL;
    struct hh_hash_reader br;
    struct hh_hash h, l, want;
    struct hh_subtree_id id;

    CHECK(fixture_open(&f));
    CHECK(batch_append(&f, 4));
    CHECK_OK(hh_tree_batch_new(f.s, 4, 8, &b, NULL));
    br = hh_tree_batch_reader(b);
    leaf(4, &l);
    CHECK_OK(hh_tree_batch_add(b, &l, NULL));
    CHECK_OK(hh_memtree_append(f.t, &l));
    id = (struct hh_subtree_id){0, 4};
    CHECK_OK(br.read(br.ctx, &id, 1, &h, NULL));
    CHECK(hh_hash_equal(&h, &l));
    /* leaf 5 is not there yet, nor node (1, 2) or (2, 1) */
    id = (struct hh_subtree_id){0, 5};
    CHECK(br.read(br.ctx, &id, 1, &h, NULL) == HH_ERR_NOT_FOUND);
    id = (struct hh_subtree_id){1, 2};
    CHECK(br.read(br.ctx, &id, 1, &h, NULL) == HH_ERR_NOT_FOUND);
    id = (struct hh_subtree_id){2, 1};
    CHECK(br.read(br.ctx, &id, 1, &h, NULL) == HH_ERR_NOT_FOUND);
    for (uint64_t i = 5; i < 8; i++) {
        leaf(i, &l);
        CHECK_OK(hh_tree_batch_add(b, &l, NULL));
        CHECK_OK(hh_memtree_append(f.t, &l));
    }
    /* now (2, 1) is complete, and (3, 0) joins it with (2, 0) from the store */
    {
        struct hh_hash_reader mr = hh_memtree_reader(f.t);
        id = (struct hh_subtree_id){2, 1};
        CHECK_OK(br.read(br.ctx, &id, 1, &h, NULL));
        CHECK_OK(mr.read(mr.ctx, &id, 1, &want, NULL));
        CHECK(hh_hash_equal(&h, &want));
        id = (struct hh_subtree_id){3, 0};
        CHECK_OK(br.read(br.ctx, &id, 1, &h, NULL));
        CHECK_OK(mr.read(mr.ctx, &id, 1, &want, NULL));
        CHECK(hh_hash_equal(&h, &want));
    }
    hh_tree_batch_free(b);
    fixture_close(&f);
}

TEST(tree_batch_more_leaves_than_declared)
{
    struct fixture f;
    struct hh_tree_batch *b = NULL;
    struct hh_error err = {0};
    const struct hh_subtree_id *ids;
    const struct hh_hash *hashes;
    struct hh_hash l;
    size_t n = 0, before;

    CHECK(fixture_open(&f));
    CHECK_OK(hh_tree_batch_new(f.s, 0, 3, &b, NULL));
    for (uint64_t i = 0; i < 3; i++) {
        leaf(i, &l);
        CHECK_OK(hh_tree_batch_add(b, &l, NULL));
    }
    hh_tree_batch_nodes(b, &ids, &hashes, &n);
    before = n;
    CHECK(n == 4); /* (0,0) (0,1) (1,0) (0,2) */
    leaf(3, &l);
    CHECK(hh_tree_batch_add(b, &l, &err) != HH_OK);
    CHECK(err.code != HH_OK && err.msg[0] != '\0');
    CHECK(hh_tree_batch_add(b, &l, NULL) != HH_OK);
    hh_tree_batch_nodes(b, &ids, &hashes, &n);
    CHECK(n == before);
    hh_tree_batch_free(b);
    hh_tree_batch_free(NULL);
    fixture_close(&f);
}

TEST(tree_batch_bad_sizes)
{
    struct fixture f;
    struct hh_tree_batch *b = (struct hh_tree_batch *)&f;
    struct hh_error err = {0};

    CHECK(fixture_open(&f));
    CHECK(hh_tree_batch_new(f.s, 5, 4, &b, &err) == HH_ERR_INVALID);
    CHECK(b == NULL && err.code == HH_ERR_INVALID);
    b = (struct hh_tree_batch *)&f;
    CHECK(hh_tree_batch_new(f.s, 0, HH_STORE_MAX_BATCH + 1, &b, NULL) == HH_ERR_INVALID);
    CHECK(b == NULL);
    CHECK(hh_tree_batch_new(f.s, UINT64_MAX - 1, 1, &b, NULL) == HH_ERR_INVALID);
    CHECK_OK(hh_tree_batch_new(f.s, 0, HH_STORE_MAX_BATCH, &b, NULL));
    hh_tree_batch_free(b);
    /* a batch near the top of the 64-bit range can be made (its nodes come from the store) */
    CHECK_OK(hh_tree_batch_new(f.s, UINT64_MAX - 10, UINT64_MAX - 1, &b, NULL));
    hh_tree_batch_free(b);
    fixture_close(&f);
}
