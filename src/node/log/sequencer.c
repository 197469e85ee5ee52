/*
 * sequencer.c - group commit of submissions into the log (see sequencer.h).
 *
 * The queue is a plain array under one mutex; the sequencer thread takes all
 * that is queued (up to batch_max) whenever it is idle. New subtree hashes
 * are computed in a tree batch (tree_batch.h) in front of the store, so one
 * group costs one store transaction whatever its size. Submitters that asked
 * for a checkpoint wait in a list owned by the sequencer thread until one
 * covering their entry is signed.
 */
#include "log/sequencer.h"

#include "log/tree_batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct item {
    struct hh_hash id;
    uint8_t *data;
    size_t len;
    bool want_checkpoint;
    hh_sequenced_fn done;
    void *ctx;
    /* filled while the batch runs */
    struct hh_sequenced result;
};

/* A submitter waiting for a checkpoint that covers result.index. */
struct waiter {
    hh_sequenced_fn done;
    void *ctx;
    struct hh_sequenced result;
};

struct hh_sequencer {
    struct hh_store *store;
    char origin[HH_ORIGIN_MAX + 1];
    const struct hh_signer *log_key;
    uint32_t checkpoint_interval_ms, batch_max, queue_max;
    void (*on_checkpoint)(void *ctx, uint64_t size);
    void *ctx;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct item *queue;
    size_t nqueue, capqueue;
    bool stopping, halted;
    bool joined; /* the thread has exited (only the stopping thread reads or writes this) */
    struct hh_error last_error;

    /* the latest signed checkpoint, guarded by mu */
    char *cp_note;
    size_t cp_len;
    uint64_t cp_size;
    struct hh_hash cp_root;
    bool have_cp;

    /* owned by the sequencer thread */
    uint64_t committed;   /* the store's size after the last commit */
    int64_t last_sign_ms; /* when the last checkpoint was signed (monotonic) */
    struct waiter *waiters;
    size_t nwaiters, capwaiters;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static hh_status append_entries(struct hh_sequencer *q, uint64_t old_size,
                                const struct hh_store_entry *entries, size_t n,
                                struct hh_error *err)
{
    struct hh_tree_batch *b = NULL;
    const struct hh_subtree_id *ids = NULL;
    const struct hh_hash *hashes = NULL;
    size_t nnodes = 0;
    hh_status rc = hh_tree_batch_new(q->store, old_size, old_size + n, &b, err);

