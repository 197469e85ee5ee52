/*
 * bench_core.c - micro-benchmarks of the core library: the hh_bench binary.
 *
 * Each benchmark repeats one library operation for a fixed time (after a
 * short warm-up) and reports operations per second beside the raw primitive
 * it is built on, measured in the same run: SHA-256 of a 65-byte input (one
 * Merkle node hash) for tree, proof and format work; raw Ed25519 sign and
 * verify for notes, cosignatures and DSSE. The baseline is measured again
 * just before and just after each benchmark that uses it, and the ratio is
 * ops/s divided by that bracketing rate, so that a busy or frequency-scaling
 * machine skews both sides alike. Rates are given per wall-clock second
 * (CLOCK_MONOTONIC) and per second of the thread's CPU time; the cpu% column
 * says how much of the wall time the thread ran, and ratio-cpu (with its
 * inverse, the cost of one operation in baseline operations) is the ratio of
 * the CPU-time rates, which stays meaningful when other work shares the
 * machine. Every result feeds a volatile sink, so no work can be optimised
 * away, and every signature and proof is checked, so a broken library fails
 * the run instead of timing a no-op.
 *
 * hh_sha256 is OpenSSL's SHA-256 (src/lib/hash.c); the sodium_* benchmarks
 * time libsodium's, the implementation it replaced, on the same inputs
 * (65-byte nodes, 700-byte leaves, the root of 1,000,000 leaves), each
 * against the hh_sha256 figure of the same input as its baseline, so the
 * ratio column is libsodium's speed as a fraction of OpenSSL's.
 *
 *   hh_bench [--seconds S] [--json] [--list] [NAME-PREFIX...]
 *
 * The time per benchmark is S seconds (default 1; also HH_BENCH_SECONDS).
 * With names, only the benchmarks whose names start with one of them run,
 * together with their baselines. Inputs are deterministic (a fixed-seed PRNG).
 */
#include <henhouse/henhouse.h>

#include <openssl/opensslv.h>
#include <sodium.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TREE_SIZE     1000000u /* leaves in the benchmark tree */
#define ENTRY_LEN     600      /* bytes per log entry */
#define LEAF_LEN      700      /* bytes per entry in the SHA-256 comparisons (a real envelope) */
#define SIG_MSG_LEN   100      /* bytes signed by the raw Ed25519 baselines */
#define DSSE_TARGET   600      /* bytes of the formatted DSSE envelope */
#define NPRECOMP      1024     /* precomputed proofs, tiles and paths cycled through */
#define BATCH_MAX_SEC 0.002    /* batches grow until one takes this long */
#define ORIGIN        "henhouse.example/bench"
#define DSSE_TYPE     "application/vnd.in-toto+json"

static volatile uint64_t sink; /* every operation's result ends here */

struct incl_case {
    uint64_t index;
    struct hh_hash leaf, proof[HH_MERKLE_MAX_PROOF];
    size_t n;
};

struct cons_case {
    uint64_t old_size, new_size;
    struct hh_hash old_root, new_root, proof[HH_MERKLE_MAX_PROOF];
    size_t n;
};

/* Inputs shared by the benchmarks; each part is built on first use, untimed. */
struct bench_ctx {
    uint64_t rng;
    size_t k; /* cycles through the precomputed cases */
    uint8_t buf[LEAF_LEN + 1];
    uint8_t msg[SIG_MSG_LEN], msg_sig[64], sign_msg[SIG_MSG_LEN];
    bool have_keys, have_leaves, have_tree, have_proofs, have_notes, have_dsse, have_bundle,
        have_tiles;
    struct hh_signer *log, *witness, *author;
    struct hh_verifier log_v, witness_v, author_v;
    struct hh_hash *leaves; /* TREE_SIZE leaf hashes */
    struct hh_memtree *tree;
    struct hh_hash_reader reader;
    struct hh_hash root;
    struct incl_case *incl;
    struct cons_case *cons;
    double incl_mean, cons_mean;
    char cp_text[HH_CHECKPOINT_TEXT_MAX];
    size_t cp_len;
    char *cp_note;
    size_t cp_note_len;
    struct hh_note *cosigned; /* the checkpoint signed by the log and cosigned by the witness */
    uint64_t cosig_time;
    char *dsse_json;
    size_t dsse_len;
    uint8_t *bundle;
    size_t bundle_len;
    struct hh_tile tiles[NPRECOMP];
    char paths[NPRECOMP][HH_TILE_PATH_MAX];
    size_t path_lens[NPRECOMP];
};

static void die(const char *what, const struct hh_error *err)
{
    fprintf(stderr, "hh_bench: %s%s%s\n", what, err != NULL && err->msg[0] ? ": " : "",
            err != NULL ? err->msg : "");
    exit(2);
}

static void check(hh_status rc, const char *what, const struct hh_error *err)
{
    if (rc != HH_OK)
        die(what, err);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        die("out of memory", NULL);
    return p;
}

static double clock_sec(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_sec(CLOCK_MONOTONIC);
}

