/*
 * witness_db_sqlite.c - the witness database on SQLite (witness_db.h).
 *
 * One connection behind a mutex: witness traffic is a few requests per
 * second per log, and serialising it makes the compare-and-swap trivially
 * atomic. WAL mode with synchronous=FULL: a commit is fsynced. Advances
 * share commits (group commit: see lead_commit); every other write is its
 * own autocommit transaction, run only while no group is open (lock_idle),
 * so it is never carried by, or undone with, someone else's group. Reads
 * take the lock directly (locked). Statements are prepared once and kept.
 * Callbacks run under the lock, which is why witness_db.h forbids them to
 * use the database.
 */
#include "storage/witness_db_impl.h"

#include "storage/sqlite/sqlite_backends.h"
#include "storage/sqlite/sqlite_util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WDB_PRAGMAS     "PRAGMA synchronous=FULL"
#define GROUP_WINDOW_US 500 /* how long a commit leader lets others join */
#define COMMIT_SLOTS    64  /* outcomes of recent group commits, by generation */

/*
 * The schema, one step per version: migrations[v] takes version v to v + 1.
 * Version 1 says IF NOT EXISTS: databases of before user_version had its tables.
 */
static const char *const migrations[] = {
    "CREATE TABLE IF NOT EXISTS witness_state(origin TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " root BLOB NOT NULL, note BLOB NOT NULL, time INTEGER NOT NULL,"
    " frozen INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL,"
    " line TEXT NOT NULL, timestamp INTEGER NOT NULL, PRIMARY KEY(size, witness));"
    "CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, origin TEXT NOT NULL,"
    " kind TEXT NOT NULL, key TEXT NOT NULL UNIQUE, body BLOB NOT NULL, time INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS peer_status(name TEXT PRIMARY KEY, last_ok INTEGER NOT NULL,"
    " last_error TEXT NOT NULL, last_error_time INTEGER NOT NULL, failures INTEGER NOT NULL);",
};
#define WDB_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum wdb_stmt {
    W_BEGIN,
    W_COMMIT,
    W_STATE,
    W_STATE_PUT,
    W_FREEZE,
    W_STATES,
    W_COSIG_PUT,
    W_COSIGS,
    W_COSIG_LAST,
    W_EVIDENCE_ADD,
    W_EVIDENCE_ALL,
    W_PEER_OK,
    W_PEER_ERROR,
    W_PEER,
    W_COUNT
};

static const char *const wdb_sql[W_COUNT] = {
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_COMMIT] = "COMMIT",
    [W_STATE] = "SELECT size, root, note, time, frozen FROM witness_state WHERE origin = ?1",
    [W_STATE_PUT] = "INSERT INTO witness_state(origin, size, root, note, time)"
                    " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(origin) DO UPDATE SET"
                    " size=excluded.size, root=excluded.root, note=excluded.note,"
                    " time=excluded.time",
    [W_FREEZE] = "INSERT INTO witness_state(origin, size, root, note, time, frozen)"
                 " VALUES(?1, 0, ?2, '', ?3, 1) ON CONFLICT(origin) DO UPDATE SET frozen=1",
    [W_STATES] = "SELECT origin, size, root, note, time, frozen FROM witness_state ORDER BY origin",
    [W_COSIG_PUT] = "INSERT INTO cosignatures(witness, line, size, timestamp)"
                    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(size, witness) DO UPDATE SET"
                    " line=excluded.line, timestamp=excluded.timestamp",
    [W_COSIGS] = "SELECT line FROM cosignatures WHERE size = ?1 ORDER BY witness",
    [W_COSIG_LAST] = "SELECT size, timestamp FROM cosignatures WHERE witness = ?1"
                     " ORDER BY size DESC LIMIT 1",
    [W_EVIDENCE_ADD] = "INSERT OR IGNORE INTO evidence(origin, kind, key, body, time)"
                       " VALUES(?1, ?2, ?3, ?4, ?5)",
    [W_EVIDENCE_ALL] = "SELECT id, origin, kind, body, time FROM evidence ORDER BY id",
    /*
     * A success is written at most every 10 s, unless it ends a run of
     * failures: an unchanged row writes nothing, so steady polling costs no fsync.
     */
    [W_PEER_OK] = "INSERT INTO peer_status(name, last_ok, last_error, last_error_time, failures)"
                  " VALUES(?1, ?2, '', 0, 0) ON CONFLICT(name) DO UPDATE SET"
                  " last_ok=excluded.last_ok, failures=0"
                  " WHERE failures != 0 OR excluded.last_ok >= last_ok + 10",
    [W_PEER_ERROR] = "INSERT INTO peer_status(name, last_error, last_ok, last_error_time, failures)"
                     " VALUES(?1, ?2, 0, ?3, 1) ON CONFLICT(name) DO UPDATE SET"
                     " last_error=excluded.last_error, last_error_time=excluded.last_error_time,"
                     " failures=failures+1",
    [W_PEER] = "SELECT last_ok, last_error, last_error_time, failures FROM peer_status"
               " WHERE name = ?1",
};

