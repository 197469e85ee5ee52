/*
 * merkle.h - RFC 6962 / RFC 9162 Merkle trees over SHA-256.
 *
 * A tree is never held whole. Its hashes are read through a struct
 * hh_hash_reader, so the same proof code runs on memory, on the store and on
 * tlog tiles. The reader is asked only for hashes of *complete* subtrees:
 * node (level L, index i) is MTH(D[i*2^L : (i+1)*2^L]), which exists once the
 * tree holds (i+1)*2^L leaves and never changes afterwards. Hashes of
 * incomplete subtrees are computed from complete ones.
 *
 * Conventions (the transparency-dev reference semantics):
 *  - the empty tree's root is SHA-256 of nothing;
 *  - every hash is exactly 32 bytes (struct hh_hash makes this structural);
 *  - an inclusion proof needs index < size and exactly the implied length;
 *  - a consistency proof from size 0 is an error (the witness protocol's
 *    "old 0" is handled by the witness before calling the verifier), old >
 *    new is an error, and old == new succeeds only with an empty proof and
 *    equal roots.
 */
#ifndef HENHOUSE_MERKLE_H
#define HENHOUSE_MERKLE_H

#include <stdint.h>

#include "error.h"
#include "hash.h"

/*
 * Proofs of trees up to 2^64 - 1 leaves have at most 64 hashes, with one
 * exception: a consistency proof between sizes above 2^63 can need 65; such
 * proofs are refused (HH_ERR_TOO_LARGE to make, HH_ERR_VERIFY to check).
 */
#define HH_MERKLE_MAX_PROOF 64

/*
 * A complete subtree of the tree: the 2^level leaves starting at leaf
 * index * 2^level. (In henhouse "node" means a party's server; the parts of
 * a Merkle tree are called subtrees, and their hashes subtree hashes.)
 */
struct hh_subtree_id {
    uint8_t level;
    uint64_t index;
};

/*
 * Reads the hashes of n complete subtrees into out[0..n). Returns
 * HH_ERR_NOT_FOUND when a node is not (yet) available, or any other error
 * of the backing storage. The callee must not keep pointers to ids or out.
 */
typedef hh_status (*hh_hash_read_fn)(void *ctx, const struct hh_subtree_id *ids, size_t n,
                                     struct hh_hash *out, struct hh_error *err);

struct hh_hash_reader {
    hh_hash_read_fn read;
    void *ctx;
};

/* Leaf hash SHA-256(0x00 || data). */
void hh_merkle_leaf_hash(const void *data, size_t len, struct hh_hash *out);

/* Interior node hash SHA-256(0x01 || left || right). */
void hh_merkle_node_hash(const struct hh_hash *left, const struct hh_hash *right,
                         struct hh_hash *out);

/* The root of the empty tree, SHA-256(""). */
void hh_merkle_empty_root(struct hh_hash *out);

/*
 * MTH(D[lo:hi]) for lo <= hi <= (number of leaves the reader holds), folded
 * from the nodes of hh_merkle_range_nodes. Those suffice when lo == 0 and for
 * every subtree [start, end) of tlog-witness sign-subtree (start a multiple of
 * the power of two at or above end - start). A range whose own tree splits
 * differently, such as [1, 4) = node(node(d1, d2), d3), would need up to one
 * node per leaf and is refused with HH_ERR_INVALID.
 */
hh_status hh_merkle_range_hash(const struct hh_hash_reader *r, uint64_t lo, uint64_t hi,
                               struct hh_hash *out, struct hh_error *err) HH_MUST_CHECK;

/* The root of the tree of the first size leaves. */
hh_status hh_merkle_root(const struct hh_hash_reader *r, uint64_t size, struct hh_hash *out,
                         struct hh_error *err) HH_MUST_CHECK;

/*
 * The node ids a reader must supply to compute MTH(D[lo:hi]): the maximal
 * aligned complete subtrees covering it, left to right. *n gets their count
 * (at most 2 * HH_MERKLE_MAX_PROOF).
 */
void hh_merkle_range_nodes(uint64_t lo, uint64_t hi,
                           struct hh_subtree_id ids[2 * HH_MERKLE_MAX_PROOF], size_t *n);

/* The inclusion proof (audit path, leaf sibling first) of index in a tree of size leaves. */
hh_status hh_merkle_inclusion_proof(const struct hh_hash_reader *r, uint64_t index, uint64_t size,
                                    struct hh_hash proof[HH_MERKLE_MAX_PROOF], size_t *n,
                                    struct hh_error *err) HH_MUST_CHECK;

/*
 * The consistency proof from a tree of old_size to one of new_size
 * (0 < old <= new; empty when old == new). HH_ERR_TOO_LARGE if it would
 * need more than HH_MERKLE_MAX_PROOF hashes (only above 2^63 leaves).
 */
hh_status hh_merkle_consistency_proof(const struct hh_hash_reader *r, uint64_t old_size,
                                      uint64_t new_size, struct hh_hash proof[HH_MERKLE_MAX_PROOF],
                                      size_t *n, struct hh_error *err) HH_MUST_CHECK;

/* RFC 9162 section 2.1.3.2. HH_OK, or HH_ERR_VERIFY with the reason. */
hh_status hh_merkle_verify_inclusion(uint64_t index, uint64_t size, const struct hh_hash *leaf,
                                     const struct hh_hash *proof, size_t n,
                                     const struct hh_hash *root,
                                     struct hh_error *err) HH_MUST_CHECK;

/* RFC 9162 section 2.1.4.2, with the size conventions above. */
hh_status hh_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                       const struct hh_hash *old_root,
                                       const struct hh_hash *new_root, const struct hh_hash *proof,
                                       size_t n, struct hh_error *err) HH_MUST_CHECK;

/*
 * Appending leaf number index (the tree holds index leaves before it) creates
 * the complete-subtree nodes returned here: (0, index) first, then each parent
 * that the new leaf completes. *n gets their count (1 + trailing ones of index).
 * Reads the left siblings it needs through r.
 */
hh_status hh_merkle_append(const struct hh_hash_reader *r, uint64_t index,
                           const struct hh_hash *leaf,
                           struct hh_subtree_id ids[HH_MERKLE_MAX_PROOF],
                           struct hh_hash hashes[HH_MERKLE_MAX_PROOF], size_t *n,
                           struct hh_error *err) HH_MUST_CHECK;

/*
 * An in-memory tree: every complete-subtree node, level by level. For tests,
 * benchmarks and the CLI; the node's store keeps the same nodes on disk.
 */
struct hh_memtree;

/* Creates an empty tree; NULL when out of memory. Free with hh_memtree_free. */
struct hh_memtree *hh_memtree_new(void);
void hh_memtree_free(struct hh_memtree *t);
hh_status hh_memtree_append(struct hh_memtree *t, const struct hh_hash *leaf) HH_MUST_CHECK;
uint64_t hh_memtree_size(const struct hh_memtree *t);
/* A reader over t, valid while t lives and is not appended to concurrently. */
struct hh_hash_reader hh_memtree_reader(struct hh_memtree *t);

#endif
