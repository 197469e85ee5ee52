/*
 * test_checkpoint.c - checkpoint text: format/parse round trips, the C2SP
 * example, and one malformed-input case for every parse error.
 */
#include <henhouse/henhouse.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define ROOT "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
static const char example[] = "example.com/behind-the-sofa\n20852163\n" ROOT "\n";

static hh_status parse_str(const char *s, struct hh_checkpoint *c, struct hh_error *err)
{
    return hh_checkpoint_parse(s, strlen(s), c, err);
}

TEST(checkpoint_parse_example)
{
    struct hh_checkpoint c;
    struct hh_hash root;
    char out[HH_CHECKPOINT_TEXT_MAX];
    size_t len = 0;

    CHECK_OK(parse_str(example, &c, NULL));
    CHECK(strcmp(c.origin, "example.com/behind-the-sofa") == 0);
    CHECK(c.size == 20852163);
    CHECK_OK(hh_hash_from_base64(ROOT, 44, &root, NULL));
    CHECK(hh_hash_equal(&c.root, &root));
    CHECK(c.extensions_len == 0);
    CHECK_OK(hh_checkpoint_format(&c, out, sizeof(out), &len));
    CHECK(len == strlen(example) && strcmp(out, example) == 0);
}

static void round_trip(const struct hh_checkpoint *c)
{
    struct hh_checkpoint back;
    char out[HH_CHECKPOINT_TEXT_MAX];
    size_t len = 0;

    CHECK_OK(hh_checkpoint_format(c, out, sizeof(out), &len));
    CHECK(len == strlen(out));
    CHECK_OK(hh_checkpoint_parse(out, len, &back, NULL));
    CHECK(memcmp(&back, c, sizeof(back)) == 0);
}

TEST(checkpoint_round_trips)
{
    struct hh_checkpoint c;

    memset(&c, 0, sizeof(c));
    memcpy(c.origin, "o", 1);
    round_trip(&c); /* size 0, zero root */
    c.size = UINT64_MAX;
    for (int i = 0; i < HH_HASH_LEN; i++)
        c.root.b[i] = (uint8_t)(0xff - i);
    round_trip(&c);
    memset(c.origin, 0, sizeof(c.origin));
    memset(c.origin, 'o', HH_ORIGIN_MAX);
    memcpy(c.extensions, "ext one\n\xe2\x80\x94 two\n", 16);
    c.extensions_len = 16;
    round_trip(&c);
    /* The largest checkpoint: longest origin, size and extensions. */
    memset(c.extensions, 'e', HH_CHECKPOINT_EXT_MAX);
    c.extensions[99] = '\n';
    c.extensions[HH_CHECKPOINT_EXT_MAX - 1] = '\n';
    c.extensions_len = HH_CHECKPOINT_EXT_MAX;
    round_trip(&c);
}

struct bad_cp {
    const char *text;
    hh_status code;
    const char *msg;
};

