/*
 * store_sqlite.c - the SQLite backend of the store (store.h).
 *
 * One database file in WAL mode with synchronous=FULL: a commit returns only
 * once its WAL frames are fsynced, so an acknowledged append survives power
 * loss. One writer connection, guarded by a mutex, does every write (appends,
 * checkpoints, blobs), each in a BEGIN IMMEDIATE transaction (in_write_txn);
 * a pool of SQ_READERS reader connections, handed out under a mutex and
 * condition variable, serves reads concurrently with it (on_reader; WAL
 * gives each read statement a consistent snapshot). Each connection
 * prepares its statements once, on first use, and keeps them. Checkpoints
 * (copying the WAL into the database file) run on a background thread with
 * its own connection, woken by commits once the WAL holds
 * SQ_CHECKPOINT_FRAMES frames, so appends do not wait for them.
 *
 * The schema is versioned with PRAGMA user_version and brought up to date
 * on open by the steps in migrations[]; a database newer than this code is
 * refused. Appends and checkpoints check the store's rules (next index,
 * unique ids, checkpoint order) inside their transaction, so a failed call
 * writes nothing. Callbacks of read_entries and each_checkpoint run while a
 * reader connection is held: a callback that read the store would take a
 * second one, and SQ_READERS threads doing so at once would wait for each
 * other forever; store.h therefore forbids it.
 */
#include "storage/store_impl.h"

#include "storage/sqlite/sqlite_backends.h"
#include "storage/sqlite/sqlite_util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SQ_READERS 4
/* WAL frames after a commit that wake the checkpointer (4 MiB of 16 KiB pages). */
#define SQ_CHECKPOINT_FRAMES 1024

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

/*
 * The schema, one step per version: migrations[v] takes version v to v + 1.
 * Subtree hashes live in the table "nodes" (its name predates "subtree").
 */
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
    ST_END_INDEX,
    ST_INSERT_ENTRY,
    ST_INSERT_SUBTREE,
    ST_ID_INDEX,
    ST_SUBTREE_RANGE,
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
    [ST_END_INDEX] = "SELECT coalesce(max(idx) + 1, 0) FROM entries",
    [ST_INSERT_ENTRY] = "INSERT INTO entries(idx, id, data) VALUES(?1, ?2, ?3)",
    [ST_INSERT_SUBTREE] = "INSERT INTO nodes(level, idx, hash) VALUES(?1, ?2, ?3)",
    [ST_ID_INDEX] = "SELECT idx FROM entries WHERE id = ?1",
    [ST_SUBTREE_RANGE] = ("SELECT idx, hash FROM nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3"
                          " ORDER BY idx"),
    [ST_ENTRY_RANGE] = "SELECT idx, data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
    [ST_CP_LATEST] = "SELECT size, root, note, time FROM checkpoints ORDER BY size DESC LIMIT 1",
    [ST_CP_AT] = "SELECT size, root, note, time FROM checkpoints WHERE size = ?1",
    [ST_CP_ALL] = "SELECT size, root, note, time FROM checkpoints ORDER BY size",
    [ST_CP_INSERT] = "INSERT INTO checkpoints(size, root, note, time) VALUES(?1, ?2, ?3, ?4)",
    [ST_BLOB_PUT] = "INSERT OR IGNORE INTO blobs(hash, data) VALUES(?1, ?2)",
    [ST_BLOB_GET] = "SELECT data FROM blobs WHERE hash = ?1",
};

struct sq_store {
    struct hh_store base; /* first: store.c sees only this */
    char *path;
    pthread_mutex_t wmu; /* guards writer */
    struct hh_sq_conn writer;
    _Atomic uint64_t size; /* entries committed; changed only under wmu */
    pthread_mutex_t rmu;   /* guards the free list */
    pthread_cond_t rcv;    /* signalled when a reader is returned */
    struct hh_sq_conn readers[SQ_READERS];
    size_t free_list[SQ_READERS];
    size_t nfree;
    pthread_mutex_t cmu; /* guards ckpt_due and ckpt_stop */
    pthread_cond_t ccv;  /* wakes the checkpointer */
    bool ckpt_due, ckpt_stop, ckpt_running;
    pthread_t ckpt_thread;
    struct hh_sq_conn ckpt; /* used only by the checkpointer thread */
    int nlocks;             /* how many of the mutexes and conditions exist */
};

