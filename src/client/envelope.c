/*
 * envelope.c - the fast check of a log entry's DSSE envelope (envelope.h).
 *
 * The fast path reads only this grammar, with nothing before, between or
 * after its parts:
 *   {"payload":"B64","payloadType":"STR","signatures":[SIG(,SIG)*]}
 *   SIG = {"keyid":"STR","sig":"B64"} | {"sig":"B64"}
 * where STR is printable ASCII without '"' or '\' and B64 is padded standard
 * base64 with zero unused bits. Every such text is valid JSON without
 * duplicate keys, nested three deep, whose strings need no unescaping, so
 * hh_dsse_parse reads the same payload type, payload bytes and signatures
 * from it, provided the limits hold: these are checked here too (type,
 * keyid and signature sizes, at most HH_DSSE_MAX_SIGNATURES signatures).
 * The fast path only ever answers "well-formed and signed"; every other
 * outcome is left to the slow path, whose verdict and message are final.
 */
#include <henhouse/client/envelope.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ED25519_SIG_LEN 64
/* "DSSEv1 " + 3 digits + SP + type + SP + 20 digits + SP, and a NUL (as dsse.c). */
#define PAE_HEADER_MAX (7 + 3 + 1 + HH_DSSE_MAX_TYPE + 1 + 20 + 1 + 1)
#define PAYLOAD_MAX    (HH_DSSE_MAX_BYTES / 4 * 3)

struct hh_entry_scratch {
    uint8_t pae[PAE_HEADER_MAX + PAYLOAD_MAX];
};

/* The fields of a canonical envelope, pointing into the entry. */
struct canonical {
    const char *payload, *type;
    size_t payload_len, type_len;
    const char *sigs[HH_DSSE_MAX_SIGNATURES];
    size_t sig_lens[HH_DSSE_MAX_SIGNATURES];
    size_t nsigs;
};

struct cursor {
    const char *p, *end;
};

/* The value of each standard base64 character; -1 for every other byte ('=' included). */
/* clang-format off */
static const int8_t b64_value[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};
/* clang-format on */

hh_status hh_entry_scratch_new(struct hh_entry_scratch **out, struct hh_error *err)
{
    *out = malloc(sizeof(**out));
    if (*out == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory for an envelope buffer");
    return HH_OK;
}

void hh_entry_scratch_free(struct hh_entry_scratch *s)
{
    free(s);
}

/* ---- base64 ---- */

static int32_t b64(char c)
{
    return b64_value[(unsigned char)c];
}

/* The decoded length of padded base64 text, or SIZE_MAX when its length or padding is wrong. */
static size_t b64_decoded_len(const char *in, size_t len)
{
    size_t pad = 0;

    if (len == 0 || len % 4 != 0)
        return SIZE_MAX;
    if (in[len - 1] == '=')
        pad = in[len - 2] == '=' ? 2 : 1;
    return len / 4 * 3 - pad;
}

/* Decodes the final quad of text with pad '=' (1 or 2) into out; false unless canonical. */
static bool b64_last(const char *q, size_t pad, uint8_t *out)
{
    int32_t a = b64(q[0]), b = b64(q[1]), c = pad == 1 ? b64(q[2]) : 0;

    if ((a | b | c) < 0)
        return false;
    out[0] = (uint8_t)(a << 2 | b >> 4);
    if (pad == 2)
        return (b & 0x0F) == 0;
    out[1] = (uint8_t)((b & 0x0F) << 4 | c >> 2);
    return (c & 0x03) == 0;
}

/*
 * Decodes padded standard base64 in[0..len) into out (b64_decoded_len bytes).
 * False on any other spelling: a character outside the alphabet, '=' but at
 * the end, non-zero unused bits. Such text is left to the slow path.
 */
static bool b64_decode(const char *in, size_t len, uint8_t *out)
{
    size_t pad = 0, full = len;

    if (len == 0 || len % 4 != 0)
        return false;
    if (in[len - 1] == '=') {
        pad = in[len - 2] == '=' ? 2 : 1;
        full -= 4;
    }
    for (size_t i = 0; i < full; i += 4, out += 3) {
        int32_t a = b64(in[i]), b = b64(in[i + 1]), c = b64(in[i + 2]), d = b64(in[i + 3]);
        uint32_t v;
        if ((a | b | c | d) < 0)
            return false;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[0] = (uint8_t)(v >> 16);
        out[1] = (uint8_t)(v >> 8);
        out[2] = (uint8_t)v;
    }
    return pad == 0 || b64_last(in + full, pad, out);
}

/* ---- the canonical grammar ---- */

static bool lit(struct cursor *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}

#define LIT(c, s) lit((c), (s), sizeof(s) - 1)

/* The text up to the next '"' (consumed), at most max bytes; its bytes are checked later. */
static bool raw_string(struct cursor *c, size_t max, const char **s, size_t *n)
{
    const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));

    if (q == NULL || (size_t)(q - c->p) > max)
        return false;
    *s = c->p;
    *n = (size_t)(q - c->p);
    c->p = q + 1;
    return true;
}

/* A string of printable ASCII without escapes, at most max bytes. */
static bool plain_string(struct cursor *c, size_t max, const char **s, size_t *n)
{
    if (!raw_string(c, max, s, n))
        return false;
    for (size_t i = 0; i < *n; i++)
        if ((*s)[i] < 0x20 || (*s)[i] > 0x7E || (*s)[i] == '\\')
            return false;
    return true;
}

