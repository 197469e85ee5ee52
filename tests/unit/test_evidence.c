/*
 * test_evidence.c - evidence files (evidence.h), built with real keys, real
 * trees and real signed notes, then checked offline with hh_evidence_verify.
 *
 * Each kind is shown proven when it should be and not proven when the
 * material does not show misbehaviour; every malformed file is refused with
 * HH_ERR_INVALID or HH_ERR_TOO_LARGE and a zeroed verdict; and no change to a
 * signature or to signed data turns a file into a proof.
 */
#include <henhouse/henhouse.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LOG_NAME "example.com/log"
#define DASH     "\xe2\x80\x94 "

/* ---- keys, trees and notes ---- */

static struct hh_signer *gen(const char *name, uint8_t type, struct hh_verifier *v)
{
    struct hh_signer *s = NULL;

    if (!CHECK_OK(hh_init()) || !CHECK_OK(hh_signer_generate(name, type, &s, NULL)))
        abort();
    hh_signer_verifier(s, v);
    return s;
}

/* Leaf i of a tree; fork != 0 changes leaf 0 only, so every prefix root differs. */
static void leaf(int fork, uint64_t i, struct hh_hash *out)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%s leaf %llu", fork && i == 0 ? "forked" : "honest",
                     (unsigned long long)i);
    hh_merkle_leaf_hash(buf, (size_t)n, out);
}

static struct hh_memtree *tree(int fork, uint64_t n)
{
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash h;

    if (t == NULL)
        abort();
    for (uint64_t i = 0; i < n; i++) {
        leaf(fork, i, &h);
        if (hh_memtree_append(t, &h) != HH_OK)
            abort();
    }
    return t;
}

static void root_of(struct hh_memtree *t, uint64_t size, struct hh_hash *out)
{
    struct hh_hash_reader r = hh_memtree_reader(t);
    CHECK_OK(hh_merkle_root(&r, size, out, NULL));
}

/* Signs the checkpoint (origin, size, root, ext) with s; malloc'd note. */
static char *sign_cp_ext(const struct hh_signer *s, const char *origin, uint64_t size,
                         const struct hh_hash *root, const char *ext, size_t *len)
{
    struct hh_checkpoint c;
    char text[HH_CHECKPOINT_TEXT_MAX];
    char *note = NULL;
    size_t n = 0;

    memset(&c, 0, sizeof(c));
    snprintf(c.origin, sizeof(c.origin), "%s", origin);
    c.size = size;
    c.root = *root;
    c.extensions_len = strlen(ext);
    memcpy(c.extensions, ext, c.extensions_len);
    if (!CHECK_OK(hh_checkpoint_format(&c, text, sizeof(text), &n)) ||
        !CHECK_OK(hh_note_sign(s, text, n, &note, len, NULL)))
        abort();
    return note;
}

static char *sign_cp(const struct hh_signer *s, uint64_t size, const struct hh_hash *root,
                     size_t *len)
{
    return sign_cp_ext(s, LOG_NAME, size, root, "", len);
}

/* The signed checkpoint of the first size leaves of t. */
static char *sign_tree(const struct hh_signer *s, struct hh_memtree *t, uint64_t size, size_t *len)
{
    struct hh_hash root;
    root_of(t, size, &root);
    return sign_cp(s, size, &root, len);
}

static const struct hh_evidence_observation obs = {"example.com/witness", 1700000000,
                                                   "seen in a test"};

/* ---- verifying ---- */

static hh_status verify(const char *json, struct hh_evidence_verdict *v, struct hh_error *err)
{
    return hh_evidence_verify(json, strlen(json), v, err);
}

static int verdict_zero(const struct hh_evidence_verdict *v)
{
    static const struct hh_evidence_verdict zero;
    return memcmp(v, &zero, sizeof(zero)) == 0;
}

static int proven(const char *json, enum hh_evidence_kind kind)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};
    hh_status rc = verify(json, &v, &err);

    if (rc != HH_OK)
        hh_test_note("refused: %s", err.msg);
    return rc == HH_OK && v.kind == kind && v.proven && strcmp(v.origin, LOG_NAME) == 0 &&
           strncmp(v.explanation, "PROVEN: ", 8) == 0;
}

/* Well-formed, of this kind, and not a proof. */
static int unproven(const char *json, enum hh_evidence_kind kind)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};
    hh_status rc = verify(json, &v, &err);

    if (rc != HH_OK)
        hh_test_note("refused: %s", err.msg);
    return rc == HH_OK && v.kind == kind && !v.proven && strcmp(v.origin, LOG_NAME) == 0 &&
           v.explanation[0] != '\0' && strstr(v.explanation, "PROVEN") == NULL;
}

static json_t *load(const char *json)
{
    json_t *o = json_loads(json, 0, NULL);
    if (o == NULL)
        abort();
    return o;
}

static char *dump(const json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    if (s == NULL)
        abort();
    return s;
}

/* Verifies s: must be refused with code, an error message naming it, and a zeroed verdict. */
static int refused_str(const char *s, size_t len, hh_status code, const char *what)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};
    hh_status rc;

    memset(&v, 0xaa, sizeof(v));
    rc = hh_evidence_verify(s, len, &v, &err);
    if (rc != code || err.code != rc || err.msg[0] == '\0' || !verdict_zero(&v)) {
        hh_test_note("%s: got %s (err %s: %s)", what, hh_status_name(rc), hh_status_name(err.code),
                     err.msg);
        return 0;
    }
    return 1;
}

/* Dumps o (and releases it); the result must be refused with code. */
static int refused(json_t *o, hh_status code, const char *what)
{
    char *s = dump(o);
    int ok = refused_str(s, strlen(s), code, what);

    json_decref(o);
    free(s);
    return ok;
}

/* ---- the four kinds, made once per test ---- */

