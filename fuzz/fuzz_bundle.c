/*
 * fuzz_bundle.c - C2SP tlog-tiles entry bundles: hh_bundle_parse.
 *
 * Input: one byte giving the expected entry count (byte + 1, so 1..256),
 * then the bundle. Properties: a failed parse leaves every entry NULL/0; a
 * bundle that parses has entries pointing in order into the input, and
 * re-encoding them with hh_bundle_append into a buffer of exactly the
 * input's length gives the input back byte for byte (no room to spare: one
 * more append of an empty entry is refused).
 */
#include "fuzz_common.h"

static const uint8_t *entries[HH_TILE_WIDTH];
static size_t lens[HH_TILE_WIDTH];

static void check_cleared(void)
{
    for (size_t i = 0; i < HH_TILE_WIDTH; i++)
        FUZZ_CHECK(entries[i] == NULL && lens[i] == 0);
}

static void check_reencode(const uint8_t *buf, size_t len, size_t expected)
{
    uint8_t *out = malloc(len > 0 ? len : 1);
    const uint8_t *next = buf;
    size_t used = 0;

    FUZZ_CHECK(out != NULL);
    for (size_t i = 0; i < expected; i++) {
        FUZZ_CHECK(lens[i] <= HH_ENTRY_MAX && entries[i] == next + 2);
        next = entries[i] + lens[i];
        FUZZ_CHECK(hh_bundle_append(out, len, &used, entries[i], lens[i]) == HH_OK);
    }
    for (size_t i = expected; i < HH_TILE_WIDTH; i++)
        FUZZ_CHECK(entries[i] == NULL && lens[i] == 0);
    FUZZ_CHECK(used == len && memcmp(out, buf, len) == 0);
    FUZZ_CHECK(hh_bundle_append(out, len, &used, "", 0) == HH_ERR_TOO_LARGE && used == len);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hh_error err = {0};
    size_t expected;
    hh_status rc;

    fuzz_init();
    if (size < 1)
        return 0;
    expected = (size_t)data[0] + 1;
    rc = hh_bundle_parse(data + 1, size - 1, expected, entries, lens, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        check_cleared();
        return 0;
    }
    check_reencode(data + 1, size - 1, expected);
    return 0;
}
