/*
 * test_dsse.c - DSSE envelopes: PAE, sign/format/parse/verify, unique-key
 * counting, tampering, and every malformed-envelope refusal.
 */
#include "harness.h"

#include <henhouse/dsse.h>
#include <henhouse/henhouse.h>

#include <stdlib.h>
#include <string.h>

#define TYPE "application/vnd.henhouse.test+json"

static struct hh_signer *new_signer(const char *name)
{
    struct hh_signer *s = NULL;
    if (hh_init() != HH_OK || hh_signer_generate(name, HH_KEY_ED25519, &s, NULL) != HH_OK)
        return NULL;
    return s;
}

TEST(dsse_pae_known_answer)
{
    static const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    static const char want_empty[] = "DSSEv1 0  0 ";
    static const char want_utf8[] = "DSSEv1 29 application/vnd.ex\xc3\xa4mple+json 3 a\0b";
    char longtype[HH_DSSE_MAX_TYPE + 2];
    uint8_t *pae = NULL;
    size_t len = 0;

    CHECK_OK(hh_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &pae,
                         &len));
    CHECK(len == sizeof(want) - 1 && memcmp(pae, want, len) == 0);
    free(pae);
    CHECK_OK(hh_dsse_pae("", NULL, 0, &pae, &len));
    CHECK(len == sizeof(want_empty) - 1 && memcmp(pae, want_empty, len) == 0);
    free(pae);
    /* Lengths are in bytes; the body may hold any byte. */
    CHECK_OK(
        hh_dsse_pae("application/vnd.ex\xc3\xa4mple+json", (const uint8_t *)"a\0b", 3, &pae, &len));
    CHECK(len == sizeof(want_utf8) - 1 && memcmp(pae, want_utf8, len) == 0);
    free(pae);
    memset(longtype, 'a', sizeof(longtype) - 1);
    longtype[sizeof(longtype) - 1] = '\0';
    CHECK_ERR(hh_dsse_pae(longtype, NULL, 0, &pae, &len), HH_ERR_TOO_LARGE);
    CHECK(pae == NULL && len == 0);
}

/* sign -> format -> parse, checking the parsed envelope equals the signed one. */
static struct hh_dsse *roundtrip(struct hh_signer *const *signers, size_t n, const char *payload)
{
    struct hh_dsse *e = NULL, *back = NULL;
    struct hh_error err = {0};
    char *json = NULL;
    size_t len = 0;
    int ok;

    if (hh_dsse_sign(TYPE, (const uint8_t *)payload, strlen(payload), signers, n, &e, &err) !=
            HH_OK ||
        hh_dsse_format(e, &json, &len, &err) != HH_OK ||
        hh_dsse_parse(json, len, &back, &err) != HH_OK) {
        hh_test_note("roundtrip: %s", err.msg);
        goto out;
    }
    ok = strlen(json) == len && back->nsigs == n && back->payload_len == strlen(payload) &&
         memcmp(back->payload, payload, back->payload_len) == 0 &&
         strcmp(back->payload_type, TYPE) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = back->sigs[i].sig_len == 64 && memcmp(back->sigs[i].sig, e->sigs[i].sig, 64) == 0 &&
             strcmp(back->sigs[i].keyid, e->sigs[i].keyid) == 0;
    if (!ok) {
        hh_dsse_free(back);
        back = NULL;
    }
out:
    free(json);
    hh_dsse_free(e);
    return back;
}

