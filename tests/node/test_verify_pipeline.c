/*
 * test_verify_pipeline.c - the fast entry check (client/envelope.h), the
 * bundle pipeline (client/bundle_pipeline.h) and the mirror's batched sync
 * built on them (witness/mirror.h).
 *
 * The fast check must give exactly hh_dsse_parse + hh_dsse_verify's verdict
 * and message: compared on canonical envelopes, on hundreds of random byte
 * changes and truncations of one, and on hand-made spellings that only the
 * slow path reads (whitespace, other key orders, URL-safe or unpadded
 * base64, escapes, several signatures, every limit).
 *
 * The pipeline is run over an in-memory log with every mix of threads,
 * fetches and window: bundles arrive in order, once each, with the right
 * leaf hashes and hash tiles; entries before `from` are not checked; the
 * lowest failing entry of a bundle is reported; a failed fetch or a
 * deliver() error stops the run with that error; connections handed in are
 * opened once and reused.
 *
 * The mirror is driven over HTTP with small batches (256 entries), so a
 * short log crosses several: it catches up in one check, stores exactly the
 * log's entries and one checkpoint; an unauthorised entry in a later batch
 * yields proven evidence with the earlier batches written and the batch
 * holding it not; a checkpoint whose root the served tiles do not prove
 * stores nothing.
 */
#include "harness.h"
#include "node_fixture.h"

#include "node_impl.h"
#include "storage/store.h"
#include "witness/mirror.h"

#include <henhouse/client/bundle_pipeline.h>
#include <henhouse/client/envelope.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN   "example.org/us"
#define OBSERVER "example.org/them/witness"

/* ---- the fast entry check ---- */

/* The reference verdict: hh_dsse_parse, then hh_dsse_verify when there are keys. */
static hh_status reference(const uint8_t *e, size_t len, const struct hh_verifier *keys,
                           size_t nkeys, struct hh_error *err)
{
    struct hh_dsse *env = NULL;
    size_t nv = 0;
    hh_status rc = hh_dsse_parse((const char *)e, len, &env, err);

    if (rc == HH_OK && nkeys > 0)
        rc = hh_dsse_verify(env, keys, nkeys, NULL, &nv, err);
    hh_dsse_free(env);
    return rc;
}

/* The fast check, the slow path alone and the reference agree on code and message. */
static bool same_verdict(struct hh_entry_scratch *sc, const void *e, size_t len,
                         const struct hh_verifier *keys, size_t nkeys, hh_status *rc)
{
    struct hh_error a = {0}, b = {0}, c = {0};
    hh_status fa = hh_entry_check(sc, e, len, keys, nkeys, &a);
    hh_status fb = hh_entry_check(NULL, e, len, keys, nkeys, &b);
    hh_status fc = reference(e, len, keys, nkeys, &c);
    bool ok = fa == fb && fb == fc &&
              (fa == HH_OK || (strcmp(a.msg, b.msg) == 0 && strcmp(b.msg, c.msg) == 0));

    if (!ok)
        hh_test_note("%.*s: fast %d (%s), slow %d (%s), reference %d (%s)",
                     (int)(len < 120 ? len : 120), (const char *)e, fa, a.msg, fb, b.msg, fc,
                     c.msg);
    if (rc != NULL)
        *rc = fa;
    return ok;
}

struct keyset {
    struct hh_signer *op, *stranger;
    struct hh_verifier op_v, stranger_v, both[2], op_as_cosig;
};

static bool keys_init(struct keyset *k)
{
    memset(k, 0, sizeof(*k));
    if (hh_init() != HH_OK ||
        hh_signer_generate("example.org/us/op", HH_KEY_ED25519, &k->op, NULL) != HH_OK ||
        hh_signer_generate("example.org/stranger", HH_KEY_ED25519, &k->stranger, NULL) != HH_OK)
        return false;
    hh_signer_verifier(k->op, &k->op_v);
    hh_signer_verifier(k->stranger, &k->stranger_v);
    k->both[0] = k->stranger_v;
    k->both[1] = k->op_v;
    k->op_as_cosig = k->op_v;
    k->op_as_cosig.type = HH_KEY_COSIGNATURE; /* the right bytes, the wrong key type */
    return true;
}

static void keys_free(struct keyset *k)
{
    hh_signer_free(k->op);
    hh_signer_free(k->stranger);
}