static bool canonical_sig(struct cursor *c, struct canonical *e)
{
    const char *keyid;
    size_t keyid_len;

    if (e->nsigs == HH_DSSE_MAX_SIGNATURES || !LIT(c, "{\""))
        return false;
    if (LIT(c, "keyid\":\"") &&
        (!plain_string(c, HH_DSSE_MAX_KEYID, &keyid, &keyid_len) || !LIT(c, ",\"")))
        return false;
    if (!LIT(c, "sig\":\"") || !raw_string(c, hh_base64_len(HH_DSSE_MAX_SIG_BYTES),
                                           &e->sigs[e->nsigs], &e->sig_lens[e->nsigs]))
        return false;
    e->nsigs++;
    return LIT(c, "}");
}

/* Reads entry[0..len) if it is a canonical envelope within the limits. */
static bool canonical(const uint8_t *entry, size_t len, struct canonical *e)
{
    struct cursor c = {(const char *)entry, (const char *)entry + len};

    memset(e, 0, sizeof(*e));
    if (len > HH_DSSE_MAX_BYTES || !LIT(&c, "{\"payload\":\"") ||
        !raw_string(&c, HH_DSSE_MAX_BYTES, &e->payload, &e->payload_len) ||
        !LIT(&c, ",\"payloadType\":\"") ||
        !plain_string(&c, HH_DSSE_MAX_TYPE, &e->type, &e->type_len) ||
        !LIT(&c, ",\"signatures\":[") || !canonical_sig(&c, e))
        return false;
    while (LIT(&c, ","))
        if (!canonical_sig(&c, e))
            return false;
    return LIT(&c, "]}") && c.p == c.end;
}

/* ---- checking ---- */

/* Writes the PAE of e into s; false when its payload is not canonical base64. */
static bool build_pae(struct hh_entry_scratch *s, const struct canonical *e, size_t *len)
{
    size_t plen = b64_decoded_len(e->payload, e->payload_len);
    int n;

    if (plen == SIZE_MAX || plen == 0 || plen > PAYLOAD_MAX)
        return false;
    n = snprintf((char *)s->pae, PAE_HEADER_MAX, "DSSEv1 %zu %.*s %zu ", e->type_len,
                 (int)e->type_len, e->type, plen);
    if (n < 0 || (size_t)n >= PAE_HEADER_MAX || !b64_decode(e->payload, e->payload_len, s->pae + n))
        return false;
    *len = (size_t)n + plen;
    return true;
}

/* Decodes signature i; false unless canonical base64 of at most HH_DSSE_MAX_SIG_BYTES. */
static bool decode_sig(const struct canonical *e, size_t i, uint8_t sig[HH_DSSE_MAX_SIG_BYTES],
                       size_t *len)
{
    *len = b64_decoded_len(e->sigs[i], e->sig_lens[i]);
    return *len <= HH_DSSE_MAX_SIG_BYTES && b64_decode(e->sigs[i], e->sig_lens[i], sig);
}

/*
 * True when e is well-formed and (with signers) one of its signatures
 * verifies over pae under one of them, by hh_dsse_verify's rule: an Ed25519
 * key, a 64-byte signature.
 */
static bool fast_signed(const struct canonical *e, const uint8_t *pae, size_t len,
                        const struct hh_verifier *signers, size_t nsigners)
{
    uint8_t sigs[HH_DSSE_MAX_SIGNATURES][HH_DSSE_MAX_SIG_BYTES];
    size_t lens[HH_DSSE_MAX_SIGNATURES];

    for (size_t i = 0; i < e->nsigs; i++)
        if (!decode_sig(e, i, sigs[i], &lens[i]))
            return false;
    if (nsigners == 0)
        return true;
    for (size_t k = 0; k < nsigners; k++) {
        if (signers[k].type != HH_KEY_ED25519)
            continue;
        for (size_t i = 0; i < e->nsigs; i++)
            if (lens[i] == ED25519_SIG_LEN &&
                hh_verifier_signed(&signers[k], pae, len, sigs[i], ED25519_SIG_LEN))
                return true;
    }
    return false;
}

/* hh_dsse_parse and hh_dsse_verify: the reference verdict and message. */
static hh_status slow_check(const uint8_t *entry, size_t len, const struct hh_verifier *signers,
                            size_t nsigners, struct hh_error *err)
{
    struct hh_dsse *env = NULL;
    size_t nv = 0;
    hh_status rc = hh_dsse_parse((const char *)entry, len, &env, err);

    if (rc == HH_OK && nsigners > 0)
        rc = hh_dsse_verify(env, signers, nsigners, NULL, &nv, err);
    hh_dsse_free(env);
    return rc;
}

hh_status hh_entry_check(struct hh_entry_scratch *s, const uint8_t *entry, size_t len,
                         const struct hh_verifier *signers, size_t nsigners, struct hh_error *err)
{
    struct canonical e;
    size_t pae_len = 0;

    if (s != NULL && canonical(entry, len, &e) && build_pae(s, &e, &pae_len) &&
        fast_signed(&e, s->pae, pae_len, signers, nsigners))
        return HH_OK;
    return slow_check(entry, len, signers, nsigners, err);
}