TEST(dsse_sign_verify)
{
    struct hh_signer *s[3] = {new_signer("alice.example"), new_signer("bob.example"),
                              new_signer("carol.example")};
    struct hh_verifier keys[3];
    struct hh_dsse *e = NULL;
    struct hh_error err = {0};
    uint8_t verified[3];
    size_t nv = 99;
    char want_keyid[HH_KEY_NAME_MAX + 16];

    CHECK(s[0] != NULL && s[1] != NULL && s[2] != NULL);
    if (s[0] == NULL || s[1] == NULL || s[2] == NULL)
        goto out;
    for (int i = 0; i < 3; i++)
        hh_signer_verifier(s[i], &keys[i]);
    /* One signer. */
    e = roundtrip(s, 1, "{\"hello\":\"world\"}");
    CHECK(e != NULL);
    snprintf(want_keyid, sizeof(want_keyid), "alice.example+%08lx", (unsigned long)keys[0].key_id);
    CHECK(e != NULL && strcmp(e->sigs[0].keyid, want_keyid) == 0);
    CHECK(e != NULL && hh_dsse_verify(e, keys, 3, verified, &nv, &err) == HH_OK);
    CHECK(nv == 1 && verified[0] == 1 && verified[1] == 0 && verified[2] == 0);
    CHECK(e != NULL && hh_dsse_verify(e, &keys[1], 2, verified, &nv, &err) == HH_ERR_VERIFY);
    CHECK(nv == 0 && verified[0] == 0 && verified[1] == 0);
    hh_dsse_free(e);
    /* Three signers. */
    e = roundtrip(s, 3, "three");
    CHECK(e != NULL && hh_dsse_verify(e, keys, 3, verified, &nv, &err) == HH_OK);
    CHECK(nv == 3 && verified[0] == 1 && verified[1] == 1 && verified[2] == 1);
    CHECK(e != NULL && hh_dsse_verify(e, &keys[2], 1, NULL, &nv, &err) == HH_OK && nv == 1);
    /* No keys at all. */
    CHECK(e != NULL && hh_dsse_verify(e, keys, 0, NULL, &nv, &err) == HH_ERR_VERIFY && nv == 0);
    hh_dsse_free(e);
    /* An empty payload. */
    e = roundtrip(s, 1, "");
    CHECK(e != NULL && hh_dsse_verify(e, keys, 1, verified, &nv, &err) == HH_OK && nv == 1);
out:
    hh_dsse_free(e);
    for (int i = 0; i < 3; i++)
        hh_signer_free(s[i]);
}

TEST(dsse_unique_keys)
{
    struct hh_signer *a = new_signer("a.example"), *b = new_signer("b.example");
    struct hh_signer *twice[2] = {a, a};
    struct hh_verifier keys[3];
    struct hh_dsse *e = NULL;
    uint8_t verified[3];
    size_t nv = 0;

    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        goto out;
    hh_signer_verifier(a, &keys[0]);
    hh_signer_verifier(b, &keys[1]);
    keys[2] = keys[0];
    e = roundtrip(twice, 2, "payload");
    CHECK(e != NULL);
    if (e == NULL)
        goto out;
    /* The same key signing twice counts once. */
    CHECK_OK(hh_dsse_verify(e, keys, 1, verified, &nv, NULL));
    CHECK(nv == 1 && verified[0] == 1);
    /* The same key given twice counts once too; b is not counted. */
    CHECK_OK(hh_dsse_verify(e, keys, 3, verified, &nv, NULL));
    CHECK(nv == 1 && verified[0] == 1 && verified[1] == 0 && verified[2] == 1);
out:
    hh_dsse_free(e);
    hh_signer_free(a);
    hh_signer_free(b);
}

TEST(dsse_unknown_and_wrong_type_keys)
{
    struct hh_signer *a = new_signer("a.example"), *b = new_signer("b.example");
    struct hh_signer *both[2] = {b, a};
    struct hh_verifier keys[2];
    struct hh_dsse *e = NULL;
    uint8_t verified[2];
    size_t nv = 0;

    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        goto out;
    hh_signer_verifier(a, &keys[0]);
    e = roundtrip(both, 2, "payload");
    CHECK(e != NULL);
    if (e == NULL)
        goto out;
    /* b's signature (by a key we do not know) is ignored; a's verifies. */
    CHECK_OK(hh_dsse_verify(e, keys, 1, verified, &nv, NULL));
    CHECK(nv == 1 && verified[0] == 1);
    /* A cosignature-type key is never used for DSSE, even with the right public key. */
    keys[1] = keys[0];
    keys[1].type = HH_KEY_COSIGNATURE;
    CHECK_ERR(hh_dsse_verify(e, &keys[1], 1, verified, &nv, NULL), HH_ERR_VERIFY);
    CHECK(nv == 0 && verified[0] == 0);
out:
    hh_dsse_free(e);
    hh_signer_free(a);
    hh_signer_free(b);
}

/* Replaces the standard base64 alphabet with the URL-safe one and drops padding. */
static void to_url_safe(char *s)
{
    size_t j = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '=')
            continue;
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
}

