/*
 * mirror.h - a verified copy of another party's log, kept by its witness.
 *
 * A mirror advances only to a checkpoint signed by that log's key (checked
 * by the caller), and only after every new entry was fetched by tiles
 * (tile_source.h, through the same bundle pipeline `henhouse verify` uses:
 * several fetches in flight, signatures checked on every core), hashed into
 * the tree that the signed root commits to, and found to be a DSSE envelope
 * signed by one of that party's signers. Anything else yields evidence:
 *  - the signed tree does not extend what the mirror holds, or a signed
 *    checkpoint disagrees with it at some size (split-view / inconsistent,
 *    proven with the mirror's own signed checkpoint and a proof from its
 *    store or, for a tree that rewrote it, from the log's own hash tiles);
 *  - an entry in the signed tree is signed by nobody authorised
 *    (unauthorised-entry, proven with an inclusion proof from the log's
 *    hash tiles, verified against the signed root);
 *  - the served entries do not hash to the signed root (bad-data).
 * There is no limit on how far one check catches up: new entries are
 * written to the mirror's store in batches (at most HH_MIRROR_BATCH
 * entries or HH_MIRROR_BATCH_BYTES each); a check holds at most two
 * batches and the pipeline's 64 bundles read ahead, so memory stays
 * bounded whatever the log's size. A batch
 * is written only once all its entries are verified and the tree they
 * complete is proven to be part of the signed tree; the checkpoint is
 * stored only after the last batch, when the root equals the signed one.
 * So the mirror never holds an entry that is not in the log's signed tree
 * at its index, and never a checkpoint it has not verified in full. Its
 * calls are safe from several threads: one check of a mirror runs at a
 * time.
 */
#ifndef HH_NODE_WITNESS_MIRROR_H
#define HH_NODE_WITNESS_MIRROR_H

#include <henhouse/henhouse.h>

/* The most entries, and bytes of entries, one batch of a check writes to the store. */
#define HH_MIRROR_BATCH       65536 /* HH_STORE_MAX_BATCH */
#define HH_MIRROR_BATCH_BYTES (32 * 1024 * 1024)

struct hh_mirror;

struct hh_mirror_config {
    const char *origin;                /* the log's checkpoint origin */
    const char *url;                   /* where its tiles are served */
    const struct hh_verifier *log_key; /* copied */
    const struct hh_verifier *signers; /* copied; at least one */
    size_t nsigners;
    const char *store_uri; /* the mirror's own store (storage/store.h) */
};

/* Opens (creating if needed) the mirror's store. *out is closed with hh_mirror_close. */
hh_status hh_mirror_open(const struct hh_mirror_config *cfg, struct hh_mirror **out,
                         struct hh_error *err) HH_MUST_CHECK;
void hh_mirror_close(struct hh_mirror *m);

/*
 * Tuning, for tests and benchmarks (the defaults suit a node): entries per
 * store batch, 256..HH_MIRROR_BATCH (0: HH_MIRROR_BATCH); signature-checking
 * threads, 1..HH_PIPELINE_MAX_THREADS (0: one per CPU). Call before a check.
 */
struct hh_mirror_tuning {
    uint32_t batch;
    unsigned threads;
};
hh_status hh_mirror_tune(struct hh_mirror *m, const struct hh_mirror_tuning *t,
                         struct hh_error *err) HH_MUST_CHECK;

/*
 * The number of entries the mirror holds: its latest checkpoint's size, or
 * more when a check wrote some batches and then stopped (an I/O error, or a
 * verdict against a later batch); those entries were proven in a signed tree.
 */
hh_status hh_mirror_size(struct hh_mirror *m, uint64_t *size, struct hh_error *err) HH_MUST_CHECK;

/*
 * Checks the verified checkpoint cp (whose signed note is note[0..len))
 * against the mirror, fetching what is missing. HH_OK when the mirror now
 * holds the log at least up to cp->size and agrees with cp. HH_ERR_VERIFY
 * with *evidence (malloc'd JSON; caller frees) on provable misbehaviour, or
 * without it when the log served malformed tiles; other errors (HH_ERR_IO...)
 * when it could not tell. observer names this witness in the evidence.
 */
hh_status hh_mirror_check(struct hh_mirror *m, const struct hh_checkpoint *cp, const char *note,
                          size_t len, const char *observer, char **evidence,
                          struct hh_error *err) HH_MUST_CHECK;

#endif
