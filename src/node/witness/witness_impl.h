/*
 * witness_impl.h - the witness's state, shared by the files of the witness
 * subsystem (witness.c, add_checkpoint.c, evidence_record.c) and nothing else.
 */
#ifndef HH_NODE_WITNESS_IMPL_H
#define HH_NODE_WITNESS_IMPL_H

#include "witness/mirror.h"
#include "witness/witness.h"

/* A log this node witnesses (from a "log" config line). */
struct witnessed_log {
    const struct hh_config_log *cfg;
    struct hh_verifier vkey;
    struct hh_mirror *mirror; /* NULL in plain mode */
};

struct hh_witness {
    char dir[HH_CONFIG_PATH_MAX];
    const struct hh_signer *key;
    struct hh_verifier vkey; /* of key: its name is the observer in evidence */
    struct hh_wdb *wdb;
    struct witnessed_log *logs;
    size_t nlogs;
};

/* The witnessed log with this origin, or NULL. */
struct witnessed_log *hh_witness_find(struct hh_witness *w, const char *origin);

/* Verifies a signed checkpoint note of log: its signature by the log key and its origin. */
hh_status hh_witness_verify_note(const struct witnessed_log *log, const char *note, size_t len,
                                 struct hh_checkpoint *cp, struct hh_error *err) HH_MUST_CHECK;

#endif
