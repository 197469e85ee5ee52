/*
 * test_note.c - signed notes: sign/parse/verify round trips, cosignatures,
 * one malformed-input case per parse error (with its line number), the
 * verification rules for known and unknown keys, limits, and bit flips.
 */
#include <henhouse/henhouse.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DASH "\xe2\x80\x94 "

static struct hh_signer *gen(const char *name, uint8_t type, struct hh_verifier *v)
{
    struct hh_signer *s = NULL;
    if (!CHECK_OK(hh_signer_generate(name, type, &s, NULL)))
        abort();
    hh_signer_verifier(s, v);
    return s;
}

/* Writes "— name base64(blob)\n" into out. */
static void sig_line(const char *name, const uint8_t *blob, size_t n, char *out, size_t cap)
{
    char b64[8192];
    if (hh_base64_encode(blob, n, b64, sizeof(b64)) != HH_OK)
        b64[0] = '\0';
    snprintf(out, cap, DASH "%s %s\n", name, b64);
}

/* Parses then verifies; the parse status if it fails, else the verify status. */
static hh_status check_note(const char *buf, size_t len, const struct hh_verifier *keys,
                            size_t nkeys, struct hh_note_verified *out, size_t out_cap,
                            size_t *nout, struct hh_error *err)
{
    struct hh_note *n = NULL;
    size_t dummy = 0;
    hh_status rc = hh_note_parse(buf, len, &n, err);
    if (rc == HH_OK)
        rc = hh_note_verify(n, keys, nkeys, out, out_cap, nout ? nout : &dummy, err);
    hh_note_free(n);
    return rc;
}

static hh_status check_str(const char *buf, const struct hh_verifier *keys, size_t nkeys,
                           struct hh_error *err)
{
    return check_note(buf, strlen(buf), keys, nkeys, NULL, 0, NULL, err);
}

