/*
 * test_witness_request.c - the tlog-witness add-checkpoint request body
 * (witness.h): format/parse round trips, the C2SP example, the torchwood
 * litewitness request bodies, and one refusal per malformed case.
 *
 * Every body is parsed from a malloc'd buffer of exactly its length, with no
 * NUL after it, so that a read past the input shows up under ASan.
 */
#include <henhouse/henhouse.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define NOTE                                                                                       \
    "example.com/log\n7\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"                         \
    "\xe2\x80\x94 example.com/log AAAAAAAA\n"
#define H0 "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define H1 "KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* Parses body[0..len) from an exact-length copy; on success out->note points into *copy. */
static hh_status parse_exact(const char *body, size_t len, char **copy,
                             struct hh_witness_request *out, struct hh_error *err)
{
    *copy = malloc(len ? len : 1);
    if (*copy == NULL)
        abort();
    memcpy(*copy, body, len);
    return hh_witness_request_parse(*copy, len, out, err);
}

static int request_zero(const struct hh_witness_request *r)
{
    static const struct hh_witness_request zero;
    return memcmp(r, &zero, sizeof(zero)) == 0;
}

/* body must be refused with code, a message, and a zeroed request. */
static int refused_len(const char *body, size_t len, hh_status code, const char *what)
{
    struct hh_witness_request r;
    struct hh_error err = {0};
    char *copy = NULL;
    hh_status rc;

    memset(&r, 0xaa, sizeof(r));
    rc = parse_exact(body, len, &copy, &r, &err);
    free(copy);
    if (rc != code || err.code != rc || err.msg[0] == '\0' || !request_zero(&r)) {
        hh_test_note("%s: got %s (%s)", what, hh_status_name(rc), err.msg);
        return 0;
    }
    return 1;
}

static int refused(const char *body, hh_status code, const char *what)
{
    return refused_len(body, strlen(body), code, what);
}

/* Formats (old, proof[0..n), note), checks the parse gives them back, and returns the body. */
static char *round_trip(uint64_t old, const struct hh_hash *proof, size_t n, const char *note,
                        size_t note_len, size_t *len)
{
    struct hh_witness_request r;
    char *body = NULL, *copy = NULL;

    if (!CHECK_OK(hh_witness_request_format(old, proof, n, note, note_len, &body, len, NULL)))
        return NULL;
    CHECK(body[*len] == '\0'); /* NUL-terminated, whatever the note holds */
    CHECK_OK(parse_exact(body, *len, &copy, &r, NULL));
    CHECK(r.old_size == old && r.nproof == n);
    CHECK(n == 0 || memcmp(r.proof, proof, n * sizeof(proof[0])) == 0);
    CHECK(r.note_len == note_len && r.note == copy + (*len - note_len));
    CHECK(memcmp(r.note, note, note_len) == 0);
    free(copy);
    return body;
}

static void random_hashes(struct hh_hash *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < HH_HASH_LEN; j++)
            h[i].b[j] = (uint8_t)hh_test_rand();
}

TEST(witness_request_round_trip_no_proof)
{
    size_t len = 0;
    char *body = round_trip(0, NULL, 0, NOTE, strlen(NOTE), &len);

    CHECK(body != NULL && strcmp(body, "old 0\n\n" NOTE) == 0);
    free(body);
    body = round_trip(UINT64_MAX, NULL, 0, "x", 1, &len);
    CHECK(body != NULL && strcmp(body, "old 18446744073709551615\n\nx") == 0);
    free(body);
}

TEST(witness_request_round_trip_one_proof)
{
    struct hh_hash h;
    size_t len = 0;
    char *body;

    CHECK_OK(hh_hash_from_base64(H0, 44, &h, NULL));
    body = round_trip(1, &h, 1, NOTE, strlen(NOTE), &len);
    CHECK(body != NULL && strcmp(body, "old 1\n" H0 "\n\n" NOTE) == 0);
    free(body);
}

TEST(witness_request_round_trip_63_proofs)
{
    struct hh_hash h[HH_WITNESS_MAX_PROOF + 1];
    char digits[32];
    size_t len = 0;
    char *body;

    random_hashes(h, HH_WITNESS_MAX_PROOF + 1);
    for (size_t n = 2; n <= HH_WITNESS_MAX_PROOF; n++) {
        uint64_t old = (uint64_t)1 << n;
        int d = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)old);
        body = round_trip(old, h, n, NOTE, strlen(NOTE), &len);
        /* "old " digits "\n", n lines of 44 + 1, "\n", the note */
        CHECK(body != NULL && len == 4 + (size_t)d + 1 + n * 45 + 1 + strlen(NOTE));
        free(body);
    }
    /* 64 cannot be formatted */
    body = (char *)h;
    len = 7;
    CHECK(hh_witness_request_format(1, h, HH_WITNESS_MAX_PROOF + 1, NOTE, strlen(NOTE), &body, &len,
                                    NULL) == HH_ERR_TOO_LARGE);
    CHECK(body == NULL && len == 0);
}