    for (size_t i = 0; rc == HH_OK && i < n; i++) {
        struct hh_hash leaf;
        hh_merkle_leaf_hash(entries[i].data, entries[i].len, &leaf);
        rc = hh_tree_batch_add(b, &leaf, err);
    }
    if (rc == HH_OK) {
        hh_tree_batch_nodes(b, &ids, &hashes, &nnodes);
        rc = hh_store_append(q->store, old_size, entries, n, ids, hashes, nnodes, err);
    }
    hh_tree_batch_free(b);
    return rc;
}

/* Proves size extends the cached checkpoint, then signs and stores a checkpoint of size. */
static hh_status sign_checkpoint(struct hh_sequencer *q, uint64_t size, struct hh_error *err)
{
    struct hh_hash_reader r = hh_store_hash_reader(q->store);
    struct hh_checkpoint cp;
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    char text[HH_CHECKPOINT_TEXT_MAX];
    char *note = NULL;
    size_t np = 0, text_len = 0, note_len = 0;
    hh_status rc;

    memset(&cp, 0, sizeof(cp));
    if (q->have_cp && q->cp_size == size)
        return HH_OK;
    rc = hh_merkle_root(&r, size, &cp.root, err);
    if (rc == HH_OK && q->have_cp && q->cp_size > 0) {
        rc = hh_merkle_consistency_proof(&r, q->cp_size, size, proof, &np, err);
        if (rc == HH_OK)
            rc = hh_merkle_verify_consistency(q->cp_size, size, &q->cp_root, &cp.root, proof, np,
                                              err);
        if (rc != HH_OK) {
            hh_error_prefix(err, HH_ERR_INTERNAL,
                            "refusing to sign: size %llu does not extend checkpoint %llu",
                            (unsigned long long)size, (unsigned long long)q->cp_size);
            return HH_ERR_INTERNAL;
        }
    }
    if (rc != HH_OK)
        return rc;
    memcpy(cp.origin, q->origin, sizeof(cp.origin));
    cp.size = size;
    rc = hh_checkpoint_format(&cp, text, sizeof(text), &text_len);
    if (rc == HH_OK)
        rc = hh_note_sign(q->log_key, text, text_len, &note, &note_len, err);
    if (rc == HH_OK)
        rc = hh_store_put_checkpoint(q->store, size, &cp.root, note, note_len, err);
    if (rc != HH_OK) {
        free(note);
        return rc;
    }
    pthread_mutex_lock(&q->mu);
    free(q->cp_note);
    q->cp_note = note;
    q->cp_len = note_len;
    q->cp_size = size;
    q->cp_root = cp.root;
    q->have_cp = true;
    pthread_mutex_unlock(&q->mu);
    q->last_sign_ms = now_ms();
    if (q->on_checkpoint != NULL)
        q->on_checkpoint(q->ctx, size);
    return HH_OK;
}

static int cmp_item_id(const void *a, const void *b)
{
    const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;
    int c = memcmp(x->id.b, y->id.b, HH_HASH_LEN);
    return c != 0 ? c : (x < y ? -1 : x > y);
}

/* Sets primary[i] to the first item with the same id as item i (itself when none before). */
static void mark_repeats(struct item *items, size_t n, size_t *primary, struct item **sorted)
{
    for (size_t i = 0; i < n; i++) {
        sorted[i] = &items[i];
        primary[i] = i;
    }
    qsort(sorted, n, sizeof(*sorted), cmp_item_id);
    for (size_t i = 1; i < n; i++)
        if (memcmp(sorted[i]->id.b, sorted[i - 1]->id.b, HH_HASH_LEN) == 0)
            primary[sorted[i] - items] = primary[sorted[i - 1] - items];
}

/*
 * Marks duplicates: already in the store (result set), or repeated in the
 * batch (primary[i] is the index of the first item with the same id).
 * Returns the number of new entries, written to entries in batch order; on
 * a store error every item fails with it and none is new.
 */
static size_t dedup(struct hh_sequencer *q, struct item *items, size_t n, size_t *primary,
                    struct item **sorted, struct hh_store_entry *entries, struct hh_error *err)
{
    struct hh_hash *ids = malloc(n * sizeof(*ids));
    uint64_t *indexes = malloc(n * sizeof(*indexes));
    bool *found = malloc(n * sizeof(*found));
    size_t nnew = 0;
    hh_status rc = ids != NULL && indexes != NULL && found != NULL
                       ? HH_OK
                       : hh_error_set(err, HH_ERR_NOMEM, "out of memory for a batch of %zu", n);

