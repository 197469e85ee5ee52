/*
 * test_verify.c - the log verifier (verify.h) and its tile sources.
 *
 * Two kinds of logs: real node directories, built through the sequencer
 * with envelopes signed by the node's operator key and then tampered with
 * through SQLite directly (entries, nodes, checkpoints), read through the
 * store tile source; and in-memory logs served by a test tile source, cheap
 * enough to cross the level-2 tile boundary (65,536 entries) and to corrupt
 * any tile in any way. Every failure is checked for its exact message: the
 * entry index or tile path, and the expected and found hashes.
 */
#include "harness.h"

#include <henhouse/client/files.h>
#include "log/tile_store.h"
#include "node_impl.h"
#include <henhouse/client/tile_source.h>
#include <henhouse/client/verify.h>

#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TYPE      "application/vnd.henhouse.statement+json"
#define MAX_NOTES 16

/* ---- helpers ---- */

static const char *b64(const struct hh_hash *h, char buf[48])
{
    if (hh_base64_encode(h->b, HH_HASH_LEN, buf, 48) != HH_OK)
        buf[0] = '\0';
    return buf;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A signed checkpoint note (malloc'd) for origin, size and root. */
static char *sign_checkpoint(const struct hh_signer *key, const char *origin, uint64_t size,
                             const struct hh_hash *root, size_t *len)
{
    struct hh_checkpoint cp;
    char text[HH_CHECKPOINT_TEXT_MAX];
    char *note = NULL;
    size_t tl = 0;

    memset(&cp, 0, sizeof(cp));
    snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
    cp.size = size;
    cp.root = *root;
    if (hh_checkpoint_format(&cp, text, sizeof(text), &tl) != HH_OK ||
        hh_note_sign(key, text, tl, &note, len, NULL) != HH_OK)
        return NULL;
    return note;
}

/* Envelope i signed by s, in the canonical form the server logs; its id too. */
static bool make_entry(struct hh_signer *s, uint64_t i, char **entry, size_t *len,
                       struct hh_hash *id)
{
    char payload[128];
    struct hh_dsse *env = NULL;
    int n = snprintf(payload, sizeof(payload), "{\"kind\":\"share\",\"n\":%llu}",
                     (unsigned long long)i);
    bool ok = hh_dsse_sign(TYPE, (const uint8_t *)payload, (size_t)n, &s, 1, &env, NULL) == HH_OK &&
              hh_dsse_id(env, id) == HH_OK && hh_dsse_format(env, entry, len, NULL) == HH_OK;

    hh_dsse_free(env);
    return ok;
}

static void remove_dir(const char *dir)
{
    char p[512];
    struct dirent *d;
    DIR *dp = opendir(dir);

    if (dp == NULL)
        return;
    while ((d = readdir(dp)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
        unlink(p);
    }
    closedir(dp);
    rmdir(dir);
}

/* ---- node directories ---- */

struct logfix {
    char base[64];
    char dir[96];
    struct hh_signer *op, *log;
    uint64_t size;
    char *notes[MAX_NOTES]; /* the latest checkpoint after each growth */
    size_t note_lens[MAX_NOTES];
    uint64_t note_sizes[MAX_NOTES];
    size_t nnotes;
};

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done, failed;
};

static void on_done(void *ctx, const struct hh_sequenced *r)
{
    struct waiter *w = ctx;

    pthread_mutex_lock(&w->mu);
    w->done++;
    if (r->rc != HH_OK)
        w->failed++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static bool wait_done(struct waiter *w, size_t n)
{
    struct timespec ts;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 60;
    pthread_mutex_lock(&w->mu);
    while (w->done < n && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
        ;
    ok = w->done == n && w->failed == 0;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

static bool save_latest(struct logfix *f)
{
    struct hh_store_checkpoint c;
    struct hh_node *n = NULL;
    bool ok;

    memset(&c, 0, sizeof(c));
    ok = f->nnotes < MAX_NOTES && hh_node_open(f->dir, &n, NULL) == HH_OK &&
         hh_store_latest_checkpoint(n->store, &c, NULL) == HH_OK && c.size == f->size;
    if (ok) {
        f->notes[f->nnotes] = c.note;
        f->note_lens[f->nnotes] = c.note_len;
        f->note_sizes[f->nnotes++] = c.size;
        c.note = NULL;
    }
    hh_store_checkpoint_clear(&c);
    hh_node_close(n);
    return ok;
}

static bool submit_range(struct hh_node *n, struct logfix *f, uint64_t to, struct waiter *w)
{
    for (uint64_t i = f->size; i < to; i++) {
        struct hh_hash id;
        char *entry = NULL;
        size_t len = 0;
        bool ok = make_entry(f->op, i, &entry, &len, &id) &&
                  hh_sequencer_submit(n->sequencer, &id, (const uint8_t *)entry, len, false,
                                      on_done, w, NULL) == HH_OK;
        free(entry);
        if (!ok)
            return false;
    }
    return true;
}

/* Appends entries f->size..to-1 through the sequencer, then saves the checkpoint. */
static bool fix_grow(struct logfix *f, uint64_t to)
{
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    struct hh_node *n = NULL;
    bool ok;

    if (hh_node_open(f->dir, &n, NULL) != HH_OK)
        return false;
    n->config.checkpoint_interval_ms = 5;
    ok = hh_node_start_sequencer(n, NULL) == HH_OK && submit_range(n, f, to, &w) &&
         wait_done(&w, (size_t)(to - f->size));
    hh_node_close(n);
    if (!ok)
        return false;
    f->size = to;
    return save_latest(f);
}

static bool fix_init(struct logfix *f, uint64_t size)
{
    char path[160];

    memset(f, 0, sizeof(*f));
    snprintf(f->base, sizeof(f->base), "/tmp/hh_verify_XXXXXX");
    if (hh_init() != HH_OK || mkdtemp(f->base) == NULL)
        return false;
    snprintf(f->dir, sizeof(f->dir), "%s/node", f->base);
    if (hh_node_init(f->dir, "us", "example.org/us", NULL) != HH_OK)
        return false;
    snprintf(path, sizeof(path), "%s/operator.key", f->dir);
    if (hh_load_signer(path, &f->op, NULL) != HH_OK)
        return false;
    snprintf(path, sizeof(path), "%s/log.key", f->dir);
    if (hh_load_signer(path, &f->log, NULL) != HH_OK)
        return false;
    return save_latest(f) && (size == 0 || fix_grow(f, size));
}

static void fix_free(struct logfix *f)
{
    for (size_t i = 0; i < f->nnotes; i++)
        free(f->notes[i]);
    hh_signer_free(f->op);
    hh_signer_free(f->log);
    remove_dir(f->dir);
    remove_dir(f->base);
}

struct vrun {
    bool signers;
    const char *old;
    size_t old_len;
    unsigned threads;
};

/* Verifies the node directory through the store source. */
static hh_status verify_dir(const struct logfix *f, const struct vrun *v,
                            struct hh_verify_result *res, struct hh_error *err)
{
    struct hh_verify_options o;
    struct hh_tile_source src;
    struct hh_node *n = NULL;
    hh_status rc = hh_node_open(f->dir, &n, err);

    memset(res, 0, sizeof(*res));
    if (rc != HH_OK)
        return rc;
    hh_tile_source_store(n->store, &src);
    memset(&o, 0, sizeof(o));
    o.log_key = &n->log_vkey;
    o.signers = n->signers;
    o.nsigners = v->signers ? n->nsigners : 0;
    o.old_note = v->old;
    o.old_note_len = v->old_len;
    o.threads = v->threads ? v->threads : 2;
    rc = hh_verify_log(&src, &o, res, err);
    hh_tile_source_clear(&src);
    hh_node_close(n);
    return rc;
}

/* Runs one SQL statement on the node's database with ?1 bound to blob (if not NULL). */
static bool sql(const struct logfix *f, const char *q, const void *blob, size_t len)
{
    char path[160];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool ok;

    snprintf(path, sizeof(path), "%s/log.db", f->dir);
    ok =
        sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK &&
        (blob == NULL || sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_TRANSIENT) == SQLITE_OK) &&
        sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* The hash tiles of a tree of size leaves, all levels. */
static uint64_t tiles_for(uint64_t size)
{
    uint64_t n = 0;

    for (unsigned l = 0; l < 8; l++) {
        uint64_t count = size >> (8 * l);
        n += (count + 255) / 256;
    }
    return n;
}

/* The leaf hash of entry i as the fixture's operator signs it. */
static bool entry_leaf(struct logfix *f, uint64_t i, struct hh_hash *leaf)
{
    struct hh_hash id;
    char *entry = NULL;
    size_t len = 0;
    bool ok = make_entry(f->op, i, &entry, &len, &id);

    if (ok)
        hh_merkle_leaf_hash(entry, len, leaf);
    free(entry);
    return ok;
}

/* ---- node directories: passing ---- */

TEST(verify_store_growing_log)
{
    static const uint64_t sizes[] = {1, 255, 256, 257, 3000};
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct logfix f;

    if (!CHECK(fix_init(&f, 0)))
        goto out;
    CHECK_OK(verify_dir(&f, &v, &res, &err));
    CHECK(res.size == 0 && res.entries == 0 && res.tiles == 0 && res.have_checkpoint);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (!CHECK(fix_grow(&f, sizes[i])))
            goto out;
        for (unsigned threads = 1; threads <= 3; threads++) {
            v.threads = threads;
            if (!CHECK(verify_dir(&f, &v, &res, &err) == HH_OK))
                hh_test_note("size %llu: %s", (unsigned long long)sizes[i], err.msg);
            CHECK(res.size == sizes[i] && res.entries == sizes[i]);
            CHECK(res.bundles == (sizes[i] + 255) / 256);
            CHECK(res.tiles == tiles_for(sizes[i]));
            CHECK(strcmp(res.origin, "example.org/us") == 0);
        }
    }
out:
    fix_free(&f);
}

TEST(verify_store_old_checkpoints)
{
    static const uint64_t sizes[] = {1, 100, 256, 700, 1024, 3000};
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct logfix f;

    if (!CHECK(fix_init(&f, 0)))
        goto out;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (!CHECK(fix_grow(&f, sizes[i])))
            goto out;
    for (size_t i = 0; i < f.nnotes; i++) {
        v.old = f.notes[i];
        v.old_len = f.note_lens[i];
        v.threads = 1 + (unsigned)(i % 3);
        if (!CHECK(verify_dir(&f, &v, &res, &err) == HH_OK))
            hh_test_note("old %llu: %s", (unsigned long long)f.note_sizes[i], err.msg);
        CHECK(res.have_old && res.old_size == f.note_sizes[i] && res.size == 3000);
    }
out:
    fix_free(&f);
}

/* ---- node directories: tampered ---- */

TEST(verify_store_tampered_entry_signature)
{
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_signer *stranger = NULL;
    struct hh_hash id, forged_leaf, real_leaf;
    char *entry = NULL, want[256], a[48], b[48];
    size_t len = 0;
    struct logfix f;

    if (!CHECK(fix_init(&f, 3000)))
        goto out;
    CHECK_OK(hh_signer_generate("stranger", HH_KEY_ED25519, &stranger, NULL));
    if (!CHECK(make_entry(stranger, 1234, &entry, &len, &id)))
        goto out;
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 1234", entry, len));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg,
                 "entry 1234 (tile/entries/004): signature does not verify under any signer") == 0);
    CHECK(res.have_checkpoint && res.size == 3000 && res.entries >= 4 * 256);
    /* Without signers, the leaf hash the tree stored no longer matches the entry. */
    v.signers = false;
    hh_merkle_leaf_hash(entry, len, &forged_leaf);
    CHECK(entry_leaf(&f, 1234, &real_leaf));
    snprintf(want, sizeof(want), "tile/0/004: hash 210 (entry 1234) expected %s found %s",
             b64(&forged_leaf, a), b64(&real_leaf, b));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    if (!CHECK(strcmp(err.msg, want) == 0))
        hh_test_note("got %s", err.msg);
out:
    free(entry);
    hh_signer_free(stranger);
    fix_free(&f);
}

TEST(verify_store_malformed_entry)
{
    static const char garbage[] = "{\"payload\": 17}";
    struct vrun v = {.signers = false};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct logfix f;

    if (!CHECK(fix_init(&f, 300)))
        goto out;
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 299", garbage, strlen(garbage)));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "entry 299 (tile/entries/001.p/44): malformed envelope: "));
out:
    fix_free(&f);
}

TEST(verify_store_tampered_leaf_hash)
{
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash bad, real;
    char want[256], a[48], b[48];
    struct logfix f;

    memset(bad.b, 0xab, sizeof(bad.b));
    if (!CHECK(fix_init(&f, 3000)))
        goto out;
    CHECK(sql(&f, "UPDATE nodes SET hash = ?1 WHERE level = 0 AND idx = 785", bad.b, HH_HASH_LEN));
    CHECK(entry_leaf(&f, 785, &real));
    snprintf(want, sizeof(want), "tile/0/003: hash 17 (entry 785) expected %s found %s",
             b64(&real, a), b64(&bad, b));
    for (unsigned threads = 1; threads <= 4; threads++) {
        v.threads = threads;
        CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
        if (!CHECK(strcmp(err.msg, want) == 0))
            hh_test_note("got %s", err.msg);
    }
out:
    fix_free(&f);
}

TEST(verify_store_tampered_level1_hash)
{
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash bad;
    char want[160], a[48];
    struct logfix f;

    memset(bad.b, 0x5c, sizeof(bad.b));
    if (!CHECK(fix_init(&f, 3000)))
        goto out;
    CHECK(sql(&f, "UPDATE nodes SET hash = ?1 WHERE level = 8 AND idx = 5", bad.b, HH_HASH_LEN));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/1/000.p/11: hash 5 (entries 1280..1535) expected "));
    snprintf(want, sizeof(want), " found %s", b64(&bad, a));
    CHECK(strstr(err.msg, want) != NULL);
    CHECK(res.entries == 3000 && res.bundles == 12);
out:
    fix_free(&f);
}

TEST(verify_store_tampered_checkpoint)
{
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash wrong;
    char *note = NULL, want[200], a[48];
    size_t len = 0;
    struct logfix f;

    memset(wrong.b, 7, sizeof(wrong.b));
    if (!CHECK(fix_init(&f, 600)))
        goto out;
    /* The signed text altered: the log key's signature fails. */
    note = strdup(f.notes[1]);
    note[strlen("example.org/us\n60")] = '1';
    CHECK(sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 600", note, strlen(note)));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "checkpoint: signature by example.org/us: "));
    CHECK(!res.have_checkpoint);
    free(note);
    /* Signed by the log key, but over a root the entries do not give. */
    note = sign_checkpoint(f.log, "example.org/us", 600, &wrong, &len);
    CHECK(note != NULL && sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 600", note, len));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    snprintf(want, sizeof(want), "root mismatch: checkpoint says %s, entries give ",
             b64(&wrong, a));
    CHECK(starts_with(err.msg, want));
    CHECK(res.entries == 600 && res.tiles == tiles_for(600));
    /* Not a note at all. */
    CHECK(sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 600", "garbage", 7));
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_INVALID);
    CHECK(starts_with(err.msg, "checkpoint: "));
out:
    free(note);
    fix_free(&f);
}

TEST(verify_store_checkpoint_beyond_entries)
{
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash root;
    char *note = NULL;
    size_t len = 0;
    struct logfix f;

    memset(root.b, 1, sizeof(root.b));
    if (!CHECK(fix_init(&f, 300)))
        goto out;
    note = sign_checkpoint(f.log, "example.org/us", 301, &root, &len);
    CHECK(note != NULL && sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 300", note, len));
    CHECK(verify_dir(&f, &v, &res, &err) != HH_OK);
    CHECK(strstr(err.msg, "tile/entries/001.p/45") != NULL);
out:
    free(note);
    fix_free(&f);
}

TEST(verify_store_bad_old_checkpoints)
{
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_signer *stranger = NULL;
    struct hh_hash wrong;
    char *note = NULL;
    size_t len = 0;
    struct logfix f;

    memset(wrong.b, 9, sizeof(wrong.b));
    if (!CHECK(fix_init(&f, 700)))
        goto out;
    v.old = note = sign_checkpoint(f.log, "example.org/us", 500, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "old checkpoint root mismatch: it says "));
    CHECK(strstr(err.msg, "for size 500, the first 500 entries give ") != NULL);
    CHECK(res.root.b[0] != 0 || res.root.b[1] != 0); /* the new checkpoint was verified */
    free(note);
    v.old = note = sign_checkpoint(f.log, "example.org/us", 701, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg, "old checkpoint has size 701, larger than the log's 700") == 0);
    free(note);
    v.old = note = sign_checkpoint(f.log, "example.org/them", 10, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "old checkpoint is for origin 'example.org/them'"));
    free(note);
    CHECK_OK(hh_signer_generate("example.org/us", HH_KEY_ED25519, &stranger, NULL));
    v.old = note = sign_checkpoint(stranger, "example.org/us", 10, &wrong, &len);
    v.old_len = len;
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "old checkpoint: signature by example.org/us: "));
    CHECK(!res.have_checkpoint);
    v.old = "not a note";
    v.old_len = 10;
    CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_INVALID);
    CHECK(starts_with(err.msg, "old checkpoint: "));