TEST(witness_request_round_trip_random)
{
    struct hh_hash h[HH_WITNESS_MAX_PROOF];
    char note[300];
    int bad = 0;

    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)(hh_test_rand() % (HH_WITNESS_MAX_PROOF + 1));
        size_t note_len = 1 + (size_t)(hh_test_rand() % sizeof(note)), len = 0;
        uint64_t old = hh_test_rand() >> (hh_test_rand() % 64);
        char *body;
        for (size_t j = 0; j < note_len; j++)
            note[j] = (char)(hh_test_rand() % 256);
        random_hashes(h, n);
        body = round_trip(old, h, n, note, note_len, &len);
        bad += body == NULL;
        free(body);
    }
    CHECK(bad == 0);
}

/* ---- public vectors ---- */

/* Parses a vector file and formats it back to the same bytes. */
static int vector_ok(const char *rel, uint64_t old, size_t nproof, uint64_t cp_size,
                     int note_must_parse)
{
    struct hh_witness_request r;
    struct hh_checkpoint cp;
    struct hh_note *n = NULL;
    struct hh_error err = {0};
    size_t len = 0, blen = 0;
    char *file = hh_test_read_file(hh_test_vector_path(rel), &len), *copy = NULL, *body = NULL;
    int ok = 0;

    if (file == NULL || !CHECK_OK(parse_exact(file, len, &copy, &r, &err)))
        goto out;
    ok = r.old_size == old && r.nproof == nproof && r.note == copy + (len - r.note_len);
    ok = ok && hh_witness_request_format(r.old_size, r.proof, r.nproof, r.note, r.note_len, &body,
                                         &blen, NULL) == HH_OK;
    ok = ok && blen == len && memcmp(body, file, len) == 0;
    if (hh_note_parse(r.note, r.note_len, &n, NULL) == HH_OK) {
        ok = ok && hh_checkpoint_parse(n->text, n->text_len, &cp, NULL) == HH_OK &&
             cp.size == cp_size;
    } else {
        ok = ok && !note_must_parse;
    }
out:
    if (!ok)
        hh_test_note("%s: %s", rel, err.msg);
    hh_note_free(n);
    free(body);
    free(copy);
    free(file);
    return ok;
}

TEST(witness_request_c2sp_example)
{
    const char *rel = "c2sp/tlog-witness-add-checkpoint-request.txt";
    struct hh_witness_request r;
    struct hh_hash h;
    size_t len = 0;
    char *file = hh_test_read_file(hh_test_vector_path(rel), &len), *copy = NULL;

    CHECK(file != NULL);
    if (file == NULL)
        return;
    CHECK(vector_ok(rel, 20852014, 4, 20852163, 1));
    CHECK_OK(parse_exact(file, len, &copy, &r, NULL));
    CHECK_OK(hh_hash_from_base64("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=", 44, &h, NULL));
    CHECK(hh_hash_equal(&r.proof[0], &h));
    CHECK_OK(hh_hash_from_base64("/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=", 44, &h, NULL));
    CHECK(hh_hash_equal(&r.proof[3], &h));
    CHECK(r.note_len > 40 && memcmp(r.note, "example.com/behind-the-sofa\n20852163\n", 37) == 0);
    free(copy);
    free(file);
}

TEST(witness_request_torchwood_litewitness)
{
    static const struct {
        const char *file;
        uint64_t old;
        size_t nproof;
        uint64_t size;
    } v[] = {
        {"litewitness-01-old0-expect200.txt", 0, 0, 1},
        {"litewitness-02-old1-expect403.txt", 1, 2, 3},
        {"litewitness-03-old1-expect403.txt", 1, 2, 3},
        {"litewitness-04-old1-expect422.txt", 1, 0, 3},
        {"litewitness-05-old1-expect422.txt", 1, 2, 3},
        {"litewitness-06-old1-expect200.txt", 1, 2, 3},
        {"litewitness-07-old1-expect409.txt", 1, 3, 5},
        {"litewitness-08-old3-expect200.txt", 3, 4, 5},
        {"litewitness-09-old0-expect409.txt", 0, 0, 5},
        {"sumdb-add-checkpoint-old0-expect200.txt", 0, 0, 35225469},
    };
    char rel[128];

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        snprintf(rel, sizeof(rel), "torchwood-litewitness/%s", v[i].file);
        /* file 02's signature is corrupted, possibly beyond parsing; the request is not */
        CHECK(vector_ok(rel, v[i].old, v[i].nproof, v[i].size, i != 1));
    }
}

/* ---- malformed bodies ---- */

