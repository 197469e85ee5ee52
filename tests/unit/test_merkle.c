/*
 * test_merkle.c - tests of merkle.h.
 *
 * Known-answer roots over the RFC 6962 reference leaves; random trees whose
 * roots, range hashes and proofs are checked against a naive recursive
 * RFC 6962 implementation written here independently of merkle.c; proofs
 * made and then verified, and rejected after any single bit flip or a wrong
 * index or size; the nodes appends create; range decompositions; reader
 * failures; and trees of nearly 2^64 leaves (a tree of identical leaves, so
 * every node of a level has the same hash).
 */
#include <henhouse/henhouse.h>

#include "harness.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TREE_LEAVES 3000

/* ---- a naive RFC 6962 (section 2.1), independent of merkle.c ---- */

static void naive_node(const struct hh_hash *l, const struct hh_hash *r, struct hh_hash *out)
{
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l->b, 32);
    memcpy(buf + 33, r->b, 32);
    hh_sha256(buf, sizeof(buf), out);
}

static uint64_t naive_split(uint64_t n)
{
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static void naive_mth(const struct hh_hash *leaves, uint64_t n, struct hh_hash *out)
{
    struct hh_hash l, r;
    uint64_t k;

    if (n == 0) {
        hh_sha256("", 0, out);
        return;
    }
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    k = naive_split(n);
    naive_mth(leaves, k, &l);
    naive_mth(leaves + k, n - k, &r);
    naive_node(&l, &r, out);
}

/* PATH(m, D[n]) appended to out[*len..). */
static void naive_path(uint64_t m, const struct hh_hash *leaves, uint64_t n, struct hh_hash *out,
                       size_t *len)
{
    uint64_t k;

    if (n <= 1)
        return;
    k = naive_split(n);
    if (m < k) {
        naive_path(m, leaves, k, out, len);
        naive_mth(leaves + k, n - k, &out[(*len)++]);
    } else {
        naive_path(m - k, leaves + k, n - k, out, len);
        naive_mth(leaves, k, &out[(*len)++]);
    }
}

/* SUBPROOF(m, D[n], b) appended to out[*len..). */
static void naive_subproof(uint64_t m, const struct hh_hash *leaves, uint64_t n, bool b,
                           struct hh_hash *out, size_t *len)
{
    uint64_t k;

    if (m == n) {
        if (!b)
            naive_mth(leaves, n, &out[(*len)++]);
        return;
    }
    k = naive_split(n);
    if (m <= k) {
        naive_subproof(m, leaves, k, b, out, len);
        naive_mth(leaves + k, n - k, &out[(*len)++]);
    } else {
        naive_subproof(m - k, leaves + k, n - k, false, out, len);
        naive_mth(leaves, k, &out[(*len)++]);
    }
}

/*
 * Proof lengths by the bit formulas of transparency-dev/merkle: inclusion is
 * the "inner" nodes below the point where the leaf's path leaves the right
 * border plus the "border" nodes; consistency is the inclusion proof of the
 * old tree's last leaf with the perfect subtree ending at old folded into one
 * node, which is left out when old is a power of two.
 */
static unsigned bits_len(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x >>= 1)
        n++;
    return n;
}

static unsigned ones(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x >>= 1)
        n += x & 1;
    return n;
}

static size_t formula_inclusion_len(uint64_t i, uint64_t size)
{
    unsigned inner = bits_len(i ^ (size - 1));
    return inner + (inner < 64 ? ones(i >> inner) : 0);
}

static size_t formula_consistency_len(uint64_t m, uint64_t size)
{
    unsigned level = 0;

    if (m == size)
        return 0;
    while (!((m >> level) & 1))
        level++;
    return formula_inclusion_len(m - 1, size) - level + ((m & (m - 1)) != 0);
}

/* ---- fixtures ---- */

struct fixture {
    struct hh_memtree *t;
    struct hh_hash_reader r;
    struct hh_hash *leaves;
    uint64_t n;
};

static void random_leaf(struct hh_hash *out)
{
    uint8_t data[48];
    size_t len = (size_t)(hh_test_rand() % sizeof(data));
    uint8_t buf[1 + sizeof(data)];
    struct hh_hash want;

    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)hh_test_rand();
    hh_merkle_leaf_hash(data, len, out);
    buf[0] = 0;
    memcpy(buf + 1, data, len);
    hh_sha256(buf, len + 1, &want);
    CHECK(memcmp(want.b, out->b, 32) == 0);
}

static bool fixture_init(struct fixture *f, uint64_t n)
{
    f->t = hh_memtree_new();
    f->leaves = calloc(n ? n : 1, sizeof(struct hh_hash));
    f->n = n;
    if (!CHECK(f->t != NULL && f->leaves != NULL))
        return false;
    f->r = hh_memtree_reader(f->t);
    for (uint64_t i = 0; i < n; i++) {
        random_leaf(&f->leaves[i]);
        if (!CHECK_OK(hh_memtree_append(f->t, &f->leaves[i])))
            return false;
    }
    return CHECK(hh_memtree_size(f->t) == n);
}

