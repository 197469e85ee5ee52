/*
 * tree_batch.h - the tree nodes a batch of appended leaves creates, held in
 * memory in front of a store until they are written with the entries.
 *
 * Appending leaves old_size..new_size-1 creates, at each level l, the nodes
 * old_size>>l .. (new_size>>l)-1. The batch's hash reader answers those
 * from memory and everything else from the store, so roots and proofs of
 * the new tree can be computed (and checked) before anything is written.
 */
#ifndef HH_NODE_TREE_BATCH_H
#define HH_NODE_TREE_BATCH_H

#include <henhouse/henhouse.h>

#include "storage/store.h"

struct hh_tree_batch;

hh_status hh_tree_batch_new(struct hh_store *s, uint64_t old_size, uint64_t new_size,
                            struct hh_tree_batch **out, struct hh_error *err) HH_MUST_CHECK;
void hh_tree_batch_free(struct hh_tree_batch *b);

/* Appends the next leaf hash (at most new_size - old_size of them). */
hh_status hh_tree_batch_add(struct hh_tree_batch *b, const struct hh_hash *leaf,
                            struct hh_error *err) HH_MUST_CHECK;

/* A reader over the batch's nodes and the store's. Valid while b lives. */
struct hh_hash_reader hh_tree_batch_reader(struct hh_tree_batch *b);

/* The nodes created so far, in creation order (borrowed from b). */
void hh_tree_batch_nodes(const struct hh_tree_batch *b, const struct hh_subtree_id **ids,
                         const struct hh_hash **hashes, size_t *n);

#endif