TEST(checkpoint_parse_errors)
{
    static const struct bad_cp cases[] = {
        {"", HH_ERR_INVALID, "empty"},
        {"\n0\n" ROOT "\n", HH_ERR_INVALID, "line 1: origin is empty"},
        {"o\n0\n" ROOT, HH_ERR_INVALID, "line 3: note text does not end in a newline"},
        {"o\n0\n", HH_ERR_INVALID, "checkpoint has 2 lines"},
        {"o\n", HH_ERR_INVALID, "checkpoint has 1 lines"},
        {"o\tx\n0\n" ROOT "\n", HH_ERR_INVALID, "line 1: control character 0x09"},
        {"o\xc2\x85x\n0\n" ROOT "\n", HH_ERR_INVALID, "line 1: control character U+0085"},
        {"o\xc0\xafx\n0\n" ROOT "\n", HH_ERR_INVALID, "line 1: invalid UTF-8"},
        {"o\n01\n" ROOT "\n", HH_ERR_INVALID, "line 2: tree size: number has a leading zero"},
        {"o\n00\n" ROOT "\n", HH_ERR_INVALID, "line 2: tree size"},
        {"o\n\n" ROOT "\n", HH_ERR_INVALID, "line 2: tree size: empty number"},
        {"o\n-1\n" ROOT "\n", HH_ERR_INVALID, "line 2: tree size: not a decimal"},
        {"o\n+1\n" ROOT "\n", HH_ERR_INVALID, "line 2: tree size: not a decimal"},
        {"o\n1 \n" ROOT "\n", HH_ERR_INVALID, "line 2: tree size: not a decimal"},
        {"o\n18446744073709551616\n" ROOT "\n", HH_ERR_INVALID,
         "line 2: tree size: number exceeds"},
        /* 31 and 33 bytes, non-canonical, bad character, URL-safe, missing padding. */
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n", HH_ERR_INVALID,
         "line 3: root hash"},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n", HH_ERR_INVALID,
         "line 3: root hash"},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IAAA==\n", HH_ERR_INVALID,
         "line 3: root hash"},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", HH_ERR_INVALID,
         "line 3: root hash"},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n", HH_ERR_INVALID,
         "line 3: root hash"},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", HH_ERR_INVALID,
         "line 3: root hash"},
        {"o\n1\n\n", HH_ERR_INVALID, "line 3: root hash"},
        {"o\n1\n" ROOT "\n\n", HH_ERR_INVALID, "line 4: empty extension line"},
        {"o\n1\n" ROOT "\next\n\nmore\n", HH_ERR_INVALID, "line 5: empty extension line"},
        {"o\n1\n" ROOT "\next\x01\n", HH_ERR_INVALID, "line 4: control character 0x01"},
        {"o\n1\n" ROOT "\n\xed\xa0\x80\n", HH_ERR_INVALID, "line 4: invalid UTF-8"},
    };
    struct hh_checkpoint c;
    struct hh_error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&err, 0, sizeof(err));
        memset(&c, 0x5a, sizeof(c));
        if (!CHECK_ERR(parse_str(cases[i].text, &c, &err), cases[i].code) ||
            !CHECK(strstr(err.msg, cases[i].msg) != NULL) ||
            !CHECK(c.origin[0] == '\0' && c.size == 0 && c.extensions_len == 0))
            hh_test_note("case %zu: %s", i, err.msg);
    }
}

TEST(checkpoint_limits)
{
    char *buf = malloc(HH_CHECKPOINT_TEXT_MAX + 64);
    struct hh_checkpoint c;
    struct hh_error err = {0};
    size_t n;

    /* Origin of 255 bytes parses, 256 does not. */
    memset(buf, 'o', HH_ORIGIN_MAX);
    n = HH_ORIGIN_MAX + (size_t)snprintf(buf + HH_ORIGIN_MAX, 64, "\n1\n%s\n", ROOT);
    CHECK_OK(hh_checkpoint_parse(buf, n, &c, NULL));
    memset(buf, 'o', HH_ORIGIN_MAX + 1);
    n = HH_ORIGIN_MAX + 1 + (size_t)snprintf(buf + HH_ORIGIN_MAX + 1, 64, "\n1\n%s\n", ROOT);
    CHECK_ERR(hh_checkpoint_parse(buf, n, &c, &err), HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "line 1: origin is 256 bytes") != NULL);
    /* Extensions of HH_CHECKPOINT_EXT_MAX bytes parse, one more does not. */
    n = (size_t)snprintf(buf, 64, "o\n1\n%s\n", ROOT);
    memset(buf + n, 'e', HH_CHECKPOINT_EXT_MAX + 1);
    buf[n + HH_CHECKPOINT_EXT_MAX - 1] = '\n';
    CHECK_OK(hh_checkpoint_parse(buf, n + HH_CHECKPOINT_EXT_MAX, &c, NULL));
    CHECK(c.extensions_len == HH_CHECKPOINT_EXT_MAX);
    CHECK(memcmp(c.extensions, buf + n, HH_CHECKPOINT_EXT_MAX) == 0);
    CHECK(c.extensions[HH_CHECKPOINT_EXT_MAX] == '\0');
    buf[n + HH_CHECKPOINT_EXT_MAX - 1] = 'e';
    buf[n + HH_CHECKPOINT_EXT_MAX] = '\n';
    CHECK_ERR(hh_checkpoint_parse(buf, n + HH_CHECKPOINT_EXT_MAX + 1, &c, &err), HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "extension lines are 1025 bytes") != NULL);
    /* Whole text over the limit. */
    memset(buf, 'x', HH_CHECKPOINT_TEXT_MAX + 1);
    CHECK_ERR(hh_checkpoint_parse(buf, HH_CHECKPOINT_TEXT_MAX + 1, &c, NULL), HH_ERR_TOO_LARGE);
    free(buf);
}

