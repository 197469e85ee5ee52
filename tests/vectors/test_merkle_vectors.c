/*
 * test_merkle_vectors.c - the transparency-dev/merkle conformance vectors
 * (tests/vectors/data/merkle, README section 1) run against merkle.h.
 *
 * Every JSON file under merkle/inclusion, merkle/consistency and
 * merkle/subtreeinclusion is run; each directory is one test that counts the
 * files and names every disagreeing one in a note. The conventions are the
 * README's:
 *  - sizes and indices are full-range uint64 (2^64 - 1 occurs), which a JSON
 *    library holding numbers as long long or double cannot represent, so they
 *    are read from the raw tokens here and blanked before jansson sees the text;
 *  - a leaf, root or proof element that is not exactly 32 bytes cannot reach
 *    our fixed-size API and counts as a rejection;
 *  - the one "not representable" consistency vector of README point 3 (equal
 *    12-byte roots that the reference compares without a length check) is
 *    skipped with a note; the other three listed there are subtree
 *    consistency vectors;
 *  - subtree inclusion is the range rule of README point 6 plus ordinary
 *    inclusion of leafIdx - start in a tree of end - start leaves.
 * merkle/subtreeconsistency is not in scope: merkle.h has no subtree
 * consistency verifier, so those 118 files are not run here.
 */
#include <henhouse/henhouse.h>

#include "harness.h"

#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_MAX_LEN 4096
#define MAX_INT_KEYS 4

/* ---- collecting the files of a directory tree, sorted ---- */

struct files {
    char **paths;
    size_t n, cap;
};

static bool files_add(struct files *f, const char *path)
{
    char *copy;

    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        char **p = realloc(f->paths, cap * sizeof(p[0]));
        if (p == NULL)
            return false;
        f->paths = p;
        f->cap = cap;
    }
    copy = malloc(strlen(path) + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, path, strlen(path) + 1);
    f->paths[f->n++] = copy;
    return true;
}

static void files_free(struct files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->paths[i]);
    free(f->paths);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Adds every *.json file under dir (recursively) to out. */
