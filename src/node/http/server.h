/*
 * server.h - the node's HTTP server (libmicrohttpd, a thread pool on epoll).
 *
 * Serves the C2SP tlog-tiles read paths (/checkpoint, /tile/...), statement
 * submission and lookup (/v1/statements), consistency proofs and blobs.
 * Every request is bounded: body size, header memory, connection count and
 * time per connection. Errors are JSON {"error": "...", "detail": "..."}.
 * Submissions wait on the sequencer with their connection suspended, so a
 * few threads serve thousands of waiting clients.
 */
#ifndef HH_NODE_SERVER_H
#define HH_NODE_SERVER_H

#include <stdint.h>

#include <henhouse/henhouse.h>

#include "node.h"

struct hh_server;

/*
 * Starts serving node (borrowed; its sequencer must be running) on host:port
 * (port 0 picks a free one; *bound_port gets the port actually bound).
 */
hh_status hh_server_start(struct hh_node *node, const char *host, uint16_t port,
                          struct hh_server **out, uint16_t *bound_port,
                          struct hh_error *err) HH_MUST_CHECK;

/*
 * Stops accepting connections, lets the sequencer commit what is queued (and
 * answer those clients), then stops. The node stays open, its sequencer
 * quiesced (refusing submissions) until hh_node_close. NULL is fine.
 */
void hh_server_stop(struct hh_server *s);

#endif
