/*
 * merkle.c - RFC 6962 / RFC 9162 Merkle tree hashes, proofs and their checks.
 *
 * Proofs are made in two steps. A "plan" lists the leaf ranges whose hashes
 * form the proof (the RFC's PATH and SUBPROOF recursions, unrolled into
 * loops); then every range is split into aligned complete subtrees, all of
 * them are read through the hh_hash_reader in one call, and each range's hash
 * is folded from its nodes. The verifiers use the same plans to demand the
 * exact proof length, then run the RFC 9162 algorithms unchanged.
 *
 * Every range in a plan is a subtree: it starts at 0 or at a multiple of the
 * next power of two above its length, so its complete subtrees have strictly
 * decreasing sizes and its hash is node(first, hash of the rest). A range
 * whose own tree is not made of its maximal complete subtrees (such as
 * [1, 4) = node(node(d1, d2), d3)) could need one node per leaf; it is refused.
 *
 * Sizes are full-range uint64_t: no sum or shift here can overflow for any
 * size up to 2^64 - 1. The one limit is HH_MERKLE_MAX_PROOF: some consistency
 * proofs in trees of more than 2^63 leaves would need 65 hashes, and those are
 * refused (as too large to make, as unverifiable when given).
 */
#include <henhouse/merkle.h>

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

/* Node reads of one batch; a proof needs at most 63 complete hashes and one 64-node range. */
#define BATCH_MAX (2 * HH_MERKLE_MAX_PROOF)

/* Plans hold one more range than a proof: consistency above 2^63 leaves can need 65. */
#define PLAN_MAX (HH_MERKLE_MAX_PROOF + 1)

struct range {
    uint64_t lo, hi;
};

