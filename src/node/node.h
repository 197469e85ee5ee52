/*
 * node.h - one party's node: its directory, configuration, keys, log store
 * and sequencer, opened and closed together.
 *
 * A node directory (made by hh_node_init) holds henhouse.conf, the log key,
 * the witness key, the local operator's signer key (all 0600), their
 * verifier keys, and the database. hh_node_open validates everything before
 * anything starts and refuses a directory it cannot fully understand.
 */
#ifndef HH_NODE_NODE_H
#define HH_NODE_NODE_H

#include <henhouse/henhouse.h>

#include <pthread.h>

#include "config.h"
#include "log/sequencer.h"
#include "storage/store.h"
#include "storage/witness_db.h"

/* A log this node witnesses (from a "log" config line). */
struct hh_peer_log {
    const struct hh_config_log *cfg;
    struct hh_verifier vkey;
    struct hh_verifier signers[HH_CONFIG_MAX_LOG_SIGNERS];
    size_t nsigners;
    struct hh_store *mirror; /* DIR/mirrors/NAME.db; NULL in plain mode */
    pthread_mutex_t mu;      /* serialises mirror syncs */
};

/* A witness of this node's log (from a "witness" config line). */
struct hh_peer_witness {
    const struct hh_config_witness *cfg;
    struct hh_verifier vkey;
};

struct hh_peer_client;

struct hh_node {
    char dir[HH_CONFIG_PATH_MAX];
    struct hh_config config;
    struct hh_signer *log_key;
    struct hh_signer *witness_key;
    struct hh_verifier log_vkey;
    struct hh_verifier witness_vkey;
    struct hh_verifier signers[HH_CONFIG_MAX_SIGNERS]; /* authorised to submit */
    size_t nsigners;
    struct hh_store *store;
    struct hh_sequencer *sequencer; /* NULL unless started */
    struct hh_wdb *wdb;             /* DIR/witness.db */
    struct hh_peer_log logs[HH_CONFIG_MAX_LOGS];
    size_t nlogs;
    struct hh_peer_witness witnesses[HH_CONFIG_MAX_WITNESSES];
    size_t nwitnesses;
    struct hh_peer_client *peers; /* NULL unless started */
};

/*
 * Creates a node directory: keys named after origin, a config, an empty
 * database and a first (empty) checkpoint. Refuses an existing node
 * (HH_ERR_CONFLICT).
 */
hh_status hh_node_init(const char *dir, const char *party, const char *origin,
                       struct hh_error *err) HH_MUST_CHECK;

/* Opens a node directory: config, keys, signers, store. *out freed with hh_node_close. */
hh_status hh_node_open(const char *dir, struct hh_node **out, struct hh_error *err) HH_MUST_CHECK;

/* Starts the sequencer (for serving); reads need no sequencer. */
hh_status hh_node_start_sequencer(struct hh_node *n, struct hh_error *err) HH_MUST_CHECK;

/* Starts the peer client (push, pull, gossip); after the sequencer. */
hh_status hh_node_start_peers(struct hh_node *n, struct hh_error *err) HH_MUST_CHECK;

/* Stops the peer client, if started. */
void hh_node_stop_peers(struct hh_node *n);

/* The witnessed log with this origin, or NULL. */
struct hh_peer_log *hh_node_find_log(struct hh_node *n, const char *origin);

/*
 * Records evidence: in the witness database and as DIR/evidence/<id>-<kind>.json.
 * A proven kind also freezes the log's witness state.
 */
hh_status hh_node_record_evidence(struct hh_node *n, const char *origin, const char *json,
                                  size_t len, struct hh_error *err) HH_MUST_CHECK;

/* Stops the sequencer (committing what is queued), closes the store, wipes keys. NULL is fine. */
void hh_node_close(struct hh_node *n);

/* Joins dir and a relative path into out (cap bytes); HH_ERR_TOO_LARGE if it does not fit. */
hh_status hh_node_path(const char *dir, const char *rel, char *out, size_t cap,
                       struct hh_error *err) HH_MUST_CHECK;

#endif