/* xorshift64*: deterministic, fast, good enough to pick indices. */
static uint64_t rng_next(struct bench_ctx *c)
{
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 0x2545F4914F6CDD1DULL;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Log entry i: ENTRY_LEN bytes, distinct per index, the same in every run. */
static void make_entry(uint64_t i, uint8_t out[ENTRY_LEN])
{
    for (size_t j = 8; j < ENTRY_LEN; j++)
        out[j] = (uint8_t)('a' + (j + i) % 26);
    put_be64(out, i);
}

/* ---- Setup (untimed) ---- */

static void need_keys(struct bench_ctx *c)
{
    struct hh_error err = {0};

    if (c->have_keys)
        return;
    check(hh_signer_generate("bench-log", HH_KEY_ED25519, &c->log, &err), "log key", &err);
    check(hh_signer_generate("bench-witness", HH_KEY_COSIGNATURE, &c->witness, &err), "witness key",
          &err);
    check(hh_signer_generate("bench-author", HH_KEY_ED25519, &c->author, &err), "author key", &err);
    hh_signer_verifier(c->log, &c->log_v);
    hh_signer_verifier(c->witness, &c->witness_v);
    hh_signer_verifier(c->author, &c->author_v);
    for (size_t i = 0; i < SIG_MSG_LEN; i++)
        c->msg[i] = c->sign_msg[i] = (uint8_t)i;
    hh_signer_sign_raw(c->log, c->msg, SIG_MSG_LEN, c->msg_sig);
    c->have_keys = true;
}

static void need_leaves(struct bench_ctx *c)
{
    if (c->have_leaves)
        return;
    c->leaves = xcalloc(TREE_SIZE, sizeof(c->leaves[0]));
    for (uint64_t i = 0; i < TREE_SIZE; i++) {
        make_entry(i, c->buf);
        hh_merkle_leaf_hash(c->buf, ENTRY_LEN, &c->leaves[i]);
    }
    c->have_leaves = true;
}

static void need_tree(struct bench_ctx *c)
{
    struct hh_error err = {0};

    if (c->have_tree)
        return;
    need_leaves(c);
    c->tree = hh_memtree_new();
    if (c->tree == NULL)
        die("out of memory", NULL);
    for (uint64_t i = 0; i < TREE_SIZE; i++)
        check(hh_memtree_append(c->tree, &c->leaves[i]), "building the tree", NULL);
    c->reader = hh_memtree_reader(c->tree);
    check(hh_merkle_root(&c->reader, TREE_SIZE, &c->root, &err), "tree root", &err);
    c->have_tree = true;
}

static void make_incl_case(struct bench_ctx *c, struct incl_case *ic)
{
    struct hh_error err = {0};

    ic->index = rng_next(c) % TREE_SIZE;
    ic->leaf = c->leaves[ic->index];
    check(hh_merkle_inclusion_proof(&c->reader, ic->index, TREE_SIZE, ic->proof, &ic->n, &err),
          "inclusion proof", &err);
}

/* A random pair 1 <= old <= new <= TREE_SIZE. */
static void random_pair(struct bench_ctx *c, uint64_t *old_size, uint64_t *new_size)
{
    uint64_t a = 1 + rng_next(c) % TREE_SIZE, b = 1 + rng_next(c) % TREE_SIZE;
    *old_size = a < b ? a : b;
    *new_size = a < b ? b : a;
}

static void make_cons_case(struct bench_ctx *c, struct cons_case *cc)
{
    struct hh_error err = {0};

    random_pair(c, &cc->old_size, &cc->new_size);
    check(hh_merkle_root(&c->reader, cc->old_size, &cc->old_root, &err), "old root", &err);
    check(hh_merkle_root(&c->reader, cc->new_size, &cc->new_root, &err), "new root", &err);
    check(hh_merkle_consistency_proof(&c->reader, cc->old_size, cc->new_size, cc->proof, &cc->n,
                                      &err),
          "consistency proof", &err);
}

static void need_proofs(struct bench_ctx *c)
{
    size_t ni = 0, nc = 0;

    if (c->have_proofs)
        return;
    need_tree(c);
    c->incl = xcalloc(NPRECOMP, sizeof(c->incl[0]));
    c->cons = xcalloc(NPRECOMP, sizeof(c->cons[0]));
    for (size_t i = 0; i < NPRECOMP; i++) {
        make_incl_case(c, &c->incl[i]);
        make_cons_case(c, &c->cons[i]);
        ni += c->incl[i].n;
        nc += c->cons[i].n;
    }
    c->incl_mean = (double)ni / NPRECOMP;
    c->cons_mean = (double)nc / NPRECOMP;
    c->have_proofs = true;
}

/* The checkpoint text, its signed note, and a parsed copy cosigned by the witness. */
static void need_notes(struct bench_ctx *c)
{
    struct hh_checkpoint cp;
    struct hh_error err = {0};
    char l1[HH_NOTE_SIG_LINE_MAX], l2[HH_NOTE_SIG_LINE_MAX];
    char note[HH_CHECKPOINT_TEXT_MAX + 1 + 2 * HH_NOTE_SIG_LINE_MAX];
    int w;

    if (c->have_notes)
        return;
    need_keys(c);
    memset(&cp, 0, sizeof(cp));
    memcpy(cp.origin, ORIGIN, sizeof(ORIGIN));
    cp.size = TREE_SIZE;
    hh_sha256("root", 4, &cp.root);
    check(hh_checkpoint_format(&cp, c->cp_text, sizeof(c->cp_text), &c->cp_len), "checkpoint",
          NULL);
    check(hh_note_sign(c->log, c->cp_text, c->cp_len, &c->cp_note, &c->cp_note_len, &err),
          "signing the checkpoint", &err);
    check(hh_note_sign_line(c->log, c->cp_text, c->cp_len, 0, l1, sizeof(l1)), "log line", NULL);
    check(hh_note_sign_line(c->witness, c->cp_text, c->cp_len, 1700000000, l2, sizeof(l2)),
          "cosignature line", NULL);
    w = snprintf(note, sizeof(note), "%s\n%s%s", c->cp_text, l1, l2);
    if (w < 0 || (size_t)w >= sizeof(note))
        die("cosigned note too long", NULL);
    check(hh_note_parse(note, (size_t)w, &c->cosigned, &err), "parsing the cosigned note", &err);
    c->cosig_time = 1700000000;
    c->have_notes = true;
}

/* An in-toto-like statement of payload_len bytes. */
static uint8_t *make_statement(size_t payload_len)
{
    static const char head[] = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{"
                               "\"name\":\"bench\"}],\"predicateType\":\"https://henhouse."
                               "example/bench\",\"predicate\":{\"pad\":\"";
    static const char tail[] = "\"}}";
    size_t h = sizeof(head) - 1, t = sizeof(tail) - 1;
    uint8_t *p = xcalloc(payload_len + 1, 1);

    if (payload_len < h + t)
        die("DSSE payload too short for the statement", NULL);
    memcpy(p, head, h);
    memset(p + h, 'x', payload_len - h - t);
    memcpy(p + payload_len - t, tail, t);
    return p;
}

/* Signs and formats an envelope over a payload_len-byte statement. */
static void format_envelope(struct bench_ctx *c, size_t payload_len, char **json, size_t *len)
{
    struct hh_error err = {0};
    struct hh_dsse *e = NULL;
    uint8_t *payload = make_statement(payload_len);

    check(hh_dsse_sign(DSSE_TYPE, payload, payload_len, &c->author, 1, &e, &err), "DSSE sign",
          &err);
    check(hh_dsse_format(e, json, len, &err), "DSSE format", &err);
    hh_dsse_free(e);
    free(payload);
}

/* Sizes the payload so that the whole envelope is about DSSE_TARGET bytes. */
static void need_dsse(struct bench_ctx *c)
{
    char *json = NULL;
    size_t len = 0, base = 150, payload_len;

    if (c->have_dsse)
        return;
    need_keys(c);
    format_envelope(c, base, &json, &len);
    free(json);
    payload_len = base + (DSSE_TARGET > len ? (DSSE_TARGET - len) * 3 / 4 : 0);
    format_envelope(c, payload_len, &c->dsse_json, &c->dsse_len);
    c->have_dsse = true;
}

static void need_bundle(struct bench_ctx *c)
{
    if (c->have_bundle)
        return;
    c->bundle = xcalloc(HH_TILE_WIDTH, 2 + ENTRY_LEN);
    for (uint64_t i = 0; i < HH_TILE_WIDTH; i++) {
        make_entry(i, c->buf);
        check(hh_bundle_append(c->bundle, HH_TILE_WIDTH * (2 + ENTRY_LEN), &c->bundle_len, c->buf,
                               ENTRY_LEN),
              "building the bundle", NULL);
    }
    c->have_bundle = true;
}

/* Tiles of a 1,000,000-leaf log: entry bundles and hash tiles of levels 0-2, 1 in 8 partial. */
static void random_tile(struct bench_ctx *c, struct hh_tile *t)
{
    uint64_t r = rng_next(c);
    uint64_t span = HH_TILE_WIDTH;

    memset(t, 0, sizeof(*t));
    t->entries = r % 2 == 0;
    t->level = t->entries ? 0 : (uint8_t)(r / 2 % 3);
    for (uint8_t l = 0; l < t->level; l++)
        span *= HH_TILE_WIDTH;
    t->index = rng_next(c) % (TREE_SIZE / span + 1);
    t->width = r / 8 % 8 == 0 ? (uint16_t)(1 + r / 64 % 255) : HH_TILE_WIDTH;
}

static void need_tiles(struct bench_ctx *c)
{
    if (c->have_tiles)
        return;
    for (size_t i = 0; i < NPRECOMP; i++) {
        random_tile(c, &c->tiles[i]);
        check(hh_tile_path(&c->tiles[i], c->paths[i], sizeof(c->paths[i])), "tile path", NULL);
        c->path_lens[i] = strlen(c->paths[i]);
    }
    c->have_tiles = true;
}

/* ---- Operations: each does one unit of work and returns a value for the sink ---- */

static uint64_t op_sha256_65(struct bench_ctx *c)
{
    struct hh_hash h;
    hh_sha256(c->buf, 65, &h);
    memcpy(c->buf + 1, h.b, HH_HASH_LEN); /* chain: the next input depends on this output */
    return h.b[0];
}

static uint64_t op_sha256_601(struct bench_ctx *c)
{
    struct hh_hash h;
    hh_sha256(c->buf, ENTRY_LEN + 1, &h);
    memcpy(c->buf + 1, h.b, HH_HASH_LEN);
    return h.b[0];
}

static uint64_t op_sha256_700(struct bench_ctx *c)
{
    struct hh_hash h;
    hh_sha256(c->buf, LEAF_LEN, &h);
    memcpy(c->buf + 1, h.b, HH_HASH_LEN);
    return h.b[0];
}

/* The same two sizes through libsodium directly: the implementation hh_sha256 replaced. */
static uint64_t op_sodium_sha256_65(struct bench_ctx *c)
{
    uint8_t h[HH_HASH_LEN];
    crypto_hash_sha256(h, c->buf, 65);
    memcpy(c->buf + 1, h, HH_HASH_LEN);
    return h[0];
}

static uint64_t op_sodium_sha256_700(struct bench_ctx *c)
{
    uint8_t h[HH_HASH_LEN];
    crypto_hash_sha256(h, c->buf, LEAF_LEN);
    memcpy(c->buf + 1, h, HH_HASH_LEN);
    return h[0];
}

static uint64_t op_ed25519_sign(struct bench_ctx *c)
{
    uint8_t sig[64];
    hh_signer_sign_raw(c->log, c->sign_msg, SIG_MSG_LEN, sig);
    c->sign_msg[0] = sig[0];
    return sig[63];
}

static uint64_t op_ed25519_verify(struct bench_ctx *c)
{
    if (!hh_verifier_signed(&c->log_v, c->msg, SIG_MSG_LEN, c->msg_sig, 64))
        die("raw Ed25519 signature does not verify", NULL);
    return 1;
}

static uint64_t op_incl_make(struct bench_ctx *c)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    size_t n = 0;
    uint64_t index = rng_next(c) % TREE_SIZE;

    check(hh_merkle_inclusion_proof(&c->reader, index, TREE_SIZE, proof, &n, NULL),
          "inclusion proof", NULL);
    return n + proof[0].b[0];
}

static uint64_t op_incl_check(struct bench_ctx *c)
{
    const struct incl_case *ic = &c->incl[c->k++ % NPRECOMP];
    struct hh_error err = {0};

    check(hh_merkle_verify_inclusion(ic->index, TREE_SIZE, &ic->leaf, ic->proof, ic->n, &c->root,
                                     &err),
          "inclusion proof check", &err);
    return ic->n;
}

static uint64_t op_cons_make(struct bench_ctx *c)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    size_t n = 0;
    uint64_t old_size, new_size;

    random_pair(c, &old_size, &new_size);
    check(hh_merkle_consistency_proof(&c->reader, old_size, new_size, proof, &n, NULL),
          "consistency proof", NULL);
    return n + (n > 0 ? proof[0].b[0] : 0);
}

