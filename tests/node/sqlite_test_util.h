/*
 * sqlite_test_util.h - raw SQL on a SQLite database file, for the SQLite
 * backend's own tests only (test_store_sqlite.c, test_witness_db_sqlite.c):
 * each call opens a connection of its own. Symbols are prefixed st_.
 */
#ifndef HH_TEST_SQLITE_TEST_UTIL_H
#define HH_TEST_SQLITE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Runs sql on the database file at path. */
bool st_sql_exec(const char *path, const char *sql);

/* The first column of the first row of sql, as text, into out[0..cap). */
bool st_sql_value(const char *path, const char *sql, char *out, size_t cap);

#endif
