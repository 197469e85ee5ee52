/*
 * test_key.c - signer and verifier keys: round trips, the key id, name rules
 * and one malformed-input case for every parse error.
 */
#include <henhouse/henhouse.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static const char *const vkey_foo =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char *const skey_peter =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char *const vkey_peter =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

/* Builds "<name>+<id>+base64(type || pk)" with the id given (right or wrong). */
static void make_vkey(const char *name, uint8_t type, const uint8_t pk[32], uint32_t id, char *out,
                      size_t cap)
{
    uint8_t raw[33];
    char b64[64];
    raw[0] = type;
    memcpy(raw + 1, pk, 32);
    if (hh_base64_encode(raw, sizeof(raw), b64, sizeof(b64)) != HH_OK)
        b64[0] = '\0';
    snprintf(out, cap, "%s+%08x+%s", name, (unsigned)id, b64);
}

static hh_status vparse(const char *text, struct hh_error *err)
{
    struct hh_verifier v;
    return hh_verifier_parse(text, strlen(text), &v, err);
}

static hh_status sparse(const char *text)
{
    struct hh_signer *s = NULL;
    hh_status rc = hh_signer_parse(text, strlen(text), &s, NULL);
    CHECK((rc == HH_OK) == (s != NULL));
    hh_signer_free(s);
    return rc;
}

static void round_trip_type(uint8_t type)
{
    struct hh_signer *s = NULL, *s2 = NULL;
    struct hh_verifier v, v2, v3;
    char text[HH_KEY_TEXT_MAX], text2[HH_KEY_TEXT_MAX], vtext[HH_KEY_TEXT_MAX];
    uint8_t sig[64], sig2[64];

    CHECK_OK(hh_signer_generate("example.org/alice", type, &s, NULL));
    CHECK_OK(hh_signer_format(s, text, sizeof(text)));
    CHECK(strncmp(text, "PRIVATE+KEY+example.org/alice+", 30) == 0);
    CHECK_OK(hh_signer_parse(text, strlen(text), &s2, NULL));
    CHECK_OK(hh_signer_format(s2, text2, sizeof(text2)));
    CHECK(strcmp(text, text2) == 0);
    hh_signer_verifier(s, &v);
    hh_signer_verifier(s2, &v2);
    CHECK(memcmp(&v, &v2, sizeof(v)) == 0);
    CHECK(v.type == type);
    CHECK(v.key_id == hh_key_id("example.org/alice", 17, type, v.public_key));
    CHECK_OK(hh_verifier_format(&v, vtext, sizeof(vtext)));
    CHECK_OK(hh_verifier_parse(vtext, strlen(vtext), &v3, NULL));
    CHECK(memcmp(&v, &v3, sizeof(v)) == 0);
    hh_signer_sign_raw(s, "msg", 3, sig);
    hh_signer_sign_raw(s2, "msg", 3, sig2);
    CHECK(memcmp(sig, sig2, 64) == 0);
    CHECK(hh_verifier_signed(&v3, "msg", 3, sig, 64));
    CHECK(!hh_verifier_signed(&v3, "msh", 3, sig, 64));
    sodium_memzero(text, sizeof(text));
    sodium_memzero(text2, sizeof(text2));
    hh_signer_free(s);
    hh_signer_free(s2);
}

TEST(key_round_trip)
{
    CHECK_OK(hh_init());
    round_trip_type(HH_KEY_ED25519);
    round_trip_type(HH_KEY_COSIGNATURE);
    hh_signer_free(NULL);
}

TEST(key_fresh_keys_differ)
{
    struct hh_signer *a = NULL, *b = NULL;
    struct hh_verifier va, vb;
    CHECK_OK(hh_init());
    CHECK_OK(hh_signer_generate("k", HH_KEY_ED25519, &a, NULL));
    CHECK_OK(hh_signer_generate("k", HH_KEY_ED25519, &b, NULL));
    hh_signer_verifier(a, &va);
    hh_signer_verifier(b, &vb);
    CHECK(memcmp(va.public_key, vb.public_key, 32) != 0);
    hh_signer_free(a);
    hh_signer_free(b);
}

