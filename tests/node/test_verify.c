/*
 * test_verify.c - the log verifier (verify.h) and its tile sources.
 *
 * Two kinds of logs: real node directories (verify_fixture.h), built
 * through the sequencer with envelopes signed by the node's operator key and
 * read through the store tile source, whatever backend holds them; and
 * in-memory logs served by a test tile source, cheap enough to cross the
 * level-2 tile boundary (65,536 entries) and to corrupt any tile in any way.
 * Node directories tampered with in the database itself are the SQLite
 * backend's (test_verify_sqlite.c). Every failure is checked for its exact
 * message: the tile path and entry index, and the expected and found hashes.
 */
#include "harness.h"

#include "node_fixture.h"
#include "verify_fixture.h"

#include <henhouse/client/tile_source.h>
#include <henhouse/client/verify.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- node directories ---- */

TEST(verify_store_growing_log)
{
    static const uint64_t sizes[] = {1, 255, 256, 257, 3000};
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct vf_log f;

    if (!CHECK(vf_log_init(&f, 0)))
        goto out;
    CHECK_OK(vf_verify_dir(&f, &v, &res, &err));
    CHECK(res.size == 0 && res.entries == 0 && res.tiles == 0 && res.have_checkpoint);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (!CHECK(vf_log_grow(&f, sizes[i])))
            goto out;
        for (unsigned threads = 1; threads <= 3; threads++) {
            v.threads = threads;
            if (!CHECK(vf_verify_dir(&f, &v, &res, &err) == HH_OK))
                hh_test_note("size %llu: %s", (unsigned long long)sizes[i], err.msg);
            CHECK(res.size == sizes[i] && res.entries == sizes[i]);
            CHECK(res.bundles == (sizes[i] + 255) / 256);
            CHECK(res.tiles == vf_tiles_for(sizes[i]));
            CHECK(strcmp(res.origin, VF_ORIGIN) == 0);
        }
    }
out:
    vf_log_free(&f);
}

TEST(verify_store_old_checkpoints)
{
    static const uint64_t sizes[] = {1, 100, 256, 700, 1024, 3000};
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct vf_log f;

    if (!CHECK(vf_log_init(&f, 0)))
        goto out;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (!CHECK(vf_log_grow(&f, sizes[i])))
            goto out;
    for (size_t i = 0; i < f.nnotes; i++) {
        v.old = f.notes[i];
        v.old_len = f.note_lens[i];
        v.threads = 1 + (unsigned)(i % 3);
        if (!CHECK(vf_verify_dir(&f, &v, &res, &err) == HH_OK))
            hh_test_note("old %llu: %s", (unsigned long long)f.note_sizes[i], err.msg);
        CHECK(res.have_old && res.old_size == f.note_sizes[i] && res.size == 3000);
    }
out:
    vf_log_free(&f);
}

TEST(verify_store_bad_old_checkpoints)
{
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_signer *stranger = NULL;
    struct hh_hash wrong;
    char *note = NULL;
    size_t len = 0;
    struct vf_log f;

    memset(wrong.b, 9, sizeof(wrong.b));
    if (!CHECK(vf_log_init(&f, 700)))
        goto out;
    v.old = note = fx_sign_checkpoint(f.log, VF_ORIGIN, 500, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "old checkpoint root mismatch: it says "));
    CHECK(strstr(err.msg, "for size 500, the first 500 entries give ") != NULL);
    CHECK(res.root.b[0] != 0 || res.root.b[1] != 0); /* the new checkpoint was verified */
    free(note);
    v.old = note = fx_sign_checkpoint(f.log, VF_ORIGIN, 701, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg, "old checkpoint has size 701, larger than the log's 700") == 0);
    free(note);
    v.old = note = fx_sign_checkpoint(f.log, "example.org/them", 10, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "old checkpoint is for origin 'example.org/them'"));
    free(note);
    CHECK_OK(hh_signer_generate(VF_ORIGIN, HH_KEY_ED25519, &stranger, NULL));
    v.old = note = fx_sign_checkpoint(stranger, VF_ORIGIN, 10, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "old checkpoint: signature by example.org/us: "));
    CHECK(!res.have_checkpoint);
    v.old = "not a note";
    v.old_len = 10;
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_INVALID);
    CHECK(vf_starts_with(err.msg, "old checkpoint: "));