static void fixture_free(struct fixture *f)
{
    hh_memtree_free(f->t);
    free(f->leaves);
}

static bool hash_eq(const struct hh_hash *a, const struct hh_hash *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

static bool proofs_eq(const struct hh_hash *a, size_t na, const struct hh_hash *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof(a[0])) == 0);
}

static uint64_t rand_below(uint64_t n)
{
    return hh_test_rand() % n;
}

/* ---- known answers ---- */

static const char *const reference_leaves_hex[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static const char *const reference_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = strlen(s) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + (size_t)j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
    return n;
}

static bool root_is(const struct hh_hash *h, const char *hex)
{
    char got[65];
    hh_hash_to_hex(h, got);
    if (strcmp(got, hex) != 0) {
        hh_test_note("root %s, want %s", got, hex);
        return false;
    }
    return true;
}

TEST(merkle_reference_roots)
{
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_hash leaves[8], root;

    CHECK_OK(hh_init());
    hh_merkle_empty_root(&root);
    CHECK(root_is(&root, reference_roots[0]));
    CHECK_OK(hh_merkle_root(&r, 0, &root, NULL));
    CHECK(root_is(&root, reference_roots[0]));
    for (size_t i = 0; i < 8; i++) {
        uint8_t data[16];
        size_t len = unhex(reference_leaves_hex[i], data);
        hh_merkle_leaf_hash(data, len, &leaves[i]);
        CHECK_OK(hh_memtree_append(t, &leaves[i]));
        CHECK_OK(hh_merkle_root(&r, i + 1, &root, NULL));
        CHECK(root_is(&root, reference_roots[i + 1]));
        naive_mth(leaves, i + 1, &root);
        CHECK(root_is(&root, reference_roots[i + 1]));
    }
    /* Earlier roots stay readable after later appends. */
    for (size_t n = 0; n <= 8; n++) {
        CHECK_OK(hh_merkle_root(&r, n, &root, NULL));
        CHECK(root_is(&root, reference_roots[n]));
    }
    hh_memtree_free(t);
}

TEST(merkle_node_hash_is_prefixed)
{
    struct hh_hash a, b, h, want;
    uint8_t buf[65];

    hh_sha256("a", 1, &a);
    hh_sha256("b", 1, &b);
    hh_merkle_node_hash(&a, &b, &h);
    buf[0] = 1;
    memcpy(buf + 1, a.b, 32);
    memcpy(buf + 33, b.b, 32);
    hh_sha256(buf, 65, &want);
    CHECK(hash_eq(&h, &want));
    hh_merkle_node_hash(&b, &a, &h);
    CHECK(!hash_eq(&h, &want));
    hh_merkle_node_hash(&a, &b, &a); /* out may alias an input */
    CHECK(hash_eq(&a, &want));
    hh_merkle_leaf_hash("", 0, &h);
    CHECK(root_is(&h, reference_roots[1]));
}

/* ---- roots and range hashes against the naive MTH ---- */

TEST(merkle_roots_match_naive)
{
    struct fixture f;
    struct hh_hash got, want;

    if (!fixture_init(&f, TREE_LEAVES))
        goto out;
    for (uint64_t n = 0; n <= TREE_LEAVES; n += n < 300 ? 1 : 1 + rand_below(120)) {
        CHECK_OK(hh_merkle_root(&f.r, n, &got, NULL));
        naive_mth(f.leaves, n, &want);
        if (!CHECK(hash_eq(&got, &want)))
            hh_test_note("root of size %llu", (unsigned long long)n);
    }
    CHECK_OK(hh_merkle_root(&f.r, TREE_LEAVES, &got, NULL));
    naive_mth(f.leaves, TREE_LEAVES, &want);
    CHECK(hash_eq(&got, &want));
out:
    fixture_free(&f);
}