TEST(dsse_url_safe_base64)
{
    struct hh_signer *a = new_signer("a.example");
    struct hh_verifier key;
    struct hh_dsse *e = NULL, *back = NULL;
    struct hh_error err = {0};
    /* 0xfb 0xff 0xfe encodes as "+//+" / "-__-": both alphabets are exercised. */
    static const uint8_t payload[] = {0xfb, 0xff, 0xfe, 0x01};
    char b64p[16], b64s[100], json[512];
    size_t nv = 0;
    int n;

    CHECK(a != NULL);
    if (a == NULL)
        return;
    hh_signer_verifier(a, &key);
    CHECK_OK(hh_dsse_sign(TYPE, payload, sizeof(payload), &a, 1, &e, &err));
    if (e == NULL)
        goto out;
    CHECK_OK(hh_base64_encode(payload, sizeof(payload), b64p, sizeof(b64p)));
    CHECK_OK(hh_base64_encode(e->sigs[0].sig, 64, b64s, sizeof(b64s)));
    to_url_safe(b64p);
    to_url_safe(b64s);
    CHECK(strchr(b64p, '-') != NULL || strchr(b64p, '_') != NULL);
    n = snprintf(json, sizeof(json),
                 "{\"payloadType\":\"" TYPE
                 "\",\"payload\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}],"
                 "\"extra\":{\"ignored\":[1,2,{\"x\":null}]}}",
                 b64p, b64s);
    CHECK(n > 0 && (size_t)n < sizeof(json));
    CHECK_OK(hh_dsse_parse(json, (size_t)n, &back, &err));
    CHECK(back != NULL && back->payload_len == sizeof(payload) &&
          memcmp(back->payload, payload, sizeof(payload)) == 0 && back->sigs[0].keyid[0] == '\0');
    CHECK(back != NULL && hh_dsse_verify(back, &key, 1, NULL, &nv, &err) == HH_OK && nv == 1);
out:
    hh_dsse_free(back);
    hh_dsse_free(e);
    hh_signer_free(a);
}

/* True when e verifies with key after flipping bit `bit` of the byte at p. */
static int verifies_flipped(struct hh_dsse *e, const struct hh_verifier *key, uint8_t *p,
                            unsigned bit)
{
    size_t nv = 0;
    hh_status rc;

    *p ^= (uint8_t)(1u << bit);
    rc = hh_dsse_verify(e, key, 1, NULL, &nv, NULL);
    *p ^= (uint8_t)(1u << bit);
    return rc == HH_OK;
}

TEST(dsse_tampering_rejected)
{
    struct hh_signer *a = new_signer("a.example");
    struct hh_verifier key;
    struct hh_dsse *e = NULL;
    size_t nv = 0, type_len;
    int accepted = 0;

    CHECK(a != NULL);
    if (a == NULL)
        return;
    hh_signer_verifier(a, &key);
    CHECK_OK(hh_dsse_sign(TYPE, (const uint8_t *)"statement", 9, &a, 1, &e, NULL));
    if (e == NULL)
        goto out;
    CHECK_OK(hh_dsse_verify(e, &key, 1, NULL, &nv, NULL));
    type_len = strlen(e->payload_type);
    for (unsigned bit = 0; bit < 8; bit++) {
        for (size_t i = 0; i < e->payload_len; i++)
            accepted += verifies_flipped(e, &key, &e->payload[i], bit);
        for (size_t i = 0; i < type_len; i++)
            accepted += verifies_flipped(e, &key, (uint8_t *)&e->payload_type[i], bit);
        for (size_t i = 0; i < e->sigs[0].sig_len; i++)
            accepted += verifies_flipped(e, &key, &e->sigs[0].sig[i], bit);
    }
    CHECK(accepted == 0);
    /* A truncated or extended payload, or a 63/65-byte signature, fails too. */
    e->payload_len--;
    CHECK_ERR(hh_dsse_verify(e, &key, 1, NULL, &nv, NULL), HH_ERR_VERIFY);
    e->payload_len++;
    e->sigs[0].sig_len = 63;
    CHECK_ERR(hh_dsse_verify(e, &key, 1, NULL, &nv, NULL), HH_ERR_VERIFY);
    e->sigs[0].sig_len = 65;
    CHECK_ERR(hh_dsse_verify(e, &key, 1, NULL, &nv, NULL), HH_ERR_VERIFY);
    e->sigs[0].sig_len = 64;
    e->nsigs = 0;
    CHECK_ERR(hh_dsse_verify(e, &key, 1, NULL, &nv, NULL), HH_ERR_VERIFY);
out:
    hh_dsse_free(e);
    hh_signer_free(a);
}

