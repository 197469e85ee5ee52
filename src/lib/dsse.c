/*
 * dsse.c - DSSE v1 envelopes: PAE, strict JSON parsing, signing, verifying.
 *
 * Parsing refuses input over HH_DSSE_MAX_BYTES and nesting deeper than
 * HH_DSSE_MAX_DEPTH before jansson sees it (so no hostile input reaches the
 * recursive parser), then refuses duplicate keys and wrong types. Unknown
 * fields are ignored, as the spec requires. Verification is over the PAE of
 * the parsed type and payload, so the bytes verified are the bytes handed on;
 * one key counts once however many of its signatures verify.
 */
#include <henhouse/dsse.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_limits.h"

#define ED25519_SIG_LEN 64
/* "DSSEv1 " + 3 digits + SP + type + SP + 20 digits + SP, and a NUL. */
#define PAE_HEADER_MAX (7 + 3 + 1 + HH_DSSE_MAX_TYPE + 1 + 20 + 1 + 1)

/* Writes the PAE up to the body; returns its length, or 0 if type is too long. */
static size_t pae_header(const char *type, size_t body_len, char out[PAE_HEADER_MAX])
{
    size_t tlen = strnlen(type, HH_DSSE_MAX_TYPE + 1);
    int n;

    if (tlen > HH_DSSE_MAX_TYPE)
        return 0;
    n = snprintf(out, PAE_HEADER_MAX, "DSSEv1 %zu %s %zu ", tlen, type, body_len);
    if (n < 0 || (size_t)n >= PAE_HEADER_MAX)
        return 0;
    return (size_t)n;
}

hh_status hh_dsse_pae(const char *type, const uint8_t *payload, size_t len, uint8_t **out,
                      size_t *outlen)
{
    char header[PAE_HEADER_MAX];
    size_t hlen = pae_header(type, len, header);

    *out = NULL;
    *outlen = 0;
    if (hlen == 0)
        return HH_ERR_TOO_LARGE;
    if (len > SIZE_MAX - hlen - 1)
        return HH_ERR_TOO_LARGE;
    *out = malloc(hlen + len + 1);
    if (*out == NULL)
        return HH_ERR_NOMEM;
    memcpy(*out, header, hlen);
    if (len > 0)
        memcpy(*out + hlen, payload, len);
    *outlen = hlen + len;
    return HH_OK;
}

hh_status hh_dsse_id(const struct hh_dsse *e, struct hh_hash *out)
{
    char header[PAE_HEADER_MAX];
    size_t hlen = pae_header(e->payload_type, e->payload_len, header);
    struct hh_sha256_ctx ctx;

    memset(out, 0, sizeof(*out));
    if (hlen == 0)
        return HH_ERR_TOO_LARGE;
    hh_sha256_init(&ctx);
    hh_sha256_update(&ctx, header, hlen);
    if (e->payload_len > 0)
        hh_sha256_update(&ctx, e->payload, e->payload_len);
    hh_sha256_final(&ctx, out);
    return HH_OK;
}

void hh_dsse_free(struct hh_dsse *e)
{
    if (e == NULL)
        return;
    free(e->payload);
    free(e);
}

/* The string member `name` of obj; HH_ERR_NOT_FOUND if absent and optional. */
static hh_status get_string(const json_t *obj, const char *name, bool required, const char **s,
                            size_t *len, struct hh_error *err)
{
    const json_t *v = json_object_get(obj, name);

    *s = NULL;
    *len = 0;
    if (v == NULL && !required)
        return HH_ERR_NOT_FOUND;
    if (v == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "envelope has no \"%s\"", name);
    if (!json_is_string(v))
        return hh_error_set(err, HH_ERR_INVALID, "envelope \"%s\" is not a string", name);
    *s = json_string_value(v);
    *len = json_string_length(v);
    return HH_OK;
}