out:
    free(note);
    hh_signer_free(stranger);
    vf_log_free(&f);
}

/* ---- in-memory logs ---- */

enum tamper { T_NONE, T_FLIP, T_TRUNCATE, T_EXTEND, T_FAIL };

struct memlog {
    uint64_t size; /* the size served; the tree may hold more */
    uint64_t cap;
    char **entries;
    size_t *lens;
    struct hh_memtree *tree;
    struct hh_signer *key;
    struct hh_verifier vkey;
    char *note;
    size_t note_len;
    enum tamper how;
    struct hh_tile victim;
    size_t at; /* byte flipped */
};

/* A well-formed envelope for entry i whose signature nobody checks. */
static char *fake_entry(uint64_t i, size_t *len)
{
    char payload[64], p64[128], sig64[128], *out = malloc(512);
    uint8_t sig[64];
    int n = snprintf(payload, sizeof(payload), "entry %llu", (unsigned long long)i);

    memset(sig, (int)(i & 0xff), sizeof(sig));
    if (out == NULL || hh_base64_encode(payload, (size_t)n, p64, sizeof(p64)) != HH_OK ||
        hh_base64_encode(sig, sizeof(sig), sig64, sizeof(sig64)) != HH_OK) {
        free(out);
        return NULL;
    }
    n = snprintf(out, 512,
                 "{\"payload\":\"%s\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"\","
                 "\"sig\":\"%s\"}]}",
                 p64, sig64);
    *len = (size_t)n;
    return out;
}

static bool memlog_resize(struct memlog *m, uint64_t size)
{
    struct hh_hash_reader r = hh_memtree_reader(m->tree);
    struct hh_hash root;

    free(m->note);
    m->note = NULL;
    m->size = size;
    return hh_merkle_root(&r, size, &root, NULL) == HH_OK &&
           (m->note = fx_sign_checkpoint(m->key, "mem.example/log", size, &root, &m->note_len)) !=
               NULL;
}

static bool memlog_init(struct memlog *m, uint64_t cap)
{
    memset(m, 0, sizeof(*m));
    m->cap = cap;
    m->entries = calloc(cap + 1, sizeof(*m->entries));
    m->lens = calloc(cap + 1, sizeof(*m->lens));
    m->tree = hh_memtree_new();
    if (hh_init() != HH_OK || m->entries == NULL || m->lens == NULL || m->tree == NULL ||
        hh_signer_generate("mem.example/log", HH_KEY_ED25519, &m->key, NULL) != HH_OK)
        return false;
    hh_signer_verifier(m->key, &m->vkey);
    for (uint64_t i = 0; i < cap; i++) {
        struct hh_hash leaf;
        if ((m->entries[i] = fake_entry(i, &m->lens[i])) == NULL)
            return false;
        hh_merkle_leaf_hash(m->entries[i], m->lens[i], &leaf);
        if (hh_memtree_append(m->tree, &leaf) != HH_OK)
            return false;
    }
    return memlog_resize(m, cap);
}

static void memlog_free(struct memlog *m)
{
    for (uint64_t i = 0; m->entries != NULL && i < m->cap; i++)
        free(m->entries[i]);
    free(m->entries);
    free(m->lens);
    free(m->note);
    hh_memtree_free(m->tree);
    hh_signer_free(m->key);
}

static hh_status mem_open(void *ctx, void **conn, struct hh_error *err)
{
    (void)err;
    *conn = ctx;
    return HH_OK;
}

static void mem_close(void *conn)
{
    (void)conn;
}

static hh_status mem_checkpoint(void *conn, size_t max, uint8_t **out, size_t *len,
                                struct hh_error *err)
{
    struct memlog *m = conn;

    *out = malloc(m->note_len + 1);
    if (*out == NULL || m->note_len > max)
        return hh_error_set(err, HH_ERR_IO, "no checkpoint");
    memcpy(*out, m->note, m->note_len);
    *len = m->note_len;
    return HH_OK;
}

static hh_status mem_bytes(struct memlog *m, const struct hh_tile *t, uint8_t *buf, size_t cap,
                           size_t *len)
{
    struct hh_hash_reader r = hh_memtree_reader(m->tree);

    *len = 0;
    if (!t->entries) {
        *len = (size_t)t->width * HH_HASH_LEN;
        return hh_tile_read_hashes(&r, t, buf, cap, NULL);
    }
    for (size_t i = 0; i < t->width; i++) {
        uint64_t k = t->index * HH_TILE_WIDTH + i;
        if (hh_bundle_append(buf, cap, len, m->entries[k], m->lens[k]) != HH_OK)
            return HH_ERR_INTERNAL;
    }
    return HH_OK;
}