TEST(dsse_id_is_pae_hash)
{
    struct hh_signer *a = new_signer("a.example");
    struct hh_dsse *e = NULL;
    struct hh_hash id, want;
    uint8_t *pae = NULL;
    size_t len = 0;

    CHECK(a != NULL);
    if (a == NULL)
        return;
    CHECK_OK(hh_dsse_sign(TYPE, (const uint8_t *)"x", 1, &a, 1, &e, NULL));
    if (e != NULL) {
        CHECK_OK(hh_dsse_id(e, &id));
        CHECK_OK(hh_dsse_pae(TYPE, (const uint8_t *)"x", 1, &pae, &len));
        hh_sha256(pae, len, &want);
        CHECK(hh_hash_equal(&id, &want));
    }
    free(pae);
    hh_dsse_free(e);
    hh_signer_free(a);
}

TEST(dsse_format_shape)
{
    struct hh_dsse e0;
    struct hh_dsse *e = &e0;
    uint8_t payload[] = "hello world";
    char *json = NULL;
    size_t len = 0;

    memset(&e0, 0, sizeof(e0));
    memcpy(e->payload_type, "http://example.com/HelloWorld", 30);
    e->payload = payload;
    e->payload_len = 11;
    e->nsigs = 2;
    e->sigs[0].sig_len = 2;
    e->sigs[0].sig[0] = 0xfb;
    e->sigs[0].sig[1] = 0xff;
    memcpy(e->sigs[1].keyid, "k1", 3);
    /* Sorted keys, compact, standard base64 with padding, keyid only when non-empty. */
    CHECK_OK(hh_dsse_format(e, &json, &len, NULL));
    CHECK(json != NULL &&
          strcmp(json, "{\"payload\":\"aGVsbG8gd29ybGQ=\",\"payloadType\":"
                       "\"http://example.com/HelloWorld\",\"signatures\":[{\"sig\":\"+/8=\"},"
                       "{\"keyid\":\"k1\",\"sig\":\"\"}]}") == 0);
    free(json);
    /* A payload type that is not UTF-8 cannot be written as JSON. */
    e->payload_type[0] = (char)0xff;
    CHECK_ERR(hh_dsse_format(e, &json, &len, NULL), HH_ERR_INVALID);
    CHECK(json == NULL && len == 0);
}

TEST(dsse_format_too_large)
{
    struct hh_dsse *e = calloc(1, sizeof(*e));
    char *json = NULL;
    size_t len = 0;

    CHECK(e != NULL);
    if (e == NULL)
        return;
    e->payload_len = 50000; /* base64 66668 bytes: over HH_DSSE_MAX_BYTES */
    e->payload = calloc(1, e->payload_len);
    CHECK(e->payload != NULL);
    if (e->payload != NULL)
        CHECK_ERR(hh_dsse_format(e, &json, &len, NULL), HH_ERR_TOO_LARGE);
    CHECK(json == NULL && len == 0);
    hh_dsse_free(e);
    hh_dsse_free(NULL);
}

TEST(dsse_sign_errors)
{
    struct hh_signer *a = new_signer("a.example");
    struct hh_signer *many[HH_DSSE_MAX_SIGNATURES + 1];
    struct hh_dsse *e = NULL;
    char longtype[HH_DSSE_MAX_TYPE + 2];

    CHECK(a != NULL);
    for (int i = 0; i <= HH_DSSE_MAX_SIGNATURES; i++)
        many[i] = a;
    CHECK_ERR(hh_dsse_sign(TYPE, NULL, 0, many, 0, &e, NULL), HH_ERR_INVALID);
    CHECK_ERR(hh_dsse_sign(TYPE, NULL, 0, many, HH_DSSE_MAX_SIGNATURES + 1, &e, NULL),
              HH_ERR_INVALID);
    memset(longtype, 't', sizeof(longtype) - 1);
    longtype[sizeof(longtype) - 1] = '\0';
    CHECK_ERR(hh_dsse_sign(longtype, NULL, 0, many, 1, &e, NULL), HH_ERR_TOO_LARGE);
    CHECK_ERR(hh_dsse_sign("bad \xff type", NULL, 0, many, 1, &e, NULL), HH_ERR_INVALID);
    CHECK(e == NULL);
    CHECK_OK(hh_dsse_sign(TYPE, NULL, 0, many, HH_DSSE_MAX_SIGNATURES, &e, NULL));
    CHECK(e != NULL && e->nsigs == HH_DSSE_MAX_SIGNATURES);
    hh_dsse_free(e);
    hh_signer_free(a);
}