static uint64_t op_cons_check(struct bench_ctx *c)
{
    const struct cons_case *cc = &c->cons[c->k++ % NPRECOMP];
    struct hh_error err = {0};

    check(hh_merkle_verify_consistency(cc->old_size, cc->new_size, &cc->old_root, &cc->new_root,
                                       cc->proof, cc->n, &err),
          "consistency proof check", &err);
    return cc->n;
}

static uint64_t op_note_sign(struct bench_ctx *c)
{
    struct hh_error err = {0};
    char *note = NULL;
    size_t len = 0;
    uint64_t v;

    check(hh_note_sign(c->log, c->cp_text, c->cp_len, &note, &len, &err), "note sign", &err);
    v = (uint8_t)note[len - 3];
    free(note);
    return v;
}

/* What a client does with a fetched checkpoint: parse the note, verify it, parse the text. */
static uint64_t op_note_verify(struct bench_ctx *c)
{
    struct hh_error err = {0};
    struct hh_note *n = NULL;
    struct hh_note_verified ok[1];
    struct hh_checkpoint cp;
    size_t nok = 0;

    check(hh_note_parse(c->cp_note, c->cp_note_len, &n, &err), "note parse", &err);
    check(hh_note_verify(n, &c->log_v, 1, ok, 1, &nok, &err), "note verify", &err);
    check(hh_checkpoint_parse(n->text, n->text_len, &cp, &err), "checkpoint parse", &err);
    hh_note_free(n);
    return cp.size + nok;
}

