/*
 * witness.h - this node as a witness of other parties' logs: the judgement
 * of every checkpoint it is shown, the tlog-witness add-checkpoint protocol,
 * the mirrors it keeps, and the evidence it records.
 *
 * Whatever route a checkpoint arrives by (a peer's add-checkpoint request,
 * this node's own pull, or another party's gossip), it is judged here the
 * same way: signed by the log's key, then checked against this witness's
 * view of the log (its mirror, or in plain mode its recorded state). A
 * conflict becomes an evidence file, stored once per conflict in the witness
 * state and as DIR/evidence/<id>-<kind>.json; proven misbehaviour freezes
 * the log, which is then never cosigned again.
 *
 * A cosignature is given only after the new state is durable (hh_wdb_advance).
 * All functions are safe to call from several threads.
 */
#ifndef HH_NODE_WITNESS_WITNESS_H
#define HH_NODE_WITNESS_WITNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <henhouse/henhouse.h>
#include <jansson.h>

#include "config.h"
#include "storage/witness_db.h"

struct hh_witness;

struct hh_witness_config {
    const char *dir;                  /* the node directory: keys, mirrors/, evidence/ */
    const struct hh_signer *key;      /* the cosignature key; borrowed, outlives the witness */
    const struct hh_config_log *logs; /* the logs to witness; borrowed */
    size_t nlogs;
    struct hh_wdb *wdb; /* the witness state; borrowed */
};

/* Loads each log's keys and opens its mirror. Close with hh_witness_close. */
hh_status hh_witness_open(const struct hh_witness_config *cfg, struct hh_witness **out,
                          struct hh_error *err) HH_MUST_CHECK;
void hh_witness_close(struct hh_witness *w);

/*
 * Judges the signed checkpoint note[0..len) of a witnessed log: its origin
 * must be known (else HH_ERR_NOT_FOUND), its signature the log key's
 * (HH_ERR_VERIFY or HH_ERR_INVALID), and it must agree with this witness's
 * view (HH_ERR_VERIFY, with evidence recorded, when it does not). Other
 * errors (HH_ERR_IO...) mean it could not be judged now. *cp gets the
 * parsed checkpoint.
 */
hh_status hh_witness_judge(struct hh_witness *w, const char *note, size_t len,
                           struct hh_checkpoint *cp, struct hh_error *err) HH_MUST_CHECK;

/* The outcome of an add-checkpoint request, in the terms of C2SP tlog-witness. */
enum hh_witness_outcome {
    HH_WITNESS_COSIGNED,       /* line holds the cosignature line */
    HH_WITNESS_MALFORMED,      /* 400 */
    HH_WITNESS_BAD_SIGNATURE,  /* 403 */
    HH_WITNESS_UNKNOWN_ORIGIN, /* 404 */
    HH_WITNESS_STALE,          /* 409: size holds the size this witness has */
    HH_WITNESS_REFUSED,        /* 422: a bad proof, misbehaviour, or a frozen log */
    HH_WITNESS_UNAVAILABLE,    /* 503: the log or the witness state cannot be reached */
};

struct hh_witness_reply {
    enum hh_witness_outcome outcome;
    const char *code; /* a short machine name of the reason, e.g. "bad_signature" */
    char detail[HH_ERROR_MSG_MAX];
    char line[HH_NOTE_SIG_LINE_MAX]; /* COSIGNED: the signature line, ending in '\n' */
    uint64_t size;                   /* STALE: the size this witness last cosigned */
};

/* Answers a tlog-witness add-checkpoint request body (any bytes: it is parsed here). */
void hh_witness_add_checkpoint(struct hh_witness *w, const char *body, size_t len,
                               struct hh_witness_reply *out);

/* The witnessed logs, for the peer client: count, and each one's name, origin and URL (borrowed).
 */
size_t hh_witness_log_count(const struct hh_witness *w);
const char *hh_witness_log_name(const struct hh_witness *w, size_t i);
const char *hh_witness_log_origin(const struct hh_witness *w, size_t i);
const char *hh_witness_log_url(const struct hh_witness *w, size_t i);

/* Every witnessed log as status JSON objects (a new array; NULL when out of memory). */
json_t *hh_witness_status(struct hh_witness *w);

/*
 * Adds the health of peer role:name (as the peer client records it in wdb:
 * last_ok, last_error, last_error_time, consecutive_failures) to object o.
 */
void hh_witness_add_peer_health(struct hh_wdb *wdb, const char *role, const char *name, json_t *o);

/*
 * Records evidence about origin: once per conflict in the witness state and
 * as DIR/evidence/<id>-<kind>.json. A proven kind also freezes the log.
 */
hh_status hh_witness_record_evidence(struct hh_witness *w, const char *origin, const char *json,
                                     size_t len, struct hh_error *err) HH_MUST_CHECK;

#endif
