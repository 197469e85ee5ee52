/*
 * key.c - Ed25519 signer and verifier keys in the C2SP signed-note text forms.
 *
 * A parsed key is always consistent: its name is valid, its type is 0x01 or
 * 0x04 and its key id is the one recomputed from (name, type, public key), so
 * a key text with a wrong id is refused rather than silently repaired. The
 * signer's seed and expanded secret key live only in sodium_malloc'd memory,
 * wiped on free; hh_signer_format is the only function that writes the seed
 * out. Verification is libsodium's crypto_sign_verify_detached, whose edge
 * case rules are the consensus rule of henhouse (docs/ed25519.md).
 */
#include <henhouse/hash.h>
#include <henhouse/key.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define KEY_RAW_LEN       33 /* type byte and 32-byte seed or public key */
#define KEY_B64_LEN       44 /* base64 of KEY_RAW_LEN bytes */
#define SIGNER_PREFIX     "PRIVATE+KEY+"
#define SIGNER_PREFIX_LEN 12

struct hh_signer {
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key, as libsodium wants it */
    uint8_t raw[KEY_RAW_LEN];               /* type || seed, as the key text carries it */
    uint8_t type;
    uint32_t key_id;
    size_t name_len;
    char name[HH_KEY_NAME_MAX + 1];
};

/* sodium_malloc places the block at the end of a page: round up to keep it aligned. */
#define SIGNER_ALLOC_SIZE ((sizeof(struct hh_signer) + 15) / 16 * 16)

static bool key_type_valid(uint8_t type)
{
    return type == HH_KEY_ED25519 || type == HH_KEY_COSIGNATURE;
}

/* A name code point must not be a control character, a space or '+'. */
static bool name_char_valid(uint32_t cp)
{
    return cp != '+' && !hh_utf8_is_control(cp) && !hh_utf8_is_space(cp);
}

bool hh_key_name_valid(const char *name, size_t len)
{
    const uint8_t *p = (const uint8_t *)name;
    size_t i = 0;

    if (name == NULL || len == 0 || len > HH_KEY_NAME_MAX)
        return 0;
    while (i < len) {
        uint32_t cp;
        size_t n = hh_utf8_decode(p + i, len - i, &cp);
        if (n == 0 || !name_char_valid(cp))
            return 0;
        i += n;
    }
    return 1;
}

uint32_t hh_key_id(const char *name, size_t name_len, uint8_t type, const uint8_t public_key[32])
{
    struct hh_sha256_ctx ctx;
    struct hh_hash h;
    const uint8_t nl = '\n';

    hh_sha256_init(&ctx);
    hh_sha256_update(&ctx, name, name_len);
    hh_sha256_update(&ctx, &nl, 1);
    hh_sha256_update(&ctx, &type, 1);
    hh_sha256_update(&ctx, public_key, 32);
    hh_sha256_final(&ctx, &h);
    return (uint32_t)h.b[0] << 24 | (uint32_t)h.b[1] << 16 | (uint32_t)h.b[2] << 8 | h.b[3];
}

static hh_status signer_alloc(struct hh_signer **out, struct hh_error *err)
{
    *out = sodium_malloc(SIGNER_ALLOC_SIZE);
    if (*out == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "cannot allocate secure memory for a signer key");
    sodium_memzero(*out, SIGNER_ALLOC_SIZE);
    return HH_OK;
}

void hh_signer_free(struct hh_signer *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s, SIGNER_ALLOC_SIZE);
    sodium_free(s);
}

/* Derives the key pair and id from s->raw (type || seed) and the name already in s. */
static void signer_derive(struct hh_signer *s)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];

    s->type = s->raw[0];
    crypto_sign_seed_keypair(pk, s->sk, s->raw + 1);
    s->key_id = hh_key_id(s->name, s->name_len, s->type, pk);
}

static hh_status signer_set_name(struct hh_signer *s, const char *name, size_t len,
                                 struct hh_error *err)
{
    if (!hh_key_name_valid(name, len))
        return hh_error_set(err, HH_ERR_INVALID,
                            "invalid key name: need 1..%d bytes of UTF-8 without spaces, '+' "
                            "or control characters",
                            HH_KEY_NAME_MAX);
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    s->name_len = len;
    return HH_OK;
}

hh_status hh_signer_generate(const char *name, uint8_t type, struct hh_signer **out,
                             struct hh_error *err)
{
    struct hh_signer *s = NULL;
    hh_status rc;

