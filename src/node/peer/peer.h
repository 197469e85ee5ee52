/*
 * peer.h - the peer client: one thread that keeps this node in touch with
 * the others (libcurl, every peer-interval-ms, and at once when the log has
 * a new checkpoint).
 *
 *  - push: sends each new checkpoint of this node's log to every configured
 *    witness (tlog-witness add-checkpoint, with the consistency proof from
 *    the size it last cosigned), checks and stores the cosignatures;
 *  - pull: fetches every witnessed log's checkpoint and mirrors it, so a
 *    peer that never pushes is still mirrored;
 *  - gossip: fetches the checkpoints every peer has seen (/v1/gossip) and
 *    checks them against its own mirrors, so a split view shown to
 *    different parties is caught.
 * Each peer has its own backoff (doubling up to a minute); every failure is
 * recorded with time and reason in the witness database.
 */
#ifndef HH_NODE_PEER_H
#define HH_NODE_PEER_H

#include <henhouse/henhouse.h>

#include <henhouse/client/http_client.h>
#include "node.h"

struct hh_peer_client;

/* Starts the peer thread for node (borrowed; sequencer running). */
hh_status hh_peer_client_start(struct hh_node *node, struct hh_peer_client **out,
                               struct hh_error *err) HH_MUST_CHECK;

/* Wakes the thread now (e.g. a new checkpoint was signed). Safe from any thread. */
void hh_peer_client_poke(struct hh_peer_client *p);

/* Stops and joins the thread. NULL is fine. */
void hh_peer_client_stop(struct hh_peer_client *p);

/*
 * Checks a signed checkpoint of a witnessed log against this node's view
 * (its mirror, or its witness state in plain mode), recording evidence if
 * it conflicts. Used by the witness endpoint, pulls and gossip.
 */
hh_status hh_peer_check_checkpoint(struct hh_node *node, struct hh_peer_log *log,
                                   struct hh_http_client *http, const char *note, size_t len,
                                   struct hh_checkpoint *cp, struct hh_error *err) HH_MUST_CHECK;

#endif
