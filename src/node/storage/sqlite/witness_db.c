/*
 * witness_db.c - the witness database on SQLite (see witness_db.h).
 *
 * One connection behind a mutex: witness traffic is a few requests per
 * second per log, and serialising it makes the compare-and-swap trivially
 * atomic. WAL mode with synchronous=FULL: a commit is fsynced.
 */
#include "storage/witness_db.h"

#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA_VERSION 1
#define SCHEMA                                                                                     \
    "CREATE TABLE IF NOT EXISTS witness_state(origin TEXT PRIMARY KEY, size INTEGER NOT NULL,"     \
    " root BLOB NOT NULL, note BLOB NOT NULL, time INTEGER NOT NULL,"                              \
    " frozen INTEGER NOT NULL DEFAULT 0);"                                                         \
    "CREATE TABLE IF NOT EXISTS cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL,"        \
    " line TEXT NOT NULL, timestamp INTEGER NOT NULL, PRIMARY KEY(size, witness));"                \
    "CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, origin TEXT NOT NULL,"            \
    " kind TEXT NOT NULL, key TEXT NOT NULL UNIQUE, body BLOB NOT NULL, time INTEGER NOT NULL);"   \
    "CREATE TABLE IF NOT EXISTS peer_status(name TEXT PRIMARY KEY, last_ok INTEGER NOT NULL,"      \
    " last_error TEXT NOT NULL, last_error_time INTEGER NOT NULL, failures INTEGER NOT NULL);"

#define GROUP_WINDOW_US 500 /* how long a commit leader lets others join */
#define COMMIT_SLOTS    64  /* outcomes of recent group commits, by generation */

struct hh_wdb {
    sqlite3 *db;
    pthread_mutex_t mu;
    pthread_cond_t committed; /* a group commit ended */
    bool in_txn;              /* a group transaction is open */
    uint64_t gen;             /* generation of the newest group transaction */
    uint64_t committed_gen;   /* generation of the last one that ended */
    hh_status commit_rc[COMMIT_SLOTS];
};

/*
 * Takes the lock once no group transaction is open, so a write is its own
 * commit. Reads take the lock directly: inside an open group they may see
 * updates whose commit is a moment away, which no caller relies on.
 */
static void lock_idle(struct hh_wdb *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->in_txn)
        pthread_cond_wait(&w->committed, &w->mu);
}

static hh_status db_error(struct hh_wdb *w, struct hh_error *err, const char *what)
{
    return hh_error_set(err, HH_ERR_IO, "witness db: %s: %s", what, sqlite3_errmsg(w->db));
}

static hh_status exec(struct hh_wdb *w, const char *sql, struct hh_error *err)
{
    if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(w, err, sql);
    return HH_OK;
}

static hh_status prepare(struct hh_wdb *w, const char *sql, sqlite3_stmt **st, struct hh_error *err)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(w, err, "prepare");
    return HH_OK;
}

static hh_status check_version(struct hh_wdb *w, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    int v = 0;
    hh_status rc = prepare(w, "PRAGMA user_version", &st, err);

    if (rc != HH_OK)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (v > SCHEMA_VERSION)
        return hh_error_set(err, HH_ERR_INVALID,
                            "witness db schema version %d is newer than %d, the newest this "
                            "henhouse knows",
                            v, SCHEMA_VERSION);
    if (v == SCHEMA_VERSION)
        return HH_OK;
    return exec(w, "BEGIN IMMEDIATE;" SCHEMA "PRAGMA user_version=1; COMMIT;", err);
}

hh_status hh_wdb_open(const char *path, struct hh_wdb **out, struct hh_error *err)
{
    struct hh_wdb *w = calloc(1, sizeof(*w));
    hh_status rc;

    *out = NULL;
    if (w == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->committed, NULL);
    if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path,
                          w->db ? sqlite3_errmsg(w->db) : "cannot open");
        hh_wdb_close(w);
        return rc;
    }
    sqlite3_busy_timeout(w->db, 10000);
    rc = exec(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err);
    if (rc == HH_OK)
        rc = check_version(w, err);
    if (rc != HH_OK) {
        hh_wdb_close(w);
        return rc;
    }
    *out = w;
    return HH_OK;
}

void hh_wdb_close(struct hh_wdb *w)
{
    if (w == NULL)
        return;
    sqlite3_close(w->db);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->committed);
    free(w);
}

void hh_wdb_state_clear(struct hh_wdb_state *s)
{
    if (s == NULL)
        return;
    free(s->note);
    memset(s, 0, sizeof(*s));
}

