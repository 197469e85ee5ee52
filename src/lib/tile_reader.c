/*
 * tile_reader.c - a struct hh_hash_reader backed by tlog tiles.
 *
 * For a tree of a fixed size, each complete node is read from the one tile
 * that holds it, or folded from the 2^(level mod 8) hashes below it in one
 * tile. Only tiles that exist at that size are ever requested (full ones, and
 * the partial tiles at the tree's edge), each with the width the size implies.
 * The fetch callback fills a buffer of HH_TILE_BYTES and reports the number of
 * hashes written: exactly the width asked for, or 256 when it returns the full
 * tile for a partial request (the reader then uses the first width hashes).
 * Any other count is refused. A few recent tiles are cached, round-robin.
 *
 * Tiles are not authenticated here: whatever is computed from them must be
 * checked against a signed root (hh_merkle_verify_*), as every caller does.
 */
#include <henhouse/tiles.h>

#include <stdlib.h>
#include <string.h>

#define TILE_CACHE 8

struct cached_tile {
    bool valid;
    struct hh_tile tile;
    uint8_t data[HH_TILE_BYTES];
};

struct hh_tile_reader {
    uint64_t size;
    hh_tile_fetch_fn fetch;
    void *ctx;
    size_t next; /* the cache slot to replace next */
    struct cached_tile cache[TILE_CACHE];
};

struct hh_tile_reader *hh_tile_reader_new(uint64_t size, hh_tile_fetch_fn fetch, void *ctx)
{
    struct hh_tile_reader *tr;

    if (fetch == NULL)
        return NULL;
    tr = calloc(1, sizeof(*tr));
    if (tr == NULL)
        return NULL;
    tr->size = size;
    tr->fetch = fetch;
    tr->ctx = ctx;
    return tr;
}

void hh_tile_reader_free(struct hh_tile_reader *tr)
{
    free(tr);
}

static bool same_tile(const struct hh_tile *a, const struct hh_tile *b)
{
    return a->entries == b->entries && a->level == b->level && a->index == b->index &&
           a->width == b->width;
}

/* Names t in an error message; the path is always short enough. */
static const char *tile_name(const struct hh_tile *t, char buf[HH_TILE_PATH_MAX])
{
    if (hh_tile_path(t, buf, HH_TILE_PATH_MAX) != HH_OK)
        return "(invalid tile)";
    return buf;
}

/* Fetches t into the next cache slot and checks the number of hashes returned. */
static hh_status fetch_tile(struct hh_tile_reader *tr, const struct hh_tile *t,
                            const uint8_t **data, struct hh_error *err)
{
    struct cached_tile *c = &tr->cache[tr->next];
    char name[HH_TILE_PATH_MAX];
    size_t got = 0;
    hh_status rc;

    tr->next = (tr->next + 1) % TILE_CACHE;
    c->valid = false;
    rc = tr->fetch(tr->ctx, t, c->data, &got, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "fetching %s", tile_name(t, name));
    if (got != t->width && got != HH_TILE_WIDTH)
        return hh_error_set(err, HH_ERR_INVALID, "%s: fetched %zu hashes, expected %u",
                            tile_name(t, name), got, (unsigned)t->width);
    c->tile = *t;
    c->valid = true;
    *data = c->data;
    return HH_OK;
}

/* The hashes of tile t, from the cache or fetched. */
static hh_status get_tile(struct hh_tile_reader *tr, const struct hh_tile *t, const uint8_t **data,
                          struct hh_error *err)
{
    for (size_t i = 0; i < TILE_CACHE; i++) {
        if (tr->cache[i].valid && same_tile(&tr->cache[i].tile, t)) {
            *data = tr->cache[i].data;
            return HH_OK;
        }
    }
    return fetch_tile(tr, t, data, err);
}

/* MTH of the count (a power of two, at most 128) consecutive hashes at data. */
static void fold(const uint8_t *data, size_t count, struct hh_hash *out)
{
    struct hh_hash buf[HH_TILE_WIDTH / 2];
    struct hh_hash h;

    for (size_t i = 0; i < count; i++)
        memcpy(buf[i].b, data + i * HH_HASH_LEN, HH_HASH_LEN);
    for (; count > 1; count /= 2) {
        for (size_t j = 0; j < count / 2; j++) {
            hh_merkle_node_hash(&buf[2 * j], &buf[2 * j + 1], &h);
            buf[j] = h;
        }
    }
    *out = buf[0];
}

static hh_status node_hash(struct hh_tile_reader *tr, const struct hh_subtree_id *id,
                           struct hh_hash *out, struct hh_error *err)
{
    unsigned rest = id->level % HH_TILE_HEIGHT;
    const uint8_t *data = NULL;
    struct hh_tile t;
    uint16_t pos;
    hh_status rc;

    if (hh_tile_for_node(id->level, id->index, tr->size, &t, &pos) != HH_OK)
        return hh_error_set(
            err, HH_ERR_NOT_FOUND, "node (%u, %llu) is not complete in a tree of size %llu",
            (unsigned)id->level, (unsigned long long)id->index, (unsigned long long)tr->size);
    rc = get_tile(tr, &t, &data, err);
    if (rc != HH_OK)
        return rc;
    if (rest == 0)
        memcpy(out->b, data + (size_t)pos * HH_HASH_LEN, HH_HASH_LEN);
    else
        fold(data + (size_t)pos * HH_HASH_LEN, (size_t)1 << rest, out);
    return HH_OK;
}

static hh_status tile_reader_read(void *ctx, const struct hh_subtree_id *ids, size_t n,
                                  struct hh_hash *out, struct hh_error *err)
{
    struct hh_tile_reader *tr = ctx;
    hh_status rc = HH_OK;

    if (n > 0)
        memset(out, 0, n * sizeof(*out));
    for (size_t i = 0; i < n && rc == HH_OK; i++)
        rc = node_hash(tr, &ids[i], &out[i], err);
    if (rc != HH_OK && n > 0)
        memset(out, 0, n * sizeof(*out));
    return rc;
}

struct hh_hash_reader hh_tile_reader_hashes(struct hh_tile_reader *tr)
{
    struct hh_hash_reader r = {tile_reader_read, tr};
    return r;
}