static bool walk(const char *dir, struct files *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool ok = d != NULL;

    while (ok && (e = readdir(d)) != NULL) {
        char path[PATH_MAX_LEN];
        struct stat st;
        int w;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        w = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ok = w > 0 && (size_t)w < sizeof(path) && stat(path, &st) == 0;
        if (ok && S_ISDIR(st.st_mode))
            ok = walk(path, out);
        else if (ok && ends_with(path, ".json"))
            ok = files_add(out, path);
    }
    if (d != NULL)
        closedir(d);
    return ok;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- full-range integers from the raw JSON text ---- */

struct int_keys {
    const char *names[MAX_INT_KEYS];
    uint64_t values[MAX_INT_KEYS];
    bool found[MAX_INT_KEYS];
    size_t n;
};

/* The position just after the string starting at s[pos] == '"', or len if unterminated. */
static size_t skip_string(const char *s, size_t len, size_t pos)
{
    for (pos++; pos < len; pos++) {
        if (s[pos] == '\\')
            pos++;
        else if (s[pos] == '"')
            return pos + 1;
    }
    return len;
}

static size_t skip_space(const char *s, size_t len, size_t pos)
{
    while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
        pos++;
    return pos;
}

static int key_slot(const struct int_keys *k, const char *name, size_t len)
{
    for (size_t i = 0; i < k->n; i++)
        if (strlen(k->names[i]) == len && memcmp(k->names[i], name, len) == 0)
            return (int)i;
    return -1;
}

/*
 * Reads the number after the key at s[*pos] into slot i, then overwrites the
 * token with "0" and spaces so that jansson can parse the rest. The token must
 * be a canonical unsigned decimal that fits 64 bits.
 */
static bool take_int(char *s, size_t len, size_t *pos, struct int_keys *k, int i)
{
    size_t start = *pos, end = start;

    while (end < len && strchr("0123456789+-.eE", s[end]) != NULL && s[end] != '\0')
        end++;
    if (k->found[i] || end == start ||
        hh_parse_u64(s + start, end - start, &k->values[i], NULL) != HH_OK)
        return false;
    k->found[i] = true;
    s[start] = '0';
    memset(s + start + 1, ' ', end - start - 1);
    *pos = end;
    return true;
}

/* Finds the wanted keys of the top-level object in s[0..len) and takes their integers. */
static bool scan_ints(char *s, size_t len, struct int_keys *k)
{
    size_t pos = 0;
    int depth = 0;

    while (pos < len) {
        char c = s[pos];
        if (c == '"') {
            size_t end = skip_string(s, len, pos), after;
            int slot;
            if (end == len)
                return false;
            after = skip_space(s, len, end);
            slot = key_slot(k, s + pos + 1, end - pos - 2);
            pos = end;
            if (depth == 1 && after < len && s[after] == ':' && slot >= 0) {
                pos = skip_space(s, len, after + 1);
                if (!take_int(s, len, &pos, k, slot))
                    return false;
            }
            continue;
        }
        depth += (c == '{' || c == '[') - (c == '}' || c == ']');
        pos++;
    }
    for (size_t i = 0; i < k->n; i++)
        if (!k->found[i])
            return false;
    return true;
}

/* ---- hashes ---- */

/*
 * A base64 hash: true when it is exactly 32 bytes. *ok is false when v is not
 * a string or not base64 at all, which means the vector itself is broken.
 */
static bool decode_hash(json_t *v, struct hh_hash *out, bool *ok)
{
    uint8_t buf[64];
    size_t n = 0;

    *ok = json_is_string(v) && hh_base64_decode(json_string_value(v), json_string_length(v), false,
                                                buf, sizeof(buf), &n, NULL) == HH_OK;
    if (!*ok || n != HH_HASH_LEN)
        return false;
    memcpy(out->b, buf, HH_HASH_LEN);
    return true;
}

static bool get_hash(json_t *obj, const char *key, struct hh_hash *out, bool *ok)
{
    return decode_hash(json_object_get(obj, key), out, ok);
}

/* The proof (null or an array): true when it fits our API, every element 32 bytes. */
static bool get_proof(json_t *obj, struct hh_hash proof[HH_MERKLE_MAX_PROOF], size_t *n, bool *ok)
{
    json_t *v = json_object_get(obj, "proof");
    bool all32 = true;

    *n = 0;
    *ok = json_is_null(v) || json_is_array(v);
    if (!*ok || json_is_null(v))
        return *ok;
    if (json_array_size(v) > HH_MERKLE_MAX_PROOF)
        return false;
    for (size_t i = 0; i < json_array_size(v) && *ok; i++)
        all32 = decode_hash(json_array_get(v, i), &proof[i], ok) && all32;
    *n = json_array_size(v);
    return all32 && *ok;
}

/* ---- one vector ---- */

/* EARLY: rejected before the verifier (a hash not 32 bytes, a bad subtree range). */
enum outcome { ACCEPTED, REJECTED, REJECTED_EARLY, BROKEN };

struct vector {
    const char *rel; /* path under merkle/, for notes */
    json_t *json;
    struct int_keys ints;
};

static enum outcome verdict(hh_status rc, const struct vector *v)
{
    if (rc == HH_OK)
        return ACCEPTED;
    if (rc == HH_ERR_VERIFY)
        return REJECTED;
    hh_test_note("%s: verifier returned %s, not ok or verify", v->rel, hh_status_name(rc));
    return BROKEN;
}

static enum outcome run_inclusion(const struct vector *v)
{
    struct hh_hash leaf, root, proof[HH_MERKLE_MAX_PROOF];
    bool ok1, ok2, ok3, valid;
    size_t n;

    valid = get_hash(v->json, "leafHash", &leaf, &ok1);
    valid = get_hash(v->json, "root", &root, &ok2) && valid;
    valid = get_proof(v->json, proof, &n, &ok3) && valid;
    if (!ok1 || !ok2 || !ok3)
        return BROKEN;
    if (!valid)
        return REJECTED_EARLY;
    return verdict(hh_merkle_verify_inclusion(v->ints.values[0], v->ints.values[1], &leaf, proof, n,
                                              &root, NULL),
                   v);
}

static enum outcome run_consistency(const struct vector *v)
{
    struct hh_hash r1, r2, proof[HH_MERKLE_MAX_PROOF];
    bool ok1, ok2, ok3, valid;
    size_t n;

    valid = get_hash(v->json, "root1", &r1, &ok1);
    valid = get_hash(v->json, "root2", &r2, &ok2) && valid;
    valid = get_proof(v->json, proof, &n, &ok3) && valid;
    if (!ok1 || !ok2 || !ok3)
        return BROKEN;
    if (!valid)
        return REJECTED_EARLY;
    return verdict(hh_merkle_verify_consistency(v->ints.values[0], v->ints.values[1], &r1, &r2,
                                                proof, n, NULL),
                   v);
}

/* README point 6: [start, end) is a subtree. */
static bool valid_subtree(uint64_t start, uint64_t end)
{
    uint64_t width = end - start, p = 1;

    if (start > end)
        return false;
    if (start == 0 || start == end)
        return true;
    if (width > (uint64_t)1 << 63)
        return false;
    while (p < width)
        p <<= 1;
    return start % p == 0;
}

static enum outcome run_subtree_inclusion(const struct vector *v)
{
    struct hh_hash leaf, root, proof[HH_MERKLE_MAX_PROOF];
    uint64_t idx = v->ints.values[0], start = v->ints.values[1], end = v->ints.values[2];
    bool ok1, ok2, ok3, valid;
    size_t n;

    valid = get_hash(v->json, "leafHash", &leaf, &ok1);
    valid = get_hash(v->json, "root", &root, &ok2) && valid;
    valid = get_proof(v->json, proof, &n, &ok3) && valid;
    if (!ok1 || !ok2 || !ok3)
        return BROKEN;
    if (!valid || !valid_subtree(start, end) || idx < start || idx >= end)
        return REJECTED_EARLY;
    return verdict(
        hh_merkle_verify_inclusion(idx - start, end - start, &leaf, proof, n, &root, NULL), v);
}

/* ---- a directory of vectors ---- */

struct kind {
    const char *dir;
    const char *ints[MAX_INT_KEYS];
    size_t nints;
    enum outcome (*run)(const struct vector *v);
};

/*
 * README point 3: not representable with 32-byte hashes. The other three
 * listed there are under subtreeconsistency/, which is not run.
 */
static const char *const not_representable[] = {
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
};

struct tally {
    int files, run, skipped, passed, failed, want_ok, early;
};

static bool is_not_representable(const char *rel)
{
    for (size_t i = 0; i < sizeof(not_representable) / sizeof(not_representable[0]); i++)
        if (strcmp(rel, not_representable[i]) == 0)
            return true;
    return false;
}

/* Loads path: its integers from the raw text, the rest through jansson. */
static bool load_vector(const struct kind *k, const char *path, struct vector *v)
{
    size_t len;
    char *text = hh_test_read_file(path, &len);
    json_error_t jerr;

    memset(&v->ints, 0, sizeof(v->ints));
    memcpy(v->ints.names, k->ints, sizeof(k->ints));
    v->ints.n = k->nints;
    v->json = NULL;
    if (text != NULL && scan_ints(text, len, &v->ints))
        v->json = json_loadb(text, len, 0, &jerr);
    free(text);
    return json_is_object(v->json);
}

static void run_file(const struct kind *k, const char *path, const char *rel, struct tally *t)
{
    struct vector v = {rel, NULL, {{0}, {0}, {0}, 0}};
    json_t *want_err;
    enum outcome got;

    t->files++;
    if (!load_vector(k, path, &v) ||
        !json_is_boolean(want_err = json_object_get(v.json, "wantErr"))) {
        t->failed++;
        CHECK(!"vector file unreadable");
        hh_test_note("%s: cannot read the vector", rel);
        json_decref(v.json);
        return;
    }
    t->want_ok += json_is_false(want_err);
    if (is_not_representable(rel)) {
        struct hh_hash h;
        bool ok;
        t->skipped++;
        /* The skip is only right while the vector has a non-32-byte root and wants success. */
        CHECK(json_is_false(want_err) && !get_hash(v.json, "root1", &h, &ok) && ok);
        hh_test_note("%s: skipped, not representable with 32-byte hashes (README 1, point 3)", rel);
        json_decref(v.json);
        return;
    }
    t->run++;
    got = k->run(&v);
    t->early += got == REJECTED_EARLY;
    if (got == REJECTED_EARLY)
        got = REJECTED;
    if (CHECK(got != BROKEN && (got == REJECTED) == json_is_true(want_err))) {
        t->passed++;
    } else {
        t->failed++;
        hh_test_note("%s: want %s, got %s", rel, json_is_true(want_err) ? "error" : "success",
                     got == ACCEPTED   ? "success"
                     : got == REJECTED ? "error"
                                       : "a broken vector");
    }
    json_decref(v.json);
}

static void run_kind(const struct kind *k, struct tally *t)
{
    struct files f = {NULL, 0, 0};
    char root[PATH_MAX_LEN], base[PATH_MAX_LEN];
    int w;

    memset(t, 0, sizeof(*t));
    w = snprintf(root, sizeof(root), "%s", hh_test_vector_path(k->dir));
    CHECK(w > 0 && (size_t)w < sizeof(root));
    w = snprintf(base, sizeof(base), "%s", hh_test_vector_path("merkle"));
    CHECK(w > 0 && (size_t)w < sizeof(base));
    if (!CHECK(walk(root, &f))) {
        hh_test_note("cannot list %s", root);
        goto out;
    }
    qsort(f.paths, f.n, sizeof(f.paths[0]), by_path);
    for (size_t i = 0; i < f.n; i++)
        run_file(k, f.paths[i], f.paths[i] + strlen(base) + 1, t);
    hh_test_note("%s: %d files, %d run (%d passed, %d failed), %d skipped; %d expect success; "
                 "%d rejected before the verifier",
                 k->dir, t->files, t->run, t->passed, t->failed, t->skipped, t->want_ok, t->early);
out:
    files_free(&f);
}

TEST(merkle_vectors_inclusion)
{
    static const struct kind k = {"merkle/inclusion", {"leafIdx", "treeSize"}, 2, run_inclusion};
    struct tally t;

    CHECK_OK(hh_init());
    run_kind(&k, &t);
    CHECK(t.files == 98 && t.run == 98 && t.skipped == 0 && t.failed == 0);
    CHECK(t.want_ok == 6);
}

TEST(merkle_vectors_consistency)
{
    static const struct kind k = {"merkle/consistency", {"size1", "size2"}, 2, run_consistency};
    struct tally t;

    CHECK_OK(hh_init());
    run_kind(&k, &t);
    CHECK(t.files == 98 && t.run == 97 && t.skipped == 1 && t.failed == 0);
    CHECK(t.want_ok == 6);
}

TEST(merkle_vectors_subtreeinclusion)
{
    static const struct kind k = {
        "merkle/subtreeinclusion", {"leafIdx", "start", "end"}, 3, run_subtree_inclusion};
    struct tally t;

    CHECK_OK(hh_init());
    run_kind(&k, &t);
    CHECK(t.files == 204 && t.run == 204 && t.skipped == 0 && t.failed == 0);
    CHECK(t.want_ok == 12);
}

/* The integer scanner itself: nested keys and strings do not fool it; bad numbers fail. */
static bool scan_one(const char *json, uint64_t *out)
{
    char buf[256];
    struct int_keys k = {{"leafIdx"}, {0}, {false}, 1};
    size_t len = strlen(json);
    bool ok;
    json_t *parsed;

    memcpy(buf, json, len + 1);
    ok = scan_ints(buf, len, &k);
    *out = k.values[0];
    if (!ok)
        return false;
    parsed = json_loadb(buf, len, 0, NULL);
    ok = json_is_object(parsed);
    json_decref(parsed);
    return ok;
}

TEST(merkle_vectors_int_scanner)
{
    uint64_t v;

    CHECK(scan_one("{\"leafIdx\": 18446744073709551615}", &v) && v == UINT64_MAX);
    CHECK(scan_one("{\"desc\": \"\\\"leafIdx\\\": 5\", \"x\": [{\"leafIdx\": 3}], "
                   "\"leafIdx\" :\n7 }",
                   &v) &&
          v == 7);
    CHECK(scan_one("{\"leafIdx\":0}", &v) && v == 0);
    CHECK(!scan_one("{\"leafIdx\": 18446744073709551616}", &v));
    CHECK(!scan_one("{\"leafIdx\": -1}", &v));
    CHECK(!scan_one("{\"leafIdx\": 1.0}", &v));
    CHECK(!scan_one("{\"leafIdx\": 01}", &v));
    CHECK(!scan_one("{\"leafIdx\": \"1\"}", &v));
    CHECK(!scan_one("{\"leafIdx\": 1, \"leafIdx\": 2}", &v));
    CHECK(!scan_one("{\"other\": 1}", &v));
    CHECK(!scan_one("{\"leafIdx\": 1, \"desc\": \"unterminated}", &v));
}
