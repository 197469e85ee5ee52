/*
 * store_sqlite.c - the SQLite backend of the store (store.h).
 *
 * One database file in WAL mode with synchronous=FULL: a commit returns only
 * once its WAL frames are fsynced, so an acknowledged append survives power
 * loss. One writer connection, guarded by a mutex, does every write (appends,
 * checkpoints, blobs); a pool of SQ_READERS reader connections, handed out
 * under a mutex and condition variable, serves reads concurrently with it
 * (WAL gives each read statement a consistent snapshot). Each connection
 * prepares its statements once, on first use, and keeps them. Checkpoints
 * (copying the WAL into the database file) run on a background thread with
 * its own connection, woken by commits once the WAL holds
 * SQ_CHECKPOINT_FRAMES frames, so appends do not wait for them.
 *
 * The schema is versioned with PRAGMA user_version and brought up to date
 * on open by the steps in migrations[]; a database newer than this code is
 * refused. Appends and checkpoints run in BEGIN IMMEDIATE transactions and
 * check the store's rules (next index, unique ids, checkpoint order) inside
 * them, so a failed call writes nothing. Callbacks of read_entries and
 * each_checkpoint run while a reader connection is held: a callback that
 * reads the store takes a second one, and SQ_READERS threads doing so at
 * once would wait for each other forever, so callbacks should not read it.
 */
#include "storage/store_impl.h"

#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SQ_READERS 4
#define SQ_BUSY_MS 10000
/* WAL frames after a commit that wake the checkpointer (4 MiB of 16 KiB pages). */
#define SQ_CHECKPOINT_FRAMES 256

/*
 * Per-connection options. page_size applies only to a new database (16 KiB
 * pages hold a tile of hashes and cut the per-frame work of a commit); the
 * writer's cache holds a 10,000-entry batch, so it is written once, at commit;
 * a WAL file that grew past 64 MiB is truncated when it restarts.
 */
#define SQ_WRITER_PRAGMAS                                                                          \
    "PRAGMA page_size=16384; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"                   \
    " PRAGMA journal_size_limit=67108864"
#define SQ_READER_PRAGMAS       "PRAGMA query_only=1"
#define SQ_CHECKPOINTER_PRAGMAS "PRAGMA synchronous=FULL"

/* The schema, one step per version: migrations[v] takes version v to v + 1. */
static const char *const migrations[] = {
    /* 1: the initial schema */
    "CREATE TABLE entries(idx INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, data BLOB NOT NULL);"
    "CREATE TABLE nodes(level INTEGER, idx INTEGER, hash BLOB NOT NULL,"
    " PRIMARY KEY(level, idx)) WITHOUT ROWID;"
    "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note BLOB NOT NULL,"
    " time INTEGER NOT NULL);"
    "CREATE TABLE blobs(hash BLOB PRIMARY KEY, data BLOB NOT NULL);",
};
#define SQ_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_END_INDEX,
    ST_INSERT_ENTRY,
    ST_INSERT_NODE,
    ST_ID_INDEX,
    ST_NODE_RANGE,
    ST_ENTRY_RANGE,
    ST_CP_LATEST,
    ST_CP_AT,
    ST_CP_ALL,
    ST_CP_INSERT,
    ST_BLOB_PUT,
    ST_BLOB_GET,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_END_INDEX] = "SELECT coalesce(max(idx) + 1, 0) FROM entries",
    [ST_INSERT_ENTRY] = "INSERT INTO entries(idx, id, data) VALUES(?1, ?2, ?3)",
    [ST_INSERT_NODE] = "INSERT INTO nodes(level, idx, hash) VALUES(?1, ?2, ?3)",
    [ST_ID_INDEX] = "SELECT idx FROM entries WHERE id = ?1",
    [ST_NODE_RANGE] = ("SELECT idx, hash FROM nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3"
                       " ORDER BY idx"),
    [ST_ENTRY_RANGE] = "SELECT idx, data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
    [ST_CP_LATEST] = "SELECT size, root, note, time FROM checkpoints ORDER BY size DESC LIMIT 1",
    [ST_CP_AT] = "SELECT size, root, note, time FROM checkpoints WHERE size = ?1",
    [ST_CP_ALL] = "SELECT size, root, note, time FROM checkpoints ORDER BY size",
    [ST_CP_INSERT] = "INSERT INTO checkpoints(size, root, note, time) VALUES(?1, ?2, ?3, ?4)",
    [ST_BLOB_PUT] = "INSERT OR IGNORE INTO blobs(hash, data) VALUES(?1, ?2)",
    [ST_BLOB_GET] = "SELECT data FROM blobs WHERE hash = ?1",
};

struct conn {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
};