struct world {
    struct hh_signer *log, *stranger, *alice, *bob, *witness;
    struct hh_verifier log_v, stranger_v, alice_v, bob_v, witness_v;
};

static void world_init(struct world *w)
{
    w->log = gen(LOG_NAME, HH_KEY_ED25519, &w->log_v);
    w->stranger = gen("stranger.example/key", HH_KEY_ED25519, &w->stranger_v);
    w->alice = gen("alice.example/signer", HH_KEY_ED25519, &w->alice_v);
    w->bob = gen("bob.example/signer", HH_KEY_ED25519, &w->bob_v);
    w->witness = gen("example.com/witness", HH_KEY_COSIGNATURE, &w->witness_v);
}

static void world_free(struct world *w)
{
    hh_signer_free(w->log);
    hh_signer_free(w->stranger);
    hh_signer_free(w->alice);
    hh_signer_free(w->bob);
    hh_signer_free(w->witness);
}

/* A split view: the honest and the forked tree, both signed at size n. */
static char *make_split_view(const struct world *w, uint64_t n)
{
    struct hh_memtree *a = tree(0, n), *b = tree(1, n);
    size_t l1 = 0, l2 = 0;
    char *n1 = sign_tree(w->log, a, n, &l1), *n2 = sign_tree(w->log, b, n, &l2), *out = NULL;

    CHECK_OK(hh_evidence_split_view(&w->log_v, n1, l1, n2, l2, &obs, &out, NULL));
    free(n1);
    free(n2);
    hh_memtree_free(a);
    hh_memtree_free(b);
    return out;
}

/*
 * History rewritten: the log signed (m, root of tree a) and later
 * (n, root of tree b), trees that differ in leaf 0. The true old root and
 * the consistency proof come from tree b.
 */
static char *make_inconsistent(const struct world *w, uint64_t m, uint64_t n)
{
    struct hh_memtree *a = tree(1, m), *b = tree(0, n);
    struct hh_hash_reader rb = hh_memtree_reader(b);
    struct hh_hash true_old, proof[HH_MERKLE_MAX_PROOF];
    size_t lo = 0, ln = 0, np = 0;
    char *old = sign_tree(w->log, a, m, &lo), *new = sign_tree(w->log, b, n, &ln), *out = NULL;

    root_of(b, m, &true_old);
    CHECK_OK(hh_merkle_consistency_proof(&rb, m, n, proof, &np, NULL));
    CHECK_OK(hh_evidence_inconsistent(&w->log_v, old, lo, new, ln, &true_old, proof, np, &obs, &out,
                                      NULL));
    free(old);
    free(new);
    hh_memtree_free(a);
    hh_memtree_free(b);
    return out;
}

/* A log of n DSSE entries signed by alice, except entry odd signed by `odd_signer`. */
struct entry_log {
    char *entries[16];
    size_t lens[16];
    size_t n;
    struct hh_memtree *t;
};

static char *dsse_entry(struct hh_signer *s, size_t i, size_t *len)
{
    struct hh_dsse *env = NULL;
    char payload[64], *out = NULL;
    int n = snprintf(payload, sizeof(payload), "{\"statement\": %zu}", i);

    CHECK_OK(hh_dsse_sign("application/vnd.example+json", (const uint8_t *)payload, (size_t)n, &s,
                          1, &env, NULL));
    CHECK_OK(hh_dsse_format(env, &out, len, NULL));
    hh_dsse_free(env);
    return out;
}

static void entry_log_init(struct entry_log *l, const struct world *w, size_t n, size_t odd,
                           struct hh_signer *odd_signer)
{
    memset(l, 0, sizeof(*l));
    l->t = hh_memtree_new();
    l->n = n;
    for (size_t i = 0; i < n; i++) {
        struct hh_hash h;
        l->entries[i] = dsse_entry(i == odd ? odd_signer : w->alice, i, &l->lens[i]);
        hh_merkle_leaf_hash(l->entries[i], l->lens[i], &h);
        CHECK_OK(hh_memtree_append(l->t, &h));
    }
}

static void entry_log_free(struct entry_log *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->entries[i]);
    hh_memtree_free(l->t);
}

/* Evidence that entry idx of l is unauthorised, with alice and bob as the party's signers. */
static char *make_unauthorised(const struct world *w, struct entry_log *l, size_t idx)
{
    struct hh_hash_reader r = hh_memtree_reader(l->t);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_verifier signers[2] = {w->bob_v, w->alice_v};
    size_t len = 0, np = 0;
    char *note = sign_tree(w->log, l->t, l->n, &len), *out = NULL;

    CHECK_OK(hh_merkle_inclusion_proof(&r, idx, l->n, proof, &np, NULL));
    CHECK_OK(hh_evidence_unauthorised_entry(&w->log_v, note, len, idx,
                                            (const uint8_t *)l->entries[idx], l->lens[idx], proof,
                                            np, signers, 2, &obs, &out, NULL));
    free(note);
    return out;
}

static char *make_bad_data(const struct world *w)
{
    struct hh_memtree *t = tree(0, 9);
    size_t len = 0;
    char *note = sign_tree(w->log, t, 9, &len), *out = NULL;

    CHECK_OK(hh_evidence_bad_data(&w->log_v, note, len, "tile/0/000", &obs, &out, NULL));
    free(note);
    hh_memtree_free(t);
    return out;
}

/* ---- split view ---- */

