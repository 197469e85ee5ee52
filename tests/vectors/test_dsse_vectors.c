/*
 * test_dsse_vectors.c - DSSE against the secure-systems-lab/dsse hello-world
 * vector, and an Ed25519 known answer over the same PAE.
 *
 * The published vector is signed with ECDSA P-256, which henhouse does not
 * verify: it checks PAE construction and envelope parsing, and that the
 * signature is refused by every Ed25519 key. The Ed25519 known answer uses
 * the RFC 8032 test-1 key (section 7.1) over the hello-world PAE.
 */
#include "harness.h"

#include <henhouse/dsse.h>
#include <henhouse/henhouse.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HW_TYPE "http://example.com/HelloWorld"
#define HW_SIG                                                                                     \
    "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="

/* RFC 8032 section 7.1, TEST 1. */
static const char rfc8032_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_pk[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/*
 * Ed25519(test-1 key, "DSSEv1 29 http://example.com/HelloWorld 11 hello world"),
 * computed independently with Python's cryptography package (OpenSSL 3).
 */
static const char hw_ed25519_sig[] =
    "e031d7dd99f8aa904abc48fb99a13c3bdbbd6e35c49cf2cb9f25d5509d8f5c94"
    "7c0d22dc2f7403a45bdf24e8f7a41fd23c7b25e898386e8c6c31be8abee60007";

static char *read_vector(const char *rel, size_t *len)
{
    return hh_test_read_file(hh_test_vector_path(rel), len);
}

TEST(dsse_vectors_pae)
{
    size_t tlen = 0, plen = 0, wlen = 0, len = 0;
    char *type = read_vector("dsse/hello-world.payloadType", &tlen);
    char *payload = read_vector("dsse/hello-world.payload", &plen);
    char *want = read_vector("dsse/hello-world.pae", &wlen);
    uint8_t *pae = NULL;

    CHECK(type != NULL && payload != NULL && want != NULL);
    if (type == NULL || payload == NULL || want == NULL)
        goto out;
    CHECK(tlen == 29 && plen == 11 && wlen == 54);
    CHECK_OK(hh_dsse_pae(type, (const uint8_t *)payload, plen, &pae, &len));
    CHECK(pae != NULL && len == wlen && memcmp(pae, want, wlen) == 0);
out:
    free(pae);
    free(type);
    free(payload);
    free(want);
}

static struct hh_dsse *parse_vector(const char *rel)
{
    struct hh_dsse *e = NULL;
    struct hh_error err = {0};
    size_t len = 0;
    char *json = read_vector(rel, &len);

    if (json == NULL || hh_dsse_parse(json, len, &e, &err) != HH_OK)
        hh_test_note("%s: %s", rel, err.msg);
    free(json);
    return e;
}

static int is_hello_world(const struct hh_dsse *e, const char *keyid)
{
    uint8_t sig[64];
    size_t n = 0;

    if (hh_base64_decode(HW_SIG, strlen(HW_SIG), false, sig, sizeof(sig), &n, NULL) != HH_OK ||
        n != 64)
        return 0;
    return e != NULL && e->payload_len == 11 && memcmp(e->payload, "hello world", 11) == 0 &&
           strcmp(e->payload_type, HW_TYPE) == 0 && e->nsigs == 1 && e->sigs[0].sig_len == 64 &&
           memcmp(e->sigs[0].sig, sig, 64) == 0 && strcmp(e->sigs[0].keyid, keyid) == 0;
}

TEST(dsse_vectors_envelopes_parse)
{
    struct hh_dsse *a = parse_vector("dsse/hello-world.envelope.json");
    struct hh_dsse *b = parse_vector("dsse/hello-world.envelope-with-keyid.json");
    struct hh_hash id, want;
    size_t len = 0;
    char *pae = read_vector("dsse/hello-world.pae", &len);

    CHECK(is_hello_world(a, ""));
    CHECK(is_hello_world(b, "66301bbf"));
    /* The statement id is SHA-256 of the PAE bytes. */
    CHECK(pae != NULL);
    if (a != NULL && pae != NULL) {
        hh_sha256(pae, len, &want);
        CHECK_OK(hh_dsse_id(a, &id));
        CHECK(hh_hash_equal(&id, &want));
    }
    free(pae);
    hh_dsse_free(a);
    hh_dsse_free(b);
}

/* A type-0x01 verifier for a raw public key. */
static void ed25519_verifier(const uint8_t pk[32], const char *name, struct hh_verifier *v)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->name, sizeof(v->name), "%s", name);
    v->type = HH_KEY_ED25519;
    memcpy(v->public_key, pk, 32);
    v->key_id = hh_key_id(name, strlen(name), HH_KEY_ED25519, pk);
}