TEST(note_sign_parse_verify)
{
    static const char text[] = "hello\n\nworld \xc3\xa8\n" DASH "not a signature\n";
    struct hh_verifier v;
    struct hh_signer *s;
    struct hh_note *n = NULL;
    struct hh_note_verified out[4];
    size_t nout = 9, len = 0;
    char *note = NULL;

    CHECK_OK(hh_init());
    s = gen("example.org/alice", HH_KEY_ED25519, &v);
    if (!CHECK_OK(hh_note_sign(s, text, strlen(text), &note, &len, NULL)))
        goto out;
    CHECK(len == strlen(note));
    CHECK(len == strlen(text) + 1 + 4 + 17 + 1 + 92 + 1);
    if (!CHECK_OK(hh_note_parse(note, len, &n, NULL)))
        goto out;
    CHECK(n->text_len == strlen(text) && strcmp(n->text, text) == 0);
    CHECK(n->nsigs == 1);
    CHECK(strcmp(n->sigs[0].name, "example.org/alice") == 0);
    CHECK(n->sigs[0].key_id == v.key_id);
    CHECK(n->sigs[0].sig_len == 64);
    CHECK_OK(hh_note_verify(n, &v, 1, out, 4, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0 && out[0].timestamp == 0);
    /* No output array at all is fine too. */
    CHECK_OK(hh_note_verify(n, &v, 1, NULL, 0, &nout, NULL));
    CHECK(nout == 0);
out:
    hh_note_free(n);
    hh_note_free(NULL);
    free(note);
    hh_signer_free(s);
}

TEST(note_text_may_end_in_blank_line)
{
    static const char text[] = "a\n\n";
    struct hh_verifier v;
    struct hh_signer *s;
    struct hh_note *n = NULL;
    char *note = NULL;
    size_t len = 0;

    CHECK_OK(hh_init());
    s = gen("k", HH_KEY_ED25519, &v);
    CHECK_OK(hh_note_sign(s, text, 3, &note, &len, NULL));
    CHECK_OK(hh_note_parse(note, len, &n, NULL));
    CHECK(n != NULL && n->text_len == 3 && memcmp(n->text, text, 3) == 0);
    CHECK_OK(check_str(note, &v, 1, NULL));
    hh_note_free(n);
    free(note);
    hh_signer_free(s);
}

TEST(note_cosignature_round_trip)
{
    static const char text[] =
        "example.com/log\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    struct hh_verifier keys[2];
    struct hh_signer *log, *w;
    struct hh_note_verified out[2];
    struct hh_note *n = NULL;
    char l1[HH_NOTE_SIG_LINE_MAX], l2[HH_NOTE_SIG_LINE_MAX], note[1024];
    size_t nout = 0;

    CHECK_OK(hh_init());
    log = gen("example.com/log", HH_KEY_ED25519, &keys[0]);
    w = gen("example.com/witness", HH_KEY_COSIGNATURE, &keys[1]);
    CHECK_OK(hh_note_sign_line(log, text, strlen(text), 0, l1, sizeof(l1)));
    CHECK_OK(hh_note_sign_line(w, text, strlen(text), 1700000000, l2, sizeof(l2)));
    CHECK(strlen(l2) == 4 + 19 + 1 + 104 + 1);
    snprintf(note, sizeof(note), "%s\n%s%s", text, l1, l2);
    if (!CHECK_OK(hh_note_parse(note, strlen(note), &n, NULL)))
        goto out;
    CHECK(n->nsigs == 2 && n->sigs[1].sig_len == HH_COSIGNATURE_LEN);
    CHECK_OK(hh_note_verify(n, keys, 2, out, 2, &nout, NULL));
    CHECK(nout == 2);
    CHECK(out[0].key_index == 0 && out[0].timestamp == 0);
    CHECK(out[1].key_index == 1 && out[1].timestamp == 1700000000);
    /* The witness alone, and the largest timestamp. */
    CHECK_OK(hh_note_verify(n, &keys[1], 1, out, 2, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0 && out[0].timestamp == 1700000000);
    CHECK_OK(hh_note_sign_line(w, text, strlen(text), (uint64_t)INT64_MAX, l2, sizeof(l2)));
    snprintf(note, sizeof(note), "%s\n%s", text, l2);
    CHECK_OK(check_note(note, strlen(note), &keys[1], 1, out, 2, &nout, NULL));
    CHECK(nout == 1 && out[0].timestamp == (uint64_t)INT64_MAX);
out:
    hh_note_free(n);
    hh_signer_free(log);
    hh_signer_free(w);
}

TEST(note_sign_errors)
{
    struct hh_verifier v, wv;
    struct hh_signer *s, *w;
    struct hh_error err = {0};
    char line[HH_NOTE_SIG_LINE_MAX], *note = (char *)1, *big;
    size_t len = 1;

    CHECK_OK(hh_init());
    s = gen("k", HH_KEY_ED25519, &v);
    w = gen("w", HH_KEY_COSIGNATURE, &wv);
    CHECK_ERR(hh_note_sign(s, "no newline", 10, &note, &len, &err), HH_ERR_INVALID);
    CHECK(note == NULL && len == 0);
    CHECK(strstr(err.msg, "line 1:") != NULL);
    CHECK_ERR(hh_note_sign(s, "", 0, &note, &len, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "empty") != NULL);
    CHECK_ERR(hh_note_sign(s, "a\x01\n", 3, &note, &len, NULL), HH_ERR_INVALID);
    CHECK_ERR(hh_note_sign(w, "a\n", 2, &note, &len, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "cosignature") != NULL);
    CHECK_ERR(hh_note_sign_line(w, "a\n", 2, (uint64_t)INT64_MAX + 1, line, sizeof(line)),
              HH_ERR_INVALID);
    CHECK_ERR(hh_note_sign_line(s, "a", 1, 0, line, sizeof(line)), HH_ERR_INVALID);
    CHECK_ERR(hh_note_sign_line(s, "a\n", 2, 0, line, 4 + 1 + 1 + 92 + 1), HH_ERR_TOO_LARGE);
    CHECK_OK(hh_note_sign_line(s, "a\n", 2, 0, line, 4 + 1 + 1 + 92 + 2));
    /* Text that fits the limit but whose signed note would not. */
    big = malloc(HH_NOTE_MAX_BYTES + 1);
    memset(big, 'x', HH_NOTE_MAX_BYTES + 1);
    big[HH_NOTE_MAX_BYTES - 1] = '\n';
    big[HH_NOTE_MAX_BYTES] = '\n';
    CHECK_OK(hh_note_text_check(big, HH_NOTE_MAX_BYTES, NULL));
    CHECK_ERR(hh_note_sign(s, big, HH_NOTE_MAX_BYTES, &note, &len, &err), HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "signed note would be") != NULL);
    CHECK_ERR(hh_note_text_check(big, HH_NOTE_MAX_BYTES + 1, NULL), HH_ERR_TOO_LARGE);
    free(big);
    hh_signer_free(s);
    hh_signer_free(w);
}

struct bad_text {
    const char *text;
    size_t len;
    hh_status code;
    const char *msg;
};

#define BAD(s, code, msg)                                                                          \
    {                                                                                              \
        s, sizeof(s) - 1, code, msg                                                                \
    }

TEST(note_text_check_errors)
{
    static const struct bad_text cases[] = {
        BAD("", HH_ERR_INVALID, "empty"),
        BAD("abc", HH_ERR_INVALID, "line 1: note text does not end"),
        BAD("a\nb", HH_ERR_INVALID, "line 2: note text does not end"),
        BAD("a\rb\n", HH_ERR_INVALID, "line 1: control character 0x0d"),
        BAD("a\n\tb\n", HH_ERR_INVALID, "line 2: control character 0x09"),
        BAD("a\x7f\n", HH_ERR_INVALID, "line 1: control character 0x7f"),
        BAD("a\0\n", HH_ERR_INVALID, "line 1: control character 0x00"),
        BAD("\xc0\xaf\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),         /* overlong '/' */
        BAD("\xe0\x80\xaf\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),     /* overlong, 3 bytes */
        BAD("\xf0\x80\x80\xaf\n", HH_ERR_INVALID, "line 1: invalid UTF-8"), /* overlong, 4 bytes */
        BAD("a\n\xed\xa0\x80\n", HH_ERR_INVALID, "line 2: invalid UTF-8"),  /* surrogate */
        BAD("\xf4\x90\x80\x80\n", HH_ERR_INVALID, "line 1: invalid UTF-8"), /* > U+10FFFF */
        BAD("\xf8\x88\x80\x80\x80\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),
        BAD("\x80\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),
        BAD("\xe2\x80\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),
        BAD("\xff\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),
    };
    static const char ok[] = "\xc2\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80 \n";
    struct hh_error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&err, 0, sizeof(err));
        if (!CHECK_ERR(hh_note_text_check(cases[i].text, cases[i].len, &err), cases[i].code) ||
            !CHECK(strstr(err.msg, cases[i].msg) != NULL))
            hh_test_note("case %zu: %s", i, err.msg);
    }
    CHECK_OK(hh_note_text_check(ok, sizeof(ok) - 1, NULL));
    CHECK_OK(hh_note_text_check("\n", 1, NULL));
}

TEST(note_parse_errors)
{
    static const struct bad_text cases[] = {
        BAD("a\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "no blank line"),
        BAD("a\n", HH_ERR_INVALID, "no blank line"),
        BAD("", HH_ERR_INVALID, "no blank line"),
        BAD("a\n\n", HH_ERR_INVALID, "line 3: note has no signature lines"),
        BAD("a\n\n" DASH "k AAAAAAAA", HH_ERR_INVALID, "line 3: signature line does not end"),
        BAD("a\n\n" DASH "k AAAAAAAA\n" DASH "k AAAAAAAA", HH_ERR_INVALID,
            "line 4: signature line does not end"),
        BAD("a\n\n- k AAAAAAAA\n", HH_ERR_INVALID, "line 3: signature line does not start"),
        BAD("a\n\n\xe2\x80\x94k AAAAAAAA\n", HH_ERR_INVALID, "line 3: signature line does not"),
        BAD("a\n\n\xe2\x80\x93 k AAAAAAAA\n", HH_ERR_INVALID, "line 3: signature line does not"),
        BAD("a\n\n\xe2\x80\x94\n", HH_ERR_INVALID, "line 3: signature line does not start"),
        BAD("a\n\n" DASH "kAAAAAAAA\n", HH_ERR_INVALID, "line 3: no space after the key name"),
        BAD("a\n\n" DASH " k AAAAAAAA\n", HH_ERR_INVALID, "line 3: invalid key name"),
        BAD("a\n\n" DASH "k+1 AAAAAAAA\n", HH_ERR_INVALID, "line 3: invalid key name"),
        BAD("a\n\n" DASH "k\xc2\xa0x AAAAAAAA\n", HH_ERR_INVALID, "line 3: invalid key name"),
        BAD("a\n\n" DASH "k AAAA AAAA\n", HH_ERR_INVALID, "line 3: signature is not canonical"),
        BAD("a\n\n" DASH "k AAAAAAA*\n", HH_ERR_INVALID, "line 3: signature is not canonical"),
        BAD("a\n\n" DASH "k AAAAAAA\n", HH_ERR_INVALID, "line 3: signature is not canonical"),
        BAD("a\n\n" DASH "k AAAAAAB=\n", HH_ERR_INVALID, "line 3: signature is not canonical"),
        BAD("a\n\n" DASH "k AAAAAA-_\n", HH_ERR_INVALID, "line 3: signature is not canonical"),
        BAD("a\n\n" DASH "k AAAAAA==\n", HH_ERR_INVALID, "line 3: signature is 4 bytes"),
        BAD("a\n\n" DASH "k \n", HH_ERR_INVALID, "line 3: signature is 0 bytes"),
        BAD("a\nb\n\nc\n\n" DASH "k AAAAAAAA\nbad\n", HH_ERR_INVALID,
            "line 7: signature line does not start"),
        BAD("a\n\n" DASH "k AAAAAAAA\n\t\n", HH_ERR_INVALID, "line 4: control character 0x09"),
        BAD("a\rb\n\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "line 1: control character 0x0d"),
        BAD("a\r\n\r\n" DASH "k AAAAAAAA\r\n", HH_ERR_INVALID, "line 1: control character 0x0d"),
        BAD("a\x7f\n\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "line 1: control character 0x7f"),
        BAD("a\0\n\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "line 1: control character 0x00"),
        BAD("\xc0\xaf\n\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),
        BAD("a\n\xed\xa0\x80\n\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "line 2: invalid UTF-8"),
        BAD("\xf4\x90\x80\x80\n\n" DASH "k AAAAAAAA\n", HH_ERR_INVALID, "line 1: invalid UTF-8"),
        BAD("a\n\n" DASH "k\xff AAAAAAAA\n", HH_ERR_INVALID, "line 3: invalid UTF-8"),
        BAD("a\n\n\xe2\x80\n", HH_ERR_INVALID, "line 3: invalid UTF-8"),
    };
    struct hh_note *n;
    struct hh_error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&err, 0, sizeof(err));
        n = (struct hh_note *)&err;
        if (!CHECK_ERR(hh_note_parse(cases[i].text, cases[i].len, &n, &err), cases[i].code) ||
            !CHECK(strstr(err.msg, cases[i].msg) != NULL) || !CHECK(n == NULL))
            hh_test_note("case %zu: %s", i, err.msg);
    }
    /* The same shapes, well-formed, parse. */
    CHECK_OK(hh_note_parse("a\n\n" DASH "k AAAAAAAA\n", 18, &n, NULL));
    hh_note_free(n);
    CHECK_OK(hh_note_parse("a\n\n\n" DASH "k AAAAAAAA\n", 19, &n, NULL));
    CHECK(n != NULL && n->text_len == 3);
    hh_note_free(n);
}

/* A note "<text>\n" followed by nlines copies of line. */
static char *repeat_note(const char *text, const char *line, size_t nlines, size_t *len)
{
    size_t tl = strlen(text), ll = strlen(line);
    char *buf = malloc(tl + 1 + ll * nlines + 1);
    memcpy(buf, text, tl);
    buf[tl] = '\n';
    for (size_t i = 0; i < nlines; i++)
        memcpy(buf + tl + 1 + i * ll, line, ll);
    *len = tl + 1 + ll * nlines;
    buf[*len] = '\0';
    return buf;
}

TEST(note_signature_limits)
{
    static uint8_t blob[HH_NOTE_MAX_SIG_BYTES + 1];
    static char line[8300];
    struct hh_note *n = NULL;
    struct hh_error err = {0};
    size_t len = 0;
    char *buf;

    CHECK_OK(hh_init());
    buf = repeat_note("a\n", DASH "k AAAAAAAA\n", HH_NOTE_MAX_SIGNATURES, &len);
    CHECK_OK(hh_note_parse(buf, len, &n, NULL));
    CHECK(n != NULL && n->nsigs == HH_NOTE_MAX_SIGNATURES);
    hh_note_free(n);
    free(buf);
    buf = repeat_note("a\n", DASH "k AAAAAAAA\n", HH_NOTE_MAX_SIGNATURES + 1, &len);
    CHECK_ERR(hh_note_parse(buf, len, &n, &err), HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "65 signature lines") != NULL);
    free(buf);
    /* The largest signature blob, then one byte more. */
    sig_line("k", blob, HH_NOTE_MAX_SIG_BYTES, line, sizeof(line));
    buf = repeat_note("a\n", line, 1, &len);
    CHECK_OK(hh_note_parse(buf, len, &n, NULL));
    CHECK(n != NULL && n->sigs[0].sig_len == HH_NOTE_MAX_SIG_BYTES - 4);
    hh_note_free(n);
    free(buf);
    sig_line("k", blob, HH_NOTE_MAX_SIG_BYTES + 1, line, sizeof(line));
    buf = repeat_note("a\n", line, 1, &len);
    CHECK_ERR(hh_note_parse(buf, len, &n, &err), HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "line 3:") != NULL);
    free(buf);
}

TEST(note_size_limit)
{
    static const char line[] = DASH "k AAAAAAAA\n";
    size_t len = HH_NOTE_MAX_BYTES + 1;
    char *buf = malloc(len);
    struct hh_note *n = NULL;

    /* Exactly HH_NOTE_MAX_BYTES parses; one byte more does not. */
    memset(buf, 'x', len);
    memcpy(buf + HH_NOTE_MAX_BYTES - (sizeof(line) - 1) - 2, "\n\n", 2);
    memcpy(buf + HH_NOTE_MAX_BYTES - (sizeof(line) - 1), line, sizeof(line) - 1);
    CHECK_OK(hh_note_parse(buf, HH_NOTE_MAX_BYTES, &n, NULL));
    hh_note_free(n);
    memmove(buf + 1, buf, HH_NOTE_MAX_BYTES);
    CHECK_ERR(hh_note_parse(buf, len, &n, NULL), HH_ERR_TOO_LARGE);
    CHECK(n == NULL);
    free(buf);
}

TEST(note_many_signers)
{
    enum { NKEYS = 20 };
    static const char text[] = "many signers\n";
    struct hh_signer *s[NKEYS];
    struct hh_verifier v[NKEYS];
    struct hh_note_verified out[NKEYS];
    char name[32], note[NKEYS * HH_NOTE_SIG_LINE_MAX + 64];
    size_t len, nout = 0;

    CHECK_OK(hh_init());
    len = (size_t)snprintf(note, sizeof(note), "%s\n", text);
    for (int i = 0; i < NKEYS; i++) {
        snprintf(name, sizeof(name), "example.org/k%d", i);
        s[i] = gen(name, i % 3 == 2 ? HH_KEY_COSIGNATURE : HH_KEY_ED25519, &v[i]);
        CHECK_OK(hh_note_sign_line(s[i], text, strlen(text), (uint64_t)i, note + len,
                                   sizeof(note) - len));
        len += strlen(note + len);
    }
    CHECK_OK(check_note(note, len, v, NKEYS, out, NKEYS, &nout, NULL));
    CHECK(nout == NKEYS);
    for (size_t i = 0; i < nout; i++)
        CHECK(out[i].key_index == i && out[i].timestamp == (i % 3 == 2 ? i : 0));
    /* A short output array: all verified, five listed. */
    CHECK_OK(check_note(note, len, v, NKEYS, out, 5, &nout, NULL));
    CHECK(nout == 5);
    /* Any one key alone is enough. */
    CHECK_OK(check_note(note, len, &v[17], 1, out, NKEYS, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0 && out[0].timestamp == 17);
    for (int i = 0; i < NKEYS; i++)
        hh_signer_free(s[i]);
}

TEST(note_unknown_signatures_ignored)
{
    static const char text[] = "text\n";
    struct hh_verifier a, b, fake_name, fake_id;
    struct hh_signer *sa, *sb;
    struct hh_note_verified out[4];
    struct hh_error err = {0};
    char la[HH_NOTE_SIG_LINE_MAX], lb[HH_NOTE_SIG_LINE_MAX], note[2048];
    size_t nout = 0;

    CHECK_OK(hh_init());
    sa = gen("example.org/a", HH_KEY_ED25519, &a);
    sb = gen("example.org/b", HH_KEY_ED25519, &b);
    CHECK_OK(hh_note_sign_line(sa, text, 5, 0, la, sizeof(la)));
    CHECK_OK(hh_note_sign_line(sb, text, 5, 0, lb, sizeof(lb)));
    /* Unknown lines around a's: another key, garbage, a 0x05-style blob. */
    snprintf(note, sizeof(note), "%s\n%s" DASH "x.org/ct kVB1JgAAAZtx\n%s" DASH "z AAAAAAAA\n",
             text, lb, la);
    CHECK_OK(check_note(note, strlen(note), &a, 1, out, 4, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0);
    /* Same id but another name, same name but another id: both unknown. */
    fake_name = b;
    memcpy(fake_name.name, "example.org/c", 14);
    fake_id = b;
    fake_id.key_id ^= 0x80000000u;
    snprintf(note, sizeof(note), "%s\n%s", text, lb);
    CHECK_ERR(check_str(note, &fake_name, 1, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "no known signature") != NULL);
    CHECK_ERR(check_str(note, &fake_id, 1, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "no known signature") != NULL);
    CHECK_ERR(check_str(note, NULL, 0, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "no known signature") != NULL);
    hh_signer_free(sa);
    hh_signer_free(sb);
}

TEST(note_known_bad_signature_rejects)
{
    static const char text[] = "text\n";
    struct hh_verifier keys[2];
    struct hh_signer *sa, *sb;
    struct hh_note_verified out[2] = {{7, 7}, {7, 7}};
    struct hh_error err = {0};
    char la[HH_NOTE_SIG_LINE_MAX], lb[HH_NOTE_SIG_LINE_MAX], note[2048];
    size_t nout = 9;

    CHECK_OK(hh_init());
    sa = gen("example.org/a", HH_KEY_ED25519, &keys[0]);
    sb = gen("example.org/b", HH_KEY_ED25519, &keys[1]);
    CHECK_OK(hh_note_sign_line(sa, text, 5, 0, la, sizeof(la)));
    CHECK_OK(hh_note_sign_line(sb, "other\n", 6, 0, lb, sizeof(lb))); /* b signed other text */
    snprintf(note, sizeof(note), "%s\n%s%s", text, la, lb);
    CHECK_OK(check_note(note, strlen(note), keys, 1, out, 2, &nout, NULL));
    CHECK_ERR(check_note(note, strlen(note), keys, 2, out, 2, &nout, &err), HH_ERR_VERIFY);
    CHECK(nout == 0 && out[0].key_index == 0 && out[0].timestamp == 0);
    CHECK(strstr(err.msg, "line 4: signature by example.org/b does not verify") != NULL);
    /* Order does not matter: a bad known signature first. */
    snprintf(note, sizeof(note), "%s\n%s%s", text, lb, la);
    CHECK_ERR(check_note(note, strlen(note), keys, 2, out, 2, &nout, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "line 3:") != NULL);
    hh_signer_free(sa);
    hh_signer_free(sb);
}

TEST(note_known_key_wrong_shape)
{
    static const char text[] = "text\n";
    struct hh_verifier e, w;
    struct hh_signer *se, *sw;
    struct hh_error err = {0};
    uint8_t blob[4 + 8 + 64] = {0};
    char line[256], note[512];

    CHECK_OK(hh_init());
    se = gen("e", HH_KEY_ED25519, &e);
    sw = gen("w", HH_KEY_COSIGNATURE, &w);
    /* An Ed25519 key's signature of 1 byte, and of 72 bytes. */
    blob[0] = (uint8_t)(e.key_id >> 24), blob[1] = (uint8_t)(e.key_id >> 16);
    blob[2] = (uint8_t)(e.key_id >> 8), blob[3] = (uint8_t)e.key_id;
    sig_line("e", blob, 5, line, sizeof(line));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_ERR(check_str(note, &e, 1, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "line 3: Ed25519 signature by e is 1 bytes, not 64") != NULL);
    sig_line("e", blob, 76, line, sizeof(line));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_ERR(check_str(note, &e, 1, NULL), HH_ERR_VERIFY);
    /* A cosignature key's plain 64-byte signature. */
    blob[0] = (uint8_t)(w.key_id >> 24), blob[1] = (uint8_t)(w.key_id >> 16);
    blob[2] = (uint8_t)(w.key_id >> 8), blob[3] = (uint8_t)w.key_id;
    hh_signer_sign_raw(sw, text, 5, blob + 4);
    sig_line("w", blob, 68, line, sizeof(line));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_ERR(check_str(note, &w, 1, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "line 3: cosignature by w") != NULL);
    /* A timestamp above 2^63-1. */
    memset(blob + 4, 0x80, 1);
    sig_line("w", blob, 76, line, sizeof(line));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_ERR(check_str(note, &w, 1, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "2^63-1") != NULL);
    /* A verifier with a type henhouse cannot verify. */
    e.type = 0x05;
    CHECK_OK(hh_note_sign_line(se, text, 5, 0, line, sizeof(line)));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_ERR(check_str(note, &e, 1, NULL), HH_ERR_VERIFY);
    hh_signer_free(se);
    hh_signer_free(sw);
}

TEST(note_repeated_lines)
{
    static const char text[] = "text\n";
    struct hh_verifier v;
    struct hh_signer *s;
    struct hh_note_verified out[4];
    char l[HH_NOTE_SIG_LINE_MAX], note[1200];
    size_t nout = 0;

    CHECK_OK(hh_init());
    s = gen("k", HH_KEY_ED25519, &v);
    CHECK_OK(hh_note_sign_line(s, text, 5, 0, l, sizeof(l)));
    snprintf(note, sizeof(note), "%s\n%s%s%s", text, l, l, l);
    CHECK_OK(check_note(note, strlen(note), &v, 1, out, 4, &nout, NULL));
    CHECK(nout == 1); /* listed once: repeats do not count as more signers */
    hh_signer_free(s);
}

/* Every single-bit change of the signature blob is refused. */
static void flip_blob_bits(const char *text, const uint8_t *blob, size_t n,
                           const struct hh_verifier *v, const char *name)
{
    uint8_t b[128];
    char line[512], note[1024];
    int failures = 0;

    for (size_t bit = 0; bit < n * 8; bit++) {
        memcpy(b, blob, n);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        sig_line(name, b, n, line, sizeof(line));
        snprintf(note, sizeof(note), "%s\n%s", text, line);
        if (check_str(note, v, 1, NULL) != HH_ERR_VERIFY && failures++ < 3)
            hh_test_note("blob bit %zu accepted", bit);
    }
    CHECK(failures == 0);
}

TEST(note_bit_flips_in_signature)
{
    static const char text[] = "a\n";
    struct hh_verifier e, w;
    struct hh_signer *se, *sw;
    struct hh_note *n = NULL;
    char line[HH_NOTE_SIG_LINE_MAX], note[512];

    CHECK_OK(hh_init());
    se = gen("e", HH_KEY_ED25519, &e);
    sw = gen("w", HH_KEY_COSIGNATURE, &w);
    CHECK_OK(hh_note_sign_line(se, text, 2, 0, line, sizeof(line)));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_OK(check_str(note, &e, 1, NULL));
    if (CHECK_OK(hh_note_parse(note, strlen(note), &n, NULL)))
        flip_blob_bits(text, n->sigs[0].sig - 4, n->sigs[0].sig_len + 4, &e, "e");
    hh_note_free(n);
    n = NULL;
    CHECK_OK(hh_note_sign_line(sw, text, 2, 1679315147, line, sizeof(line)));
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    CHECK_OK(check_str(note, &w, 1, NULL));
    if (CHECK_OK(hh_note_parse(note, strlen(note), &n, NULL)))
        flip_blob_bits(text, n->sigs[0].sig - 4, n->sigs[0].sig_len + 4, &w, "w");
    hh_note_free(n);
    hh_signer_free(se);
    hh_signer_free(sw);
}

/* Flipping the given bit of a signed note makes it fail to parse or verify. */
static int flip_rejected(const char *note, size_t len, size_t bit, const struct hh_verifier *v)
{
    char buf[2048];
    hh_status rc;

    memcpy(buf, note, len);
    buf[bit / 8] ^= (char)(1u << (bit % 8));
    rc = check_note(buf, len, v, 1, NULL, 0, NULL, NULL);
    return rc == HH_ERR_INVALID || rc == HH_ERR_VERIFY;
}

TEST(note_bit_flips_anywhere)
{
    static const char small[] = "a\n";
    static const char text[] = "example.com/behind-the-sofa\n20852163\n"
                               "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextension line\n";
    struct hh_verifier v;
    struct hh_signer *s;
    char *note = NULL;
    size_t len = 0;
    int failures = 0;

    CHECK_OK(hh_init());
    s = gen("example.com/behind-the-sofa", HH_KEY_ED25519, &v);
    /* Every bit of a small note, text and signature line alike. */
    if (!CHECK_OK(hh_note_sign(s, small, 2, &note, &len, NULL)))
        len = 0;
    for (size_t bit = 0; bit < len * 8; bit++)
        if (!flip_rejected(note, len, bit, &v) && failures++ < 3)
            hh_test_note("small note bit %zu accepted", bit);
    free(note);
    /* A sample of text bits of a checkpoint-sized note. */
    if (!CHECK_OK(hh_note_sign(s, text, strlen(text), &note, &len, NULL)))
        len = 0;
    for (int i = 0; i < 400 && len > 0; i++) {
        size_t bit = (size_t)(hh_test_rand() % (strlen(text) * 8));
        if (!flip_rejected(note, len, bit, &v) && failures++ < 3)
            hh_test_note("text bit %zu accepted", bit);
    }
    CHECK(failures == 0);
    free(note);
    hh_signer_free(s);
}