struct sq_store {
    struct hh_store base; /* first: store.c sees only this */
    char *path;
    pthread_mutex_t wmu; /* guards writer */
    struct conn writer;
    _Atomic uint64_t size; /* entries committed; changed only under wmu */
    pthread_mutex_t rmu;   /* guards the free list */
    pthread_cond_t rcv;    /* signalled when a reader is returned */
    struct conn readers[SQ_READERS];
    size_t free_list[SQ_READERS];
    size_t nfree;
    pthread_mutex_t cmu; /* guards ckpt_due and ckpt_stop */
    pthread_cond_t ccv;  /* wakes the checkpointer */
    bool ckpt_due, ckpt_stop, ckpt_running;
    pthread_t ckpt_thread;
    struct conn ckpt; /* used only by the checkpointer thread */
    int nlocks;       /* how many of the mutexes and conditions exist */
};

static struct sq_store *sq(struct hh_store *s)
{
    return (struct sq_store *)s;
}

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

/*
 * Sets err from a failed SQLite call on c: "what: sqlite's message (code)",
 * with the operating system's reason when SQLite recorded one.
 */
static hh_status db_error(const struct conn *c, int rc, struct hh_error *err, const char *what)
{
    const char *msg = c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    int prim = rc & 0xff;
    int sys = 0;
    char reason[96];

    if (c->db != NULL && (prim == SQLITE_IOERR || prim == SQLITE_FULL || prim == SQLITE_CANTOPEN))
        sys = sqlite3_system_errno(c->db);

    if (sys == 0 || strerror_r(sys, reason, sizeof(reason)) != 0)
        return hh_error_set(err, code_of(rc), "%s: %s (sqlite %d)", what, msg, rc);
    return hh_error_set(err, code_of(rc), "%s: %s (sqlite %d: %s)", what, msg, rc, reason);
}

/* ---- connections and statements ---- */

/* The cached statement id of c, reset and ready to bind. */
static hh_status stmt(struct conn *c, enum stmt_id id, sqlite3_stmt **out, struct hh_error *err)
{
    int rc;

    *out = NULL;
    if (c->st[id] == NULL) {
        rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id],
                                NULL);
        if (rc != SQLITE_OK)
            return db_error(c, rc, err, "preparing a store query");
    }
    *out = c->st[id];
    return HH_OK;
}

/* Runs a statement that takes no parameters and returns no rows. */
static hh_status run(struct conn *c, enum stmt_id id, struct hh_error *err, const char *what)
{
    sqlite3_stmt *st;
    hh_status rc;
    int src;

    rc = stmt(c, id, &st, err);
    if (rc != HH_OK)
        return rc;
    src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = db_error(c, src, err, what);
    sqlite3_reset(st);
    return rc;
}

/* Ends an open transaction of c, if SQLite has not ended it already. */
static void rollback(struct conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        (void)run(c, ST_ROLLBACK, NULL, "rollback");
}

static void conn_close(struct conn *c)
{
    for (size_t i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof(*c));
}

static hh_status exec(struct conn *c, const char *sql, struct hh_error *err, const char *what)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_error(c, rc, err, what);
    return HH_OK;
}

/* Opens a connection (creating the file only when create) and applies pragmas. */
static hh_status conn_open(struct conn *c, const char *path, bool create, const char *pragmas,
                           struct hh_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc;

    memset(c, 0, sizeof(*c));
    rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK)
        return db_error(c, rc, err, "opening the database");
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
    return exec(c, pragmas, err, "setting connection options");
}

/* Switches the database to WAL mode (persistent in the file) and checks it took. */
static hh_status set_wal(struct conn *c, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *mode;
    hh_status rc = HH_OK;
    int src;

    src = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        rc = db_error(c, src, err, "setting WAL mode");
        goto out;
    }
    mode = (const char *)sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0)
        rc = hh_error_set(err, HH_ERR_IO, "setting WAL mode: the database stays in mode %s",
                          mode != NULL ? mode : "(unknown)");
out:
    sqlite3_finalize(st);
    return rc;
}

/* ---- schema ---- */

static hh_status user_version(struct conn *c, int *version, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc = HH_OK;
    int src;

    *version = 0;
    src = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        rc = db_error(c, src, err, "reading the schema version");
    sqlite3_finalize(st);
    return rc;
}

