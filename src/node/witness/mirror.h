/*
 * mirror.h - keeping a verified copy of another party's log.
 *
 * A mirror advances only to a checkpoint signed by that log's key, and only
 * after every new entry was fetched (tlog-tiles entry bundles), hashed into
 * the tree that the signed root commits to, and found to be a DSSE envelope
 * signed by one of that party's signers. Anything else yields evidence:
 *  - the signed tree does not extend what the mirror holds, or a signed
 *    checkpoint disagrees with it at some size (split-view / inconsistent,
 *    proven with the mirror's own signed checkpoint and proof);
 *  - an entry in the signed tree is signed by nobody authorised
 *    (unauthorised-entry, proven with an inclusion proof);
 *  - the served entries do not hash to the signed root (bad-data).
 * The mirror never moves past the last good point.
 */
#ifndef HH_NODE_MIRROR_H
#define HH_NODE_MIRROR_H

#include <henhouse/henhouse.h>

#include <henhouse/client/http_client.h>
#include "node.h"

/* The most entries one sync may add (the log must not grow faster between pulls). */
#define HH_MIRROR_MAX_SYNC HH_STORE_MAX_BATCH

/*
 * Checks the verified checkpoint cp (whose signed note is note[0..len))
 * against log's mirror, fetching what is missing over http. HH_OK when the
 * mirror now holds the log at least up to cp->size and agrees with cp.
 * HH_ERR_VERIFY with *evidence (malloc'd JSON; caller frees) on
 * misbehaviour; other errors (HH_ERR_IO...) when it could not tell.
 */
hh_status hh_mirror_check(struct hh_peer_log *log, struct hh_http_client *http,
                          const struct hh_checkpoint *cp, const char *note, size_t len,
                          const char *observer, char **evidence,
                          struct hh_error *err) HH_MUST_CHECK;

/*
 * Verifies a signed checkpoint note of log: its signature by the log key and
 * its origin. *cp gets the parsed checkpoint.
 */
hh_status hh_mirror_verify_note(const struct hh_peer_log *log, const char *note, size_t len,
                                struct hh_checkpoint *cp, struct hh_error *err) HH_MUST_CHECK;

#endif