static int parse_fails(const char *json, size_t len, hh_status code)
{
    struct hh_dsse *e = (struct hh_dsse *)1;
    struct hh_error err = {0};
    hh_status rc = hh_dsse_parse(json, len, &e, &err);

    if (rc != code)
        hh_test_note("%.60s: got %s (%s)", json, hh_status_name(rc), err.msg);
    if (rc == HH_OK) {
        int ok = e != NULL;
        hh_dsse_free(e);
        return code == HH_OK && ok;
    }
    return rc == code && e == NULL && err.code == code && err.msg[0] != '\0';
}

#define SIG64                                                                                      \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
#define OKSIG "{\"sig\":\"" SIG64 "\"}"

static int parse_fails_str(const char *json, hh_status code)
{
    return parse_fails(json, strlen(json), code);
}

TEST(dsse_parse_minimal_and_limits)
{
    struct hh_dsse *e = NULL;
    struct hh_error err = {0};
    const char *ok = "{\"payload\":\"\",\"payloadType\":\"\",\"signatures\":[]}";
    const char *ok8 = "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[],"
                      "\"x\":[[[[[[[1]]]]]]]}";

    /* Zero signatures parse (verify then fails); depth 8 is allowed. */
    CHECK_OK(hh_dsse_parse(ok, strlen(ok), &e, &err));
    CHECK(e != NULL && e->nsigs == 0 && e->payload_len == 0 && e->payload_type[0] == '\0');
    hh_dsse_free(e);
    CHECK_OK(hh_dsse_parse(ok8, strlen(ok8), &e, &err));
    hh_dsse_free(e);
    {
        size_t nv = 0;
        struct hh_verifier k = {{0}, HH_KEY_ED25519, 0, {0}};
        CHECK_OK(hh_dsse_parse(ok, strlen(ok), &e, &err));
        CHECK(e != NULL && hh_dsse_verify(e, &k, 1, NULL, &nv, &err) == HH_ERR_VERIFY);
        hh_dsse_free(e);
    }
}

/* Writes prefix, n copies of c and suffix to buf; returns the length. */
static size_t build(char *buf, size_t cap, const char *prefix, char c, size_t n, const char *suffix)
{
    size_t used = (size_t)snprintf(buf, cap, "%s", prefix);
    memset(buf + used, c, n);
    used += n;
    used += (size_t)snprintf(buf + used, cap - used, "%s", suffix);
    return used;
}

TEST(dsse_parse_not_json)
{
    CHECK(parse_fails_str("", HH_ERR_INVALID));
    CHECK(parse_fails_str("not json", HH_ERR_INVALID));
    CHECK(parse_fails_str("[]", HH_ERR_INVALID));
    CHECK(parse_fails_str("\"payload\"", HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[" OKSIG "]} x",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[" OKSIG "]",
                          HH_ERR_INVALID));
    /* A NUL inside a string, escaped or raw. */
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"a\\u0000b\",\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails("{\"payload\":\"\",\"payloadType\":\"a\0b\",\"signatures\":[]}", 48,
                      HH_ERR_INVALID));
}

TEST(dsse_parse_depth_and_size)
{
    static const char small[] = "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}";
    char *big = malloc(HH_DSSE_MAX_BYTES + 2);

    /* Depth 9, inside an ignored field or bare. */
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[],"
                          "\"x\":[[[[[[[[1]]]]]]]]}",
                          HH_ERR_TOO_LARGE));
    CHECK(parse_fails_str("[[[[[[[[[", HH_ERR_TOO_LARGE));
    /* Brackets inside strings do not count; escaped quotes do not end a string. */
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"[[[[[[[[[\\\"{{{{{{{{{\","
                          "\"signatures\":[]}",
                          HH_OK));
    /* Exactly the limit parses; one byte more does not. */
    CHECK(big != NULL);
    if (big != NULL) {
        memset(big, ' ', HH_DSSE_MAX_BYTES + 1);
        memcpy(big, small, sizeof(small) - 1);
        CHECK(parse_fails(big, HH_DSSE_MAX_BYTES, HH_OK));
        CHECK(parse_fails(big, HH_DSSE_MAX_BYTES + 1, HH_ERR_TOO_LARGE));
    }
    free(big);
}

