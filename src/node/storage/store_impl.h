/*
 * store_impl.h - what a store backend implements: one function per store.h
 * operation, gathered in a struct hh_store_ops, and an opener that
 * storage/store.c calls when hh_store_open's URI names the backend (see
 * storage/uri.h; the SQLite openers are in storage/sqlite/sqlite_backends.h).
 *
 * Every backend's struct begins with a struct hh_store whose ops points at
 * its table, so store.c can dispatch without knowing the backend. store.c
 * checks arguments and limits, zeroes outputs and computes blob ids before it
 * calls a backend; a backend may therefore assume: pointers are non-NULL
 * where n > 0, entry lengths are <= HH_ENTRY_MAX, n <= HH_STORE_MAX_BATCH,
 * indexes and ends fit in int64, an append carries as many subtree hashes
 * as its entries complete and each is one of those (one given twice is the
 * backend's to refuse, with HH_ERR_INVALID), outputs are already zeroed, and
 * a blob id is the SHA-256 of its data. After a backend fails,
 * store.c clears the outputs again (hashes zeroed, checkpoint notes freed),
 * so a backend need not undo partial output. A backend keeps everything
 * else: transactions, durability, the checkpoint rules, thread safety, and
 * the callback rule of store.h (callbacks run while it holds a connection).
 */
#ifndef HH_NODE_STORE_IMPL_H
#define HH_NODE_STORE_IMPL_H

#include "storage/store.h"

struct hh_store_ops {
    const char *name; /* "sqlite", ... for messages */
    void (*close)(struct hh_store *s);
    hh_status (*size)(struct hh_store *s, uint64_t *size, struct hh_error *err);
    hh_status (*append)(struct hh_store *s, uint64_t first_index,
                        const struct hh_store_entry *entries, size_t n,
                        const struct hh_subtree_id *ids, const struct hh_hash *hashes,
                        size_t nhashes, struct hh_error *err);
    hh_status (*read_hashes)(struct hh_store *s, const struct hh_subtree_id *ids, size_t n,
                             struct hh_hash *out, struct hh_error *err);
    hh_status (*read_hash_range)(struct hh_store *s, uint8_t level, uint64_t start, size_t n,
                                 struct hh_hash *out, struct hh_error *err);
    hh_status (*read_entries)(struct hh_store *s, uint64_t start, size_t n, hh_store_entry_fn fn,
                              void *ctx, struct hh_error *err);
    hh_status (*find_id)(struct hh_store *s, const struct hh_hash *id, uint64_t *index,
                         struct hh_error *err);
    /* found and indexes have n elements, zeroed. */
    hh_status (*find_ids)(struct hh_store *s, const struct hh_hash *ids, size_t n,
                          uint64_t *indexes, bool *found, struct hh_error *err);
    hh_status (*put_checkpoint)(struct hh_store *s, uint64_t size, const struct hh_hash *root,
                                const char *note, size_t note_len, struct hh_error *err);
    hh_status (*latest_checkpoint)(struct hh_store *s, struct hh_store_checkpoint *out,
                                   struct hh_error *err);
    hh_status (*checkpoint_at)(struct hh_store *s, uint64_t size, struct hh_store_checkpoint *out,
                               struct hh_error *err);
    hh_status (*each_checkpoint)(struct hh_store *s, hh_store_checkpoint_fn fn, void *ctx,
                                 struct hh_error *err);
    /* id is SHA-256 of data[0..len), len <= HH_BLOB_MAX. */
    hh_status (*put_blob)(struct hh_store *s, const struct hh_hash *id, const uint8_t *data,
                          size_t len, struct hh_error *err);
    /* *data is malloc'd (never NULL on success, even for an empty blob). */
    hh_status (*get_blob)(struct hh_store *s, const struct hh_hash *id, uint8_t **data, size_t *len,
                          struct hh_error *err);
};

struct hh_store {
    const struct hh_store_ops *ops;
};

#endif
