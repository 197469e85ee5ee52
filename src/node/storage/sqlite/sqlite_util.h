/*
 * sqlite_util.h - what the SQLite backends (the store and the witness
 * database) share: a connection whose statements are prepared once, on
 * first use, and kept; error messages that name what failed with SQLite's
 * message, its code and the operating system's reason; schema migration by
 * PRAGMA user_version; and a query helper that binds, steps and resets, so
 * that each backend operation is only its own SQL and logic.
 *
 * A struct hh_sq_conn is used by one thread at a time: the backends' locks
 * see to it. Every query is ended (hh_sq_end: reset, bindings cleared)
 * before its function returns, so no read snapshot or write lock outlives
 * the call, and no statement keeps a pointer to the caller's memory.
 */
#ifndef HH_NODE_SQLITE_UTIL_H
#define HH_NODE_SQLITE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include <henhouse/henhouse.h>

#define HH_SQ_STMTS_MAX 24 /* statements one connection can cache */
#define HH_SQ_BUSY_MS   10000

struct hh_sq_conn {
    sqlite3 *db;
    const char *label;      /* prefixes every error message ("witness db"), or NULL */
    const char *const *sql; /* the statements of this connection, by the backend's ids */
    size_t nsql;
    sqlite3_stmt *st[HH_SQ_STMTS_MAX]; /* st[id] prepared on first use */
    int last_code;                     /* SQLite's (extended) code of the last failure */
};

/*
 * Opens path (creating the file only when create), with extended result
 * codes, a busy timeout of HH_SQ_BUSY_MS and then pragmas applied. sql[0..nsql)
 * are the statements hh_sq_start may run on it. On failure c is closed
 * (nothing to free). Close with hh_sq_close.
 */
hh_status hh_sq_open(struct hh_sq_conn *c, const char *path, bool create, const char *pragmas,
                     const char *const *sql, size_t nsql, const char *label,
                     struct hh_error *err) HH_MUST_CHECK;
void hh_sq_close(struct hh_sq_conn *c);

/*
 * Sets err for a failed SQLite call on c with result code code:
 * "[label: ][what: ]message (sqlite CODE[: reason])"; what may be NULL when
 * the caller adds its own context with hh_error_prefix. Returns the code:
 * HH_ERR_NOMEM, HH_ERR_CONFLICT for constraints, HH_ERR_INTERNAL for misuse,
 * HH_ERR_IO for the rest (full disk, I/O, busy, corrupt, not a database).
 */
hh_status hh_sq_error(struct hh_sq_conn *c, int code, const char *what, struct hh_error *err);

/* Runs SQL text that returns no rows (pragmas, schema). */
hh_status hh_sq_exec(struct hh_sq_conn *c, const char *sql, const char *what,
                     struct hh_error *err) HH_MUST_CHECK;

/* Switches the database to WAL mode (kept in the file) and checks that it took. */
hh_status hh_sq_set_wal(struct hh_sq_conn *c, struct hh_error *err) HH_MUST_CHECK;

/*
 * Brings the schema to version nsteps in one BEGIN IMMEDIATE transaction:
 * steps[v] takes version v to v + 1. A newer or negative version is refused
 * with HH_ERR_INVALID and nothing changes.
 */
hh_status hh_sq_migrate(struct hh_sq_conn *c, const char *const *steps, int nsteps,
                        struct hh_error *err) HH_MUST_CHECK;

/* Ends c's open transaction, if SQLite has not ended it already. */
void hh_sq_rollback(struct hh_sq_conn *c);

/* ---- queries ---- */

enum hh_sq_arg_kind { HH_SQ_ARG_INT, HH_SQ_ARG_BLOB, HH_SQ_ARG_TEXT };

/* One bound parameter; built with the HH_SQ_* macros below. */
struct hh_sq_arg {
    enum hh_sq_arg_kind kind;
    int64_t i;
    const void *p;
    size_t len; /* bytes of a blob or text; HH_SQ_NUL: text up to its NUL */
};

