/*
 * test_tiles.c - tile paths, tile geometry, the tile hash reader and entry bundles.
 *
 * The tile reader is checked against an in-memory tree: tiles are built from
 * an hh_memtree, and a reader over them must give the same roots and proofs
 * as the memtree for many tree sizes, asking only for tiles that exist.
 */
#include "harness.h"

#include <henhouse/tiles.h>

#include <stdlib.h>
#include <string.h>

static int parse_ok(const char *path, struct hh_tile *t)
{
    struct hh_error err = {0};
    hh_status rc = hh_tile_parse_path(path, strlen(path), t, &err);
    if (rc != HH_OK)
        hh_test_note("%s: %s", path, err.msg);
    return rc == HH_OK;
}

static int tile_eq(const struct hh_tile *a, const struct hh_tile *b)
{
    return a->entries == b->entries && a->level == b->level && a->index == b->index &&
           a->width == b->width;
}

static int path_is(bool entries, uint8_t level, uint64_t index, uint16_t width, const char *want)
{
    struct hh_tile t = {entries, level, index, width}, back;
    char buf[HH_TILE_PATH_MAX];

    if (hh_tile_path(&t, buf, sizeof(buf)) != HH_OK || strcmp(buf, want) != 0) {
        hh_test_note("want %s", want);
        return 0;
    }
    return parse_ok(want, &back) && tile_eq(&t, &back);
}

TEST(tile_path_known)
{
    CHECK(path_is(false, 0, 0, 256, "tile/0/000"));
    CHECK(path_is(false, 0, 5, 256, "tile/0/005"));
    CHECK(path_is(false, 0, 999, 256, "tile/0/999"));
    CHECK(path_is(false, 0, 1000, 256, "tile/0/x001/000"));
    CHECK(path_is(false, 2, 1234067, 256, "tile/2/x001/x234/067"));
    CHECK(path_is(false, 1, 0, 1, "tile/1/000.p/1"));
    CHECK(path_is(false, 0, 1, 44, "tile/0/001.p/44"));
    CHECK(path_is(false, 63, UINT64_MAX, 255, "tile/63/x018/x446/x744/x073/x709/x551/615.p/255"));
    CHECK(path_is(true, 0, 0, 256, "tile/entries/000"));
    CHECK(path_is(true, 0, 1000000, 7, "tile/entries/x001/x000/000.p/7"));
}

TEST(tile_path_roundtrip)
{
    uint64_t idx[] = {0,
                      1,
                      5,
                      999,
                      1000,
                      1001,
                      999999,
                      1000000,
                      1234067,
                      (uint64_t)1 << 56,
                      UINT64_MAX - 1,
                      UINT64_MAX,
                      0,
                      0,
                      0,
                      0};
    size_t nidx = sizeof(idx) / sizeof(idx[0]);
    char buf[HH_TILE_PATH_MAX];
    struct hh_tile t, back;
    int bad = 0;

    for (size_t i = 12; i < nidx; i++)
        idx[i] = hh_test_rand() >> (hh_test_rand() % 64);
    for (unsigned level = 0; level <= 64; level++) {
        for (size_t i = 0; i < nidx; i++) {
            for (unsigned w = 1; w <= 256; w++) {
                t = (struct hh_tile){level == 64, level == 64 ? 0 : (uint8_t)level, idx[i],
                                     (uint16_t)w};
                if (hh_tile_path(&t, buf, sizeof(buf)) != HH_OK || !parse_ok(buf, &back) ||
                    !tile_eq(&t, &back))
                    bad++;
            }
        }
    }
    CHECK(bad == 0);
}

