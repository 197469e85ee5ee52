/*
 * test_hash_sha256.c - hh_sha256 and the incremental hh_sha256_ctx (hash.h),
 * now OpenSSL's libcrypto behind the same functions.
 *
 * The FIPS 180-2 examples (including a million 'a's fed in uneven pieces),
 * and agreement, byte for byte, with libsodium's SHA-256 (the implementation
 * it replaced) on every length from 0 to 1100 bytes and on random splits of
 * the incremental API, so no tree, id or key id computed before the switch
 * changes.
 */
#include "harness.h"

#include <henhouse/henhouse.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static bool hex_is(const struct hh_hash *h, const char *want)
{
    char hex[2 * HH_HASH_LEN + 1];

    hh_hash_to_hex(h, hex);
    if (strcmp(hex, want) != 0)
        hh_test_note("got %s want %s", hex, want);
    return strcmp(hex, want) == 0;
}

TEST(sha256_fips_examples)
{
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    struct hh_hash h;

    hh_sha256("", 0, &h);
    CHECK(hex_is(&h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    hh_sha256("abc", 3, &h);
    CHECK(hex_is(&h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    hh_sha256(two_blocks, strlen(two_blocks), &h);
    CHECK(hex_is(&h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(sha256_million_a_in_pieces)
{
    static uint8_t a[1000];
    struct hh_sha256_ctx ctx;
    struct hh_hash h;
    size_t done = 0, step = 1;

    memset(a, 'a', sizeof(a));
    hh_sha256_init(&ctx);
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        n = n < sizeof(a) ? n : sizeof(a);
        hh_sha256_update(&ctx, a, n);
        done += n;
        step = step * 7 % 997 + 1; /* uneven pieces: 1..997 bytes */
    }
    hh_sha256_final(&ctx, &h);
    CHECK(hex_is(&h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(sha256_agrees_with_libsodium_every_length)
{
    static uint8_t buf[1100];
    uint8_t want[HH_HASH_LEN];
    struct hh_hash got;
    size_t bad = 0;

    CHECK(hh_init() == HH_OK);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof(buf); len++) {
        crypto_hash_sha256(want, buf, len);
        hh_sha256(buf, len, &got);
        bad += memcmp(want, got.b, HH_HASH_LEN) != 0;
    }
    CHECK(bad == 0);
}

TEST(sha256_incremental_random_splits)
{
    static uint8_t buf[4096];
    uint8_t want[HH_HASH_LEN];
    struct hh_hash whole, parts;
    size_t bad = 0;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)hh_test_rand();
    for (int round = 0; round < 200; round++) {
        size_t len = hh_test_rand() % sizeof(buf), at = 0;
        struct hh_sha256_ctx ctx;
        hh_sha256_init(&ctx);
        while (at < len) {
            size_t n = hh_test_rand() % 200;
            n = n < len - at ? n : len - at;
            hh_sha256_update(&ctx, buf + at, n); /* zero-length updates included */
            at += n;
        }
        hh_sha256_final(&ctx, &parts);
        hh_sha256(buf, len, &whole);
        crypto_hash_sha256(want, buf, len);
        bad += !hh_hash_equal(&whole, &parts) || memcmp(want, whole.b, HH_HASH_LEN) != 0;
    }
    CHECK(bad == 0);
}

TEST(sha256_merkle_hashes_unchanged)
{
    /* RFC 6962 hashes of the empty entry (values from Python's hashlib). */
    struct hh_hash leaf, node, empty;

    hh_merkle_leaf_hash("", 0, &leaf);
    CHECK(hex_is(&leaf, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
    hh_merkle_node_hash(&leaf, &leaf, &node);
    CHECK(hex_is(&node, "fe43d66afa4a9a5c4f9c9da89f4ffb52635c8f342e7ffb731d68e36c5982072a"));
    hh_merkle_empty_root(&empty);
    CHECK(hex_is(&empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}