struct sq_wdb {
    struct hh_wdb base; /* first: witness_db.c sees only this */
    struct hh_sq_conn c;
    pthread_mutex_t mu;       /* guards c and everything below */
    pthread_cond_t committed; /* a group commit ended */
    bool in_txn;              /* a group transaction is open */
    uint64_t gen;             /* generation of the newest group transaction */
    uint64_t committed_gen;   /* generation of the last one that ended */
    hh_status commit_rc[COMMIT_SLOTS];
    int nlocks; /* how many of mu and committed exist */
};

static struct sq_wdb *wq(struct hh_wdb *w)
{
    return (struct sq_wdb *)w;
}

/* ---- running operations ---- */

typedef hh_status (*wq_fn)(struct hh_sq_conn *c, void *arg, struct hh_error *err);

/*
 * Runs fn under the lock: reads. Inside an open group they may see updates
 * whose commit is a moment away, which no caller relies on.
 */
static hh_status locked(struct hh_wdb *w, wq_fn fn, void *arg, struct hh_error *err)
{
    struct sq_wdb *q = wq(w);
    hh_status rc;

    pthread_mutex_lock(&q->mu);
    rc = fn(&q->c, arg, err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Takes the lock once no group transaction is open, so a write is its own commit. */
static void lock_idle(struct sq_wdb *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->in_txn)
        pthread_cond_wait(&q->committed, &q->mu);
}

/* Runs fn as a standalone (autocommit, fsynced) write. */
static hh_status idle_locked(struct hh_wdb *w, wq_fn fn, void *arg, struct hh_error *err)
{
    struct sq_wdb *q = wq(w);
    hh_status rc;

    lock_idle(q);
    rc = fn(&q->c, arg, err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Runs the one statement id with args as a standalone write. */
static hh_status write1(struct hh_wdb *w, int id, const struct hh_sq_arg *args, size_t nargs,
                        const char *what, struct hh_error *err)
{
    struct sq_wdb *q = wq(w);
    hh_status rc;

    lock_idle(q);
    rc = hh_sq_run(&q->c, id, args, nargs, what, err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* ---- open and close ---- */

static const struct hh_wdb_ops sqlite_wdb_ops;

static void wq_close(struct hh_wdb *w)
{
    struct sq_wdb *q = wq(w);

    hh_sq_close(&q->c);
    if (q->nlocks > 0)
        pthread_mutex_destroy(&q->mu);
    if (q->nlocks > 1)
        pthread_cond_destroy(&q->committed);
    free(q);
}

static hh_status init_locks(struct sq_wdb *q, struct hh_error *err)
{
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        goto out;
    q->nlocks++;
    if (pthread_cond_init(&q->committed, NULL) != 0)
        goto out;
    q->nlocks++;
    return HH_OK;
out:
    return hh_error_set(err, HH_ERR_NOMEM, "creating the witness db's locks (%d made)", q->nlocks);
}

static hh_status wq_connect(struct sq_wdb *q, const char *path, struct hh_error *err)
{
    hh_status rc;

    rc = hh_sq_open(&q->c, path, true, WDB_PRAGMAS, wdb_sql, W_COUNT, NULL, err);
    if (rc == HH_OK)
        rc = hh_sq_set_wal(&q->c, err);
    if (rc == HH_OK)
        rc = hh_sq_migrate(&q->c, migrations, WDB_SCHEMA_VERSION, err);
    q->c.label = "witness db"; /* from now on; open errors name the file instead */
    return rc;
}

hh_status hh_wdb_open_sqlite(const char *path, struct hh_wdb **out, struct hh_error *err)
{
    struct sq_wdb *q = NULL;
    hh_status rc;

    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "opening a SQLite witness db: no path given");
    if (!sqlite3_threadsafe())
        return hh_error_set(err, HH_ERR_INTERNAL, "SQLite was built without thread support");
    q = calloc(1, sizeof(*q));
    if (q == NULL) {
        rc = hh_error_set(err, HH_ERR_NOMEM, "allocating the witness db");
        goto out;
    }
    q->base.ops = &sqlite_wdb_ops;
    rc = init_locks(q, err);
    if (rc == HH_OK)
        rc = wq_connect(q, path, err);
out:
    if (rc != HH_OK) {
        if (q != NULL)
            wq_close(&q->base);
        return hh_error_prefix(err, rc, "SQLite witness db %s", path);
    }
    *out = &q->base;
    return HH_OK;
}

/* ---- witness states ---- */

/* Fills out from (size, root, note, time, frozen) at columns first..first+4. */
static hh_status row_state(const struct hh_sq_query *qr, int first, const char *origin,
                           struct hh_wdb_state *out, struct hh_error *err)
{
    size_t len;

    out->size = (uint64_t)hh_sq_int(qr, first);
    if (!hh_sq_hash(qr, first + 1, &out->root))
        return hh_error_set(err, HH_ERR_IO,
                            "witness db: the state of %s is corrupt: root not %d "
                            "bytes",
                            origin, HH_HASH_LEN);
    (void)hh_sq_bytes(qr, first + 2, &len);
    /* An empty note (a log frozen before it was ever cosigned) is no note: NULL. */
    if (len > 0 && (out->note = hh_sq_dup(qr, first + 2, &out->note_len)) == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "witness db: copying the %zu-byte checkpoint of %s",
                            len, origin);
    out->time = hh_sq_int(qr, first + 3);
    out->frozen = hh_sq_int(qr, first + 4) != 0;
    return HH_OK;
}

/* The state of origin on c; the empty state when none is recorded. */
static hh_status read_state(struct hh_sq_conn *c, const char *origin, struct hh_wdb_state *out,
                            struct hh_error *err)
{
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    hh_merkle_empty_root(&out->root);
    rc = hh_sq_first(c, W_STATE, HH_SQ_ARGS(HH_SQ_TEXT(origin)), "reading a witness state", &qr,
                     &row, err);
    if (rc == HH_OK && row)
        rc = row_state(&qr, 0, origin, out, err);
    hh_sq_end(&qr);
    if (rc != HH_OK)
        hh_wdb_state_clear(out);
    return rc;
}

struct state_args {
    const char *origin;
    struct hh_wdb_state *out;
};

static hh_status state_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct state_args *a = arg;

    return read_state(c, a->origin, a->out, err);
}

static hh_status wq_state(struct hh_wdb *w, const char *origin, struct hh_wdb_state *out,
                          struct hh_error *err)
{
    struct state_args a = {origin, out};

    return locked(w, state_body, &a, err);
}

/* The compare-and-swap of one advance, inside the open group transaction. */
static hh_status advance_locked(struct hh_sq_conn *c, const struct hh_wdb_update *u,
                                uint64_t *current, struct hh_error *err)
{
    struct hh_wdb_state cur;
    hh_status rc = read_state(c, u->origin, &cur, err);

    if (rc != HH_OK)
        return rc;
    *current = cur.size;
    if (cur.frozen)
        rc = hh_error_set(err, HH_ERR_VERIFY,
                          "%s is frozen at size %" PRIu64 ": this node holds evidence against it",
                          u->origin, cur.size);
    else if (cur.size != u->expect_old)
        rc = hh_error_set(err, HH_ERR_CONFLICT,
                          "old size %" PRIu64 " is not the cosigned size %" PRIu64, u->expect_old,
                          cur.size);
    else if (u->check != NULL)
        rc = u->check(u->ctx, &cur, err);
    if (rc == HH_OK)
        rc =
            hh_sq_run(c, W_STATE_PUT,
                      HH_SQ_ARGS(HH_SQ_TEXT(u->origin), HH_SQ_INT(u->new_size), HH_SQ_HASH(u->root),
                                 HH_SQ_BYTES(u->note, u->note_len), HH_SQ_INT(time(NULL))),
                      "recording a witness state", err);
    hh_wdb_state_clear(&cur);
    return rc;
}

/* Opens a group transaction unless one is open; *leader when this call opened it. */
static hh_status join_group(struct sq_wdb *q, bool *leader, struct hh_error *err)
{
    hh_status rc;

    *leader = false;
    if (q->in_txn)
        return HH_OK;
    rc = hh_sq_run(&q->c, W_BEGIN, HH_SQ_NO_ARGS, "starting a group transaction", err);
    if (rc != HH_OK)
        return rc;
    q->in_txn = true;
    q->gen++;
    *leader = true;
    return HH_OK;
}

/*
 * Group commit: the first request to find no open transaction begins one and
 * leads; it lets other requests add their updates for GROUP_WINDOW_US, then
 * commits them all with one fsync and tells each its outcome. A request
 * whose check refuses writes nothing, so it never undoes the others.
 */
static hh_status lead_commit(struct sq_wdb *q, uint64_t gen, struct hh_error *err)
{
    hh_status rc;

    pthread_mutex_unlock(&q->mu);
    usleep(GROUP_WINDOW_US);
    pthread_mutex_lock(&q->mu);
    rc = hh_sq_run(&q->c, W_COMMIT, HH_SQ_NO_ARGS, "committing a group transaction", err);
    if (rc != HH_OK)
        hh_sq_rollback(&q->c);
    q->commit_rc[gen % COMMIT_SLOTS] = rc;
    q->committed_gen = gen;
    q->in_txn = false;
    pthread_cond_broadcast(&q->committed);
    return rc;
}

/* Waits for the leader of group gen to commit; its outcome is this update's. */
static hh_status await_commit(struct sq_wdb *q, uint64_t gen, struct hh_error *err)
{
    hh_status rc;

    while (q->committed_gen < gen)
        pthread_cond_wait(&q->committed, &q->mu);
    if (q->committed_gen - gen >= COMMIT_SLOTS)
        return hh_error_set(err, HH_ERR_INTERNAL, "witness db: lost a commit outcome");
    rc = q->commit_rc[gen % COMMIT_SLOTS];
    if (rc != HH_OK)
        return hh_error_set(err, rc, "witness db: the group commit failed");
    return HH_OK;
}

static hh_status wq_advance(struct hh_wdb *w, const struct hh_wdb_update *u, uint64_t *current,
                            struct hh_error *err)
{
    struct sq_wdb *q = wq(w);
    bool leader = false;
    uint64_t gen;
    hh_status rc, crc;

    pthread_mutex_lock(&q->mu);
    rc = join_group(q, &leader, err);
    if (rc != HH_OK)
        goto out;
    gen = q->gen;
    rc = advance_locked(&q->c, u, current, err);
    if (leader) {
        crc = lead_commit(q, gen, rc == HH_OK ? err : NULL);
        if (rc == HH_OK)
            rc = crc;
    } else if (rc == HH_OK) {
        rc = await_commit(q, gen, err);
    }
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static hh_status wq_freeze(struct hh_wdb *w, const char *origin, struct hh_error *err)
{
    struct hh_hash empty;

    hh_merkle_empty_root(&empty);
    return write1(w, W_FREEZE,
                  HH_SQ_ARGS(HH_SQ_TEXT(origin), HH_SQ_HASH(&empty), HH_SQ_INT(time(NULL))),
                  "freezing a log", err);
}

struct each_args {
    hh_wdb_state_fn state_fn;
    hh_wdb_evidence_fn evidence_fn;
    void *ctx;
};

static hh_status each_state_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct each_args *a = arg;
    struct hh_wdb_state s;
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    rc = hh_sq_start(c, W_STATES, HH_SQ_NO_ARGS, "listing witness states", &qr, err);
    while (rc == HH_OK && (rc = hh_sq_next(&qr, &row, err)) == HH_OK && row) {
        const char *origin = hh_sq_text(&qr, 0);
        memset(&s, 0, sizeof(s));
        rc = row_state(&qr, 1, origin, &s, err);
        if (rc == HH_OK)
            a->state_fn(a->ctx, origin, &s);
        hh_wdb_state_clear(&s);
    }
    hh_sq_end(&qr);
    return rc;
}

static hh_status wq_each_state(struct hh_wdb *w, hh_wdb_state_fn fn, void *ctx,
                               struct hh_error *err)
{
    struct each_args a = {fn, NULL, ctx};

    return locked(w, each_state_body, &a, err);
}

/* ---- cosignatures ---- */

static hh_status wq_put_cosignature(struct hh_wdb *w, uint64_t size, const char *witness,
                                    const char *line, uint64_t timestamp, struct hh_error *err)
{
    return write1(
        w, W_COSIG_PUT,
        HH_SQ_ARGS(HH_SQ_TEXT(witness), HH_SQ_TEXT(line), HH_SQ_INT(size), HH_SQ_INT(timestamp)),
        "storing a cosignature", err);
}

struct cosigs_args {
    uint64_t size;
    char **lines;
    size_t *len;
};

/* Appends line[0..l) to the NUL-terminated *buf of *n bytes. */
static hh_status append_line(char **buf, size_t *n, const uint8_t *line, size_t l,
                             struct hh_error *err)
{
    char *bigger = realloc(*buf, *n + l + 1);

    if (bigger == NULL)
        return hh_error_set(err, HH_ERR_NOMEM,
                            "witness db: joining cosignature lines: no memory for %zu bytes",
                            *n + l + 1);
    memcpy(bigger + *n, line, l);
    *n += l;
    bigger[*n] = '\0';
    *buf = bigger;
    return HH_OK;
}

static hh_status cosigs_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct cosigs_args *a = arg;
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    *a->lines = calloc(1, 1);
    if (*a->lines == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "witness db: joining cosignature lines");
    rc = hh_sq_start(c, W_COSIGS, HH_SQ_ARGS(HH_SQ_INT(a->size)), "reading cosignatures", &qr, err);
    while (rc == HH_OK && (rc = hh_sq_next(&qr, &row, err)) == HH_OK && row) {
        size_t l;
        const uint8_t *line = hh_sq_bytes(&qr, 0, &l);
        rc = append_line(a->lines, a->len, line, l, err);
    }
    hh_sq_end(&qr);
    return rc;
}

static hh_status wq_cosignatures(struct hh_wdb *w, uint64_t size, char **lines, size_t *len,
                                 struct hh_error *err)
{
    struct cosigs_args a = {size, lines, len};

    return locked(w, cosigs_body, &a, err);
}

struct last_args {
    const char *witness;
    uint64_t *size, *timestamp;
};

static hh_status last_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct last_args *a = arg;
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    rc = hh_sq_first(c, W_COSIG_LAST, HH_SQ_ARGS(HH_SQ_TEXT(a->witness)),
                     "reading the last cosignature", &qr, &row, err);
    if (rc == HH_OK && row) {
        *a->size = (uint64_t)hh_sq_int(&qr, 0);
        *a->timestamp = (uint64_t)hh_sq_int(&qr, 1);
    }
    hh_sq_end(&qr);
    if (rc == HH_OK && !row)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no cosignature from %s", a->witness);
    return rc;
}

static hh_status wq_last_cosignature(struct hh_wdb *w, const char *witness, uint64_t *size,
                                     uint64_t *timestamp, struct hh_error *err)
{
    struct last_args a = {witness, size, timestamp};

    return locked(w, last_body, &a, err);
}

/* ---- evidence ---- */

struct evidence_args {
    const char *origin, *kind, *key, *json;
    size_t len;
    int64_t *id;
};

static hh_status add_evidence_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct evidence_args *a = arg;
    hh_status rc;

    rc = hh_sq_run(c, W_EVIDENCE_ADD,
                   HH_SQ_ARGS(HH_SQ_TEXT(a->origin), HH_SQ_TEXT(a->kind), HH_SQ_TEXT(a->key),
                              HH_SQ_BYTES(a->json, a->len), HH_SQ_INT(time(NULL))),
                   "storing evidence", err);
    if (rc != HH_OK)
        return rc;
    if (sqlite3_changes(c->db) == 0)
        return hh_error_set(err, HH_ERR_CONFLICT, "evidence with key %s is already held", a->key);
    *a->id = (int64_t)sqlite3_last_insert_rowid(c->db);
    return HH_OK;
}

