/*
 * test_witness_db_sqlite.c - the witness database's SQLite backend, tested
 * with SQLite's own tools: the storage URIs that name a SQLite file, open
 * errors of files and directories, the file's format (WAL, schema version),
 * databases made before the schema had a version, and schema versions it
 * refuses.
 *
 * The backend-neutral behaviour is in the conformance suite
 * (test_witness_db.c). Every test works in its own scratch directory under
 * /tmp and removes it.
 */
#include "harness.h"
#include "sqlite_test_util.h"

#include "storage/sqlite/sqlite_backends.h"
#include "test_witness_db_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SQLITE_PREFIX "sqlite:"

/* A witness database on a fresh SQLite database ("sqlite:" then the file's path). */
static bool sq_open(struct tw_fixture *f)
{
    const struct tb_backend *b = tb_named("sqlite");

    return b != NULL && tw_open(f, b) && strncmp(f->uri, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) == 0;
}

static const char *sq_path(const struct tw_fixture *f)
{
    return f->uri + strlen(SQLITE_PREFIX);
}

static void sq_shut(struct tw_fixture *f)
{
    hh_wdb_close(f->w);
    f->w = NULL;
}

/* Opens uri and checks TW_ORIGIN is at size n. */
static bool opens_at(const char *uri, uint64_t n)
{
    struct hh_wdb *w = NULL;
    bool ok = hh_wdb_open(uri, &w, NULL) == HH_OK && tw_state_is(w, TW_ORIGIN, n, false);

    hh_wdb_close(w);
    return ok;
}

TEST(witness_db_sqlite_open_uri_forms)
{
    struct tw_fixture f;
    struct hh_error err = {0};
    struct hh_wdb *w = (struct hh_wdb *)&err;
    char uri[TB_URI_MAX];
    uint64_t cur = 0;

    CHECK(sq_open(&f));
    CHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 5, &cur, NULL));
    sq_shut(&f);
    CHECK(opens_at(f.uri, 5));
    CHECK(opens_at(sq_path(&f), 5)); /* a plain path is a SQLite file, as node.c passes it */
    snprintf(uri, sizeof(uri), "SQLITE:%s", sq_path(&f));
    CHECK(opens_at(uri, 5));
    CHECK(hh_wdb_open("witness:db", &w, &err) == HH_ERR_INVALID);
    CHECK(w == NULL && strstr(err.msg, "unknown storage scheme \"witness\"") != NULL);
    CHECK(access("witness:db", F_OK) != 0);
    tw_close(&f);
}

TEST(witness_db_sqlite_open_errors)
{
    struct hh_error err = {0};
    struct hh_wdb *w = (struct hh_wdb *)&err;
    char dir[64];
    char path[128];
    FILE *fp;

    CHECK(hh_wdb_open_sqlite(NULL, &w, &err) == HH_ERR_INVALID);
    CHECK(w == NULL && strstr(err.msg, "no path given") != NULL);
    w = (struct hh_wdb *)&err;
    CHECK(hh_wdb_open("/nonexistent-dir-hh/witness.db", &w, &err) == HH_ERR_IO);
    CHECK(w == NULL && err.code == HH_ERR_IO && err.msg[0] != '\0');
    CHECK(strstr(err.msg, "/nonexistent-dir-hh/witness.db") != NULL);
    /* a file that is not a database */
    CHECK(tb_scratch_dir("wdb", dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/witness.db", dir);
    fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp != NULL) {
        for (int i = 0; i < 256; i++)
            fputs("this is not an SQLite database\n", fp);
        fclose(fp);
    }
    w = (struct hh_wdb *)&err;
    CHECK(hh_wdb_open(path, &w, &err) == HH_ERR_IO);
    CHECK(w == NULL && strstr(err.msg, "not a database") != NULL);
    hh_test_rmdir(dir);
}

TEST(witness_db_sqlite_file_is_wal)
{
    struct tw_fixture f;
    uint64_t cur = 0;
    char v[32];

    CHECK(sq_open(&f));
    CHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 5, &cur, NULL));
    sq_shut(&f);
    CHECK(st_sql_value(sq_path(&f), "PRAGMA journal_mode", v, sizeof(v)) && strcmp(v, "wal") == 0);
    CHECK(st_sql_value(sq_path(&f), "PRAGMA user_version", v, sizeof(v)) && strcmp(v, "1") == 0);
    CHECK(st_sql_value(sq_path(&f), "SELECT size FROM witness_state", v, sizeof(v)) &&
          strcmp(v, "5") == 0);
    tw_close(&f);
}

/* Before the schema had a version (user_version 0), its tables existed already. */
TEST(witness_db_sqlite_opens_an_unversioned_database)
{
    struct tw_fixture f;
    struct hh_wdb_peer p;
    char v[32];

    CHECK(sq_open(&f));
    sq_shut(&f);
    CHECK(st_sql_exec(sq_path(&f), "PRAGMA user_version=0; INSERT INTO peer_status"
                                   "(name, last_ok, last_error, last_error_time, failures)"
                                   " VALUES('bob', 0, 'down', 1700000000, 3)"));
    CHECK(tw_reopen(&f));
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.failures == 3 && strcmp(p.last_error, "down") == 0);
    CHECK(p.last_error_time == 1700000000);
    sq_shut(&f);
    CHECK(st_sql_value(sq_path(&f), "PRAGMA user_version", v, sizeof(v)) && strcmp(v, "1") == 0);
    tw_close(&f);
}

static bool set_user_version(const char *path, int v)
{
    char sql[64];

    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
    return st_sql_exec(path, sql);
}

TEST(witness_db_sqlite_schema_too_new_refused)
{
    struct tw_fixture f;
    struct hh_error err = {0};
    struct hh_wdb *w = (struct hh_wdb *)&f;
    uint64_t cur = 0;

    CHECK(sq_open(&f));
    CHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 5, &cur, NULL));
    sq_shut(&f);
    CHECK(set_user_version(sq_path(&f), 99));
    CHECK(hh_wdb_open(f.uri, &w, &err) == HH_ERR_INVALID);
    CHECK(w == NULL && err.code == HH_ERR_INVALID && strstr(err.msg, "99") != NULL);
    /* back at the version it knows, the data is still there */
    CHECK(set_user_version(sq_path(&f), 1));
    CHECK_OK(hh_wdb_open(f.uri, &f.w, NULL));
    CHECK(tw_state_is(f.w, TW_ORIGIN, 5, false));
    tw_close(&f);
}
