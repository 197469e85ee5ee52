/*
 * tiles.c - C2SP tlog-tiles paths, tile geometry and entry bundles.
 *
 * Every tile has exactly one path: the parser re-derives the canonical
 * spelling of what it read and refuses anything else, so two parties never
 * disagree on which tile a path names. Geometry follows the spec: at tile
 * level L a tree of size s has floor(s / 256^(L+1)) full tiles and a partial
 * one of width floor(s / 256^L) mod 256 (none when 0). A node is served from
 * the tile that holds it (its own level) or from the tile whose hashes fold to
 * it (levels between tile levels). Bundles are read in place, never copied.
 */
#include <henhouse/tiles.h>

#include <stdio.h>
#include <string.h>

#define GROUP_DIGITS 3
#define MAX_GROUPS   7 /* 2^64 - 1 has 20 decimal digits */

/* Writes the index as "x001/x234/067" at out; returns the length or 0 if cap is too small. */
static size_t format_index(uint64_t index, char *out, size_t cap)
{
    unsigned groups[MAX_GROUPS];
    size_t ngroups = 0, used = 0;

    do {
        groups[ngroups++] = (unsigned)(index % 1000);
        index /= 1000;
    } while (index > 0);
    for (size_t i = ngroups; i-- > 0;) {
        int w = snprintf(out + used, cap - used, i > 0 ? "x%03u/" : "%03u", groups[i]);
        if (w < 0 || (size_t)w >= cap - used)
            return 0;
        used += (size_t)w;
    }
    return used;
}

static bool tile_valid(const struct hh_tile *t)
{
    if (t->width < 1 || t->width > HH_TILE_WIDTH)
        return false;
    return t->entries ? t->level == 0 : t->level <= HH_TILE_MAX_LEVEL;
}

/* Advances *used past w bytes just written by snprintf; false when they did not fit. */
static bool wrote(int w, size_t cap, size_t *used)
{
    if (w < 0 || (size_t)w >= cap - *used)
        return false;
    *used += (size_t)w;
    return true;
}

hh_status hh_tile_path(const struct hh_tile *t, char *out, size_t cap)
{
    size_t used = 0, n;
    bool ok;

    if (cap > 0)
        out[0] = '\0';
    if (!tile_valid(t))
        return HH_ERR_INVALID;
    if (t->entries)
        ok = wrote(snprintf(out, cap, "tile/entries/"), cap, &used);
    else
        ok = wrote(snprintf(out, cap, "tile/%u/", (unsigned)t->level), cap, &used);
    n = ok ? format_index(t->index, out + used, cap - used) : 0;
    ok = n > 0;
    used += n;
    if (ok && t->width < HH_TILE_WIDTH)
        ok = wrote(snprintf(out + used, cap - used, ".p/%u", (unsigned)t->width), cap, &used);
    if (!ok && cap > 0)
        out[0] = '\0';
    return ok ? HH_OK : HH_ERR_TOO_LARGE;
}

static bool is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Parses "tile/entries/" or "tile/<L>/" at the start of path; *off gets the bytes consumed. */
static hh_status parse_prefix(const char *path, size_t len, struct hh_tile *t, size_t *off,
                              struct hh_error *err)
{
    static const char tile[] = "tile/", entries[] = "entries/";
    size_t p = sizeof(tile) - 1, end;
    uint64_t level = 0;

    if (len < p || memcmp(path, tile, p) != 0)
        return hh_error_set(err, HH_ERR_INVALID, "tile path does not start with \"tile/\"");
    if (len - p >= sizeof(entries) - 1 && memcmp(path + p, entries, sizeof(entries) - 1) == 0) {
        t->entries = true;
        *off = p + sizeof(entries) - 1;
        return HH_OK;
    }
    for (end = p; end < len && path[end] != '/'; end++)
        ;
    if (end == len)
        return hh_error_set(err, HH_ERR_INVALID, "tile path has no index after the level");
    if (hh_parse_u64(path + p, end - p, &level, err) != HH_OK)
        return hh_error_prefix(err, HH_ERR_INVALID, "tile level");
    if (level > HH_TILE_MAX_LEVEL)
        return hh_error_set(err, HH_ERR_INVALID, "tile level %llu exceeds %d",
                            (unsigned long long)level, HH_TILE_MAX_LEVEL);
    t->level = (uint8_t)level;
    *off = end + 1;
    return HH_OK;
}