static hh_status parse_payload(const json_t *root, struct hh_dsse *e, struct hh_error *err)
{
    const char *s;
    size_t len, cap;
    hh_status rc = get_string(root, "payload", true, &s, &len, err);

    if (rc != HH_OK)
        return rc;
    cap = len / 4 * 3 + 3;
    e->payload = malloc(cap);
    if (e->payload == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory for the payload");
    rc = hh_base64_decode(s, len, true, e->payload, cap, &e->payload_len, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "payload");
    return HH_OK;
}

static hh_status parse_type(const json_t *root, struct hh_dsse *e, struct hh_error *err)
{
    const char *s;
    size_t len;
    hh_status rc = get_string(root, "payloadType", true, &s, &len, err);

    if (rc != HH_OK)
        return rc;
    if (len > HH_DSSE_MAX_TYPE)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "payloadType of %zu bytes exceeds %d", len,
                            HH_DSSE_MAX_TYPE);
    memcpy(e->payload_type, s, len);
    e->payload_type[len] = '\0';
    return HH_OK;
}

static hh_status parse_keyid(const json_t *obj, struct hh_dsse_sig *sig, size_t i,
                             struct hh_error *err)
{
    const char *s;
    size_t len;
    hh_status rc = get_string(obj, "keyid", false, &s, &len, err);

    if (rc == HH_ERR_NOT_FOUND)
        return HH_OK;
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "signature %zu", i);
    if (len > HH_DSSE_MAX_KEYID)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "signature %zu keyid of %zu bytes exceeds %d", i,
                            len, HH_DSSE_MAX_KEYID);
    memcpy(sig->keyid, s, len);
    sig->keyid[len] = '\0';
    return HH_OK;
}

/* Decodes the base64 signature: at most 684 characters, so at most 513 bytes before the check. */
static hh_status decode_sig(const char *s, size_t len, struct hh_dsse_sig *sig, size_t i,
                            struct hh_error *err)
{
    uint8_t buf[HH_DSSE_MAX_SIG_BYTES + 3];
    size_t n = 0;
    hh_status rc;

    if (len > hh_base64_len(HH_DSSE_MAX_SIG_BYTES))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "signature %zu of %zu base64 bytes exceeds %zu",
                            i, len, hh_base64_len(HH_DSSE_MAX_SIG_BYTES));
    rc = hh_base64_decode(s, len, true, buf, sizeof(buf), &n, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "signature %zu", i);
    if (n > HH_DSSE_MAX_SIG_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "signature %zu of %zu bytes exceeds %d", i, n,
                            HH_DSSE_MAX_SIG_BYTES);
    memcpy(sig->sig, buf, n);
    sig->sig_len = n;
    return HH_OK;
}

static hh_status parse_sig(const json_t *obj, struct hh_dsse_sig *sig, size_t i,
                           struct hh_error *err)
{
    const char *s;
    size_t len;
    hh_status rc;

    if (!json_is_object(obj))
        return hh_error_set(err, HH_ERR_INVALID, "signature %zu is not an object", i);
    rc = get_string(obj, "sig", true, &s, &len, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "signature %zu", i);
    rc = decode_sig(s, len, sig, i, err);
    if (rc != HH_OK)
        return rc;
    return parse_keyid(obj, sig, i, err);
}

static hh_status parse_sigs(const json_t *root, struct hh_dsse *e, struct hh_error *err)
{
    const json_t *sigs = json_object_get(root, "signatures");
    size_t n;
    hh_status rc;

    if (sigs == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "envelope has no \"signatures\"");
    if (!json_is_array(sigs))
        return hh_error_set(err, HH_ERR_INVALID, "envelope \"signatures\" is not an array");
    n = json_array_size(sigs);
    if (n > HH_DSSE_MAX_SIGNATURES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "envelope has %zu signatures, limit %d", n,
                            HH_DSSE_MAX_SIGNATURES);
    for (size_t i = 0; i < n; i++) {
        rc = parse_sig(json_array_get(sigs, i), &e->sigs[i], i, err);
        if (rc != HH_OK)
            return rc;
    }
    e->nsigs = n;
    return HH_OK;
}

static hh_status load_json(const char *json, size_t len, json_t **root, struct hh_error *err)
{
    return hh__json_load_object(json, len, HH_DSSE_MAX_BYTES, HH_DSSE_MAX_DEPTH, "envelope", root,
                                err);
}

