/*
 * test_tiles_vectors.c - tlog-tiles against public vectors: the C2SP spec's
 * index encoding and size-to-tiles table, and Sunlight's real mirror tiles of
 * a 300-leaf tree whose root is in a signed checkpoint.
 */
#include "harness.h"

#include <henhouse/tiles.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MIRROR                                                                                     \
    "sunlight-skylight/witness/mirror/"                                                            \
    "000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/"
#define MIRROR_ROOT "gw31yQrqZZCcEOPrzX+bpy3nJ6QgngTKn8G1m0i62uU="
#define MIRROR_SIZE 300

static json_t *load_examples(void)
{
    json_error_t jerr;
    json_t *j = json_load_file(hh_test_vector_path("c2sp/tlog-tiles-examples.json"), 0, &jerr);
    if (j == NULL)
        hh_test_note("tlog-tiles-examples.json: %s", jerr.text);
    return j;
}

TEST(tiles_vectors_index_encoding)
{
    json_t *j = load_examples(), *v;
    size_t i, count = 0;

    CHECK(j != NULL);
    if (j == NULL)
        return;
    json_array_foreach(json_object_get(j, "tile_index_encoding"), i, v)
    {
        uint64_t index = (uint64_t)json_integer_value(json_object_get(v, "index"));
        const char *enc = json_string_value(json_object_get(v, "encoded"));
        struct hh_tile t = {false, 0, index, 256}, back;
        char path[HH_TILE_PATH_MAX], want[HH_TILE_PATH_MAX];

        CHECK(enc != NULL);
        if (enc == NULL)
            continue;
        snprintf(want, sizeof(want), "tile/0/%s", enc);
        CHECK_OK(hh_tile_path(&t, path, sizeof(path)));
        CHECK(strcmp(path, want) == 0);
        CHECK_OK(hh_tile_parse_path(want, strlen(want), &back, NULL));
        CHECK(back.index == index && back.width == 256 && back.level == 0 && !back.entries);
        count++;
    }
    CHECK(count == 1);
    json_decref(j);
}

/* Checks one level's row: full tiles, then the partial (or none), then nothing. */
static int level_matches(uint64_t size, uint8_t level, uint64_t full, unsigned partial)
{
    struct hh_tile t;
    int ok = 1;

    if (full > 0)
        ok &= hh_tile_for_size(false, level, full - 1, size, &t) == HH_OK && t.width == 256;
    if (partial > 0)
        ok &= hh_tile_for_size(false, level, full, size, &t) == HH_OK && t.width == partial;
    else
        ok &= hh_tile_for_size(false, level, full, size, &t) == HH_ERR_NOT_FOUND;
    ok &= hh_tile_for_size(false, level, full + 1, size, &t) == HH_ERR_NOT_FOUND;
    if (!ok)
        hh_test_note("size %llu level %u", (unsigned long long)size, (unsigned)level);
    return ok;
}

static int size_row_matches(json_t *row)
{
    uint64_t size = (uint64_t)json_integer_value(json_object_get(row, "tree_size"));
    json_t *levels = json_object_get(row, "levels"), *lv;
    struct hh_tile t;
    size_t i, top = 0;
    int ok = json_array_size(levels) > 0;

    json_array_foreach(levels, i, lv)
    {
        json_int_t level = json_integer_value(json_object_get(lv, "level"));
        json_int_t full = json_integer_value(json_object_get(lv, "full_tiles"));
        json_int_t partial = json_integer_value(json_object_get(lv, "partial_tile_width"));
        ok &= level >= 0 && level <= 63 && full >= 0 && partial >= 0 && partial < 256;
        if (ok)
            ok &= level_matches(size, (uint8_t)level, (uint64_t)full, (unsigned)partial);
        if ((size_t)level + 1 > top)
            top = (size_t)level + 1;
    }
    /* No level above the table has any tile. */
    ok &= hh_tile_for_size(false, (uint8_t)top, 0, size, &t) == HH_ERR_NOT_FOUND;
    return ok;
}

TEST(tiles_vectors_size_table)
{
    json_t *j = load_examples(), *row;
    size_t i, rows = 0;

    CHECK(j != NULL);
    if (j == NULL)
        return;
    json_array_foreach(json_object_get(j, "tree_size_to_tiles"), i, row)
    {
        CHECK(size_row_matches(row));
        rows++;
    }
    CHECK(rows == 2);
    json_decref(j);
}

/* ---- Sunlight's mirror tiles ---- */

struct mirror {
    int fetches;
    int unknown; /* requests for tiles not in the vector */
};

static uint8_t *read_tile_file(const char *path, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof(rel), MIRROR "%s", path);
    return (uint8_t *)hh_test_read_file(hh_test_vector_path(rel), len);
}

static hh_status mirror_fetch(void *ctx, const struct hh_tile *t, uint8_t *out, size_t *got,
                              struct hh_error *err)
{
    struct mirror *m = ctx;
    char path[HH_TILE_PATH_MAX];
    uint8_t *data;
    size_t len = 0;

    m->fetches++;
    if (hh_tile_path(t, path, sizeof(path)) != HH_OK)
        return hh_error_set(err, HH_ERR_INVALID, "bad tile");
    data = read_tile_file(path, &len);
    if (data == NULL) {
        m->unknown++;
        return hh_error_set(err, HH_ERR_NOT_FOUND, "%s not in the vector", path);
    }
    if (len % HH_HASH_LEN != 0 || len > HH_TILE_BYTES) {
        free(data);
        return hh_error_set(err, HH_ERR_INVALID, "%s: %zu bytes", path, len);
    }
    memcpy(out, data, len);
    *got = len / HH_HASH_LEN;
    free(data);
    return HH_OK;
}