static struct sq_store *sq(struct hh_store *s)
{
    return (struct sq_store *)s;
}

/* ---- running operations: a reader from the pool, or a write transaction ---- */

/* One operation's own logic, run on connection c with its arguments arg. */
typedef hh_status (*sq_fn)(struct hh_sq_conn *c, void *arg, struct hh_error *err);

static struct hh_sq_conn *reader_get(struct sq_store *q)
{
    struct hh_sq_conn *c;

    pthread_mutex_lock(&q->rmu);
    while (q->nfree == 0)
        pthread_cond_wait(&q->rcv, &q->rmu);
    c = &q->readers[q->free_list[--q->nfree]];
    pthread_mutex_unlock(&q->rmu);
    return c;
}

static void reader_put(struct sq_store *q, struct hh_sq_conn *c)
{
    pthread_mutex_lock(&q->rmu);
    q->free_list[q->nfree++] = (size_t)(c - q->readers);
    pthread_cond_signal(&q->rcv);
    pthread_mutex_unlock(&q->rmu);
}

/* Runs fn on a reader connection of the pool, waiting while all are in use. */
static hh_status on_reader(struct hh_store *s, sq_fn fn, void *arg, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct hh_sq_conn *c = reader_get(q);
    hh_status rc = fn(c, arg, err);

    reader_put(q, c);
    return rc;
}

/*
 * A write: body runs inside a BEGIN IMMEDIATE transaction on the writer,
 * which commits (durably) when body returns HH_OK and rolls back otherwise;
 * committed, when not NULL, runs after the commit, still under the writer
 * lock. what names the write in messages ("appending entries").
 */
struct sq_write {
    const char *what;
    sq_fn body;
    void (*committed)(void *arg);
};

static hh_status in_write_txn(struct hh_store *s, const struct sq_write *w, void *arg,
                              struct hh_error *err)
{
    struct sq_store *q = sq(s);
    struct hh_sq_conn *c = &q->writer;
    hh_status rc;

    pthread_mutex_lock(&q->wmu);
    rc = hh_sq_run(c, ST_BEGIN, HH_SQ_NO_ARGS, NULL, err);
    if (rc != HH_OK) {
        rc = hh_error_prefix(err, rc, "%s: starting the transaction", w->what);
        goto out;
    }
    rc = w->body(c, arg, err);
    if (rc == HH_OK && (rc = hh_sq_run(c, ST_COMMIT, HH_SQ_NO_ARGS, NULL, err)) != HH_OK)
        rc = hh_error_prefix(err, rc, "%s: committing", w->what);
    if (rc == HH_OK && w->committed != NULL)
        w->committed(arg);
out:
    if (rc != HH_OK)
        hh_sq_rollback(c);
    pthread_mutex_unlock(&q->wmu);
    return rc;
}

/* The number of entries as the database of c sees it: max(idx) + 1. */
static hh_status end_index(struct hh_sq_conn *c, uint64_t *size, struct hh_error *err)
{
    struct hh_sq_query qr;
    bool row;
    hh_status rc;

    *size = 0;
    rc = hh_sq_first(c, ST_END_INDEX, HH_SQ_NO_ARGS, "counting entries", &qr, &row, err);
    if (rc == HH_OK && row)
        *size = (uint64_t)hh_sq_int(&qr, 0);
    hh_sq_end(&qr);
    return rc;
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
    hh_status rc =
        hh_sq_open(&q->ckpt, q->path, false, SQ_CHECKPOINTER_PRAGMAS, NULL, 0, NULL, err);

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
    hh_sq_close(&q->ckpt);
    for (size_t i = 0; i < SQ_READERS; i++)
        hh_sq_close(&q->readers[i]);
    hh_sq_close(&q->writer); /* last: it checkpoints the WAL into the database */
    destroy_locks(q);
    free(q->path);
    free(q);
}

static hh_status open_readers(struct sq_store *q, struct hh_error *err)
{
    hh_status rc;

    for (size_t i = 0; i < SQ_READERS; i++) {
        rc = hh_sq_open(&q->readers[i], q->path, false, SQ_READER_PRAGMAS, stmt_sql, ST_COUNT, NULL,
                        err);
        if (rc != HH_OK)
            return hh_error_prefix(err, rc, "reader connection %zu", i);
        q->free_list[i] = i;
    }
    q->nfree = SQ_READERS;
    return HH_OK;
}