static bool same_tile(const struct hh_tile *a, const struct hh_tile *b)
{
    return a->entries == b->entries && a->level == b->level && a->index == b->index &&
           a->width == b->width;
}

static hh_status mem_tile(void *conn, const struct hh_tile *t, size_t max, uint8_t **out,
                          size_t *len, struct hh_error *err)
{
    struct memlog *m = conn;
    size_t cap = (size_t)t->width * (2 + 1024) + 1;
    bool victim = m->how != T_NONE && same_tile(t, &m->victim);
    uint8_t *buf = malloc(cap);

    *out = NULL;
    if (buf == NULL || mem_bytes(m, t, buf, cap, len) != HH_OK || (victim && m->how == T_FAIL)) {
        free(buf);
        return hh_error_set(err, HH_ERR_IO, "cannot serve the tile");
    }
    if (victim && m->how == T_FLIP)
        buf[m->at] ^= 1;
    if (victim && m->how == T_TRUNCATE)
        (*len)--;
    if (victim && m->how == T_EXTEND)
        buf[(*len)++] = 0;
    if (*len > max) {
        free(buf);
        return hh_error_set(err, HH_ERR_TOO_LARGE, "over the limit");
    }
    *out = buf;
    return HH_OK;
}

static hh_status verify_mem(struct memlog *m, const char *old, size_t old_len, unsigned threads,
                            struct hh_verify_result *res, struct hh_error *err)
{
    struct hh_tile_source src = {mem_open, mem_close, mem_checkpoint, mem_tile, NULL, m};
    struct hh_verify_options o;

    memset(&o, 0, sizeof(o));
    o.log_key = &m->vkey;
    o.old_note = old;
    o.old_note_len = old_len;
    o.threads = threads;
    return hh_verify_log(&src, &o, res, err);
}

TEST(verify_memory_sizes_and_old_sizes)
{
    static const uint64_t sizes[] = {0,   1,    2,     255,   256,   257,  511,
                                     512, 4097, 65535, 65536, 65537, 66311};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct memlog m;

    if (!CHECK(memlog_init(&m, 66311)))
        goto out;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t size = sizes[i];
        CHECK(memlog_resize(&m, size));
        if (!CHECK(verify_mem(&m, NULL, 0, 2, &res, &err) == HH_OK))
            hh_test_note("size %llu: %s", (unsigned long long)size, err.msg);
        CHECK(res.size == size && res.entries == size && res.tiles == vf_tiles_for(size));
        if (size < 257 || (size > 4097 && size < 66311))
            continue;
        /* Old sizes at and around tile edges, and random ones (fewer for the big log). */
        uint64_t olds[] = {255,
                           65536,
                           size - 1,
                           hh_test_rand() % size + 1,
                           0,
                           1,
                           256,
                           257,
                           size,
                           hh_test_rand() % size + 1,
                           hh_test_rand() % size + 1};
        size_t nolds = size > 4097 ? 4 : sizeof(olds) / sizeof(olds[0]);
        for (size_t k = 0; k < nolds; k++) {
            if (olds[k] > size)
                continue;
            char *note = NULL;
            size_t len = 0;
            struct hh_hash_reader r = hh_memtree_reader(m.tree);
            struct hh_hash root;
            CHECK_OK(hh_merkle_root(&r, olds[k], &root, NULL));
            note = fx_sign_checkpoint(m.key, "mem.example/log", olds[k], &root, &len);
            if (!CHECK(verify_mem(&m, note, len, 1 + (unsigned)(k % 2), &res, &err) == HH_OK))
                hh_test_note("size %llu old %llu: %s", (unsigned long long)size,
                             (unsigned long long)olds[k], err.msg);
            CHECK(res.have_old && res.old_size == olds[k]);
            free(note);
        }
    }
out:
    memlog_free(&m);
}

/* Serves size entries with tile victim tampered by how; returns the verifier's message. */
static hh_status tampered(struct memlog *m, bool entries, uint8_t level, uint64_t index,
                          enum tamper how, size_t at, struct hh_error *err)
{
    struct hh_verify_result res;
    hh_status rc;