static uint64_t op_cosig_sign(struct bench_ctx *c)
{
    char line[HH_NOTE_SIG_LINE_MAX];

    check(hh_note_sign_line(c->witness, c->cp_text, c->cp_len, c->cosig_time++, line, sizeof(line)),
          "cosignature sign", NULL);
    return (uint8_t)line[40];
}

/* Verifies the cosignature only: the log's signature is by a key not given, so skipped. */
static uint64_t op_cosig_verify(struct bench_ctx *c)
{
    struct hh_error err = {0};
    struct hh_note_verified ok[1];
    size_t nok = 0;

    check(hh_note_verify(c->cosigned, &c->witness_v, 1, ok, 1, &nok, &err), "cosignature verify",
          &err);
    return ok[0].timestamp + nok;
}

static uint64_t op_dsse_verify(struct bench_ctx *c)
{
    struct hh_error err = {0};
    struct hh_dsse *e = NULL;
    uint8_t verified[1];
    size_t nv = 0;

    check(hh_dsse_parse(c->dsse_json, c->dsse_len, &e, &err), "DSSE parse", &err);
    check(hh_dsse_verify(e, &c->author_v, 1, verified, &nv, &err), "DSSE verify", &err);
    hh_dsse_free(e);
    return nv;
}

static uint64_t op_tile_format(struct bench_ctx *c)
{
    char path[HH_TILE_PATH_MAX];

    check(hh_tile_path(&c->tiles[c->k++ % NPRECOMP], path, sizeof(path)), "tile path", NULL);
    return (uint8_t)path[5];
}