/* Every key set the tests try an envelope with; the verdict with {op} in *rc. */
static bool same_for_all_keys(const struct keyset *k, struct hh_entry_scratch *sc, const void *e,
                              size_t len, hh_status *rc)
{
    return same_verdict(sc, e, len, &k->stranger_v, 1, NULL) &&
           same_verdict(sc, e, len, k->both, 2, NULL) &&
           same_verdict(sc, e, len, &k->op_as_cosig, 1, NULL) &&
           same_verdict(sc, e, len, NULL, 0, NULL) && same_verdict(sc, e, len, &k->op_v, 1, rc);
}

TEST(entry_check_canonical_envelopes)
{
    struct hh_entry_scratch *sc = NULL;
    struct keyset k;
    hh_status rc = HH_ERR_INTERNAL;

    if (!CHECK(keys_init(&k)) || !CHECK(hh_entry_scratch_new(&sc, NULL) == HH_OK))
        goto out;
    for (uint64_t i = 0; i < 50; i++) {
        char *e = NULL;
        size_t len = 0;
        struct hh_hash id;
        if (!CHECK(fx_entry(k.op, ORIGIN, i * 977, &e, &len, &id)))
            break;
        CHECK(same_for_all_keys(&k, sc, e, len, &rc));
        CHECK(rc == HH_OK);
        CHECK(hh_entry_check(sc, (const uint8_t *)e, len, &k.stranger_v, 1, NULL) == HH_ERR_VERIFY);
        free(e);
    }
out:
    hh_entry_scratch_free(sc);
    keys_free(&k);
}

TEST(entry_check_mutated_envelopes)
{
    static const uint8_t bytes[] = {'"', '\\', ' ', '=', '-', '_', '+',  '/',  'A',  'a',  '0',
                                    '{', '}',  ',', ':', '[', ']', '\n', 0x00, 0x7F, 0x80, 0xC5};
    struct hh_entry_scratch *sc = NULL;
    struct keyset k;
    char *e = NULL, *m = NULL;
    size_t len = 0, bad = 0, verified = 0;
    struct hh_hash id;
    hh_status rc;

    if (!CHECK(keys_init(&k)) || !CHECK(hh_entry_scratch_new(&sc, NULL) == HH_OK) ||
        !CHECK(fx_entry(k.op, ORIGIN, 42, &e, &len, &id)) || !CHECK((m = malloc(len)) != NULL))
        goto out;
    for (int round = 0; round < 600; round++) {
        memcpy(m, e, len);
        m[hh_test_rand() % len] = (char)bytes[hh_test_rand() % sizeof(bytes)];
        bad += !same_for_all_keys(&k, sc, m, len, &rc);
        verified += rc == HH_OK;
    }
    for (size_t cut = 0; cut < len; cut += 3)
        bad += !same_for_all_keys(&k, sc, e, cut, NULL);
    CHECK(bad == 0);
    hh_test_note("%zu of 600 changed envelopes still verified", verified);
out:
    free(m);
    free(e);
    hh_entry_scratch_free(sc);
    keys_free(&k);
}

/* The payload, type and first signature of a canonical envelope, as base64 text. */
struct parts {
    char payload[4096], sig[128], type[300];
};

static bool split(const char *e, size_t len, struct parts *p)
{
    struct hh_dsse *env = NULL;
    bool ok =
        hh_dsse_parse(e, len, &env, NULL) == HH_OK && env->nsigs == 1 &&
        hh_base64_encode(env->payload, env->payload_len, p->payload, sizeof(p->payload)) == HH_OK &&
        hh_base64_encode(env->sigs[0].sig, env->sigs[0].sig_len, p->sig, sizeof(p->sig)) == HH_OK;

    if (ok)
        snprintf(p->type, sizeof(p->type), "%s", env->payload_type);
    hh_dsse_free(env);
    return ok;
}

/* Replaces every a by b in s. */
static void swap_chars(char *s, char a, char b)
{
    for (; *s; s++)
        if (*s == a)
            *s = b;
}

