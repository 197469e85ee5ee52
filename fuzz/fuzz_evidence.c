/*
 * fuzz_evidence.c - offline checking of evidence files: hh_evidence_verify.
 *
 * Properties: it never crashes, whatever the JSON; a refused file is
 * INVALID or TOO_LARGE with a message and a zeroed verdict; an accepted one
 * has a known kind, NUL-terminated origin and explanation, and says
 * "PROVEN" exactly when it is proven, which a bad-data file never is.
 * Checking the same bytes twice gives the same verdict. Inputs stay under
 * HH_EVIDENCE_MAX_BYTES (larger ones are refused before any parsing).
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hh_evidence_verdict v, again;
    struct hh_error err = {0};
    hh_status rc;

    fuzz_init();
    if (size > HH_EVIDENCE_MAX_BYTES)
        return 0;
    rc = hh_evidence_verify((const char *)data, size, &v, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(rc == HH_ERR_INVALID || rc == HH_ERR_TOO_LARGE);
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(all_zero(&v, sizeof(v)));
        return 0;
    }
    FUZZ_CHECK(v.kind <= HH_EVIDENCE_BAD_DATA);
    FUZZ_CHECK(memchr(v.origin, '\0', sizeof(v.origin)) != NULL && v.origin[0] != '\0');
    FUZZ_CHECK(memchr(v.explanation, '\0', sizeof(v.explanation)) != NULL);
    FUZZ_CHECK(v.explanation[0] != '\0');
    FUZZ_CHECK(v.proven == (strncmp(v.explanation, "PROVEN: ", 8) == 0));
    FUZZ_CHECK(!v.proven || v.kind != HH_EVIDENCE_BAD_DATA);
    FUZZ_CHECK(hh_evidence_verify((const char *)data, size, &again, NULL) == HH_OK);
    FUZZ_CHECK(memcmp(&v, &again, sizeof(v)) == 0);
    return 0;
}