/* Opens the writer, sets WAL, migrates, loads the size, opens the readers and the checkpointer. */
static hh_status sq_connect(struct sq_store *q, struct hh_error *err)
{
    uint64_t size;
    hh_status rc;

    rc = hh_sq_open(&q->writer, q->path, true, SQ_WRITER_PRAGMAS, stmt_sql, ST_COUNT, NULL, err);
    if (rc == HH_OK)
        rc = hh_sq_set_wal(&q->writer, err);
    if (rc == HH_OK)
        rc = hh_sq_migrate(&q->writer, migrations, SQ_SCHEMA_VERSION, err);
    if (rc == HH_OK)
        rc = end_index(&q->writer, &size, err);
    if (rc != HH_OK)
        return rc;
    atomic_store(&q->size, size);
    rc = open_readers(q, err);
    if (rc == HH_OK)
        rc = checkpointer_start(q, err);
    return rc;
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

struct append_args {
    struct sq_store *q;
    uint64_t first;
    const struct hh_store_entry *entries;
    size_t n;
    const struct hh_subtree_id *ids;
    const struct hh_hash *hashes;
    size_t nhashes;
};

/* Names the statement id that made inserting entry index fail as a duplicate. */
static hh_status duplicate_id(struct hh_sq_conn *c, const struct hh_hash *id, uint64_t index,
                              uint64_t first, struct hh_error *err)
{
    char hex[2 * HH_HASH_LEN + 1];
    struct hh_sq_query qr;
    uint64_t other = UINT64_MAX;
    bool row = false;

    hh_hash_to_hex(id, hex);
    if (hh_sq_first(c, ST_ID_INDEX, HH_SQ_ARGS(HH_SQ_HASH(id)), NULL, &qr, &row, NULL) == HH_OK &&
        row)
        other = (uint64_t)hh_sq_int(&qr, 0);
    hh_sq_end(&qr);
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

static hh_status insert_entry(struct hh_sq_conn *c, uint64_t index, const struct hh_store_entry *e,
                              uint64_t first, struct hh_error *err)
{
    hh_status rc = hh_sq_run(
        c, ST_INSERT_ENTRY,
        HH_SQ_ARGS(HH_SQ_INT(index), HH_SQ_HASH(&e->id), HH_SQ_BYTES(e->data, e->len)), NULL, err);

    if (rc == HH_OK)
        return HH_OK;
    if (hh_sq_last_code(c) == SQLITE_CONSTRAINT_UNIQUE)
        return duplicate_id(c, &e->id, index, first, err);
    return hh_error_prefix(err, rc, "appending entry %" PRIu64, index);
}

static hh_status insert_subtree(struct hh_sq_conn *c, const struct hh_subtree_id *id,
                                const struct hh_hash *h, struct hh_error *err)
{
    hh_status rc =
        hh_sq_run(c, ST_INSERT_SUBTREE,
                  HH_SQ_ARGS(HH_SQ_INT(id->level), HH_SQ_INT(id->index), HH_SQ_HASH(h)), NULL, err);

    if (rc == HH_OK)
        return HH_OK;
    if (hh_sq_last_code(c) == SQLITE_CONSTRAINT_PRIMARYKEY)
        return hh_error_set(err, HH_ERR_INVALID,
                            "subtree (%u, %" PRIu64 ") is given twice or already stored",
                            (unsigned)id->level, id->index);
    return hh_error_prefix(err, rc, "storing the hash of subtree (%u, %" PRIu64 ")",
                           (unsigned)id->level, id->index);
}

/*
 * Inserts the subtree hashes level by level: each level is a contiguous key
 * range of the table, so its new rows land at the end of that range in
 * order, instead of hopping between levels as hh_merkle_append makes them.
 */
static hh_status insert_subtrees(struct hh_sq_conn *c, const struct hh_subtree_id *ids,
                                 const struct hh_hash *hashes, size_t n, struct hh_error *err)
{
    unsigned top = 0;
    hh_status rc = HH_OK;

    for (size_t i = 0; i < n; i++)
        top = ids[i].level > top ? ids[i].level : top;
    for (unsigned l = 0; l <= top && rc == HH_OK; l++)
        for (size_t i = 0; i < n && rc == HH_OK; i++)
            if (ids[i].level == l)
                rc = insert_subtree(c, &ids[i], &hashes[i], err);
    return rc;
}

static hh_status append_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct append_args *a = arg;
    uint64_t size;
    hh_status rc;

    rc = end_index(c, &size, err);
    if (rc != HH_OK)
        return rc;
    atomic_store(&a->q->size, size); /* what the database says, should the count be stale */
    if (a->first != size)
        return hh_error_set(err, HH_ERR_CONFLICT,
                            "append at index %" PRIu64 " but the log has %" PRIu64 " entries",
                            a->first, size);
    for (size_t i = 0; i < a->n && rc == HH_OK; i++)
        rc = insert_entry(c, a->first + i, &a->entries[i], a->first, err);
    if (rc == HH_OK)
        rc = insert_subtrees(c, a->ids, a->hashes, a->nhashes, err);
    return rc;
}

static void append_committed(void *arg)
{
    struct append_args *a = arg;

    atomic_store(&a->q->size, a->first + a->n);
}

static const struct sq_write append_write = {"appending entries", append_body, append_committed};

static hh_status sq_append(struct hh_store *s, uint64_t first_index,
                           const struct hh_store_entry *entries, size_t n,
                           const struct hh_subtree_id *ids, const struct hh_hash *hashes,
                           size_t nhashes, struct hh_error *err)
{
    struct append_args a = {sq(s), first_index, entries, n, ids, hashes, nhashes};

    return in_write_txn(s, &append_write, &a, err);
}

/* ---- subtree hashes ---- */

/* Reads the hashes of subtrees (level, start..start+n-1) with one range query on c. */
static hh_status hash_range(struct hh_sq_conn *c, uint8_t level, uint64_t start, size_t n,
                            struct hh_hash *out, struct hh_error *err)
{
    struct hh_sq_query qr;
    uint64_t next = start;
    bool row = false;
    hh_status rc;

    rc = hh_sq_start(c, ST_SUBTREE_RANGE,
                     HH_SQ_ARGS(HH_SQ_INT(level), HH_SQ_INT(start), HH_SQ_INT(start + n)),
                     "reading subtree hashes", &qr, err);
    while (rc == HH_OK && (rc = hh_sq_next(&qr, &row, err)) == HH_OK && row) {
        if ((uint64_t)hh_sq_int(&qr, 0) != next)
            break; /* a gap: subtree next is missing */
        if (!hh_sq_hash(&qr, 1, &out[next - start]))
            rc = hh_error_set(err, HH_ERR_IO,
                              "subtree (%u, %" PRIu64 ") is corrupt: its hash is not %d bytes",
                              (unsigned)level, next, HH_HASH_LEN);
        next++;
    }
    hh_sq_end(&qr);
    if (rc == HH_OK && next != start + n)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "subtree (%u, %" PRIu64 ") not found",
                          (unsigned)level, next);
    return rc;
}