static hh_status migrate_step(struct conn *c, int from, struct hh_error *err)
{
    char sql[64];
    char what[64];
    hh_status rc;

    snprintf(what, sizeof(what), "migrating the schema from version %d", from);
    rc = exec(c, migrations[from], err, what);
    if (rc != HH_OK)
        return rc;
    if (snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", from + 1) >= (int)sizeof(sql))
        return hh_error_set(err, HH_ERR_INTERNAL, "%s: version statement too long", what);
    return exec(c, sql, err, what);
}

/* Brings the schema to SQ_SCHEMA_VERSION in one transaction; refuses newer ones. */
static hh_status migrate(struct conn *c, struct hh_error *err)
{
    int version;
    hh_status rc;

    rc = exec(c, "BEGIN IMMEDIATE", err, "locking the database to check its schema");
    if (rc != HH_OK)
        return rc;
    rc = user_version(c, &version, err);
    if (rc != HH_OK)
        goto out;
    if (version > SQ_SCHEMA_VERSION) {
        rc = hh_error_set(err, HH_ERR_INVALID,
                          "schema version %d is newer than %d, the newest this henhouse knows: "
                          "open it with a newer henhouse",
                          version, SQ_SCHEMA_VERSION);
        goto out;
    }
    if (version < 0) {
        rc = hh_error_set(err, HH_ERR_INVALID, "schema version %d is not valid", version);
        goto out;
    }
    for (int v = version; v < SQ_SCHEMA_VERSION && rc == HH_OK; v++)
        rc = migrate_step(c, v, err);
    if (rc == HH_OK)
        rc = exec(c, "COMMIT", err, "committing the schema");
out:
    if (rc != HH_OK)
        rollback(c);
    return rc;
}

/* ---- small helpers over statements ---- */

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static int bind_hash(sqlite3_stmt *st, int i, const struct hh_hash *h)
{
    return sqlite3_bind_blob(st, i, h->b, HH_HASH_LEN, SQLITE_STATIC);
}

/* Binds len bytes; an empty blob needs a non-NULL pointer, or SQLite binds NULL. */
static int bind_bytes(sqlite3_stmt *st, int i, const void *data, size_t len)
{
    return sqlite3_bind_blob64(st, i, len > 0 ? data : "", len, SQLITE_STATIC);
}

/* Copies a 32-byte hash column; false if the stored value is not 32 bytes. */
static bool column_hash(sqlite3_stmt *st, int i, struct hh_hash *out)
{
    const void *p = sqlite3_column_blob(st, i);

    if (sqlite3_column_bytes(st, i) != HH_HASH_LEN || p == NULL)
        return false;
    memcpy(out->b, p, HH_HASH_LEN);
    return true;
}

/* The number of entries as the database of c sees it: max(idx) + 1. */
static hh_status end_index(struct conn *c, uint64_t *size, struct hh_error *err)
{
    sqlite3_stmt *st;
    hh_status rc;
    int src;

    *size = 0;
    rc = stmt(c, ST_END_INDEX, &st, err);
    if (rc != HH_OK)
        return rc;
    src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *size = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = db_error(c, src, err, "counting entries");
    sqlite3_reset(st);
    return rc;
}

/* ---- the reader pool ---- */

static struct conn *reader_get(struct sq_store *q)
{
    struct conn *c;

    pthread_mutex_lock(&q->rmu);
    while (q->nfree == 0)
        pthread_cond_wait(&q->rcv, &q->rmu);
    c = &q->readers[q->free_list[--q->nfree]];
    pthread_mutex_unlock(&q->rmu);
    return c;
}

static void reader_put(struct sq_store *q, struct conn *c)
{
    pthread_mutex_lock(&q->rmu);
    q->free_list[q->nfree++] = (size_t)(c - q->readers);
    pthread_cond_signal(&q->rcv);
    pthread_mutex_unlock(&q->rmu);
}

/* ---- the checkpointer ---- */

/* Called by SQLite on the writer after each commit, with the WAL's frame count. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_store *q = arg;

    (void)db;
    (void)name;
    if (frames >= SQ_CHECKPOINT_FRAMES) {
        pthread_mutex_lock(&q->cmu);
        q->ckpt_due = true;
        pthread_cond_signal(&q->ccv);
        pthread_mutex_unlock(&q->cmu);
    }
    return SQLITE_OK;
}

/*
 * Runs PASSIVE checkpoints, which never block the writer or readers. A failed
 * one is retried after the next commit; the writer sees real disk errors itself.
 */
static void *checkpointer(void *arg)
{
    struct sq_store *q = arg;

    pthread_mutex_lock(&q->cmu);
    for (;;) {
        while (!q->ckpt_due && !q->ckpt_stop)
            pthread_cond_wait(&q->ccv, &q->cmu);
        if (q->ckpt_stop)
            break;
        q->ckpt_due = false;
        pthread_mutex_unlock(&q->cmu);
        (void)sqlite3_wal_checkpoint_v2(q->ckpt.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&q->cmu);
    }
    pthread_mutex_unlock(&q->cmu);
    return NULL;
}

static hh_status checkpointer_start(struct sq_store *q, struct hh_error *err)
{
    hh_status rc = conn_open(&q->ckpt, q->path, false, SQ_CHECKPOINTER_PRAGMAS, err);

    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "checkpointer connection");
    if (pthread_create(&q->ckpt_thread, NULL, checkpointer, q) != 0)
        return hh_error_set(err, HH_ERR_IO, "starting the checkpointer thread");
    q->ckpt_running = true;
    sqlite3_wal_hook(q->writer.db, wal_hook, q); /* replaces SQLite's own autocheckpoint */
    return HH_OK;
}

static void checkpointer_stop(struct sq_store *q)
{
    if (!q->ckpt_running)
        return;
    pthread_mutex_lock(&q->cmu);
    q->ckpt_stop = true;
    pthread_cond_signal(&q->ccv);
    pthread_mutex_unlock(&q->cmu);
    pthread_join(q->ckpt_thread, NULL);
    q->ckpt_running = false;
}

/* ---- open and close ---- */

static const struct hh_store_ops sqlite_ops;

