/*
 * tile_cache.h - an in-memory cache of full tlog tiles (hash tiles and entry
 * bundles of width 256), which never change once the tree has them.
 *
 * Serving a tile from the store reads 256 rows; serving it from here is a
 * hash lookup, and the bytes are not copied: a hit returns a reference to an
 * immutable, reference-counted blob that stays valid until released, even if
 * the cache evicts it or is freed meanwhile. The cache is bounded in bytes
 * (least recently used tiles are evicted first) and safe to use from any
 * number of threads. Only full tiles may be put; the caller guarantees the
 * bytes are the tile's (they are only ever read from a signed tree).
 */
#ifndef HH_NODE_TILE_CACHE_H
#define HH_NODE_TILE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

/* The default bound of a server's cache: 8192 hash tiles or about 280 bundles. */
#define HH_TILE_CACHE_DEFAULT_BYTES ((size_t)64 * 1024 * 1024)

struct hh_tile_cache;

/* One cached tile's bytes; immutable; valid until hh_tile_cache_release. */
struct hh_tile_blob {
    const uint8_t *data;
    size_t len;
};

/* A cache of at most max_bytes of tile data; NULL when out of memory. Free with hh_tile_cache_free.
 */
struct hh_tile_cache *hh_tile_cache_new(size_t max_bytes);

/* Drops the cache's references; blobs still held by callers stay valid. NULL is fine. */
void hh_tile_cache_free(struct hh_tile_cache *c);

/*
 * The cached bytes of full tile t, or NULL on a miss (also for a partial
 * tile). A hit must be released with hh_tile_cache_release.
 */
const struct hh_tile_blob *hh_tile_cache_get(struct hh_tile_cache *c, const struct hh_tile *t);

/*
 * Caches a copy of data[0..len) as full tile t (ignored for a partial tile,
 * a tile already cached, one larger than the whole cache, or when out of
 * memory), evicting the least recently used tiles to stay within the bound.
 */
void hh_tile_cache_put(struct hh_tile_cache *c, const struct hh_tile *t, const uint8_t *data,
                       size_t len);

/* Releases a blob returned by hh_tile_cache_get. NULL is fine. */
void hh_tile_cache_release(const struct hh_tile_blob *b);

struct hh_tile_cache_stats {
    uint64_t hits, misses, evictions;
    size_t tiles, bytes;
};
void hh_tile_cache_stats(struct hh_tile_cache *c, struct hh_tile_cache_stats *out);

#endif