static uint64_t op_tile_parse(struct bench_ctx *c)
{
    size_t i = c->k++ % NPRECOMP;
    struct hh_error err = {0};
    struct hh_tile t;

    check(hh_tile_parse_path(c->paths[i], c->path_lens[i], &t, &err), "tile path parse", &err);
    return t.index + t.width;
}

static uint64_t op_bundle_parse(struct bench_ctx *c)
{
    const uint8_t *entries[HH_TILE_WIDTH];
    size_t lens[HH_TILE_WIDTH];
    struct hh_error err = {0};

    check(hh_bundle_parse(c->bundle, c->bundle_len, HH_TILE_WIDTH, entries, lens, &err),
          "bundle parse", &err);
    return lens[HH_TILE_WIDTH - 1] + entries[HH_TILE_WIDTH - 1][0];
}

/* ---- Timing ---- */

struct result {
    bool done;
    uint64_t ops;
    double elapsed, rate;
    double cpu;           /* thread CPU time / wall time: below ~0.95 the run shared its core */
    double cpu_rate;      /* ops per second of thread CPU time: the rate on an idle core */
    double base_rate;     /* the baseline's rate, measured just before and just after */
    double base_cpu_rate; /* the same per CPU-second */
};

typedef uint64_t (*op_fn)(struct bench_ctx *c);

/* Runs op in growing batches until seconds have passed; the clock is read once per batch. */
static void run_ops(op_fn op, struct bench_ctx *c, double seconds, struct result *r)
{
    uint64_t acc = 0, total = 0, batch = 1;
    double c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID), t0 = now(), t = t0, b0;

    do {
        b0 = t;
        for (uint64_t i = 0; i < batch; i++)
            acc += op(c);
        total += batch;
        t = now();
        if (t - b0 < BATCH_MAX_SEC)
            batch *= 2;
    } while (t - t0 < seconds);
    sink += acc;
    r->ops = total;
    r->elapsed = t - t0;
    r->rate = (double)total / r->elapsed;
    r->cpu = (clock_sec(CLOCK_THREAD_CPUTIME_ID) - c0) / r->elapsed;
    r->cpu_rate = r->rate / r->cpu;
}

/* Builds whole TREE_SIZE-leaf trees until seconds have passed (at least one). */
static void run_tree_builds(struct bench_ctx *c, bool hash_entries, double seconds,
                            struct result *r)
{
    double c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID), t0 = now(), t;
    uint64_t total = 0;

    do {
        struct hh_memtree *tree = hh_memtree_new();
        struct hh_hash h;
        if (tree == NULL)
            die("out of memory", NULL);
        for (uint64_t i = 0; i < TREE_SIZE; i++) {
            if (hash_entries) {
                make_entry(i, c->buf);
                hh_merkle_leaf_hash(c->buf, ENTRY_LEN, &h);
            } else {
                h = c->leaves[i];
            }
            check(hh_memtree_append(tree, &h), "memtree append", NULL);
        }
        total += TREE_SIZE;
        sink += hh_memtree_size(tree);
        hh_memtree_free(tree);
        t = now();
    } while (t - t0 < seconds);
    r->ops = total;
    r->elapsed = t - t0;
    r->rate = (double)total / r->elapsed;
    r->cpu = (clock_sec(CLOCK_THREAD_CPUTIME_ID) - c0) / r->elapsed;
    r->cpu_rate = r->rate / r->cpu;
}

/* One SHA-256 implementation for the tree-root comparison: leaf and node hash. */
struct tree_hasher {
    void (*leaf)(const uint8_t *data, size_t len, uint8_t out[HH_HASH_LEN]);
    void (*node)(const uint8_t l[HH_HASH_LEN], const uint8_t r[HH_HASH_LEN],
                 uint8_t out[HH_HASH_LEN]);
};

static void hh_leaf(const uint8_t *data, size_t len, uint8_t out[HH_HASH_LEN])
{
    hh_merkle_leaf_hash(data, len, (struct hh_hash *)(void *)out);
}

static void hh_node(const uint8_t l[HH_HASH_LEN], const uint8_t r[HH_HASH_LEN],
                    uint8_t out[HH_HASH_LEN])
{
    hh_merkle_node_hash((const struct hh_hash *)(const void *)l,
                        (const struct hh_hash *)(const void *)r, (struct hh_hash *)(void *)out);
}

