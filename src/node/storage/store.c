/*
 * store.c - the public store functions: opening by URI, argument and limit
 * checks shared by every backend, then dispatch through the backend's
 * struct hh_store_ops.
 *
 * Outputs are zeroed before any check and again when a backend fails, so a
 * failed call leaves them empty. What is checked here is promised to
 * backends in store_impl.h; what needs the stored state (sizes, duplicates,
 * checkpoint order) is the backend's.
 */
#include "storage/store_impl.h"

#include "storage/sqlite/sqlite_backends.h"
#include "storage/uri.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Indexes are stored as SQL INTEGER (int64); nothing beyond can exist. */
#define STORE_INDEX_MAX ((uint64_t)INT64_MAX)
#define STORE_LEVELS    64

static hh_status check_store(const struct hh_store *s, struct hh_error *err)
{
    if (s == NULL || s->ops == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "store is NULL or closed");
    return HH_OK;
}

hh_status hh_store_open(const char *uri, struct hh_store **out, struct hh_error *err)
{
    enum hh_storage_backend backend;
    const char *location;
    hh_status rc;

    *out = NULL;
    rc = hh_storage_uri_parse(uri, &backend, &location, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "opening a store");
    switch (backend) {
    case HH_STORAGE_SQLITE:
        return hh_store_open_sqlite(location, out, err);
    }
    return hh_error_set(err, HH_ERR_INTERNAL, "opening a store: backend %d is not built",
                        (int)backend);
}

void hh_store_close(struct hh_store *s)
{
    if (s == NULL || s->ops == NULL)
        return;
    s->ops->close(s);
}

hh_status hh_store_size(struct hh_store *s, uint64_t *size, struct hh_error *err)
{
    hh_status rc;

    *size = 0;
    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    return s->ops->size(s, size, err);
}

static hh_status check_entries(uint64_t first_index, const struct hh_store_entry *entries, size_t n,
                               struct hh_error *err)
{
    if (n > HH_STORE_MAX_BATCH)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "batch of %zu entries exceeds %d", n,
                            HH_STORE_MAX_BATCH);
    if (n > 0 && entries == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "batch of %zu entries has no entry array", n);
    if (first_index > STORE_INDEX_MAX - n)
        return hh_error_set(err, HH_ERR_TOO_LARGE,
                            "entries %" PRIu64 "+%zu would pass the largest index 2^63-1",
                            first_index, n);
    for (size_t i = 0; i < n; i++) {
        if (entries[i].len > HH_ENTRY_MAX)
            return hh_error_set(err, HH_ERR_TOO_LARGE,
                                "entry %" PRIu64 " is %zu bytes, more than HH_ENTRY_MAX %d",
                                first_index + i, entries[i].len, HH_ENTRY_MAX);
        if (entries[i].data == NULL && entries[i].len > 0)
            return hh_error_set(err, HH_ERR_INVALID, "entry %" PRIu64 " has no data",
                                first_index + i);
    }
    return HH_OK;
}

/*
 * The subtrees of an append must be exactly those that leaves [first, end)
 * complete: subtree (L, i) is completed by leaf (i+1)*2^L - 1, so
 * first>>L <= i < end>>L. With the count right and repeats refused by the
 * backend, the set is exact.
 */
static hh_status check_subtrees(uint64_t first, uint64_t end, const struct hh_subtree_id *ids,
                                const struct hh_hash *hashes, size_t nhashes, struct hh_error *err)
{
    uint64_t want = 0;

    for (unsigned l = 0; l < STORE_LEVELS; l++)
        want += (end >> l) - (first >> l);
    if (nhashes != want)
        return hh_error_set(err, HH_ERR_INVALID,
                            "%zu subtree hashes given, but entries [%" PRIu64 ", %" PRIu64
                            ") complete exactly %" PRIu64 " subtrees",
                            nhashes, first, end, want);
    if (nhashes > 0 && (ids == NULL || hashes == NULL))
        return hh_error_set(err, HH_ERR_INVALID, "%zu subtree hashes given without ids or hashes",
                            nhashes);
    for (size_t i = 0; i < nhashes; i++) {
        unsigned l = ids[i].level;
        if (l >= STORE_LEVELS || ids[i].index < (first >> l) || ids[i].index >= (end >> l))
            return hh_error_set(err, HH_ERR_INVALID,
                                "subtree (%u, %" PRIu64 ") is not completed by entries [%" PRIu64
                                ", %" PRIu64 ")",
                                l, ids[i].index, first, end);
    }
    return HH_OK;
}

