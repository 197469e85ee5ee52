/*
 * http.h - what the server's route handlers share: the server and
 * per-request state, the route table, and the helpers that build responses.
 * Internal to the node's HTTP server (the http/ folder).
 */
#ifndef HH_NODE_HTTP_HTTP_H
#define HH_NODE_HTTP_HTTP_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <jansson.h>

#include <henhouse/henhouse.h>

#include "http/server.h"
#include "log/tile_cache.h"

struct hh_server {
    struct MHD_Daemon *daemon;
    MHD_socket quiesced_fd; /* the listening socket once quiesced (ours to close), or -1 */
    struct hh_server_config cfg;
    char host[256];
    struct hh_tile_cache *tiles; /* full tiles served (tile_cache.h) */
};

struct hh_request;
typedef enum MHD_Result (*hh_route_fn)(struct hh_request *r);

/*
 * One row of the route table: a method ("GET", which also answers HEAD, or
 * "POST"), a path (exact, or a prefix when it ends in '/' and prefix is set),
 * the handler, and for POST the largest body (0: the server's max_body_bytes).
 * A POST handler is called once the whole body is in.
 */
struct hh_route {
    const char *method;
    const char *path;
    bool prefix;
    hh_route_fn handler;
    size_t max_body;
};

/* The route for method and url; NULL with *path_known telling 404 from 405. */
const struct hh_route *hh_route_find(const char *method, const char *url, bool *path_known);

/* The longest request URI a request line may hold (libmicrohttpd's 32 KiB connection memory). */
#define HH_HTTP_URI_MAX (32 * 1024)

/* One HTTP request, from its first callback to its completion. */
struct hh_request {
    struct hh_server *server;
    struct MHD_Connection *conn;
    const char *raw_uri; /* as received, before decoding (see server.c) */
    size_t raw_uri_len;
    bool begun;
    const struct hh_route *route;
    const char *url;  /* the decoded path (libmicrohttpd's; valid for the request) */
    const char *tail; /* for a prefix route, the url after the prefix */
    size_t max_body;
    char *body;
    size_t body_len, body_cap;
    bool body_too_large;
    /* set by the sequencer's callback before the connection is resumed */
    pthread_mutex_t mu;
    bool suspended, answered;
    struct hh_sequenced result;
    char *checkpoint;
    char detail[HH_ERROR_MSG_MAX];
    struct hh_hash id;
};

/* Queues a response with a body (copied), content type and cache policy (NULL: no-store). */
enum MHD_Result hh_http_respond(struct MHD_Connection *c, unsigned status, const char *type,
                                const void *body, size_t len, const char *cache_control);

/*
 * Queues a response whose body is borrowed, not copied: release(cls) is
 * called once the response is done with it (also when this fails).
 */
enum MHD_Result hh_http_respond_shared(struct MHD_Connection *c, unsigned status, const char *type,
                                       const void *body, size_t len, const char *cache_control,
                                       void (*release)(void *cls), void *cls);

/* Queues a JSON error {"error": code, "detail": detail}. */
enum MHD_Result hh_http_error(struct MHD_Connection *c, unsigned status, const char *code,
                              const char *detail);

/* Queues a JSON value (stolen) as the response. */
enum MHD_Result hh_http_json(struct MHD_Connection *c, unsigned status, json_t *value);

/* A proof as a JSON array of base64 hashes (new reference). */
json_t *hh_http_proof_json(const struct hh_hash *proof, size_t n);

/* The HTTP status for a library status. */
unsigned hh_http_status(hh_status rc);

/* Route handlers (api_log.c, api_statements.c, api_witness.c). */
enum MHD_Result hh_api_checkpoint(struct hh_request *r);
enum MHD_Result hh_api_tile(struct hh_request *r);
enum MHD_Result hh_api_consistency(struct hh_request *r);
enum MHD_Result hh_api_get_blob(struct hh_request *r);
enum MHD_Result hh_api_get_statement(struct hh_request *r);
/* POST /v1/statements: called when the body is complete, and again after resume. */
enum MHD_Result hh_api_post_statement(struct hh_request *r);
enum MHD_Result hh_api_add_checkpoint(struct hh_request *r);
enum MHD_Result hh_api_gossip(struct hh_request *r);
enum MHD_Result hh_api_evidence(struct hh_request *r);
enum MHD_Result hh_api_status(struct hh_request *r);

#endif
