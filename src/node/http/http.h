/*
 * http.h - what the server's route handlers share: the per-request state and
 * the helpers that build responses. Internal to the node's HTTP server.
 */
#ifndef HH_NODE_HTTP_H
#define HH_NODE_HTTP_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <jansson.h>

#include <henhouse/henhouse.h>

#include "node.h"
#include "log/tile_cache.h"

struct hh_server {
    struct MHD_Daemon *daemon;
    struct hh_node *node;
    size_t max_body;
    struct hh_tile_cache *tiles; /* full tiles served (tile_cache.h) */
};

/* One HTTP request, from its first callback to its completion. */
struct hh_request {
    struct hh_server *server;
    struct MHD_Connection *conn;
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

/* Route handlers (api_log.c, api_statements.c). */
enum MHD_Result hh_api_checkpoint(struct hh_server *s, struct MHD_Connection *c);
enum MHD_Result hh_api_tile(struct hh_server *s, struct MHD_Connection *c, const char *path);
enum MHD_Result hh_api_consistency(struct hh_server *s, struct MHD_Connection *c);
enum MHD_Result hh_api_get_statement(struct hh_server *s, struct MHD_Connection *c,
                                     const char *hex);
enum MHD_Result hh_api_get_blob(struct hh_server *s, struct MHD_Connection *c, const char *hex);
enum MHD_Result hh_api_gossip(struct hh_server *s, struct MHD_Connection *c);
enum MHD_Result hh_api_evidence(struct hh_server *s, struct MHD_Connection *c);
enum MHD_Result hh_api_status(struct hh_server *s, struct MHD_Connection *c);
/* POST /add-checkpoint, once the body is complete. */
enum MHD_Result hh_api_add_checkpoint(struct hh_request *r);
/* POST /v1/statements: called when the body is complete, and again after resume. */
enum MHD_Result hh_api_post_statement(struct hh_request *r);

#endif