static uint64_t bit_ceil(uint64_t n)
{
    uint64_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/*
 * Whether the RFC recursion for MTH(D[lo:hi]) takes each left part, and the
 * last part, as one aligned complete subtree (the ranges merkle.h hashes).
 */
static bool naive_computable(uint64_t lo, uint64_t hi)
{
    uint64_t n = hi - lo, k;

    if (n == 0 || ((n & (n - 1)) == 0 && lo % n == 0))
        return true;
    k = naive_split(n);
    return lo % k == 0 && naive_computable(lo + k, hi);
}

/* Every range of a small tree: computable ones hash like the naive MTH, others are refused. */
static void every_range(struct fixture *f, uint64_t size)
{
    struct hh_hash got, want;
    int computable = 0;

    for (uint64_t lo = 0; lo <= size; lo++)
        for (uint64_t hi = lo; hi <= size; hi++) {
            hh_status rc = hh_merkle_range_hash(&f->r, lo, hi, &got, NULL);
            bool ok = naive_computable(lo, hi);
            computable += ok;
            naive_mth(f->leaves + lo, hi - lo, &want);
            if (!CHECK(ok ? rc == HH_OK && hash_eq(&got, &want) : rc == HH_ERR_INVALID))
                hh_test_note("range [%llu, %llu)", (unsigned long long)lo, (unsigned long long)hi);
        }
    CHECK(computable > (int)size * 2);
}

TEST(merkle_range_hash_subtrees)
{
    struct fixture f;
    struct hh_hash got, want;
    struct hh_error err;

    if (!fixture_init(&f, 1000))
        goto out;
    for (int i = 0; i < 400; i++) {
        uint64_t len = 1 + rand_below(300), step = bit_ceil(len);
        uint64_t start = step * rand_below((1000 - len) / step + 1);
        CHECK_OK(hh_merkle_range_hash(&f.r, start, start + len, &got, NULL));
        naive_mth(f.leaves + start, len, &want);
        if (!CHECK(hash_eq(&got, &want)))
            hh_test_note("range [%llu, +%llu)", (unsigned long long)start, (unsigned long long)len);
    }
    /* [2,5) and [2,6) are not sign-subtree ranges, but their own trees are aligned nodes. */
    CHECK_OK(hh_merkle_range_hash(&f.r, 2, 5, &got, NULL));
    naive_mth(f.leaves + 2, 3, &want);
    CHECK(hash_eq(&got, &want));
    CHECK_OK(hh_merkle_range_hash(&f.r, 2, 6, &got, NULL));
    naive_mth(f.leaves + 2, 4, &want);
    CHECK(hash_eq(&got, &want));
    CHECK_OK(hh_merkle_range_hash(&f.r, 7, 7, &got, NULL));
    hh_merkle_empty_root(&want);
    CHECK(hash_eq(&got, &want));
    every_range(&f, 70);
    CHECK_ERR(hh_merkle_range_hash(&f.r, 1, 4, &got, &err), HH_ERR_INVALID);
    CHECK(err.code == HH_ERR_INVALID && strstr(err.msg, "[1, 4)") != NULL);
    CHECK_ERR(hh_merkle_range_hash(&f.r, 5, 4, &got, &err), HH_ERR_INVALID);
    CHECK_ERR(hh_merkle_range_hash(&f.r, 0, 1001, &got, &err), HH_ERR_NOT_FOUND);
    CHECK_ERR(hh_merkle_root(&f.r, 1001, &got, &err), HH_ERR_NOT_FOUND);
    memset(&want, 0, sizeof(want));
    CHECK(hash_eq(&got, &want)); /* zeroed on failure */
out:
    fixture_free(&f);
}

/* ---- proofs made, cross-checked and verified ---- */

static void inclusion_all_indices(struct fixture *f, uint64_t size, bool naive)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], want[HH_MERKLE_MAX_PROOF], root;
    size_t n, nwant;
    struct hh_error err;

    CHECK_OK(hh_merkle_root(&f->r, size, &root, NULL));
    for (uint64_t i = 0; i < size; i++) {
        bool ok = CHECK_OK(hh_merkle_inclusion_proof(&f->r, i, size, proof, &n, NULL));
        ok = ok && CHECK(n == formula_inclusion_len(i, size));
        ok = ok &&
             CHECK_OK(hh_merkle_verify_inclusion(i, size, &f->leaves[i], proof, n, &root, &err));
        if (ok && naive) {
            nwant = 0;
            naive_path(i, f->leaves, size, want, &nwant);
            ok = CHECK(proofs_eq(proof, n, want, nwant));
        }
        if (!ok) {
            hh_test_note("inclusion of %llu in %llu", (unsigned long long)i,
                         (unsigned long long)size);
            return;
        }
    }
}

TEST(merkle_inclusion_roundtrip)
{
    static const uint64_t sizes[] = {64,  127,  128,  129,  255,  256,
                                     257, 1000, 1023, 1024, 1025, TREE_LEAVES};
    struct fixture f;

    if (!fixture_init(&f, TREE_LEAVES))
        goto out;
    for (uint64_t size = 1; size <= 40; size++)
        inclusion_all_indices(&f, size, true);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        inclusion_all_indices(&f, sizes[i], sizes[i] <= 130);
out:
    fixture_free(&f);
}

static bool consistency_pair(struct fixture *f, uint64_t m, uint64_t size, bool naive)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], want[HH_MERKLE_MAX_PROOF], r1, r2;
    size_t n, nwant = 0;
    struct hh_error err;
    bool ok;

    ok = CHECK_OK(hh_merkle_root(&f->r, m, &r1, NULL)) &&
         CHECK_OK(hh_merkle_root(&f->r, size, &r2, NULL)) &&
         CHECK_OK(hh_merkle_consistency_proof(&f->r, m, size, proof, &n, NULL)) &&
         CHECK_OK(hh_merkle_verify_consistency(m, size, &r1, &r2, proof, n, &err)) &&
         CHECK(n == formula_consistency_len(m, size));
    if (ok && naive) {
        naive_subproof(m, f->leaves, size, true, want, &nwant);
        ok = CHECK(proofs_eq(proof, n, want, nwant));
    }
    if (ok && m == size)
        ok = CHECK(n == 0);
    if (!ok)
        hh_test_note("consistency %llu -> %llu", (unsigned long long)m, (unsigned long long)size);
    return ok;
}