static hh_status wq_add_evidence(struct hh_wdb *w, const char *origin, const char *kind,
                                 const char *key, const char *json, size_t len, int64_t *id,
                                 struct hh_error *err)
{
    struct evidence_args a = {origin, kind, key, json, len, id};

    return idle_locked(w, add_evidence_body, &a, err);
}

static hh_status each_evidence_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct each_args *a = arg;
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    rc = hh_sq_start(c, W_EVIDENCE_ALL, HH_SQ_NO_ARGS, "listing evidence", &qr, err);
    while (rc == HH_OK && (rc = hh_sq_next(&qr, &row, err)) == HH_OK && row) {
        size_t len;
        const char *origin = hh_sq_text(&qr, 1), *kind = hh_sq_text(&qr, 2);
        const uint8_t *body = hh_sq_bytes(&qr, 3, &len);
        a->evidence_fn(a->ctx, hh_sq_int(&qr, 0), origin, kind, (const char *)body, len,
                       hh_sq_int(&qr, 4));
    }
    hh_sq_end(&qr);
    return rc;
}

static hh_status wq_each_evidence(struct hh_wdb *w, hh_wdb_evidence_fn fn, void *ctx,
                                  struct hh_error *err)
{
    struct each_args a = {NULL, fn, ctx};

