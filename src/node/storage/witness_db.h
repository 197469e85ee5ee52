/*
 * witness_db.h - the node's witness database (DIR/witness.db): what this
 * node has cosigned for every log it witnesses, the cosignatures gathered on
 * its own log, the evidence it holds, and the health of each peer.
 *
 * One interface with backends behind it, like the store (SQLite today; a
 * backend fills in a struct hh_wdb_ops, see witness_db_impl.h). Callers open
 * it by URI with hh_wdb_open and never name a backend.
 *
 * The witness state of a log changes only through hh_wdb_advance, a
 * compare-and-swap inside one fsynced transaction: two concurrent requests
 * can never both advance from the same old size, and a size is durable
 * before anyone is given a cosignature for it. A frozen log (one with
 * evidence against it) never advances again. All functions are safe to call
 * from several threads at once.
 *
 * Callbacks: the callbacks of hh_wdb_each_state and hh_wdb_each_evidence,
 * and hh_wdb_advance's check, run while the backend holds its connection
 * (for SQLite, its one lock). They must not call back into the witness
 * database, which would wait for itself forever; copy what is needed and
 * use the database after the call returns.
 *
 * Limits, checked before any backend is asked (HH_ERR_INVALID when a string
 * is NULL or empty, HH_ERR_TOO_LARGE when it is longer): origins, witness
 * and peer names, evidence kinds and keys are at most HH_WDB_NAME_MAX bytes;
 * a cosignature line at most HH_WDB_LINE_MAX; a checkpoint note at most
 * HH_NOTE_MAX_BYTES; evidence at most HH_EVIDENCE_MAX_BYTES; sizes and
 * timestamps at most INT64_MAX. A peer's error reason is kept to its first
 * HH_ERROR_MSG_MAX - 1 bytes.
 */
#ifndef HH_NODE_WITNESS_DB_H
#define HH_NODE_WITNESS_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#define HH_WDB_NAME_MAX 255  /* origins (HH_ORIGIN_MAX), names, evidence kinds and keys */
#define HH_WDB_LINE_MAX 1024 /* one cosignature line (HH_NOTE_SIG_LINE_MAX in practice) */

struct hh_wdb;

struct hh_wdb_state {
    uint64_t size;
    struct hh_hash root;
    char *note; /* malloc'd signed checkpoint, or NULL when none yet */
    size_t note_len;
    int64_t time;
    bool frozen;
};

/*
 * Opens (creating if needed) the witness database uri names, bringing its
 * schema to the current version. uri is a storage URI, read as by
 * hh_store_open (storage/uri.h): "sqlite:PATH" or a plain file path for
 * SQLite; "postgresql://..." and "postgres://..." fail with HH_ERR_INVALID
 * "this build has no PostgreSQL backend", and so does any other scheme,
 * naming it. *out is closed with hh_wdb_close (NULL is fine).
 */
hh_status hh_wdb_open(const char *uri, struct hh_wdb **out, struct hh_error *err) HH_MUST_CHECK;
void hh_wdb_close(struct hh_wdb *w);

/* The state of origin; size 0 and note NULL when never cosigned. Free with hh_wdb_state_clear. */
hh_status hh_wdb_state(struct hh_wdb *w, const char *origin, struct hh_wdb_state *out,
                       struct hh_error *err) HH_MUST_CHECK;
void hh_wdb_state_clear(struct hh_wdb_state *s);

/*
 * Inside one transaction: reads origin's state and, if the state's size
 * equals expect_old and the log is not frozen, calls check(ctx, state) (when
 * check is not NULL; it may refuse with any error, and must not use the
 * database); if check returned HH_OK, records (new_size, root, note).
 * *current is the recorded size. HH_ERR_CONFLICT when expect_old differs;
 * HH_ERR_VERIFY when frozen. HH_OK only once the new state is durable:
 * concurrent advances share one fsync (group commit), and each learns the
 * outcome of the commit that carried its update.
 */
typedef hh_status (*hh_wdb_check_fn)(void *ctx, const struct hh_wdb_state *cur,
                                     struct hh_error *err);
hh_status hh_wdb_advance(struct hh_wdb *w, const char *origin, uint64_t expect_old,
                         uint64_t new_size, const struct hh_hash *root, const char *note,
                         size_t note_len, hh_wdb_check_fn check, void *ctx, uint64_t *current,
                         struct hh_error *err) HH_MUST_CHECK;

/* Marks origin frozen: it will not be cosigned past its current state. */
hh_status hh_wdb_freeze(struct hh_wdb *w, const char *origin, struct hh_error *err) HH_MUST_CHECK;

/*
 * Calls fn for every witnessed log's state, in origin order (the borrow ends
 * at return). fn must not use the database (see "Callbacks" above).
 */
typedef void (*hh_wdb_state_fn)(void *ctx, const char *origin, const struct hh_wdb_state *s);
hh_status hh_wdb_each_state(struct hh_wdb *w, hh_wdb_state_fn fn, void *ctx,
                            struct hh_error *err) HH_MUST_CHECK;

/* Cosignatures on this node's own log, one signature line per (size, witness). */
hh_status hh_wdb_put_cosignature(struct hh_wdb *w, uint64_t size, const char *witness,
                                 const char *line, uint64_t timestamp,
                                 struct hh_error *err) HH_MUST_CHECK;
/* The signature lines for size, concatenated (malloc'd, "" when none). */
hh_status hh_wdb_cosignatures(struct hh_wdb *w, uint64_t size, char **lines, size_t *len,
                              struct hh_error *err) HH_MUST_CHECK;
/* The largest size witness cosigned and its timestamp; HH_ERR_NOT_FOUND when none. */
hh_status hh_wdb_last_cosignature(struct hh_wdb *w, const char *witness, uint64_t *size,
                                  uint64_t *timestamp, struct hh_error *err) HH_MUST_CHECK;

/*
 * Stores an evidence file under key (what it is about: the same conflict
 * seen again has the same key); *id gets its number. HH_ERR_CONFLICT when
 * evidence with that key is already held (nothing is written).
 */
hh_status hh_wdb_add_evidence(struct hh_wdb *w, const char *origin, const char *kind,
                              const char *key, const char *json, size_t len, int64_t *id,
                              struct hh_error *err) HH_MUST_CHECK;
/* Calls fn for every evidence record, oldest first. fn must not use the database. */
typedef void (*hh_wdb_evidence_fn)(void *ctx, int64_t id, const char *origin, const char *kind,
                                   const char *json, size_t len, int64_t time);
hh_status hh_wdb_each_evidence(struct hh_wdb *w, hh_wdb_evidence_fn fn, void *ctx,
                               struct hh_error *err) HH_MUST_CHECK;

/* Peer health: a success, or a failure with its reason. Failures to record are ignored. */
void hh_wdb_peer_ok(struct hh_wdb *w, const char *peer);
void hh_wdb_peer_error(struct hh_wdb *w, const char *peer, const char *reason);
struct hh_wdb_peer {
    int64_t last_ok, last_error_time;
    char last_error[HH_ERROR_MSG_MAX];
    uint64_t failures; /* consecutive */
};
/* The health of peer; all zero (HH_OK) when nothing was recorded. */
hh_status hh_wdb_peer(struct hh_wdb *w, const char *peer, struct hh_wdb_peer *out,
                      struct hh_error *err) HH_MUST_CHECK;

#endif