    if (hh_tile_for_size(entries, level, index, m->size, &m->victim) != HH_OK)
        return HH_ERR_INTERNAL;
    m->how = how;
    m->at = at;
    rc = verify_mem(m, NULL, 0, 2, &res, err);
    m->how = T_NONE;
    return rc;
}

TEST(verify_memory_tampered_tiles)
{
    struct hh_error err = {0};
    struct memlog m;

    if (!CHECK(memlog_init(&m, 65536 + 300)))
        goto out;
    CHECK_ERR(tampered(&m, false, 2, 0, T_FLIP, 0, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/2/000.p/1: hash 0 (entries 0..65535) expected "));
    CHECK_ERR(tampered(&m, false, 1, 0, T_FLIP, 3 * 32 + 31, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/1/000: hash 3 (entries 768..1023) expected "));
    CHECK_ERR(tampered(&m, false, 1, 1, T_FLIP, 0, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/1/001.p/1: hash 0 (entries 65536..65791) expected "));
    CHECK_ERR(tampered(&m, false, 0, 5, T_TRUNCATE, 0, &err), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg, "tile/0/005: 8191 bytes, expected 256 hashes (8192 bytes)") == 0);
    CHECK_ERR(tampered(&m, false, 0, 257, T_FLIP, 43 * 32, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/0/257.p/44: hash 43 (entry 65835) expected "));
    CHECK_ERR(tampered(&m, true, 0, 7, T_EXTEND, 0, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/entries/007: malformed entry bundle: "));
    CHECK_ERR(tampered(&m, true, 0, 7, T_TRUNCATE, 0, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/entries/007: malformed entry bundle: "));
    /* A flipped length byte of the first entry. */
    CHECK_ERR(tampered(&m, true, 0, 9, T_FLIP, 1, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/entries/009: malformed entry bundle: ") ||
          vf_starts_with(err.msg, "entry 2304 (tile/entries/009): malformed envelope: "));
    /* A flipped payload byte: a well-formed envelope whose leaf hash differs. */
    CHECK_ERR(tampered(&m, true, 0, 9, T_FLIP, 2 + 14, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/0/009: hash 0 (entry 2304) expected ") ||
          vf_starts_with(err.msg, "entry 2304 (tile/entries/009): malformed envelope: "));
    CHECK_ERR(tampered(&m, false, 0, 100, T_FAIL, 0, &err), HH_ERR_IO);
    CHECK(strcmp(err.msg, "cannot serve the tile") == 0);
    CHECK_ERR(tampered(&m, false, 0, 100, T_EXTEND, 0, &err), HH_ERR_TOO_LARGE);
out:
    memlog_free(&m);
}

TEST(verify_bad_options)
{
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct memlog m;

    if (!CHECK(memlog_init(&m, 10)))
        goto out;
    CHECK_ERR(verify_mem(&m, NULL, 0, 0, &res, &err), HH_ERR_INVALID);
    CHECK_ERR(verify_mem(&m, NULL, 0, HH_VERIFY_MAX_THREADS + 1, &res, &err), HH_ERR_INVALID);
    CHECK_OK(verify_mem(&m, NULL, 0, HH_VERIFY_MAX_THREADS, &res, &err));
    CHECK(res.entries == 10);
out:
    memlog_free(&m);
}

TEST(verify_http_source_errors)
{
    struct hh_tile_source src;
    struct hh_error err = {0};
    struct hh_tile t = {false, 0, 0, 256};
    uint8_t *data = NULL;
    size_t len = 0;
    void *conn = NULL;

    CHECK_ERR(hh_tile_source_http("", &src, &err), HH_ERR_INVALID);
    CHECK_ERR(hh_tile_source_http("///", &src, &err), HH_ERR_INVALID);
    /* Nothing listens on port 1: an I/O error naming the path. */
    CHECK_OK(hh_tile_source_http("http://127.0.0.1:1/", &src, &err));
    CHECK_OK(src.open(src.ctx, &conn, &err));
    CHECK_ERR(src.tile(conn, &t, HH_TILE_BYTES, &data, &len, &err), HH_ERR_IO);
    CHECK(vf_starts_with(err.msg, "tile/0/000: "));
    CHECK(data == NULL && len == 0);
    src.close(conn);
    hh_tile_source_clear(&src);
    hh_tile_source_clear(&src);
    hh_tile_source_clear(NULL);
}
