/*
 * fuzz_witness_request.c - the tlog-witness add-checkpoint request body:
 * hh_witness_request_parse.
 *
 * Properties: a refused body names the error and leaves the request zeroed;
 * an accepted one has at most 63 proof hashes and a non-empty note that
 * ends the input; hh_witness_request_format writes back exactly the input
 * (there is one spelling of each request), and parsing that gives the same
 * old size, proof and note, field by field.
 */
#include "fuzz_common.h"

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static void check_same(const struct hh_witness_request *a, const struct hh_witness_request *b)
{
    FUZZ_CHECK(a->old_size == b->old_size);
    FUZZ_CHECK(a->nproof == b->nproof);
    for (size_t i = 0; i < a->nproof; i++)
        FUZZ_CHECK(hh_hash_equal(&a->proof[i], &b->proof[i]));
    FUZZ_CHECK(a->note_len == b->note_len && memcmp(a->note, b->note, a->note_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hh_witness_request r, back;
    struct hh_error err = {0};
    const char *body = (const char *)data;
    char *out = NULL;
    size_t outlen = 0;
    hh_status rc;

    fuzz_init();
    rc = hh_witness_request_parse(body, size, &r, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(rc == HH_ERR_INVALID || rc == HH_ERR_TOO_LARGE);
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(all_zero(&r, sizeof(r)));
        return 0;
    }
    FUZZ_CHECK(size <= HH_WITNESS_MAX_BODY && r.nproof <= HH_WITNESS_MAX_PROOF);
    FUZZ_CHECK(r.note_len > 0 && r.note + r.note_len == body + size && r.note > body);
    FUZZ_CHECK(r.note[-1] == '\n' && r.note[-2] == '\n');
    FUZZ_CHECK(hh_witness_request_format(r.old_size, r.proof, r.nproof, r.note, r.note_len, &out,
                                         &outlen, NULL) == HH_OK);
    FUZZ_CHECK(outlen == size && memcmp(out, data, size) == 0 && out[outlen] == '\0');
    FUZZ_CHECK(hh_witness_request_parse(out, outlen, &back, NULL) == HH_OK);
    check_same(&r, &back);
    free(out);
    return 0;
}
