/*
 * fuzz_merkle_proof.c - RFC 9162 proof verification:
 * hh_merkle_verify_inclusion and hh_merkle_verify_consistency.
 *
 * Input: a (u64 big-endian), b (u64 big-endian), hash H1, hash H2, then the
 * proof as whole 32-byte hashes (a short input is zero-padded to the four
 * fields; a trailing partial hash is ignored). Both verifiers run on it
 * (inclusion of leaf H1 at index a in a tree of size b with root H2;
 * consistency from size a, root H1 to size b, root H2), for any 64-bit
 * sizes. Properties:
 *  - the verdict is HH_OK or HH_ERR_VERIFY, never anything else, and equals
 *    that of an independent RFC 9162 section 2.1.3.2 / 2.1.4.2 check (with
 *    the size conventions of merkle.h);
 *  - proofs made by hh_merkle_inclusion_proof / hh_merkle_consistency_proof
 *    over a fixed 1024-leaf in-memory tree (sizes and index taken from a and
 *    b) verify, and stop verifying when one bit of the proof, leaf or root
 *    chosen by H1 is flipped.
 */
#include "fuzz_common.h"

#define TREE_LEAVES     1024
#define MAX_INPUT_PROOF (HH_MERKLE_MAX_PROOF + 8)
#define HEAD            (8 + 8 + 2 * HH_HASH_LEN)

static struct hh_memtree *tree;

static void node(const struct hh_hash *l, const struct hh_hash *r, struct hh_hash *out)
{
    hh_merkle_node_hash(l, r, out);
}