TEST(merkle_consistency_roundtrip)
{
    struct fixture f;

    if (!fixture_init(&f, TREE_LEAVES))
        goto out;
    for (uint64_t size = 1; size <= 48; size++)
        for (uint64_t m = 1; m <= size; m++)
            if (!consistency_pair(&f, m, size, true))
                goto out;
    for (int i = 0; i < 400; i++) {
        uint64_t size = 1 + rand_below(TREE_LEAVES), m = 1 + rand_below(size);
        if (!consistency_pair(&f, m, size, size <= 200))
            goto out;
    }
    consistency_pair(&f, 1024, 2048, false);
    consistency_pair(&f, 1, TREE_LEAVES, false);
    consistency_pair(&f, TREE_LEAVES - 1, TREE_LEAVES, false);
out:
    fixture_free(&f);
}

/* ---- tampering ---- */

static void flip(struct hh_hash *h, size_t bit)
{
    h->b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* Every single-bit change of the leaf, the root and each proof element is rejected. */
static void inclusion_flips(uint64_t i, uint64_t size, struct hh_hash *leaf, struct hh_hash *proof,
                            size_t n, struct hh_hash *root)
{
    struct hh_hash *targets[HH_MERKLE_MAX_PROOF + 2];
    size_t nt = 0;
    int accepted = 0;

    targets[nt++] = leaf;
    targets[nt++] = root;
    for (size_t j = 0; j < n; j++)
        targets[nt++] = &proof[j];
    for (size_t t = 0; t < nt; t++)
        for (size_t bit = 0; bit < 256; bit++) {
            flip(targets[t], bit);
            accepted +=
                hh_merkle_verify_inclusion(i, size, leaf, proof, n, root, NULL) != HH_ERR_VERIFY;
            flip(targets[t], bit);
        }
    CHECK(accepted == 0);
    CHECK_OK(hh_merkle_verify_inclusion(i, size, leaf, proof, n, root, NULL));
}

static void inclusion_wrong_args(struct fixture *f, uint64_t i, uint64_t size,
                                 const struct hh_hash *proof, size_t n, const struct hh_hash *root)
{
    const struct hh_hash *leaf = &f->leaves[i];
    struct hh_hash extra[HH_MERKLE_MAX_PROOF + 1];
    uint64_t j = rand_below(size);

    if ((i ^ 1) < size)
        CHECK_ERR(hh_merkle_verify_inclusion(i ^ 1, size, leaf, proof, n, root, NULL),
                  HH_ERR_VERIFY);
    if (j != i)
        CHECK_ERR(hh_merkle_verify_inclusion(j, size, leaf, proof, n, root, NULL), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_inclusion(size, size, leaf, proof, n, root, NULL), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_inclusion(i, size * 2 + 1, leaf, proof, n, root, NULL),
              HH_ERR_VERIFY);
    if (n > 0)
        CHECK_ERR(hh_merkle_verify_inclusion(i, size, leaf, proof, n - 1, root, NULL),
                  HH_ERR_VERIFY);
    memcpy(extra, proof, n * sizeof(proof[0]));
    extra[n] = *root;
    CHECK_ERR(hh_merkle_verify_inclusion(i, size, leaf, extra, n + 1, root, NULL), HH_ERR_VERIFY);
    if (size > 1) /* in a one-leaf tree the leaf hash is the root */
        CHECK_ERR(hh_merkle_verify_inclusion(i, size, root, proof, n, leaf, NULL), HH_ERR_VERIFY);
}

TEST(merkle_inclusion_tamper)
{
    struct fixture f;
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], root, leaf;
    size_t n;

    if (!fixture_init(&f, TREE_LEAVES))
        goto out;
    for (int k = 0; k < 12; k++) {
        uint64_t size = 1 + rand_below(TREE_LEAVES), i = rand_below(size);
        if (k == 0)
            size = 1, i = 0;
        if (!CHECK_OK(hh_merkle_root(&f.r, size, &root, NULL)) ||
            !CHECK_OK(hh_merkle_inclusion_proof(&f.r, i, size, proof, &n, NULL)))
            break;
        leaf = f.leaves[i];
        inclusion_flips(i, size, &leaf, proof, n, &root);
        inclusion_wrong_args(&f, i, size, proof, n, &root);
    }
out:
    fixture_free(&f);
}

static void consistency_flips(uint64_t m, uint64_t size, struct hh_hash *r1, struct hh_hash *r2,
                              struct hh_hash *proof, size_t n)
{
    struct hh_hash *targets[HH_MERKLE_MAX_PROOF + 2];
    size_t nt = 0;
    int accepted = 0;

