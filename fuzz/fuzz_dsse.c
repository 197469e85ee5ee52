/*
 * fuzz_dsse.c - DSSE envelopes: hh_dsse_parse.
 *
 * Properties on every envelope that parses:
 *  - hh_dsse_format succeeds (or reports HH_ERR_TOO_LARGE when re-encoding
 *    with padding and escapes outgrows the size limit), and parsing its
 *    output gives the same payload type, payload bytes and signatures
 *    (key ids and signature bytes), field by field;
 *  - formatting is a fixed point: the second envelope formats to the same
 *    bytes as the first;
 *  - hh_dsse_id is the SHA-256 of hh_dsse_pae and equal for both envelopes;
 *  - hh_dsse_verify against the fixed Ed25519 key agrees with checking each
 *    signature over the PAE by hand.
 */
#include "fuzz_common.h"

static void check_same(const struct hh_dsse *a, const struct hh_dsse *b)
{
    FUZZ_CHECK(memcmp(a->payload_type, b->payload_type, sizeof(a->payload_type)) == 0);
    FUZZ_CHECK(a->payload_len == b->payload_len);
    FUZZ_CHECK(a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
    FUZZ_CHECK(a->nsigs == b->nsigs && a->nsigs <= HH_DSSE_MAX_SIGNATURES);
    for (size_t i = 0; i < a->nsigs; i++) {
        const struct hh_dsse_sig *x = &a->sigs[i], *y = &b->sigs[i];
        FUZZ_CHECK(memcmp(x->keyid, y->keyid, sizeof(x->keyid)) == 0);
        FUZZ_CHECK(x->sig_len == y->sig_len && x->sig_len <= HH_DSSE_MAX_SIG_BYTES);
        FUZZ_CHECK(memcmp(x->sig, y->sig, x->sig_len) == 0);
    }
}

static void check_id(const struct hh_dsse *e, const struct hh_dsse *e2)
{
    struct hh_hash id, id2, want;
    uint8_t *pae = NULL;
    size_t pae_len = 0;

    FUZZ_CHECK(hh_dsse_id(e, &id) == HH_OK && hh_dsse_id(e2, &id2) == HH_OK);
    FUZZ_CHECK(hh_hash_equal(&id, &id2));
    FUZZ_CHECK(hh_dsse_pae(e->payload_type, e->payload, e->payload_len, &pae, &pae_len) == HH_OK);
    hh_sha256(pae, pae_len, &want);
    FUZZ_CHECK(hh_hash_equal(&id, &want));
    free(pae);
}

static void check_verify(const struct hh_dsse *e, const struct hh_verifier *key)
{
    uint8_t *pae = NULL, verified = 9;
    size_t pae_len = 0, nverified = 9;
    int want = 0;
    hh_status rc = hh_dsse_verify(e, key, 1, &verified, &nverified, NULL);

    FUZZ_CHECK(hh_dsse_pae(e->payload_type, e->payload, e->payload_len, &pae, &pae_len) == HH_OK);
    for (size_t i = 0; i < e->nsigs && !want; i++)
        want = hh_verifier_signed(key, pae, pae_len, e->sigs[i].sig, e->sigs[i].sig_len);
    free(pae);
    if (want)
        FUZZ_CHECK(rc == HH_OK && verified == 1 && nverified == 1);
    else
        FUZZ_CHECK(rc == HH_ERR_VERIFY && verified == 0 && nverified == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hh_dsse *e = NULL, *e2 = NULL;
    struct hh_error err = {0};
    char *json = NULL, *json2 = NULL;
    size_t len = 0, len2 = 0;
    hh_status rc;

    fuzz_init();
    rc = hh_dsse_parse((const char *)data, size, &e, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(e == NULL && err.code == rc && err.msg[0] != '\0');
        return 0;
    }
    check_verify(e, &fuzz_keys()[0]);
    rc = hh_dsse_format(e, &json, &len, &err);
    if (rc == HH_ERR_TOO_LARGE) {
        FUZZ_CHECK(json == NULL && len == 0);
        goto out;
    }
    FUZZ_CHECK(rc == HH_OK && strlen(json) == len);
    FUZZ_CHECK(hh_dsse_parse(json, len, &e2, NULL) == HH_OK);
    check_same(e, e2);
    check_id(e, e2);
    FUZZ_CHECK(hh_dsse_format(e2, &json2, &len2, NULL) == HH_OK);
    FUZZ_CHECK(len2 == len && memcmp(json, json2, len) == 0);
out:
    free(json2);
    free(json);
    hh_dsse_free(e2);
    hh_dsse_free(e);
    return 0;
}
