/*
 * tile_store.c - building tile bytes from the store's nodes and entries.
 */
#include "log/tile_store.h"

#include <stdlib.h>
#include <string.h>

struct bundle_ctx {
    uint8_t *buf;
    size_t used, cap;
    hh_status rc;
};

static int bundle_add(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct bundle_ctx *b = ctx;
    (void)index;
    b->rc = hh_bundle_append(b->buf, b->cap, &b->used, data, len);
    return b->rc != HH_OK;
}

static hh_status read_bundle(struct hh_store *s, const struct hh_tile *t, uint8_t **out,
                             size_t *len, struct hh_error *err)
{
    struct bundle_ctx b = {0};
    hh_status rc;

    b.cap = (size_t)t->width * (2 + HH_ENTRY_MAX);
    b.buf = malloc(b.cap);
    if (b.buf == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    rc = hh_store_read_entries(s, t->index * HH_TILE_WIDTH, t->width, bundle_add, &b, err);
    if (rc == HH_OK && b.rc != HH_OK)
        rc = hh_error_set(err, b.rc, "entry bundle %llu overflows", (unsigned long long)t->index);
    if (rc != HH_OK) {
        free(b.buf);
        return rc;
    }
    *out = b.buf;
    *len = b.used;
    return HH_OK;
}

hh_status hh_tile_from_store(struct hh_store *s, const struct hh_tile *t, uint8_t **out,
                             size_t *len, struct hh_error *err)
{
    size_t n = (size_t)t->width * HH_HASH_LEN;
    uint8_t *buf;
    hh_status rc;

    *out = NULL;
    *len = 0;
    if (t->entries)
        return read_bundle(s, t, out, len, err);
    buf = malloc(n);
    if (buf == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    _Static_assert(sizeof(struct hh_hash) == HH_HASH_LEN, "hashes are packed");
    rc = hh_store_read_hash_range(s, (uint8_t)(t->level * HH_TILE_HEIGHT), t->index * HH_TILE_WIDTH,
                                  t->width, (struct hh_hash *)(void *)buf, err);
    if (rc != HH_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return HH_OK;
}

/* ---- a tile source over a store (tile_source.h) ---- */
/* The store is safe to use from several threads, so a connection is the store itself. */

static hh_status store_open(void *ctx, void **conn, struct hh_error *err)
{
    (void)err;
    *conn = ctx;
    return HH_OK;
}

static void store_close(void *conn)
{
    (void)conn;
}

static hh_status store_checkpoint(void *conn, size_t max, uint8_t **out, size_t *len,
                                  struct hh_error *err)
{
    struct hh_store_checkpoint c;
    hh_status rc;

    *out = NULL;
    *len = 0;
    memset(&c, 0, sizeof(c));
    rc = hh_store_latest_checkpoint(conn, &c, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "checkpoint");
    if (c.note_len > max) {
        rc = hh_error_set(err, HH_ERR_TOO_LARGE, "checkpoint: note of %zu bytes exceeds %zu",
                          c.note_len, max);
        hh_store_checkpoint_clear(&c);
        return rc;
    }
    *out = (uint8_t *)c.note;
    *len = c.note_len;
    c.note = NULL;
    hh_store_checkpoint_clear(&c);
    return HH_OK;
}

static hh_status store_tile(void *conn, const struct hh_tile *t, size_t max, uint8_t **out,
                            size_t *len, struct hh_error *err)
{
    char path[HH_TILE_PATH_MAX];
    hh_status rc;

    if (hh_tile_path(t, path, sizeof(path)) != HH_OK)
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot name a tile");
    rc = hh_tile_from_store(conn, t, out, len, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "%s", path);
    if (*len > max) {
        free(*out);
        *out = NULL;
        rc = hh_error_set(err, HH_ERR_TOO_LARGE, "%s: %zu bytes exceed %zu", path, *len, max);
        *len = 0;
    }
    return rc;
}

void hh_tile_source_store(struct hh_store *s, struct hh_tile_source *out)
{
    memset(out, 0, sizeof(*out));
    out->open = store_open;
    out->close = store_close;
    out->checkpoint = store_checkpoint;
    out->tile = store_tile;
    out->ctx = s;
}
