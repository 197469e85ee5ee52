/*
 * fuzz_note.c - C2SP signed notes: hh_note_parse, then hh_note_verify.
 *
 * Properties checked on every note that parses:
 *  - it re-serialises to exactly the input: text, blank line, then one
 *    "— <name> base64(key id || signature)" line per signature (the parser
 *    accepts one spelling only);
 *  - its text passes hh_note_text_check;
 *  - verification against the fixed keys (Ed25519, cosignature/v1) returns
 *    HH_OK or HH_ERR_VERIFY, lists each given key at most once, gives a
 *    timestamp only for the cosignature key, and agrees with a NULL output;
 *  - the text signed afresh (Ed25519 note plus a cosignature line) parses
 *    and verifies with both keys.
 */
#include "fuzz_common.h"

#define COSIG_TIME 1700000000u

static struct hh_signer *signer, *witness;

/* Appends n bytes at *p, which must stay within end. */
static void put(char **p, const char *end, const void *s, size_t n)
{
    FUZZ_CHECK((size_t)(end - *p) >= n);
    memcpy(*p, s, n);
    *p += n;
}

/* The note's bytes as the parser must have seen them. */
static void check_reserialise(const struct hh_note *n, const uint8_t *data, size_t size)
{
    static uint8_t blob[4 + HH_NOTE_MAX_SIG_BYTES];
    static char b64[(4 + HH_NOTE_MAX_SIG_BYTES + 2) / 3 * 4 + 1];
    char *buf = malloc(size + 1), *p = buf, *end = buf + size;

    FUZZ_CHECK(buf != NULL);
    put(&p, end, n->text, n->text_len);
    put(&p, end, "\n", 1);
    for (size_t i = 0; i < n->nsigs; i++) {
        const struct hh_note_sig *s = &n->sigs[i];
        size_t name_len = strnlen(s->name, sizeof(s->name));
        FUZZ_CHECK(hh_key_name_valid(s->name, name_len));
        FUZZ_CHECK(s->sig_len >= 1 && s->sig_len <= HH_NOTE_MAX_SIG_BYTES - 4);
        fuzz_put_be32(blob, s->key_id);
        memcpy(blob + 4, s->sig, s->sig_len);
        FUZZ_CHECK(hh_base64_encode(blob, 4 + s->sig_len, b64, sizeof(b64)) == HH_OK);
        put(&p, end, "\xE2\x80\x94 ", 4);
        put(&p, end, s->name, name_len);
        put(&p, end, " ", 1);
        put(&p, end, b64, strlen(b64));
        put(&p, end, "\n", 1);
    }
    FUZZ_CHECK(p == end && memcmp(buf, data, size) == 0);
    free(buf);
}

static void check_verify(const struct hh_note *n, const struct hh_verifier *keys)
{
    struct hh_note_verified out[4];
    struct hh_error err = {0};
    size_t nout = 99, nout2 = 99;
    hh_status rc = hh_note_verify(n, keys, 2, out, 4, &nout, &err);
    hh_status rc2 = hh_note_verify(n, keys, 2, NULL, 0, &nout2, NULL);

    FUZZ_CHECK(rc == rc2 && nout2 == 0);
    FUZZ_CHECK(rc == HH_OK || rc == HH_ERR_VERIFY);
    FUZZ_CHECK(rc == err.code && (rc == HH_OK || err.msg[0] != '\0'));
    if (rc != HH_OK) {
        FUZZ_CHECK(nout == 0);
        return;
    }
    FUZZ_CHECK(nout >= 1 && nout <= 2);
    for (size_t i = 0; i < nout; i++) {
        FUZZ_CHECK(out[i].key_index < 2);
        FUZZ_CHECK(keys[out[i].key_index].type == HH_KEY_COSIGNATURE || out[i].timestamp == 0);
        FUZZ_CHECK(out[i].timestamp <= (uint64_t)HH_COSIGNATURE_MAX_TIME);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(out[j].key_index != out[i].key_index);
    }
}

/* Signs the text with both fixed keys; the result must parse and verify with both. */
static void check_resign(const struct hh_note *n, const struct hh_verifier *keys)
{
    char line[HH_NOTE_SIG_LINE_MAX], *signed_note = NULL, *both = NULL;
    struct hh_note_verified out[2];
    struct hh_note *m = NULL;
    size_t len = 0, line_len, nout = 0;
    hh_status rc = hh_note_sign(signer, n->text, n->text_len, &signed_note, &len, NULL);

    if (rc == HH_ERR_TOO_LARGE)
        return;
    FUZZ_CHECK(rc == HH_OK);
    FUZZ_CHECK(hh_note_sign_line(witness, n->text, n->text_len, COSIG_TIME, line, sizeof(line)) ==
               HH_OK);
    line_len = strlen(line);
    both = malloc(len + line_len);
    FUZZ_CHECK(both != NULL);
    memcpy(both, signed_note, len);
    memcpy(both + len, line, line_len);
    rc = hh_note_parse(both, len + line_len, &m, NULL);
    if (rc == HH_OK) {
        FUZZ_CHECK(m->text_len == n->text_len && memcmp(m->text, n->text, n->text_len) == 0);
        FUZZ_CHECK(hh_note_verify(m, keys, 2, out, 2, &nout, NULL) == HH_OK && nout == 2);
        FUZZ_CHECK(out[0].key_index == 0 && out[0].timestamp == 0);
        FUZZ_CHECK(out[1].key_index == 1 && out[1].timestamp == COSIG_TIME);
    } else {
        FUZZ_CHECK(rc == HH_ERR_TOO_LARGE && len + line_len > HH_NOTE_MAX_BYTES);
    }
    hh_note_free(m);
    free(both);
    free(signed_note);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct hh_verifier *keys;
    struct hh_note *n = NULL;
    struct hh_error err = {0};
    hh_status rc;

    fuzz_init();
    keys = fuzz_keys();
    if (signer == NULL) {
        signer = fuzz_signer(FUZZ_SIGNER_KEY);
        witness = fuzz_signer(FUZZ_WITNESS_KEY);
    }
    rc = hh_note_parse((const char *)data, size, &n, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(n == NULL && err.code == rc && err.msg[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(n->nsigs >= 1 && n->nsigs <= HH_NOTE_MAX_SIGNATURES);
    FUZZ_CHECK(n->text_len >= 1 && n->text_len < size && n->text[n->text_len] == '\0');
    FUZZ_CHECK(hh_note_text_check(n->text, n->text_len, NULL) == HH_OK);
    check_reserialise(n, data, size);
    check_verify(n, keys);
    check_resign(n, keys);
    hh_note_free(n);
    return 0;
}
