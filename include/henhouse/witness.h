/*
 * witness.h - the C2SP tlog-witness add-checkpoint request body:
 *
 *   "old " <size> "\n"
 *   <base64 consistency-proof hash> "\n"      (0 to 63 lines)
 *   "\n"
 *   <signed checkpoint note>
 *
 * Parsing is strict (canonical decimal, exact 32-byte hashes, at most 63
 * proof lines, a body of at most HH_WITNESS_MAX_BODY bytes) and points into
 * the caller's buffer; nothing is copied.
 */
#ifndef HENHOUSE_WITNESS_H
#define HENHOUSE_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"

#define HH_WITNESS_MAX_PROOF 63
#define HH_WITNESS_MAX_BODY  (128 * 1024)

struct hh_witness_request {
    uint64_t old_size;
    struct hh_hash proof[HH_WITNESS_MAX_PROOF];
    size_t nproof;
    const char *note; /* the signed checkpoint, into the parsed buffer */
    size_t note_len;
};

hh_status hh_witness_request_parse(const char *body, size_t len, struct hh_witness_request *out,
                                   struct hh_error *err) HH_MUST_CHECK;

/* Formats a request; *out is malloc'd (caller frees). */
hh_status hh_witness_request_format(uint64_t old_size, const struct hh_hash *proof, size_t nproof,
                                    const char *note, size_t note_len, char **out, size_t *outlen,
                                    struct hh_error *err) HH_MUST_CHECK;

#endif
