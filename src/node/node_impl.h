/*
 * node_impl.h - the node's wiring: which subsystem handles it holds. Seen
 * only by the wiring files (node.c, status.c), and, through the accessors
 * below, by tests and tools that drive one subsystem of a real node
 * directory directly. No subsystem includes this header.
 */
#ifndef HH_NODE_IMPL_H
#define HH_NODE_IMPL_H

#include <henhouse/node.h>

#include "config.h"
#include "http/server.h"
#include "log/sequencer.h"
#include "peer/peer.h"
#include "storage/store.h"
#include "storage/witness_db.h"
#include "witness/witness.h"

struct hh_node {
    char dir[HH_CONFIG_PATH_MAX];
    struct hh_config config;
    struct hh_signer *log_key;
    struct hh_signer *witness_key;
    struct hh_verifier log_vkey;
    struct hh_verifier witness_vkey;
    struct hh_verifier signers[HH_CONFIG_MAX_SIGNERS]; /* authorised to submit */
    size_t nsigners;
    struct hh_verifier witness_keys[HH_CONFIG_MAX_WITNESSES]; /* of config.witnesses */
    struct hh_store *store;
    struct hh_wdb *wdb;
    struct hh_witness *witness;
    struct hh_sequencer *sequencer; /* NULL unless started */
    struct hh_server *server;       /* NULL unless serving */
    struct hh_peer_client *peers;   /* NULL unless serving */
};

/* Starts the sequencer alone (hh_node_serve does it too); a second call does nothing. */
hh_status hh_node_start_sequencer(struct hh_node *n, struct hh_error *err) HH_MUST_CHECK;

/* The node's parts, for tests and tools (borrowed from n). */
const struct hh_config *hh_node_config(const struct hh_node *n);
struct hh_store *hh_node_store(struct hh_node *n);
struct hh_sequencer *hh_node_sequencer(struct hh_node *n); /* NULL unless started */

#endif
