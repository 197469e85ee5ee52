/*
 * envelope.h - checking one log entry as a DSSE envelope, fast.
 *
 * hh_entry_check gives exactly the verdict of hh_dsse_parse followed by
 * hh_dsse_verify (dsse.h), with the same codes and messages, at a fraction
 * of the cost for the entries a log actually holds: the canonical form the
 * server writes (compact JSON, sorted keys, printable ASCII strings without
 * escapes, padded standard base64). Such an entry is read in place with no
 * JSON library and no allocation, its payload decoded straight behind the
 * PAE header in a scratch buffer, and its signatures checked there.
 * Anything else, and any entry the fast path does not accept, goes through
 * hh_dsse_parse and hh_dsse_verify, which decide. The fast path accepts a
 * strict subset of what hh_dsse_parse accepts and reads the same fields
 * from it, so the two can never disagree (tests/node/test_verify_pipeline.c
 * compares them on random and mutated envelopes).
 *
 * A scratch buffer belongs to one thread at a time.
 */
#ifndef HENHOUSE_CLIENT_ENVELOPE_H
#define HENHOUSE_CLIENT_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

struct hh_entry_scratch;

/* A scratch buffer for PAE bytes (about 50 KB). Free with hh_entry_scratch_free. */
hh_status hh_entry_scratch_new(struct hh_entry_scratch **out, struct hh_error *err) HH_MUST_CHECK;
void hh_entry_scratch_free(struct hh_entry_scratch *s);

/*
 * HH_OK when entry[0..len) is a well-formed envelope and, with nsigners > 0,
 * an Ed25519 signature in it verifies under one of signers. Otherwise the
 * code and message of hh_dsse_parse when it is malformed (HH_ERR_INVALID,
 * HH_ERR_TOO_LARGE, HH_ERR_NOMEM), or of hh_dsse_verify when it is not
 * signed by any signer (HH_ERR_VERIFY). s may be NULL (then only the slow
 * path runs).
 */
hh_status hh_entry_check(struct hh_entry_scratch *s, const uint8_t *entry, size_t len,
                         const struct hh_verifier *signers, size_t nsigners,
                         struct hh_error *err) HH_MUST_CHECK;

#endif
