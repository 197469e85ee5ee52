/*
 * api_log.c - the read side of the log over HTTP: the checkpoint, hash tiles
 * and entry bundles (C2SP tlog-tiles), consistency proofs and blobs.
 *
 * Only what the latest signed checkpoint covers is served. A partial tile of
 * width W is served whenever the checkpointed tree has at least W hashes in
 * that tile, so clients holding an older checkpoint can still fetch theirs.
 * Full tiles never change, so they are kept in the server's tile cache and
 * served from memory after the first read.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "log/tile_store.h"

#define CACHE_FULL_TILE    "public, max-age=31536000, immutable"
#define CACHE_PARTIAL_TILE "public, max-age=3600"
#define CACHE_CHECKPOINT   "public, max-age=2"

enum MHD_Result hh_api_checkpoint(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct MHD_Connection *c = r->conn;
    struct hh_error err = {0};
    char *note = NULL;
    size_t len = 0;
    uint64_t size = 0;
    char *cosigs = NULL, *full = NULL;
    size_t clen = 0;
    enum MHD_Result ret;

    if (hh_sequencer_checkpoint(s->cfg.sequencer, &note, &len, &size, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no_checkpoint", err.msg);
    /* The log's signature and every cosignature gathered so far for this size. */
    if (hh_wdb_cosignatures(s->cfg.wdb, size, &cosigs, &clen, NULL) == HH_OK &&
        (full = malloc(len + clen)) != NULL) {
        memcpy(full, note, len);
        memcpy(full + len, cosigs, clen);
    }
    ret = hh_http_respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8", full ? full : note,
                          full ? len + clen : len, CACHE_CHECKPOINT);
    free(full);
    free(cosigs);
    free(note);
    return ret;
}

static enum MHD_Result serve_tile(struct hh_server *s, struct MHD_Connection *c,
                                  const struct hh_tile *t, const char *cache)
{
    struct hh_error err = {0};
    uint8_t *data = NULL;
    size_t len = 0;
    enum MHD_Result ret;

    if (hh_tile_from_store(s->cfg.store, t, &data, &len, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "store", err.msg);
    hh_tile_cache_put(s->tiles, t, data, len); /* keeps full tiles only */
    ret = hh_http_respond(c, MHD_HTTP_OK, "application/octet-stream", data, len, cache);
    free(data);
    return ret;
}

static void release_tile(void *blob)
{
    hh_tile_cache_release(blob);
}

enum MHD_Result hh_api_tile(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct MHD_Connection *c = r->conn;
    const char *path = r->url + 1; /* tile/... */
    struct hh_error err = {0};
    struct hh_tile want, have;
    uint64_t size = 0;

    if (hh_tile_parse_path(path, strlen(path), &want, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_BAD_REQUEST, "bad_tile_path", err.msg);
    /* A cached full tile was in a checkpointed tree, and trees only grow. */
    const struct hh_tile_blob *hit = hh_tile_cache_get(s->tiles, &want);
    if (hit != NULL)
        return hh_http_respond_shared(c, MHD_HTTP_OK, "application/octet-stream", hit->data,
                                      hit->len, CACHE_FULL_TILE, release_tile, (void *)hit);
    if (hh_sequencer_size(s->cfg.sequencer, &size, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no_checkpoint", err.msg);
    if (hh_tile_for_size(want.entries, want.level, want.index, size, &have) != HH_OK ||
        have.width < want.width)
        return hh_http_error(c, MHD_HTTP_NOT_FOUND, "no_such_tile",
                             "the checkpointed tree does not have that tile");
    const char *cache = want.width == HH_TILE_WIDTH ? CACHE_FULL_TILE : CACHE_PARTIAL_TILE;
    return serve_tile(s, c, &want, cache);
}

static int query_u64(struct MHD_Connection *c, const char *key, uint64_t *out)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    return v != NULL && hh_parse_u64(v, strlen(v), out, NULL) == HH_OK;
}

enum MHD_Result hh_api_consistency(struct hh_request *req)
{
    struct hh_server *s = req->server;
    struct MHD_Connection *c = req->conn;
    struct hh_hash_reader r = hh_store_hash_reader(s->cfg.store);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_error err = {0};
    uint64_t old_size = 0, new_size = 0, size = 0;
    size_t n = 0;

    if (!query_u64(c, "old", &old_size) || !query_u64(c, "new", &new_size) || old_size == 0 ||
        old_size > new_size)
        return hh_http_error(c, MHD_HTTP_BAD_REQUEST, "bad_sizes",
                             "need old and new sizes with 0 < old <= new");
    if (hh_sequencer_size(s->cfg.sequencer, &size, &err) != HH_OK || new_size > size)
        return hh_http_error(c, MHD_HTTP_NOT_FOUND, "beyond_checkpoint",
                             "new is larger than the latest checkpoint");
    if (hh_merkle_consistency_proof(&r, old_size, new_size, proof, &n, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "store", err.msg);
    return hh_http_json(c, MHD_HTTP_OK,
                        json_pack("{s:I, s:I, s:o}", "old", (json_int_t)old_size, "new",
                                  (json_int_t)new_size, "proof", hh_http_proof_json(proof, n)));
}

enum MHD_Result hh_api_get_blob(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct MHD_Connection *c = r->conn;
    const char *hex = r->tail;
    struct hh_error err = {0};
    struct hh_hash id;
    uint8_t *data = NULL;
    size_t len = 0;
    enum MHD_Result ret;

    if (hh_hash_from_hex(hex, strlen(hex), &id, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_BAD_REQUEST, "bad_id", err.msg);
    hh_status rc = hh_store_get_blob(s->cfg.store, &id, &data, &len, &err);
    if (rc != HH_OK)
        return hh_http_error(c, hh_http_status(rc), "blob", err.msg);
    ret = hh_http_respond(c, MHD_HTTP_OK, "application/octet-stream", data, len, CACHE_FULL_TILE);
    free(data);
    return ret;
}
