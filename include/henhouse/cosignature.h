/*
 * cosignature.h - C2SP tlog-cosignature cosignature/v1 (signature type 0x04).
 *
 * A cosignature is a note signature on a checkpoint by a witness, over
 *   "cosignature/v1\ntime <T>\n" || checkpoint text
 * and carried as base64(key id || u64 big-endian T || Ed25519 signature),
 * 76 bytes. T is at most 2^63-1. The witness key must be a HH_KEY_COSIGNATURE
 * key; one key per cosigner, since the message does not name the cosigner.
 * hh_note_sign_line and hh_note_verify handle 0x04 keys through these.
 */
#ifndef HENHOUSE_COSIGNATURE_H
#define HENHOUSE_COSIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define HH_COSIGNATURE_LEN      72 /* timestamp + Ed25519 signature, after the key id */
#define HH_COSIGNATURE_MAX_TIME INT64_MAX

/*
 * Builds the signed message for text[0..len) at time t: *out is malloc'd and
 * freed by the caller with free().
 */
hh_status hh_cosignature_message(const char *text, size_t len, uint64_t t, char **out,
                                 size_t *outlen) HH_MUST_CHECK;

/* Splits a 72-byte cosignature body into its timestamp and signature. */
hh_status hh_cosignature_split(const uint8_t *body, size_t len, uint64_t *t, const uint8_t **sig,
                               struct hh_error *err) HH_MUST_CHECK;

#endif