static void sodium_leaf(const uint8_t *data, size_t len, uint8_t out[HH_HASH_LEN])
{
    static const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

static void sodium_node(const uint8_t l[HH_HASH_LEN], const uint8_t r[HH_HASH_LEN],
                        uint8_t out[HH_HASH_LEN])
{
    uint8_t buf[1 + 2 * HH_HASH_LEN];

    buf[0] = 0x01;
    memcpy(buf + 1, l, HH_HASH_LEN);
    memcpy(buf + 1 + HH_HASH_LEN, r, HH_HASH_LEN);
    crypto_hash_sha256(out, buf, sizeof(buf));
}

/*
 * The root of TREE_SIZE LEAF_LEN-byte entries with hasher h: every leaf
 * hashed and folded on a stack of complete subtrees (one node hash per leaf,
 * amortised), as a verifier or mirror recomputes a tree. No memtree: only
 * the hashing differs between the two implementations.
 */
static void tree_root(const struct tree_hasher *h, uint8_t *buf, uint8_t root[HH_HASH_LEN])
{
    uint8_t stack[64][HH_HASH_LEN];
    size_t depth = 0;

    for (size_t j = 8; j < LEAF_LEN; j++)
        buf[j] = (uint8_t)('a' + j % 26);
    for (uint64_t i = 0; i < TREE_SIZE; i++) {
        put_be64(buf, i); /* distinct entries, without rewriting all 700 bytes each time */
        h->leaf(buf, LEAF_LEN, stack[depth++]);
        for (uint64_t n = i + 1; (n & 1) == 0; n >>= 1, depth--)
            h->node(stack[depth - 2], stack[depth - 1], stack[depth - 2]);
    }
    while (depth > 1) {
        h->node(stack[depth - 2], stack[depth - 1], stack[depth - 2]);
        depth--;
    }
    memcpy(root, stack[0], HH_HASH_LEN);
}

/* Builds TREE_SIZE-leaf roots with hasher h until seconds have passed; both agree. */
static void run_root_builds(struct bench_ctx *c, const struct tree_hasher *h, double seconds,
                            struct result *r)
{
    static const struct tree_hasher check_with = {sodium_leaf, sodium_node};
    static uint8_t reference[HH_HASH_LEN];
    static bool have_reference;
    double c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID), t0 = now(), t;
    uint8_t root[HH_HASH_LEN];
    uint64_t total = 0;

    if (!have_reference) {
        tree_root(&check_with, c->buf, reference);
        have_reference = true;
        t0 = now();
        c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID);
    }
    do {
        tree_root(h, c->buf, root);
        if (memcmp(root, reference, HH_HASH_LEN) != 0)
            die("the two SHA-256 implementations give different roots", NULL);
        total += TREE_SIZE;
        sink += root[0];
        t = now();
    } while (t - t0 < seconds);
    r->ops = total;
    r->elapsed = t - t0;
    r->rate = (double)total / r->elapsed;
    r->cpu = (clock_sec(CLOCK_THREAD_CPUTIME_ID) - c0) / r->elapsed;
    r->cpu_rate = r->rate / r->cpu;
}

/* ---- The benchmarks ---- */

/* the baselines: first in the table */
enum { B_SHA256, B_SHA256_601, B_SHA256_700, B_SIGN, B_VERIFY, B_TREE_ROOT };

struct bench {
    const char *name;
    int baseline; /* index into benches, or -1 */
    void (*prepare)(struct bench_ctx *c);
    op_fn op; /* timed per operation, or */
    /*
     * 1: leaf-hash 600-byte entries and append; 2: append precomputed hashes;
     * 3: root of 700-byte entries with hh_sha256; 4: the same with libsodium
     */
    int tree_build;
    const char *what;
};

static const struct bench benches[] = {
    {"sha256_65B", -1, NULL, op_sha256_65, 0, "raw SHA-256 of 65 bytes (one Merkle node hash)"},
    {"sha256_601B", B_SHA256, NULL, op_sha256_601, 0, "raw SHA-256 of 601 bytes (one leaf hash)"},
    {"sha256_700B", B_SHA256, NULL, op_sha256_700, 0, "raw SHA-256 of 700 bytes (an envelope)"},
    {"ed25519_sign", -1, need_keys, op_ed25519_sign, 0, "raw Ed25519 sign, 100-byte message"},
    {"ed25519_verify", -1, need_keys, op_ed25519_verify, 0, "raw Ed25519 verify, 100 bytes"},
    {"tree_root_700B", B_SHA256, NULL, NULL, 3,
     "root of 1,000,000 700-byte entries (leaf + node hashes), hh_sha256"},
    {"sodium_sha256_65B", B_SHA256, NULL, op_sodium_sha256_65, 0,
     "libsodium SHA-256 of 65 bytes (the implementation before OpenSSL)"},
    {"sodium_sha256_700B", B_SHA256_700, NULL, op_sodium_sha256_700, 0,
     "libsodium SHA-256 of 700 bytes"},
    {"sodium_tree_root", B_TREE_ROOT, NULL, NULL, 4,
     "root of 1,000,000 700-byte entries, libsodium SHA-256"},
    {"memtree_append_hash", B_SHA256, NULL, NULL, 1,
     "leaf-hash a 600-byte entry and append it; 1,000,000-leaf trees"},
    {"memtree_append_pre", B_SHA256, need_leaves, NULL, 2,
     "append a precomputed leaf hash; 1,000,000-leaf trees"},
    {"incl_proof_make", B_SHA256, need_proofs, op_incl_make, 0,
     "inclusion proof, random index, 1,000,000-leaf memtree"},
    {"incl_proof_check", B_SHA256, need_proofs, op_incl_check, 0,
     "check an inclusion proof against the root"},
    {"cons_proof_make", B_SHA256, need_proofs, op_cons_make, 0,
     "consistency proof, random pair, 1,000,000-leaf memtree"},
    {"cons_proof_check", B_SHA256, need_proofs, op_cons_check, 0,
     "check a consistency proof against both roots"},
    {"note_sign", B_SIGN, need_notes, op_note_sign, 0, "sign a checkpoint as a whole note"},
    {"note_verify", B_VERIFY, need_notes, op_note_verify, 0,
     "parse + verify a signed checkpoint note, parse the checkpoint"},
    {"cosig_sign", B_SIGN, need_notes, op_cosig_sign, 0, "cosignature/v1 signature line"},
    {"cosig_verify", B_VERIFY, need_notes, op_cosig_verify, 0,
     "verify a cosignature/v1 on a parsed note"},
    {"dsse_verify", B_VERIFY, need_dsse, op_dsse_verify, 0,
     "parse + verify a ~600-byte DSSE envelope, one key"},
    {"tile_path_format", B_SHA256, need_tiles, op_tile_format, 0, "format a tile path"},
    {"tile_path_parse", B_SHA256, need_tiles, op_tile_parse, 0, "parse a tile path"},
    {"bundle_parse", B_SHA256, need_bundle, op_bundle_parse, 0,
     "parse a full 256-entry bundle of 600-byte entries"},
};