TEST(tile_path_invalid_tiles)
{
    char buf[HH_TILE_PATH_MAX];
    struct hh_tile t = {false, 0, 5, 0};

    CHECK_ERR(hh_tile_path(&t, buf, sizeof(buf)), HH_ERR_INVALID);
    t.width = 257;
    CHECK_ERR(hh_tile_path(&t, buf, sizeof(buf)), HH_ERR_INVALID);
    t = (struct hh_tile){false, 64, 5, 256};
    CHECK_ERR(hh_tile_path(&t, buf, sizeof(buf)), HH_ERR_INVALID);
    t = (struct hh_tile){true, 1, 5, 256};
    CHECK_ERR(hh_tile_path(&t, buf, sizeof(buf)), HH_ERR_INVALID);
    t = (struct hh_tile){false, 0, 1234067, 256};
    CHECK_ERR(hh_tile_path(&t, buf, strlen("tile/0/x001/x234/067")), HH_ERR_TOO_LARGE);
    CHECK(buf[0] == '\0');
    CHECK_OK(hh_tile_path(&t, buf, strlen("tile/0/x001/x234/067") + 1));
    t.width = 5;
    CHECK_ERR(hh_tile_path(&t, buf, strlen("tile/0/x001/x234/067.p/5")), HH_ERR_TOO_LARGE);
}

static int rejected(const char *path, size_t len)
{
    struct hh_tile t = {true, 3, 7, 9};
    struct hh_error err = {0};
    hh_status rc = hh_tile_parse_path(path, len, &t, &err);

    if (rc == HH_OK)
        hh_test_note("accepted %.*s", (int)len, path);
    return rc != HH_OK && err.code == rc && err.msg[0] != '\0' && !t.entries && t.level == 0 &&
           t.index == 0 && t.width == 0;
}

TEST(tile_path_rejects)
{
    static const char *bad[] = {
        "",
        "tile",
        "tile/",
        "/tile/0/000",
        "Tile/0/000",
        "tiles/0/000",
        "tile/0/000/",
        "tile/0/00",
        "tile/0/5",
        "tile/0/0000",
        "tile/0/x005",
        "tile/0/x000/005",
        "tile/0/x000/x001/000",
        "tile/0/x001/x000",
        "tile/0/x001/",
        "tile/0/x001/0000",
        "tile/0/x1234/005",
        "tile/0/x01/005",
        "tile/0/X001/000",
        "tile/0/y001/000",
        "tile/0/x001\\000",
        "tile/0/0a0",
        "tile/0/-01",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/100/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/ 1/000",
        "tile//000",
        "tile/0//000",
        "tile/0",
        "tile/0/",
        "tile/entries",
        "tile/entries/",
        "tile/entries/x000/001",
        "tile/entries/0/000",
        "tile/entry/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/300",
        "tile/0/000.p/05",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000.",
        "tile/0/000p/5",
        "tile/0/000.q/5",
        "tile/0/000.P/5",
        "tile/0/000/p/5",
        "tile/0/000.p/5/",
        "tile/0/000.p/5.p/5",
        "tile/0/000.p/+5",
        "tile/0/000 ",
        " tile/0/000",
        "tile/0/000\n",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x999/x999/x999/x999/x999/x999/999",
        "tile/0/x001/x000/x000/x000/x000/x000/x000/000",
        "tile/0/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/005",
    };
    char longp[200];
    int bad_count = 0;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!rejected(bad[i], strlen(bad[i])))
            bad_count++;
    CHECK(bad_count == 0);
    /* An embedded NUL, and a valid path followed by one. */
    CHECK(rejected("tile/0/0\0000", 10));
    CHECK(rejected("tile/0/000\0", 11));
    /* A prefix of a valid path. */
    CHECK(rejected("tile/0/x001/000", 10));
    memset(longp, '0', sizeof(longp));
    memcpy(longp, "tile/0/", 7);
    CHECK(rejected(longp, sizeof(longp)));
    {
        struct hh_tile t;
        struct hh_error err = {0};
        CHECK_ERR(hh_tile_parse_path(longp, sizeof(longp), &t, &err), HH_ERR_TOO_LARGE);
        CHECK_ERR(hh_tile_parse_path("tile/0/000.p/256", 16, &t, &err), HH_ERR_INVALID);
        CHECK(strstr(err.msg, "256") != NULL);
    }
}

static uint64_t pow256(unsigned l)
{
    return l >= 8 ? 0 : (uint64_t)1 << (8 * l);
}