    targets[nt++] = r1;
    targets[nt++] = r2;
    for (size_t j = 0; j < n; j++)
        targets[nt++] = &proof[j];
    for (size_t t = 0; t < nt; t++)
        for (size_t bit = 0; bit < 256; bit++) {
            flip(targets[t], bit);
            accepted +=
                hh_merkle_verify_consistency(m, size, r1, r2, proof, n, NULL) != HH_ERR_VERIFY;
            flip(targets[t], bit);
        }
    CHECK(accepted == 0);
    CHECK_OK(hh_merkle_verify_consistency(m, size, r1, r2, proof, n, NULL));
}

static void consistency_wrong_args(uint64_t m, uint64_t size, const struct hh_hash *r1,
                                   const struct hh_hash *r2, const struct hh_hash *proof, size_t n)
{
    struct hh_hash extra[HH_MERKLE_MAX_PROOF + 1];

    if (m > 1)
        CHECK_ERR(hh_merkle_verify_consistency(m - 1, size, r1, r2, proof, n, NULL), HH_ERR_VERIFY);
    if (m + 1 < size)
        CHECK_ERR(hh_merkle_verify_consistency(m + 1, size, r1, r2, proof, n, NULL), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_consistency(m, size, r2, r1, proof, n, NULL), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_consistency(size, m, r2, r1, proof, n, NULL), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_consistency(m, size, r1, r2, proof, n - 1, NULL), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_consistency(m, size, r1, r2, proof + 1, n - 1, NULL), HH_ERR_VERIFY);
    memcpy(extra, proof, n * sizeof(proof[0]));
    extra[n] = *r2;
    CHECK_ERR(hh_merkle_verify_consistency(m, size, r1, r2, extra, n + 1, NULL), HH_ERR_VERIFY);
}

TEST(merkle_consistency_tamper)
{
    struct fixture f;
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], r1, r2;
    size_t n;

    if (!fixture_init(&f, TREE_LEAVES))
        goto out;
    for (int k = 0; k < 12; k++) {
        uint64_t size = 2 + rand_below(TREE_LEAVES - 1), m = 1 + rand_below(size - 1);
        if (k < 2)
            m = k == 0 ? 1 : 512, size = k == 0 ? 2 : 1500; /* a power-of-two old size */
        if (!CHECK_OK(hh_merkle_root(&f.r, m, &r1, NULL)) ||
            !CHECK_OK(hh_merkle_root(&f.r, size, &r2, NULL)) ||
            !CHECK_OK(hh_merkle_consistency_proof(&f.r, m, size, proof, &n, NULL)))
            break;
        consistency_flips(m, size, &r1, &r2, proof, n);
        consistency_wrong_args(m, size, &r1, &r2, proof, n);
    }
out:
    fixture_free(&f);
}

/* ---- size conventions and arguments ---- */

TEST(merkle_verify_conventions)
{
    struct hh_hash a, b, proof[HH_MERKLE_MAX_PROOF + 1];
    struct hh_error err;

    hh_sha256("a", 1, &a);
    hh_sha256("b", 1, &b);
    memset(proof, 0, sizeof(proof));
    /* inclusion: index < size, exact length, at most 64 hashes */
    CHECK_ERR(hh_merkle_verify_inclusion(0, 0, &a, NULL, 0, &a, &err), HH_ERR_VERIFY);
    CHECK(err.code == HH_ERR_VERIFY && strstr(err.msg, "not below") != NULL);
    CHECK_OK(hh_merkle_verify_inclusion(0, 1, &a, NULL, 0, &a, &err));
    CHECK_ERR(hh_merkle_verify_inclusion(0, 1, &a, NULL, 0, &b, &err), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_inclusion(0, 1, &a, proof, 1, &a, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "needs 0") != NULL);
    CHECK_ERR(hh_merkle_verify_inclusion(5, 2, &a, proof, 1, &a, &err), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_inclusion(UINT64_MAX, UINT64_MAX, &a, proof, 64, &a, &err),
              HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_inclusion(0, UINT64_MAX, &a, proof, 65, &a, &err), HH_ERR_VERIFY);
    /* consistency from 0 is an error, even 0 -> 0 with equal roots and no proof */
    hh_merkle_empty_root(&b);
    CHECK_ERR(hh_merkle_verify_consistency(0, 0, &b, &b, NULL, 0, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "empty tree") != NULL);
    CHECK_ERR(hh_merkle_verify_consistency(0, 5, &b, &a, proof, 1, &err), HH_ERR_VERIFY);
    hh_sha256("b", 1, &b);
    CHECK_ERR(hh_merkle_verify_consistency(3, 2, &a, &b, proof, 1, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "larger") != NULL);
    /* equal sizes: empty proof and equal roots */
    CHECK_OK(hh_merkle_verify_consistency(7, 7, &a, &a, NULL, 0, &err));
    CHECK_ERR(hh_merkle_verify_consistency(7, 7, &a, &b, NULL, 0, &err), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_consistency(7, 7, &a, &a, proof, 1, &err), HH_ERR_VERIFY);
    /* a proof is required between different sizes, even from a power of two */
    CHECK_ERR(hh_merkle_verify_consistency(1, 2, &a, &b, NULL, 0, &err), HH_ERR_VERIFY);
    CHECK_ERR(hh_merkle_verify_consistency(3, 4, &a, &b, NULL, 0, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "needs") != NULL);
    CHECK_ERR(hh_merkle_verify_consistency(1, UINT64_MAX, &a, &b, proof, 65, &err), HH_ERR_VERIFY);
}