hh_status hh_store_append(struct hh_store *s, uint64_t first_index,
                          const struct hh_store_entry *entries, size_t n,
                          const struct hh_subtree_id *ids, const struct hh_hash *hashes,
                          size_t nhashes, struct hh_error *err)
{
    hh_status rc;

    rc = check_store(s, err);
    if (rc == HH_OK)
        rc = check_entries(first_index, entries, n, err);
    if (rc == HH_OK)
        rc = check_subtrees(first_index, first_index + n, ids, hashes, nhashes, err);
    if (rc != HH_OK)
        return rc;
    return s->ops->append(s, first_index, entries, n, ids, hashes, nhashes, err);
}

hh_status hh_store_read_hashes(struct hh_store *s, const struct hh_subtree_id *ids, size_t n,
                               struct hh_hash *out, struct hh_error *err)
{
    hh_status rc;

    if (out != NULL)
        memset(out, 0, n * sizeof(out[0]));
    rc = check_store(s, err);
    if (rc != HH_OK || n == 0)
        return rc;
    if (ids == NULL || out == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "reading %zu subtree hashes without ids or output",
                            n);
    for (size_t i = 0; i < n; i++)
        if (ids[i].level >= STORE_LEVELS || ids[i].index > STORE_INDEX_MAX)
            return hh_error_set(err, HH_ERR_NOT_FOUND, "subtree (%u, %" PRIu64 ") not found",
                                (unsigned)ids[i].level, ids[i].index);
    rc = s->ops->read_hashes(s, ids, n, out, err);
    if (rc != HH_OK)
        memset(out, 0, n * sizeof(out[0]));
    return rc;
}

hh_status hh_store_read_hash_range(struct hh_store *s, uint8_t level, uint64_t start, size_t n,
                                   struct hh_hash *out, struct hh_error *err)
{
    hh_status rc;

    if (out != NULL)
        memset(out, 0, n * sizeof(out[0]));
    rc = check_store(s, err);
    if (rc != HH_OK || n == 0)
        return rc;
    if (out == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "reading %zu subtree hashes without output", n);
    if (level >= STORE_LEVELS || start > STORE_INDEX_MAX - n)
        return hh_error_set(err, HH_ERR_NOT_FOUND,
                            "subtrees (%u, %" PRIu64 "..+%zu) not found: beyond any tree",
                            (unsigned)level, start, n);
    rc = s->ops->read_hash_range(s, level, start, n, out, err);
    if (rc != HH_OK)
        memset(out, 0, n * sizeof(out[0]));
    return rc;
}

static hh_status store_hash_read(void *ctx, const struct hh_subtree_id *ids, size_t n,
                                 struct hh_hash *out, struct hh_error *err)
{
    return hh_store_read_hashes(ctx, ids, n, out, err);
}

struct hh_hash_reader hh_store_hash_reader(struct hh_store *s)
{
    struct hh_hash_reader r = {store_hash_read, s};
    return r;
}

hh_status hh_store_read_entries(struct hh_store *s, uint64_t start, size_t n, hh_store_entry_fn fn,
                                void *ctx, struct hh_error *err)
{
    hh_status rc;

    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (fn == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "reading entries without a callback");
    if (n == 0)
        return HH_OK;
    if (start > STORE_INDEX_MAX - n)
        return hh_error_set(err, HH_ERR_NOT_FOUND,
                            "entries %" PRIu64 "..+%zu not found: beyond any log", start, n);
    return s->ops->read_entries(s, start, n, fn, ctx, err);
}

hh_status hh_store_find_id(struct hh_store *s, const struct hh_hash *id, uint64_t *index,
                           struct hh_error *err)
{
    hh_status rc;

    *index = 0;
    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (id == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "finding a statement without an id");
    rc = s->ops->find_id(s, id, index, err);
    if (rc != HH_OK)
        *index = 0;
    return rc;
}