/* Checks hh_tile_for_size at level l against floor(s/256^(l+1)) full and the partial width. */
static int geometry_ok(uint64_t s, uint8_t l, uint64_t full, unsigned partial)
{
    struct hh_tile t;
    int ok = 1;

    if (full > 0)
        ok &= hh_tile_for_size(false, l, full - 1, s, &t) == HH_OK && t.width == 256 &&
              t.index == full - 1 && t.level == l && !t.entries;
    if (partial > 0)
        ok &= hh_tile_for_size(false, l, full, s, &t) == HH_OK && t.width == partial &&
              t.index == full;
    else
        ok &= hh_tile_for_size(false, l, full, s, &t) == HH_ERR_NOT_FOUND && t.width == 0;
    if (full < UINT64_MAX)
        ok &= hh_tile_for_size(false, l, full + 1, s, &t) == HH_ERR_NOT_FOUND;
    if (!ok)
        hh_test_note("size %llu level %u: want %llu full, partial %u", (unsigned long long)s,
                     (unsigned)l, (unsigned long long)full, partial);
    return ok;
}

static int formula_ok(uint64_t s)
{
    int ok = 1;
    for (unsigned l = 0; l <= HH_TILE_MAX_LEVEL; l++) {
        uint64_t count = l >= 8 ? 0 : s / pow256(l);
        ok &= geometry_ok(s, (uint8_t)l, count / 256, (unsigned)(count % 256));
    }
    return ok;
}

TEST(tile_geometry)
{
    struct hh_tile t;
    uint64_t sizes[] = {0, 1, 255, 256, 257, 65535, 65536, 65537, 70000, UINT64_MAX};

    /* The spec's example: 70000 leaves. */
    CHECK(geometry_ok(70000, 0, 273, 112));
    CHECK(geometry_ok(70000, 1, 1, 17));
    CHECK(geometry_ok(70000, 2, 0, 1));
    CHECK(geometry_ok(70000, 3, 0, 0));
    CHECK(geometry_ok(256, 0, 1, 0));
    CHECK(geometry_ok(256, 1, 0, 1));
    CHECK(geometry_ok(256, 2, 0, 0));
    CHECK(geometry_ok(0, 0, 0, 0));
    CHECK(geometry_ok(1, 0, 0, 1));
    CHECK(geometry_ok(1, 1, 0, 0));
    CHECK(geometry_ok(255, 0, 0, 255));
    CHECK(geometry_ok(255, 1, 0, 0));
    CHECK(geometry_ok(257, 0, 1, 1));
    CHECK(geometry_ok(257, 1, 0, 1));
    CHECK(geometry_ok(65536, 0, 256, 0));
    CHECK(geometry_ok(65536, 1, 1, 0));
    CHECK(geometry_ok(65536, 2, 0, 1));
    CHECK(geometry_ok(UINT64_MAX, 7, 0, 255));
    CHECK(geometry_ok(UINT64_MAX, 8, 0, 0));
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        CHECK(formula_ok(sizes[i]));
    for (int i = 0; i < 50; i++)
        CHECK(formula_ok(hh_test_rand() >> (hh_test_rand() % 64)));
    /* Entry bundles follow level 0. */
    CHECK_OK(hh_tile_for_size(true, 0, 273, 70000, &t));
    CHECK(t.entries && t.width == 112 && t.index == 273);
    CHECK_ERR(hh_tile_for_size(true, 1, 0, 70000, &t), HH_ERR_INVALID);
    CHECK_ERR(hh_tile_for_size(false, 64, 0, 70000, &t), HH_ERR_INVALID);
}

static int node_in(uint8_t level, uint64_t index, uint64_t size, uint8_t tl, uint64_t tn,
                   uint16_t tw, uint16_t tpos)
{
    struct hh_tile t;
    uint16_t pos;

    if (hh_tile_for_node(level, index, size, &t, &pos) != HH_OK)
        return 0;
    return !t.entries && t.level == tl && t.index == tn && t.width == tw && pos == tpos;
}