    mark_repeats(items, n, primary, sorted);
    for (size_t i = 0; rc == HH_OK && i < n; i++)
        ids[i] = items[i].id;
    if (rc == HH_OK)
        rc = hh_store_find_ids(q->store, ids, n, indexes, found, err);
    for (size_t i = 0; i < n; i++) {
        if (primary[i] != i)
            continue;
        items[i].result.rc = rc;
        if (rc != HH_OK)
            continue;
        items[i].result.index = indexes[i];
        items[i].result.duplicate = found[i];
        if (found[i])
            continue;
        entries[nnew].id = items[i].id;
        entries[nnew].data = items[i].data;
        entries[nnew++].len = items[i].len;
    }
    free(ids);
    free(indexes);
    free(found);
    return nnew;
}

/* Answers every waiter: with the latest checkpoint, or with rc when signing failed. */
static void answer_waiters(struct hh_sequencer *q, hh_status rc)
{
    for (size_t i = 0; i < q->nwaiters; i++) {
        struct waiter *w = &q->waiters[i];
        if (rc != HH_OK)
            w->result.rc = rc;
        if (w->result.rc == HH_OK) {
            w->result.checkpoint = q->cp_note; /* only this thread replaces it */
            w->result.checkpoint_len = q->cp_len;
        }
        w->done(w->ctx, &w->result);
    }
    q->nwaiters = 0;
}

/* Keeps it until a checkpoint covers its entry; false when out of memory. */
static bool add_waiter(struct hh_sequencer *q, const struct item *it)
{
    if (q->nwaiters == q->capwaiters) {
        size_t cap = q->capwaiters ? q->capwaiters * 2 : 256;
        struct waiter *bigger = realloc(q->waiters, cap * sizeof(*bigger));
        if (bigger == NULL)
            return false;
        q->waiters = bigger;
        q->capwaiters = cap;
    }
    q->waiters[q->nwaiters].done = it->done;
    q->waiters[q->nwaiters].ctx = it->ctx;
    q->waiters[q->nwaiters++].result = it->result;
    return true;
}

/*
 * Tells every submitter of the group its outcome: at once, or for those who
 * asked for a checkpoint and whose entry is not yet covered by one, once a
 * covering checkpoint is signed.
 */
static void deliver(struct hh_sequencer *q, struct item *items, size_t n, const size_t *primary)
{
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];
        if (primary[i] != i) {
            it->result = items[primary[i]].result;
            it->result.duplicate = true;
        }
        bool covered = q->have_cp && it->result.index < q->cp_size;
        if (it->want_checkpoint && it->result.rc == HH_OK && !covered && add_waiter(q, it))
            continue;
        if (it->want_checkpoint && it->result.rc == HH_OK && !covered)
            it->result.rc = HH_ERR_NOMEM;
        if (it->want_checkpoint && it->result.rc == HH_OK) {
            it->result.checkpoint = q->cp_note;
            it->result.checkpoint_len = q->cp_len;
        }
        it->done(it->ctx, &it->result);
    }
}

static void halt(struct hh_sequencer *q, const struct hh_error *err)
{
    pthread_mutex_lock(&q->mu);
    q->last_error = *err;
    if (err->code == HH_ERR_INTERNAL)
        q->halted = true;
    pthread_mutex_unlock(&q->mu);
}

static void fail_all(struct item *items, size_t n, hh_status rc)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].result.rc == HH_OK && !items[i].result.duplicate)
            items[i].result.rc = rc;
}

/* Dedups, commits and acknowledges one group; checkpoints are signed separately. */
static void run_batch(struct hh_sequencer *q, struct item *items, size_t n)
{
    struct hh_error err = {0};
    size_t *primary = malloc(n * sizeof(*primary));
    struct item **sorted = malloc(n * sizeof(*sorted));
    struct hh_store_entry *entries = malloc(n * sizeof(*entries));
    uint64_t size = q->committed;
    size_t nnew = 0;
    hh_status rc = HH_OK;

    if (primary == NULL || sorted == NULL || entries == NULL) {
        rc = hh_error_set(&err, HH_ERR_NOMEM, "out of memory for a batch of %zu", n);
        for (size_t i = 0; primary != NULL && i < n; i++)
            primary[i] = i;
        fail_all(items, n, rc);
        goto out;
    }
    nnew = dedup(q, items, n, primary, sorted, entries, &err);
    if (err.code != HH_OK) /* the lookup failed: submitters are told why */
        halt(q, &err);
    if (nnew > 0)
        rc = append_entries(q, size, entries, nnew, &err);
    for (size_t i = 0, k = 0; rc == HH_OK && i < n; i++)
        if (primary[i] == i && !items[i].result.duplicate && items[i].result.rc == HH_OK)
            items[i].result.index = size + k++;
    if (rc == HH_OK) {
        q->committed = size + nnew;
    } else {
        fail_all(items, n, rc);
        halt(q, &err);
    }
out:
    if (primary != NULL)
        deliver(q, items, n, primary);
    for (size_t i = 0; i < n; i++)
        free(items[i].data);
    free(primary);
    free(sorted);
    free(entries);
}

