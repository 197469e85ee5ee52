/*
 * test_tile_cache.c - the full-tile cache (tile_cache.h): hits return the
 * bytes put, partial tiles are never cached, keys do not collide, the byte
 * bound holds with least-recently-used eviction, a held blob outlives its
 * eviction and the cache, and concurrent readers and writers only ever see
 * the right bytes.
 */
#include "harness.h"

#include "log/tile_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static struct hh_tile full(bool entries, uint8_t level, uint64_t index)
{
    struct hh_tile t = {entries, level, index, HH_TILE_WIDTH};
    return t;
}

/* Deterministic tile bytes for a key, so any hit can be checked. */
static void fill(const struct hh_tile *t, uint8_t *buf, size_t len)
{
    uint64_t x = t->index * 1000003u + t->level * 7u + (t->entries ? 1u : 0u);
    for (size_t i = 0; i < len; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        buf[i] = (uint8_t)(x >> 56);
    }
}

static bool hit_matches(struct hh_tile_cache *c, const struct hh_tile *t, size_t len)
{
    static uint8_t want[HH_TILE_BYTES];
    const struct hh_tile_blob *b = hh_tile_cache_get(c, t);
    bool ok = b != NULL && b->len == len;

    fill(t, want, len);
    ok = ok && memcmp(b->data, want, len) == 0;
    hh_tile_cache_release(b);
    return ok;
}

static void put_filled(struct hh_tile_cache *c, const struct hh_tile *t, size_t len)
{
    uint8_t *buf = malloc(len);
    fill(t, buf, len);
    hh_tile_cache_put(c, t, buf, len);
    free(buf);
}

TEST(tile_cache_miss_then_hit)
{
    struct hh_tile_cache *c = hh_tile_cache_new(1 << 20);
    struct hh_tile t = full(false, 0, 42);
    struct hh_tile_cache_stats st;

    CHECK(c != NULL);
    CHECK(hh_tile_cache_get(c, &t) == NULL);
    put_filled(c, &t, HH_TILE_BYTES);
    CHECK(hit_matches(c, &t, HH_TILE_BYTES));
    hh_tile_cache_stats(c, &st);
    CHECK(st.hits == 1 && st.misses == 1 && st.tiles == 1 && st.bytes == HH_TILE_BYTES);
    hh_tile_cache_free(c);
}

TEST(tile_cache_ignores_partial_tiles)
{
    struct hh_tile_cache *c = hh_tile_cache_new(1 << 20);
    struct hh_tile p = {false, 0, 7, 100};
    struct hh_tile f = full(false, 0, 7);
    struct hh_tile_cache_stats st;

    put_filled(c, &p, 100 * HH_HASH_LEN);
    CHECK(hh_tile_cache_get(c, &p) == NULL);
    CHECK(hh_tile_cache_get(c, &f) == NULL);
    put_filled(c, &f, HH_TILE_BYTES);
    CHECK(hh_tile_cache_get(c, &p) == NULL); /* a partial request never gets the full tile */
    hh_tile_cache_stats(c, &st);
    CHECK(st.tiles == 1);
    hh_tile_cache_free(c);
}

TEST(tile_cache_keys_do_not_collide)
{
    struct hh_tile_cache *c = hh_tile_cache_new(1 << 22);
    struct hh_tile a = full(false, 0, 5), b = full(false, 1, 5), e = full(true, 0, 5);
    struct hh_tile big = full(false, 0, (uint64_t)1 << 60);

    put_filled(c, &a, HH_TILE_BYTES);
    put_filled(c, &b, HH_TILE_BYTES);
    put_filled(c, &e, 3000);
    put_filled(c, &big, HH_TILE_BYTES);
    CHECK(hit_matches(c, &a, HH_TILE_BYTES));
    CHECK(hit_matches(c, &b, HH_TILE_BYTES));
    CHECK(hit_matches(c, &e, 3000));
    CHECK(hit_matches(c, &big, HH_TILE_BYTES));
    for (uint64_t i = 0; i < 200; i++) { /* many keys in few buckets: chains work */
        struct hh_tile t = full(i % 2, 0, 1000 + i);
        put_filled(c, &t, 1000);
    }
    for (uint64_t i = 0; i < 200; i++) {
        struct hh_tile t = full(i % 2, 0, 1000 + i);
        CHECK(hit_matches(c, &t, 1000));
    }
    hh_tile_cache_free(c);
}

