/*
 * memtree.c - an in-memory Merkle tree holding every complete-subtree node.
 *
 * Level L is a growable array: levels[L].h[i] is node (L, i), and it holds
 * exactly size >> L nodes. Appending a leaf adds the nodes hh_merkle_append
 * names; room for all of them is made first, so an append that runs out of
 * memory leaves the tree unchanged.
 */
#include <henhouse/merkle.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MEMTREE_LEVELS  64
#define MEMTREE_MIN_CAP 16

struct level {
    struct hh_hash *h;
    size_t len, cap;
};

struct hh_memtree {
    struct level levels[MEMTREE_LEVELS];
    uint64_t size;
};

struct hh_memtree *hh_memtree_new(void)
{
    return calloc(1, sizeof(struct hh_memtree));
}

void hh_memtree_free(struct hh_memtree *t)
{
    if (t == NULL)
        return;
    for (size_t l = 0; l < MEMTREE_LEVELS; l++)
        free(t->levels[l].h);
    free(t);
}

uint64_t hh_memtree_size(const struct hh_memtree *t)
{
    return t->size;
}

static hh_status memtree_read(void *ctx, const struct hh_subtree_id *ids, size_t n,
                              struct hh_hash *out, struct hh_error *err)
{
    const struct hh_memtree *t = ctx;

    memset(out, 0, n * sizeof(out[0]));
    for (size_t i = 0; i < n; i++) {
        const struct level *lv = ids[i].level < MEMTREE_LEVELS ? &t->levels[ids[i].level] : NULL;
        if (lv == NULL || ids[i].index >= lv->len) {
            memset(out, 0, n * sizeof(out[0]));
            return hh_error_set(err, HH_ERR_NOT_FOUND,
                                "node (%u, %" PRIu64 ") is not complete in a tree of %" PRIu64
                                " leaves",
                                (unsigned)ids[i].level, ids[i].index, t->size);
        }
        out[i] = lv->h[ids[i].index];
    }
    return HH_OK;
}

struct hh_hash_reader hh_memtree_reader(struct hh_memtree *t)
{
    struct hh_hash_reader r = {memtree_read, t};
    return r;
}

/* Makes room for one more node in lv. */
static hh_status reserve_one(struct level *lv)
{
    size_t cap;
    struct hh_hash *h;

    if (lv->len < lv->cap)
        return HH_OK;
    if (lv->cap > SIZE_MAX / 2 / sizeof(struct hh_hash))
        return HH_ERR_NOMEM;
    cap = lv->cap == 0 ? MEMTREE_MIN_CAP : 2 * lv->cap;
    h = realloc(lv->h, cap * sizeof(struct hh_hash));
    if (h == NULL)
        return HH_ERR_NOMEM;
    lv->h = h;
    lv->cap = cap;
    return HH_OK;
}

hh_status hh_memtree_append(struct hh_memtree *t, const struct hh_hash *leaf)
{
    struct hh_hash_reader r = hh_memtree_reader(t);
    struct hh_subtree_id ids[HH_MERKLE_MAX_PROOF];
    struct hh_hash hashes[HH_MERKLE_MAX_PROOF];
    size_t n;
    hh_status rc;

    rc = hh_merkle_append(&r, t->size, leaf, ids, hashes, &n, NULL);
    if (rc != HH_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rc = reserve_one(&t->levels[ids[i].level]);
        if (rc != HH_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct level *lv = &t->levels[ids[i].level];
        lv->h[lv->len++] = hashes[i]; /* ids[i].index == lv->len: nodes arrive in order */
    }
    t->size++;
    return HH_OK;
}