TEST(dsse_vectors_ecdsa_sig_is_not_ed25519)
{
    /*
     * The vector's signature is ECDSA P-256 (raw r||s, 64 bytes): it has the
     * length of an Ed25519 signature but must not verify with any Ed25519
     * key, whether the RFC 8032 key or fresh random ones.
     */
    struct hh_dsse *e = parse_vector("dsse/hello-world.envelope-with-keyid.json");
    struct hh_verifier keys[5];
    uint8_t pk[32], sk[64], seed[32], verified[5] = {9, 9, 9, 9, 9};
    size_t nv = 99, n = 0;
    struct hh_error err = {0};

    CHECK(hh_init() == HH_OK && e != NULL);
    if (e == NULL)
        return;
    CHECK(sodium_hex2bin(seed, 32, rfc8032_seed, 64, NULL, &n, NULL) == 0 && n == 32);
    crypto_sign_seed_keypair(pk, sk, seed);
    ed25519_verifier(pk, "rfc8032-test1", &keys[0]);
    for (int i = 1; i < 5; i++) {
        crypto_sign_keypair(pk, sk);
        ed25519_verifier(pk, "random", &keys[i]);
    }
    CHECK_ERR(hh_dsse_verify(e, keys, 5, verified, &nv, &err), HH_ERR_VERIFY);
    CHECK(nv == 0);
    for (int i = 0; i < 5; i++)
        CHECK(verified[i] == 0);
    sodium_memzero(sk, sizeof(sk));
    hh_dsse_free(e);
}

/* Parses a signer for the RFC 8032 test-1 seed through the signer-key text form. */
static struct hh_signer *rfc8032_signer(const uint8_t seed[32], const uint8_t pk[32])
{
    static const char name[] = "rfc8032-test1";
    uint8_t raw[33];
    char b64[64], text[HH_KEY_TEXT_MAX];
    struct hh_signer *s = NULL;
    struct hh_error err = {0};
    int n;

    raw[0] = HH_KEY_ED25519;
    memcpy(raw + 1, seed, 32);
    if (hh_base64_encode(raw, sizeof(raw), b64, sizeof(b64)) != HH_OK)
        return NULL;
    n = snprintf(text, sizeof(text), "PRIVATE+KEY+%s+%08lx+%s", name,
                 (unsigned long)hh_key_id(name, strlen(name), HH_KEY_ED25519, pk), b64);
    sodium_memzero(raw, sizeof(raw));
    if (n < 0 || (size_t)n >= sizeof(text) || hh_signer_parse(text, (size_t)n, &s, &err) != HH_OK)
        hh_test_note("signer: %s", err.msg);
    sodium_memzero(text, sizeof(text));
    sodium_memzero(b64, sizeof(b64));
    return s;
}

TEST(dsse_vectors_ed25519_known_answer)
{
    uint8_t seed[32], pk[32], want_pk[32], sk[64], sig1[64], sig2[64], want_sig[64];
    size_t n = 0, paelen = 0, nv = 0, jlen = 0;
    char *pae = read_vector("dsse/hello-world.pae", &paelen), *json = NULL;
    struct hh_signer *s = NULL;
    struct hh_dsse *e = NULL, *back = NULL;
    struct hh_verifier v;
    struct hh_error err = {0};

    CHECK(hh_init() == HH_OK && pae != NULL);
    if (pae == NULL)
        return;
    CHECK(sodium_hex2bin(seed, 32, rfc8032_seed, 64, NULL, &n, NULL) == 0 && n == 32);
    CHECK(sodium_hex2bin(want_pk, 32, rfc8032_pk, 64, NULL, &n, NULL) == 0 && n == 32);
    CHECK(sodium_hex2bin(want_sig, 64, hw_ed25519_sig, 128, NULL, &n, NULL) == 0 && n == 64);
    crypto_sign_seed_keypair(pk, sk, seed);
    CHECK(memcmp(pk, want_pk, 32) == 0);
    /* libsodium: deterministic, and equal to the independently computed answer. */
    crypto_sign_detached(sig1, NULL, (const uint8_t *)pae, paelen, sk);
    crypto_sign_detached(sig2, NULL, (const uint8_t *)pae, paelen, sk);
    CHECK(memcmp(sig1, sig2, 64) == 0);
    CHECK(memcmp(sig1, want_sig, 64) == 0);
    /* henhouse: hh_dsse_sign gives the same signature, and the envelope verifies. */
    s = rfc8032_signer(seed, pk);
    CHECK(s != NULL);
    if (s == NULL)
        goto out;
    hh_signer_verifier(s, &v);
    CHECK(memcmp(v.public_key, want_pk, 32) == 0);
    CHECK(hh_verifier_signed(&v, pae, paelen, want_sig, 64));
    CHECK_OK(hh_dsse_sign(HW_TYPE, (const uint8_t *)"hello world", 11, &s, 1, &e, &err));
    if (e == NULL)
        goto out;
    CHECK(e->sigs[0].sig_len == 64 && memcmp(e->sigs[0].sig, want_sig, 64) == 0);
    CHECK_OK(hh_dsse_format(e, &json, &jlen, &err));
    CHECK(json != NULL && hh_dsse_parse(json, jlen, &back, &err) == HH_OK);
    CHECK(back != NULL && hh_dsse_verify(back, &v, 1, NULL, &nv, &err) == HH_OK && nv == 1);
    /* The ECDSA vector's payload with this Ed25519 signature swapped in verifies too. */
    hh_dsse_free(back);
    back = parse_vector("dsse/hello-world.envelope.json");
    CHECK(back != NULL);
    if (back != NULL) {
        memcpy(back->sigs[0].sig, want_sig, 64);
        CHECK_OK(hh_dsse_verify(back, &v, 1, NULL, &nv, &err));
    }
out:
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(seed, sizeof(seed));
    free(json);
    free(pae);
    hh_dsse_free(back);
    hh_dsse_free(e);
    hh_signer_free(s);
}
