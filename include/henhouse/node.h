/*
 * henhouse/node.h - one party's node, as the command-line tool uses it:
 * create a node directory, open it, serve it, report its health.
 *
 * A node directory (made by hh_node_init) holds henhouse.conf, the log key,
 * the witness key, the local operator's signer key (all 0600), their
 * verifier keys, the log's database, the witness state, the mirrors of the
 * logs it witnesses (mirrors/) and the evidence it found (evidence/).
 * hh_node_open validates everything before anything starts and refuses a
 * directory it cannot fully understand. Inside, the node is a set of
 * subsystems (storage, log, witness, peer, http; docs/architecture.md)
 * that this API starts and stops together.
 */
#ifndef HENHOUSE_NODE_H
#define HENHOUSE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include <henhouse/client/tile_source.h>
#include <henhouse/henhouse.h>
#include <jansson.h>

#define HH_NODE_CONFIG_FILE "henhouse.conf"

struct hh_node;

/*
 * Creates a node directory: keys named after origin, a config, an empty
 * database and a first (empty) checkpoint. Refuses an existing node
 * (HH_ERR_CONFLICT).
 */
hh_status hh_node_init(const char *dir, const char *party, const char *origin,
                       struct hh_error *err) HH_MUST_CHECK;

/* A warning about the node's config (a deprecated key), or "" (borrowed from n). */
const char *hh_node_warning(const struct hh_node *n);

/* The most file descriptors the node may use when serving: connections and a margin for its files.
 */
uint64_t hh_node_fd_need(const struct hh_node *n);

/* True when dir holds a henhouse.conf (it may still fail to open). */
bool hh_node_is_dir(const char *dir);

/* Opens a node directory: config, keys, stores. *out freed with hh_node_close. */
hh_status hh_node_open(const char *dir, struct hh_node **out, struct hh_error *err) HH_MUST_CHECK;

/*
 * Serves the node: starts the sequencer, the HTTP server on listen
 * ("HOST:PORT"; NULL takes the config's; port 0 picks a free one) and the
 * peer client. *url gets "http://HOST:PORT" as bound (url_cap bytes).
 */
hh_status hh_node_serve(struct hh_node *n, const char *listen, char *url, size_t url_cap,
                        struct hh_error *err) HH_MUST_CHECK;

/*
 * Stops serving: stops accepting connections and the peer client, commits
 * what is queued (answering its submitters), then stops the server. Reads
 * of the node stay possible until hh_node_close. NULL is fine.
 */
void hh_node_stop(struct hh_node *n);

/*
 * The node's health as JSON: its own log (size, root, each witness's last
 * cosignature and its age, the last error talking to it), every witnessed
 * log (cosigned size, mirror size, frozen, last error) and the evidence
 * held. A new object (caller json_decref's it); NULL when out of memory.
 */
json_t *hh_node_status(struct hh_node *n);

/* A tile source over the node's own log (borrowed from n: clear it before hh_node_close). */
void hh_node_tile_source(struct hh_node *n, struct hh_tile_source *out);

/* Stops whatever is running, closes the stores, wipes the keys. NULL is fine. */
void hh_node_close(struct hh_node *n);

#endif