TEST(merkle_proof_arguments)
{
    struct fixture f;
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_error err;
    size_t n = 99;

    if (!fixture_init(&f, 10))
        goto out;
    CHECK_ERR(hh_merkle_inclusion_proof(&f.r, 10, 10, proof, &n, &err), HH_ERR_INVALID);
    CHECK(n == 0 && err.code == HH_ERR_INVALID);
    CHECK_ERR(hh_merkle_inclusion_proof(&f.r, 0, 0, proof, &n, &err), HH_ERR_INVALID);
    n = 99;
    CHECK_ERR(hh_merkle_consistency_proof(&f.r, 0, 5, proof, &n, &err), HH_ERR_INVALID);
    CHECK(n == 0);
    CHECK_ERR(hh_merkle_consistency_proof(&f.r, 6, 5, proof, &n, &err), HH_ERR_INVALID);
    n = 99;
    CHECK_OK(hh_merkle_consistency_proof(&f.r, 5, 5, proof, &n, &err));
    CHECK(n == 0);
    /* beyond what the reader holds */
    CHECK_ERR(hh_merkle_inclusion_proof(&f.r, 3, 11, proof, &n, &err), HH_ERR_NOT_FOUND);
    CHECK(n == 0 && strstr(err.msg, "inclusion proof of 3 in 11") != NULL);
    CHECK_ERR(hh_merkle_consistency_proof(&f.r, 3, 12, proof, &n, &err), HH_ERR_NOT_FOUND);
    CHECK(n == 0);
out:
    fixture_free(&f);
}

/* ---- range decompositions ---- */

static bool nodes_are(const struct hh_subtree_id *ids, size_t n, const uint64_t (*want)[2],
                      size_t nw)
{
    if (n != nw)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ids[i].level != want[i][0] || ids[i].index != want[i][1])
            return false;
    return true;
}

/* The nodes tile [lo, hi) exactly, in order, each aligned and none mergeable into its parent. */
static bool covers(uint64_t lo, uint64_t hi, const struct hh_subtree_id *ids, size_t n)
{
    uint64_t pos = lo;

    for (size_t i = 0; i < n; i++) {
        unsigned l = ids[i].level;
        uint64_t start = ids[i].index << l, width = (uint64_t)1 << l;
        if (l > 63 || (ids[i].index >> (63 - l)) > 1 || start != pos || hi - pos < width)
            return false;
        if (l < 63) {
            uint64_t pstart = (ids[i].index >> 1) << (l + 1);
            if (pstart >= lo && hi - pstart >= 2 * width)
                return false; /* the parent fits: not maximal */
        }
        pos += width;
    }
    return pos == hi && n <= 2 * HH_MERKLE_MAX_PROOF;
}

TEST(merkle_range_nodes)
{
    static const uint64_t w13[][2] = {{3, 0}, {2, 2}, {0, 12}};
    static const uint64_t w14[][2] = {{0, 1}, {1, 1}};
    static const uint64_t w5_13[][2] = {{0, 5}, {1, 3}, {2, 2}, {0, 12}};
    struct hh_subtree_id ids[2 * HH_MERKLE_MAX_PROOF];
    size_t n = 99;

    hh_merkle_range_nodes(0, 13, ids, &n);
    CHECK(nodes_are(ids, n, w13, 3));
    hh_merkle_range_nodes(1, 4, ids, &n);
    CHECK(nodes_are(ids, n, w14, 2));
    hh_merkle_range_nodes(5, 13, ids, &n);
    CHECK(nodes_are(ids, n, w5_13, 4));
    hh_merkle_range_nodes(9, 9, ids, &n);
    CHECK(n == 0);
    hh_merkle_range_nodes(1, UINT64_MAX, ids, &n);
    CHECK(n == 126 && covers(1, UINT64_MAX, ids, n));
    hh_merkle_range_nodes(0, UINT64_MAX, ids, &n);
    CHECK(n == 64 && ids[0].level == 63 && covers(0, UINT64_MAX, ids, n));
    for (int i = 0; i < 3000; i++) {
        uint64_t span = i % 3 == 0 ? 64 : i % 3 == 1 ? 5000 : UINT64_MAX;
        uint64_t a = rand_below(span), b = rand_below(span);
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        hh_merkle_range_nodes(lo, hi, ids, &n);
        if (!CHECK(covers(lo, hi, ids, n)))
            hh_test_note("[%llu, %llu)", (unsigned long long)lo, (unsigned long long)hi);
    }
}

/* ---- appends ---- */