    *out = NULL;
    if (!key_type_valid(type))
        return hh_error_set(err, HH_ERR_INVALID, "unsupported key type 0x%02x (want 0x01 or 0x04)",
                            type);
    rc = signer_alloc(&s, err);
    if (rc != HH_OK)
        return rc;
    rc = signer_set_name(s, name, name == NULL ? 0 : strlen(name), err);
    if (rc != HH_OK)
        goto out;
    s->raw[0] = type;
    randombytes_buf(s->raw + 1, 32);
    signer_derive(s);
    *out = s;
    s = NULL;
out:
    hh_signer_free(s);
    return rc;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Narrows text[0..*len) to exclude surrounding whitespace. */
static const char *trim(const char *text, size_t *len)
{
    while (*len > 0 && is_blank(text[0])) {
        text++;
        (*len)--;
    }
    while (*len > 0 && is_blank(text[*len - 1]))
        (*len)--;
    return text;
}

/* Finds the first '+' in s[0..len); returns its index, or len when there is none. */
static size_t find_plus(const char *s, size_t len)
{
    const char *p = memchr(s, '+', len);
    return p == NULL ? len : (size_t)(p - s);
}

/* Parses exactly 8 lowercase hex digits. */
static hh_status parse_key_id(const char *s, size_t len, uint32_t *out, struct hh_error *err)
{
    uint32_t v = 0;

    *out = 0;
    if (len != 8)
        return hh_error_set(err, HH_ERR_INVALID, "key id must be 8 hex digits, got %zu characters",
                            len);
    for (size_t i = 0; i < 8; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else
            return hh_error_set(err, HH_ERR_INVALID, "key id has a non-lowercase-hex character");
        v = v << 4 | d;
    }
    *out = v;
    return HH_OK;
}

/* The three '+'-separated fields name, key id and base64 (which may itself contain '+'). */
struct key_fields {
    const char *name, *id, *b64;
    size_t name_len, id_len, b64_len;
};

static hh_status split_fields(const char *s, size_t len, struct key_fields *f, struct hh_error *err)
{
    size_t a = find_plus(s, len), b;

    memset(f, 0, sizeof(*f));
    if (a == len)
        return hh_error_set(err, HH_ERR_INVALID, "key text has no '+' after the name");
    b = a + 1 + find_plus(s + a + 1, len - a - 1);
    if (b == len)
        return hh_error_set(err, HH_ERR_INVALID, "key text has no '+' after the key id");
    f->name = s;
    f->name_len = a;
    f->id = s + a + 1;
    f->id_len = b - a - 1;
    f->b64 = s + b + 1;
    f->b64_len = len - b - 1;
    return HH_OK;
}

/* Decodes base64(type || 32 bytes) into raw and checks the type. */
static hh_status decode_key_raw(const struct key_fields *f, uint8_t raw[KEY_RAW_LEN],
                                struct hh_error *err)
{
    size_t n = 0;
    hh_status rc;

    if (f->b64_len != KEY_B64_LEN)
        return hh_error_set(err, HH_ERR_INVALID, "key data must be %d base64 characters, got %zu",
                            KEY_B64_LEN, f->b64_len);
    rc = hh_base64_decode(f->b64, f->b64_len, false, raw, KEY_RAW_LEN, &n, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "key data");
    if (n != KEY_RAW_LEN)
        return hh_error_set(err, HH_ERR_INVALID, "key data must be %d bytes, got %zu", KEY_RAW_LEN,
                            n);
    if (!key_type_valid(raw[0]))
        return hh_error_set(err, HH_ERR_INVALID, "unsupported key type 0x%02x (want 0x01 or 0x04)",
                            raw[0]);
    return HH_OK;
}

static hh_status check_key_id(uint32_t want, uint32_t got, struct hh_error *err)
{
    if (want != got)
        return hh_error_set(err, HH_ERR_INVALID,
                            "key id %08x does not match the key (its id is %08x)", want, got);
    return HH_OK;
}

/* Fills s from the fields of signer text; the seed is decoded straight into secure memory. */
static hh_status signer_from_fields(struct hh_signer *s, const struct key_fields *f,
                                    struct hh_error *err)
{
    uint32_t want = 0;
    hh_status rc;

    rc = signer_set_name(s, f->name, f->name_len, err);
    if (rc == HH_OK)
        rc = parse_key_id(f->id, f->id_len, &want, err);
    if (rc == HH_OK)
        rc = decode_key_raw(f, s->raw, err);
    if (rc != HH_OK)
        return rc;
    signer_derive(s);
    return check_key_id(want, s->key_id, err);
}

hh_status hh_signer_parse(const char *text, size_t len, struct hh_signer **out,
                          struct hh_error *err)
{
    struct hh_signer *s = NULL;
    struct key_fields f;
    hh_status rc;