struct range_args {
    uint8_t level;
    uint64_t start;
    size_t n;
    struct hh_hash *out;
};

static hh_status range_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct range_args *a = arg;

    return hash_range(c, a->level, a->start, a->n, a->out, err);
}

static hh_status sq_read_hash_range(struct hh_store *s, uint8_t level, uint64_t start, size_t n,
                                    struct hh_hash *out, struct hh_error *err)
{
    struct range_args a = {level, start, n, out};

    return on_reader(s, range_body, &a, err);
}

struct hashes_args {
    const struct hh_subtree_id *ids;
    size_t n;
    struct hh_hash *out;
};

/* The length of the run of consecutive subtrees on one level starting at ids[0]. */
static size_t run_length(const struct hh_subtree_id *ids, size_t n)
{
    size_t k = 1;

    while (k < n && ids[k].level == ids[0].level && ids[k].index == ids[k - 1].index + 1)
        k++;
    return k;
}

/* Reads each run of consecutive subtrees with one range query. */
static hh_status hashes_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct hashes_args *a = arg;
    hh_status rc = HH_OK;

    for (size_t i = 0, k; i < a->n && rc == HH_OK; i += k) {
        k = run_length(a->ids + i, a->n - i);
        rc = hash_range(c, a->ids[i].level, a->ids[i].index, k, a->out + i, err);
    }
    return rc;
}