TEST(entry_check_other_spellings)
{
    static char buf[16384], sigs[8192], longs[1024];
    struct hh_entry_scratch *sc = NULL;
    struct keyset k;
    struct parts p, u;
    char *e = NULL;
    size_t len = 0, bad = 0;
    struct hh_hash id;
    hh_status rc = HH_OK;
    int n;

    if (!CHECK(keys_init(&k)) || !CHECK(hh_entry_scratch_new(&sc, NULL) == HH_OK) ||
        !CHECK(fx_entry(k.op, ORIGIN, 7, &e, &len, &id)) || !CHECK(split(e, len, &p)))
        goto out;
    u = p;
    swap_chars(u.payload, '+', '-');
    swap_chars(u.payload, '/', '_');
    swap_chars(u.sig, '+', '-');
    swap_chars(u.sig, '/', '_');
#define TRY(want, ...)                                                                             \
    do {                                                                                           \
        n = snprintf(buf, sizeof(buf), __VA_ARGS__);                                               \
        bad += !same_for_all_keys(&k, sc, buf, (size_t)n, &rc);                                    \
        if (rc != (want))                                                                          \
            hh_test_note("line %d: verdict %d, want %d: %s", __LINE__, rc, want, buf), bad++;      \
    } while (0)
    TRY(HH_OK, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}",
        p.payload, p.type, p.sig);
    TRY(HH_OK, "{ \"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}",
        p.payload, p.type, p.sig);
    TRY(HH_OK, "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}",
        p.type, p.payload, p.sig);
    TRY(HH_OK,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"x\":1,\"signatures\":[{\"sig\":\"%s\"}]}",
        p.payload, p.type, p.sig);
    TRY(HH_OK, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}",
        u.payload, p.type, u.sig);
    TRY(HH_OK, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%.86s\"}]}",
        p.payload, p.type, p.sig); /* unpadded signature */
    TRY(HH_OK,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"keyid\":\"\\u0041\","
        "\"sig\":\"%s\"}]}",
        p.payload, p.type, p.sig);
    TRY(HH_ERR_INVALID,
        "{\"payload\":\"%s\",\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":"
        "\"%s\"}]}",
        p.payload, p.payload, p.type, p.sig);
    TRY(HH_ERR_VERIFY,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\\u0020\",\"signatures\":[{\"sig\":\"%s\"}]}",
        p.payload, p.type, p.sig); /* another type: the signature no longer covers it */
    TRY(HH_ERR_VERIFY,
        "{\"payload\":\"\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}", p.type,
        p.sig);
    TRY(HH_ERR_VERIFY, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[]}", p.payload,
        p.type);
    /* Several signatures: a wrong one and the right one, the right one and a short one. */
    TRY(HH_OK,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%c%s\"},{\"sig\":"
        "\"%s\"}]}",
        p.payload, p.type, p.sig[0] == 'A' ? 'B' : 'A', p.sig + 1, p.sig);
    TRY(HH_OK,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"},{\"sig\":"
        "\"AAAA\"}]}",
        p.payload, p.type, p.sig);
    /* Limits: 17 signatures, a 257-byte type, a 301-byte keyid, a 513-byte signature. */
    sigs[0] = '\0';
    for (int i = 0; i < 17; i++)
        snprintf(sigs + strlen(sigs), sizeof(sigs) - strlen(sigs), "%s{\"sig\":\"%s\"}",
                 i ? "," : "", p.sig);
    TRY(HH_ERR_TOO_LARGE, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[%s]}",
        p.payload, p.type, sigs);
    memset(longs, 't', 257);
    longs[257] = '\0';
    TRY(HH_ERR_TOO_LARGE,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}", p.payload,
        longs, p.sig);
    memset(longs, 'k', 301);
    longs[301] = '\0';
    TRY(HH_ERR_TOO_LARGE,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":"
        "\"%s\"}]}",
        p.payload, p.type, longs, p.sig);
    memset(longs, 'A', 688);
    longs[688] = '\0';
    TRY(HH_ERR_TOO_LARGE,
        "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}", p.payload,
        p.type, longs);
#undef TRY
    CHECK(bad == 0);
out:
    free(e);
    hh_entry_scratch_free(sc);
    keys_free(&k);
}

/* ---- the pipeline over an in-memory log ---- */

struct memlog {
    uint64_t size;
    char **entries;
    size_t *lens;
    struct hh_memtree *tree;
    uint64_t fail; /* this bundle's fetch fails (UINT64_MAX: none) */
    atomic_uint opens;
};

static bool memlog_init(struct memlog *m, const struct keyset *k, uint64_t size)
{
    memset(m, 0, sizeof(*m));
    m->size = size;
    m->fail = UINT64_MAX;
    m->entries = calloc(size + 1, sizeof(*m->entries));
    m->lens = calloc(size + 1, sizeof(*m->lens));
    m->tree = hh_memtree_new();
    if (m->entries == NULL || m->lens == NULL || m->tree == NULL)
        return false;
    for (uint64_t i = 0; i < size; i++) {
        struct hh_hash id, leaf;
        if (!fx_entry(k->op, ORIGIN, i, &m->entries[i], &m->lens[i], &id))
            return false;
        hh_merkle_leaf_hash(m->entries[i], m->lens[i], &leaf);
        if (hh_memtree_append(m->tree, &leaf) != HH_OK)
            return false;
    }
    return true;
}

