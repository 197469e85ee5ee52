/*
 * mirror.h - a verified copy of another party's log, kept by its witness.
 *
 * A mirror advances only to a checkpoint signed by that log's key (checked
 * by the caller), and only after every new entry was fetched by tiles
 * (tile_source.h, the same client code `henhouse verify` uses), hashed into
 * the tree that the signed root commits to, and found to be a DSSE envelope
 * signed by one of that party's signers. Anything else yields evidence:
 *  - the signed tree does not extend what the mirror holds, or a signed
 *    checkpoint disagrees with it at some size (split-view / inconsistent,
 *    proven with the mirror's own signed checkpoint and proof);
 *  - an entry in the signed tree is signed by nobody authorised
 *    (unauthorised-entry, proven with an inclusion proof);
 *  - the served entries do not hash to the signed root (bad-data).
 * The mirror never moves past the last good point. Its calls are safe from
 * several threads: one sync of a mirror runs at a time.
 */
#ifndef HH_NODE_WITNESS_MIRROR_H
#define HH_NODE_WITNESS_MIRROR_H

#include <henhouse/henhouse.h>

/* The most entries one sync may add (the log must not grow faster between pulls). */
#define HH_MIRROR_MAX_SYNC 65536

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

/* The number of entries the mirror holds. */
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