hh_status hh_dsse_parse(const char *json, size_t len, struct hh_dsse **out, struct hh_error *err)
{
    json_t *root = NULL;
    struct hh_dsse *e = NULL;
    hh_status rc;

    *out = NULL;
    rc = load_json(json, len, &root, err);
    if (rc != HH_OK)
        goto out;
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        rc = hh_error_set(err, HH_ERR_NOMEM, "out of memory for an envelope");
        goto out;
    }
    rc = parse_payload(root, e, err);
    if (rc == HH_OK)
        rc = parse_type(root, e, err);
    if (rc == HH_OK)
        rc = parse_sigs(root, e, err);
    if (rc == HH_OK) {
        *out = e;
        e = NULL;
    }
out:
    hh_dsse_free(e);
    json_decref(root);
    return rc;
}

/* Checks that type is valid UTF-8 of at most HH_DSSE_MAX_TYPE bytes (JSON needs UTF-8). */
static hh_status check_type(const char *type, struct hh_error *err)
{
    size_t len = strnlen(type, HH_DSSE_MAX_TYPE + 1);
    json_t *s;

    if (len > HH_DSSE_MAX_TYPE)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "payload type exceeds %d bytes",
                            HH_DSSE_MAX_TYPE);
    s = json_stringn(type, len);
    if (s == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "payload type is not valid UTF-8");
    json_decref(s);
    return HH_OK;
}

static hh_status new_envelope(const char *type, const uint8_t *payload, size_t len,
                              struct hh_dsse **out, struct hh_error *err)
{
    struct hh_dsse *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory for an envelope");
    e->payload = malloc(len > 0 ? len : 1);
    if (e->payload == NULL) {
        free(e);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory for the payload");
    }
    if (len > 0)
        memcpy(e->payload, payload, len);
    e->payload_len = len;
    memcpy(e->payload_type, type, strlen(type) + 1);
    *out = e;
    return HH_OK;
}

/* Signs pae with s into sig, keyid "<name>+<hex8 key id>". */
static void sign_one(const struct hh_signer *s, const uint8_t *pae, size_t len,
                     struct hh_dsse_sig *sig)
{
    struct hh_verifier v;

    hh_signer_verifier(s, &v);
    snprintf(sig->keyid, sizeof(sig->keyid), "%s+%08lx", v.name, (unsigned long)v.key_id);
    hh_signer_sign_raw(s, pae, len, sig->sig);
    sig->sig_len = ED25519_SIG_LEN;
}

hh_status hh_dsse_sign(const char *type, const uint8_t *payload, size_t len,
                       struct hh_signer *const *signers, size_t nsigners, struct hh_dsse **out,
                       struct hh_error *err)
{
    struct hh_dsse *e = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    hh_status rc;

    *out = NULL;
    if (nsigners < 1 || nsigners > HH_DSSE_MAX_SIGNATURES)
        return hh_error_set(err, HH_ERR_INVALID, "%zu signers, expected 1..%d", nsigners,
                            HH_DSSE_MAX_SIGNATURES);
    rc = check_type(type, err);
    if (rc != HH_OK)
        return rc;
    rc = new_envelope(type, payload, len, &e, err);
    if (rc != HH_OK)
        return rc;
    rc = hh_dsse_pae(type, payload, len, &pae, &pae_len);
    if (rc != HH_OK) {
        rc = hh_error_set(err, rc, "cannot build the PAE");
        goto out;
    }
    for (size_t i = 0; i < nsigners; i++)
        sign_one(signers[i], pae, pae_len, &e->sigs[i]);
    e->nsigs = nsigners;
    *out = e;
    e = NULL;
out:
    free(pae);
    hh_dsse_free(e);
    return rc;
}

/* A JSON string of base64(data[0..len)); NULL when out of memory. */
static json_t *base64_string(const uint8_t *data, size_t len)
{
    size_t cap = hh_base64_len(len) + 1;
    char *b64 = malloc(cap);
    json_t *s = NULL;

    if (b64 == NULL)
        return NULL;
    if (hh_base64_encode(data, len, b64, cap) == HH_OK)
        s = json_string(b64);
    free(b64);
    return s;
}

