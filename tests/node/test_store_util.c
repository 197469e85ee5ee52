/*
 * test_store_util.c - fixtures, entries and batches of the store tests (see
 * test_store_util.h).
 */
#include "test_store_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ts_open(struct ts_fixture *f, const struct tb_backend *b)
{
    memset(f, 0, sizeof(*f));
    f->b = b;
    if (!tb_scratch_dir("store", f->dir, sizeof(f->dir)) ||
        !b->make_uri(f->dir, "store", f->uri, sizeof(f->uri)))
        return false;
    return hh_store_open(f->uri, &f->s, NULL) == HH_OK;
}

bool ts_reopen(struct ts_fixture *f)
{
    hh_store_close(f->s);
    f->s = NULL;
    return hh_store_open(f->uri, &f->s, NULL) == HH_OK;
}

void ts_close(struct ts_fixture *f)
{
    hh_store_close(f->s);
    f->s = NULL;
    if (f->b != NULL && f->b->drop != NULL && f->uri[0] != '\0')
        f->b->drop(f->uri);
    hh_test_rmdir(f->dir);
}

size_t ts_entry_bytes(uint64_t i, uint8_t *buf, size_t len)
{
    if (len == 0)
        len = 100 + (size_t)(i % 500);
    for (size_t j = 0; j < len; j++)
        buf[j] = (uint8_t)(j < 8 ? i >> (8 * j) : i * 31 + j);
    return len;
}

void ts_batch_free(struct ts_batch *b)
{
    free(b->e);
    free(b->buf);
    free(b->ids);
    free(b->hashes);
    memset(b, 0, sizeof(*b));
}

static bool batch_alloc(struct ts_batch *b, size_t n, size_t each)
{
    memset(b, 0, sizeof(*b));
    b->e = calloc(n + 1, sizeof(*b->e));
    b->buf = malloc(n * each + 1);
    b->ids = malloc((2 * n + HH_MERKLE_MAX_PROOF) * sizeof(*b->ids));
    b->hashes = malloc((2 * n + HH_MERKLE_MAX_PROOF) * sizeof(*b->hashes));
    b->n = n;
    return b->e != NULL && b->buf != NULL && b->ids != NULL && b->hashes != NULL;
}

bool ts_batch_entries(struct ts_batch *b, uint64_t first, size_t n, size_t len)
{
    size_t each = len > 0 ? len : 600;

    if (!batch_alloc(b, n, each))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = b->buf + i * each;
        b->e[i].len = ts_entry_bytes(first + i, p, len);
        b->e[i].data = p;
        hh_sha256(p, b->e[i].len, &b->e[i].id);
    }
    return true;
}

bool ts_batch_make(struct ts_batch *b, struct hh_memtree *t, uint64_t first, size_t n, size_t len)
{
    struct hh_hash_reader r = hh_memtree_reader(t);

    if (!ts_batch_entries(b, first, n, len))
        return false;
    for (size_t i = 0; i < n; i++) {
        struct hh_hash leaf;
        size_t k;
        hh_merkle_leaf_hash(b->e[i].data, b->e[i].len, &leaf);
        if (hh_merkle_append(&r, first + i, &leaf, b->ids + b->nhashes, b->hashes + b->nhashes, &k,
                             NULL) != HH_OK ||
            hh_memtree_append(t, &leaf) != HH_OK)
            return false;
        b->nhashes += k;
    }
    return true;
}

hh_status ts_batch_append(struct hh_store *s, uint64_t first, const struct ts_batch *b,
                          struct hh_error *err)
{
    return hh_store_append(s, first, b->e, b->n, b->ids, b->hashes, b->nhashes, err);
}

bool ts_append_n(struct hh_store *s, struct hh_memtree *t, size_t n)
{
    struct ts_batch b;
    uint64_t first = hh_memtree_size(t);
    bool ok = ts_batch_make(&b, t, first, n, 0) && ts_batch_append(s, first, &b, NULL) == HH_OK;

    ts_batch_free(&b);
    return ok;
}

bool ts_memtree_mirror(struct hh_memtree *t, uint64_t n)
{
    uint8_t buf[600];
    struct hh_hash h;

    for (uint64_t i = 0; i < n; i++) {
        hh_merkle_leaf_hash(buf, ts_entry_bytes(i, buf, 0), &h);
        if (hh_memtree_append(t, &h) != HH_OK)
            return false;
    }
    return true;
}

int ts_expect_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct ts_expect *x = ctx;
    uint8_t want[600];
    size_t n = ts_entry_bytes(index, want, 0);

    if (index != x->next || len != n || memcmp(data, want, n) != 0)
        x->bad++;
    x->next = index + 1;
    x->seen++;
    return x->stop_after != 0 && x->seen == x->stop_after;
}

bool ts_entries_ok(struct hh_store *s, uint64_t start, size_t n)
{
    struct ts_expect x = {start, 0, 0, 0};

    return hh_store_read_entries(s, start, n, ts_expect_entry, &x, NULL) == HH_OK && x.bad == 0 &&
           x.seen == n;
}
