/*
 * witness_db_impl.h - what a witness database backend implements: one
 * function per witness_db.h operation, gathered in a struct hh_wdb_ops, and
 * an opener that storage/witness_db.c calls when hh_wdb_open's URI names the
 * backend (the SQLite one is in storage/sqlite/sqlite_backends.h).
 *
 * Every backend's struct begins with a struct hh_wdb whose ops points at
 * its table. witness_db.c checks arguments and the limits of witness_db.h
 * and zeroes outputs before it calls a backend, so a backend may assume:
 * pointers are non-NULL (a callback too), strings are non-empty and within
 * their limits, sizes and timestamps fit in int64, outputs are zeroed (a
 * state's root is the empty tree's). A backend keeps everything else:
 * transactions and durability, the compare-and-swap and group commit of
 * advance, thread safety, and the callback rule of witness_db.h.
 */
#ifndef HH_NODE_WITNESS_DB_IMPL_H
#define HH_NODE_WITNESS_DB_IMPL_H

#include "storage/witness_db.h"

/* The arguments of one hh_wdb_advance, checked. */
struct hh_wdb_update {
    const char *origin;
    uint64_t expect_old;
    uint64_t new_size;
    const struct hh_hash *root;
    const char *note;
    size_t note_len;
    hh_wdb_check_fn check; /* may be NULL */
    void *ctx;
};

struct hh_wdb_ops {
    const char *name; /* "sqlite", ... for messages */
    void (*close)(struct hh_wdb *w);
    hh_status (*state)(struct hh_wdb *w, const char *origin, struct hh_wdb_state *out,
                       struct hh_error *err);
    hh_status (*advance)(struct hh_wdb *w, const struct hh_wdb_update *u, uint64_t *current,
                         struct hh_error *err);
    hh_status (*freeze)(struct hh_wdb *w, const char *origin, struct hh_error *err);
    hh_status (*each_state)(struct hh_wdb *w, hh_wdb_state_fn fn, void *ctx, struct hh_error *err);
    hh_status (*put_cosignature)(struct hh_wdb *w, uint64_t size, const char *witness,
                                 const char *line, uint64_t timestamp, struct hh_error *err);
    /* *lines is malloc'd and NUL-terminated, "" when none. */
    hh_status (*cosignatures)(struct hh_wdb *w, uint64_t size, char **lines, size_t *len,
                              struct hh_error *err);
    hh_status (*last_cosignature)(struct hh_wdb *w, const char *witness, uint64_t *size,
                                  uint64_t *timestamp, struct hh_error *err);
    hh_status (*add_evidence)(struct hh_wdb *w, const char *origin, const char *kind,
                              const char *key, const char *json, size_t len, int64_t *id,
                              struct hh_error *err);
    hh_status (*each_evidence)(struct hh_wdb *w, hh_wdb_evidence_fn fn, void *ctx,
                               struct hh_error *err);
    /* reason[0..reason_len) is the part of the reason kept. */
    hh_status (*peer_ok)(struct hh_wdb *w, const char *peer, struct hh_error *err);
    hh_status (*peer_error)(struct hh_wdb *w, const char *peer, const char *reason,
                            size_t reason_len, struct hh_error *err);
    hh_status (*peer)(struct hh_wdb *w, const char *peer, struct hh_wdb_peer *out,
                      struct hh_error *err);
};

struct hh_wdb {
    const struct hh_wdb_ops *ops;
};

#endif