/* Adds the 3-digit group at s to *index, refusing overflow. */
static hh_status add_group(const char *s, uint64_t *index, struct hh_error *err)
{
    uint64_t g;

    if (!is_digits(s, GROUP_DIGITS))
        return hh_error_set(err, HH_ERR_INVALID, "tile index group is not 3 digits");
    g = (uint64_t)(s[0] - '0') * 100 + (uint64_t)(s[1] - '0') * 10 + (uint64_t)(s[2] - '0');
    if (*index > (UINT64_MAX - g) / 1000)
        return hh_error_set(err, HH_ERR_INVALID, "tile index exceeds 2^64-1");
    *index = *index * 1000 + g;
    return HH_OK;
}

/* Parses the "xDDD/.../DDD" index at path[*off..); *off moves past it. */
static hh_status parse_index(const char *path, size_t len, size_t *off, uint64_t *index,
                             struct hh_error *err)
{
    size_t p = *off;

    *index = 0;
    while (p < len && path[p] == 'x') {
        if (len - p < GROUP_DIGITS + 2 || path[p + 1 + GROUP_DIGITS] != '/')
            return hh_error_set(err, HH_ERR_INVALID, "tile index group at byte %zu is not xDDD/",
                                p);
        if (add_group(path + p + 1, index, err) != HH_OK)
            return HH_ERR_INVALID;
        p += GROUP_DIGITS + 2;
    }
    if (len - p < GROUP_DIGITS)
        return hh_error_set(err, HH_ERR_INVALID, "tile index ends without a 3-digit group");
    if (add_group(path + p, index, err) != HH_OK)
        return HH_ERR_INVALID;
    *off = p + GROUP_DIGITS;
    return HH_OK;
}

/* Parses the optional ".p/<W>" suffix, which must end the path. */
static hh_status parse_width(const char *path, size_t len, size_t off, uint16_t *width,
                             struct hh_error *err)
{
    uint64_t w = 0;

    *width = HH_TILE_WIDTH;
    if (off == len)
        return HH_OK;
    if (len - off < 4 || memcmp(path + off, ".p/", 3) != 0)
        return hh_error_set(err, HH_ERR_INVALID, "unexpected bytes after the tile index");
    if (hh_parse_u64(path + off + 3, len - off - 3, &w, err) != HH_OK)
        return hh_error_prefix(err, HH_ERR_INVALID, "partial tile width");
    if (w < 1 || w >= HH_TILE_WIDTH)
        return hh_error_set(err, HH_ERR_INVALID, "partial tile width %llu is not 1..255",
                            (unsigned long long)w);
    *width = (uint16_t)w;
    return HH_OK;
}

/* Refuses any spelling other than the one hh_tile_path writes (e.g. a leading x000 group). */
static hh_status check_canonical(const char *path, size_t len, const struct hh_tile *t,
                                 struct hh_error *err)
{
    char canon[HH_TILE_PATH_MAX];

    if (hh_tile_path(t, canon, sizeof(canon)) != HH_OK)
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot format a parsed tile path");
    if (strlen(canon) != len || memcmp(canon, path, len) != 0)
        return hh_error_set(err, HH_ERR_INVALID, "tile path is not canonical (expected %s)", canon);
    return HH_OK;
}