/* Signs a checkpoint of everything committed when one is due (or when forced). */
static void sign_if_due(struct hh_sequencer *q, bool force)
{
    struct hh_error err = {0};
    hh_status rc;

    if (q->have_cp && q->committed == q->cp_size) {
        answer_waiters(q, HH_OK);
        return;
    }
    if (!force && now_ms() - q->last_sign_ms < (int64_t)q->checkpoint_interval_ms)
        return;
    rc = sign_checkpoint(q, q->committed, &err);
    if (rc != HH_OK)
        halt(q, &err);
    answer_waiters(q, rc);
}

static void deadline_after(struct timespec *ts, uint32_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* True when committed entries wait for a checkpoint; read under q->mu by the sequencer thread. */
static bool checkpoint_owed(const struct hh_sequencer *q)
{
    return !q->halted && (!q->have_cp || q->committed > q->cp_size);
}

/*
 * Waits under q->mu until something is queued, the sequencer stops, or an
 * owed checkpoint falls due.
 */
static void wait_for_work(struct hh_sequencer *q)
{
    while (!q->stopping && q->nqueue == 0) {
        struct timespec deadline;
        int64_t left;
        if (!checkpoint_owed(q)) {
            pthread_cond_wait(&q->cond, &q->mu);
            continue;
        }
        left = q->last_sign_ms + (int64_t)q->checkpoint_interval_ms - now_ms();
        if (left <= 0)
            return;
        deadline_after(&deadline, (uint32_t)left);
        pthread_cond_timedwait(&q->cond, &q->mu, &deadline);
    }
}

/* Takes all that is queued, up to batch_max, under q->mu; NULL when nothing is (or no memory). */
static struct item *take_batch(struct hh_sequencer *q, size_t *n)
{
    struct item *batch;

    *n = 0;
    if (q->nqueue == 0)
        return NULL;
    *n = q->nqueue < q->batch_max ? q->nqueue : q->batch_max;
    batch = malloc(*n * sizeof(*batch));
    if (batch == NULL)
        return NULL; /* retried on the next round */
    memcpy(batch, q->queue, *n * sizeof(*batch));
    memmove(q->queue, q->queue + *n, (q->nqueue - *n) * sizeof(*batch));
    q->nqueue -= *n;
    return batch;
}

static void *sequencer_main(void *arg)
{
    struct hh_sequencer *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        size_t n = 0;
        wait_for_work(q);
        struct item *batch = take_batch(q, &n);
        bool last = q->stopping && q->nqueue == 0;
        pthread_mutex_unlock(&q->mu);
        if (batch != NULL)
            run_batch(q, batch, n);
        free(batch);
        sign_if_due(q, last);
        pthread_mutex_lock(&q->mu);
        if (last)
            break;
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* Loads the latest checkpoint and signs one for entries a crash left uncheckpointed. */
static hh_status recover(struct hh_sequencer *q, struct hh_error *err)
{
    struct hh_store_checkpoint c;
    uint64_t size = 0;
    hh_status rc = hh_store_latest_checkpoint(q->store, &c, err);

    if (rc == HH_OK) {
        q->cp_note = c.note;
        q->cp_len = c.note_len;
        q->cp_size = c.size;
        q->cp_root = c.root;
        q->have_cp = true;
    } else if (rc != HH_ERR_NOT_FOUND) {
        return rc;
    }
    rc = hh_store_size(q->store, &size, err);
    q->committed = size;
    if (rc == HH_OK)
        rc = sign_checkpoint(q, size, err);
    return rc;
}

hh_status hh_sequencer_start(struct hh_store *store, const struct hh_sequencer_config *cfg,
                             struct hh_sequencer **out, struct hh_error *err)
{
    struct hh_sequencer *q;
    size_t olen = strlen(cfg->origin);
    hh_status rc;

    *out = NULL;
    if (olen == 0 || olen > HH_ORIGIN_MAX || cfg->batch_max == 0 || cfg->queue_max == 0)
        return hh_error_set(err, HH_ERR_INVALID, "bad sequencer configuration");
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    q->store = store;
    memcpy(q->origin, cfg->origin, olen + 1);
    q->log_key = cfg->log_key;
    q->checkpoint_interval_ms = cfg->checkpoint_interval_ms;
    q->batch_max = cfg->batch_max;
    q->queue_max = cfg->queue_max;
    q->on_checkpoint = cfg->on_checkpoint;
    q->ctx = cfg->ctx;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    rc = recover(q, err);
    if (rc == HH_OK && pthread_create(&q->thread, NULL, sequencer_main, q) != 0)
        rc = hh_error_set(err, HH_ERR_INTERNAL, "cannot start the sequencer thread");
    if (rc != HH_OK) {
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->cond);
        free(q->cp_note);
        free(q);
        return rc;
    }
    *out = q;
    return HH_OK;
}

static hh_status enqueue_locked(struct hh_sequencer *q, const struct item *it, struct hh_error *err)
{
    if (q->stopping)
        return hh_error_set(err, HH_ERR_CONFLICT, "the node is shutting down");
    if (q->halted)
        return hh_error_set(err, HH_ERR_CONFLICT, "sequencing halted: %s", q->last_error.msg);
    if (q->nqueue >= q->queue_max)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "submission queue full (%u)", q->queue_max);
    if (q->nqueue == q->capqueue) {
        size_t cap = q->capqueue ? q->capqueue * 2 : 1024;
        struct item *bigger = realloc(q->queue, cap * sizeof(*bigger));
        if (bigger == NULL)
            return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
        q->queue = bigger;
        q->capqueue = cap;
    }
    q->queue[q->nqueue++] = *it;
    pthread_cond_signal(&q->cond);
    return HH_OK;
}