static void memlog_free(struct memlog *m)
{
    for (uint64_t i = 0; m->entries != NULL && i < m->size; i++)
        free(m->entries[i]);
    free(m->entries);
    free(m->lens);
    hh_memtree_free(m->tree);
}

/* Replaces entry i (the tree keeps the old leaf: only envelope checks see it). */
static bool memlog_replace(struct memlog *m, uint64_t i, const char *text)
{
    free(m->entries[i]);
    m->lens[i] = strlen(text);
    m->entries[i] = strdup(text);
    return m->entries[i] != NULL;
}

static hh_status mem_open(void *ctx, void **conn, struct hh_error *err)
{
    struct memlog *m = ctx;

    (void)err;
    atomic_fetch_add(&m->opens, 1);
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
    (void)conn, (void)max, (void)len;
    *out = NULL;
    return hh_error_set(err, HH_ERR_IO, "no checkpoint here");
}

static hh_status mem_tile(void *conn, const struct hh_tile *t, size_t max, uint8_t **out,
                          size_t *len, struct hh_error *err)
{
    struct memlog *m = conn;
    struct hh_hash_reader r = hh_memtree_reader(m->tree);
    size_t cap = (size_t)t->width * (2 + 2048) + HH_TILE_BYTES;
    uint8_t *buf = malloc(cap);
    hh_status rc = HH_OK;

    *out = NULL;
    *len = 0;
    if (buf == NULL || (t->entries && t->index == m->fail)) {
        free(buf);
        return hh_error_set(err, HH_ERR_IO, "cannot serve bundle %llu",
                            (unsigned long long)t->index);
    }
    if (!t->entries) {
        *len = (size_t)t->width * HH_HASH_LEN;
        rc = hh_tile_read_hashes(&r, t, buf, cap, err);
    }
    for (size_t i = 0; t->entries && rc == HH_OK && i < t->width; i++) {
        uint64_t j = t->index * HH_TILE_WIDTH + i;
        rc = hh_bundle_append(buf, cap, len, m->entries[j], m->lens[j]);
    }
    if (rc == HH_OK && *len > max)
        rc = hh_error_set(err, HH_ERR_TOO_LARGE, "over the limit");
    if (rc != HH_OK) {
        free(buf);
        *len = 0;
        return rc;
    }
    *out = buf;
    return HH_OK;
}

/* What a deliver() saw. */
struct seen {
    struct memlog *m;
    uint64_t next; /* the bundle expected next */
    uint64_t bundles, entries, stop_at;
    bool in_order, leaves_ok, hashes_ok;
};

static hh_status collect(void *ctx, struct hh_bundle *b, struct hh_error *err)
{
    struct seen *s = ctx;
    struct hh_hash_reader r = hh_memtree_reader(s->m->tree);
    struct hh_subtree_id id = {0, 0};
    struct hh_hash want;

    s->in_order = s->in_order && b->tile.index == s->next;
    s->next = b->tile.index + 1;
    if (b->rc != HH_OK)
        return hh_error_set(err, b->rc, "%s", b->err.msg);
    if (b->bad < b->tile.width)
        return hh_error_set(err, HH_ERR_VERIFY, "entry %llu: %s",
                            (unsigned long long)(b->tile.index * HH_TILE_WIDTH + b->bad),
                            b->bad_err.msg);
    for (size_t i = 0; i < b->tile.width; i++) {
        id.index = b->tile.index * HH_TILE_WIDTH + i;
        s->leaves_ok = s->leaves_ok && r.read(r.ctx, &id, 1, &want, NULL) == HH_OK &&
                       hh_hash_equal(&want, &b->leaves[i]);
    }
    if (b->hashes != NULL)
        s->hashes_ok = s->hashes_ok && b->hashes_len == b->tile.width * sizeof(struct hh_hash) &&
                       memcmp(b->hashes, b->leaves, b->hashes_len) == 0;
    s->bundles++;
    s->entries += b->tile.width;
    if (b->tile.index == s->stop_at)
        return hh_error_set(err, HH_ERR_CONFLICT, "stopped at bundle %llu",
                            (unsigned long long)b->tile.index);
    return HH_OK;
}

static hh_status run_mem(struct memlog *m, const struct keyset *k, uint64_t from, unsigned threads,
                         unsigned fetches, unsigned window, struct seen *s, struct hh_error *err)
{
    struct hh_tile_source src = {mem_open, mem_close, mem_checkpoint, mem_tile, NULL, m};
    struct hh_pipeline p = {
        .src = &src,
        .size = m->size,
        .from = from,
        .hash_tiles = true,
        .signers = &k->op_v,
        .nsigners = 1,
        .threads = threads,
        .fetches = fetches,
        .window = window,
        .deliver = collect,
        .ctx = s,
    };

    memset(s, 0, sizeof(*s));
    s->m = m;
    s->next = from / HH_TILE_WIDTH;
    s->in_order = s->leaves_ok = s->hashes_ok = true;
    s->stop_at = UINT64_MAX;
    return hh_pipeline_run(&p, err);
}