TEST(dsse_parse_missing_or_mistyped)
{
    CHECK(parse_fails_str("{\"payloadType\":\"t\",\"signatures\":[" OKSIG "]}", HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"signatures\":[" OKSIG "]}", HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\"}", HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":1,\"payloadType\":\"t\",\"signatures\":[" OKSIG "]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":null,\"payloadType\":\"t\",\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(
        parse_fails_str("{\"payload\":\"\",\"payloadType\":[],\"signatures\":[]}", HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":{}}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":\"x\"}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[\"x\"]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{}]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":1}]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\","
                          "\"keyid\":5}]}",
                          HH_ERR_INVALID));
}

TEST(dsse_parse_limits)
{
#define PRE "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":["
    char buf[2048];
    size_t used = (size_t)snprintf(buf, sizeof(buf), "%s", PRE);

    /* 17 signatures; 16 are fine. */
    for (int i = 0; i < 17; i++)
        used +=
            (size_t)snprintf(buf + used, sizeof(buf) - used, "%s{\"sig\":\"\"}", i > 0 ? "," : "");
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "]}");
    CHECK(parse_fails(buf, used, HH_ERR_TOO_LARGE));
    CHECK(parse_fails_str(PRE OKSIG "," OKSIG "," OKSIG "," OKSIG "," OKSIG "," OKSIG "," OKSIG
                                    "," OKSIG "," OKSIG "," OKSIG "," OKSIG "," OKSIG "," OKSIG
                                    "," OKSIG "," OKSIG "," OKSIG "]}",
                          HH_OK));
    /* A signature over 512 bytes (684 base64 characters decode to 513); 512 is fine. */
    used = build(buf, sizeof(buf), PRE "{\"sig\":\"", 'A', 684, "\"}]}");
    CHECK(parse_fails(buf, used, HH_ERR_TOO_LARGE));
    buf[used - 5] = '='; /* 683 characters and padding: 512 bytes */
    CHECK(parse_fails(buf, used, HH_OK));
    used = build(buf, sizeof(buf), PRE "{\"sig\":\"", 'A', 688, "\"}]}"); /* 516 bytes */
    CHECK(parse_fails(buf, used, HH_ERR_TOO_LARGE));
    /* Over-long payloadType and keyid. */
    used = build(buf, sizeof(buf), "{\"payload\":\"\",\"signatures\":[],\"payloadType\":\"", 'a',
                 257, "\"}");
    CHECK(parse_fails(buf, used, HH_ERR_TOO_LARGE));
    used = build(buf, sizeof(buf), "{\"payload\":\"\",\"signatures\":[],\"payloadType\":\"", 'a',
                 256, "\"}");
    CHECK(parse_fails(buf, used, HH_OK));
    used = build(buf, sizeof(buf), PRE "{\"sig\":\"\",\"keyid\":\"", 'k', 301, "\"}]}");
    CHECK(parse_fails(buf, used, HH_ERR_TOO_LARGE));
    used = build(buf, sizeof(buf), PRE "{\"sig\":\"\",\"keyid\":\"", 'k', 300, "\"}]}");
    CHECK(parse_fails(buf, used, HH_OK));
#undef PRE
}

TEST(dsse_parse_bad_base64)
{
    /* Bad characters, mixed alphabets, bad padding, non-zero unused bits. */
    CHECK(parse_fails_str("{\"payload\":\"a*==\",\"payloadType\":\"t\",\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"+-==\",\"payloadType\":\"t\",\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"a===\",\"payloadType\":\"t\",\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"aGl=\",\"payloadType\":\"t\",\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"aGk=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":"
                          "\"AB==\"}]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"aGk=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":"
                          "\"A\"}]}",
                          HH_ERR_INVALID));
}

TEST(dsse_parse_duplicate_keys)
{
    CHECK(parse_fails_str("{\"payload\":\"\",\"payload\":\"\",\"payloadType\":\"t\","
                          "\"signatures\":[]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\","
                          "\"sig\":\"\"}]}",
                          HH_ERR_INVALID));
    CHECK(parse_fails_str("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[],"
                          "\"x\":{\"a\":1,\"a\":2}}",
                          HH_ERR_INVALID));
}