out:
    free(note);
    hh_signer_free(stranger);
    fix_free(&f);
}

TEST(verify_store_first_error_is_lowest)
{
    static const char garbage[] = "not json";
    struct vrun v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct logfix f;

    if (!CHECK(fix_init(&f, 3000)))
        goto out;
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 2400", garbage, strlen(garbage)));
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 600", garbage, strlen(garbage)));
    for (int rep = 0; rep < 3; rep++) {
        for (unsigned threads = 1; threads <= 4; threads++) {
            v.threads = threads;
            CHECK_ERR(verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
            if (!CHECK(starts_with(err.msg, "entry 600 (tile/entries/002): malformed envelope")))
                hh_test_note("threads %u: %s", threads, err.msg);
        }
    }
out:
    fix_free(&f);
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
           (m->note = sign_checkpoint(m->key, "mem.example/log", size, &root, &m->note_len)) !=
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
        CHECK(res.size == size && res.entries == size && res.tiles == tiles_for(size));
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
            note = sign_checkpoint(m.key, "mem.example/log", olds[k], &root, &len);
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
    CHECK(starts_with(err.msg, "tile/2/000.p/1: hash 0 (entries 0..65535) expected "));
    CHECK_ERR(tampered(&m, false, 1, 0, T_FLIP, 3 * 32 + 31, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/1/000: hash 3 (entries 768..1023) expected "));
    CHECK_ERR(tampered(&m, false, 1, 1, T_FLIP, 0, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/1/001.p/1: hash 0 (entries 65536..65791) expected "));
    CHECK_ERR(tampered(&m, false, 0, 5, T_TRUNCATE, 0, &err), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg, "tile/0/005: 8191 bytes, expected 256 hashes (8192 bytes)") == 0);
    CHECK_ERR(tampered(&m, false, 0, 257, T_FLIP, 43 * 32, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/0/257.p/44: hash 43 (entry 65835) expected "));
    CHECK_ERR(tampered(&m, true, 0, 7, T_EXTEND, 0, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/entries/007: malformed entry bundle: "));
    CHECK_ERR(tampered(&m, true, 0, 7, T_TRUNCATE, 0, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/entries/007: malformed entry bundle: "));
    /* A flipped length byte of the first entry. */
    CHECK_ERR(tampered(&m, true, 0, 9, T_FLIP, 1, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/entries/009: malformed entry bundle: ") ||
          starts_with(err.msg, "entry 2304 (tile/entries/009): malformed envelope: "));
    /* A flipped payload byte: a well-formed envelope whose leaf hash differs. */
    CHECK_ERR(tampered(&m, true, 0, 9, T_FLIP, 2 + 14, &err), HH_ERR_VERIFY);
    CHECK(starts_with(err.msg, "tile/0/009: hash 0 (entry 2304) expected ") ||
          starts_with(err.msg, "entry 2304 (tile/entries/009): malformed envelope: "));
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
    CHECK(starts_with(err.msg, "tile/0/000: "));
    CHECK(data == NULL && len == 0);
    src.close(conn);
    hh_tile_source_clear(&src);
    hh_tile_source_clear(&src);
    hh_tile_source_clear(NULL);
}