hh_status hh_sequencer_submit(struct hh_sequencer *q, const struct hh_hash *id, const uint8_t *data,
                              size_t len, bool want_checkpoint, hh_sequenced_fn done, void *ctx,
                              struct hh_error *err)
{
    struct item it;
    hh_status rc;

    memset(&it, 0, sizeof(it));
    if (len == 0 || len > HH_ENTRY_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "an entry is 1..%d bytes", HH_ENTRY_MAX);
    it.id = *id;
    it.len = len;
    it.want_checkpoint = want_checkpoint;
    it.done = done;
    it.ctx = ctx;
    it.data = malloc(len);
    if (it.data == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    memcpy(it.data, data, len);
    pthread_mutex_lock(&q->mu);
    rc = enqueue_locked(q, &it, err);
    pthread_mutex_unlock(&q->mu);
    if (rc != HH_OK)
        free(it.data);
    return rc;
}

hh_status hh_sequencer_checkpoint(struct hh_sequencer *q, char **note, size_t *len, uint64_t *size,
                                  struct hh_error *err)
{
    hh_status rc = HH_OK;

    *note = NULL;
    *len = 0;
    *size = 0;
    pthread_mutex_lock(&q->mu);
    if (!q->have_cp) {
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint signed yet");
    } else if ((*note = malloc(q->cp_len + 1)) == NULL) {
        rc = hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    } else {
        memcpy(*note, q->cp_note, q->cp_len);
        (*note)[q->cp_len] = '\0';
        *len = q->cp_len;
        *size = q->cp_size;
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

hh_status hh_sequencer_size(struct hh_sequencer *q, uint64_t *size, struct hh_error *err)
{
    hh_status rc = HH_OK;

    pthread_mutex_lock(&q->mu);
    *size = q->cp_size;
    if (!q->have_cp)
        rc = hh_error_set(err, HH_ERR_NOT_FOUND, "no checkpoint signed yet");
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void hh_sequencer_last_error(struct hh_sequencer *q, struct hh_error *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->last_error;
    pthread_mutex_unlock(&q->mu);
}

void hh_sequencer_quiesce(struct hh_sequencer *q)
{
    if (q == NULL || q->joined)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    q->joined = true;
}

void hh_sequencer_stop(struct hh_sequencer *q)
{
    if (q == NULL)
        return;
    hh_sequencer_quiesce(q);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cond);
    free(q->queue);
    free(q->waiters);
    free(q->cp_note);
    free(q);
}