#define HH_SQ_NUL SIZE_MAX
/* Unsigned values are stored as SQL INTEGER (int64); callers keep them <= INT64_MAX. */
#define HH_SQ_INT(v)                                                                               \
    {                                                                                              \
        HH_SQ_ARG_INT, (int64_t)(v), NULL, 0                                                       \
    }
#define HH_SQ_BYTES(d, n)                                                                          \
    {                                                                                              \
        HH_SQ_ARG_BLOB, 0, (d), (n)                                                                \
    }
#define HH_SQ_HASH(h)                                                                              \
    {                                                                                              \
        HH_SQ_ARG_BLOB, 0, (h)->b, HH_HASH_LEN                                                     \
    }
#define HH_SQ_TEXT(s)                                                                              \
    {                                                                                              \
        HH_SQ_ARG_TEXT, 0, (s), HH_SQ_NUL                                                          \
    }
#define HH_SQ_TEXTN(s, n)                                                                          \
    {                                                                                              \
        HH_SQ_ARG_TEXT, 0, (s), (n)                                                                \
    }
/* The argument list of hh_sq_start and friends: HH_SQ_ARGS(HH_SQ_INT(i), ...). */
#define HH_SQ_ARGS(...)                                                                            \
    (const struct hh_sq_arg[]){__VA_ARGS__},                                                       \
        sizeof((const struct hh_sq_arg[]){__VA_ARGS__}) / sizeof(struct hh_sq_arg)
#define HH_SQ_NO_ARGS NULL, 0

/* A statement being stepped; what names it in error messages (may be NULL). */
struct hh_sq_query {
    struct hh_sq_conn *c;
    sqlite3_stmt *st; /* NULL when hh_sq_start failed */
    const char *what;
};

/*
 * Starts statement id of c with args[0..nargs) bound. q is always set, so
 * hh_sq_end(q) is right after a failure too.
 */
hh_status hh_sq_start(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args, size_t nargs,
                      const char *what, struct hh_sq_query *q, struct hh_error *err) HH_MUST_CHECK;
/* Steps q: *row is true when a row can be read, false at the end. */
hh_status hh_sq_next(struct hh_sq_query *q, bool *row, struct hh_error *err) HH_MUST_CHECK;
/* Resets q's statement and clears its bindings; accepts a failed start. */
void hh_sq_end(struct hh_sq_query *q);

/* hh_sq_start then hh_sq_next: the first row, if any. End q with hh_sq_end. */
hh_status hh_sq_first(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args, size_t nargs,
                      const char *what, struct hh_sq_query *q, bool *row,
                      struct hh_error *err) HH_MUST_CHECK;

/*
 * Runs statement id for its effect (start, one step, end). After a failure,
 * hh_sq_last_code tells a constraint violation apart.
 */
hh_status hh_sq_run(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args, size_t nargs,
                    const char *what, struct hh_error *err) HH_MUST_CHECK;
int hh_sq_last_code(const struct hh_sq_conn *c);

/* ---- columns of the current row ---- */

int64_t hh_sq_int(const struct hh_sq_query *q, int col);
/* A text column, NUL-terminated and valid until the next step; "" when NULL. */
const char *hh_sq_text(const struct hh_sq_query *q, int col);
/* Copies a hash column; false when the stored value is not HH_HASH_LEN bytes. */
bool hh_sq_hash(const struct hh_sq_query *q, int col, struct hh_hash *out);
/* A blob or text column's bytes, valid until the next step; "" when empty, never NULL. */
const uint8_t *hh_sq_bytes(const struct hh_sq_query *q, int col, size_t *len);
/*
 * A malloc'd, NUL-terminated copy of a blob or text column, *len its length
 * (without the NUL). NULL when out of memory; *len is then the length that
 * could not be copied, for the caller's message.
 */
char *hh_sq_dup(const struct hh_sq_query *q, int col, size_t *len);

#endif