TEST(tile_for_node)
{
    struct hh_tile t;
    uint16_t pos;

    CHECK(node_in(0, 5, 6, 0, 0, 6, 5));
    CHECK(node_in(0, 255, 256, 0, 0, 256, 255));
    CHECK(node_in(0, 256, 70000, 0, 1, 256, 0));
    CHECK(node_in(0, 69999, 70000, 0, 273, 112, 111));
    CHECK(node_in(3, 2, 70000, 0, 0, 256, 16));
    CHECK(node_in(7, 1, 256, 0, 0, 256, 128));
    CHECK(node_in(8, 0, 256, 1, 0, 1, 0));
    CHECK(node_in(8, 272, 70000, 1, 1, 17, 16));
    CHECK(node_in(10, 3, 70000, 1, 0, 256, 12));
    CHECK(node_in(16, 0, 70000, 2, 0, 1, 0));
    CHECK(node_in(63, 0, UINT64_MAX, 7, 0, 255, 0));
    CHECK(node_in(56, 254, UINT64_MAX, 7, 0, 255, 254));
    CHECK_ERR(hh_tile_for_node(0, 5, 5, &t, &pos), HH_ERR_NOT_FOUND);
    CHECK(t.width == 0 && pos == 0);
    CHECK_ERR(hh_tile_for_node(8, 0, 255, &t, &pos), HH_ERR_NOT_FOUND);
    CHECK(node_in(3, 8749, 70000, 0, 273, 112, 104));
    CHECK_ERR(hh_tile_for_node(3, 8750, 70000, &t, &pos), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_tile_for_node(63, 1, UINT64_MAX, &t, &pos), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_tile_for_node(64, 0, UINT64_MAX, &t, &pos), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_tile_for_node(0, 0, 0, &t, &pos), HH_ERR_NOT_FOUND);
}

TEST(tile_for_node_property)
{
    int bad = 0;

    for (int i = 0; i < 20000; i++) {
        uint64_t size = hh_test_rand() >> (hh_test_rand() % 64);
        uint8_t level = (uint8_t)(hh_test_rand() % 64);
        uint64_t count = size >> level, index;
        struct hh_tile t;
        uint16_t pos;
        if (count == 0)
            continue;
        index = hh_test_rand() % count;
        if (hh_tile_for_node(level, index, size, &t, &pos) != HH_OK) {
            bad++;
            continue;
        }
        /* The folded hashes lie inside the tile, and the tile is the one the size has. */
        uint64_t first = index << (level % 8);
        struct hh_tile want;
        if (t.level != level / 8 || t.index != first / 256 || pos != first % 256 ||
            (unsigned)pos + (1u << (level % 8)) > t.width ||
            hh_tile_for_size(false, t.level, t.index, size, &want) != HH_OK || !tile_eq(&t, &want))
            bad++;
    }
    CHECK(bad == 0);
}

TEST(tile_for_nodes_dedup)
{
    struct hh_subtree_id ids[] = {{0, 0}, {0, 1}, {0, 300}, {1, 0}, {8, 0}, {3, 2}, {0, 999}};
    struct hh_tile out[8];
    size_t n = 99;

    CHECK_OK(hh_tiles_for_nodes(ids, 7, 1000, out, 8, &n));
    CHECK(n == 4);
    CHECK(n == 4 && out[0].level == 0 && out[0].index == 0 && out[0].width == 256);
    CHECK(n == 4 && out[1].level == 0 && out[1].index == 1 && out[1].width == 256);
    CHECK(n == 4 && out[2].level == 1 && out[2].index == 0 && out[2].width == 3);
    CHECK(n == 4 && out[3].level == 0 && out[3].index == 3 && out[3].width == 232);
    CHECK_ERR(hh_tiles_for_nodes(ids, 7, 1000, out, 3, &n), HH_ERR_TOO_LARGE);
    CHECK(n == 0);
    CHECK_ERR(hh_tiles_for_nodes(ids, 7, 999, out, 8, &n), HH_ERR_NOT_FOUND);
    CHECK(n == 0);
    CHECK_OK(hh_tiles_for_nodes(ids, 0, 999, out, 0, &n));
    CHECK(n == 0);
}

/* ---- tiles built from an in-memory tree ---- */

#define BIG_TREE 70000

static struct hh_memtree *big_tree(void)
{
    static struct hh_memtree *t;
    char buf[32];
    struct hh_hash h;

    if (t != NULL)
        return t;
    t = hh_memtree_new();
    for (uint64_t i = 0; t != NULL && i < BIG_TREE; i++) {
        int n = snprintf(buf, sizeof(buf), "leaf %llu", (unsigned long long)i);
        hh_merkle_leaf_hash(buf, (size_t)n, &h);
        if (hh_memtree_append(t, &h) != HH_OK)
            return NULL;
    }
    return t;
}