/* RFC 9162 2.1.3.2, written from the RFC. */
static int ref_inclusion(uint64_t index, uint64_t size, const struct hh_hash *leaf,
                         const struct hh_hash *proof, size_t n, const struct hh_hash *root)
{
    uint64_t fn = index, sn;
    struct hh_hash r = *leaf;

    if (index >= size)
        return 0;
    sn = size - 1;
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            node(&proof[i], &r, &r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            node(&r, &proof[i], &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(r.b, root->b, HH_HASH_LEN) == 0;
}

/* RFC 9162 2.1.4.2, with merkle.h's rules for old == 0, old > new and old == new. */
static int ref_consistency(uint64_t old, uint64_t new, const struct hh_hash *r1,
                           const struct hh_hash *r2, const struct hh_hash *proof, size_t n)
{
    struct hh_hash path[MAX_INPUT_PROOF + 1], fr, sr;
    uint64_t fn, sn;
    size_t k = 0;

    if (old == 0 || old > new)
        return 0;
    if (old == new)
        return n == 0 && memcmp(r1->b, r2->b, HH_HASH_LEN) == 0;
    if (n == 0)
        return 0;
    if ((old & (old - 1)) == 0)
        path[k++] = *r1;
    memcpy(path + k, proof, n * sizeof(*proof));
    k += n;
    fn = old - 1;
    sn = new - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    fr = sr = path[0];
    for (size_t i = 1; i < k; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            node(&path[i], &fr, &fr);
            node(&path[i], &sr, &sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            node(&sr, &path[i], &sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(fr.b, r1->b, HH_HASH_LEN) == 0 &&
           memcmp(sr.b, r2->b, HH_HASH_LEN) == 0;
}

/* Checks a verdict against the reference; n above the library's maximum must fail. */
static void agree(hh_status rc, int ref, size_t n, const struct hh_error *err)
{
    FUZZ_CHECK(rc == HH_OK || rc == HH_ERR_VERIFY);
    FUZZ_CHECK(rc == err->code && (rc == HH_OK || err->msg[0] != '\0'));
    if (n <= HH_MERKLE_MAX_PROOF)
        FUZZ_CHECK((rc == HH_OK) == ref);
    else
        FUZZ_CHECK(rc == HH_ERR_VERIFY);
}

static void build_tree(void)
{
    struct hh_hash leaf;
    uint8_t data[8];

    tree = hh_memtree_new();
    FUZZ_CHECK(tree != NULL);
    for (uint64_t i = 0; i < TREE_LEAVES; i++) {
        for (int j = 0; j < 8; j++)
            data[j] = (uint8_t)(i >> (8 * (7 - j)));
        hh_merkle_leaf_hash(data, sizeof(data), &leaf);
        FUZZ_CHECK(hh_memtree_append(tree, &leaf) == HH_OK);
    }
}

/* Flips bit `bit` of the k hashes at h (bit taken modulo their size). */
static void flip(struct hh_hash *h, size_t k, unsigned bit)
{
    bit %= (unsigned)(k * HH_HASH_LEN * 8);
    h[bit / 256].b[(bit / 8) % HH_HASH_LEN] ^= (uint8_t)(1u << (bit % 8));
}

static void check_tree_inclusion(const struct hh_hash_reader *r, uint64_t index, uint64_t size,
                                 unsigned bit)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], root, leaf;
    struct hh_subtree_id id = {0, index};
    size_t n = 0;

    FUZZ_CHECK(hh_merkle_root(r, size, &root, NULL) == HH_OK);
    FUZZ_CHECK(r->read(r->ctx, &id, 1, &leaf, NULL) == HH_OK);
    FUZZ_CHECK(hh_merkle_inclusion_proof(r, index, size, proof, &n, NULL) == HH_OK);
    FUZZ_CHECK(hh_merkle_verify_inclusion(index, size, &leaf, proof, n, &root, NULL) == HH_OK);
    FUZZ_CHECK(ref_inclusion(index, size, &leaf, proof, n, &root));
    if (n > 0) {
        flip(proof, n, bit);
        FUZZ_CHECK(hh_merkle_verify_inclusion(index, size, &leaf, proof, n, &root, NULL) ==
                   HH_ERR_VERIFY);
        flip(proof, n, bit);
    }
    flip(&leaf, 1, bit);
    FUZZ_CHECK(hh_merkle_verify_inclusion(index, size, &leaf, proof, n, &root, NULL) ==
               HH_ERR_VERIFY);
}

static void check_tree_consistency(const struct hh_hash_reader *r, uint64_t old, uint64_t size,
                                   unsigned bit)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], r1, r2;
    size_t n = 0;

    FUZZ_CHECK(hh_merkle_root(r, old, &r1, NULL) == HH_OK);
    FUZZ_CHECK(hh_merkle_root(r, size, &r2, NULL) == HH_OK);
    FUZZ_CHECK(hh_merkle_consistency_proof(r, old, size, proof, &n, NULL) == HH_OK);
    FUZZ_CHECK(hh_merkle_verify_consistency(old, size, &r1, &r2, proof, n, NULL) == HH_OK);
    FUZZ_CHECK(ref_consistency(old, size, &r1, &r2, proof, n));
    if (n > 0) {
        flip(proof, n, bit);
        FUZZ_CHECK(hh_merkle_verify_consistency(old, size, &r1, &r2, proof, n, NULL) ==
                   HH_ERR_VERIFY);
        flip(proof, n, bit);
    }
    flip(&r2, 1, bit);
    FUZZ_CHECK(hh_merkle_verify_consistency(old, size, &r1, &r2, proof, n, NULL) == HH_ERR_VERIFY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hh_hash proof[MAX_INPUT_PROOF];
    uint8_t head[HEAD] = {0};
    struct hh_hash h1, h2;
    struct hh_error err = {0};
    struct hh_hash_reader r;
    uint64_t a, b, tsize;
    size_t n = 0;
    unsigned bit;
    hh_status rc;

    fuzz_init();
    if (tree == NULL)
        build_tree();
    memcpy(head, data, size < HEAD ? size : HEAD);
    a = fuzz_get_be64(head);
    b = fuzz_get_be64(head + 8);
    memcpy(h1.b, head + 16, HH_HASH_LEN);
    memcpy(h2.b, head + 16 + HH_HASH_LEN, HH_HASH_LEN);
    if (size > HEAD)
        n = (size - HEAD) / HH_HASH_LEN;
    if (n > MAX_INPUT_PROOF)
        n = MAX_INPUT_PROOF;
    if (n > 0)
        memcpy(proof, data + HEAD, n * HH_HASH_LEN);

    rc = hh_merkle_verify_inclusion(a, b, &h1, proof, n, &h2, &err);
    agree(rc, ref_inclusion(a, b, &h1, proof, n, &h2), n, &err);
    memset(&err, 0, sizeof(err));
    rc = hh_merkle_verify_consistency(a, b, &h1, &h2, proof, n, &err);
    agree(rc, ref_consistency(a, b, &h1, &h2, proof, n), n, &err);

    r = hh_memtree_reader(tree);
    tsize = b % TREE_LEAVES + 1;
    bit = (unsigned)h1.b[0] << 8 | h1.b[1];
    check_tree_inclusion(&r, a % tsize, tsize, bit);
    check_tree_consistency(&r, a % tsize + 1, tsize, bit);
    return 0;
}
