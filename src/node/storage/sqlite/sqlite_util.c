/*
 * sqlite_util.c - connections, errors, migrations and queries shared by the
 * SQLite backends (see sqlite_util.h).
 *
 * Errors keep SQLite's own words and code, and the operating system's
 * reason when SQLite recorded one, so "disk full" or "permission denied"
 * reaches the operator. Statements are bound with SQLITE_STATIC: the
 * caller's memory is used only until hh_sq_end clears the bindings.
 */
#include "storage/sqlite/sqlite_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---- */

static hh_status code_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return HH_ERR_NOMEM;
    case SQLITE_CONSTRAINT:
        return HH_ERR_CONFLICT;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return HH_ERR_INTERNAL;
    default:
        return HH_ERR_IO; /* FULL, IOERR, BUSY, CORRUPT, NOTADB, CANTOPEN, ... */
    }
}

/* ": reason" from the operating system's errno of c's last failure, or "". */
static void os_reason(struct hh_sq_conn *c, int code, char *buf, size_t cap)
{
    int prim = code & 0xff;
    int sys = 0;

    buf[0] = '\0';
    if (c->db != NULL && (prim == SQLITE_IOERR || prim == SQLITE_FULL || prim == SQLITE_CANTOPEN))
        sys = sqlite3_system_errno(c->db);
    if (sys != 0 && strerror_r(sys, buf + 2, cap - 2) == 0)
        memcpy(buf, ": ", 2);
    else
        buf[0] = '\0';
}

hh_status hh_sq_error(struct hh_sq_conn *c, int code, const char *what, struct hh_error *err)
{
    const char *msg = c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(code);
    char reason[96];

    c->last_code = code;
    os_reason(c, code, reason, sizeof(reason));
    return hh_error_set(err, code_of(code), "%s%s%s%s%s (sqlite %d%s)",
                        c->label != NULL ? c->label : "", c->label != NULL ? ": " : "",
                        what != NULL ? what : "", what != NULL ? ": " : "", msg, code, reason);
}

/* ---- connections ---- */

void hh_sq_close(struct hh_sq_conn *c)
{
    for (size_t i = 0; i < HH_SQ_STMTS_MAX; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof(*c));
}

hh_status hh_sq_exec(struct hh_sq_conn *c, const char *sql, const char *what, struct hh_error *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return hh_sq_error(c, rc, what, err);
    return HH_OK;
}

hh_status hh_sq_open(struct hh_sq_conn *c, const char *path, bool create, const char *pragmas,
                     const char *const *sql, size_t nsql, const char *label, struct hh_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    hh_status rc;
    int src;

    memset(c, 0, sizeof(*c));
    c->label = label;
    c->sql = sql;
    c->nsql = nsql;
    if (nsql > HH_SQ_STMTS_MAX)
        return hh_error_set(err, HH_ERR_INTERNAL, "%zu statements, more than HH_SQ_STMTS_MAX %d",
                            nsql, HH_SQ_STMTS_MAX);
    src = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = hh_sq_error(c, src, "opening the database", err);
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, HH_SQ_BUSY_MS);
    rc = hh_sq_exec(c, pragmas, "setting connection options", err);
out:
    if (rc != HH_OK)
        hh_sq_close(c);
    return rc;
}

/* Runs a one-row pragma query outside the statement cache; *st is left for the caller. */
static hh_status pragma_row(struct hh_sq_conn *c, const char *sql, sqlite3_stmt **st,
                            const char *what, struct hh_error *err)
{
    int src = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);

    if (src == SQLITE_OK)
        src = sqlite3_step(*st);
    if (src != SQLITE_ROW)
        return hh_sq_error(c, src, what, err);
    return HH_OK;
}