TEST(pipeline_delivers_every_bundle_in_order)
{
    static const unsigned threads[] = {1, 2, 3, 8, 64}, fetches[] = {1, 2, 4, 16},
                          windows[] = {0, 1, 2, 5};
    struct hh_error err = {0};
    struct keyset k;
    struct memlog m;
    struct seen s;

    if (!CHECK(keys_init(&k)) || !CHECK(memlog_init(&m, &k, 2 * 256 + 77)))
        goto out;
    for (size_t t = 0; t < 5; t++)
        for (size_t f = 0; f < 4; f++)
            for (size_t w = 0; w < 4; w++) {
                hh_status rc = run_mem(&m, &k, 0, threads[t], fetches[f], windows[w], &s, &err);
                if (!CHECK(rc == HH_OK && s.in_order && s.leaves_ok && s.hashes_ok &&
                           s.bundles == 3 && s.entries == m.size))
                    hh_test_note("threads %u fetches %u window %u: %s", threads[t], fetches[f],
                                 windows[w], err.msg);
            }
    /* A log ending on a bundle boundary, and one of a single entry. */
    m.size = 512;
    CHECK(run_mem(&m, &k, 0, 2, 4, 0, &s, &err) == HH_OK && s.bundles == 2 && s.entries == 512);
    m.size = 1;
    CHECK(run_mem(&m, &k, 0, 2, 4, 0, &s, &err) == HH_OK && s.bundles == 1 && s.entries == 1);
    m.size = 2 * 256 + 77;
out:
    memlog_free(&m);
    keys_free(&k);
}

TEST(pipeline_checks_from_the_first_entry_asked)
{
    struct hh_error err = {0};
    struct keyset k;
    struct memlog m;
    struct seen s;

    if (!CHECK(keys_init(&k)) || !CHECK(memlog_init(&m, &k, 1000)) ||
        !CHECK(memlog_replace(&m, 299, "not json")))
        goto out;
    /* From 300: bundle 1 is read whole (its leaves all hashed), entry 299 not checked. */
    CHECK(run_mem(&m, &k, 300, 2, 2, 0, &s, &err) == HH_OK);
    CHECK(s.bundles == 3 && s.entries == 1000 - 256 && s.in_order && s.leaves_ok == false);
    /* From 299 it is. */
    CHECK_ERR(run_mem(&m, &k, 299, 2, 2, 0, &s, &err), HH_ERR_VERIFY);
    CHECK(strncmp(err.msg, "entry 299: envelope JSON", 24) == 0);
    /* Nothing to do. */
    CHECK(run_mem(&m, &k, 1000, 2, 2, 0, &s, &err) == HH_OK && s.bundles == 0);
out:
    memlog_free(&m);
    keys_free(&k);
}

TEST(pipeline_reports_the_lowest_failure)
{
    struct hh_error err = {0};
    struct keyset k;
    struct memlog m;
    struct seen s;
    char *forged = NULL;
    size_t flen = 0;
    struct hh_hash id;

    if (!CHECK(keys_init(&k)) || !CHECK(memlog_init(&m, &k, 3000)) ||
        !CHECK(fx_entry(k.stranger, ORIGIN, 5, &forged, &flen, &id)) ||
        !CHECK(memlog_replace(&m, 9 * 256 + 3, forged)) ||
        !CHECK(memlog_replace(&m, 3 * 256 + 200, "{}")) ||
        !CHECK(memlog_replace(&m, 3 * 256 + 201, forged)) ||
        !CHECK(memlog_replace(&m, 3 * 256 + 40, forged)))
        goto out;
    for (int rep = 0; rep < 3; rep++)
        for (unsigned t = 1; t <= 4; t++) {
            CHECK_ERR(run_mem(&m, &k, 0, t, 1 + t % 3, rep, &s, &err), HH_ERR_VERIFY);
            if (!CHECK(strcmp(err.msg,
                              "entry 808: no signature of 1 verifies with any of 1 keys") == 0 &&
                       s.bundles == 3 && s.in_order))
                hh_test_note("threads %u: %s", t, err.msg);
        }
    /* A failed fetch below them is what stops the run. */
    m.fail = 2;
    CHECK_ERR(run_mem(&m, &k, 0, 2, 4, 0, &s, &err), HH_ERR_IO);
    CHECK(strcmp(err.msg, "cannot serve bundle 2") == 0 && s.bundles == 2);
out:
    free(forged);
    memlog_free(&m);
    keys_free(&k);
}