TEST(evidence_split_view_proven)
{
    struct world w;
    struct hh_evidence_verdict v;
    json_t *o;
    char *ev;

    world_init(&w);
    for (uint64_t n = 1; n <= 9; n += 4) {
        ev = make_split_view(&w, n);
        CHECK(ev != NULL && proven(ev, HH_EVIDENCE_SPLIT_VIEW));
        free(ev);
    }
    ev = make_split_view(&w, 5);
    CHECK_OK(verify(ev, &v, NULL));
    CHECK(strstr(v.explanation, "same size 5") != NULL);
    o = load(ev);
    CHECK(strcmp(json_string_value(json_object_get(o, "format")), "henhouse-evidence/v1") == 0);
    CHECK(strcmp(json_string_value(json_object_get(o, "kind")), "split-view") == 0);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(o, "observed"), "by")),
                 obs.by) == 0);
    json_decref(o);
    free(ev);
    world_free(&w);
}

/* A checkpoint that also carries a witness's cosignature is still the log's checkpoint. */
TEST(evidence_split_view_cosigned_notes_proven)
{
    struct world w;
    struct hh_memtree *a = tree(0, 6), *b = tree(1, 6);
    char line[HH_NOTE_SIG_LINE_MAX], *n1, *n2, *both, *ev = NULL;
    size_t l1 = 0, l2 = 0, text_len;

    world_init(&w);
    n1 = sign_tree(w.log, a, 6, &l1);
    n2 = sign_tree(w.log, b, 6, &l2);
    text_len = (size_t)(strstr(n1, "\n\n") - n1) + 1;
    CHECK_OK(hh_note_sign_line(w.witness, n1, text_len, 1700000000, line, sizeof(line)));
    both = malloc(l1 + strlen(line) + 1);
    memcpy(both, n1, l1);
    memcpy(both + l1, line, strlen(line) + 1);
    CHECK_OK(hh_evidence_split_view(&w.log_v, both, strlen(both), n2, l2, NULL, &ev, NULL));
    CHECK(ev != NULL && proven(ev, HH_EVIDENCE_SPLIT_VIEW));
    free(ev);
    free(both);
    free(n1);
    free(n2);
    hh_memtree_free(a);
    hh_memtree_free(b);
    world_free(&w);
}

TEST(evidence_split_view_not_proven)
{
    struct world w;
    struct hh_memtree *a = tree(0, 8);
    struct hh_hash root;
    size_t l1 = 0, l2 = 0, l3 = 0;
    char *n1, *n2, *n3, *ev = NULL;

    world_init(&w);
    root_of(a, 8, &root);
    n1 = sign_cp(w.log, 8, &root, &l1);
    n2 = sign_cp_ext(w.log, LOG_NAME, 8, &root, "an extension line\n", &l2);
    n3 = sign_tree(w.log, a, 7, &l3);
    /* the same note twice */
    CHECK_OK(hh_evidence_split_view(&w.log_v, n1, l1, n1, l1, &obs, &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_SPLIT_VIEW));
    free(ev);
    /* different notes, same size and same root */
    CHECK_OK(hh_evidence_split_view(&w.log_v, n1, l1, n2, l2, &obs, &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_SPLIT_VIEW));
    free(ev);
    /* different sizes of one honest tree */
    CHECK_OK(hh_evidence_split_view(&w.log_v, n1, l1, n3, l3, &obs, &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_SPLIT_VIEW));
    free(ev);
    free(n1);
    free(n2);
    free(n3);
    hh_memtree_free(a);
    world_free(&w);
}

/* ---- inconsistent ---- */

TEST(evidence_inconsistent_proven)
{
    struct world w;
    struct hh_evidence_verdict v;
    int bad = 0;
    char *ev;

    world_init(&w);
    for (uint64_t n = 2; n <= 17; n++) {
        for (uint64_t m = 1; m < n; m++) {
            ev = make_inconsistent(&w, m, n);
            if (ev == NULL || !proven(ev, HH_EVIDENCE_INCONSISTENT)) {
                hh_test_note("m %llu n %llu not proven", (unsigned long long)m,
                             (unsigned long long)n);
                bad++;
            }
            free(ev);
        }
    }
    CHECK(bad == 0);
    ev = make_inconsistent(&w, 3, 8);
    CHECK_OK(verify(ev, &v, NULL));
    CHECK(strstr(v.explanation, "size 3") != NULL && strstr(v.explanation, "size 8") != NULL);
    free(ev);
    world_free(&w);
}

/* Sets member name of o to the base64 of a hash with byte i flipped. */
static void flip_b64(json_t *arr_or_obj, size_t index, const char *name, size_t byte)
{
    json_t *s = name ? json_object_get(arr_or_obj, name) : json_array_get(arr_or_obj, index);
    struct hh_hash h;
    char b64[48];

    CHECK_OK(hh_hash_from_base64(json_string_value(s), json_string_length(s), &h, NULL));
    h.b[byte] ^= 0x01;
    CHECK_OK(hh_base64_encode(h.b, HH_HASH_LEN, b64, sizeof(b64)));
    json_string_set(s, b64);
}

static int unproven_json(const json_t *o, enum hh_evidence_kind kind)
{
    char *s = dump(o);
    int ok = unproven(s, kind);
    free(s);
    return ok;
}

TEST(evidence_inconsistent_wrong_proof_not_proven)
{
    struct world w;
    char *ev;
    json_t *o, *p;
    size_t np;
    int bad = 0;

    world_init(&w);
    ev = make_inconsistent(&w, 5, 13);
    CHECK(proven(ev, HH_EVIDENCE_INCONSISTENT));
    o = load(ev);
    np = json_array_size(json_object_get(o, "consistency_proof"));
    CHECK(np >= 3);
    /* every bit position of every proof hash and of the old root */
    for (size_t i = 0; i <= np; i++) {
        for (size_t byte = 0; byte < HH_HASH_LEN; byte++) {
            json_t *c = json_deep_copy(o);
            if (i < np)
                flip_b64(json_object_get(c, "consistency_proof"), i, NULL, byte);
            else
                flip_b64(c, 0, "old_root", byte);
            bad += !unproven_json(c, HH_EVIDENCE_INCONSISTENT);
            json_decref(c);
        }
    }
    CHECK(bad == 0);
    /* one hash too few, one too many, none */
    p = json_object_get(o, "consistency_proof");
    json_array_append(p, json_array_get(p, 0));
    CHECK(unproven_json(o, HH_EVIDENCE_INCONSISTENT));
    json_array_remove(p, np);
    json_array_remove(p, np - 1);
    CHECK(unproven_json(o, HH_EVIDENCE_INCONSISTENT));
    json_array_clear(p);
    CHECK(unproven_json(o, HH_EVIDENCE_INCONSISTENT));
    json_decref(o);
    free(ev);
    world_free(&w);
}