static void destroy_locks(struct sq_store *q)
{
    if (q->nlocks > 0)
        pthread_mutex_destroy(&q->wmu);
    if (q->nlocks > 1)
        pthread_mutex_destroy(&q->rmu);
    if (q->nlocks > 2)
        pthread_cond_destroy(&q->rcv);
    if (q->nlocks > 3)
        pthread_mutex_destroy(&q->cmu);
    if (q->nlocks > 4)
        pthread_cond_destroy(&q->ccv);
    q->nlocks = 0;
}

/* Creates the mutexes and conditions in destroy_locks's order, counting them. */
static hh_status init_locks(struct sq_store *q, struct hh_error *err)
{
    if (pthread_mutex_init(&q->wmu, NULL) != 0)
        goto out;
    q->nlocks++;
    if (pthread_mutex_init(&q->rmu, NULL) != 0)
        goto out;
    q->nlocks++;
    if (pthread_cond_init(&q->rcv, NULL) != 0)
        goto out;
    q->nlocks++;
    if (pthread_mutex_init(&q->cmu, NULL) != 0)
        goto out;
    q->nlocks++;
    if (pthread_cond_init(&q->ccv, NULL) != 0)
        goto out;
    q->nlocks++;
    return HH_OK;
out:
    return hh_error_set(err, HH_ERR_NOMEM, "creating the store's locks (%d made)", q->nlocks);
}

static void sq_close(struct hh_store *s)
{
    struct sq_store *q = sq(s);

    checkpointer_stop(q);
    conn_close(&q->ckpt);
    for (size_t i = 0; i < SQ_READERS; i++)
        conn_close(&q->readers[i]);
    conn_close(&q->writer); /* last: it checkpoints the WAL into the database */
    destroy_locks(q);
    free(q->path);
    free(q);
}

/* Opens the writer, sets WAL, migrates, loads the size, opens the readers and the checkpointer. */
static hh_status sq_connect(struct sq_store *q, struct hh_error *err)
{
    uint64_t size;
    hh_status rc;

    rc = conn_open(&q->writer, q->path, true, SQ_WRITER_PRAGMAS, err);
    if (rc == HH_OK)
        rc = set_wal(&q->writer, err);
    if (rc == HH_OK)
        rc = migrate(&q->writer, err);
    if (rc == HH_OK)
        rc = end_index(&q->writer, &size, err);
    if (rc != HH_OK)
        return rc;
    atomic_store(&q->size, size);
    for (size_t i = 0; i < SQ_READERS; i++) {
        rc = conn_open(&q->readers[i], q->path, false, SQ_READER_PRAGMAS, err);
        if (rc != HH_OK)
            return hh_error_prefix(err, rc, "reader connection %zu", i);
        q->free_list[i] = i;
    }
    q->nfree = SQ_READERS;
    return checkpointer_start(q, err);
}

hh_status hh_store_open_sqlite(const char *path, struct hh_store **out, struct hh_error *err)
{
    struct sq_store *q = NULL;
    hh_status rc;

    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "opening a SQLite store: no path given");
    if (!sqlite3_threadsafe())
        return hh_error_set(err, HH_ERR_INTERNAL, "SQLite was built without thread support");
    q = calloc(1, sizeof(*q));
    if (q == NULL || (q->path = strdup(path)) == NULL) {
        rc = hh_error_set(err, HH_ERR_NOMEM, "allocating the store for %s", path);
        goto out;
    }
    q->base.ops = &sqlite_ops;
    rc = init_locks(q, err);
    if (rc == HH_OK)
        rc = sq_connect(q, err);
out:
    if (rc != HH_OK) {
        if (q != NULL)
            sq_close(&q->base);
        return hh_error_prefix(err, rc, "SQLite store %s", path);
    }
    *out = &q->base;
    return HH_OK;
}

static hh_status sq_size(struct hh_store *s, uint64_t *size, struct hh_error *err)
{
    (void)err;
    *size = atomic_load(&sq(s)->size);
    return HH_OK;
}

/* ---- append ---- */