#define NBENCH (sizeof(benches) / sizeof(benches[0]))

static void run_one(const struct bench *b, struct bench_ctx *c, double seconds, struct result *r)
{
    struct result warm;
    double warm_sec = seconds / 10 < 0.1 ? seconds / 10 : 0.1;

    if (b->prepare != NULL)
        b->prepare(c);
    if (b->tree_build >= 3) {
        static const struct tree_hasher hh = {hh_leaf, hh_node}, na = {sodium_leaf, sodium_node};
        run_root_builds(c, b->tree_build == 3 ? &hh : &na, seconds, r);
    } else if (b->tree_build) {
        run_tree_builds(c, b->tree_build == 1, seconds, r);
    } else {
        run_ops(b->op, c, warm_sec, &warm);
        run_ops(b->op, c, seconds, r);
    }
}

/* A bracketing run of a baseline: per operation, or whole tree roots. */
static void run_baseline(const struct bench *base, struct bench_ctx *c, double seconds,
                         struct result *r)
{
    if (base->op != NULL)
        run_ops(base->op, c, seconds, r);
    else
        run_one(base, c, seconds, r);
}

/*
 * Runs benchmark i. One with a baseline is bracketed by two half-length runs
 * of it, and compared with their mean: on a shared or frequency-scaling
 * machine the ratio then compares like with like.
 */
static void run_bench(size_t i, struct bench_ctx *c, double seconds, struct result *r)
{
    const struct bench *b = &benches[i];
    struct result pre, post;

    if (b->baseline < 0) {
        run_one(b, c, seconds, r);
        r->base_rate = r->rate;
        r->base_cpu_rate = r->cpu_rate;
    } else {
        const struct bench *base = &benches[b->baseline];
        if (base->prepare != NULL)
            base->prepare(c);
        if (b->prepare != NULL)
            b->prepare(c); /* before the bracket, so the setup does not sit inside it */
        run_baseline(base, c, seconds / 2, &pre);
        run_one(b, c, seconds, r);
        run_baseline(base, c, seconds / 2, &post);
        r->base_rate = (double)(pre.ops + post.ops) / (pre.elapsed + post.elapsed);
        r->base_cpu_rate =
            (double)(pre.ops + post.ops) / (pre.cpu * pre.elapsed + post.cpu * post.elapsed);
    }
    r->done = true;
}

/* ---- Output ---- */

/* The benchmark's rate over its baseline's, by wall-clock time. */
static double ratio_of(size_t i, const struct result *res)
{
    return res[i].rate / res[i].base_rate;
}

/* The same by thread CPU time: steadier when other work shares the machine. */
static double cpu_ratio_of(size_t i, const struct result *res)
{
    return res[i].cpu_rate / res[i].base_cpu_rate;
}

/* The first line of /proc/loadavg, to show whether other work shared the machine. */
static void print_loadavg(const char *when)
{
    char line[128] = "";
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL) {
        if (fgets(line, sizeof(line), f) == NULL)
            line[0] = '\0';
        fclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    printf("# load average %s: %s\n", when, line[0] ? line : "unknown");
}

static void print_header(double seconds)
{
    printf("# henhouse core micro-benchmarks: %.2f s per benchmark, libsodium %s, SHA-256 by %s\n",
           seconds, sodium_version_string(), OPENSSL_VERSION_TEXT);
    print_loadavg("before");
    printf("%-20s %11s %11s  %-15s %8s %9s %11s %5s\n", "benchmark", "ops/s", "ops/cpu-s",
           "baseline", "ratio", "ratio-cpu", "base-ops/op", "cpu%");
}

/* base-ops/op is the cost of one operation in baseline operations, by CPU time. */
static void print_line(size_t i, const struct result *res)
{
    const struct result *r = &res[i];
    int base = benches[i].baseline;

    printf("%-20s %11.0f %11.0f  ", benches[i].name, r->rate, r->cpu_rate);
    if (base < 0)
        printf("%-15s %8s %9s %11s", "-", "-", "-", "-");
    else
        printf("%-15s %8.4f %9.4f %11.2f", benches[base].name, ratio_of(i, res),
               cpu_ratio_of(i, res), 1 / cpu_ratio_of(i, res));
    printf(" %5.0f\n", 100 * r->cpu);
    fflush(stdout);
}

static void print_notes(const struct bench_ctx *c)
{
    if (c->have_proofs)
        printf("# proofs in a %u-leaf tree: inclusion mean %.2f hashes, consistency mean %.2f\n",
               TREE_SIZE, c->incl_mean, c->cons_mean);
    if (c->have_notes)
        printf("# checkpoint text %zu bytes, signed note %zu bytes\n", c->cp_len, c->cp_note_len);
    if (c->have_dsse)
        printf("# DSSE envelope %zu bytes\n", c->dsse_len);
    if (c->have_bundle)
        printf("# bundle %zu bytes\n", c->bundle_len);
    print_loadavg("after");
}