hh_status hh_tile_parse_path(const char *path, size_t len, struct hh_tile *out,
                             struct hh_error *err)
{
    struct hh_tile t = {0};
    size_t off = 0;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (len >= HH_TILE_PATH_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "tile path of %zu bytes exceeds %d", len,
                            HH_TILE_PATH_MAX - 1);
    rc = parse_prefix(path, len, &t, &off, err);
    if (rc == HH_OK)
        rc = parse_index(path, len, &off, &t.index, err);
    if (rc == HH_OK)
        rc = parse_width(path, len, off, &t.width, err);
    if (rc == HH_OK)
        rc = check_canonical(path, len, &t, err);
    if (rc == HH_OK)
        *out = t;
    return rc;
}

/* Hashes stored at tile level `level` by a tree of size leaves: floor(size / 256^level). */
static uint64_t hashes_at_level(uint8_t level, uint64_t size)
{
    unsigned shift = (unsigned)level * HH_TILE_HEIGHT;
    return shift >= 64 ? 0 : size >> shift;
}

hh_status hh_tile_for_size(bool entries, uint8_t level, uint64_t index, uint64_t size,
                           struct hh_tile *out)
{
    uint64_t count;

    memset(out, 0, sizeof(*out));
    if (level > HH_TILE_MAX_LEVEL || (entries && level != 0))
        return HH_ERR_INVALID;
    count = hashes_at_level(level, size);
    out->entries = entries;
    out->level = level;
    out->index = index;
    if (index < count / HH_TILE_WIDTH) {
        out->width = HH_TILE_WIDTH;
        return HH_OK;
    }
    if (index == count / HH_TILE_WIDTH && count % HH_TILE_WIDTH != 0) {
        out->width = (uint16_t)(count % HH_TILE_WIDTH);
        return HH_OK;
    }
    memset(out, 0, sizeof(*out));
    return HH_ERR_NOT_FOUND;
}

hh_status hh_tile_for_node(uint8_t level, uint64_t index, uint64_t size, struct hh_tile *out,
                           uint16_t *pos)
{
    unsigned rest = level % HH_TILE_HEIGHT;
    uint64_t first;

    memset(out, 0, sizeof(*out));
    *pos = 0;
    /* Complete iff (index + 1) * 2^level <= size, i.e. index < size >> level. */
    if (level >= 64 || index >= (size >> level))
        return HH_ERR_NOT_FOUND;
    first = index << rest; /* the first hash to fold, at tile level level / 8 */
    *pos = (uint16_t)(first % HH_TILE_WIDTH);
    if (hh_tile_for_size(false, level / HH_TILE_HEIGHT, first / HH_TILE_WIDTH, size, out) !=
        HH_OK) {
        *pos = 0;
        return HH_ERR_INTERNAL;
    }
    return HH_OK;
}

hh_status hh_tile_read_hashes(const struct hh_hash_reader *r, const struct hh_tile *t, uint8_t *out,
                              size_t cap, struct hh_error *err)
{
    struct hh_subtree_id ids[HH_TILE_WIDTH];
    struct hh_hash hashes[HH_TILE_WIDTH];
    hh_status rc;

    if (cap > 0)
        memset(out, 0, cap);
    if (!tile_valid(t) || t->entries || t->level >= 64 / HH_TILE_HEIGHT ||
        t->index > (UINT64_MAX >> HH_TILE_HEIGHT))
        return hh_error_set(err, HH_ERR_INVALID, "no hash tile at level %u index %llu width %u",
                            (unsigned)t->level, (unsigned long long)t->index, (unsigned)t->width);
    if (cap < (size_t)t->width * HH_HASH_LEN)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "tile of width %u needs %zu bytes, have %zu",
                            (unsigned)t->width, (size_t)t->width * HH_HASH_LEN, cap);
    for (size_t i = 0; i < t->width; i++) {
        ids[i].level = (uint8_t)(t->level * HH_TILE_HEIGHT);
        ids[i].index = t->index * HH_TILE_WIDTH + i;
    }
    rc = r->read(r->ctx, ids, t->width, hashes, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "tile %u/%llu", (unsigned)t->level,
                               (unsigned long long)t->index);
    for (size_t i = 0; i < t->width; i++)
        memcpy(out + i * HH_HASH_LEN, hashes[i].b, HH_HASH_LEN);
    return HH_OK;
}