TEST(key_known_ids)
{
    struct hh_verifier v;
    struct hh_signer *s = NULL;
    struct hh_verifier sv;
    char text[HH_KEY_TEXT_MAX];

    CHECK_OK(hh_init());
    CHECK_OK(hh_verifier_parse(vkey_foo, strlen(vkey_foo), &v, NULL));
    CHECK(strcmp(v.name, "example.com/foo") == 0);
    CHECK(v.key_id == 0x530d903a);
    CHECK(v.type == HH_KEY_ED25519);
    CHECK_OK(hh_verifier_format(&v, text, sizeof(text)));
    CHECK(strcmp(text, vkey_foo) == 0);
    /* The published example signer key gives the published verifier key. */
    CHECK_OK(hh_signer_parse(skey_peter, strlen(skey_peter), &s, NULL));
    hh_signer_verifier(s, &sv);
    CHECK_OK(hh_verifier_format(&sv, text, sizeof(text)));
    CHECK(strcmp(text, vkey_peter) == 0);
    CHECK_OK(hh_signer_format(s, text, sizeof(text)));
    CHECK(strcmp(text, skey_peter) == 0);
    hh_signer_free(s);
}

TEST(key_surrounding_whitespace)
{
    char buf[256];
    CHECK_OK(hh_init());
    snprintf(buf, sizeof(buf), "  %s\n", vkey_foo);
    CHECK_OK(vparse(buf, NULL));
    snprintf(buf, sizeof(buf), "%s\r\n", skey_peter);
    CHECK_OK(sparse(buf));
    /* Whitespace inside is not surrounding whitespace. */
    snprintf(buf, sizeof(buf), "%s x", vkey_foo);
    CHECK_ERR(vparse(buf, NULL), HH_ERR_INVALID);
}

TEST(key_name_rules)
{
    char long_name[HH_KEY_NAME_MAX + 2];
    static const char *const bad[] = {
        "a+b",           "a b",           "a\tb",          "a\nb",          "a\x01",
        "a\x7f",         "a\xc2\x85",     "a\xc2\xa0",     "a\xe1\x9a\x80", "a\xe2\x80\x80",
        "a\xe2\x80\x8a", "a\xe2\x80\xa8", "a\xe2\x80\xa9", "a\xe2\x80\xaf", "a\xe2\x81\x9f",
        "a\xe3\x80\x80", "\xc0\xaf",      "\xe0\x80\xaf",  "\xed\xa0\x80",  "\xf4\x90\x80\x80",
        "\xe2\x80",      "\x80",          "\xff",          "a\xc2\x9f",
    };

    CHECK(hh_key_name_valid("example.com/foo", 15));
    CHECK(hh_key_name_valid("\xc3\xa8", 2));         /* è */
    CHECK(hh_key_name_valid("\xf0\x9f\x90\x94", 4)); /* 🐔, 4 bytes */
    CHECK(hh_key_name_valid("\xe2\x80\x8b", 3));     /* U+200B is not a space */
    CHECK(!hh_key_name_valid("", 0));
    CHECK(!hh_key_name_valid(NULL, 0));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!CHECK(!hh_key_name_valid(bad[i], strlen(bad[i]))))
            hh_test_note("accepted bad name %zu", i);
    memset(long_name, 'a', sizeof(long_name));
    CHECK(hh_key_name_valid(long_name, HH_KEY_NAME_MAX));
    CHECK(!hh_key_name_valid(long_name, HH_KEY_NAME_MAX + 1));
}

TEST(key_generate_errors)
{
    struct hh_signer *s = NULL;
    struct hh_error err = {0};
    CHECK_OK(hh_init());
    CHECK_ERR(hh_signer_generate("a+b", HH_KEY_ED25519, &s, &err), HH_ERR_INVALID);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "name") != NULL);
    CHECK_ERR(hh_signer_generate("", HH_KEY_ED25519, &s, NULL), HH_ERR_INVALID);
    CHECK_ERR(hh_signer_generate(NULL, HH_KEY_ED25519, &s, NULL), HH_ERR_INVALID);
    CHECK_ERR(hh_signer_generate("a", 0x02, &s, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "0x02") != NULL);
    CHECK_ERR(hh_signer_generate("a", 0x05, &s, NULL), HH_ERR_INVALID);
    CHECK(s == NULL);
}