static hh_status sq_read_hashes(struct hh_store *s, const struct hh_subtree_id *ids, size_t n,
                                struct hh_hash *out, struct hh_error *err)
{
    struct hashes_args a = {ids, n, out};

    return on_reader(s, hashes_body, &a, err);
}

/* ---- entries ---- */

struct entries_args {
    uint64_t start;
    size_t n;
    hh_store_entry_fn fn;
    void *ctx;
};

static hh_status gap(uint64_t missing, struct hh_error *err)
{
    return hh_error_set(err, HH_ERR_IO, "entry %" PRIu64 " is missing: the log has a gap", missing);
}

/* Calls fn for each row of an entry range query; checks the rows have no gap. */
static hh_status each_entry(struct hh_sq_query *qr, const struct entries_args *a,
                            struct hh_error *err)
{
    uint64_t next = a->start;
    bool row;
    hh_status rc;

    while ((rc = hh_sq_next(qr, &row, err)) == HH_OK && row) {
        size_t len;
        const uint8_t *data = hh_sq_bytes(qr, 1, &len);
        if ((uint64_t)hh_sq_int(qr, 0) != next)
            return gap(next, err);
        if (a->fn(a->ctx, next++, data, len) != 0)
            return HH_OK;
    }
    if (rc == HH_OK && next != a->start + a->n)
        rc = gap(next, err);
    return rc;
}

static hh_status entries_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct entries_args *a = arg;
    struct hh_sq_query qr;
    uint64_t size;
    hh_status rc;

    rc = end_index(c, &size, err);
    if (rc != HH_OK)
        return rc;
    if (a->start + a->n > size) /* entries have no gaps: checking the end suffices */
        return hh_error_set(err, HH_ERR_NOT_FOUND,
                            "entries [%" PRIu64 ", %" PRIu64 ") not found: the log has %" PRIu64
                            " entries",
                            a->start, a->start + a->n, size);
    rc = hh_sq_start(c, ST_ENTRY_RANGE, HH_SQ_ARGS(HH_SQ_INT(a->start), HH_SQ_INT(a->start + a->n)),
                     "reading entries", &qr, err);
    if (rc == HH_OK)
        rc = each_entry(&qr, a, err);
    hh_sq_end(&qr);
    return rc;
}

static hh_status sq_read_entries(struct hh_store *s, uint64_t start, size_t n, hh_store_entry_fn fn,
                                 void *ctx, struct hh_error *err)
{
    struct entries_args a = {start, n, fn, ctx};

    return on_reader(s, entries_body, &a, err);
}

struct find_args {
    const struct hh_hash *id;
    uint64_t *index;
};

static hh_status find_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct find_args *a = arg;
    char hex[2 * HH_HASH_LEN + 1];
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    rc = hh_sq_first(c, ST_ID_INDEX, HH_SQ_ARGS(HH_SQ_HASH(a->id)), "finding a statement id", &qr,
                     &row, err);
    if (rc == HH_OK && row)
        *a->index = (uint64_t)hh_sq_int(&qr, 0);
    hh_sq_end(&qr);
    if (rc == HH_OK && !row) {
        hh_hash_to_hex(a->id, hex);
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "statement id %s not found", hex);
    }
    return rc;
}

static hh_status sq_find_id(struct hh_store *s, const struct hh_hash *id, uint64_t *index,
                            struct hh_error *err)
{
    struct find_args a = {id, index};

    return on_reader(s, find_body, &a, err);
}

/*
 * Looks ids up on the writer connection, outside a transaction: its cache
 * holds the index pages the last appends wrote, where a reader's would have
 * to read them back from the file.
 */
static hh_status sq_find_ids(struct hh_store *s, const struct hh_hash *ids, size_t n,
                             uint64_t *indexes, bool *found, struct hh_error *err)
{
    struct sq_store *q = sq(s);
    hh_status rc = HH_OK;

    pthread_mutex_lock(&q->wmu);
    for (size_t i = 0; i < n && rc == HH_OK; i++) {
        struct find_args a = {&ids[i], &indexes[i]};
        rc = find_body(&q->writer, &a, NULL);
        found[i] = rc == HH_OK;
        if (rc == HH_ERR_NOT_FOUND)
            rc = HH_OK;
        else if (rc != HH_OK)
            rc = hh_error_set(err, rc, "finding statement ids in the log");
    }
    pthread_mutex_unlock(&q->wmu);
    return rc;
}

