/*
 * hash.h - SHA-256, the 32-byte hash value, and the text encodings of bytes.
 *
 * All hashing in henhouse goes through hh_sha256 (and the incremental
 * hh_sha256_ctx), so the implementation is chosen in one place: OpenSSL's
 * libcrypto, which uses the CPU's SHA extensions where present (hash.c). Decoders are strict:
 * base64 must be canonical (padding present, unused bits zero) and must fill
 * exactly the expected length; nothing is read past the given length.
 */
#ifndef HENHOUSE_HASH_H
#define HENHOUSE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define HH_HASH_LEN 32

struct hh_hash {
    uint8_t b[HH_HASH_LEN];
};

/* One-shot SHA-256. */
void hh_sha256(const void *data, size_t len, struct hh_hash *out);

/* Incremental SHA-256 over several parts, for messages built from pieces. */
struct hh_sha256_ctx {
    uint64_t opaque[28]; /* large enough for OpenSSL's SHA256_CTX; checked in hash.c */
};
void hh_sha256_init(struct hh_sha256_ctx *ctx);
void hh_sha256_update(struct hh_sha256_ctx *ctx, const void *data, size_t len);
void hh_sha256_final(struct hh_sha256_ctx *ctx, struct hh_hash *out);

/* True when a and b are equal, in constant time. */
bool hh_hash_equal(const struct hh_hash *a, const struct hh_hash *b);

/* The base64 length (with padding, without NUL) of n bytes. */
size_t hh_base64_len(size_t n);

/*
 * Writes standard padded base64 of in[0..n) and a NUL to out, which holds cap
 * bytes (at least hh_base64_len(n) + 1). Returns HH_ERR_TOO_LARGE if it does not.
 */
hh_status hh_base64_encode(const void *in, size_t n, char *out, size_t cap) HH_MUST_CHECK;

/*
 * Decodes base64 text in[0..len) into out (cap bytes); *outlen gets the decoded
 * length. Standard alphabet only, unless url_safe_too, which also accepts the
 * URL-safe alphabet (with or without padding), as DSSE requires. Rejects any
 * character outside the alphabet, bad padding and non-zero unused bits.
 */
hh_status hh_base64_decode(const char *in, size_t len, bool url_safe_too, uint8_t *out, size_t cap,
                           size_t *outlen, struct hh_error *err) HH_MUST_CHECK;

/* Decodes base64 that must be exactly one 32-byte hash. */
hh_status hh_hash_from_base64(const char *in, size_t len, struct hh_hash *out,
                              struct hh_error *err) HH_MUST_CHECK;

/* Writes lowercase hex of the hash and a NUL (65 bytes). */
void hh_hash_to_hex(const struct hh_hash *h, char out[2 * HH_HASH_LEN + 1]);

/* Parses exactly 64 hex digits. */
hh_status hh_hash_from_hex(const char *in, size_t len, struct hh_hash *out,
                           struct hh_error *err) HH_MUST_CHECK;

/* Parses a canonical unsigned decimal (no sign, no leading zeros but "0") into 64 bits. */
hh_status hh_parse_u64(const char *in, size_t len, uint64_t *out,
                       struct hh_error *err) HH_MUST_CHECK;

#endif