/* Names the statement id that made inserting entry index fail as a duplicate. */
static hh_status duplicate_id(struct conn *c, const struct hh_hash *id, uint64_t index,
                              uint64_t first, struct hh_error *err)
{
    char hex[2 * HH_HASH_LEN + 1];
    sqlite3_stmt *st;
    uint64_t other = UINT64_MAX;

    hh_hash_to_hex(id, hex);
    if (stmt(c, ST_ID_INDEX, &st, NULL) == HH_OK) {
        if (bind_hash(st, 1, id) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            other = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    if (other >= first && other != UINT64_MAX)
        return hh_error_set(err, HH_ERR_CONFLICT,
                            "statement id %s appears twice in the batch (entries %" PRIu64
                            " and %" PRIu64 ")",
                            hex, other, index);
    if (other != UINT64_MAX)
        return hh_error_set(err, HH_ERR_CONFLICT,
                            "statement id %s is already in the log as entry %" PRIu64, hex, other);
    return hh_error_set(err, HH_ERR_CONFLICT,
                        "statement id %s of entry %" PRIu64 " is already in the log", hex, index);
}

static hh_status insert_entry(struct conn *c, sqlite3_stmt *st, uint64_t index,
                              const struct hh_store_entry *e, uint64_t first, struct hh_error *err)
{
    char what[64];
    int src;

    src = bind_u64(st, 1, index);
    if (src == SQLITE_OK)
        src = bind_hash(st, 2, &e->id);
    if (src == SQLITE_OK)
        src = bind_bytes(st, 3, e->data, e->len);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src == SQLITE_DONE)
        return HH_OK;
    if (src == SQLITE_CONSTRAINT_UNIQUE)
        return duplicate_id(c, &e->id, index, first, err);
    snprintf(what, sizeof(what), "appending entry %" PRIu64, index);
    return db_error(c, src, err, what);
}

static hh_status insert_entries(struct conn *c, uint64_t first, const struct hh_store_entry *e,
                                size_t n, struct hh_error *err)
{
    sqlite3_stmt *st;
    hh_status rc;

    rc = stmt(c, ST_INSERT_ENTRY, &st, err);
    for (size_t i = 0; i < n && rc == HH_OK; i++)
        rc = insert_entry(c, st, first + i, &e[i], first, err);
    return rc;
}

static hh_status insert_node(struct conn *c, sqlite3_stmt *st, const struct hh_subtree_id *id,
                             const struct hh_hash *h, struct hh_error *err)
{
    char what[80];
    int src;

    src = sqlite3_bind_int(st, 1, id->level);
    if (src == SQLITE_OK)
        src = bind_u64(st, 2, id->index);
    if (src == SQLITE_OK)
        src = bind_hash(st, 3, h);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src == SQLITE_DONE)
        return HH_OK;
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
        return hh_error_set(err, HH_ERR_INVALID,
                            "tree node (%u, %" PRIu64 ") is given twice or already stored",
                            (unsigned)id->level, id->index);
    snprintf(what, sizeof(what), "storing tree node (%u, %" PRIu64 ")", (unsigned)id->level,
             id->index);
    return db_error(c, src, err, what);
}

/*
 * Inserts the nodes level by level: each level is a contiguous key range of
 * the nodes table, so its new nodes land at the end of that range in order,
 * instead of hopping between levels as hh_merkle_append produces them.
 */
static hh_status insert_nodes(struct conn *c, const struct hh_subtree_id *ids,
                              const struct hh_hash *hashes, size_t n, struct hh_error *err)
{
    sqlite3_stmt *st;
    unsigned top = 0;
    hh_status rc;

    for (size_t i = 0; i < n; i++)
        top = ids[i].level > top ? ids[i].level : top;
    rc = stmt(c, ST_INSERT_NODE, &st, err);
    for (unsigned l = 0; l <= top && rc == HH_OK; l++)
        for (size_t i = 0; i < n && rc == HH_OK; i++)
            if (ids[i].level == l)
                rc = insert_node(c, st, &ids[i], &hashes[i], err);
    return rc;
}

static hh_status sq_append(struct hh_store *s, uint64_t first_index,
                           const struct hh_store_entry *entries, size_t n,
                           const struct hh_subtree_id *ids, const struct hh_hash *hashes,
                           size_t nnodes, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = &q->writer;
    uint64_t size;
    hh_status rc;

    pthread_mutex_lock(&q->wmu);
    rc = run(c, ST_BEGIN, err, "starting an append");
    if (rc != HH_OK)
        goto out;
    rc = end_index(c, &size, err);
    if (rc != HH_OK)
        goto out;
    atomic_store(&q->size, size);
    if (first_index != size) {
        rc = hh_error_set(err, HH_ERR_CONFLICT,
                          "append at index %" PRIu64 " but the log has %" PRIu64 " entries",
                          first_index, size);
        goto out;
    }
    rc = insert_entries(c, first_index, entries, n, err);
    if (rc == HH_OK)
        rc = insert_nodes(c, ids, hashes, nnodes, err);
    if (rc == HH_OK)
        rc = run(c, ST_COMMIT, err, "committing an append");
    if (rc == HH_OK)
        atomic_store(&q->size, first_index + n);
out:
    if (rc != HH_OK)
        rollback(c);
    pthread_mutex_unlock(&q->wmu);
    return rc;
}

/* ---- nodes ---- */

/* Reads nodes (level, start..start+n-1) with one range query on c. */
static hh_status node_range(struct conn *c, uint8_t level, uint64_t start, size_t n,
                            struct hh_hash *out, struct hh_error *err)
{
    sqlite3_stmt *st;
    uint64_t next = start;
    hh_status rc;
    int src;