hh_status hh_store_find_ids(struct hh_store *s, const struct hh_hash *ids, size_t n,
                            uint64_t *indexes, bool *found, struct hh_error *err)
{
    hh_status rc;

    if (indexes != NULL)
        memset(indexes, 0, n * sizeof(*indexes));
    if (found != NULL)
        memset(found, 0, n * sizeof(*found));
    rc = check_store(s, err);
    if (rc != HH_OK || n == 0)
        return rc;
    if (ids == NULL || indexes == NULL || found == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "finding %zu ids without ids or outputs", n);
    if (n > HH_STORE_MAX_BATCH)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "finding %zu ids: more than %d", n,
                            HH_STORE_MAX_BATCH);
    return s->ops->find_ids(s, ids, n, indexes, found, err);
}

hh_status hh_store_put_checkpoint(struct hh_store *s, uint64_t size, const struct hh_hash *root,
                                  const char *note, size_t note_len, struct hh_error *err)
{
    hh_status rc;

    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (root == NULL || note == NULL || note_len == 0)
        return hh_error_set(err, HH_ERR_INVALID, "checkpoint %" PRIu64 " has no root or note",
                            size);
    if (note_len > HH_NOTE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE,
                            "checkpoint %" PRIu64 " note is %zu bytes, more than %d", size,
                            note_len, HH_NOTE_MAX_BYTES);
    if (size > STORE_INDEX_MAX)
        return hh_error_set(err, HH_ERR_CONFLICT,
                            "checkpoint size %" PRIu64 " is larger than any log", size);
    return s->ops->put_checkpoint(s, size, root, note, note_len, err);
}

hh_status hh_store_latest_checkpoint(struct hh_store *s, struct hh_store_checkpoint *out,
                                     struct hh_error *err)
{
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    rc = s->ops->latest_checkpoint(s, out, err);
    if (rc != HH_OK)
        hh_store_checkpoint_clear(out);
    return rc;
}

hh_status hh_store_checkpoint_at(struct hh_store *s, uint64_t size, struct hh_store_checkpoint *out,
                                 struct hh_error *err)
{
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (size > STORE_INDEX_MAX)
        return hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint of size %" PRIu64, size);
    rc = s->ops->checkpoint_at(s, size, out, err);
    if (rc != HH_OK)
        hh_store_checkpoint_clear(out);
    return rc;
}

hh_status hh_store_each_checkpoint(struct hh_store *s, hh_store_checkpoint_fn fn, void *ctx,
                                   struct hh_error *err)
{
    hh_status rc;

    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (fn == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "listing checkpoints without a callback");
    return s->ops->each_checkpoint(s, fn, ctx, err);
}

void hh_store_checkpoint_clear(struct hh_store_checkpoint *c)
{
    if (c == NULL)
        return;
    free(c->note);
    memset(c, 0, sizeof(*c));
}

hh_status hh_store_put_blob(struct hh_store *s, const uint8_t *data, size_t len, struct hh_hash *id,
                            struct hh_error *err)
{
    struct hh_hash h;
    hh_status rc;

    memset(id, 0, sizeof(*id));
    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (len > HH_BLOB_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "blob of %zu bytes exceeds HH_BLOB_MAX %d", len,
                            HH_BLOB_MAX);
    if (data == NULL && len > 0)
        return hh_error_set(err, HH_ERR_INVALID, "blob of %zu bytes has no data", len);
    hh_sha256(len > 0 ? data : (const uint8_t *)"", len, &h);
    rc = s->ops->put_blob(s, &h, len > 0 ? data : (const uint8_t *)"", len, err);
    if (rc == HH_OK)
        *id = h;
    return rc;
}

hh_status hh_store_get_blob(struct hh_store *s, const struct hh_hash *id, uint8_t **data,
                            size_t *len, struct hh_error *err)
{
    char want[2 * HH_HASH_LEN + 1], got[2 * HH_HASH_LEN + 1];
    struct hh_hash h;
    hh_status rc;

    *data = NULL;
    *len = 0;
    rc = check_store(s, err);
    if (rc != HH_OK)
        return rc;
    if (id == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "getting a blob without an id");
    rc = s->ops->get_blob(s, id, data, len, err);
    if (rc == HH_OK) {
        hh_sha256(*data, *len, &h);
        if (hh_hash_equal(&h, id))
            return HH_OK;
        hh_hash_to_hex(id, want);
        hh_hash_to_hex(&h, got);
        rc = hh_error_set(err, HH_ERR_IO, "blob %s is corrupt: its data hashes to %s", want, got);
    }
    free(*data);
    *data = NULL;
    *len = 0;
    return rc;
}