/* How many of conns[0..n) are open (each is m, the in-memory source's only connection). */
static unsigned open_conns(void *const *conns, size_t n, const struct memlog *m)
{
    unsigned k = 0;

    for (size_t i = 0; i < n; i++)
        k += conns[i] == m;
    return k;
}

TEST(pipeline_stops_when_deliver_fails)
{
    struct hh_error err = {0};
    struct hh_tile_source src;
    struct keyset k;
    struct memlog m;
    struct seen s;
    void *conns[3] = {NULL, NULL, NULL};

    if (!CHECK(keys_init(&k)) || !CHECK(memlog_init(&m, &k, 40 * 256)))
        goto out;
    memset(&s, 0, sizeof(s));
    s.m = &m;
    s.in_order = s.leaves_ok = s.hashes_ok = true;
    s.stop_at = 4;
    src = (struct hh_tile_source){mem_open, mem_close, mem_checkpoint, mem_tile, NULL, &m};
    {
        struct hh_pipeline p = {.src = &src,
                                .conns = conns,
                                .size = m.size,
                                .signers = &k.op_v,
                                .nsigners = 1,
                                .threads = 2,
                                .fetches = 3,
                                .deliver = collect,
                                .ctx = &s};
        CHECK_ERR(hh_pipeline_run(&p, &err), HH_ERR_CONFLICT);
        CHECK(strcmp(err.msg, "stopped at bundle 4") == 0 && s.bundles == 5 && s.in_order);
        /* The connections handed in are opened once each, left open and reused. */
        CHECK(open_conns(conns, 3, &m) == atomic_load(&m.opens) && atomic_load(&m.opens) >= 1);
        s.stop_at = UINT64_MAX;
        s.next = 0;
        s.bundles = 0;
        CHECK_OK(hh_pipeline_run(&p, &err));
        CHECK(s.bundles == 40 && s.in_order && s.leaves_ok);
        CHECK(open_conns(conns, 3, &m) == atomic_load(&m.opens));
        /* Bad options. */
        p.threads = 0;
        CHECK_ERR(hh_pipeline_run(&p, &err), HH_ERR_INVALID);
        p.threads = 2;
        p.fetches = HH_PIPELINE_MAX_FETCHES + 1;
        CHECK_ERR(hh_pipeline_run(&p, &err), HH_ERR_INVALID);
        p.fetches = 1;
        p.window = HH_PIPELINE_MAX_WINDOW + 1;
        CHECK_ERR(hh_pipeline_run(&p, &err), HH_ERR_INVALID);
        p.window = 0;
        p.deliver = NULL;
        CHECK_ERR(hh_pipeline_run(&p, &err), HH_ERR_INVALID);
    }
out:
    memlog_free(&m);
    keys_free(&k);
}

/* ---- the mirror, in batches ---- */

struct mirfix {
    struct fx_node log;
    char dir[64];
    char store[128];
    struct hh_mirror *m;
};

static bool mir_init(struct mirfix *f)
{
    memset(f, 0, sizeof(*f));
    if (!fx_node_init(&f->log, "us", ORIGIN) || !fx_mkdtemp(f->dir, sizeof(f->dir), "mirror"))
        return false;
    snprintf(f->store, sizeof(f->store), "%s/us.db", f->dir);
    return fx_conf_set(f->log.dir, "checkpoint-interval-ms", "5") &&
           fx_node_serve(&f->log, "127.0.0.1:0");
}

/* Opens the mirror with batches of 256 entries and two checking threads. */
static bool mir_open(struct mirfix *f, const struct hh_verifier *signers, size_t nsigners)
{
    struct hh_mirror_config c = {ORIGIN, f->log.url, &f->log.log_vkey, signers, nsigners, f->store};
    struct hh_mirror_tuning t = {256, 2};
    struct hh_error err = {0};

    hh_mirror_close(f->m);
    f->m = NULL;
    if (hh_mirror_open(&c, &f->m, &err) == HH_OK && hh_mirror_tune(f->m, &t, &err) == HH_OK)
        return true;
    hh_test_note("opening the mirror: %s", err.msg);
    return false;
}

static void mir_free(struct mirfix *f)
{
    hh_mirror_close(f->m);
    fx_node_free(&f->log);
    fx_rmtree(f->dir);
}

struct served {
    char *note;
    size_t len;
    struct hh_checkpoint cp;
};