static void check_append(struct fixture *f, uint64_t index, struct hh_memtree *t)
{
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_subtree_id ids[HH_MERKLE_MAX_PROOF];
    struct hh_hash hashes[HH_MERKLE_MAX_PROOF], want;
    size_t n, ones = 0;

    while ((index >> ones) & 1)
        ones++;
    if (!CHECK_OK(hh_merkle_append(&r, index, &f->leaves[index], ids, hashes, &n, NULL)))
        return;
    CHECK(n == ones + 1);
    for (size_t l = 0; l < n; l++) {
        uint64_t first = (index >> l) << l;
        naive_mth(f->leaves + first, (uint64_t)1 << l, &want);
        if (!CHECK(ids[l].level == l && ids[l].index == index >> l && hash_eq(&hashes[l], &want)))
            hh_test_note("append %llu, node %zu", (unsigned long long)index, l);
    }
}

TEST(merkle_append_nodes)
{
    struct fixture f;
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_subtree_id ids[HH_MERKLE_MAX_PROOF];
    struct hh_hash hashes[HH_MERKLE_MAX_PROOF];
    struct hh_error err;
    size_t n = 99;

    if (!fixture_init(&f, 1100) || !CHECK(t != NULL))
        goto out;
    for (uint64_t i = 0; i < f.n; i++) {
        check_append(&f, i, t);
        CHECK_OK(hh_memtree_append(t, &f.leaves[i]));
    }
    CHECK_ERR(hh_merkle_append(&r, UINT64_MAX, &f.leaves[0], ids, hashes, &n, &err),
              HH_ERR_TOO_LARGE);
    CHECK(n == 0);
    /* Leaf 2047 needs siblings the 1100-leaf tree lacks. */
    CHECK_ERR(hh_merkle_append(&r, 2047, &f.leaves[0], ids, hashes, &n, &err), HH_ERR_NOT_FOUND);
    CHECK(n == 0 && strstr(err.msg, "appending leaf 2047") != NULL);
out:
    hh_memtree_free(t);
    fixture_free(&f);
}

/* ---- reader failures and batching ---- */

struct spy {
    struct hh_hash_reader inner;
    int calls;
    int fail_at; /* the call (1-based) that fails; 0 never */
    hh_status code;
    bool set_err;
};

static hh_status spy_read(void *ctx, const struct hh_subtree_id *ids, size_t n, struct hh_hash *out,
                          struct hh_error *err)
{
    struct spy *s = ctx;

    s->calls++;
    if (s->calls == s->fail_at) {
        if (s->set_err)
            return hh_error_set(err, s->code, "disk on fire");
        return s->code;
    }
    return s->inner.read(s->inner.ctx, ids, n, out, err);
}

static void reader_fails_everywhere(struct fixture *f, hh_status code, bool set_err)
{
    struct spy s = {f->r, 0, 1, code, set_err};
    struct hh_hash_reader r = {spy_read, &s};
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], h;
    struct hh_subtree_id ids[HH_MERKLE_MAX_PROOF];
    struct hh_error err;
    size_t n = 99;

#define EXPECT_FAIL(expr)                                                                          \
    do {                                                                                           \
        s.calls = 0;                                                                               \
        err.code = HH_ERR_CONFLICT; /* stale: a reader that sets nothing must not leave it */      \
        CHECK_ERR(expr, code);                                                                     \
        CHECK(err.code == code && (!set_err || strstr(err.msg, "disk on fire") != NULL));          \
    } while (0)
    EXPECT_FAIL(hh_merkle_inclusion_proof(&r, 5, 77, proof, &n, &err));
    CHECK(n == 0);
    EXPECT_FAIL(hh_merkle_consistency_proof(&r, 5, 77, proof, &n, &err));
    CHECK(n == 0);
    EXPECT_FAIL(hh_merkle_root(&r, 77, &h, &err));
    EXPECT_FAIL(hh_merkle_range_hash(&r, 64, 77, &h, &err));
    EXPECT_FAIL(hh_merkle_append(&r, 79, &f->leaves[0], ids, proof, &n, &err));
    CHECK(n == 0);
#undef EXPECT_FAIL
}

TEST(merkle_reader_errors)
{
    struct fixture f;

    if (!fixture_init(&f, 100))
        goto out;
    reader_fails_everywhere(&f, HH_ERR_IO, true);
    reader_fails_everywhere(&f, HH_ERR_IO, false);
    reader_fails_everywhere(&f, HH_ERR_NOT_FOUND, true);
out:
    fixture_free(&f);
}

TEST(merkle_one_read_per_proof)
{
    struct fixture f;
    struct spy s;
    struct hh_hash_reader r = {spy_read, &s};
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], h;
    size_t n;

    if (!fixture_init(&f, 1000))
        goto out;
    s = (struct spy){f.r, 0, 0, HH_OK, false};
    for (int i = 0; i < 200; i++) {
        uint64_t size = 2 + rand_below(999), m = 1 + rand_below(size - 1);
        s.calls = 0;
        CHECK_OK(hh_merkle_inclusion_proof(&r, m, size, proof, &n, NULL));
        CHECK_OK(hh_merkle_consistency_proof(&r, m, size, proof, &n, NULL));
        CHECK_OK(hh_merkle_root(&r, size, &h, NULL));
        CHECK(s.calls == 3);
    }
    s.calls = 0;
    CHECK_OK(hh_merkle_root(&r, 0, &h, NULL));
    CHECK_OK(hh_merkle_consistency_proof(&r, 9, 9, proof, &n, NULL));
    CHECK(s.calls == 0);