struct fetcher {
    struct hh_hash_reader src; /* the memtree of BIG_TREE leaves */
    uint64_t size;             /* the size the tile reader was made for */
    bool full_for_partial;     /* answer partial requests with the full tile when it exists */
    int fetches;
    int bad_requests; /* requests for tiles the tree of `size` does not have */
    size_t force_got; /* when non-zero, report this many hashes */
    hh_status fail;   /* when not HH_OK, fail with this */
};

static hh_status fetch(void *ctx, const struct hh_tile *t, uint8_t *out, size_t *got,
                       struct hh_error *err)
{
    struct fetcher *f = ctx;
    struct hh_tile want, serve = *t;

    f->fetches++;
    if (f->fail != HH_OK)
        return hh_error_set(err, f->fail, "no such tile");
    if (hh_tile_for_size(false, t->level, t->index, f->size, &want) != HH_OK || !tile_eq(&want, t))
        f->bad_requests++;
    if (f->full_for_partial &&
        hh_tile_for_size(false, t->level, t->index, BIG_TREE, &want) == HH_OK && want.width == 256)
        serve = want;
    *got = f->force_got != 0 ? f->force_got : serve.width;
    return hh_tile_read_hashes(&f->src, &serve, out, HH_TILE_BYTES, err);
}

static int same_proof(const struct hh_hash *a, size_t na, const struct hh_hash *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (!hh_hash_equal(&a[i], &b[i]))
            return 0;
    return 1;
}

static int inclusion_matches(const struct hh_hash_reader *mem, const struct hh_hash_reader *tr,
                             uint64_t index, uint64_t size, const struct hh_hash *root)
{
    struct hh_hash p1[HH_MERKLE_MAX_PROOF], p2[HH_MERKLE_MAX_PROOF], leaf;
    size_t n1 = 0, n2 = 0;
    struct hh_subtree_id id = {0, index};

    if (hh_merkle_inclusion_proof(mem, index, size, p1, &n1, NULL) != HH_OK ||
        hh_merkle_inclusion_proof(tr, index, size, p2, &n2, NULL) != HH_OK ||
        tr->read(tr->ctx, &id, 1, &leaf, NULL) != HH_OK)
        return 0;
    return same_proof(p1, n1, p2, n2) &&
           hh_merkle_verify_inclusion(index, size, &leaf, p2, n2, root, NULL) == HH_OK;
}

static int consistency_matches(const struct hh_hash_reader *mem, const struct hh_hash_reader *tr,
                               uint64_t old, uint64_t size, const struct hh_hash *root)
{
    struct hh_hash p1[HH_MERKLE_MAX_PROOF], p2[HH_MERKLE_MAX_PROOF], old_root;
    size_t n1 = 0, n2 = 0;

    if (hh_merkle_consistency_proof(mem, old, size, p1, &n1, NULL) != HH_OK ||
        hh_merkle_consistency_proof(tr, old, size, p2, &n2, NULL) != HH_OK ||
        hh_merkle_root(mem, old, &old_root, NULL) != HH_OK)
        return 0;
    return same_proof(p1, n1, p2, n2) &&
           hh_merkle_verify_consistency(old, size, &old_root, root, p2, n2, NULL) == HH_OK;
}

/* Root, inclusion and consistency proofs through tiles equal the memtree's at size. */
static int tiles_match_memtree(struct hh_memtree *mt, uint64_t size, bool full_for_partial)
{
    struct fetcher f = {hh_memtree_reader(mt), size, full_for_partial, 0, 0, 0, HH_OK};
    struct hh_tile_reader *tr = hh_tile_reader_new(size, fetch, &f);
    struct hh_hash_reader r = hh_tile_reader_hashes(tr);
    struct hh_hash want, got;
    int ok;

    if (tr == NULL)
        return 0;
    ok = hh_merkle_root(&f.src, size, &want, NULL) == HH_OK &&
         hh_merkle_root(&r, size, &got, NULL) == HH_OK && hh_hash_equal(&want, &got);
    for (int i = 0; ok && i < 4 && size > 0; i++)
        ok = inclusion_matches(&f.src, &r, hh_test_rand() % size, size, &want);
    if (ok && size > 0)
        ok = inclusion_matches(&f.src, &r, size - 1, size, &want);
    for (int i = 0; ok && i < 4 && size > 0; i++)
        ok = consistency_matches(&f.src, &r, 1 + hh_test_rand() % size, size, &want);
    ok = ok && f.bad_requests == 0;
    if (!ok)
        hh_test_note("size %llu full_for_partial %d: mismatch (bad requests %d)",
                     (unsigned long long)size, (int)full_for_partial, f.bad_requests);
    hh_tile_reader_free(tr);
    return ok;
}

