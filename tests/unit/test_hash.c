/*
 * test_hash.c - strict base64: bytes above 0x7F are refused everywhere base64
 * is read (libsodium 1.0.18 alone would decode each of them as '/' or '_').
 * Found by fuzz/fuzz_checkpoint.c and fuzz/fuzz_note.c.
 */
#include "harness.h"

#include <henhouse/henhouse.h>

#include <string.h>

/* A valid 32-byte hash whose "//" is spelled as the UTF-8 of U+016B instead. */
#define ROOT_OK  "RcCI1Nk56ZcSmIEfIhwoE//Z6ZQCpaBfzvVz4xyIwl0="
#define ROOT_BAD "RcCI1Nk56ZcSmIEfIhwoE\xC5\xABZ6ZQCpaBfzvVz4xyIwl0="

TEST(base64_refuses_high_bytes)
{
    uint8_t out[8];
    size_t n = 99;

    CHECK_OK(hh_base64_decode("//8=", 4, false, out, sizeof(out), &n, NULL));
    CHECK(n == 2 && out[0] == 0xFF && out[1] == 0xFF);
    CHECK_ERR(hh_base64_decode("\xFF\xFF\x38=", 4, false, out, sizeof(out), &n, NULL),
              HH_ERR_INVALID);
    CHECK(n == 0 && out[0] == 0);
    CHECK_ERR(hh_base64_decode("\x80\x80\x38", 3, true, out, sizeof(out), &n, NULL),
              HH_ERR_INVALID);
    CHECK_ERR(hh_base64_decode("__\xDF", 3, true, out, sizeof(out), &n, NULL), HH_ERR_INVALID);
    CHECK(n == 0);
}

TEST(hash_from_base64_refuses_high_bytes)
{
    struct hh_hash h;
    struct hh_error err = {0};

    CHECK(strlen(ROOT_BAD) == 44);
    CHECK_OK(hh_hash_from_base64(ROOT_OK, 44, &h, NULL));
    CHECK_ERR(hh_hash_from_base64(ROOT_BAD, 44, &h, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "0x7F") != NULL);
}

TEST(checkpoint_refuses_high_bytes_in_root)
{
    static const char ok[] = "example.org/log\n1\n" ROOT_OK "\n";
    static const char bad[] = "example.org/log\n1\n" ROOT_BAD "\n";
    struct hh_checkpoint c;

    CHECK(hh_init() == HH_OK);
    CHECK_OK(hh_checkpoint_parse(ok, sizeof(ok) - 1, &c, NULL));
    CHECK_ERR(hh_checkpoint_parse(bad, sizeof(bad) - 1, &c, NULL), HH_ERR_INVALID);
}