hh_status hh_sq_set_wal(struct hh_sq_conn *c, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *mode;
    hh_status rc;

    rc = pragma_row(c, "PRAGMA journal_mode=WAL", &st, "setting WAL mode", err);
    if (rc != HH_OK)
        goto out;
    mode = (const char *)sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0)
        rc = hh_error_set(err, HH_ERR_IO, "%s%ssetting WAL mode: the database stays in mode %s",
                          c->label != NULL ? c->label : "", c->label != NULL ? ": " : "",
                          mode != NULL ? mode : "(unknown)");
out:
    sqlite3_finalize(st);
    return rc;
}

void hh_sq_rollback(struct hh_sq_conn *c)
{
    if (c->db != NULL && !sqlite3_get_autocommit(c->db))
        (void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- schema ---- */

static hh_status user_version(struct hh_sq_conn *c, int *version, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    *version = 0;
    rc = pragma_row(c, "PRAGMA user_version", &st, "reading the schema version", err);
    if (rc == HH_OK)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static hh_status migrate_step(struct hh_sq_conn *c, const char *step, int from,
                              struct hh_error *err)
{
    char sql[64];
    char what[64];
    hh_status rc;

    snprintf(what, sizeof(what), "migrating the schema from version %d", from);
    rc = hh_sq_exec(c, step, what, err);
    if (rc != HH_OK)
        return rc;
    if (snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", from + 1) >= (int)sizeof(sql))
        return hh_error_set(err, HH_ERR_INTERNAL, "%s: version statement too long", what);
    return hh_sq_exec(c, sql, what, err);
}

static hh_status check_version(int version, int newest, struct hh_error *err)
{
    if (version > newest)
        return hh_error_set(err, HH_ERR_INVALID,
                            "schema version %d is newer than %d, the newest this henhouse knows: "
                            "open it with a newer henhouse",
                            version, newest);
    if (version < 0)
        return hh_error_set(err, HH_ERR_INVALID, "schema version %d is not valid", version);
    return HH_OK;
}

hh_status hh_sq_migrate(struct hh_sq_conn *c, const char *const *steps, int nsteps,
                        struct hh_error *err)
{
    int version;
    hh_status rc;

    rc = hh_sq_exec(c, "BEGIN IMMEDIATE", "locking the database to check its schema", err);
    if (rc != HH_OK)
        return rc;
    rc = user_version(c, &version, err);
    if (rc == HH_OK)
        rc = check_version(version, nsteps, err);
    for (int v = version; rc == HH_OK && v < nsteps; v++)
        rc = migrate_step(c, steps[v], v, err);
    if (rc == HH_OK)
        rc = hh_sq_exec(c, "COMMIT", "committing the schema", err);
    if (rc != HH_OK)
        hh_sq_rollback(c);
    return rc;
}

/* ---- queries ---- */

/* Statement id of c, prepared on first use. */
static hh_status prepared(struct hh_sq_conn *c, int id, const char *what, sqlite3_stmt **out,
                          struct hh_error *err)
{
    char where[128];
    int src;

    *out = NULL;
    if (id < 0 || (size_t)id >= c->nsql)
        return hh_error_set(err, HH_ERR_INTERNAL, "statement %d does not exist (%zu are)", id,
                            c->nsql);
    if (c->st[id] == NULL) {
        src =
            sqlite3_prepare_v3(c->db, c->sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL);
        if (src != SQLITE_OK) {
            snprintf(where, sizeof(where), "%s%spreparing the query", what != NULL ? what : "",
                     what != NULL ? ": " : "");
            return hh_sq_error(c, src, where, err);
        }
    }
    *out = c->st[id];
    return HH_OK;
}

static int bind_arg(sqlite3_stmt *st, int k, const struct hh_sq_arg *a)
{
    switch (a->kind) {
    case HH_SQ_ARG_INT:
        return sqlite3_bind_int64(st, k, (sqlite3_int64)a->i);
    case HH_SQ_ARG_BLOB: /* an empty blob needs a pointer, or SQLite binds NULL */
        return sqlite3_bind_blob64(st, k, a->len > 0 ? a->p : "", a->len, SQLITE_STATIC);
    case HH_SQ_ARG_TEXT:
        if (a->len == HH_SQ_NUL)
            return sqlite3_bind_text(st, k, a->p, -1, SQLITE_STATIC);
        return sqlite3_bind_text64(st, k, a->len > 0 ? a->p : "", a->len, SQLITE_STATIC,
                                   SQLITE_UTF8);
    }
    return SQLITE_MISUSE;
}

hh_status hh_sq_start(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args, size_t nargs,
                      const char *what, struct hh_sq_query *q, struct hh_error *err)
{
    hh_status rc;
    int src = SQLITE_OK;

    q->c = c;
    q->what = what;
    c->last_code = SQLITE_OK;
    rc = prepared(c, id, what, &q->st, err);
    if (rc != HH_OK)
        return rc;
    for (size_t i = 0; i < nargs && src == SQLITE_OK; i++)
        src = bind_arg(q->st, (int)i + 1, &args[i]);
    if (src != SQLITE_OK)
        return hh_sq_error(c, src, what, err);
    return HH_OK;
}

hh_status hh_sq_next(struct hh_sq_query *q, bool *row, struct hh_error *err)
{
    int src;

    *row = false;
    if (q->st == NULL)
        return hh_error_set(err, HH_ERR_INTERNAL, "stepping a query that did not start");
    src = sqlite3_step(q->st);
    if (src == SQLITE_ROW)
        *row = true;
    else if (src != SQLITE_DONE)
        return hh_sq_error(q->c, src, q->what, err);
    return HH_OK;
}

void hh_sq_end(struct hh_sq_query *q)
{
    if (q->st == NULL)
        return;
    sqlite3_reset(q->st);
    sqlite3_clear_bindings(q->st);
    q->st = NULL;
}

hh_status hh_sq_first(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args, size_t nargs,
                      const char *what, struct hh_sq_query *q, bool *row, struct hh_error *err)
{
    hh_status rc;

    *row = false;
    rc = hh_sq_start(c, id, args, nargs, what, q, err);
    if (rc == HH_OK)
        rc = hh_sq_next(q, row, err);
    return rc;
}

hh_status hh_sq_run(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args, size_t nargs,
                    const char *what, struct hh_error *err)
{
    struct hh_sq_query q;
    bool row;
    hh_status rc;

    rc = hh_sq_first(c, id, args, nargs, what, &q, &row, err);
    hh_sq_end(&q);
    return rc;
}

int hh_sq_last_code(const struct hh_sq_conn *c)
{
    return c->last_code;
}

/* ---- columns ---- */

int64_t hh_sq_int(const struct hh_sq_query *q, int col)
{
    return (int64_t)sqlite3_column_int64(q->st, col);
}

const char *hh_sq_text(const struct hh_sq_query *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q->st, col);

    return t != NULL ? (const char *)t : "";
}

bool hh_sq_hash(const struct hh_sq_query *q, int col, struct hh_hash *out)
{
    const void *p = sqlite3_column_blob(q->st, col);

    if (p == NULL || sqlite3_column_bytes(q->st, col) != HH_HASH_LEN)
        return false;
    memcpy(out->b, p, HH_HASH_LEN);
    return true;
}

const uint8_t *hh_sq_bytes(const struct hh_sq_query *q, int col, size_t *len)
{
    const uint8_t *p = sqlite3_column_blob(q->st, col);

    *len = (size_t)sqlite3_column_bytes(q->st, col);
    if (p == NULL) {
        *len = 0;
        return (const uint8_t *)"";
    }
    return p;
}

char *hh_sq_dup(const struct hh_sq_query *q, int col, size_t *len)
{
    const uint8_t *p = hh_sq_bytes(q, col, len);
    char *copy = malloc(*len + 1);

    if (copy == NULL)
        return NULL;
    memcpy(copy, p, *len);
    copy[*len] = '\0';
    return copy;
}