TEST(tile_reader_matches_memtree)
{
    struct hh_memtree *mt = big_tree();
    uint64_t sizes[] = {1, 2, 3, 255, 256, 257, 511, 512, 4097, 65535, 65536, 65537, 69999, 70000};
    int bad = 0;

    CHECK(mt != NULL && hh_memtree_size(mt) == BIG_TREE);
    if (mt == NULL)
        return;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int full = 0; full < 2; full++)
            bad += !tiles_match_memtree(mt, sizes[i], full);
    for (int i = 0; i < 40; i++)
        bad += !tiles_match_memtree(mt, 1 + hh_test_rand() % BIG_TREE, i % 2);
    CHECK(bad == 0);
}

TEST(tile_read_hashes)
{
    struct hh_memtree *mt = big_tree();
    struct hh_hash_reader r;
    struct hh_tile t = {false, 0, 1, 44};
    struct hh_error err = {0};
    struct hh_subtree_id id;
    struct hh_hash h;
    uint8_t *buf = malloc(HH_TILE_BYTES);
    int bad = 0;

    CHECK(mt != NULL && buf != NULL);
    if (mt == NULL || buf == NULL)
        goto out;
    r = hh_memtree_reader(mt);
    CHECK_OK(hh_tile_read_hashes(&r, &t, buf, 44 * 32, &err));
    for (uint64_t i = 0; i < 44; i++) {
        id = (struct hh_subtree_id){0, 256 + i};
        bad += r.read(r.ctx, &id, 1, &h, NULL) != HH_OK || memcmp(h.b, buf + i * 32, 32) != 0;
    }
    CHECK(bad == 0);
    t = (struct hh_tile){false, 1, 0, 256};
    CHECK_OK(hh_tile_read_hashes(&r, &t, buf, HH_TILE_BYTES, &err));
    id = (struct hh_subtree_id){8, 255};
    CHECK(r.read(r.ctx, &id, 1, &h, NULL) == HH_OK && memcmp(h.b, buf + 255 * 32, 32) == 0);
    /* Errors: short buffer, entry bundle, level too high, index overflow, beyond the tree. */
    t = (struct hh_tile){false, 0, 1, 44};
    CHECK_ERR(hh_tile_read_hashes(&r, &t, buf, 44 * 32 - 1, &err), HH_ERR_TOO_LARGE);
    t.entries = true;
    CHECK_ERR(hh_tile_read_hashes(&r, &t, buf, HH_TILE_BYTES, &err), HH_ERR_INVALID);
    t = (struct hh_tile){false, 8, 0, 1};
    CHECK_ERR(hh_tile_read_hashes(&r, &t, buf, HH_TILE_BYTES, &err), HH_ERR_INVALID);
    t = (struct hh_tile){false, 0, UINT64_MAX, 1};
    CHECK_ERR(hh_tile_read_hashes(&r, &t, buf, HH_TILE_BYTES, &err), HH_ERR_INVALID);
    t = (struct hh_tile){false, 0, 273, 113};
    CHECK(hh_tile_read_hashes(&r, &t, buf, HH_TILE_BYTES, &err) != HH_OK);
    CHECK(buf[0] == 0 && buf[HH_TILE_BYTES - 1] == 0);
out:
    free(buf);
}