out:
    fixture_free(&f);
}

/* ---- trees of nearly 2^64 identical leaves ---- */

struct uniform {
    struct hh_hash level[64];
    uint64_t size;
};

static hh_status uniform_read(void *ctx, const struct hh_subtree_id *ids, size_t n,
                              struct hh_hash *out, struct hh_error *err)
{
    const struct uniform *u = ctx;

    for (size_t i = 0; i < n; i++) {
        if (ids[i].level > 63 || ids[i].index >= (u->size >> ids[i].level))
            return hh_error_set(err, HH_ERR_NOT_FOUND, "incomplete node");
        out[i] = u->level[ids[i].level];
    }
    return HH_OK;
}

static void huge_inclusion(const struct hh_hash_reader *r, const struct uniform *u, uint64_t i,
                           uint64_t size)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], root, leaf = u->level[0];
    size_t n;

    if (!CHECK_OK(hh_merkle_root(r, size, &root, NULL)) ||
        !CHECK_OK(hh_merkle_inclusion_proof(r, i, size, proof, &n, NULL)))
        return;
    CHECK(n == formula_inclusion_len(i, size));
    CHECK_OK(hh_merkle_verify_inclusion(i, size, &leaf, proof, n, &root, NULL));
    flip(&proof[n - 1], 7);
    CHECK_ERR(hh_merkle_verify_inclusion(i, size, &leaf, proof, n, &root, NULL), HH_ERR_VERIFY);
}

/* Proofs that would need 65 hashes are refused both ways. */
static void huge_consistency_refused(const struct hh_hash_reader *r, uint64_t m, uint64_t size)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], r1, r2;
    struct hh_error err;
    size_t n = 99;

    CHECK(formula_consistency_len(m, size) == HH_MERKLE_MAX_PROOF + 1);
    CHECK_ERR(hh_merkle_consistency_proof(r, m, size, proof, &n, &err), HH_ERR_TOO_LARGE);
    CHECK(n == 0 && strstr(err.msg, "65") != NULL);
    memset(proof, 0, sizeof(proof));
    if (CHECK_OK(hh_merkle_root(r, m, &r1, NULL)) && CHECK_OK(hh_merkle_root(r, size, &r2, NULL)))
        CHECK_ERR(hh_merkle_verify_consistency(m, size, &r1, &r2, proof, HH_MERKLE_MAX_PROOF, &err),
                  HH_ERR_VERIFY);
}

static void huge_consistency(const struct hh_hash_reader *r, uint64_t m, uint64_t size)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], r1, r2;
    size_t n;

    if (formula_consistency_len(m, size) > HH_MERKLE_MAX_PROOF) {
        huge_consistency_refused(r, m, size);
        return;
    }
    if (!CHECK_OK(hh_merkle_root(r, m, &r1, NULL)) ||
        !CHECK_OK(hh_merkle_root(r, size, &r2, NULL)) ||
        !CHECK_OK(hh_merkle_consistency_proof(r, m, size, proof, &n, NULL)))
        return;
    CHECK(n == formula_consistency_len(m, size));
    CHECK_OK(hh_merkle_verify_consistency(m, size, &r1, &r2, proof, n, NULL));
    flip(&proof[0], 200);
    CHECK_ERR(hh_merkle_verify_consistency(m, size, &r1, &r2, proof, n, NULL), HH_ERR_VERIFY);
}

TEST(merkle_huge_trees)
{
    struct uniform u;
    struct hh_hash_reader r = {uniform_read, &u};
    const uint64_t top = UINT64_MAX, half = (uint64_t)1 << 63;
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    size_t n;

    hh_merkle_leaf_hash("x", 1, &u.level[0]);
    for (int l = 1; l < 64; l++)
        hh_merkle_node_hash(&u.level[l - 1], &u.level[l - 1], &u.level[l]);
    u.size = top;
    huge_inclusion(&r, &u, top - 1, top);
    huge_inclusion(&r, &u, 0, top);
    huge_inclusion(&r, &u, half, top);
    huge_inclusion(&r, &u, half - 1, top);
    huge_inclusion(&r, &u, 12345, half + 1);
    for (int i = 0; i < 20; i++)
        huge_inclusion(&r, &u, rand_below(top), top);
    CHECK_OK(hh_merkle_inclusion_proof(&r, 0, top, proof, &n, NULL));
    CHECK(n == 64);
    huge_consistency(&r, 1, top);
    huge_consistency(&r, half, top);
    huge_consistency(&r, top - 1, top);
    huge_consistency(&r, 3, half + 1);
    huge_consistency_refused(&r, 3, half + 1);
    huge_consistency_refused(&r, half + 12345, top);
    for (int i = 0; i < 20; i++)
        huge_consistency(&r, rand_below(top - 1) + 1, top);
}