/* ---- checkpoints ---- */

/* Fills out from a (size, root, note, time) row; out->note is malloc'd and NUL-terminated. */
static hh_status row_checkpoint(const struct hh_sq_query *qr, struct hh_store_checkpoint *out,
                                struct hh_error *err)
{
    memset(out, 0, sizeof(*out));
    out->size = (uint64_t)hh_sq_int(qr, 0);
    if (!hh_sq_hash(qr, 1, &out->root))
        return hh_error_set(err, HH_ERR_IO, "checkpoint %" PRIu64 " is corrupt: root not %d bytes",
                            out->size, HH_HASH_LEN);
    out->note = hh_sq_dup(qr, 2, &out->note_len);
    if (out->note == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "copying the %zu-byte note of checkpoint %" PRIu64,
                            out->note_len, out->size);
    out->time = hh_sq_int(qr, 3);
    return HH_OK;
}

/* The checkpoint statement id selects, if any: *found, and out for a row. */
static hh_status one_checkpoint(struct hh_sq_conn *c, int id, const struct hh_sq_arg *args,
                                size_t nargs, bool *found, struct hh_store_checkpoint *out,
                                struct hh_error *err)
{
    struct hh_sq_query qr;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = hh_sq_first(c, id, args, nargs, "reading checkpoints", &qr, found, err);
    if (rc == HH_OK && *found)
        rc = row_checkpoint(&qr, out, err);
    hh_sq_end(&qr);
    if (rc != HH_OK)
        hh_store_checkpoint_clear(out);
    return rc;
}

/* The checkpoint rules of store.h against the stored state; *noop when already stored. */
static hh_status checkpoint_rules(struct hh_sq_conn *c, uint64_t size, const struct hh_hash *root,
                                  bool *noop, struct hh_error *err)
{
    struct hh_store_checkpoint last;
    uint64_t entries;
    bool found;
    hh_status rc;

    *noop = false;
    rc = one_checkpoint(c, ST_CP_LATEST, HH_SQ_NO_ARGS, &found, &last, err);
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

struct put_checkpoint_args {
    uint64_t size;
    const struct hh_hash *root;
    const char *note;
    size_t note_len;
};

/* Inserts the checkpoint unless the rules refuse it or it is already stored (a no-op). */
static hh_status put_checkpoint_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct put_checkpoint_args *a = arg;
    bool noop = false;
    hh_status rc;

    rc = checkpoint_rules(c, a->size, a->root, &noop, err);
    if (rc != HH_OK || noop)
        return rc;
    return hh_sq_run(c, ST_CP_INSERT,
                     HH_SQ_ARGS(HH_SQ_INT(a->size), HH_SQ_HASH(a->root),
                                HH_SQ_BYTES(a->note, a->note_len), HH_SQ_INT(time(NULL))),
                     "storing a checkpoint", err);
}

static const struct sq_write put_checkpoint_write = {"storing a checkpoint", put_checkpoint_body,
                                                     NULL};

static hh_status sq_put_checkpoint(struct hh_store *s, uint64_t size, const struct hh_hash *root,
                                   const char *note, size_t note_len, struct hh_error *err)
{
    struct put_checkpoint_args a = {size, root, note, note_len};

    return in_write_txn(s, &put_checkpoint_write, &a, err);
}

struct checkpoint_args {
    uint64_t size;
    struct hh_store_checkpoint *out;
};

static hh_status latest_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct checkpoint_args *a = arg;
    bool found = false;
    hh_status rc;

    rc = one_checkpoint(c, ST_CP_LATEST, HH_SQ_NO_ARGS, &found, a->out, err);
    if (rc == HH_OK && !found)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint has been stored yet");
    return rc;
}

static hh_status sq_latest_checkpoint(struct hh_store *s, struct hh_store_checkpoint *out,
                                      struct hh_error *err)
{
    struct checkpoint_args a = {0, out};

