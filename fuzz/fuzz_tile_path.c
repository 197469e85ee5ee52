/*
 * fuzz_tile_path.c - C2SP tlog-tiles paths: hh_tile_parse_path.
 *
 * Properties: a path that parses is written back byte for byte by
 * hh_tile_path (one spelling per tile), into a buffer of exactly its length
 * plus the NUL, and a buffer one byte shorter is refused without being
 * overrun; the tile is in range (width 1..256, level 0..63, level 0 for entry
 * bundles); and hh_tile_for_size agrees on the width of the tile in the
 * smallest tree that holds it, when that size fits in 64 bits.
 */
#include "fuzz_common.h"

/* The smallest tree size holding tile t as parsed, or 0 when it exceeds 2^64-1. */
static uint64_t size_for(const struct hh_tile *t)
{
    unsigned shift = (unsigned)t->level * HH_TILE_HEIGHT;
    uint64_t hashes;

    if (t->index > (UINT64_MAX - t->width) / HH_TILE_WIDTH)
        return 0;
    hashes = t->index * HH_TILE_WIDTH + t->width;
    if (shift >= 64 || hashes > (UINT64_MAX >> shift))
        return 0;
    return hashes << shift;
}

static void check_geometry(const struct hh_tile *t)
{
    struct hh_tile g;
    uint64_t size = size_for(t);

    if (size == 0)
        return;
    FUZZ_CHECK(hh_tile_for_size(t->entries, t->level, t->index, size, &g) == HH_OK);
    FUZZ_CHECK(g.entries == t->entries && g.level == t->level && g.index == t->index);
    FUZZ_CHECK(g.width == t->width);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hh_error err = {0};
    struct hh_tile t;
    char *out;
    hh_status rc;

    fuzz_init();
    rc = hh_tile_parse_path((const char *)data, size, &t, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(!t.entries && t.level == 0 && t.index == 0 && t.width == 0);
        return 0;
    }
    FUZZ_CHECK(t.width >= 1 && t.width <= HH_TILE_WIDTH);
    FUZZ_CHECK(t.entries ? t.level == 0 : t.level <= HH_TILE_MAX_LEVEL);
    FUZZ_CHECK(size < HH_TILE_PATH_MAX);
    out = malloc(size + 1);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(hh_tile_path(&t, out, size + 1) == HH_OK);
    FUZZ_CHECK(strlen(out) == size && memcmp(out, data, size) == 0);
    FUZZ_CHECK(hh_tile_path(&t, out, size) == HH_ERR_TOO_LARGE && (size == 0 || out[0] == '\0'));
    free(out);
    check_geometry(&t);
    return 0;
}