    rc = stmt(c, ST_NODE_RANGE, &st, err);
    if (rc != HH_OK)
        return rc;
    src = sqlite3_bind_int(st, 1, level);
    if (src == SQLITE_OK)
        src = bind_u64(st, 2, start);
    if (src == SQLITE_OK)
        src = bind_u64(st, 3, start + n);
    while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((uint64_t)sqlite3_column_int64(st, 0) != next)
            break; /* a gap: node next is missing */
        if (!column_hash(st, 1, &out[next - start])) {
            rc =
                hh_error_set(err, HH_ERR_IO, "tree node (%u, %" PRIu64 ") is corrupt: not %d bytes",
                             (unsigned)level, next, HH_HASH_LEN);
            goto out;
        }
        next++;
        src = SQLITE_OK;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = db_error(c, src, err, "reading tree nodes");
    else if (next != start + n)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "tree node (%u, %" PRIu64 ") not found",
                          (unsigned)level, next);
out:
    sqlite3_reset(st);
    return rc;
}

static hh_status sq_read_hash_range(struct hh_store *s, uint8_t level, uint64_t start, size_t n,
                                    struct hh_hash *out, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc;

    rc = node_range(c, level, start, n, out, err);
    reader_put(q, c);
    if (rc != HH_OK)
        memset(out, 0, n * sizeof(out[0]));
    return rc;
}

/* The length of the run of consecutive nodes on one level starting at ids[0]. */
static size_t run_length(const struct hh_subtree_id *ids, size_t n)
{
    size_t k = 1;

    while (k < n && ids[k].level == ids[0].level && ids[k].index == ids[k - 1].index + 1)
        k++;
    return k;
}

static hh_status sq_read_hashes(struct hh_store *s, const struct hh_subtree_id *ids, size_t n,
                               struct hh_hash *out, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc = HH_OK;

    for (size_t i = 0, k; i < n && rc == HH_OK; i += k) {
        k = run_length(ids + i, n - i);
        rc = node_range(c, ids[i].level, ids[i].index, k, out + i, err);
    }
    reader_put(q, c);
    if (rc != HH_OK)
        memset(out, 0, n * sizeof(out[0]));
    return rc;
}

/* ---- entries ---- */

/* Calls fn for each row of an entry range query; checks the rows have no gap. */
static hh_status each_entry(struct conn *c, sqlite3_stmt *st, uint64_t start, size_t n,
                            hh_store_entry_fn fn, void *ctx, struct hh_error *err)
{
    uint64_t next = start;
    int src;

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *data = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        if ((uint64_t)sqlite3_column_int64(st, 0) != next)
            return hh_error_set(err, HH_ERR_IO, "entry %" PRIu64 " is missing: the log has a gap",
                                next);
        if (fn(ctx, next++, data != NULL ? data : (const uint8_t *)"", len) != 0)
            return HH_OK;
    }
    if (src != SQLITE_DONE)
        return db_error(c, src, err, "reading entries");
    if (next != start + n)
        return hh_error_set(err, HH_ERR_IO, "entry %" PRIu64 " is missing: the log has a gap",
                            next);
    return HH_OK;
}

static hh_status read_entries(struct conn *c, uint64_t start, size_t n, hh_store_entry_fn fn,
                              void *ctx, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    uint64_t size;
    hh_status rc;
    int src;

    rc = end_index(c, &size, err);
    if (rc != HH_OK)
        return rc;
    if (start + n > size) /* entries have no gaps: checking the end suffices */
        return hh_error_set(err, HH_ERR_NOT_FOUND,
                            "entries [%" PRIu64 ", %" PRIu64 ") not found: the log has %" PRIu64
                            " entries",
                            start, start + n, size);
    rc = stmt(c, ST_ENTRY_RANGE, &st, err);
    if (rc != HH_OK)
        return rc;
    src = bind_u64(st, 1, start);
    if (src == SQLITE_OK)
        src = bind_u64(st, 2, start + n);
    if (src == SQLITE_OK)
        rc = each_entry(c, st, start, n, fn, ctx, err);
    else
        rc = db_error(c, src, err, "reading entries");
    sqlite3_reset(st);
    return rc;
}

static hh_status sq_read_entries(struct hh_store *s, uint64_t start, size_t n, hh_store_entry_fn fn,
                                 void *ctx, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc;

    rc = read_entries(c, start, n, fn, ctx, err);
    reader_put(q, c);
    return rc;
}

static hh_status find_id(struct conn *c, const struct hh_hash *id, uint64_t *index,
                         struct hh_error *err)
{
    char hex[2 * HH_HASH_LEN + 1];
    sqlite3_stmt *st;
    hh_status rc;
    int src;

    rc = stmt(c, ST_ID_INDEX, &st, err);
    if (rc != HH_OK)
        return rc;
    src = bind_hash(st, 1, id);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *index = (uint64_t)sqlite3_column_int64(st, 0);
    } else if (src == SQLITE_DONE) {
        hh_hash_to_hex(id, hex);
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "statement id %s not found", hex);
    } else {
        rc = db_error(c, src, err, "finding a statement id");
    }
    sqlite3_reset(st);
    return rc;
}

static hh_status sq_find_id(struct hh_store *s, const struct hh_hash *id, uint64_t *index,
                            struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc;

    rc = find_id(c, id, index, err);
    reader_put(q, c);
    return rc;
}

/* ---- checkpoints ---- */