static void row_state(sqlite3_stmt *st, int first, struct hh_wdb_state *out)
{
    const void *root = sqlite3_column_blob(st, first + 1);
    const void *note = sqlite3_column_blob(st, first + 2);
    size_t len = (size_t)sqlite3_column_bytes(st, first + 2);

    out->size = (uint64_t)sqlite3_column_int64(st, first);
    if (root != NULL && sqlite3_column_bytes(st, first + 1) == HH_HASH_LEN)
        memcpy(out->root.b, root, HH_HASH_LEN);
    /* An empty note (a log frozen before it was ever cosigned) is no note: NULL. */
    out->note = len > 0 && note != NULL ? malloc(len + 1) : NULL;
    if (out->note != NULL) {
        memcpy(out->note, note, len);
        out->note[len] = '\0';
        out->note_len = len;
    }
    out->time = sqlite3_column_int64(st, first + 3);
    out->frozen = sqlite3_column_int(st, first + 4) != 0;
}

static hh_status read_state(struct hh_wdb *w, const char *origin, struct hh_wdb_state *out,
                            struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc = prepare(
        w, "SELECT size, root, note, time, frozen FROM witness_state WHERE origin=?", &st, err);

    memset(out, 0, sizeof(*out));
    hh_merkle_empty_root(&out->root);
    if (rc != HH_OK)
        return rc;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        row_state(st, 0, out);
    else if (s != SQLITE_DONE)
        rc = db_error(w, err, "read witness state");
    sqlite3_finalize(st);
    return rc;
}