TEST(checkpoint_format_errors)
{
    struct hh_checkpoint c;
    char out[HH_CHECKPOINT_TEXT_MAX];
    size_t len = 7;

    CHECK_OK(parse_str(example, &c, NULL));
    CHECK_ERR(hh_checkpoint_format(&c, out, strlen(example), &len), HH_ERR_TOO_LARGE);
    CHECK(len == 0 && out[0] == '\0');
    CHECK_OK(hh_checkpoint_format(&c, out, strlen(example) + 1, &len));
    memcpy(c.extensions, "x\n", 2);
    c.extensions_len = 2;
    CHECK_ERR(hh_checkpoint_format(&c, out, strlen(example) + 2, &len), HH_ERR_TOO_LARGE);
    CHECK_OK(hh_checkpoint_format(&c, out, strlen(example) + 3, &len));
    CHECK(len == strlen(example) + 2);
    /* Extensions that parsing would refuse. */
    memcpy(c.extensions, "x", 1), c.extensions_len = 1;
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    memcpy(c.extensions, "x\n\n", 3), c.extensions_len = 3;
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    memcpy(c.extensions, "\x01\n", 2), c.extensions_len = 2;
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    c.extensions_len = HH_CHECKPOINT_EXT_MAX + 1;
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    c.extensions_len = 0;
    /* Origins that parsing would refuse. */
    c.origin[0] = '\0';
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    memcpy(c.origin, "a\nb", 4);
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    memset(c.origin, 'o', sizeof(c.origin)); /* not NUL-terminated */
    CHECK_ERR(hh_checkpoint_format(&c, out, sizeof(out), &len), HH_ERR_INVALID);
    CHECK(len == 0);
}

TEST(checkpoint_signed_round_trip)
{
    struct hh_checkpoint c, back;
    struct hh_signer *s = NULL;
    struct hh_verifier v;
    struct hh_note *n = NULL;
    char text[HH_CHECKPOINT_TEXT_MAX], *note = NULL;
    size_t len = 0, note_len = 0, nout = 0;

    CHECK_OK(hh_init());
    CHECK_OK(parse_str(example, &c, NULL));
    c.size = 20852164;
    CHECK_OK(hh_checkpoint_format(&c, text, sizeof(text), &len));
    CHECK_OK(hh_signer_generate(c.origin, HH_KEY_ED25519, &s, NULL));
    hh_signer_verifier(s, &v);
    CHECK_OK(hh_note_sign(s, text, len, &note, &note_len, NULL));
    if (CHECK_OK(hh_note_parse(note, note_len, &n, NULL))) {
        CHECK_OK(hh_note_verify(n, &v, 1, NULL, 0, &nout, NULL));
        CHECK_OK(hh_checkpoint_parse(n->text, n->text_len, &back, NULL));
        CHECK(memcmp(&back, &c, sizeof(c)) == 0);
    }
    hh_note_free(n);
    free(note);
    hh_signer_free(s);
}
