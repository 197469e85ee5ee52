/*
 * test_witness_db_util.h - what the witness database tests share, whatever
 * the backend: a fixture holding a database opened by URI on a fresh one,
 * and checkpoints of a made-up log (size n, root_n(n), note_n(n)) to
 * advance through and compare with. Every symbol is prefixed tw_.
 */
#ifndef HH_TEST_WITNESS_DB_UTIL_H
#define HH_TEST_WITNESS_DB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/witness_db.h"
#include "test_store_backends.h"

#define TW_ORIGIN "example.com/log"

/* A witness database on a fresh database of backend b, in its own scratch directory. */
struct tw_fixture {
    const struct tb_backend *b;
    char dir[64];
    char uri[TB_URI_MAX];
    struct hh_wdb *w;
};

bool tw_open(struct tw_fixture *f, const struct tb_backend *b);
/* Closes and opens the same database again. */
bool tw_reopen(struct tw_fixture *f);
/* Closes the database and removes it and the scratch directory. */
void tw_close(struct tw_fixture *f);

/* The root of the made-up log at size n. */
void tw_root(uint64_t n, struct hh_hash *out);
/* A stand-in for the signed checkpoint of size n (the db stores it as given). */
size_t tw_note(uint64_t n, char *buf, size_t cap);
/* Advances origin from old to n with tw_root(n) and tw_note(n), no check callback. */
hh_status tw_advance(struct hh_wdb *w, const char *origin, uint64_t old, uint64_t n,
                     uint64_t *current, struct hh_error *err);
/* The state of origin is (n, tw_root(n), tw_note(n)), frozen or not. */
bool tw_state_is(struct hh_wdb *w, const char *origin, uint64_t n, bool frozen);

#endif
