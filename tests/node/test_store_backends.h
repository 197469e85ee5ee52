/*
 * test_store_backends.h - the storage backends this build has, for the
 * conformance suites of the store (test_store.c) and the witness database
 * (test_witness_db.c): each conformance test runs once per backend in
 * tb_backends, through store.h and witness_db.h only, and a failed check
 * names the backend ("[sqlite] size == 10").
 *
 * A backend's entry makes the URI of a fresh, empty database. Tests that
 * use a backend's own tools (SQL, pragmas, file sizes, its error wording)
 * live in that backend's files (test_store_sqlite.c,
 * test_witness_db_sqlite.c). Every symbol is prefixed tb_.
 */
#ifndef HH_TEST_STORE_BACKENDS_H
#define HH_TEST_STORE_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

#include <henhouse/henhouse.h>

#include "harness.h"

#define TB_URI_MAX 256

struct tb_backend {
    const char *name; /* as in failure messages: "sqlite" */
    /*
     * Writes to uri[0..cap) the URI of a fresh, empty database called name.
     * dir is an empty scratch directory the backend may use; the test
     * removes it afterwards.
     */
    bool (*make_uri)(const char *dir, const char *name, char *uri, size_t cap);
    /* Removes what make_uri made outside dir (a server's database); NULL when nothing. */
    void (*drop)(const char *uri);
};

/* Every backend of this build: a backend added to storage/ adds its entry here. */
extern const struct tb_backend tb_backends[];
extern const size_t tb_nbackends;

/* The entry called name; NULL when this build lacks that backend. */
const struct tb_backend *tb_named(const char *name);

/* Runs fn once per backend; BCHECK and friends inside name the backend when they fail. */
void tb_each(void (*fn)(const struct tb_backend *b));

/* Makes /tmp/hh_<tag>_XXXXXX into dir[0..cap). */
bool tb_scratch_dir(const char *tag, char *dir, size_t cap);

/* CHECK, CHECK_OK and CHECK_ERR that name the backend tb_each is running. */
bool tb_check(bool ok, const char *expr, const char *file, int line);
#define BCHECK(cond)           tb_check(!!(cond), #cond, __FILE__, __LINE__)
#define BCHECK_OK(expr)        tb_check((expr) == HH_OK, #expr " == HH_OK", __FILE__, __LINE__)
#define BCHECK_ERR(expr, code) tb_check((expr) == (code), #expr " == " #code, __FILE__, __LINE__)

#endif