static bool same_tile(const struct hh_tile *a, const struct hh_tile *b)
{
    return a->entries == b->entries && a->level == b->level && a->index == b->index &&
           a->width == b->width;
}

hh_status hh_tiles_for_nodes(const struct hh_subtree_id *ids, size_t nids, uint64_t size,
                             struct hh_tile *out, size_t max, size_t *n)
{
    struct hh_tile t;
    uint16_t pos;
    size_t k;
    hh_status rc = HH_OK;

    *n = 0;
    for (size_t i = 0; i < nids && rc == HH_OK; i++) {
        rc = hh_tile_for_node(ids[i].level, ids[i].index, size, &t, &pos);
        if (rc != HH_OK)
            break;
        for (k = 0; k < *n && !same_tile(&out[k], &t); k++)
            ;
        if (k < *n)
            continue;
        if (*n == max)
            rc = HH_ERR_TOO_LARGE;
        else
            out[(*n)++] = t;
    }
    if (rc != HH_OK) {
        if (*n > 0)
            memset(out, 0, *n * sizeof(*out));
        *n = 0;
    }
    return rc;
}

static void clear_entries(const uint8_t *entries[HH_TILE_WIDTH], size_t lens[HH_TILE_WIDTH])
{
    for (size_t i = 0; i < HH_TILE_WIDTH; i++) {
        entries[i] = NULL;
        lens[i] = 0;
    }
}

/* Reads entry i at buf[*off..len); *off moves past it. */
static hh_status bundle_entry(const uint8_t *buf, size_t len, size_t *off, size_t i,
                              const uint8_t **entry, size_t *elen, struct hh_error *err)
{
    size_t n;

    if (len - *off < 2)
        return hh_error_set(err, HH_ERR_INVALID, "bundle ends in the length of entry %zu", i);
    n = ((size_t)buf[*off] << 8) | buf[*off + 1];
    *off += 2;
    if (len - *off < n)
        return hh_error_set(err, HH_ERR_INVALID,
                            "bundle entry %zu is truncated: %zu bytes declared, %zu left", i, n,
                            len - *off);
    *entry = buf + *off;
    *elen = n;
    *off += n;
    return HH_OK;
}

hh_status hh_bundle_parse(const uint8_t *buf, size_t len, size_t expected,
                          const uint8_t *entries[HH_TILE_WIDTH], size_t lens[HH_TILE_WIDTH],
                          struct hh_error *err)
{
    size_t off = 0;
    hh_status rc = HH_OK;

    clear_entries(entries, lens);
    if (expected < 1 || expected > HH_TILE_WIDTH)
        return hh_error_set(err, HH_ERR_INVALID, "bundle entry count %zu is not 1..%d", expected,
                            HH_TILE_WIDTH);
    if (len > HH_BUNDLE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "bundle of %zu bytes exceeds %d", len,
                            HH_BUNDLE_MAX_BYTES);
    for (size_t i = 0; i < expected && rc == HH_OK; i++)
        rc = bundle_entry(buf, len, &off, i, &entries[i], &lens[i], err);
    if (rc == HH_OK && off != len)
        rc = hh_error_set(err, HH_ERR_INVALID, "%zu trailing bytes after bundle entry %zu",
                          len - off, expected - 1);
    if (rc != HH_OK)
        clear_entries(entries, lens);
    return rc;
}

hh_status hh_bundle_append(uint8_t *out, size_t cap, size_t *used, const void *entry, size_t len)
{
    if (len > HH_ENTRY_MAX || *used > cap || cap - *used < 2 || cap - *used - 2 < len)
        return HH_ERR_TOO_LARGE;
    out[*used] = (uint8_t)(len >> 8);
    out[*used + 1] = (uint8_t)len;
    if (len > 0)
        memcpy(out + *used + 2, entry, len);
    *used += 2 + len;
    return HH_OK;
}