static void print_json(const struct bench_ctx *c, const struct result *res, double seconds)
{
    const char *sep = "";

    printf("{\"seconds\":%.3f,\"libsodium\":\"%s\",\"tree_size\":%u,", seconds,
           sodium_version_string(), TREE_SIZE);
    printf("\"incl_mean_hashes\":%.3f,\"cons_mean_hashes\":%.3f,", c->incl_mean, c->cons_mean);
    printf("\"dsse_bytes\":%zu,\"checkpoint_note_bytes\":%zu,\"results\":[", c->dsse_len,
           c->cp_note_len);
    for (size_t i = 0; i < NBENCH; i++) {
        int base = benches[i].baseline;
        if (!res[i].done)
            continue;
        printf("%s{\"name\":\"%s\",\"ops\":%" PRIu64
               ",\"elapsed\":%.6f,\"ops_per_sec\":%.1f,\"ops_per_cpu_sec\":%.1f,\"cpu\":%.3f",
               sep, benches[i].name, res[i].ops, res[i].elapsed, res[i].rate, res[i].cpu_rate,
               res[i].cpu);
        if (base < 0)
            printf(",\"baseline\":null,\"ratio\":null,\"ratio_cpu\":null}");
        else
            printf(",\"baseline\":\"%s\",\"baseline_ops_per_sec\":%.1f,"
                   "\"baseline_ops_per_cpu_sec\":%.1f,\"ratio\":%.6f,\"ratio_cpu\":%.6f}",
                   benches[base].name, res[i].base_rate, res[i].base_cpu_rate, ratio_of(i, res),
                   cpu_ratio_of(i, res));
        sep = ",";
    }
    printf("]}\n");
}

/* ---- Command line ---- */

struct options {
    double seconds;
    bool json, list;
    bool selected[NBENCH];
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hh_bench [--seconds S] [--json] [--list] [NAME-PREFIX...]\n"
               "  --seconds S  time per benchmark (default 1, or HH_BENCH_SECONDS)\n"
               "  --json       one JSON object on stdout instead of the table\n"
               "  --list       list the benchmarks and exit\n");
}

static bool parse_seconds(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v > 0 && v <= 3600))
        return false;
    *out = v;
    return true;
}

/* Selects the benchmarks named by prefix; false if none matches. */
static bool select_prefix(struct options *o, const char *prefix)
{
    bool any = false;

    for (size_t i = 0; i < NBENCH; i++) {
        if (strncmp(benches[i].name, prefix, strlen(prefix)) == 0) {
            o->selected[i] = true;
            any = true;
        }
    }
    return any;
}

/* Parses argv into o; exits 2 on a usage error. */
static void parse_args(int argc, char **argv, struct options *o)
{
    const char *env = getenv("HH_BENCH_SECONDS");
    bool named = false;

    o->seconds = 1.0;
    if (env != NULL && !parse_seconds(env, &o->seconds)) {
        fprintf(stderr, "hh_bench: bad HH_BENCH_SECONDS \"%s\"\n", env);
        exit(2);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--list") == 0) {
            o->list = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strncmp(a, "--seconds=", 10) == 0 || strcmp(a, "--seconds") == 0) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : "");
            if (!parse_seconds(v, &o->seconds)) {
                fprintf(stderr, "hh_bench: --seconds wants a number in (0, 3600]\n");
                exit(2);
            }
        } else if (a[0] == '-') {
            usage(stderr);
            exit(2);
        } else {
            named = true;
            if (!select_prefix(o, a)) {
                fprintf(stderr, "hh_bench: no benchmark named %s* (see --list)\n", a);
                exit(2);
            }
        }
    }
    for (size_t i = 0; i < NBENCH; i++)
        if (!named)
            o->selected[i] = true;
        else if (o->selected[i] && benches[i].baseline >= 0)
            o->selected[benches[i].baseline] = true; /* baselines precede their users */
}

static void free_ctx(struct bench_ctx *c)
{
    hh_signer_free(c->log);
    hh_signer_free(c->witness);
    hh_signer_free(c->author);
    free(c->leaves);
    hh_memtree_free(c->tree);
    free(c->incl);
    free(c->cons);
    free(c->cp_note);
    hh_note_free(c->cosigned);
    free(c->dsse_json);
    free(c->bundle);
}

int main(int argc, char **argv)
{
    static struct options opt;
    static struct bench_ctx ctx;
    static struct result res[NBENCH];

    parse_args(argc, argv, &opt);
    if (opt.list) {
        for (size_t i = 0; i < NBENCH; i++)
            printf("%-20s %s\n", benches[i].name, benches[i].what);
        return 0;
    }
    if (hh_init() != HH_OK)
        die("cannot initialise libsodium", NULL);
    ctx.rng = 0x9E3779B97F4A7C15ULL;
    if (!opt.json)
        print_header(opt.seconds);
    for (size_t i = 0; i < NBENCH; i++) {
        if (!opt.selected[i])
            continue;
        run_bench(i, &ctx, opt.seconds, &res[i]);
        if (!opt.json)
            print_line(i, res);
    }
    if (opt.json)
        print_json(&ctx, res, opt.seconds);
    else
        print_notes(&ctx);
    free_ctx(&ctx);
    return 0;
}
