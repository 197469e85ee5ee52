/*
 * fuzz_cosignature.c - cosignature/v1: hh_cosignature_split and the note
 * verifier with a 0x04 (cosignature) key.
 *
 * Every input is used three ways:
 *  1. as a cosignature body for hh_cosignature_split, which must accept
 *     exactly the 72-byte bodies whose timestamp is at most 2^63-1 and
 *     return the timestamp and a pointer 8 bytes in;
 *  2. as a whole signed note, verified against the fixed witness key: the
 *     verdict must match checking each of its signature lines by hand
 *     (split, hh_cosignature_message, raw Ed25519);
 *  3. as body (first 72 bytes) || checkpoint text (the rest), assembled into
 *     a one-signature note by the witness key: it must parse exactly when the
 *     text is valid note text, and verify exactly when the hand check does,
 *     reporting the body's timestamp. The signed message must be
 *     "cosignature/v1\ntime <T>\n" || text.
 */
#include "fuzz_common.h"

#define PREFIX "\xE2\x80\x94 "

static void check_split(const uint8_t *data, size_t size)
{
    struct hh_error err = {0};
    const uint8_t *sig = data;
    uint64_t t = 99;
    hh_status rc = hh_cosignature_split(data, size, &t, &sig, &err);
    int want = size == HH_COSIGNATURE_LEN && fuzz_get_be64(data) <= (uint64_t)INT64_MAX;

    if (!want) {
        FUZZ_CHECK(rc == HH_ERR_INVALID && err.code == rc && t == 0 && sig == NULL);
        return;
    }
    FUZZ_CHECK(rc == HH_OK && t == fuzz_get_be64(data) && sig == data + 8);
}

/* The cosignature/v1 message for text at t, checked against its definition. */
static char *message(const char *text, size_t len, uint64_t t, size_t *msg_len)
{
    char head[64], *msg = NULL;
    int h = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n", (unsigned long long)t);

    FUZZ_CHECK(hh_cosignature_message(text, len, t, &msg, msg_len) == HH_OK);
    FUZZ_CHECK(h > 0 && *msg_len == (size_t)h + len && msg[*msg_len] == '\0');
    FUZZ_CHECK(memcmp(msg, head, (size_t)h) == 0 && memcmp(msg + h, text, len) == 0);
    return msg;
}

/* 1 if sig is a valid cosignature by key over text, with its timestamp in *t. */
static int hand_check(const struct hh_verifier *key, const char *text, size_t len,
                      const uint8_t *body, size_t body_len, uint64_t *t)
{
    const uint8_t *ed = NULL;
    size_t msg_len = 0;
    char *msg;
    int ok;

    *t = 0;
    if (hh_cosignature_split(body, body_len, t, &ed, NULL) != HH_OK)
        return 0;
    msg = message(text, len, *t, &msg_len);
    ok = hh_verifier_signed(key, msg, msg_len, ed, 64);
    free(msg);
    return ok;
}

/* Verifies n with the witness key alone and compares with the hand check of each line. */
static void check_note(const struct hh_note *n, const struct hh_verifier *w)
{
    struct hh_note_verified out[1];
    size_t nout = 0, known = 0, good = 0;
    uint64_t t = 0, first_t = 0;
    hh_status rc = hh_note_verify(n, w, 1, out, 1, &nout, NULL);

    for (size_t i = 0; i < n->nsigs; i++) {
        const struct hh_note_sig *s = &n->sigs[i];
        if (s->key_id != w->key_id || strcmp(s->name, w->name) != 0)
            continue;
        known++;
        if (hand_check(w, n->text, n->text_len, s->sig, s->sig_len, &t)) {
            if (good++ == 0)
                first_t = t;
        }
    }
    if (known > 0 && good == known) {
        FUZZ_CHECK(rc == HH_OK && nout == 1 && out[0].key_index == 0);
        FUZZ_CHECK(out[0].timestamp == first_t);
    } else {
        FUZZ_CHECK(rc == HH_ERR_VERIFY && nout == 0);
    }
}

static void check_whole_note(const uint8_t *data, size_t size, const struct hh_verifier *w)
{
    struct hh_note *n = NULL;

    if (hh_note_parse((const char *)data, size, &n, NULL) != HH_OK)
        return;
    check_note(n, w);
    hh_note_free(n);
}

/* text || blank line || "— <witness> base64(key id || body)" */
static void check_assembled(const uint8_t *data, size_t size, const struct hh_verifier *w)
{
    static uint8_t blob[4 + HH_COSIGNATURE_LEN];
    static char b64[(4 + HH_COSIGNATURE_LEN + 2) / 3 * 4 + 1];
    const char *text = (const char *)data + HH_COSIGNATURE_LEN;
    size_t text_len = size - HH_COSIGNATURE_LEN, name_len = strlen(w->name), b64_len, len;
    struct hh_note *n = NULL;
    char *note, *p;
    hh_status rc;

    fuzz_put_be32(blob, w->key_id);
    memcpy(blob + 4, data, HH_COSIGNATURE_LEN);
    FUZZ_CHECK(hh_base64_encode(blob, sizeof(blob), b64, sizeof(b64)) == HH_OK);
    b64_len = strlen(b64);
    len = text_len + 1 + 4 + name_len + 1 + b64_len + 1;
    note = p = malloc(len);
    FUZZ_CHECK(note != NULL);
    memcpy(p, text, text_len);
    p += text_len;
    memcpy(p, "\n" PREFIX, 5);
    p += 5;
    memcpy(p, w->name, name_len);
    p += name_len;
    *p++ = ' ';
    memcpy(p, b64, b64_len);
    p[b64_len] = '\n';
    rc = hh_note_parse(note, len, &n, NULL);
    if (hh_note_text_check(text, text_len, NULL) == HH_OK && len <= HH_NOTE_MAX_BYTES) {
        FUZZ_CHECK(rc == HH_OK && n->nsigs == 1 && n->text_len == text_len);
        check_note(n, w);
    } else if (rc == HH_OK) {
        /* A text that is not note text can still split elsewhere; it must then be valid. */
        FUZZ_CHECK(hh_note_text_check(n->text, n->text_len, NULL) == HH_OK);
        check_note(n, w);
    }
    hh_note_free(n);
    free(note);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct hh_verifier *w;

    fuzz_init();
    w = &fuzz_keys()[1];
    check_split(data, size);
    check_whole_note(data, size, w);
    if (size >= HH_COSIGNATURE_LEN)
        check_assembled(data, size, w);
    return 0;
}
