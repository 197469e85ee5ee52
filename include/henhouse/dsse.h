/*
 * dsse.h - DSSE v1 envelopes signed with Ed25519.
 *
 * PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body.
 * The JSON envelope {"payload", "payloadType", "signatures": [{"keyid", "sig"}]}
 * is parsed strictly within limits (size, depth, signature count); base64 in
 * payload and sig may be standard or URL-safe; unknown fields are ignored.
 * A statement's id is SHA-256 of its PAE bytes. Signatures verify over PAE;
 * one key counts once however often it signed.
 */
#ifndef HENHOUSE_DSSE_H
#define HENHOUSE_DSSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "key.h"

#define HH_DSSE_MAX_BYTES      65535 /* one envelope is one log entry */
#define HH_DSSE_MAX_DEPTH      8
#define HH_DSSE_MAX_SIGNATURES 16
#define HH_DSSE_MAX_SIG_BYTES  512
#define HH_DSSE_MAX_TYPE       256
#define HH_DSSE_MAX_KEYID      300

struct hh_dsse_sig {
    char keyid[HH_DSSE_MAX_KEYID + 1]; /* unauthenticated hint, may be empty */
    uint8_t sig[HH_DSSE_MAX_SIG_BYTES];
    size_t sig_len;
};

struct hh_dsse {
    char payload_type[HH_DSSE_MAX_TYPE + 1];
    uint8_t *payload; /* malloc'd */
    size_t payload_len;
    struct hh_dsse_sig sigs[HH_DSSE_MAX_SIGNATURES];
    size_t nsigs;
};

/* Parses a JSON envelope. *out is freed with hh_dsse_free. */
hh_status hh_dsse_parse(const char *json, size_t len, struct hh_dsse **out,
                        struct hh_error *err) HH_MUST_CHECK;
void hh_dsse_free(struct hh_dsse *e);

/* PAE bytes of (type, payload): *out is malloc'd, freed by the caller with free(). */
hh_status hh_dsse_pae(const char *type, const uint8_t *payload, size_t len, uint8_t **out,
                      size_t *outlen) HH_MUST_CHECK;

/* The statement id: SHA-256 of the envelope's PAE. */
hh_status hh_dsse_id(const struct hh_dsse *e, struct hh_hash *out) HH_MUST_CHECK;

/*
 * Makes an envelope over payload signed by every signer in order (keyid =
 * "<name>+<hex key id>"). *out is the new envelope (hh_dsse_free).
 */
hh_status hh_dsse_sign(const char *type, const uint8_t *payload, size_t len,
                       struct hh_signer *const *signers, size_t nsigners, struct hh_dsse **out,
                       struct hh_error *err) HH_MUST_CHECK;

/* Serialises as compact JSON with sorted keys; *out malloc'd, NUL-terminated. */
hh_status hh_dsse_format(const struct hh_dsse *e, char **out, size_t *outlen,
                         struct hh_error *err) HH_MUST_CHECK;

/*
 * Verifies e's signatures over its PAE against keys[0..nkeys) (type 0x01).
 * verified[i] is set to 1 for each key with a valid signature, 0 otherwise;
 * *nverified gets the number of distinct keys. HH_OK when at least one key
 * verified; HH_ERR_VERIFY when none did.
 */
hh_status hh_dsse_verify(const struct hh_dsse *e, const struct hh_verifier *keys, size_t nkeys,
                         uint8_t *verified, size_t *nverified, struct hh_error *err) HH_MUST_CHECK;

#endif