TEST(evidence_inconsistent_equal_old_root_not_proven)
{
    struct world w;
    struct hh_memtree *a = tree(1, 4), *b = tree(0, 11);
    struct hh_hash_reader rb = hh_memtree_reader(b);
    struct hh_hash signed_old, true_old, new_root, proof[HH_MERKLE_MAX_PROOF];
    size_t lo = 0, lh = 0, ln = 0, np = 0;
    char *old, *honest_old, *new, *ev = NULL;

    world_init(&w);
    old = sign_tree(w.log, a, 4, &lo);
    honest_old = sign_tree(w.log, b, 4, &lh);
    new = sign_tree(w.log, b, 11, &ln);
    root_of(a, 4, &signed_old);
    root_of(b, 4, &true_old);
    CHECK_OK(hh_merkle_consistency_proof(&rb, 4, 11, proof, &np, NULL));
    /* an honest log: the signed old root is the true one and the proof verifies */
    root_of(b, 11, &new_root);
    CHECK_OK(hh_merkle_verify_consistency(4, 11, &true_old, &new_root, proof, np, NULL));
    CHECK_OK(hh_evidence_inconsistent(&w.log_v, honest_old, lh, new, ln, &true_old, proof, np, &obs,
                                      &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_INCONSISTENT));
    free(ev);
    /* the forked log, but the file names the signed old root as the "true" one */
    CHECK_OK(hh_evidence_inconsistent(&w.log_v, old, lo, new, ln, &signed_old, proof, np, &obs, &ev,
                                      NULL));
    CHECK(unproven(ev, HH_EVIDENCE_INCONSISTENT));
    free(ev);
    free(old);
    free(honest_old);
    free(new);
    hh_memtree_free(a);
    hh_memtree_free(b);
    world_free(&w);
}

TEST(evidence_inconsistent_sizes_not_proven)
{
    struct world w;
    struct hh_memtree *a = tree(1, 9), *b = tree(0, 9);
    struct hh_hash_reader rb = hh_memtree_reader(b);
    struct hh_hash root_b7, root_b9, root_a9, empty, proof[HH_MERKLE_MAX_PROOF];
    size_t la = 0, lb = 0, l7 = 0, l0 = 0, np = 0;
    char *na9, *nb9, *nb7, *n0, *ev = NULL;

    world_init(&w);
    root_of(b, 7, &root_b7);
    root_of(b, 9, &root_b9);
    root_of(a, 9, &root_a9);
    hh_merkle_empty_root(&empty);
    na9 = sign_tree(w.log, a, 9, &la);
    nb9 = sign_tree(w.log, b, 9, &lb);
    nb7 = sign_tree(w.log, b, 7, &l7);
    n0 = sign_cp(w.log, 0, &empty, &l0);
    /* m == n: an empty proof from the new root to itself verifies, but sizes must grow */
    CHECK_OK(hh_merkle_verify_consistency(9, 9, &root_b9, &root_b9, proof, 0, NULL));
    CHECK_OK(
        hh_evidence_inconsistent(&w.log_v, na9, la, nb9, lb, &root_b9, proof, 0, &obs, &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_INCONSISTENT));
    free(ev);
    /* m > n: the checkpoints in the wrong order */
    CHECK_OK(hh_merkle_consistency_proof(&rb, 7, 9, proof, &np, NULL));
    CHECK_OK(
        hh_evidence_inconsistent(&w.log_v, na9, la, nb7, l7, &root_b7, proof, np, &obs, &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_INCONSISTENT));
    free(ev);
    /* m == 0: the empty tree is a prefix of every tree */
    CHECK_OK(
        hh_evidence_inconsistent(&w.log_v, n0, l0, nb9, lb, &root_a9, proof, 0, &obs, &ev, NULL));
    CHECK(unproven(ev, HH_EVIDENCE_INCONSISTENT));
    free(ev);
    free(na9);
    free(nb9);
    free(nb7);
    free(n0);
    hh_memtree_free(a);
    hh_memtree_free(b);
    world_free(&w);
}

/* ---- unauthorised entry ---- */