static bool served_now(struct mirfix *f, struct served *s)
{
    free(s->note);
    memset(s, 0, sizeof(*s));
    return fx_fetch_checkpoint(f->log.url, &f->log.log_vkey, &s->note, &s->len, &s->cp);
}

static hh_status check(struct mirfix *f, const struct served *s, char **evidence,
                       struct hh_error *err)
{
    *evidence = NULL;
    return hh_mirror_check(f->m, &s->cp, s->note, s->len, OBSERVER, evidence, err);
}

static uint64_t mirror_size(struct mirfix *f)
{
    uint64_t size = UINT64_MAX;

    if (hh_mirror_size(f->m, &size, NULL) != HH_OK)
        return UINT64_MAX;
    return size;
}

static int count_checkpoint(void *ctx, const struct hh_store_checkpoint *c)
{
    (void)c;
    (*(size_t *)ctx)++;
    return 0;
}

static int leaf_of(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    hh_merkle_leaf_hash(data, len, &((struct hh_hash *)ctx)[index]);
    return 0;
}

/*
 * The mirror's store (closed meanwhile) holds the log's first n entries
 * exactly, and ncp checkpoints, the latest of size cp_size.
 */
static bool store_holds(struct mirfix *f, uint64_t n, size_t ncp, uint64_t cp_size)
{
    struct hh_hash *a = calloc(n + 1, sizeof(*a)), *b = calloc(n + 1, sizeof(*b));
    struct hh_store_checkpoint c;
    struct hh_store *st = NULL;
    uint64_t size = 0;
    size_t count = 0;
    bool ok = a != NULL && b != NULL && hh_store_open(f->store, &st, NULL) == HH_OK &&
              hh_store_size(st, &size, NULL) == HH_OK && size == n &&
              (n == 0 ||
               (hh_store_read_entries(st, 0, n, leaf_of, a, NULL) == HH_OK &&
                hh_store_read_entries(hh_node_store(f->log.n), 0, n, leaf_of, b, NULL) == HH_OK &&
                memcmp(a, b, n * sizeof(*a)) == 0)) &&
              hh_store_each_checkpoint(st, count_checkpoint, &count, NULL) == HH_OK && count == ncp;

    memset(&c, 0, sizeof(c));
    if (ok && ncp > 0)
        ok = hh_store_latest_checkpoint(st, &c, NULL) == HH_OK && c.size == cp_size;
    if (!ok)
        hh_test_note("store: size %llu, %zu checkpoints", (unsigned long long)size, count);
    hh_store_checkpoint_clear(&c);
    hh_store_close(st);
    free(a);
    free(b);
    return ok;
}

/* Appends one statement signed by key through the log's sequencer. */
static bool append_signed_by(struct fx_node *f, struct hh_signer *key)
{
    struct fx_results r;
    struct hh_hash id;
    char *entry = NULL;
    size_t len = 0;
    bool ok = fx_results_init(&r, 1) && fx_entry(key, "stranger", f->size, &entry, &len, &id) &&
              hh_sequencer_submit(hh_node_sequencer(f->n), &id, (const uint8_t *)entry, len, true,
                                  fx_on_sequenced, &r.slots[0], NULL) == HH_OK &&
              fx_results_wait(&r, 1, FX_WAIT_MS) && r.slots[0].rc == HH_OK;

    if (ok)
        f->size++;
    free(entry);
    fx_results_clear(&r);
    return ok;
}

static bool proven(const char *evidence, enum hh_evidence_kind kind)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};

    if (evidence == NULL || hh_evidence_verify(evidence, strlen(evidence), &v, &err) != HH_OK) {
        hh_test_note("evidence: %s", evidence == NULL ? "none" : err.msg);
        return false;
    }
    return v.proven && v.kind == kind && strcmp(v.origin, ORIGIN) == 0;
}

TEST(mirror_catches_up_in_batches)
{
    struct served s = {0};
    struct mirfix f;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 1300)) ||
        !CHECK(served_now(&f, &s)) || !CHECK(mir_open(&f, &f.log.op_vkey, 1)))
        goto out;
    {
        struct hh_error err = {0};
        char *evidence = NULL;
        CHECK_OK(check(&f, &s, &evidence, &err));
        CHECK(evidence == NULL && mirror_size(&f) == 1300);
        free(evidence);
        /* Further, from the middle of a bundle. */
        if (!CHECK(fx_node_append(&f.log, 700)) || !CHECK(served_now(&f, &s)))
            goto out;
        CHECK_OK(check(&f, &s, &evidence, &err));
        CHECK(evidence == NULL && mirror_size(&f) == 2000);
        free(evidence);
    }
    hh_mirror_close(f.m);
    f.m = NULL;
    CHECK(store_holds(&f, 2000, 2, 2000));
