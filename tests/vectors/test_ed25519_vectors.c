/*
 * test_ed25519_vectors.c - the Ed25519 verification rule of henhouse
 * (libsodium's crypto_sign_verify_detached through hh_verifier_signed),
 * pinned against C2SP/CCTV ed25519vectors.json and Wycheproof
 * ed25519_test.json. See docs/ed25519.md and data/README.md sections 6-7.
 */
#include <henhouse/henhouse.h>

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The vectors libsodium 1.0.18 accepts, per data/README.md section 6. */
static const int cctv_accepted[] = {
    7,   29,  50,  117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481,
    489, 497, 511, 525, 538, 565, 573, 581, 589, 597, 611, 625, 638, 665, 673,
    681, 689, 697, 711, 725, 738, 765, 773, 781, 789, 797, 832, 899,
};
#define CCTV_NACCEPTED (sizeof(cctv_accepted) / sizeof(cctv_accepted[0]))

/* Decodes hex into a malloc'd buffer (at least 1 byte); NULL on bad hex. */
static uint8_t *hex_decode(const char *hex, size_t *len)
{
    size_t hl = strlen(hex);
    uint8_t *out = malloc(hl / 2 + 1);

    *len = 0;
    if (out == NULL || hl % 2 != 0 ||
        sodium_hex2bin(out, hl / 2 + 1, hex, hl, NULL, len, NULL) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int has_flag(json_t *flags, const char *name)
{
    size_t i;
    json_t *f;

    json_array_foreach(flags, i, f) if (strcmp(json_string_value(f), name) == 0) return 1;
    return 0;
}

/* libsodium's verdict on one CCTV vector; -1 when the vector is malformed. */
static int cctv_verdict(json_t *t)
{
    struct hh_verifier v;
    size_t klen = 0, slen = 0;
    uint8_t *key = hex_decode(json_string_value(json_object_get(t, "key")), &klen);
    uint8_t *sig = hex_decode(json_string_value(json_object_get(t, "sig")), &slen);
    const char *msg = json_string_value(json_object_get(t, "msg"));
    int ok = -1;

    memset(&v, 0, sizeof(v));
    if (key != NULL && sig != NULL && msg != NULL && klen == 32 && slen == 64) {
        memcpy(v.public_key, key, 32);
        v.type = HH_KEY_ED25519;
        ok = hh_verifier_signed(&v, msg, strlen(msg), sig, slen);
    }
    free(key);
    free(sig);
    return ok;
}

static int listed_accepted(int number)
{
    for (size_t i = 0; i < CCTV_NACCEPTED; i++)
        if (cctv_accepted[i] == number)
            return 1;
    return 0;
}

TEST(vec_ed25519_cctv)
{
    json_error_t jerr;
    json_t *all = json_load_file(hh_test_vector_path("cctv-ed25519/ed25519vectors.json"), 0, &jerr);
    json_t *t;
    size_t i, naccepted = 0, mismatches = 0;

    CHECK_OK(hh_init());
    if (!CHECK(json_is_array(all)))
        return;
    CHECK(json_array_size(all) == 914);
    json_array_foreach(all, i, t)
    {
        json_t *flags = json_object_get(t, "flags");
        int number = (int)json_integer_value(json_object_get(t, "number"));
        int got = cctv_verdict(t);
        int rule = !has_flag(flags, "low_order_A") && !has_flag(flags, "low_order_R") &&
                   !has_flag(flags, "low_order_residue");
        CHECK(got >= 0);
        naccepted += got == 1;
        if (got != rule || got != listed_accepted(number)) {
            if (mismatches++ < 5)
                hh_test_note("vector %d: libsodium %s, rule %d, listed %d", number,
                             got ? "accepts" : "rejects", rule, listed_accepted(number));
        }
        /* Whatever henhouse accepts, Go, ref10 and OpenSSL accept too. */
        if (got == 1)
            CHECK(!has_flag(flags, "non_canonical_R") && !has_flag(flags, "low_order_residue"));
    }
    CHECK(mismatches == 0);
    CHECK(naccepted == CCTV_NACCEPTED);
    json_decref(all);
}

/* Runs one Wycheproof group; returns the number of tests run. */
static size_t wycheproof_group(json_t *g, size_t *mismatches, size_t *nvalid)
{
    struct hh_verifier v;
    size_t klen = 0, i;
    uint8_t *pk = hex_decode(
        json_string_value(json_object_get(json_object_get(g, "publicKey"), "pk")), &klen);
    json_t *t;

    memset(&v, 0, sizeof(v));
    if (!CHECK(pk != NULL && klen == 32)) {
        free(pk);
        return 0;
    }
    memcpy(v.public_key, pk, 32);
    json_array_foreach(json_object_get(g, "tests"), i, t)
    {
        size_t mlen = 0, slen = 0;
        uint8_t *msg = hex_decode(json_string_value(json_object_get(t, "msg")), &mlen);
        uint8_t *sig = hex_decode(json_string_value(json_object_get(t, "sig")), &slen);
        int want = strcmp(json_string_value(json_object_get(t, "result")), "valid") == 0;
        int got = msg != NULL && sig != NULL && hh_verifier_signed(&v, msg, mlen, sig, slen);
        CHECK(msg != NULL && sig != NULL);
        *nvalid += want;
        if (got != want && (*mismatches)++ < 5)
            hh_test_note("tcId %lld: want %d, got %d",
                         (long long)json_integer_value(json_object_get(t, "tcId")), want, got);
        if (slen != 64)
            CHECK(!got);
        free(msg);
        free(sig);
    }
    free(pk);
    return i;
}

TEST(vec_ed25519_wycheproof)
{
    json_error_t jerr;
    json_t *root =
        json_load_file(hh_test_vector_path("wycheproof-ed25519/ed25519_test.json"), 0, &jerr);
    json_t *g;
    size_t i, ntests = 0, mismatches = 0, nvalid = 0;

    CHECK_OK(hh_init());
    if (!CHECK(json_is_object(root)))
        return;
    json_array_foreach(json_object_get(root, "testGroups"), i, g) ntests +=
        wycheproof_group(g, &mismatches, &nvalid);
    CHECK(i == 78);
    CHECK(ntests == 151);
    CHECK(ntests == (size_t)json_integer_value(json_object_get(root, "numberOfTests")));
    CHECK(nvalid == 88);
    CHECK(mismatches == 0);
    json_decref(root);
}