TEST(witness_request_bad_old_line)
{
    static const char *const cases[] = {
        "new 1\n\n" NOTE,
        "old\n\n" NOTE,
        "old \n\n" NOTE,
        "old  1\n\n" NOTE,
        "old 1 \n\n" NOTE,
        "old 01\n\n" NOTE,
        "old 00\n\n" NOTE,
        "old -1\n\n" NOTE,
        "old +1\n\n" NOTE,
        "old 0x10\n\n" NOTE,
        "old 18446744073709551616\n\n" NOTE,
        "Old 1\n\n" NOTE,
        "old\t1\n\n" NOTE,
        "old 1\r\n\r\n" NOTE,
        " old 1\n\n" NOTE,
        "\nold 1\n\n" NOTE,
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(refused(cases[i], HH_ERR_INVALID, cases[i]));
}

TEST(witness_request_bad_proof_lines)
{
    static const char *const cases[] = {
        "old 1\n" H0 "!\n\n" NOTE, /* not base64 */
        "old 1\n"
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n" NOTE, /* 31 bytes */
        "old 1\n"
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n" NOTE, /* 33 bytes */
        "old 1\n"
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n" NOTE, /* no padding */
        "old 1\n"
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\n" NOTE, /* unused bits */
        "old 1\n"
        "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_\n\n" NOTE, /* URL-safe */
        "old 1\n" H0 " \n\n" NOTE,                               /* trailing blank */
        "old 1\n"
        " " H0 "\n\n" NOTE,                /* leading blank */
        "old 1\n" H0 "\r\n\n" NOTE,        /* CR */
        "old 1\n" H0 "\n" H1 "\n \n" NOTE, /* blank-ish line */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(refused(cases[i], HH_ERR_INVALID, cases[i]));
}

/* "old 1\n", n proof lines, "\n", NOTE; malloc'd. */
static char *with_proofs(size_t n, size_t *len)
{
    char *b = malloc(8 + n * 45 + 2 + sizeof(NOTE));
    size_t p = 0;

    memcpy(b, "old 1\n", 6);
    p = 6;
    for (size_t i = 0; i < n; i++) {
        memcpy(b + p, H0 "\n", 45);
        p += 45;
    }
    b[p++] = '\n';
    memcpy(b + p, NOTE, sizeof(NOTE));
    *len = p + strlen(NOTE);
    return b;
}

TEST(witness_request_proof_count_limit)
{
    struct hh_witness_request r;
    size_t len = 0;
    char *b = with_proofs(HH_WITNESS_MAX_PROOF, &len), *copy = NULL;

    CHECK_OK(parse_exact(b, len, &copy, &r, NULL));
    CHECK(r.nproof == HH_WITNESS_MAX_PROOF);
    free(copy);
    free(b);
    b = with_proofs(HH_WITNESS_MAX_PROOF + 1, &len);
    CHECK(refused_len(b, len, HH_ERR_TOO_LARGE, "64 proof lines"));
    free(b);
    b = with_proofs(1000, &len);
    CHECK(refused_len(b, len, HH_ERR_TOO_LARGE, "1000 proof lines"));
    free(b);
}

TEST(witness_request_structure)
{
    static const char *const cases[] = {
        "",
        "old 1",
        "old 1\n",
        "old 1\n" H0,
        "old 1\n" H0 "\n",
        "old 1\n" H0 "\n" H1 "\n",
        "old 1\n\n",
        "old 1\n" H0 "\n\n",
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(refused(cases[i], HH_ERR_INVALID, cases[i]));
    /* anything at all after the blank line is the note (checked later, as a note) */
    {
        struct hh_witness_request r;
        char *copy = NULL;
        CHECK_OK(parse_exact("old 1\n\n\n", 8, &copy, &r, NULL));
        CHECK(r.note == copy + 7 && r.note_len == 1);
        free(copy);
    }
}

TEST(witness_request_size_limit)
{
    struct hh_witness_request r;
    char *b = malloc(HH_WITNESS_MAX_BODY + 1), *copy = NULL;

    memcpy(b, "old 1\n\n", 7);
    memset(b + 7, 'x', HH_WITNESS_MAX_BODY + 1 - 7);
    CHECK_OK(parse_exact(b, HH_WITNESS_MAX_BODY, &copy, &r, NULL));
    CHECK(r.note_len == HH_WITNESS_MAX_BODY - 7);
    free(copy);
    CHECK(refused_len(b, HH_WITNESS_MAX_BODY + 1, HH_ERR_TOO_LARGE, "limit + 1"));
    free(b);
}

/* Every prefix of a valid body that cuts it before the note is refused; none reads past it. */
TEST(witness_request_every_prefix)
{
    const char body[] = "old 3\n" H0 "\n" H1 "\n\n" NOTE;
    size_t note_at = strlen("old 3\n" H0 "\n" H1 "\n\n");
    int bad = 0;

    for (size_t n = 0; n <= note_at; n++)
        bad += !refused_len(body, n, HH_ERR_INVALID, "prefix");
    for (size_t n = note_at + 1; n <= strlen(body); n++) {
        struct hh_witness_request r;
        char *copy = NULL;
        bad += parse_exact(body, n, &copy, &r, NULL) != HH_OK || r.note_len != n - note_at;
        free(copy);
    }
    CHECK(bad == 0);
}