/* floor(log2(x)) for x > 0. */
static unsigned floor_log2(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* The number of trailing zero bits of x > 0. */
static unsigned trailing_zeros(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

/* The largest power of two strictly below n, for n >= 2: the RFC's split point k. */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << floor_log2(n - 1);
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

void hh_merkle_leaf_hash(const void *data, size_t len, struct hh_hash *out)
{
    static const uint8_t prefix = 0x00;
    struct hh_sha256_ctx ctx;

    hh_sha256_init(&ctx);
    hh_sha256_update(&ctx, &prefix, 1);
    hh_sha256_update(&ctx, data, len);
    hh_sha256_final(&ctx, out);
}

void hh_merkle_node_hash(const struct hh_hash *left, const struct hh_hash *right,
                         struct hh_hash *out)
{
    uint8_t buf[1 + 2 * HH_HASH_LEN];

    buf[0] = 0x01;
    memcpy(buf + 1, left->b, HH_HASH_LEN);
    memcpy(buf + 1 + HH_HASH_LEN, right->b, HH_HASH_LEN);
    hh_sha256(buf, sizeof(buf), out);
}

void hh_merkle_empty_root(struct hh_hash *out)
{
    hh_sha256("", 0, out);
}

void hh_merkle_range_nodes(uint64_t lo, uint64_t hi,
                           struct hh_subtree_id ids[2 * HH_MERKLE_MAX_PROOF], size_t *n)
{
    size_t k = 0;

    while (lo < hi) {
        unsigned level = floor_log2(hi - lo);
        if (lo != 0 && trailing_zeros(lo) < level)
            level = trailing_zeros(lo);
        ids[k].level = (uint8_t)level;
        ids[k].index = lo >> level;
        k++;
        lo += (uint64_t)1 << level; /* lo + 2^level <= hi: no overflow */
    }
    *n = k;
}

/*
 * True when the range's own tree is made of these nodes: each node but the
 * last is the left subtree of what remains, i.e. at least as large as the
 * rest (RFC 6962 splits n leaves at the largest power of two below n).
 */
static bool foldable(const struct hh_subtree_id *ids, size_t n)
{
    uint64_t rest = 0;

    for (size_t i = n; i > 1; i--) {
        uint64_t size = (uint64_t)1 << ids[i - 1].level;
        rest += size;
        if (((uint64_t)1 << ids[i - 2].level) < rest)
            return false;
    }
    return true;
}

/* The hash of a foldable range from its nodes: node(h[0], node(h[1], ...)). */
static void fold(const struct hh_hash *h, size_t n, struct hh_hash *out)
{
    struct hh_hash acc;

    if (n == 0) {
        hh_merkle_empty_root(out);
        return;
    }
    acc = h[n - 1];
    for (size_t i = n - 1; i > 0; i--)
        hh_merkle_node_hash(&h[i - 1], &acc, &acc);
    *out = acc;
}

/* Calls the reader; makes sure err names a failure even if the reader left it unset. */
static hh_status read_nodes(const struct hh_hash_reader *r, const struct hh_subtree_id *ids,
                            size_t n, struct hh_hash *out, struct hh_error *err)
{
    hh_status rc;

    if (n == 0)
        return HH_OK;
    rc = r->read(r->ctx, ids, n, out, err);
    if (rc != HH_OK && err != NULL && err->code != rc)
        hh_error_set(err, rc, "hash reader failed (%s)", hh_status_name(rc));
    return rc;
}

struct batch {
    struct hh_subtree_id ids[BATCH_MAX];
    struct hh_hash hashes[BATCH_MAX];
    size_t n;
};

/* Adds the nodes covering rg to b; refuses a range whose hash needs leaf-level data. */
static hh_status batch_add(struct batch *b, struct range rg, struct hh_error *err)
{
    struct hh_subtree_id ids[2 * HH_MERKLE_MAX_PROOF];
    size_t k;

    hh_merkle_range_nodes(rg.lo, rg.hi, ids, &k);
    if (!foldable(ids, k))
        return hh_error_set(err, HH_ERR_INVALID,
                            "range [%" PRIu64 ", %" PRIu64 ") is not a subtree: its hash "
                            "is not a fold of its maximal complete subtrees",
                            rg.lo, rg.hi);
    if (k > BATCH_MAX - b->n)
        return hh_error_set(err, HH_ERR_INTERNAL, "more than %d nodes in one batch", BATCH_MAX);
    memcpy(b->ids + b->n, ids, k * sizeof(ids[0]));
    b->n += k;
    return HH_OK;
}

/*
 * Hashes nr ranges (nr <= HH_MERKLE_MAX_PROOF) into out[0..nr) with one
 * reader call. out is written only on success.
 */
static hh_status hash_ranges(const struct hh_hash_reader *r, const struct range *ranges, size_t nr,
                             struct hh_hash *out, struct hh_error *err)
{
    struct batch b;
    size_t first[HH_MERKLE_MAX_PROOF + 1];
    hh_status rc;

    b.n = 0;
    for (size_t i = 0; i < nr; i++) {
        first[i] = b.n;
        rc = batch_add(&b, ranges[i], err);
        if (rc != HH_OK)
            return rc;
    }
    first[nr] = b.n;
    rc = read_nodes(r, b.ids, b.n, b.hashes, err);
    if (rc != HH_OK)
        return rc;
    for (size_t i = 0; i < nr; i++)
        fold(b.hashes + first[i], first[i + 1] - first[i], &out[i]);
    return HH_OK;
}

hh_status hh_merkle_range_hash(const struct hh_hash_reader *r, uint64_t lo, uint64_t hi,
                               struct hh_hash *out, struct hh_error *err)
{
    struct range rg = {lo, hi};
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (lo > hi)
        return hh_error_set(err, HH_ERR_INVALID, "range [%" PRIu64 ", %" PRIu64 ") is reversed", lo,
                            hi);
    rc = hash_ranges(r, &rg, 1, out, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "hash of [%" PRIu64 ", %" PRIu64 ")", lo, hi);
    return HH_OK;
}

hh_status hh_merkle_root(const struct hh_hash_reader *r, uint64_t size, struct hh_hash *out,
                         struct hh_error *err)
{
    return hh_merkle_range_hash(r, 0, size, out, err);
}

/* Reverses a[0..n) in place: plans are built root first, proofs run leaf first. */
static void reverse(struct range *a, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        struct range t = a[i];
        a[i] = a[n - 1 - i];
        a[n - 1 - i] = t;
    }
}

/* The ranges of PATH(index, D[0:size]), leaf sibling first; index < size. At most 64. */
static size_t inclusion_plan(uint64_t index, uint64_t size, struct range plan[PLAN_MAX])
{
    uint64_t lo = 0, n = size;
    size_t k = 0;

    while (n > 1) {
        uint64_t s = split_point(n);
        if (index - lo < s) {
            plan[k++] = (struct range){lo + s, lo + n};
            n = s;
        } else {
            plan[k++] = (struct range){lo, lo + s};
            lo += s;
            n -= s;
        }
    }
    reverse(plan, k);
    return k;
}

/* The ranges of PROOF(old, D[0:new]), deepest first; 0 < old <= new. At most 65. */
static size_t consistency_plan(uint64_t old, uint64_t new, struct range plan[PLAN_MAX])
{
    uint64_t lo = 0, m = old, n = new;
    bool whole = true; /* the RFC's b: still on the old tree's own root path */
    size_t k = 0;

    while (m != n) {
        uint64_t s = split_point(n);
        if (m <= s) {
            plan[k++] = (struct range){lo + s, lo + n};
            n = s;
        } else {
            plan[k++] = (struct range){lo, lo + s};
            lo += s;
            m -= s;
            n -= s;
            whole = false;
        }
    }
    if (!whole)
        plan[k++] = (struct range){lo, lo + n};
    reverse(plan, k);
    return k;
}

hh_status hh_merkle_inclusion_proof(const struct hh_hash_reader *r, uint64_t index, uint64_t size,
                                    struct hh_hash proof[HH_MERKLE_MAX_PROOF], size_t *n,
                                    struct hh_error *err)
{
    struct range plan[PLAN_MAX];
    size_t k;
    hh_status rc;

    *n = 0;
    if (index >= size)
        return hh_error_set(err, HH_ERR_INVALID,
                            "leaf index %" PRIu64 " is not below tree size %" PRIu64, index, size);
    k = inclusion_plan(index, size, plan);
    rc = hash_ranges(r, plan, k, proof, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "inclusion proof of %" PRIu64 " in %" PRIu64, index, size);
    *n = k;
    return HH_OK;
}

hh_status hh_merkle_consistency_proof(const struct hh_hash_reader *r, uint64_t old_size,
                                      uint64_t new_size, struct hh_hash proof[HH_MERKLE_MAX_PROOF],
                                      size_t *n, struct hh_error *err)
{
    struct range plan[PLAN_MAX];
    size_t k;
    hh_status rc;

    *n = 0;
    if (old_size == 0 || old_size > new_size)
        return hh_error_set(err, HH_ERR_INVALID,
                            "no consistency proof from size %" PRIu64 " to %" PRIu64
                            " (needs 0 < old <= new)",
                            old_size, new_size);
    k = consistency_plan(old_size, new_size, plan);
    if (k > HH_MERKLE_MAX_PROOF)
        return hh_error_set(err, HH_ERR_TOO_LARGE,
                            "consistency proof from %" PRIu64 " to %" PRIu64
                            " needs %zu hashes, more than %d",
                            old_size, new_size, k, HH_MERKLE_MAX_PROOF);
    rc = hash_ranges(r, plan, k, proof, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "consistency proof from %" PRIu64 " to %" PRIu64, old_size,
                               new_size);
    *n = k;
    return HH_OK;
}

/* RFC 9162 2.1.3.2 steps 2-4: the root the path implies, or false if the path has the wrong length.
 */
static bool inclusion_root(uint64_t index, uint64_t size, const struct hh_hash *leaf,
                           const struct hh_hash *proof, size_t n, struct hh_hash *r)
{
    uint64_t fn = index, sn = size - 1;

    *r = *leaf;
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            hh_merkle_node_hash(&proof[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            hh_merkle_node_hash(r, &proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0;
}

hh_status hh_merkle_verify_inclusion(uint64_t index, uint64_t size, const struct hh_hash *leaf,
                                     const struct hh_hash *proof, size_t n,
                                     const struct hh_hash *root, struct hh_error *err)
{
    struct range plan[PLAN_MAX];
    struct hh_hash r;
    size_t want;

    if (index >= size)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "leaf index %" PRIu64 " is not below tree size %" PRIu64, index, size);
    want = inclusion_plan(index, size, plan);
    if (n != want)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "inclusion proof has %zu hashes; index %" PRIu64 " in size %" PRIu64
                            " needs %zu",
                            n, index, size, want);
    if (!inclusion_root(index, size, leaf, proof, n, &r))
        return hh_error_set(err, HH_ERR_INTERNAL, "inclusion proof length check disagrees");
    if (!hh_hash_equal(&r, root))
        return hh_error_set(err, HH_ERR_VERIFY,
                            "inclusion proof of %" PRIu64 " in %" PRIu64
                            " does not lead to the given root",
                            index, size);
    return HH_OK;
}

/*
 * RFC 9162 2.1.4.2 steps 2-5 for 0 < old < new: the old and new roots the
 * path implies (fr, sr), or false if the path has the wrong length.
 */
static bool consistency_roots(uint64_t old, uint64_t new, const struct hh_hash *old_root,
                              const struct hh_hash *proof, size_t n, struct hh_hash *fr,
                              struct hh_hash *sr)
{
    uint64_t fn = old - 1, sn = new - 1;
    size_t i = 0;

    if (is_pow2(old))
        *fr = *old_root; /* the path starts with old_root, prepended */
    else if (n > 0)
        *fr = proof[i++];
    else
        return false;
    *sr = *fr;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < n; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            hh_merkle_node_hash(&proof[i], fr, fr);
            hh_merkle_node_hash(&proof[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            hh_merkle_node_hash(sr, &proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0;
}

/* The size conventions of merkle.h; HH_OK means "run the RFC algorithm", *done means decided. */
static hh_status consistency_sizes(uint64_t old, uint64_t new, const struct hh_hash *old_root,
                                   const struct hh_hash *new_root, size_t n, bool *done,
                                   struct hh_error *err)
{
    *done = false;
    if (old == 0)
        return hh_error_set(
            err, HH_ERR_VERIFY,
            "consistency proof from an empty tree (size 0 to %" PRIu64 ") is meaningless", new);
    if (old > new)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "old size %" PRIu64 " is larger than new size %" PRIu64, old, new);
    if (old < new)
        return HH_OK;
    *done = true;
    if (n != 0)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "sizes are equal (%" PRIu64 ") but the proof has %zu hashes", old, n);
    if (!hh_hash_equal(old_root, new_root))
        return hh_error_set(err, HH_ERR_VERIFY,
                            "sizes are equal (%" PRIu64 ") but the roots differ", old);
    return HH_OK;
}

hh_status hh_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                       const struct hh_hash *old_root,
                                       const struct hh_hash *new_root, const struct hh_hash *proof,
                                       size_t n, struct hh_error *err)
{
    struct range plan[PLAN_MAX];
    struct hh_hash fr, sr;
    size_t want;
    bool done;
    hh_status rc;

    rc = consistency_sizes(old_size, new_size, old_root, new_root, n, &done, err);
    if (rc != HH_OK || done)
        return rc;
    want = consistency_plan(old_size, new_size, plan);
    if (want > HH_MERKLE_MAX_PROOF)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "consistency proof from %" PRIu64 " to %" PRIu64
                            " needs %zu hashes, more than %d",
                            old_size, new_size, want, HH_MERKLE_MAX_PROOF);
    if (n != want)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "consistency proof has %zu hashes; %" PRIu64 " to %" PRIu64
                            " needs %zu",
                            n, old_size, new_size, want);
    if (!consistency_roots(old_size, new_size, old_root, proof, n, &fr, &sr))
        return hh_error_set(err, HH_ERR_INTERNAL, "consistency proof length check disagrees");
    if (!hh_hash_equal(&fr, old_root))
        return hh_error_set(err, HH_ERR_VERIFY,
                            "consistency proof does not lead to the old root (size %" PRIu64 ")",
                            old_size);
    if (!hh_hash_equal(&sr, new_root))
        return hh_error_set(err, HH_ERR_VERIFY,
                            "consistency proof does not lead to the new root (size %" PRIu64 ")",
                            new_size);
    return HH_OK;
}

