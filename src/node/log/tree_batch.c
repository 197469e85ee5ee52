/*
 * tree_batch.c - per-level arrays of new nodes over a store (tree_batch.h).
 */
#include "log/tree_batch.h"

#include <stdlib.h>
#include <string.h>

struct hh_tree_batch {
    struct hh_store *store;
    uint64_t next; /* index of the next leaf */
    uint64_t end;  /* new_size */
    uint64_t lo[HH_MERKLE_MAX_PROOF], hi[HH_MERKLE_MAX_PROOF];
    struct hh_hash *level[HH_MERKLE_MAX_PROOF];
    struct hh_subtree_id *ids; /* creation order, for writing */
    struct hh_hash *hashes;
    size_t n, cap;
};

static hh_status batch_read(void *ctx, const struct hh_subtree_id *ids, size_t n,
                            struct hh_hash *out, struct hh_error *err)
{
    struct hh_tree_batch *b = ctx;

    for (size_t i = 0; i < n; i++) {
        uint8_t l = ids[i].level;
        uint64_t j = ids[i].index;
        if (l < HH_MERKLE_MAX_PROOF && j >= b->lo[l] && j < b->hi[l] && ((j + 1) << l) <= b->next) {
            out[i] = b->level[l][j - b->lo[l]];
            continue;
        }
        hh_status rc = hh_store_read_hashes(b->store, &ids[i], 1, &out[i], err);
        if (rc != HH_OK)
            return rc;
    }
    return HH_OK;
}

void hh_tree_batch_free(struct hh_tree_batch *b)
{
    if (b == NULL)
        return;
    for (size_t l = 0; l < HH_MERKLE_MAX_PROOF; l++)
        free(b->level[l]);
    free(b->ids);
    free(b->hashes);
    free(b);
}

hh_status hh_tree_batch_new(struct hh_store *s, uint64_t old_size, uint64_t new_size,
                            struct hh_tree_batch **out, struct hh_error *err)
{
    struct hh_tree_batch *b = calloc(1, sizeof(*b));

    *out = NULL;
    if (b == NULL || old_size > new_size || new_size - old_size > HH_STORE_MAX_BATCH) {
        free(b);
        return hh_error_set(err, b == NULL ? HH_ERR_NOMEM : HH_ERR_INVALID,
                            "cannot make a tree batch of sizes %llu..%llu",
                            (unsigned long long)old_size, (unsigned long long)new_size);
    }
    b->store = s;
    b->next = old_size;
    b->end = new_size;
    for (size_t l = 0; l < HH_MERKLE_MAX_PROOF; l++) {
        b->lo[l] = old_size >> l;
        b->hi[l] = new_size >> l;
        b->cap += (size_t)(b->hi[l] - b->lo[l]);
        if (b->hi[l] > b->lo[l] &&
            (b->level[l] = malloc((size_t)(b->hi[l] - b->lo[l]) * sizeof(struct hh_hash))) == NULL)
            goto nomem;
    }
    b->ids = malloc((b->cap ? b->cap : 1) * sizeof(*b->ids));
    b->hashes = malloc((b->cap ? b->cap : 1) * sizeof(*b->hashes));
    if (b->ids == NULL || b->hashes == NULL)
        goto nomem;
    *out = b;
    return HH_OK;
nomem:
    hh_tree_batch_free(b);
    return hh_error_set(err, HH_ERR_NOMEM, "out of memory for a tree batch");
}

hh_status hh_tree_batch_add(struct hh_tree_batch *b, const struct hh_hash *leaf,
                            struct hh_error *err)
{
    struct hh_hash_reader r = {batch_read, b};
    struct hh_subtree_id nid[HH_MERKLE_MAX_PROOF];
    struct hh_hash nh[HH_MERKLE_MAX_PROOF];
    size_t nn = 0;
    hh_status rc;

    if (b->next == b->end)
        return hh_error_set(err, HH_ERR_INVALID, "tree batch is full");
    rc = hh_merkle_append(&r, b->next, leaf, nid, nh, &nn, err);
    if (rc != HH_OK)
        return rc;
    if (b->n + nn > b->cap)
        return hh_error_set(err, HH_ERR_INTERNAL, "more tree nodes than expected");
    for (size_t j = 0; j < nn; j++) {
        uint8_t l = nid[j].level;
        b->level[l][nid[j].index - b->lo[l]] = nh[j];
        b->ids[b->n] = nid[j];
        b->hashes[b->n++] = nh[j];
    }
    b->next++;
    return HH_OK;
}

struct hh_hash_reader hh_tree_batch_reader(struct hh_tree_batch *b)
{
    struct hh_hash_reader r = {batch_read, b};
    return r;
}

void hh_tree_batch_nodes(const struct hh_tree_batch *b, const struct hh_subtree_id **ids,
                         const struct hh_hash **hashes, size_t *n)
{
    *ids = b->ids;
    *hashes = b->hashes;
    *n = b->n;
}
