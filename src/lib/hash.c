/*
 * hash.c - SHA-256 behind one function, and strict text encodings.
 *
 * SHA-256 is OpenSSL's libcrypto through its direct SHA256_* functions: they
 * use the CPU's SHA extensions (SHA-NI) where present and cost no lookup per
 * call, unlike EVP or the one-shot SHA256() of OpenSSL 3, which fetches an
 * implementation each time. On a CPU with SHA-NI this is about 4x
 * libsodium's portable SHA-256 for a 65-byte node and 5x for a 700-byte
 * leaf (BENCHMARKS.md). The functions are deprecated in OpenSSL 3 but
 * present, so the deprecation warnings are suppressed here only. Every
 * other use of libsodium (Ed25519, base64, constant-time compares) stays.
 *
 * Base64 decoding is strict on purpose: a signature or hash has exactly one
 * accepted spelling, so two parties can never disagree on whether a note or
 * checkpoint is the same.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <henhouse/hash.h>

#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(struct hh_sha256_ctx) >= sizeof(SHA256_CTX),
               "hh_sha256_ctx too small for OpenSSL's SHA256_CTX");
_Static_assert(_Alignof(struct hh_sha256_ctx) >= _Alignof(SHA256_CTX),
               "hh_sha256_ctx less aligned than OpenSSL's SHA256_CTX");

static SHA256_CTX *ossl(struct hh_sha256_ctx *ctx)
{
    return (SHA256_CTX *)(void *)ctx;
}

void hh_sha256(const void *data, size_t len, struct hh_hash *out)
{
    SHA256_CTX c;

    SHA256_Init(&c);
    SHA256_Update(&c, data, len);
    SHA256_Final(out->b, &c);
}

void hh_sha256_init(struct hh_sha256_ctx *ctx)
{
    SHA256_Init(ossl(ctx));
}

void hh_sha256_update(struct hh_sha256_ctx *ctx, const void *data, size_t len)
{
    SHA256_Update(ossl(ctx), data, len);
}

void hh_sha256_final(struct hh_sha256_ctx *ctx, struct hh_hash *out)
{
    SHA256_Final(out->b, ossl(ctx));
}

bool hh_hash_equal(const struct hh_hash *a, const struct hh_hash *b)
{
    return sodium_memcmp(a->b, b->b, HH_HASH_LEN) == 0;
}

size_t hh_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

hh_status hh_base64_encode(const void *in, size_t n, char *out, size_t cap)
{
    if (cap < hh_base64_len(n) + 1)
        return HH_ERR_TOO_LARGE;
    sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_ORIGINAL);
    return HH_OK;
}

/* The alphabet of in[0..len): 1 standard, 2 URL-safe, 0 mixed or neither. */
static int base64_variant(const char *in, size_t len)
{
    int std = 0, url = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+' || in[i] == '/')
            std = 1;
        else if (in[i] == '-' || in[i] == '_')
            url = 1;
    }
    if (std && url)
        return 0;
    return url ? 2 : 1;
}

/*
 * True when in[0..len) is all ASCII. libsodium 1.0.18 reads base64 through a
 * signed char and its constant-time comparisons then take every byte above
 * 0x7F for '/' (or '_'), so "\xC5\xAB" would decode like "//": such bytes are
 * refused before libsodium sees them, keeping one spelling per value.
 */
static bool is_ascii(const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)in[i] > 0x7F)
            return false;
    return true;
}

hh_status hh_base64_decode(const char *in, size_t len, bool url_safe_too, uint8_t *out, size_t cap,
                           size_t *outlen, struct hh_error *err)
{
    const char *end = NULL;
    size_t n = 0;
    int variant = sodium_base64_VARIANT_ORIGINAL;

    *outlen = 0;
    if (!is_ascii(in, len)) {
        sodium_memzero(out, cap);
        return hh_error_set(err, HH_ERR_INVALID, "bad base64: a byte above 0x7F");
    }
    if (url_safe_too) {
        int v = base64_variant(in, len);
        if (v == 0)
            return hh_error_set(err, HH_ERR_INVALID,
                                "base64 mixes standard and URL-safe alphabets");
        if (v == 2)
            variant = (len % 4 == 0) ? sodium_base64_VARIANT_URLSAFE
                                     : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
        else if (len % 4 != 0)
            variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    }
    if (len > 0 && (len + 3) / 4 * 3 > cap + 2)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "base64 longer than the %zu bytes expected",
                            cap);
    if (sodium_base642bin(out, cap, in, len, NULL, &n, &end, variant) != 0 || end != in + len) {
        sodium_memzero(out, cap);
        return hh_error_set(err, HH_ERR_INVALID, "bad base64");
    }
    *outlen = n;
    return HH_OK;
}

hh_status hh_hash_from_base64(const char *in, size_t len, struct hh_hash *out, struct hh_error *err)
{
    uint8_t buf[HH_HASH_LEN + 3];
    size_t n = 0;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (len != 44)
        return hh_error_set(err, HH_ERR_INVALID, "a hash is 44 base64 characters, got %zu", len);
    rc = hh_base64_decode(in, len, false, buf, sizeof(buf), &n, err);
    if (rc != HH_OK)
        return rc;
    if (n != HH_HASH_LEN)
        return hh_error_set(err, HH_ERR_INVALID, "a hash is 32 bytes, got %zu", n);
    memcpy(out->b, buf, HH_HASH_LEN);
    return HH_OK;
}

void hh_hash_to_hex(const struct hh_hash *h, char out[2 * HH_HASH_LEN + 1])
{
    sodium_bin2hex(out, 2 * HH_HASH_LEN + 1, h->b, HH_HASH_LEN);
}

hh_status hh_hash_from_hex(const char *in, size_t len, struct hh_hash *out, struct hh_error *err)
{
    size_t n = 0;
    const char *end = NULL;

    memset(out, 0, sizeof(*out));
    if (len != 2 * HH_HASH_LEN)
        return hh_error_set(err, HH_ERR_INVALID, "a hex hash is 64 digits, got %zu", len);
    if (sodium_hex2bin(out->b, HH_HASH_LEN, in, len, NULL, &n, &end) != 0 || n != HH_HASH_LEN ||
        end != in + len) {
        memset(out, 0, sizeof(*out));
        return hh_error_set(err, HH_ERR_INVALID, "bad hex digit");
    }
    return HH_OK;
}

hh_status hh_parse_u64(const char *in, size_t len, uint64_t *out, struct hh_error *err)
{
    uint64_t v = 0;

    *out = 0;
    if (len == 0)
        return hh_error_set(err, HH_ERR_INVALID, "empty number");
    if (len > 1 && in[0] == '0')
        return hh_error_set(err, HH_ERR_INVALID, "number has a leading zero");
    for (size_t i = 0; i < len; i++) {
        if (in[i] < '0' || in[i] > '9')
            return hh_error_set(err, HH_ERR_INVALID, "not a decimal number");
        unsigned d = (unsigned)(in[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return hh_error_set(err, HH_ERR_INVALID, "number exceeds 2^64-1");
        v = v * 10 + d;
    }
    *out = v;
    return HH_OK;
}