TEST(tile_reader_errors)
{
    struct hh_memtree *mt = big_tree();
    struct fetcher f = {{0}, 1000, false, 0, 0, 0, HH_OK};
    struct hh_tile_reader *tr = hh_tile_reader_new(1000, fetch, &f);
    struct hh_hash_reader r;
    struct hh_subtree_id ids[3] = {{0, 0}, {0, 999}, {0, 1000}};
    struct hh_hash out[3];
    struct hh_error err = {0};

    CHECK(hh_tile_reader_new(1000, NULL, NULL) == NULL);
    CHECK(mt != NULL && tr != NULL);
    if (mt == NULL || tr == NULL)
        goto out;
    f.src = hh_memtree_reader(mt);
    r = hh_tile_reader_hashes(tr);
    /* A node beyond the tree: not found, and outputs are zeroed. */
    CHECK_ERR(r.read(r.ctx, ids, 3, out, &err), HH_ERR_NOT_FOUND);
    CHECK(out[0].b[0] == 0 && out[1].b[31] == 0);
    /* Cached tiles are not fetched again. */
    f.fetches = 0;
    CHECK_OK(r.read(r.ctx, ids, 2, out, &err));
    CHECK_OK(r.read(r.ctx, ids, 2, out, &err));
    CHECK(f.fetches == 0); /* both tiles were cached by the first call */
    hh_tile_reader_free(tr);

    /* A fetch that reports the wrong number of hashes is refused. */
    tr = hh_tile_reader_new(1000, fetch, &f);
    r = hh_tile_reader_hashes(tr);
    f.force_got = 100; /* tile 0/003.p/232 */
    CHECK_ERR(r.read(r.ctx, &ids[1], 1, out, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "tile/0/003.p/232") != NULL);
    f.force_got = 8192;
    CHECK_ERR(r.read(r.ctx, &ids[1], 1, out, &err), HH_ERR_INVALID);
    /* ... and a full tile for a partial request is accepted. */
    f.force_got = 256;
    CHECK_OK(r.read(r.ctx, &ids[1], 1, out, &err));
    hh_tile_reader_free(tr);

    /* A failing fetch passes its error on, naming the tile. */
    tr = hh_tile_reader_new(1000, fetch, &f);
    r = hh_tile_reader_hashes(tr);
    f.force_got = 0;
    f.fail = HH_ERR_IO;
    err = (struct hh_error){0};
    CHECK_ERR(r.read(r.ctx, ids, 1, out, &err), HH_ERR_IO);
    CHECK(strstr(err.msg, "tile/0/000") != NULL);
    /* ... and a failed fetch leaves nothing cached. */
    f.fail = HH_OK;
    CHECK_OK(r.read(r.ctx, ids, 1, out, &err));
out:
    hh_tile_reader_free(tr);
    hh_tile_reader_free(NULL);
}

/* ---- entry bundles ---- */

TEST(bundle_roundtrip)
{
    uint8_t *buf = malloc(HH_BUNDLE_MAX_BYTES), *entry = malloc(HH_ENTRY_MAX);
    const uint8_t *entries[HH_TILE_WIDTH];
    size_t lens[HH_TILE_WIDTH], used = 0, want[HH_TILE_WIDTH];
    struct hh_error err = {0};
    int bad = 0;

    CHECK(buf != NULL && entry != NULL);
    if (buf == NULL || entry == NULL)
        goto out;
    for (size_t i = 0; i < HH_ENTRY_MAX; i++)
        entry[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < HH_TILE_WIDTH; i++) {
        want[i] = i == 0 ? 0 : i == 1 ? HH_ENTRY_MAX : i == 2 ? 1 : hh_test_rand() % 3000;
        CHECK_OK(hh_bundle_append(buf, HH_BUNDLE_MAX_BYTES, &used, entry, want[i]));
    }
    CHECK_OK(hh_bundle_parse(buf, used, HH_TILE_WIDTH, entries, lens, &err));
    for (size_t i = 0; i < HH_TILE_WIDTH; i++)
        bad += lens[i] != want[i] || (want[i] > 0 && memcmp(entries[i], entry, want[i]) != 0);
    CHECK(bad == 0);
    /* A one-entry bundle, as a partial bundle of width 1. */
    used = 0;
    CHECK_OK(hh_bundle_append(buf, 16, &used, "abc", 3));
    CHECK(used == 5 && buf[0] == 0 && buf[1] == 3 && memcmp(buf + 2, "abc", 3) == 0);
    CHECK_OK(hh_bundle_parse(buf, used, 1, entries, lens, &err));
    CHECK(lens[0] == 3 && entries[0] == buf + 2 && entries[1] == NULL);
    /* The full-size bundle: 256 entries of 65535 bytes. */
    used = 0;
    for (size_t i = 0; i < HH_TILE_WIDTH; i++)
        CHECK_OK(hh_bundle_append(buf, HH_BUNDLE_MAX_BYTES, &used, entry, HH_ENTRY_MAX));
    CHECK(used == HH_BUNDLE_MAX_BYTES);
    CHECK_OK(hh_bundle_parse(buf, used, HH_TILE_WIDTH, entries, lens, &err));
out:
    free(buf);
    free(entry);
}