/* Leaf hashes of "record first" .. "record first+n-1" equal the tile's hashes. */
static int records_match(const uint8_t *tile, size_t first, size_t n)
{
    char rec[32];
    struct hh_hash h;

    for (size_t i = 0; i < n; i++) {
        int k = snprintf(rec, sizeof(rec), "record %zu", first + i);
        hh_merkle_leaf_hash(rec, (size_t)k, &h);
        if (memcmp(h.b, tile + i * HH_HASH_LEN, HH_HASH_LEN) != 0)
            return 0;
    }
    return 1;
}

/* MTH of the hashes in a tile, through an in-memory tree. */
static int tile_mth(const uint8_t *tile, size_t n, struct hh_hash *out)
{
    struct hh_memtree *mt = hh_memtree_new();
    struct hh_hash_reader r;
    struct hh_hash h;
    int ok = mt != NULL;

    for (size_t i = 0; ok && i < n; i++) {
        memcpy(h.b, tile + i * HH_HASH_LEN, HH_HASH_LEN);
        ok = hh_memtree_append(mt, &h) == HH_OK;
    }
    if (ok) {
        r = hh_memtree_reader(mt);
        ok = hh_merkle_root(&r, n, out, NULL) == HH_OK;
    }
    hh_memtree_free(mt);
    return ok;
}

static const char *const mirror_paths[3] = {"tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"};

TEST(tiles_vectors_sunlight_paths)
{
    /* The three files are exactly the tiles a tree of 300 leaves has. */
    struct hh_tile want[3], t;
    uint8_t *data;
    size_t len = 0;

    CHECK_OK(hh_tile_for_size(false, 0, 0, MIRROR_SIZE, &want[0]));
    CHECK_OK(hh_tile_for_size(false, 0, 1, MIRROR_SIZE, &want[1]));
    CHECK_OK(hh_tile_for_size(false, 1, 0, MIRROR_SIZE, &want[2]));
    CHECK_ERR(hh_tile_for_size(false, 0, 2, MIRROR_SIZE, &t), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_tile_for_size(false, 2, 0, MIRROR_SIZE, &t), HH_ERR_NOT_FOUND);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(hh_tile_parse_path(mirror_paths[i], strlen(mirror_paths[i]), &t, NULL));
        CHECK(t.level == want[i].level && t.index == want[i].index && t.width == want[i].width &&
              !t.entries);
        data = read_tile_file(mirror_paths[i], &len);
        CHECK(data != NULL && len == (size_t)t.width * HH_HASH_LEN);
        free(data);
    }
}

TEST(tiles_vectors_sunlight_contents)
{
    size_t l0 = 0, l0p = 0, l1 = 0;
    uint8_t *t0 = read_tile_file(mirror_paths[0], &l0);
    uint8_t *t0p = read_tile_file(mirror_paths[1], &l0p);
    uint8_t *t1 = read_tile_file(mirror_paths[2], &l1);
    struct hh_hash mth;

    CHECK(t0 != NULL && t0p != NULL && t1 != NULL);
    if (t0 == NULL || t0p == NULL || t1 == NULL)
        goto out;
    CHECK(l0 == 8192 && l0p == 44 * 32 && l1 == 32);
    /* Hashing "record 0".."record 299" reproduces both level-0 tiles. */
    CHECK(l0 == 8192 && records_match(t0, 0, 256));
    CHECK(l0p == 44 * 32 && records_match(t0p, 256, 44));
    CHECK(!records_match(t0p, 255, 44)); /* and the check can fail */
    /* The level-1 tile holds MTH of tile 0/000. */
    CHECK(l0 == 8192 && tile_mth(t0, 256, &mth) && memcmp(mth.b, t1, 32) == 0);
out:
    free(t0);
    free(t0p);
    free(t1);
}

TEST(tiles_vectors_sunlight_root)
{
    struct mirror m = {0, 0};
    struct hh_tile_reader *tr = hh_tile_reader_new(MIRROR_SIZE, mirror_fetch, &m);
    struct hh_hash_reader r;
    struct hh_hash want, root, leaf, proof[HH_MERKLE_MAX_PROOF];
    struct hh_error err = {0};
    size_t n = 0;
    uint64_t idx[] = {0, 1, 255, 256, 299};

    CHECK_OK(hh_hash_from_base64(MIRROR_ROOT, strlen(MIRROR_ROOT), &want, NULL));
    CHECK(tr != NULL);
    if (tr == NULL)
        return;
    r = hh_tile_reader_hashes(tr);
    CHECK_OK(hh_merkle_root(&r, MIRROR_SIZE, &root, &err));
    CHECK(hh_hash_equal(&root, &want));
    /* Inclusion proofs built from the tiles verify against the checkpoint's root. */
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
        char rec[32];
        int k = snprintf(rec, sizeof(rec), "record %llu", (unsigned long long)idx[i]);
        hh_merkle_leaf_hash(rec, (size_t)k, &leaf);
        CHECK_OK(hh_merkle_inclusion_proof(&r, idx[i], MIRROR_SIZE, proof, &n, &err));
        CHECK_OK(hh_merkle_verify_inclusion(idx[i], MIRROR_SIZE, &leaf, proof, n, &want, &err));
    }
    CHECK(m.unknown == 0 && m.fetches == 3); /* each tile once: the cache holds them */
    hh_tile_reader_free(tr);
}

TEST(tiles_vectors_sunlight_checkpoint_root)
{
    /* The checkpoint file's third line is the same root as MIRROR_ROOT. */
    size_t len = 0;
    char *cp = hh_test_read_file(hh_test_vector_path(MIRROR "checkpoint"), &len);

    CHECK(cp != NULL && strstr(cp, "\n300\n" MIRROR_ROOT "\n") != NULL);
    free(cp);
}