TEST(key_verifier_parse_errors)
{
    struct hh_verifier v;
    struct hh_error err = {0};
    uint8_t pk[32];
    char buf[HH_KEY_TEXT_MAX + 64];

    CHECK_OK(hh_init());
    CHECK_OK(hh_verifier_parse(vkey_foo, strlen(vkey_foo), &v, NULL));
    memcpy(pk, v.public_key, 32);

    CHECK_ERR(vparse("example.com/foo", &err), HH_ERR_INVALID);          /* no '+' */
    CHECK_ERR(vparse("example.com/foo+530d903a", &err), HH_ERR_INVALID); /* one '+' */
    CHECK(strstr(err.msg, "key id") != NULL);
    CHECK_ERR(vparse("", NULL), HH_ERR_INVALID);
    /* Bad key id: wrong value, not hex, upper case, wrong length. */
    CHECK_ERR(vparse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &err),
              HH_ERR_INVALID);
    CHECK(strstr(err.msg, "530d903b") != NULL && strstr(err.msg, "530d903a") != NULL);
    CHECK_ERR(vparse("example.com/foo+530d903g+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL),
              HH_ERR_INVALID);
    CHECK_ERR(vparse("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL),
              HH_ERR_INVALID);
    CHECK_ERR(vparse("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL),
              HH_ERR_INVALID);
    /* The same key under another name has another id. */
    CHECK_ERR(vparse("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL),
              HH_ERR_INVALID);
    /* Bad base64 (a bad character, too short, too long), and a changed public key. */
    CHECK_ERR(vparse("example.com/foo+530d903a+Aeky*Rrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &err),
              HH_ERR_INVALID);
    CHECK(strstr(err.msg, "base64") != NULL);
    CHECK_ERR(vparse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", NULL),
              HH_ERR_INVALID);
    CHECK_ERR(
        vparse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAA==", NULL),
        HH_ERR_INVALID);
    CHECK_ERR(vparse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l", NULL),
              HH_ERR_INVALID);
    /* Bad type, with an id computed for that type so that only the type is wrong. */
    make_vkey("example.com/foo", 0x02, pk, hh_key_id("example.com/foo", 15, 0x02, pk), buf,
              sizeof(buf));
    CHECK_ERR(vparse(buf, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "type 0x02") != NULL);
    make_vkey("example.com/foo", 0x04, pk, hh_key_id("example.com/foo", 15, 0x04, pk), buf,
              sizeof(buf));
    CHECK_OK(vparse(buf, NULL));
    /* Bad names: a space, a no-break space, invalid UTF-8, too long. */
    make_vkey("a b", 0x01, pk, hh_key_id("a b", 3, 0x01, pk), buf, sizeof(buf));
    CHECK_ERR(vparse(buf, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "name") != NULL);
    make_vkey("a\xc2\xa0", 0x01, pk, hh_key_id("a\xc2\xa0", 3, 0x01, pk), buf, sizeof(buf));
    CHECK_ERR(vparse(buf, NULL), HH_ERR_INVALID);
    make_vkey("a\xc0\xaf", 0x01, pk, hh_key_id("a\xc0\xaf", 3, 0x01, pk), buf, sizeof(buf));
    CHECK_ERR(vparse(buf, NULL), HH_ERR_INVALID);
    CHECK_ERR(vparse("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL),
              HH_ERR_INVALID);
    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    CHECK_ERR(vparse(buf, NULL), HH_ERR_TOO_LARGE);
    /* A failed parse leaves the output zeroed. */
    CHECK_ERR(vparse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL),
              HH_ERR_INVALID);
    memset(&v, 0x55, sizeof(v));
    CHECK_ERR(hh_verifier_parse("x+00000000+AAAA", 15, &v, NULL), HH_ERR_INVALID);
    CHECK(v.name[0] == '\0' && v.key_id == 0 && v.type == 0);
}

TEST(key_signer_parse_errors)
{
    struct hh_signer *s = NULL;
    struct hh_error err = {0};
    char buf[256];

    CHECK_OK(hh_init());
    CHECK_OK(sparse(skey_peter));
    CHECK_ERR(sparse("PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
              HH_ERR_INVALID); /* no PRIVATE+KEY+ */
    CHECK_ERR(
        sparse("private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
        HH_ERR_INVALID);
    CHECK_ERR(sparse("PRIVATE+KEY+"), HH_ERR_INVALID);
    CHECK_ERR(sparse("PRIVATE+KEY+PeterNeumann"), HH_ERR_INVALID);
    CHECK_ERR(sparse("PRIVATE+KEY+PeterNeumann+c74f20a3"), HH_ERR_INVALID);
    /* Wrong key id, wrong name for the key, '+' in the name. */
    CHECK_ERR(hh_signer_parse(
                  "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
                  78, &s, &err),
              HH_ERR_INVALID);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "c74f20a4") != NULL);
    CHECK_ERR(
        sparse("PRIVATE+KEY+PeterNeumanm+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
        HH_ERR_INVALID);
    CHECK_ERR(
        sparse("PRIVATE+KEY+Peter+Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
        HH_ERR_INVALID);
    CHECK_ERR(
        sparse("PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
        HH_ERR_INVALID);
    /* Bad base64 and a bad type (0x02: "Ag..." instead of "AY..."). */
    CHECK_ERR(
        sparse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF!"),
        HH_ERR_INVALID);
    CHECK_ERR(
        sparse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF"),
        HH_ERR_INVALID);
    CHECK_ERR(hh_signer_parse(
                  "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
                  78, &s, &err),
              HH_ERR_INVALID);
    CHECK(strstr(err.msg, "type 0x02") != NULL);
    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    memcpy(buf, "PRIVATE+KEY+", 12);
    CHECK_ERR(sparse(buf), HH_ERR_INVALID);
    CHECK(s == NULL);
}

TEST(key_format_limits)
{
    struct hh_signer *s = NULL;
    struct hh_verifier v;
    char name[HH_KEY_NAME_MAX + 1];
    char text[HH_KEY_TEXT_MAX];

    CHECK_OK(hh_init());
    memset(name, 'n', HH_KEY_NAME_MAX);
    name[HH_KEY_NAME_MAX] = '\0';
    CHECK_OK(hh_signer_generate(name, HH_KEY_COSIGNATURE, &s, NULL));
    CHECK_OK(hh_signer_format(s, text, sizeof(text)));
    CHECK(strlen(text) == HH_KEY_TEXT_MAX - 1);
    CHECK_ERR(hh_signer_format(s, text, sizeof(text) - 1), HH_ERR_TOO_LARGE);
    CHECK(text[0] == '\0');
    hh_signer_verifier(s, &v);
    CHECK_OK(hh_verifier_format(&v, text, sizeof(text)));
    CHECK_ERR(hh_verifier_format(&v, text, strlen(text)), HH_ERR_TOO_LARGE);
    v.key_id ^= 1; /* an inconsistent verifier is not written */
    CHECK_ERR(hh_verifier_format(&v, text, sizeof(text)), HH_ERR_INVALID);
    hh_signer_free(s);
}

TEST(key_verifier_signed_lengths)
{
    struct hh_signer *s = NULL;
    struct hh_verifier v;
    uint8_t sig[65] = {0};

    CHECK_OK(hh_init());
    CHECK_OK(hh_signer_generate("k", HH_KEY_ED25519, &s, NULL));
    hh_signer_verifier(s, &v);
    hh_signer_sign_raw(s, "", 0, sig);
    CHECK(hh_verifier_signed(&v, "", 0, sig, 64));
    CHECK(!hh_verifier_signed(&v, "", 0, sig, 63));
    CHECK(!hh_verifier_signed(&v, "", 0, sig, 65));
    CHECK(!hh_verifier_signed(&v, "", 0, NULL, 64));
    hh_signer_free(s);
}