    *out = NULL;
    text = trim(text, &len);
    if (len > HH_KEY_TEXT_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "signer key text longer than %d bytes",
                            HH_KEY_TEXT_MAX);
    if (len < SIGNER_PREFIX_LEN || memcmp(text, SIGNER_PREFIX, SIGNER_PREFIX_LEN) != 0)
        return hh_error_set(err, HH_ERR_INVALID, "signer key text must start with PRIVATE+KEY+");
    rc = split_fields(text + SIGNER_PREFIX_LEN, len - SIGNER_PREFIX_LEN, &f, err);
    if (rc != HH_OK)
        return rc;
    rc = signer_alloc(&s, err);
    if (rc != HH_OK)
        return rc;
    rc = signer_from_fields(s, &f, err);
    if (rc != HH_OK)
        goto out;
    *out = s;
    s = NULL;
out:
    hh_signer_free(s);
    return rc;
}

/* Writes "<name>+<id>+" and base64(raw) into out; *used gets the length written. */
static hh_status format_key(const char *prefix, const char *name, uint32_t key_id,
                            const uint8_t raw[KEY_RAW_LEN], char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s+%08x+", prefix, name, (unsigned)key_id);

    if (n < 0 || (size_t)n >= cap)
        goto too_large;
    if (hh_base64_encode(raw, KEY_RAW_LEN, out + n, cap - (size_t)n) != HH_OK)
        goto too_large;
    return HH_OK;
too_large:
    if (cap > 0)
        out[0] = '\0';
    return HH_ERR_TOO_LARGE;
}

hh_status hh_signer_format(const struct hh_signer *s, char *out, size_t cap)
{
    return format_key(SIGNER_PREFIX, s->name, s->key_id, s->raw, out, cap);
}

void hh_signer_verifier(const struct hh_signer *s, struct hh_verifier *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->name, s->name, s->name_len);
    out->type = s->type;
    out->key_id = s->key_id;
    memcpy(out->public_key, s->sk + crypto_sign_SEEDBYTES, 32);
}

void hh_signer_sign_raw(const struct hh_signer *s, const void *msg, size_t len, uint8_t sig[64])
{
    crypto_sign_detached(sig, NULL, msg, len, s->sk);
}

static hh_status verifier_from_fields(struct hh_verifier *v, const struct key_fields *f,
                                      struct hh_error *err)
{
    uint8_t raw[KEY_RAW_LEN];
    uint32_t want = 0;
    hh_status rc;

    if (!hh_key_name_valid(f->name, f->name_len))
        return hh_error_set(err, HH_ERR_INVALID,
                            "invalid key name: need 1..%d bytes of UTF-8 without spaces, '+' "
                            "or control characters",
                            HH_KEY_NAME_MAX);
    rc = parse_key_id(f->id, f->id_len, &want, err);
    if (rc == HH_OK)
        rc = decode_key_raw(f, raw, err);
    if (rc != HH_OK)
        return rc;
    memcpy(v->name, f->name, f->name_len);
    v->type = raw[0];
    memcpy(v->public_key, raw + 1, 32);
    v->key_id = hh_key_id(f->name, f->name_len, v->type, v->public_key);
    return check_key_id(want, v->key_id, err);
}

hh_status hh_verifier_parse(const char *text, size_t len, struct hh_verifier *out,
                            struct hh_error *err)
{
    struct key_fields f;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    text = trim(text, &len);
    if (len > HH_KEY_TEXT_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "verifier key text longer than %d bytes",
                            HH_KEY_TEXT_MAX);
    rc = split_fields(text, len, &f, err);
    if (rc == HH_OK)
        rc = verifier_from_fields(out, &f, err);
    if (rc != HH_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

hh_status hh_verifier_format(const struct hh_verifier *v, char *out, size_t cap)
{
    uint8_t raw[KEY_RAW_LEN];
    size_t name_len = strnlen(v->name, sizeof(v->name));

    if (!hh_key_name_valid(v->name, name_len) || !key_type_valid(v->type) ||
        hh_key_id(v->name, name_len, v->type, v->public_key) != v->key_id) {
        if (cap > 0)
            out[0] = '\0';
        return HH_ERR_INVALID;
    }
    raw[0] = v->type;
    memcpy(raw + 1, v->public_key, 32);
    return format_key("", v->name, v->key_id, raw, out, cap);
}

bool hh_verifier_signed(const struct hh_verifier *v, const void *msg, size_t len,
                        const uint8_t *sig, size_t sig_len)
{
    if (sig == NULL || sig_len != crypto_sign_BYTES)
        return false;
    return crypto_sign_verify_detached(sig, msg, len, v->public_key) == 0;
}
