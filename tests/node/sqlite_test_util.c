/*
 * sqlite_test_util.c - raw SQL for the SQLite backend's tests (see the header).
 */
#include "sqlite_test_util.h"

#include <sqlite3.h>
#include <stdio.h>

bool st_sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    bool ok;

    ok = sqlite3_open(path, &db) == SQLITE_OK &&
         sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

bool st_sql_value(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool ok;

    ok = sqlite3_open(path, &db) == SQLITE_OK &&
         sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
         sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL;
    if (ok)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}