    return on_reader(s, latest_body, &a, err);
}

static hh_status checkpoint_at_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct checkpoint_args *a = arg;
    bool found = false;
    hh_status rc;

    rc = one_checkpoint(c, ST_CP_AT, HH_SQ_ARGS(HH_SQ_INT(a->size)), &found, a->out, err);
    if (rc == HH_OK && !found)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint of size %" PRIu64, a->size);
    return rc;
}

static hh_status sq_checkpoint_at(struct hh_store *s, uint64_t size,
                                  struct hh_store_checkpoint *out, struct hh_error *err)
{
    struct checkpoint_args a = {size, out};

    return on_reader(s, checkpoint_at_body, &a, err);
}

struct each_checkpoint_args {
    hh_store_checkpoint_fn fn;
    void *ctx;
};

static hh_status each_checkpoint_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct each_checkpoint_args *a = arg;
    struct hh_store_checkpoint cp;
    struct hh_sq_query qr;
    bool row = false, stop = false;
    hh_status rc;

    rc = hh_sq_start(c, ST_CP_ALL, HH_SQ_NO_ARGS, "reading checkpoints", &qr, err);
    while (rc == HH_OK && !stop && (rc = hh_sq_next(&qr, &row, err)) == HH_OK && row) {
        rc = row_checkpoint(&qr, &cp, err);
        if (rc == HH_OK)
            stop = a->fn(a->ctx, &cp) != 0;
        hh_store_checkpoint_clear(&cp);
    }
    hh_sq_end(&qr);
    return rc;
}

static hh_status sq_each_checkpoint(struct hh_store *s, hh_store_checkpoint_fn fn, void *ctx,
                                    struct hh_error *err)
{
    struct each_checkpoint_args a = {fn, ctx};

    return on_reader(s, each_checkpoint_body, &a, err);
}

/* ---- blobs ---- */

struct blob_args {
    const struct hh_hash *id;
    const uint8_t *data; /* put */
    size_t len;
    uint8_t **out; /* get */
    size_t *out_len;
};

static hh_status put_blob_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct blob_args *a = arg;

    return hh_sq_run(c, ST_BLOB_PUT, HH_SQ_ARGS(HH_SQ_HASH(a->id), HH_SQ_BYTES(a->data, a->len)),
                     "storing a blob", err);
}

static const struct sq_write put_blob_write = {"storing a blob", put_blob_body, NULL};

static hh_status sq_put_blob(struct hh_store *s, const struct hh_hash *id, const uint8_t *data,
                             size_t len, struct hh_error *err)
{
    struct blob_args a = {id, data, len, NULL, NULL};

    return in_write_txn(s, &put_blob_write, &a, err);
}

static hh_status get_blob_body(struct hh_sq_conn *c, void *arg, struct hh_error *err)
{
    struct blob_args *a = arg;
    char hex[2 * HH_HASH_LEN + 1];
    struct hh_sq_query qr;
    bool row = false;
    hh_status rc;

    rc = hh_sq_first(c, ST_BLOB_GET, HH_SQ_ARGS(HH_SQ_HASH(a->id)), "reading a blob", &qr, &row,
                     err);
    if (rc == HH_OK && row) {
        *a->out = (uint8_t *)hh_sq_dup(&qr, 0, a->out_len);
        if (*a->out == NULL)
            rc = hh_error_set(err, HH_ERR_NOMEM, "copying a blob of %zu bytes", *a->out_len);
    }
    hh_sq_end(&qr);
    if (rc == HH_OK && !row) {
        hh_hash_to_hex(a->id, hex);
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "blob %s not found", hex);
    }
    return rc;
}

static hh_status sq_get_blob(struct hh_store *s, const struct hh_hash *id, uint8_t **data,
                             size_t *len, struct hh_error *err)
{
    struct blob_args a = {id, NULL, 0, data, len};

    return on_reader(s, get_blob_body, &a, err);
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
    .find_ids = sq_find_ids,
    .put_checkpoint = sq_put_checkpoint,
    .latest_checkpoint = sq_latest_checkpoint,
    .checkpoint_at = sq_checkpoint_at,
    .each_checkpoint = sq_each_checkpoint,
    .put_blob = sq_put_blob,
    .get_blob = sq_get_blob,
};