static json_t *sig_object(const struct hh_dsse_sig *sig)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "sig", base64_string(sig->sig, sig->sig_len)) != 0 ||
        (sig->keyid[0] != '\0' && json_object_set_new(o, "keyid", json_string(sig->keyid)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The envelope as a jansson object; NULL when out of memory or a string is not UTF-8. */
static json_t *envelope_object(const struct hh_dsse *e)
{
    json_t *o = json_object(), *sigs = json_array();
    bool ok = o != NULL && sigs != NULL &&
              json_object_set_new(o, "payload", base64_string(e->payload, e->payload_len)) == 0 &&
              json_object_set_new(o, "payloadType", json_string(e->payload_type)) == 0;

    for (size_t i = 0; ok && i < e->nsigs && i < HH_DSSE_MAX_SIGNATURES; i++)
        ok = json_array_append_new(sigs, sig_object(&e->sigs[i])) == 0;
    if (ok) {
        ok = json_object_set_new(o, "signatures", sigs) == 0;
        sigs = NULL; /* set_new took it, even on failure */
    }
    if (!ok) {
        json_decref(sigs);
        json_decref(o);
        o = NULL;
    }
    return o;
}

hh_status hh_dsse_format(const struct hh_dsse *e, char **out, size_t *outlen, struct hh_error *err)
{
    json_t *o;
    char *s;

    *out = NULL;
    *outlen = 0;
    o = envelope_object(e);
    if (o == NULL)
        return hh_error_set(err, HH_ERR_INVALID,
                            "cannot encode the envelope (out of memory or a string not UTF-8)");
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (s == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory formatting the envelope");
    if (strlen(s) > HH_DSSE_MAX_BYTES) {
        size_t n = strlen(s);
        free(s);
        return hh_error_set(err, HH_ERR_TOO_LARGE, "envelope of %zu bytes exceeds %d", n,
                            HH_DSSE_MAX_BYTES);
    }
    *out = s;
    *outlen = strlen(s);
    return HH_OK;
}

/* True when some signature of e verifies over pae with key v. */
static bool key_signed(const struct hh_dsse *e, const struct hh_verifier *v, const uint8_t *pae,
                       size_t len)
{
    if (v->type != HH_KEY_ED25519)
        return false;
    for (size_t j = 0; j < e->nsigs && j < HH_DSSE_MAX_SIGNATURES; j++)
        if (e->sigs[j].sig_len == ED25519_SIG_LEN &&
            hh_verifier_signed(v, pae, len, e->sigs[j].sig, ED25519_SIG_LEN))
            return true;
    return false;
}

/* True when an earlier verified key has the same public key as keys[i]. */
static bool seen_before(const struct hh_verifier *keys, const uint8_t *ok, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (ok[k] && memcmp(keys[k].public_key, keys[i].public_key, 32) == 0)
            return true;
    return false;
}

hh_status hh_dsse_verify(const struct hh_dsse *e, const struct hh_verifier *keys, size_t nkeys,
                         uint8_t *verified, size_t *nverified, struct hh_error *err)
{
    uint8_t *pae = NULL, *ok = NULL;
    size_t len = 0;
    hh_status rc;

    *nverified = 0;
    if (verified != NULL && nkeys > 0)
        memset(verified, 0, nkeys);
    rc = hh_dsse_pae(e->payload_type, e->payload, e->payload_len, &pae, &len);
    if (rc != HH_OK)
        return hh_error_set(err, rc, "cannot build the PAE");
    ok = calloc(nkeys > 0 ? nkeys : 1, 1);
    if (ok == NULL) {
        rc = hh_error_set(err, HH_ERR_NOMEM, "out of memory verifying an envelope");
        goto out;
    }
    for (size_t i = 0; i < nkeys; i++) {
        ok[i] = key_signed(e, &keys[i], pae, len);
        if (ok[i] && !seen_before(keys, ok, i))
            (*nverified)++;
    }
    if (*nverified == 0) {
        rc = hh_error_set(err, HH_ERR_VERIFY, "no signature of %zu verifies with any of %zu keys",
                          e->nsigs, nkeys);
        goto out;
    }
    if (verified != NULL)
        memcpy(verified, ok, nkeys);
out:
    free(ok);
    free(pae);
    return rc;
}
