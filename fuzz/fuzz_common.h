/*
 * fuzz_common.h - shared pieces of the libFuzzer targets (fuzz/fuzz_*.c).
 *
 * Each target calls fuzz_init() first: it runs hh_init once per process and
 * aborts if that fails. FUZZ_CHECK aborts on a broken property, so libFuzzer
 * records the input as a crash. The fixed keys below are test-only keys made
 * once with `henhouse keygen`; their secrets are public and protect nothing.
 */
#ifndef HH_FUZZ_COMMON_H
#define HH_FUZZ_COMMON_H

#include <henhouse/henhouse.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An Ed25519 (0x01) key and a cosignature/v1 (0x04) key, test-only. */
#define FUZZ_SIGNER_KEY                                                                            \
    "PRIVATE+KEY+fuzz.example/signer+a93fd9ca+AX6n9T8G1G5x999Zga0IrGrDeVK0D5nL5aA82LqrEV9d"
#define FUZZ_SIGNER_VKEY "fuzz.example/signer+a93fd9ca+Aa3r3GybS3aFy4Mtctg4PWvywUAAz3+GksbHpxVQ+3WU"
#define FUZZ_WITNESS_KEY                                                                           \
    "PRIVATE+KEY+fuzz.example/witness+74a8ad11+BJL8K0/PW7P1WF1K+y8hSPu9xgUJJcDaH+UKYhFDzli1"
#define FUZZ_WITNESS_VKEY                                                                          \
    "fuzz.example/witness+74a8ad11+BMlFoczTFkreMzVxv10QDO+JGrasnVVXv4qIQ+ITBxCM"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline void fuzz_init(void)
{
    static int done;

    if (!done) {
        FUZZ_CHECK(hh_init() == HH_OK);
        done = 1;
    }
}

/* Parses a fixed signer key; aborts on failure (the key is a constant). */
static inline struct hh_signer *fuzz_signer(const char *text)
{
    struct hh_signer *s = NULL;

    FUZZ_CHECK(hh_signer_parse(text, strlen(text), &s, NULL) == HH_OK);
    return s;
}

/* The fixed key set: [0] the Ed25519 key, [1] the cosignature key. Built once. */
static inline const struct hh_verifier *fuzz_keys(void)
{
    static struct hh_verifier keys[2];
    static int done;

    if (!done) {
        struct hh_signer *s = fuzz_signer(FUZZ_SIGNER_KEY), *w = fuzz_signer(FUZZ_WITNESS_KEY);
        struct hh_verifier v;

        hh_signer_verifier(s, &keys[0]);
        hh_signer_verifier(w, &keys[1]);
        FUZZ_CHECK(hh_verifier_parse(FUZZ_SIGNER_VKEY, strlen(FUZZ_SIGNER_VKEY), &v, NULL) ==
                       HH_OK &&
                   memcmp(&v, &keys[0], sizeof(v)) == 0);
        FUZZ_CHECK(hh_verifier_parse(FUZZ_WITNESS_VKEY, strlen(FUZZ_WITNESS_VKEY), &v, NULL) ==
                       HH_OK &&
                   memcmp(&v, &keys[1], sizeof(v)) == 0);
        FUZZ_CHECK(keys[0].type == HH_KEY_ED25519 && keys[1].type == HH_KEY_COSIGNATURE);
        hh_signer_free(s);
        hh_signer_free(w);
        done = 1;
    }
    return keys;
}

/* The 4-byte big-endian key id followed by the bytes of a note signature. */
static inline void fuzz_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint64_t fuzz_get_be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
