/*
 * tiles.h - C2SP tlog-tiles: tile paths, hash tiles, entry bundles.
 *
 * A hash tile at tile level L, index N holds up to 256 hashes of Merkle level
 * 8L: hash i is node (8L, 256N + i). A full tile has width 256 (8192 bytes);
 * a partial one 1..255 and a path ending ".p/<W>". An entry bundle at index N
 * holds entries 256N .. 256N+W-1, each as a big-endian uint16 length and the
 * bytes. Paths are "tile/<L>/<N>[.p/<W>]" and "tile/entries/<N>[.p/<W>]"
 * with N in zero-padded 3-digit groups, all but the last prefixed 'x'.
 */
#ifndef HENHOUSE_TILES_H
#define HENHOUSE_TILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "merkle.h"

#define HH_TILE_WIDTH       256
#define HH_TILE_HEIGHT      8
#define HH_TILE_BYTES       (HH_TILE_WIDTH * HH_HASH_LEN)
#define HH_TILE_MAX_LEVEL   63
#define HH_TILE_PATH_MAX    96
#define HH_ENTRY_MAX        65535
#define HH_BUNDLE_MAX_BYTES (HH_TILE_WIDTH * (2 + HH_ENTRY_MAX))

struct hh_tile {
    bool entries;   /* an entry bundle rather than a hash tile */
    uint8_t level;  /* tile level (0..63); 0 for entry bundles */
    uint64_t index; /* N */
    uint16_t width; /* 1..256; 256 is a full tile */
};

/* Writes the path (without a leading '/') and a NUL. cap >= HH_TILE_PATH_MAX suffices. */
hh_status hh_tile_path(const struct hh_tile *t, char *out, size_t cap) HH_MUST_CHECK;

/* Parses a path as written by hh_tile_path; refuses every other spelling. */
hh_status hh_tile_parse_path(const char *path, size_t len, struct hh_tile *out,
                             struct hh_error *err) HH_MUST_CHECK;

/*
 * The tile at tile level `level` with index `index` as a tree of size leaves
 * has it: full, partial, or absent (HH_ERR_NOT_FOUND when the tree has none
 * of its hashes). Works for entry bundles with entries = true, level 0.
 */
hh_status hh_tile_for_size(bool entries, uint8_t level, uint64_t index, uint64_t size,
                           struct hh_tile *out) HH_MUST_CHECK;

/*
 * The tile that holds node (level, index) when the tree has size leaves, and
 * the node's position in it: either the stored hash at *pos (when level is a
 * multiple of 8) or, otherwise, the range [*pos, *pos + 2^(level mod 8)) of
 * hashes to fold. HH_ERR_NOT_FOUND when the node is not complete in that tree.
 */
hh_status hh_tile_for_node(uint8_t level, uint64_t index, uint64_t size, struct hh_tile *out,
                           uint16_t *pos) HH_MUST_CHECK;

/* Builds tile t's contents (t->width * 32 bytes) from stored hashes read through r. */
hh_status hh_tile_read_hashes(const struct hh_hash_reader *r, const struct hh_tile *t, uint8_t *out,
                              size_t cap, struct hh_error *err) HH_MUST_CHECK;

/*
 * A hash reader over tiles: node hashes come from the tile contents returned
 * by fetch, which writes the tile's hashes into out (HH_TILE_BYTES bytes) and
 * sets *got to the NUMBER OF HASHES written: the width asked for, or 256 when
 * it returns the full tile for a partial request. Any other count is refused.
 * The reader caches a few tiles; it does not authenticate them, so callers
 * must check results against a signed root.
 */
typedef hh_status (*hh_tile_fetch_fn)(void *ctx, const struct hh_tile *t, uint8_t *out, size_t *got,
                                      struct hh_error *err);
struct hh_tile_reader;
struct hh_tile_reader *hh_tile_reader_new(uint64_t size, hh_tile_fetch_fn fetch, void *ctx);
void hh_tile_reader_free(struct hh_tile_reader *tr);
struct hh_hash_reader hh_tile_reader_hashes(struct hh_tile_reader *tr);

/*
 * Entry bundles. hh_bundle_parse checks the whole bundle holds exactly
 * `expected` entries (1..256) with no trailing bytes, and points entries[i] /
 * lens[i] into buf.
 */
hh_status hh_bundle_parse(const uint8_t *buf, size_t len, size_t expected,
                          const uint8_t *entries[HH_TILE_WIDTH], size_t lens[HH_TILE_WIDTH],
                          struct hh_error *err) HH_MUST_CHECK;

/* Appends one entry (len <= HH_ENTRY_MAX) to a bundle under construction in out. */
hh_status hh_bundle_append(uint8_t *out, size_t cap, size_t *used, const void *entry,
                           size_t len) HH_MUST_CHECK;

/*
 * The tiles a reader needs for the given nodes of a tree of size leaves,
 * without duplicates; *n gets the count (at most max).
 */
hh_status hh_tiles_for_nodes(const struct hh_subtree_id *ids, size_t nids, uint64_t size,
                             struct hh_tile *out, size_t max, size_t *n) HH_MUST_CHECK;

#endif