hh_status hh_wdb_state(struct hh_wdb *w, const char *origin, struct hh_wdb_state *out,
                       struct hh_error *err)
{
    pthread_mutex_lock(&w->mu);
    hh_status rc = read_state(w, origin, out, err);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static hh_status write_state(struct hh_wdb *w, const char *origin, uint64_t size,
                             const struct hh_hash *root, const char *note, size_t len,
                             struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc = prepare(w,
                           "INSERT INTO witness_state(origin, size, root, note, time) "
                           "VALUES(?,?,?,?,?) ON CONFLICT(origin) DO UPDATE SET "
                           "size=excluded.size, root=excluded.root, note=excluded.note, "
                           "time=excluded.time",
                           &st, err);
    if (rc != HH_OK)
        return rc;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
    sqlite3_bind_blob(st, 3, root->b, HH_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, note, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(w, err, "write witness state");
    sqlite3_finalize(st);
    return rc;
}

static hh_status advance_locked(struct hh_wdb *w, const char *origin, uint64_t expect_old,
                                uint64_t new_size, const struct hh_hash *root, const char *note,
                                size_t note_len, hh_wdb_check_fn check, void *ctx,
                                uint64_t *current, struct hh_error *err)
{
    struct hh_wdb_state cur;
    hh_status rc = read_state(w, origin, &cur, err);

    if (rc != HH_OK)
        return rc;
    *current = cur.size;
    if (cur.frozen)
        rc = hh_error_set(err, HH_ERR_VERIFY,
                          "%s is frozen at size %llu: this node holds evidence against it", origin,
                          (unsigned long long)cur.size);
    else if (cur.size != expect_old)
        rc = hh_error_set(err, HH_ERR_CONFLICT, "old size %llu is not the cosigned size %llu",
                          (unsigned long long)expect_old, (unsigned long long)cur.size);
    else if (check != NULL)
        rc = check(ctx, &cur, err);
    if (rc == HH_OK)
        rc = write_state(w, origin, new_size, root, note, note_len, err);
    hh_wdb_state_clear(&cur);
    return rc;
}

/*
 * Group commit: the first request to find no open transaction begins one and
 * leads; it lets other requests add their updates for GROUP_WINDOW_US, then
 * commits them all with one fsync and tells each its outcome. A request
 * whose check refuses writes nothing, so it never undoes the others.
 */
static hh_status lead_commit(struct hh_wdb *w, uint64_t gen, struct hh_error *err)
{
    hh_status rc;

    pthread_mutex_unlock(&w->mu);
    usleep(GROUP_WINDOW_US);
    pthread_mutex_lock(&w->mu);
    rc = exec(w, "COMMIT", err);
    if (rc != HH_OK)
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    w->commit_rc[gen % COMMIT_SLOTS] = rc;
    w->committed_gen = gen;
    w->in_txn = false;
    pthread_cond_broadcast(&w->committed);
    return rc;
}

static hh_status await_commit(struct hh_wdb *w, uint64_t gen, struct hh_error *err)
{
    while (w->committed_gen < gen)
        pthread_cond_wait(&w->committed, &w->mu);
    if (w->committed_gen - gen >= COMMIT_SLOTS)
        return hh_error_set(err, HH_ERR_INTERNAL, "witness db: lost a commit outcome");
    hh_status rc = w->commit_rc[gen % COMMIT_SLOTS];
    if (rc != HH_OK)
        return hh_error_set(err, rc, "witness db: the group commit failed");
    return HH_OK;
}

hh_status hh_wdb_advance(struct hh_wdb *w, const char *origin, uint64_t expect_old,
                         uint64_t new_size, const struct hh_hash *root, const char *note,
                         size_t note_len, hh_wdb_check_fn check, void *ctx, uint64_t *current,
                         struct hh_error *err)
{
    bool leader = false;
    uint64_t gen;
    hh_status rc;

    *current = 0;
    pthread_mutex_lock(&w->mu);
    if (!w->in_txn) {
        rc = exec(w, "BEGIN IMMEDIATE", err);
        if (rc != HH_OK) {
            pthread_mutex_unlock(&w->mu);
            return rc;
        }
        w->in_txn = true;
        w->gen++;
        leader = true;
    }
    gen = w->gen;
    rc = advance_locked(w, origin, expect_old, new_size, root, note, note_len, check, ctx, current,
                        err);
    if (leader) {
        hh_status crc = lead_commit(w, gen, rc == HH_OK ? err : NULL);
        if (rc == HH_OK)
            rc = crc;
    } else if (rc == HH_OK) {
        rc = await_commit(w, gen, err);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Runs one parameterised write statement under the lock. */
static hh_status write1(struct hh_wdb *w, const char *sql, const char *t1, const char *t2,
                        const char *t3, int64_t i1, int64_t i2, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    lock_idle(w);
    rc = prepare(w, sql, &st, err);
    if (rc == HH_OK) {
        const char *texts[3] = {t1, t2, t3};
        int k = 1;
        for (int i = 0; i < 3; i++)
            if (texts[i] != NULL)
                sqlite3_bind_text(st, k++, texts[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, k++, i1);
        sqlite3_bind_int64(st, k, i2);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(w, err, "write");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

hh_status hh_wdb_freeze(struct hh_wdb *w, const char *origin, struct hh_error *err)
{
    struct hh_hash empty;
    hh_merkle_empty_root(&empty);
    lock_idle(w);
    sqlite3_stmt *st = NULL;
    hh_status rc = prepare(w,
                           "INSERT INTO witness_state(origin, size, root, note, time, frozen) "
                           "VALUES(?, 0, ?, '', ?, 1) ON CONFLICT(origin) DO UPDATE SET frozen=1",
                           &st, err);
    if (rc == HH_OK) {
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, empty.b, HH_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(w, err, "freeze");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

hh_status hh_wdb_each_state(struct hh_wdb *w, hh_wdb_state_fn fn, void *ctx, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    pthread_mutex_lock(&w->mu);
    rc = prepare(w,
                 "SELECT origin, size, root, note, time, frozen FROM witness_state ORDER BY origin",
                 &st, err);
    while (rc == HH_OK && sqlite3_step(st) == SQLITE_ROW) {
        struct hh_wdb_state s;
        memset(&s, 0, sizeof(s));
        row_state(st, 1, &s);
        fn(ctx, (const char *)sqlite3_column_text(st, 0), &s);
        hh_wdb_state_clear(&s);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

hh_status hh_wdb_put_cosignature(struct hh_wdb *w, uint64_t size, const char *witness,
                                 const char *line, uint64_t timestamp, struct hh_error *err)
{
    return write1(w,
                  "INSERT INTO cosignatures(witness, line, size, timestamp) VALUES(?,?,?,?) "
                  "ON CONFLICT(size, witness) DO UPDATE SET line=excluded.line, "
                  "timestamp=excluded.timestamp",
                  witness, line, NULL, (int64_t)size, (int64_t)timestamp, err);
}

hh_status hh_wdb_cosignatures(struct hh_wdb *w, uint64_t size, char **lines, size_t *len,
                              struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 1, n = 0;
    char *buf = calloc(1, 1);
    hh_status rc = buf == NULL ? hh_error_set(err, HH_ERR_NOMEM, "out of memory") : HH_OK;

    *lines = NULL;
    *len = 0;
    pthread_mutex_lock(&w->mu);
    if (rc == HH_OK)
        rc = prepare(w, "SELECT line FROM cosignatures WHERE size=? ORDER BY witness", &st, err);
    if (rc == HH_OK)
        sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    while (rc == HH_OK && sqlite3_step(st) == SQLITE_ROW) {
        size_t l = (size_t)sqlite3_column_bytes(st, 0);
        char *bigger = realloc(buf, cap + l);
        if (bigger == NULL) {
            rc = hh_error_set(err, HH_ERR_NOMEM, "out of memory");
            break;
        }
        buf = bigger;
        cap += l;
        memcpy(buf + n, sqlite3_column_text(st, 0), l);
        n += l;
        buf[n] = '\0';
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    if (rc != HH_OK) {
        free(buf);
        return rc;
    }
    *lines = buf;
    *len = n;
    return HH_OK;
}

hh_status hh_wdb_last_cosignature(struct hh_wdb *w, const char *witness, uint64_t *size,
                                  uint64_t *timestamp, struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    *size = 0;
    *timestamp = 0;
    pthread_mutex_lock(&w->mu);
    rc = prepare(w,
                 "SELECT size, timestamp FROM cosignatures WHERE witness=? "
                 "ORDER BY size DESC LIMIT 1",
                 &st, err);
    if (rc == HH_OK) {
        sqlite3_bind_text(st, 1, witness, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *size = (uint64_t)sqlite3_column_int64(st, 0);
            *timestamp = (uint64_t)sqlite3_column_int64(st, 1);
        } else {
            rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no cosignature from %s", witness);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

hh_status hh_wdb_add_evidence(struct hh_wdb *w, const char *origin, const char *kind,
                              const char *key, const char *json, size_t len, int64_t *id,
                              struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    *id = 0;
    lock_idle(w);
    rc = prepare(w,
                 "INSERT OR IGNORE INTO evidence(origin, kind, key, body, time) VALUES(?,?,?,?,?)",
                 &st, err);
    if (rc == HH_OK) {
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, json, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(w, err, "add evidence");
        else if (sqlite3_changes(w->db) == 0)
            rc = hh_error_set(err, HH_ERR_CONFLICT, "this evidence is already held");
        else
            *id = sqlite3_last_insert_rowid(w->db);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

hh_status hh_wdb_each_evidence(struct hh_wdb *w, hh_wdb_evidence_fn fn, void *ctx,
                               struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    pthread_mutex_lock(&w->mu);
    rc = prepare(w, "SELECT id, origin, kind, body, time FROM evidence ORDER BY id", &st, err);
    while (rc == HH_OK && sqlite3_step(st) == SQLITE_ROW)
        fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_blob(st, 3),
           (size_t)sqlite3_column_bytes(st, 3), sqlite3_column_int64(st, 4));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/*
 * A success is written at most every 10 s, unless it ends a run of failures:
 * an unchanged row writes nothing, so steady polling costs no fsync.
 */
void hh_wdb_peer_ok(struct hh_wdb *w, const char *peer)
{
    (void)write1(w,
                 "INSERT INTO peer_status(name, last_ok, last_error, last_error_time, failures) "
                 "VALUES(?, ?, '', 0, 0) ON CONFLICT(name) DO UPDATE SET "
                 "last_ok=excluded.last_ok, failures=0 "
                 "WHERE failures != 0 OR excluded.last_ok >= last_ok + 10",
                 peer, NULL, NULL, (int64_t)time(NULL), 0, NULL);
}

void hh_wdb_peer_error(struct hh_wdb *w, const char *peer, const char *reason)
{
    (void)write1(w,
                 "INSERT INTO peer_status(name, last_error, last_ok, last_error_time, failures) "
                 "VALUES(?, ?, 0, ?, 1) ON CONFLICT(name) DO UPDATE SET "
                 "last_error=excluded.last_error, last_error_time=excluded.last_error_time, "
                 "failures=failures+1",
                 peer, reason, NULL, (int64_t)time(NULL), 0, NULL);
}

hh_status hh_wdb_peer(struct hh_wdb *w, const char *peer, struct hh_wdb_peer *out,
                      struct hh_error *err)
{
    sqlite3_stmt *st = NULL;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&w->mu);
    rc = prepare(w,
                 "SELECT last_ok, last_error, last_error_time, failures FROM peer_status "
                 "WHERE name=?",
                 &st, err);
    if (rc == HH_OK) {
        sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->last_ok = sqlite3_column_int64(st, 0);
            snprintf(out->last_error, sizeof(out->last_error), "%s",
                     (const char *)sqlite3_column_text(st, 1));
            out->last_error_time = sqlite3_column_int64(st, 2);
            out->failures = (uint64_t)sqlite3_column_int64(st, 3);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&w->mu);
    return rc;
}
