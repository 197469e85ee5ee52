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
#ifndef HH_NODE_PEER_PEER_H
#define HH_NODE_PEER_PEER_H

#include <henhouse/henhouse.h>

#include "config.h"
#include "log/sequencer.h"
#include "storage/store.h"
#include "storage/witness_db.h"
#include "witness/witness.h"

struct hh_peer_client;

/* What the peer client works with; every pointer is borrowed and outlives the client. */
struct hh_peer_config {
    const struct hh_config_witness *witnesses; /* the witnesses of this node's log */
    const struct hh_verifier *witness_keys;    /* their cosignature keys, same order */
    size_t nwitnesses;
    uint32_t interval_ms;
    struct hh_sequencer *sequencer; /* this log's latest checkpoint */
    struct hh_store *store;         /* this log's hashes, for consistency proofs */
    struct hh_wdb *wdb;             /* cosignatures gathered, peer health */
    struct hh_witness *witness;     /* judges the checkpoints pulled and gossiped */
};

/* Starts the peer thread. */
hh_status hh_peer_client_start(const struct hh_peer_config *cfg, struct hh_peer_client **out,
                               struct hh_error *err) HH_MUST_CHECK;

/* Wakes the thread now (e.g. a new checkpoint was signed). Safe from any thread; NULL is fine. */
void hh_peer_client_poke(struct hh_peer_client *p);

/* Stops and joins the thread. NULL is fine. */
void hh_peer_client_stop(struct hh_peer_client *p);

#endif