static int bundle_rejected(const uint8_t *buf, size_t len, size_t expected, hh_status code)
{
    const uint8_t *entries[HH_TILE_WIDTH];
    size_t lens[HH_TILE_WIDTH];
    struct hh_error err = {0};
    hh_status rc = hh_bundle_parse(buf, len, expected, entries, lens, &err);
    int cleared = 1;

    for (size_t i = 0; i < HH_TILE_WIDTH; i++)
        cleared &= entries[i] == NULL && lens[i] == 0;
    if (rc != code)
        hh_test_note("len %zu expected %zu: got %s (%s)", len, expected, hh_status_name(rc),
                     err.msg);
    return rc == code && cleared && err.msg[0] != '\0';
}

TEST(bundle_malformed)
{
    uint8_t buf[64];
    size_t used = 0;
    uint8_t big[2];

    CHECK_OK(hh_bundle_append(buf, sizeof(buf), &used, "one", 3));
    CHECK_OK(hh_bundle_append(buf, sizeof(buf), &used, "three", 5));
    CHECK(used == 12);
    CHECK(bundle_rejected(buf, 0, 1, HH_ERR_INVALID));    /* empty */
    CHECK(bundle_rejected(buf, 1, 1, HH_ERR_INVALID));    /* truncated length */
    CHECK(bundle_rejected(buf, 4, 1, HH_ERR_INVALID));    /* truncated entry */
    CHECK(bundle_rejected(buf, 6, 2, HH_ERR_INVALID));    /* second length missing */
    CHECK(bundle_rejected(buf, 8, 2, HH_ERR_INVALID));    /* second length truncated */
    CHECK(bundle_rejected(buf, 11, 2, HH_ERR_INVALID));   /* second entry truncated */
    CHECK(bundle_rejected(buf, 12, 1, HH_ERR_INVALID));   /* fewer expected: trailing bytes */
    CHECK(bundle_rejected(buf, 12, 3, HH_ERR_INVALID));   /* more expected than present */
    CHECK(bundle_rejected(buf, 12, 0, HH_ERR_INVALID));   /* count 0 */
    CHECK(bundle_rejected(buf, 12, 257, HH_ERR_INVALID)); /* count over 256 */
    buf[12] = 0;
    CHECK(bundle_rejected(buf, 13, 2, HH_ERR_INVALID)); /* one trailing byte */
    CHECK(bundle_rejected(buf, HH_BUNDLE_MAX_BYTES + 1, 1, HH_ERR_TOO_LARGE));
    {
        const uint8_t *entries[HH_TILE_WIDTH];
        size_t lens[HH_TILE_WIDTH];
        CHECK_OK(hh_bundle_parse(buf, 12, 2, entries, lens, NULL));
        CHECK(lens[0] == 3 && lens[1] == 5 && memcmp(entries[1], "three", 5) == 0);
    }
    /* Appending: entry too long, buffer too small; nothing is written on failure. */
    used = 0;
    CHECK_ERR(hh_bundle_append(buf, sizeof(buf), &used, buf, HH_ENTRY_MAX + 1), HH_ERR_TOO_LARGE);
    CHECK_ERR(hh_bundle_append(big, sizeof(big), &used, "x", 1), HH_ERR_TOO_LARGE);
    CHECK(used == 0);
    CHECK_OK(hh_bundle_append(big, sizeof(big), &used, "", 0));
    CHECK(used == 2 && big[0] == 0 && big[1] == 0);
    CHECK_ERR(hh_bundle_append(big, sizeof(big), &used, "", 0), HH_ERR_TOO_LARGE);
    CHECK(used == 2);
}
