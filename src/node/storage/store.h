/*
 * store.h - the durable storage of one log: its entries, the hashes of its
 * tree's complete subtrees, every checkpoint it ever signed, and blobs.
 *
 * One narrow interface with backends behind it (SQLite in WAL mode today;
 * PostgreSQL can be added by filling in another struct hh_store_ops, see
 * store_impl.h, without touching callers). The sequencer, server and
 * verifier use only these functions; they open a store by URI with
 * hh_store_open and never name a backend.
 *
 * Invariants every backend keeps:
 *  - entries are numbered 0..size-1 without gaps; an append adds entries
 *    size..size+n-1 and the hashes of the subtrees they complete in one
 *    transaction that is durable (fsynced) when append returns HH_OK, or
 *    adds nothing;
 *  - a statement id appears at most once;
 *  - checkpoints are only ever added, with strictly increasing sizes no
 *    larger than the number of entries; the latest is the largest;
 *  - subtree hashes are those of complete subtrees (see merkle.h) and never
 *    change.
 * All functions are safe to call from several threads at once; appends are
 * serialised by the backend.
 *
 * Callbacks: the callbacks of hh_store_read_entries and
 * hh_store_each_checkpoint run while the backend holds one of its
 * connections (and, for SQLite, a read snapshot). They must not call back
 * into the store: with every connection held by such a callback, a nested
 * call would wait for a connection forever. Copy what is needed and use the
 * store after the call returns.
 */
#ifndef HH_NODE_STORE_H
#define HH_NODE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#define HH_STORE_MAX_BATCH 65536

struct hh_store;

/* One entry to append: its statement id (for dedup) and its bytes (<= HH_ENTRY_MAX). */
struct hh_store_entry {
    struct hh_hash id;
    const uint8_t *data;
    size_t len;
};

/* Called once per entry read, in index order; return non-zero to stop. */
typedef int (*hh_store_entry_fn)(void *ctx, uint64_t index, const uint8_t *data, size_t len);

struct hh_store_checkpoint {
    uint64_t size;
    struct hh_hash root;
    char *note; /* the signed note; malloc'd, freed with hh_store_checkpoint_clear */
    size_t note_len;
    int64_t time; /* when it was stored, Unix seconds */
};

/*
 * Opens (creating if needed) the store uri names, bringing its schema to the
 * current version. uri is a storage URI (storage/uri.h): "sqlite:PATH" or a
 * plain file path for SQLite; "postgresql://..." and "postgres://..." fail
 * with HH_ERR_INVALID "this build has no PostgreSQL backend", and so does any
 * other scheme, naming it. *out is closed with hh_store_close (NULL is fine).
 */
hh_status hh_store_open(const char *uri, struct hh_store **out, struct hh_error *err) HH_MUST_CHECK;
void hh_store_close(struct hh_store *s);

/* The number of entries (durable). */
hh_status hh_store_size(struct hh_store *s, uint64_t *size, struct hh_error *err) HH_MUST_CHECK;

/*
 * Appends entries[0..n) as indexes first_index.. and the hashes
 * ids/hashes[0..nhashes) of exactly the subtrees those entries complete, in
 * one durable transaction. HH_ERR_CONFLICT when first_index is not the
 * current size or an id is already present (then nothing is written);
 * HH_ERR_INVALID when the subtrees are not exactly those; HH_ERR_IO on disk
 * errors such as a full disk.
 */
hh_status hh_store_append(struct hh_store *s, uint64_t first_index,
                          const struct hh_store_entry *entries, size_t n,
                          const struct hh_subtree_id *ids, const struct hh_hash *hashes,
                          size_t nhashes, struct hh_error *err) HH_MUST_CHECK;

/* Reads subtree hashes; HH_ERR_NOT_FOUND if any is missing. On failure out is zeroed. */
hh_status hh_store_read_hashes(struct hh_store *s, const struct hh_subtree_id *ids, size_t n,
                               struct hh_hash *out, struct hh_error *err) HH_MUST_CHECK;

/*
 * Reads the hashes of subtrees (level, start..start+n-1) in one query;
 * HH_ERR_NOT_FOUND if any is missing. On failure out is zeroed.
 */
hh_status hh_store_read_hash_range(struct hh_store *s, uint8_t level, uint64_t start, size_t n,
                                   struct hh_hash *out, struct hh_error *err) HH_MUST_CHECK;

/* A hash reader (merkle.h) over the store's subtree hashes. */
struct hh_hash_reader hh_store_hash_reader(struct hh_store *s);

/*
 * Calls fn for entries start..start+n-1 (all must exist: else
 * HH_ERR_NOT_FOUND and fn is not called). fn must not use the store (see
 * "Callbacks" above).
 */
hh_status hh_store_read_entries(struct hh_store *s, uint64_t start, size_t n, hh_store_entry_fn fn,
                                void *ctx, struct hh_error *err) HH_MUST_CHECK;

/* The index of the entry with statement id; HH_ERR_NOT_FOUND if none. */
hh_status hh_store_find_id(struct hh_store *s, const struct hh_hash *id, uint64_t *index,
                           struct hh_error *err) HH_MUST_CHECK;

/*
 * Looks up n statement ids at once (n <= HH_STORE_MAX_BATCH): found[i] says
 * whether ids[i] is in the log, with its index in indexes[i]. For the
 * sequencer's de-duplication, which runs between appends.
 */
hh_status hh_store_find_ids(struct hh_store *s, const struct hh_hash *ids, size_t n,
                            uint64_t *indexes, bool *found, struct hh_error *err) HH_MUST_CHECK;

/*
 * Records a signed checkpoint of size (>= every stored one; equal only with
 * the same root, which is then a no-op). HH_ERR_CONFLICT otherwise.
 */
hh_status hh_store_put_checkpoint(struct hh_store *s, uint64_t size, const struct hh_hash *root,
                                  const char *note, size_t note_len,
                                  struct hh_error *err) HH_MUST_CHECK;

/* The latest checkpoint; HH_ERR_NOT_FOUND when none was ever stored. */
hh_status hh_store_latest_checkpoint(struct hh_store *s, struct hh_store_checkpoint *out,
                                     struct hh_error *err) HH_MUST_CHECK;

/* The checkpoint stored for exactly size; HH_ERR_NOT_FOUND if none. */
hh_status hh_store_checkpoint_at(struct hh_store *s, uint64_t size, struct hh_store_checkpoint *out,
                                 struct hh_error *err) HH_MUST_CHECK;

/*
 * Calls fn(ctx, checkpoint) for every stored checkpoint in size order until
 * it returns non-zero; the checkpoint is borrowed until fn returns. fn must
 * not use the store (see "Callbacks" above).
 */
typedef int (*hh_store_checkpoint_fn)(void *ctx, const struct hh_store_checkpoint *c);
hh_status hh_store_each_checkpoint(struct hh_store *s, hh_store_checkpoint_fn fn, void *ctx,
                                   struct hh_error *err) HH_MUST_CHECK;

void hh_store_checkpoint_clear(struct hh_store_checkpoint *c);

/* Content-addressed blobs: stored under SHA-256 of data; put is idempotent. */
#define HH_BLOB_MAX (16 * 1024 * 1024)
hh_status hh_store_put_blob(struct hh_store *s, const uint8_t *data, size_t len, struct hh_hash *id,
                            struct hh_error *err) HH_MUST_CHECK;
/* *data is malloc'd, freed by the caller with free(). */
hh_status hh_store_get_blob(struct hh_store *s, const struct hh_hash *id, uint8_t **data,
                            size_t *len, struct hh_error *err) HH_MUST_CHECK;

#endif
