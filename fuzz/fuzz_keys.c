/*
 * fuzz_keys.c - signed-note key texts: hh_verifier_parse and hh_signer_parse.
 *
 * Each input is tried as both. Properties: a failed parse leaves the output
 * zeroed/NULL and names the error; a key that parses has a valid name, type
 * 0x01 or 0x04 and the key id recomputed from its parts, formats back to
 * exactly the input without surrounding whitespace, and parses again to
 * the same key. A signer's verifier checks a signature the signer just made
 * and, formatted, parses as a verifier key of the same name, type and id.
 */
#include "fuzz_common.h"

static const char *trimmed(const char *s, size_t *len)
{
    while (*len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        (*len)--;
    }
    while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r' ||
                        s[*len - 1] == '\n'))
        (*len)--;
    return s;
}

static int verifier_ok(const struct hh_verifier *v)
{
    size_t name_len = strnlen(v->name, sizeof(v->name));

    return hh_key_name_valid(v->name, name_len) &&
           (v->type == HH_KEY_ED25519 || v->type == HH_KEY_COSIGNATURE) &&
           hh_key_id(v->name, name_len, v->type, v->public_key) == v->key_id;
}

static void check_verifier(const char *text, size_t len)
{
    static const struct hh_verifier zero;
    struct hh_verifier v, v2;
    struct hh_error err = {0};
    char out[HH_KEY_TEXT_MAX];
    const char *t;
    hh_status rc = hh_verifier_parse(text, len, &v, &err);

    if (rc != HH_OK) {
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0' && memcmp(&v, &zero, sizeof(v)) == 0);
        return;
    }
    FUZZ_CHECK(verifier_ok(&v));
    FUZZ_CHECK(hh_verifier_format(&v, out, sizeof(out)) == HH_OK);
    t = trimmed(text, &len);
    FUZZ_CHECK(strlen(out) == len && memcmp(out, t, len) == 0);
    FUZZ_CHECK(hh_verifier_parse(out, strlen(out), &v2, NULL) == HH_OK);
    FUZZ_CHECK(memcmp(&v, &v2, sizeof(v)) == 0);
}

static void check_signer(const char *text, size_t len)
{
    static const char msg[] = "fuzz_keys message\n";
    struct hh_signer *s = NULL, *s2 = NULL;
    struct hh_verifier v, v2, pv;
    struct hh_error err = {0};
    char out[HH_KEY_TEXT_MAX], out2[HH_KEY_TEXT_MAX], vtext[HH_KEY_TEXT_MAX];
    uint8_t sig[64];
    const char *t;
    hh_status rc = hh_signer_parse(text, len, &s, &err);

    if (rc != HH_OK) {
        FUZZ_CHECK(s == NULL && err.code == rc && err.msg[0] != '\0');
        return;
    }
    hh_signer_verifier(s, &v);
    FUZZ_CHECK(verifier_ok(&v));
    FUZZ_CHECK(hh_signer_format(s, out, sizeof(out)) == HH_OK);
    t = trimmed(text, &len);
    FUZZ_CHECK(strlen(out) == len && memcmp(out, t, len) == 0);
    FUZZ_CHECK(hh_signer_parse(out, strlen(out), &s2, NULL) == HH_OK);
    hh_signer_verifier(s2, &v2);
    FUZZ_CHECK(memcmp(&v, &v2, sizeof(v)) == 0);
    FUZZ_CHECK(hh_signer_format(s2, out2, sizeof(out2)) == HH_OK && strcmp(out, out2) == 0);
    hh_signer_sign_raw(s, msg, sizeof(msg) - 1, sig);
    FUZZ_CHECK(hh_verifier_signed(&v, msg, sizeof(msg) - 1, sig, sizeof(sig)));
    FUZZ_CHECK(hh_verifier_format(&v, vtext, sizeof(vtext)) == HH_OK);
    FUZZ_CHECK(hh_verifier_parse(vtext, strlen(vtext), &pv, NULL) == HH_OK);
    FUZZ_CHECK(memcmp(&v, &pv, sizeof(v)) == 0);
    hh_signer_free(s2);
    hh_signer_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    check_verifier((const char *)data, size);
    check_signer((const char *)data, size);
    return 0;
}