/* Fills out from a (size, root, note, time) row; out->note is malloc'd and NUL-terminated. */
static hh_status row_checkpoint(sqlite3_stmt *st, struct hh_store_checkpoint *out,
                                struct hh_error *err)
{
    const void *note = sqlite3_column_blob(st, 2);
    size_t len = (size_t)sqlite3_column_bytes(st, 2);

    memset(out, 0, sizeof(*out));
    out->size = (uint64_t)sqlite3_column_int64(st, 0);
    if (!column_hash(st, 1, &out->root))
        return hh_error_set(err, HH_ERR_IO, "checkpoint %" PRIu64 " is corrupt: root not %d bytes",
                            out->size, HH_HASH_LEN);
    out->note = malloc(len + 1);
    if (out->note == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "copying the note of checkpoint %" PRIu64,
                            out->size);
    if (len > 0)
        memcpy(out->note, note, len);
    out->note[len] = '\0';
    out->note_len = len;
    out->time = (int64_t)sqlite3_column_int64(st, 3);
    return HH_OK;
}

/*
 * Steps a checkpoint query once: *found and out are set for a row; no row is
 * not an error here. Leaves st to the caller to reset.
 */
static hh_status step_checkpoint(struct conn *c, sqlite3_stmt *st, bool *found,
                                 struct hh_store_checkpoint *out, struct hh_error *err)
{
    int src = sqlite3_step(st);

    *found = false;
    memset(out, 0, sizeof(*out));
    if (src == SQLITE_DONE)
        return HH_OK;
    if (src != SQLITE_ROW)
        return db_error(c, src, err, "reading checkpoints");
    *found = true;
    return row_checkpoint(st, out, err);
}

/* The latest checkpoint on c, or *found = false. */
static hh_status latest(struct conn *c, bool *found, struct hh_store_checkpoint *out,
                        struct hh_error *err)
{
    sqlite3_stmt *st;
    hh_status rc;

    *found = false;
    memset(out, 0, sizeof(*out));
    rc = stmt(c, ST_CP_LATEST, &st, err);
    if (rc == HH_OK)
        rc = step_checkpoint(c, st, found, out, err);
    sqlite3_reset(st);
    if (rc != HH_OK)
        hh_store_checkpoint_clear(out);
    return rc;
}

/* The checkpoint rules of store.h against the stored state; HH_OK means insert. */
static hh_status checkpoint_rules(struct conn *c, uint64_t size, const struct hh_hash *root,
                                  bool *noop, struct hh_error *err)
{
    struct hh_store_checkpoint last;
    uint64_t entries;
    bool found;
    hh_status rc;

    *noop = false;
    rc = latest(c, &found, &last, err);
    if (rc != HH_OK)
        return rc;
    if (found && size < last.size)
        rc = hh_error_set(err, HH_ERR_CONFLICT,
                          "checkpoint size %" PRIu64 " is smaller than the latest, %" PRIu64, size,
                          last.size);
    else if (found && size == last.size && !hh_hash_equal(root, &last.root))
        rc = hh_error_set(err, HH_ERR_CONFLICT,
                          "checkpoint size %" PRIu64 " is already stored with a different root",
                          size);
    else if (found && size == last.size)
        *noop = true;
    hh_store_checkpoint_clear(&last);
    if (rc != HH_OK || *noop)
        return rc;
    rc = end_index(c, &entries, err);
    if (rc == HH_OK && size > entries)
        rc = hh_error_set(err, HH_ERR_CONFLICT,
                          "checkpoint size %" PRIu64 " is larger than the %" PRIu64
                          " entries stored",
                          size, entries);
    return rc;
}

static hh_status insert_checkpoint(struct conn *c, uint64_t size, const struct hh_hash *root,
                                   const char *note, size_t note_len, struct hh_error *err)
{
    sqlite3_stmt *st;
    hh_status rc;
    int src;

    rc = stmt(c, ST_CP_INSERT, &st, err);
    if (rc != HH_OK)
        return rc;
    src = bind_u64(st, 1, size);
    if (src == SQLITE_OK)
        src = bind_hash(st, 2, root);
    if (src == SQLITE_OK)
        src = bind_bytes(st, 3, note, note_len);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = db_error(c, src, err, "storing a checkpoint");
    sqlite3_reset(st);
    return rc;
}

static hh_status sq_put_checkpoint(struct hh_store *s, uint64_t size, const struct hh_hash *root,
                                   const char *note, size_t note_len, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = &q->writer;
    bool noop = false;
    hh_status rc;

    pthread_mutex_lock(&q->wmu);
    rc = run(c, ST_BEGIN, err, "starting to store a checkpoint");
    if (rc == HH_OK)
        rc = checkpoint_rules(c, size, root, &noop, err);
    if (rc == HH_OK && !noop)
        rc = insert_checkpoint(c, size, root, note, note_len, err);
    if (rc == HH_OK && !noop)
        rc = run(c, ST_COMMIT, err, "committing a checkpoint");
    if (rc != HH_OK || noop)
        rollback(c);
    pthread_mutex_unlock(&q->wmu);
    return rc;
}

