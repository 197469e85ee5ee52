/*
 * tile_source.h - where a verifier reads a log from: its latest signed
 * checkpoint and its tlog tiles (hash tiles and entry bundles), by path.
 *
 * The client library has one over HTTP (GET <URL>/checkpoint and
 * <URL>/<hh_tile_path>); the node adds one over its store (the bytes its
 * server serves), so a node directory is read exactly as a URL is. A
 * source is shared by several threads; each thread opens its own connection
 * with open() and uses it alone (an HTTP connection is a libcurl handle).
 *
 * Every read has a ceiling given by the caller and fails with
 * HH_ERR_TOO_LARGE above it; an HTTP status other than 200 fails with
 * HH_ERR_IO naming the path and the status. Returned buffers are malloc'd
 * and freed by the caller with free(). Nothing read is authenticated here.
 */
#ifndef HENHOUSE_CLIENT_TILE_SOURCE_H
#define HENHOUSE_CLIENT_TILE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#define HH_TILE_SOURCE_URL_MAX    2048
#define HH_TILE_SOURCE_TIMEOUT_MS 60000

struct hh_tile_source {
    /* Opens a connection for the calling thread; closed with close(). */
    hh_status (*open)(void *ctx, void **conn, struct hh_error *err);
    void (*close)(void *conn);
    /* The latest signed checkpoint note, at most max bytes. */
    hh_status (*checkpoint)(void *conn, size_t max, uint8_t **out, size_t *len,
                            struct hh_error *err);
    /* The bytes of tile t (hash tile or entry bundle), at most max. */
    hh_status (*tile)(void *conn, const struct hh_tile *t, size_t max, uint8_t **out, size_t *len,
                      struct hh_error *err);
    /* Frees ctx; called by hh_tile_source_clear. */
    void (*free)(void *ctx);
    void *ctx;
};

/*
 * A source over HTTP at url ("http://host:port" or with a path prefix; a
 * trailing '/' is ignored). Initialises libcurl, so call it before starting
 * threads. Clear with hh_tile_source_clear.
 */
hh_status hh_tile_source_http(const char *url, struct hh_tile_source *out,
                              struct hh_error *err) HH_MUST_CHECK;

/* Frees what the source owns and zeroes it. NULL and a zeroed source are fine. */
void hh_tile_source_clear(struct hh_tile_source *src);

#endif
