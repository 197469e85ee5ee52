/*
 * key.h - Ed25519 signer and verifier keys in the C2SP signed-note text forms.
 *
 *   signer key:   PRIVATE+KEY+<name>+<hex8 key id>+base64(type || 32-byte seed)
 *   verifier key: <name>+<hex8 key id>+base64(type || 32-byte public key)
 *
 * key id = SHA-256(name || "\n" || type || public key)[:4], big-endian.
 * Two types are supported: HH_KEY_ED25519 (0x01) signs notes, checkpoints and
 * DSSE envelopes; HH_KEY_COSIGNATURE (0x04) makes timestamped cosignature/v1
 * signatures on checkpoints. Parsing checks that the key id matches.
 *
 * A signer's secret lives in sodium_malloc'd memory, wiped on free; it is
 * never written anywhere but the signer-key text the caller asks for.
 */
#ifndef HENHOUSE_KEY_H
#define HENHOUSE_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define HH_KEY_ED25519     0x01
#define HH_KEY_COSIGNATURE 0x04

/* Key names: 1..255 bytes of UTF-8, no spaces, no '+', no control characters. */
#define HH_KEY_NAME_MAX 255
/* Longest text form: PRIVATE+KEY+ (12) + name + '+' + 8 + '+' + base64(33) = 44, and NUL. */
#define HH_KEY_TEXT_MAX (12 + HH_KEY_NAME_MAX + 1 + 8 + 1 + 44 + 1)

struct hh_verifier {
    char name[HH_KEY_NAME_MAX + 1]; /* NUL-terminated */
    uint8_t type;                   /* HH_KEY_ED25519 or HH_KEY_COSIGNATURE */
    uint32_t key_id;
    uint8_t public_key[32];
};

struct hh_signer; /* opaque: holds the secret key */

/* True when name[0..len) is a valid key name. */
bool hh_key_name_valid(const char *name, size_t len);

/* The key id of (name, type, public key). */
uint32_t hh_key_id(const char *name, size_t name_len, uint8_t type, const uint8_t public_key[32]);

/* Generates a fresh key of the given type. *out is freed with hh_signer_free. */
hh_status hh_signer_generate(const char *name, uint8_t type, struct hh_signer **out,
                             struct hh_error *err) HH_MUST_CHECK;

/* Parses signer-key text (surrounding whitespace and one final newline are allowed). */
hh_status hh_signer_parse(const char *text, size_t len, struct hh_signer **out,
                          struct hh_error *err) HH_MUST_CHECK;

/* Wipes and frees; NULL is accepted. */
void hh_signer_free(struct hh_signer *s);

/*
 * Writes the signer-key text and a NUL into out (cap >= HH_KEY_TEXT_MAX). The
 * caller should wipe out with sodium_memzero once written to its 0600 file.
 */
hh_status hh_signer_format(const struct hh_signer *s, char *out, size_t cap) HH_MUST_CHECK;

/* The matching public verifier. */
void hh_signer_verifier(const struct hh_signer *s, struct hh_verifier *out);

/*
 * Signs msg with the raw Ed25519 key (no note framing): 64 bytes to sig.
 * Used by notes, cosignatures and DSSE alike.
 */
void hh_signer_sign_raw(const struct hh_signer *s, const void *msg, size_t len, uint8_t sig[64]);

/* Parses verifier-key text (split on the first two '+'; the base64 may contain '+'). */
hh_status hh_verifier_parse(const char *text, size_t len, struct hh_verifier *out,
                            struct hh_error *err) HH_MUST_CHECK;

/* Writes the verifier-key text and a NUL into out (cap >= HH_KEY_TEXT_MAX). */
hh_status hh_verifier_format(const struct hh_verifier *v, char *out, size_t cap) HH_MUST_CHECK;

/* True when sig is v's Ed25519 signature of msg (libsodium's rules; see docs/ed25519.md). */
bool hh_verifier_signed(const struct hh_verifier *v, const void *msg, size_t len,
                        const uint8_t *sig, size_t sig_len);

#endif