static hh_status sq_latest_checkpoint(struct hh_store *s, struct hh_store_checkpoint *out,
                                      struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    bool found;
    hh_status rc;

    rc = latest(c, &found, out, err);
    reader_put(q, c);
    if (rc == HH_OK && !found)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint has been stored yet");
    return rc;
}

static hh_status checkpoint_at(struct conn *c, uint64_t size, struct hh_store_checkpoint *out,
                               struct hh_error *err)
{
    sqlite3_stmt *st;
    bool found = false;
    hh_status rc;
    int src;

    rc = stmt(c, ST_CP_AT, &st, err);
    if (rc != HH_OK)
        return rc;
    src = bind_u64(st, 1, size);
    if (src != SQLITE_OK)
        rc = db_error(c, src, err, "reading a checkpoint");
    else
        rc = step_checkpoint(c, st, &found, out, err);
    sqlite3_reset(st);
    if (rc == HH_OK && !found)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint of size %" PRIu64, size);
    if (rc != HH_OK)
        hh_store_checkpoint_clear(out);
    return rc;
}

static hh_status sq_checkpoint_at(struct hh_store *s, uint64_t size,
                                  struct hh_store_checkpoint *out, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc;

    rc = checkpoint_at(c, size, out, err);
    reader_put(q, c);
    return rc;
}

static hh_status each_checkpoint(struct conn *c, hh_store_checkpoint_fn fn, void *ctx,
                                 struct hh_error *err)
{
    struct hh_store_checkpoint cp = {0};
    sqlite3_stmt *st;
    bool found = true;
    bool stop = false;
    hh_status rc;

    rc = stmt(c, ST_CP_ALL, &st, err);
    while (rc == HH_OK && found && !stop) {
        rc = step_checkpoint(c, st, &found, &cp, err);
        if (rc == HH_OK && found)
            stop = fn(ctx, &cp) != 0;
        hh_store_checkpoint_clear(&cp);
    }
    if (st != NULL)
        sqlite3_reset(st);
    return rc;
}

static hh_status sq_each_checkpoint(struct hh_store *s, hh_store_checkpoint_fn fn, void *ctx,
                                    struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc;

    rc = each_checkpoint(c, fn, ctx, err);
    reader_put(q, c);
    return rc;
}

/* ---- blobs ---- */

static hh_status sq_put_blob(struct hh_store *s, const struct hh_hash *id, const uint8_t *data,
                             size_t len, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = &q->writer;
    sqlite3_stmt *st = NULL;
    hh_status rc;
    int src;

    pthread_mutex_lock(&q->wmu);
    rc = stmt(c, ST_BLOB_PUT, &st, err);
    if (rc != HH_OK)
        goto out;
    src = bind_hash(st, 1, id);
    if (src == SQLITE_OK)
        src = bind_bytes(st, 2, data, len);
    if (src == SQLITE_OK)
        src = sqlite3_step(st); /* its own durable transaction */
    if (src != SQLITE_DONE)
        rc = db_error(c, src, err, "storing a blob");
    sqlite3_reset(st);
out:
    pthread_mutex_unlock(&q->wmu);
    return rc;
}

static hh_status copy_blob(sqlite3_stmt *st, uint8_t **data, size_t *len, struct hh_error *err)
{
    const void *p = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);

    *data = malloc(n > 0 ? n : 1);
    if (*data == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "copying a blob of %zu bytes", n);
    if (n > 0)
        memcpy(*data, p, n);
    *len = n;
    return HH_OK;
}

static hh_status get_blob(struct conn *c, const struct hh_hash *id, uint8_t **data, size_t *len,
                          struct hh_error *err)
{
    char hex[2 * HH_HASH_LEN + 1];
    sqlite3_stmt *st;
    hh_status rc;
    int src;

    rc = stmt(c, ST_BLOB_GET, &st, err);
    if (rc != HH_OK)
        return rc;
    src = bind_hash(st, 1, id);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        rc = copy_blob(st, data, len, err);
    } else if (src == SQLITE_DONE) {
        hh_hash_to_hex(id, hex);
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "blob %s not found", hex);
    } else {
        rc = db_error(c, src, err, "reading a blob");
    }
    sqlite3_reset(st);
    return rc;
}

static hh_status sq_get_blob(struct hh_store *s, const struct hh_hash *id, uint8_t **data,
                             size_t *len, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct conn *c = reader_get(q);
    hh_status rc;

    rc = get_blob(c, id, data, len, err);
    reader_put(q, c);
    return rc;
}

static const struct hh_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .size = sq_size,
    .append = sq_append,
    .read_hashes = sq_read_hashes,
    .read_hash_range = sq_read_hash_range,
    .read_entries = sq_read_entries,
    .find_id = sq_find_id,
    .put_checkpoint = sq_put_checkpoint,
    .latest_checkpoint = sq_latest_checkpoint,
    .checkpoint_at = sq_checkpoint_at,
    .each_checkpoint = sq_each_checkpoint,
    .put_blob = sq_put_blob,
    .get_blob = sq_get_blob,
};
