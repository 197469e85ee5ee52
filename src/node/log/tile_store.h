/*
 * tile_store.h - the bytes of tlog tiles read from a log store: a hash tile
 * (width x 32 bytes of level-8L nodes) or an entry bundle. The server serves
 * these bytes and the verifier reads a node directory through them, so both
 * see exactly the same thing.
 */
#ifndef HH_NODE_TILE_STORE_H
#define HH_NODE_TILE_STORE_H

#include <henhouse/henhouse.h>

#include <henhouse/client/tile_source.h>

#include "storage/store.h"

/*
 * Reads tile t into a malloc'd buffer *out (caller frees) of *len bytes.
 * The caller has checked that the tree holds the tile at t->width.
 */
hh_status hh_tile_from_store(struct hh_store *s, const struct hh_tile *t, uint8_t **out,
                             size_t *len, struct hh_error *err) HH_MUST_CHECK;

/*
 * A tile source (tile_source.h) over a store (borrowed; it must outlive the
 * source): its latest checkpoint and the tiles above, as the server serves them.
 */
void hh_tile_source_store(struct hh_store *s, struct hh_tile_source *out);

#endif
