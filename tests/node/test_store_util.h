/*
 * test_store_util.h - what the store tests share, whatever the backend: a
 * fixture holding a store opened by URI on a fresh database, deterministic
 * entries, batches of entries with the subtree hashes they complete
 * (computed on an hh_memtree), and readers that check entries come back
 * exactly. Every symbol is prefixed ts_.
 */
#ifndef HH_TEST_STORE_UTIL_H
#define HH_TEST_STORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"
#include "test_store_backends.h"

/* A store on a fresh database of backend b, in its own scratch directory. */
struct ts_fixture {
    const struct tb_backend *b;
    char dir[64];
    char uri[TB_URI_MAX];
    struct hh_store *s;
};

bool ts_open(struct ts_fixture *f, const struct tb_backend *b);
/* Closes and opens the same database again. */
bool ts_reopen(struct ts_fixture *f);
/* Closes the store and removes the database and the scratch directory. */
void ts_close(struct ts_fixture *f);

/* Entry i: its index in the first 8 bytes, then a pattern; len bytes, or 100..599 when len is 0. */
size_t ts_entry_bytes(uint64_t i, uint8_t *buf, size_t len);

/* Entries with the subtrees they complete, ready for hh_store_append. */
struct ts_batch {
    struct hh_store_entry *e;
    uint8_t *buf;
    struct hh_subtree_id *ids;
    struct hh_hash *hashes;
    size_t n, nhashes;
};

void ts_batch_free(struct ts_batch *b);
/* Entries first..first+n-1, each len bytes (ts_entry_bytes's default when 0); no subtrees. */
bool ts_batch_entries(struct ts_batch *b, uint64_t first, size_t n, size_t len);
/* ts_batch_entries and the subtrees they complete, computed on t (which holds first leaves). */
bool ts_batch_make(struct ts_batch *b, struct hh_memtree *t, uint64_t first, size_t n, size_t len);
hh_status ts_batch_append(struct hh_store *s, uint64_t first, const struct ts_batch *b,
                          struct hh_error *err);
/* Appends n default entries at the store's end, keeping t in step. */
bool ts_append_n(struct hh_store *s, struct hh_memtree *t, size_t n);
/* Appends the leaves of the default entries 0..n-1 to the empty tree t. */
bool ts_memtree_mirror(struct hh_memtree *t, uint64_t n);

/* Checks each entry read against ts_entry_bytes; stops after stop_after when not 0. */
struct ts_expect {
    uint64_t next;
    size_t seen;
    int bad;
    size_t stop_after;
};
int ts_expect_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len);
/* Entries start..start+n-1 read back exactly. */
bool ts_entries_ok(struct hh_store *s, uint64_t start, size_t n);

#endif