out:
    free(s.note);
    mir_free(&f);
}

TEST(mirror_unauthorised_entry_in_a_later_batch)
{
    struct served early = {0}, s = {0};
    struct hh_error err = {0};
    char *evidence = NULL;
    struct mirfix f;
    struct hh_signer *stranger = NULL;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 300)) ||
        !CHECK(served_now(&f, &early)) || !CHECK(fx_node_append(&f.log, 300)) ||
        !CHECK(hh_signer_generate("example.org/stranger", HH_KEY_ED25519, &stranger, NULL) ==
               HH_OK) ||
        !CHECK(append_signed_by(&f.log, stranger)) || !CHECK(fx_node_append(&f.log, 100)) ||
        !CHECK(served_now(&f, &s)) || !CHECK(mir_open(&f, &f.log.op_vkey, 1)))
        goto out;
    CHECK(s.cp.size == 701);
    CHECK_ERR(check(&f, &s, &evidence, &err), HH_ERR_VERIFY);
    CHECK(proven(evidence, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    CHECK(strstr(err.msg, "entry 600 is not signed") != NULL);
    /* Bundles 0 and 1 were proven in the signed tree and written; bundle 2 holds entry 600. */
    CHECK(mirror_size(&f) == 512);
    free(evidence);
    /* A checkpoint within what was written is verified and stored; one beyond is refused again. */
    CHECK_OK(check(&f, &early, &evidence, &err));
    CHECK(evidence == NULL && mirror_size(&f) == 512);
    free(evidence);
    CHECK_ERR(check(&f, &s, &evidence, &err), HH_ERR_VERIFY);
    CHECK(proven(evidence, HH_EVIDENCE_UNAUTHORISED_ENTRY) && mirror_size(&f) == 512);
    hh_mirror_close(f.m);
    f.m = NULL;
    CHECK(store_holds(&f, 512, 1, 300));
out:
    free(evidence);
    hh_signer_free(stranger);
    free(early.note);
    free(s.note);
    mir_free(&f);
}

TEST(mirror_unproven_batches_are_not_written)
{
    struct served s = {0}, forged = {0};
    struct hh_error err = {0};
    struct hh_evidence_verdict v;
    char *evidence = NULL;
    struct hh_hash root;
    struct mirfix f;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 1000)) ||
        !CHECK(served_now(&f, &s)) || !CHECK(mir_open(&f, &f.log.op_vkey, 1)))
        goto out;
    /* The log's key signs another root for its size: the served tiles cannot prove batch 0. */
    hh_sha256("another history", 15, &root);
    forged.note = fx_sign_checkpoint(f.log.log, ORIGIN, 1000, &root, &forged.len);
    if (!CHECK(forged.note != NULL &&
               fx_note_checkpoint(forged.note, forged.len, &f.log.log_vkey, &forged.cp)))
        goto out;
    CHECK_ERR(check(&f, &forged, &evidence, &err), HH_ERR_VERIFY);
    CHECK(evidence != NULL && hh_evidence_verify(evidence, strlen(evidence), &v, NULL) == HH_OK &&
          v.kind == HH_EVIDENCE_BAD_DATA && !v.proven);
    CHECK(mirror_size(&f) == 0);
    free(evidence);
    /* The real checkpoint still goes through. */
    CHECK_OK(check(&f, &s, &evidence, &err));
    CHECK(evidence == NULL && mirror_size(&f) == 1000);
    hh_mirror_close(f.m);
    f.m = NULL;
    CHECK(store_holds(&f, 1000, 1, 1000));
out:
    free(evidence);
    free(forged.note);
    free(s.note);
    mir_free(&f);
}

TEST(mirror_tuning_limits)
{
    struct hh_mirror_tuning t = {255, 0};
    struct hh_error err = {0};
    struct mirfix f;

    if (!CHECK(mir_init(&f)) || !CHECK(mir_open(&f, &f.log.op_vkey, 1)))
        goto out;
    CHECK_ERR(hh_mirror_tune(f.m, &t, &err), HH_ERR_INVALID);
    t.batch = HH_MIRROR_BATCH + 1;
    CHECK_ERR(hh_mirror_tune(f.m, &t, &err), HH_ERR_INVALID);
    t.batch = 0;
    t.threads = HH_PIPELINE_MAX_THREADS + 1;
    CHECK_ERR(hh_mirror_tune(f.m, &t, &err), HH_ERR_INVALID);
    t.threads = 0;
    CHECK_OK(hh_mirror_tune(f.m, &t, &err));
out:
    mir_free(&f);
}