    return locked(w, each_evidence_body, &a, err);
}

/* ---- peers ---- */

static hh_status wq_peer_ok(struct hh_wdb *w, const char *peer, struct hh_error *err)
{
    return write1(w, W_PEER_OK, HH_SQ_ARGS(HH_SQ_TEXT(peer), HH_SQ_INT(time(NULL))),
                  "recording a peer's success", err);
}

static hh_status wq_peer_error(struct hh_wdb *w, const char *peer, const char *reason,
                               size_t reason_len, struct hh_error *err)
{
    return write1(
        w, W_PEER_ERROR,
        HH_SQ_ARGS(HH_SQ_TEXT(peer), HH_SQ_TEXTN(reason, reason_len), HH_SQ_INT(time(NULL))),
        "recording a peer's failure", err);
}

struct peer_args {
    const char *peer;
    struct hh_wdb_peer *out;
};

static hh_status peer_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct peer_args *a = arg;
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    rc = hh_sq_first(c, W_PEER, HH_SQ_ARGS(HH_SQ_TEXT(a->peer)), "reading a peer's health", &qr,
                     &row, err);
    if (rc == HH_OK && row) {
        a->out->last_ok = hh_sq_int(&qr, 0);
        snprintf(a->out->last_error, sizeof(a->out->last_error), "%s", hh_sq_text(&qr, 1));
        a->out->last_error_time = hh_sq_int(&qr, 2);
        a->out->failures = (uint64_t)hh_sq_int(&qr, 3);
    }
    hh_sq_end(&qr);
    return rc;
}

static hh_status wq_peer(struct hh_wdb *w, const char *peer, struct hh_wdb_peer *out,
                         struct hh_error *err)
{
    struct peer_args a = {peer, out};

    return locked(w, peer_body, &a, err);
}

static const struct hh_wdb_ops sqlite_wdb_ops = {
    .name = "sqlite",
    .close = wq_close,
    .state = wq_state,
    .advance = wq_advance,
    .freeze = wq_freeze,
    .each_state = wq_each_state,
    .put_cosignature = wq_put_cosignature,
    .cosignatures = wq_cosignatures,
    .last_cosignature = wq_last_cosignature,
    .add_evidence = wq_add_evidence,
    .each_evidence = wq_each_evidence,
    .peer_ok = wq_peer_ok,
    .peer_error = wq_peer_error,
    .peer = wq_peer,
};