hh_status hh_merkle_append(const struct hh_hash_reader *r, uint64_t index,
                           const struct hh_hash *leaf,
                           struct hh_subtree_id ids[HH_MERKLE_MAX_PROOF],
                           struct hh_hash hashes[HH_MERKLE_MAX_PROOF], size_t *n,
                           struct hh_error *err)
{
    struct hh_subtree_id sib[HH_MERKLE_MAX_PROOF];
    struct hh_hash sh[HH_MERKLE_MAX_PROOF];
    struct hh_hash cur = *leaf;
    unsigned ones;
    hh_status rc;

    *n = 0;
    if (index == UINT64_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "a tree cannot hold more than 2^64-1 leaves");
    ones = trailing_zeros(~index); /* each trailing one bit is a left sibling to join */
    for (unsigned l = 0; l < ones; l++)
        sib[l] = (struct hh_subtree_id){(uint8_t)l, (index >> l) - 1};
    rc = read_nodes(r, sib, ones, sh, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "appending leaf %" PRIu64, index);
    ids[0] = (struct hh_subtree_id){0, index};
    hashes[0] = cur;
    for (unsigned l = 0; l < ones; l++) {
        hh_merkle_node_hash(&sh[l], &cur, &cur);
        ids[l + 1] = (struct hh_subtree_id){(uint8_t)(l + 1), index >> (l + 1)};
        hashes[l + 1] = cur;
    }
    *n = (size_t)ones + 1;
    return HH_OK;
}