TEST(tile_cache_evicts_least_recently_used_within_bound)
{
    struct hh_tile_cache *c = hh_tile_cache_new(3 * HH_TILE_BYTES);
    struct hh_tile t[4] = {full(false, 0, 0), full(false, 0, 1), full(false, 0, 2),
                           full(false, 0, 3)};
    struct hh_tile_cache_stats st;

    for (int i = 0; i < 3; i++)
        put_filled(c, &t[i], HH_TILE_BYTES);
    CHECK(hit_matches(c, &t[0], HH_TILE_BYTES)); /* 0 is now the most recent; 1 the least */
    put_filled(c, &t[3], HH_TILE_BYTES);
    CHECK(hh_tile_cache_get(c, &t[1]) == NULL);
    CHECK(hit_matches(c, &t[0], HH_TILE_BYTES));
    CHECK(hit_matches(c, &t[2], HH_TILE_BYTES));
    CHECK(hit_matches(c, &t[3], HH_TILE_BYTES));
    hh_tile_cache_stats(c, &st);
    CHECK(st.tiles == 3 && st.bytes == 3 * HH_TILE_BYTES && st.evictions == 1);
    hh_tile_cache_free(c);
}

TEST(tile_cache_refuses_oversize_and_keeps_first_copy)
{
    struct hh_tile_cache *c = hh_tile_cache_new(HH_TILE_BYTES);
    struct hh_tile e = full(true, 0, 1), t = full(false, 0, 1);
    uint8_t other[HH_TILE_BYTES];
    struct hh_tile_cache_stats st;

    put_filled(c, &e, HH_TILE_BYTES + 1);
    CHECK(hh_tile_cache_get(c, &e) == NULL);
    put_filled(c, &t, HH_TILE_BYTES);
    memset(other, 0xAA, sizeof(other));
    hh_tile_cache_put(c, &t, other, sizeof(other)); /* a second put of the same tile is ignored */
    CHECK(hit_matches(c, &t, HH_TILE_BYTES));
    hh_tile_cache_stats(c, &st);
    CHECK(st.tiles == 1 && st.bytes == HH_TILE_BYTES);
    hh_tile_cache_free(c);
}

TEST(tile_cache_held_blob_outlives_eviction_and_cache)
{
    struct hh_tile_cache *c = hh_tile_cache_new(HH_TILE_BYTES);
    struct hh_tile a = full(false, 2, 9), b = full(false, 2, 10);
    uint8_t want[HH_TILE_BYTES];

    put_filled(c, &a, HH_TILE_BYTES);
    const struct hh_tile_blob *held = hh_tile_cache_get(c, &a);
    CHECK(held != NULL);
    put_filled(c, &b, HH_TILE_BYTES); /* evicts a */
    CHECK(hh_tile_cache_get(c, &a) == NULL);
    hh_tile_cache_free(c);
    fill(&a, want, sizeof(want));
    CHECK(held != NULL && held->len == HH_TILE_BYTES &&
          memcmp(held->data, want, sizeof(want)) == 0);
    hh_tile_cache_release(held);
}

TEST(tile_cache_null_is_a_disabled_cache)
{
    struct hh_tile t = full(false, 0, 0);
    uint8_t buf[16] = {0};
    struct hh_tile_cache_stats st;

    CHECK(hh_tile_cache_get(NULL, &t) == NULL);
    hh_tile_cache_put(NULL, &t, buf, sizeof(buf));
    hh_tile_cache_release(NULL);
    hh_tile_cache_stats(NULL, &st);
    CHECK(st.tiles == 0 && st.hits == 0);
    hh_tile_cache_free(NULL);
}

struct worker {
    struct hh_tile_cache *c;
    unsigned seed;
    int bad;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    uint64_t x = w->seed;

    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        struct hh_tile t = full((x >> 20) & 1, (uint8_t)((x >> 21) & 1), (x >> 32) % 64);
        const struct hh_tile_blob *b = hh_tile_cache_get(w->c, &t);
        if (b == NULL) {
            put_filled(w->c, &t, 1024);
            continue;
        }
        uint8_t want[1024];
        fill(&t, want, sizeof(want));
        if (b->len != sizeof(want) || memcmp(b->data, want, sizeof(want)) != 0)
            w->bad++;
        hh_tile_cache_release(b);
    }
    return NULL;
}

TEST(tile_cache_concurrent_use)
{
    /* 256 possible keys of 1 KiB in a 64 KiB cache: constant eviction under contention. */
    struct hh_tile_cache *c = hh_tile_cache_new(64 * 1024);
    struct worker w[4];
    pthread_t th[4];
    struct hh_tile_cache_stats st;

    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){c, 17u + (unsigned)i, 0};
        pthread_create(&th[i], NULL, hammer, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(w[i].bad == 0);
    }
    hh_tile_cache_stats(c, &st);
    CHECK(st.bytes <= 64 * 1024 && st.tiles == st.bytes / 1024);
    CHECK(st.hits > 0 && st.evictions > 0);
    hh_tile_cache_free(c);
}
