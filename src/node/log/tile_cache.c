/*
 * tile_cache.c - the full-tile cache (see tile_cache.h).
 *
 * A chained hash table of entries, each also on one least-recently-used list
 * (most recent at the head), under one mutex that is held only for pointer
 * work, never while copying or freeing tile bytes. An entry owns one
 * reference to its blob; every hit takes another. A blob is freed when its
 * last reference goes, whether that is the cache's (eviction) or a reader's.
 */
#include "log/tile_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 64
#define MAX_BUCKETS (1u << 20)

struct blob {
    struct hh_tile_blob pub; /* first: a struct hh_tile_blob * is a struct blob * */
    uint32_t refs;
    uint8_t bytes[];
};

struct entry {
    struct entry *chain;       /* next in the bucket */
    struct entry *prev, *next; /* LRU list */
    bool entries;
    uint8_t level;
    uint64_t index;
    struct blob *blob;
};

struct hh_tile_cache {
    pthread_mutex_t mu;
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    struct entry *head, *tail;
    size_t max_bytes, bytes, tiles;
    uint64_t hits, misses, evictions;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t bucket_of(const struct hh_tile_cache *c, const struct hh_tile *t)
{
    uint64_t k = t->index ^ ((uint64_t)t->level << 57) ^ ((uint64_t)t->entries << 56);
    return (size_t)(mix(k) & (c->nbuckets - 1));
}

static void blob_unref(struct blob *b)
{
    if (b != NULL && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(b);
}

struct hh_tile_cache *hh_tile_cache_new(size_t max_bytes)
{
    struct hh_tile_cache *c = calloc(1, sizeof(*c));
    size_t want = max_bytes / HH_TILE_BYTES * 2;

    if (c == NULL)
        return NULL;
    c->nbuckets = MIN_BUCKETS;
    while (c->nbuckets < want && c->nbuckets < MAX_BUCKETS)
        c->nbuckets *= 2;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void hh_tile_cache_free(struct hh_tile_cache *c)
{
    if (c == NULL)
        return;
    for (struct entry *e = c->head, *next; e != NULL; e = next) {
        next = e->next;
        blob_unref(e->blob);
        free(e);
    }
    pthread_mutex_destroy(&c->mu);
    free(c->buckets);
    free(c);
}

static struct entry **find_locked(struct hh_tile_cache *c, const struct hh_tile *t)
{
    struct entry **p = &c->buckets[bucket_of(c, t)];
    while (*p != NULL &&
           ((*p)->index != t->index || (*p)->level != t->level || (*p)->entries != t->entries))
        p = &(*p)->chain;
    return p;
}

static void lru_unlink(struct hh_tile_cache *c, struct entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(struct hh_tile_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head != NULL)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

const struct hh_tile_blob *hh_tile_cache_get(struct hh_tile_cache *c, const struct hh_tile *t)
{
    struct blob *b = NULL;

    if (c == NULL || t->width != HH_TILE_WIDTH)
        return NULL;
    pthread_mutex_lock(&c->mu);
    struct entry *e = *find_locked(c, t);
    if (e != NULL) {
        if (c->head != e) {
            lru_unlink(c, e);
            lru_push_front(c, e);
        }
        b = e->blob;
        __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return b != NULL ? &b->pub : NULL;
}

/* Unlinks the least recently used entry; returns it (the caller frees it outside the lock). */
static struct entry *evict_locked(struct hh_tile_cache *c)
{
    struct entry *e = c->tail;
    struct hh_tile t = {e->entries, e->level, e->index, HH_TILE_WIDTH};

    *find_locked(c, &t) = e->chain;
    lru_unlink(c, e);
    c->bytes -= e->blob->pub.len;
    c->tiles--;
    c->evictions++;
    return e;
}

void hh_tile_cache_put(struct hh_tile_cache *c, const struct hh_tile *t, const uint8_t *data,
                       size_t len)
{
    struct entry *e, *evicted = NULL;
    struct blob *b;

    if (c == NULL || t->width != HH_TILE_WIDTH || len > c->max_bytes)
        return;
    b = malloc(sizeof(*b) + len);
    e = calloc(1, sizeof(*e));
    if (b == NULL || e == NULL) {
        free(b);
        free(e);
        return;
    }
    memcpy(b->bytes, data, len);
    b->pub.data = b->bytes;
    b->pub.len = len;
    b->refs = 1;
    e->entries = t->entries;
    e->level = t->level;
    e->index = t->index;
    e->blob = b;
    pthread_mutex_lock(&c->mu);
    struct entry **slot = find_locked(c, t);
    if (*slot != NULL) { /* another thread cached it first */
        pthread_mutex_unlock(&c->mu);
        free(b);
        free(e);
        return;
    }
    *slot = e;
    lru_push_front(c, e);
    c->bytes += len;
    c->tiles++;
    while (c->bytes > c->max_bytes) {
        struct entry *old = evict_locked(c);
        old->chain = evicted; /* freed below, outside the lock */
        evicted = old;
    }
    pthread_mutex_unlock(&c->mu);
    while (evicted != NULL) {
        struct entry *next = evicted->chain;
        blob_unref(evicted->blob);
        free(evicted);
        evicted = next;
    }
}

void hh_tile_cache_release(const struct hh_tile_blob *b)
{
    blob_unref((struct blob *)(void *)b);
}

void hh_tile_cache_stats(struct hh_tile_cache *c, struct hh_tile_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    out->tiles = c->tiles;
    out->bytes = c->bytes;
    pthread_mutex_unlock(&c->mu);
}
