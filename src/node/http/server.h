/*
 * server.h - the node's HTTP server (libmicrohttpd, a thread pool on epoll).
 *
 * Serves the C2SP tlog-tiles read paths (/checkpoint, /tile/...), statement
 * submission and lookup (/v1/statements), consistency proofs, blobs, and the
 * witness side (/add-checkpoint, /v1/gossip, /v1/evidence, /v1/status). The
 * routes are one table (routes.c). Every request is bounded: body size,
 * header memory, connection count and time per connection; a path or query
 * holding a NUL or other control byte, literal or percent-encoded, is refused
 * before any handler runs. Errors are JSON {"error": "...", "detail": "..."}.
 * Submissions wait on the sequencer with their connection suspended, so a
 * few threads serve thousands of waiting clients.
 */
#ifndef HH_NODE_HTTP_SERVER_H
#define HH_NODE_HTTP_SERVER_H

#include <stdint.h>

#include <henhouse/henhouse.h>
#include <jansson.h>

#include "log/sequencer.h"
#include "storage/store.h"
#include "storage/witness_db.h"
#include "witness/witness.h"

struct hh_server;

/* What the server serves; every pointer is borrowed and outlives the server. */
struct hh_server_config {
    const char *host;
    uint16_t port; /* 0 picks a free one */
    uint32_t max_body_bytes, max_connections, request_timeout_s, threads;
    struct hh_store *store;            /* this log */
    struct hh_sequencer *sequencer;    /* running; its latest checkpoint bounds what is served */
    struct hh_wdb *wdb;                /* cosignatures on this log, evidence, gossip */
    struct hh_witness *witness;        /* add-checkpoint */
    const struct hh_verifier *signers; /* keys whose statements this log accepts */
    size_t nsigners;
    json_t *(*status)(void *ctx); /* /v1/status: a new JSON object, or NULL */
    void *status_ctx;
};

/* Starts serving; *bound_port gets the port actually bound. */
hh_status hh_server_start(const struct hh_server_config *cfg, struct hh_server **out,
                          uint16_t *bound_port, struct hh_error *err) HH_MUST_CHECK;

/*
 * Stops accepting new connections; open ones are still served. The
 * listening socket stays open (connections arriving meanwhile wait in its
 * backlog) until hh_server_stop closes it, which refuses them. NULL is fine.
 */
void hh_server_quiesce(struct hh_server *s);

/*
 * Waits (up to a second) for open connections to finish, then stops the
 * daemon and frees the server. NULL is fine.
 */
void hh_server_stop(struct hh_server *s);

#endif