TEST(evidence_unauthorised_entry_proven)
{
    struct world w;
    struct entry_log l;
    struct hh_evidence_verdict v;
    char *ev;

    world_init(&w);
    entry_log_init(&l, &w, 7, 4, w.stranger);
    ev = make_unauthorised(&w, &l, 4);
    CHECK(ev != NULL && proven(ev, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    CHECK_OK(verify(ev, &v, NULL));
    CHECK(strstr(v.explanation, "entry 4") != NULL && strstr(v.explanation, "size 7") != NULL);
    free(ev);
    entry_log_free(&l);
    /* an entry that is not a DSSE envelope at all is not a statement of any signer */
    entry_log_init(&l, &w, 3, 99, NULL);
    free(l.entries[1]);
    l.entries[1] = strdup("not an envelope");
    l.lens[1] = strlen(l.entries[1]);
    hh_memtree_free(l.t);
    l.t = hh_memtree_new();
    for (size_t i = 0; i < l.n; i++) {
        struct hh_hash h;
        hh_merkle_leaf_hash(l.entries[i], l.lens[i], &h);
        CHECK_OK(hh_memtree_append(l.t, &h));
    }
    ev = make_unauthorised(&w, &l, 1);
    CHECK(proven(ev, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    free(ev);
    entry_log_free(&l);
    world_free(&w);
}

TEST(evidence_unauthorised_entry_listed_signer_not_proven)
{
    struct world w;
    struct entry_log l;
    struct hh_evidence_verdict v;
    char *ev;

    world_init(&w);
    entry_log_init(&l, &w, 7, 5, w.bob);
    /* signed by alice (second listed signer), and by bob (first) */
    for (size_t idx = 2; idx <= 5; idx += 3) {
        ev = make_unauthorised(&w, &l, idx);
        CHECK(unproven(ev, HH_EVIDENCE_UNAUTHORISED_ENTRY));
        CHECK_OK(verify(ev, &v, NULL));
        CHECK(strstr(v.explanation, "signed by one of the listed signers") != NULL);
        free(ev);
    }
    entry_log_free(&l);
    world_free(&w);
}

static json_t *entry_of(json_t *o)
{
    return json_object_get(o, "entry");
}

TEST(evidence_unauthorised_entry_wrong_proof_not_proven)
{
    struct world w;
    struct entry_log l;
    json_t *o, *c, *p;
    size_t np;
    int bad = 0;
    char *ev;

    world_init(&w);
    entry_log_init(&l, &w, 11, 6, w.stranger);
    ev = make_unauthorised(&w, &l, 6);
    CHECK(proven(ev, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    o = load(ev);
    p = json_object_get(entry_of(o), "inclusion_proof");
    np = json_array_size(p);
    CHECK(np == 4);
    for (size_t i = 0; i < np; i++) {
        for (size_t byte = 0; byte < HH_HASH_LEN; byte += 7) {
            c = json_deep_copy(o);
            flip_b64(json_object_get(entry_of(c), "inclusion_proof"), i, NULL, byte);
            bad += !unproven_json(c, HH_EVIDENCE_UNAUTHORISED_ENTRY);
            json_decref(c);
        }
    }
    CHECK(bad == 0);
    /* another index: the same proof does not place the entry there */
    for (json_int_t idx = 0; idx < 13; idx++) {
        if (idx == 6)
            continue;
        c = json_deep_copy(o);
        json_object_set_new(entry_of(c), "index", json_integer(idx));
        CHECK(unproven_json(c, HH_EVIDENCE_UNAUTHORISED_ENTRY));
        json_decref(c);
    }
    /* a proof of the wrong length */
    json_array_remove(p, np - 1);
    CHECK(unproven_json(o, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    json_array_clear(p);
    CHECK(unproven_json(o, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    json_decref(o);
    free(ev);
    entry_log_free(&l);
    world_free(&w);
}

/* ---- bad data ---- */

TEST(evidence_bad_data_never_proven)
{
    struct world w;
    struct hh_evidence_verdict v;
    char *ev;
    json_t *o;

    world_init(&w);
    ev = make_bad_data(&w);
    CHECK(unproven(ev, HH_EVIDENCE_BAD_DATA));
    CHECK_OK(verify(ev, &v, NULL));
    CHECK(strstr(v.explanation, "tile/0/000") != NULL && strstr(v.explanation, "size 9") != NULL);
    /* whatever else the file claims, an observation is not a proof */
    o = load(ev);
    json_object_set_new(o, "proven", json_true());
    json_object_set_new(o, "path", json_integer(3));
    CHECK(unproven_json(o, HH_EVIDENCE_BAD_DATA));
    json_object_del(o, "path");
    json_object_del(o, "observed");
    CHECK(unproven_json(o, HH_EVIDENCE_BAD_DATA));
    json_decref(o);
    free(ev);
    world_free(&w);
}

/* ---- malformed files ---- */

TEST(evidence_malformed_not_evidence_json)
{
    static const char *const cases[] = {
        "",
        "not json",
        "{",
        "[]",
        "null",
        "\"split-view\"",
        "42",
        "{}",
        "{\"format\": \"henhouse-evidence/v1\"}",
        "{\"format\": \"henhouse-evidence/v1\", \"format\": \"henhouse-evidence/v1\"}",
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(refused_str(cases[i], strlen(cases[i]), HH_ERR_INVALID, cases[i]));
}

TEST(evidence_malformed_trailing_bytes)
{
    struct world w;
    char *ev, *s;
    size_t n;

    world_init(&w);
    ev = make_split_view(&w, 2);
    n = strlen(ev);
    s = malloc(n + 4);
    memcpy(s, ev, n);
    memcpy(s + n, " {}", 4);
    CHECK(proven(ev, HH_EVIDENCE_SPLIT_VIEW));
    CHECK(refused_str(s, n + 3, HH_ERR_INVALID, "a second object"));
    s[n] = '\0';
    CHECK(refused_str(s, n + 1, HH_ERR_INVALID, "a NUL after the object"));
    CHECK(refused_str(s, n - 1, HH_ERR_INVALID, "the last byte cut"));
    free(s);
    free(ev);
    world_free(&w);
}

TEST(evidence_malformed_format_and_kind)
{
    struct world w;
    char *ev;
    json_t *o;

    world_init(&w);
    ev = make_split_view(&w, 4);
    o = load(ev);
    json_object_set_new(o, "format", json_string("henhouse-evidence/v2"));
    CHECK(refused(o, HH_ERR_INVALID, "format v2"));
    o = load(ev);
    json_object_set_new(o, "format", json_string("henhouse-evidence/v1 "));
    CHECK(refused(o, HH_ERR_INVALID, "format with a blank"));
    o = load(ev);
    json_object_set_new(o, "kind", json_string("fork"));
    CHECK(refused(o, HH_ERR_INVALID, "unknown kind"));
    o = load(ev);
    json_object_set_new(o, "kind", json_string("Split-View"));
    CHECK(refused(o, HH_ERR_INVALID, "kind in another case"));
    o = load(ev);
    json_object_set_new(o, "kind", json_string("bad-data"));
    CHECK(refused(o, HH_ERR_INVALID, "bad-data with two checkpoints"));
    o = load(ev);
    json_object_set_new(o, "kind", json_string("unauthorised-entry"));
    CHECK(refused(o, HH_ERR_INVALID, "unauthorised-entry with two checkpoints"));
    free(ev);
    world_free(&w);
}

/* Replaces checkpoint i of the file with note. */
static json_t *with_note(const char *ev, size_t i, const char *note)
{
    json_t *o = load(ev);
    json_array_set_new(json_object_get(o, "checkpoints"), i, json_string(note));
    return o;
}

TEST(evidence_malformed_notes)
{
    struct world w;
    struct hh_signer *impostor, *other;
    struct hh_verifier impostor_v, other_v;
    struct hh_memtree *t = tree(1, 4);
    struct hh_hash root;
    char vkey[HH_KEY_TEXT_MAX], *ev, *note;
    size_t len = 0;
    json_t *o;

    world_init(&w);
    impostor = gen(LOG_NAME, HH_KEY_ED25519, &impostor_v);
    other = gen("other.example/log", HH_KEY_ED25519, &other_v);
    root_of(t, 4, &root);
    ev = make_split_view(&w, 4);
    /* the file names another key of the same name: the notes are not signed by it */
    CHECK_OK(hh_verifier_format(&impostor_v, vkey, sizeof(vkey)));
    o = load(ev);
    json_object_set_new(o, "log_key", json_string(vkey));
    CHECK(refused(o, HH_ERR_INVALID, "notes not signed by the named key"));
    /* one note signed by a key of the same name that is not the log's */
    note = sign_cp(impostor, 4, &root, &len);
    CHECK(refused(with_note(ev, 1, note), HH_ERR_INVALID, "note by an impostor"));
    free(note);
    /* one note signed by another log's key, with the right origin */
    note = sign_cp_ext(other, LOG_NAME, 4, &root, "", &len);
    CHECK(refused(with_note(ev, 0, note), HH_ERR_INVALID, "note by another key"));
    free(note);
    /* signed by the log key, but the checkpoint names another origin */
    note = sign_cp_ext(w.log, "other.example/log", 4, &root, "", &len);
    CHECK(refused(with_note(ev, 1, note), HH_ERR_INVALID, "origin is not the key name"));
    free(note);
    /* a note without signatures, and note text that is not a checkpoint */
    CHECK(refused(with_note(ev, 0, LOG_NAME "\n4\n"), HH_ERR_INVALID, "not a signed note"));
    CHECK_OK(hh_note_sign(w.log, "hello\n", 6, &note, &len, NULL));
    CHECK(refused(with_note(ev, 0, note), HH_ERR_INVALID, "not a checkpoint"));
    free(note);
    /* the log key given as a cosignature key, or not a key */
    CHECK_OK(hh_verifier_format(&w.witness_v, vkey, sizeof(vkey)));
    o = load(ev);
    json_object_set_new(o, "log_key", json_string(vkey));
    CHECK(refused(o, HH_ERR_INVALID, "cosignature log key"));
    o = load(ev);
    json_object_set_new(o, "log_key", json_string("example.com/log+00000000+AAAA"));
    CHECK(refused(o, HH_ERR_INVALID, "not a vkey"));
    free(ev);
    hh_signer_free(impostor);
    hh_signer_free(other);
    hh_memtree_free(t);
    world_free(&w);
}

TEST(evidence_malformed_proof_not_base64)
{
    static const char *const bad[] = {
        "not base64!",
        "",
        "AAAA",
        "KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", /* unused bits set */
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 33 bytes */
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", /* 31 bytes */
    };
    struct world w;
    struct entry_log l;
    char *inc, *una;
    json_t *o;

    world_init(&w);
    inc = make_inconsistent(&w, 3, 6);
    entry_log_init(&l, &w, 5, 2, w.stranger);
    una = make_unauthorised(&w, &l, 2);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = load(inc);
        json_array_set_new(json_object_get(o, "consistency_proof"), 1, json_string(bad[i]));
        CHECK(refused(o, HH_ERR_INVALID, bad[i]));
        o = load(inc);
        json_object_set_new(o, "old_root", json_string(bad[i]));
        CHECK(refused(o, HH_ERR_INVALID, bad[i]));
        o = load(una);
        json_array_set_new(json_object_get(entry_of(o), "inclusion_proof"), 0, json_string(bad[i]));
        CHECK(refused(o, HH_ERR_INVALID, bad[i]));
    }
    o = load(una);
    json_object_set_new(entry_of(o), "data", json_string("not base64!"));
    CHECK(refused(o, HH_ERR_INVALID, "entry data"));
    free(inc);
    free(una);
    entry_log_free(&l);
    world_free(&w);
}

/* Pads a proven file with trailing blanks to exactly size bytes. */
static char *padded(const char *ev, size_t size)
{
    size_t n = strlen(ev);
    char *s = malloc(size);

    if (s == NULL || n > size)
        abort();
    memcpy(s, ev, n);
    memset(s + n, ' ', size - n);
    return s;
}

TEST(evidence_malformed_limits)
{
    struct world w;
    struct hh_evidence_verdict v;
    char *ev, *s;
    json_t *o, *deep;

    world_init(&w);
    ev = make_split_view(&w, 3);
    /* exactly 512 KiB is accepted, one byte more is too large */
    s = padded(ev, HH_EVIDENCE_MAX_BYTES + 1);
    CHECK_OK(hh_evidence_verify(s, HH_EVIDENCE_MAX_BYTES, &v, NULL));
    CHECK(v.proven);
    CHECK(refused_str(s, HH_EVIDENCE_MAX_BYTES + 1, HH_ERR_TOO_LARGE, "512 KiB + 1"));
    free(s);
    /* a file of 4 MB */
    s = padded(ev, 4u << 20);
    CHECK(refused_str(s, 4u << 20, HH_ERR_TOO_LARGE, "4 MB"));
    free(s);
    /* nesting: the top-level object and five arrays is depth 6; six arrays is 7 */
    o = load(ev);
    deep = json_array();
    json_object_set_new(o, "extra", deep);
    for (int i = 0; i < 4; i++) {
        json_t *inner = json_array();
        json_array_append_new(deep, inner);
        deep = inner;
    }
    s = dump(o);
    CHECK(proven(s, HH_EVIDENCE_SPLIT_VIEW));
    free(s);
    json_array_append_new(deep, json_array());
    CHECK(refused(o, HH_ERR_TOO_LARGE, "depth 7"));
    /* brackets inside strings do not count */
    o = load(ev);
    json_object_set_new(o, "extra", json_string("[[[[[[[[{{{{{{{{\\\""));
    s = dump(o);
    CHECK(proven(s, HH_EVIDENCE_SPLIT_VIEW));
    free(s);
    json_decref(o);
    /* a deeply nested observation */
    s = calloc(1, 4096);
    memcpy(s, "{\"observed\": ", 13);
    memset(s + 13, '[', 3000);
    CHECK(refused_str(s, strlen(s), HH_ERR_TOO_LARGE, "depth 3001"));
    free(s);
    free(ev);
    world_free(&w);
}

/* Each of these members, when deleted from a proven file of its kind, makes it malformed. */
TEST(evidence_malformed_missing_fields)
{
    static const char *const common[] = {"format", "kind", "log_key", "checkpoints"};
    static const char *const entry_fields[] = {"index", "data", "inclusion_proof"};
    struct world w;
    struct entry_log l;
    char *sv, *inc, *una, *bd;
    const char *files[4];
    json_t *o;

    world_init(&w);
    entry_log_init(&l, &w, 5, 0, w.stranger);
    files[0] = sv = make_split_view(&w, 2);
    files[1] = inc = make_inconsistent(&w, 2, 5);
    files[2] = una = make_unauthorised(&w, &l, 0);
    files[3] = bd = make_bad_data(&w);
    for (size_t f = 0; f < 4; f++) {
        for (size_t i = 0; i < 4; i++) {
            o = load(files[f]);
            json_object_del(o, common[i]);
            CHECK(refused(o, HH_ERR_INVALID, common[i]));
        }
    }
    o = load(inc);
    json_object_del(o, "old_root");
    CHECK(refused(o, HH_ERR_INVALID, "old_root"));
    o = load(inc);
    json_object_del(o, "consistency_proof");
    CHECK(refused(o, HH_ERR_INVALID, "consistency_proof"));
    o = load(una);
    json_object_del(o, "signers");
    CHECK(refused(o, HH_ERR_INVALID, "signers"));
    o = load(una);
    json_object_del(o, "entry");
    CHECK(refused(o, HH_ERR_INVALID, "entry"));
    for (size_t i = 0; i < 3; i++) {
        o = load(una);
        json_object_del(entry_of(o), entry_fields[i]);
        CHECK(refused(o, HH_ERR_INVALID, entry_fields[i]));
    }
    /* too few checkpoints */
    o = load(sv);
    json_array_remove(json_object_get(o, "checkpoints"), 1);
    CHECK(refused(o, HH_ERR_INVALID, "one checkpoint for a split view"));
    o = load(una);
    json_array_clear(json_object_get(o, "checkpoints"));
    CHECK(refused(o, HH_ERR_INVALID, "no checkpoint"));
    free(sv);
    free(inc);
    free(una);
    free(bd);
    entry_log_free(&l);
    world_free(&w);
}

/* Sets member name of the file (or of its entry) to v; must be refused. */
static int refused_with(const char *ev, int in_entry, const char *name, json_t *v)
{
    json_t *o = load(ev);
    json_object_set_new(in_entry ? entry_of(o) : o, name, v);
    return refused(o, HH_ERR_INVALID, name);
}

TEST(evidence_malformed_wrong_types)
{
    struct world w;
    struct entry_log l;
    char *sv, *inc, *una, vkey[HH_KEY_TEXT_MAX];
    json_t *many, *o;

    world_init(&w);
    entry_log_init(&l, &w, 6, 3, w.stranger);
    sv = make_split_view(&w, 6);
    inc = make_inconsistent(&w, 4, 6);
    una = make_unauthorised(&w, &l, 3);
    CHECK(refused_with(sv, 0, "format", json_integer(1)));
    CHECK(refused_with(sv, 0, "kind", json_integer(0)));
    CHECK(refused_with(sv, 0, "log_key", json_array()));
    CHECK(refused_with(sv, 0, "checkpoints", json_string("note")));
    CHECK(refused_with(sv, 0, "checkpoints", json_pack("[i, i]", 1, 2)));
    CHECK(refused_with(inc, 0, "old_root", json_integer(0)));
    CHECK(refused_with(inc, 0, "consistency_proof", json_string("AAAA")));
    CHECK(refused_with(inc, 0, "consistency_proof", json_pack("[i]", 7)));
    CHECK(refused_with(inc, 0, "consistency_proof", json_pack("{}")));
    CHECK(refused_with(una, 0, "entry", json_string("entry")));
    CHECK(refused_with(una, 0, "signers", json_string("signer")));
    CHECK(refused_with(una, 0, "signers", json_array()));
    CHECK(refused_with(una, 0, "signers", json_pack("[i]", 1)));
    CHECK(refused_with(una, 0, "signers", json_pack("[s]", "not a key")));
    CHECK(refused_with(una, 1, "index", json_string("3")));
    CHECK(refused_with(una, 1, "index", json_integer(-1)));
    CHECK(refused_with(una, 1, "index", json_real(3.0)));
    CHECK(refused_with(una, 1, "data", json_integer(0)));
    CHECK(refused_with(una, 1, "inclusion_proof", json_string("x")));
    /* 65 signers, and 65 proof hashes */
    CHECK_OK(hh_verifier_format(&w.alice_v, vkey, sizeof(vkey)));
    many = json_array();
    for (int i = 0; i <= HH_EVIDENCE_MAX_SIGNERS; i++)
        json_array_append_new(many, json_string(vkey));
    CHECK(refused_with(una, 0, "signers", many));
    o = load(inc);
    many = json_object_get(o, "consistency_proof");
    while (json_array_size(many) <= HH_MERKLE_MAX_PROOF)
        json_array_append(many, json_array_get(many, 0));
    CHECK(refused(o, HH_ERR_INVALID, "65 proof hashes"));
    free(sv);
    free(inc);
    free(una);
    entry_log_free(&l);
    world_free(&w);
}

/* ---- flipped signatures ---- */

/* The note with byte i of its last signature's blob (key id || signature) flipped. */
static char *flip_sig(const char *note, size_t i, size_t *blob_len)
{
    const char *line = strstr(note, "\n" DASH) + 1 + strlen(DASH);
    const char *b64 = strchr(line, ' ') + 1, *end = strchr(b64, '\n');
    uint8_t blob[128];
    char enc[256], *out;
    size_t n = 0, head = (size_t)(b64 - note);

    CHECK_OK(hh_base64_decode(b64, (size_t)(end - b64), false, blob, sizeof(blob), &n, NULL));
    *blob_len = n;
    blob[i % n] ^= (uint8_t)(1u << (i % 8));
    CHECK_OK(hh_base64_encode(blob, n, enc, sizeof(enc)));
    out = malloc(head + strlen(enc) + strlen(end) + 1);
    memcpy(out, note, head);
    memcpy(out + head, enc, strlen(enc));
    memcpy(out + head + strlen(enc), end, strlen(end) + 1);
    return out;
}

/* Flips every byte of every note signature of a proven file: always malformed. */
static int flips_refused(const char *ev)
{
    json_t *o = load(ev);
    json_t *cps = json_object_get(o, "checkpoints");
    size_t blob_len = 68;
    int bad = 0;

    for (size_t k = 0; k < json_array_size(cps); k++) {
        const char *note = json_string_value(json_array_get(cps, k));
        for (size_t i = 0; i < blob_len; i++) {
            char *flipped = flip_sig(note, i, &blob_len), *s;
            json_t *c = json_deep_copy(o);
            json_array_set_new(json_object_get(c, "checkpoints"), k, json_string(flipped));
            s = dump(c);
            bad += !refused_str(s, strlen(s), HH_ERR_INVALID, "flipped signature");
            free(s);
            free(flipped);
            json_decref(c);
        }
    }
    json_decref(o);
    return bad == 0 && blob_len == 68;
}

TEST(evidence_flipped_signature_never_proven)
{
    struct world w;
    struct entry_log l;
    char *ev;

    world_init(&w);
    ev = make_split_view(&w, 7);
    CHECK(proven(ev, HH_EVIDENCE_SPLIT_VIEW) && flips_refused(ev));
    free(ev);
    ev = make_inconsistent(&w, 6, 7);
    CHECK(proven(ev, HH_EVIDENCE_INCONSISTENT) && flips_refused(ev));
    free(ev);
    entry_log_init(&l, &w, 7, 6, w.stranger);
    ev = make_unauthorised(&w, &l, 6);
    CHECK(proven(ev, HH_EVIDENCE_UNAUTHORISED_ENTRY) && flips_refused(ev));
    free(ev);
    entry_log_free(&l);
    world_free(&w);
}

/*
 * An authorised entry with any byte of it changed (say, its DSSE signature
 * broken so that no listed signer verifies) is no longer the entry the log
 * included: the file stays unproven instead of proving "unauthorised".
 */
TEST(evidence_flipped_entry_never_proven)
{
    struct world w;
    struct entry_log l;
    uint8_t data[1024];
    char enc[2048], *ev;
    int bad = 0;
    json_t *o;
    size_t n = 0;

    world_init(&w);
    entry_log_init(&l, &w, 5, 99, NULL);
    ev = make_unauthorised(&w, &l, 3);
    CHECK(unproven(ev, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    o = load(ev);
    {
        json_t *d = json_object_get(entry_of(o), "data");
        CHECK_OK(hh_base64_decode(json_string_value(d), json_string_length(d), false, data,
                                  sizeof(data), &n, NULL));
    }
    CHECK(n == l.lens[3] && memcmp(data, l.entries[3], n) == 0);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_deep_copy(o);
        data[i] ^= 0x20;
        CHECK_OK(hh_base64_encode(data, n, enc, sizeof(enc)));
        data[i] ^= 0x20;
        json_object_set_new(entry_of(c), "data", json_string(enc));
        bad += !unproven_json(c, HH_EVIDENCE_UNAUTHORISED_ENTRY);
        json_decref(c);
    }
    CHECK(bad == 0);
    json_decref(o);
    free(ev);
    entry_log_free(&l);
    world_free(&w);
}

/* The verdict is zeroed on failure even when the caller gives no error struct. */
TEST(evidence_null_error_struct)
{
    struct hh_evidence_verdict v;

    memset(&v, 0x55, sizeof(v));
    CHECK(hh_evidence_verify("{]", 2, &v, NULL) == HH_ERR_INVALID);
    CHECK(verdict_zero(&v));
}
