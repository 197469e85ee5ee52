/*
 * bundle_pipeline.c - fetch threads, check threads and in-order delivery
 * (bundle_pipeline.h).
 *
 * Bundle n lives in slot (n - first) % window from the moment a fetch
 * thread claims it until the calling thread has delivered it; a fetch
 * thread claims n only when n < delivered + window, so no slot is reused
 * before its bundle is delivered, and at most `window` bundles are held.
 * A slot is FETCHING (owned by its fetch thread), CHECKING (its entries
 * split into tasks of CHUNK entries, each owned by the check thread that
 * took it; the slot's counters are changed under the mutex only), then DONE
 * (owned by the calling thread). One mutex guards the slots' states, the
 * task queue and the counters; no I/O and no checking is done while it is
 * held. The queue never overflows: it holds the tasks of at most `window`
 * bundles. When delivery ends (all delivered, or an error), `stop` makes
 * every thread finish without further work, and the calling thread joins
 * them before freeing anything.
 */
#include <henhouse/client/bundle_pipeline.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <henhouse/client/envelope.h>

#define CHUNK             32 /* entries per check task */
#define CHUNKS_PER_BUNDLE (HH_TILE_WIDTH / CHUNK)

enum slot_state { SLOT_FREE, SLOT_FETCHING, SLOT_CHECKING, SLOT_DONE };

struct slot {
    enum slot_state state;
    unsigned pending; /* check tasks not yet finished */
    struct hh_bundle b;
};

struct task {
    struct slot *s;
    uint16_t lo, hi; /* entries lo..hi-1 of the bundle */
};

struct run;

struct fetcher {
    struct run *r;
    void **conn; /* the caller's connection, or &own */
    void *own;
    pthread_t th;
    bool started;
};

struct run {
    const struct hh_pipeline *p;
    uint64_t first, end; /* bundles first..end-1 */
    unsigned window;
    struct slot *slots;
    struct task *queue; /* a ring of qcap tasks */
    size_t qcap, qhead, qlen;
    pthread_mutex_t mu;
    pthread_cond_t fetch_cv, work_cv, done_cv;
    uint64_t next_fetch, delivered; /* the next bundle to claim, and to deliver */
    unsigned fetchers_left;
    atomic_bool stop;
    struct fetcher fetchers[HH_PIPELINE_MAX_FETCHES];
    pthread_t workers[HH_PIPELINE_MAX_THREADS];
    unsigned nworkers;
};

unsigned hh_pipeline_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > HH_PIPELINE_MAX_THREADS ? HH_PIPELINE_MAX_THREADS : (unsigned)n;
}

static void bundle_clear(struct hh_bundle *b)
{
    free(b->data);
    free(b->hashes);
    memset(b, 0, sizeof(*b));
}

/* ---- fetch threads ---- */

/* The next bundle to fetch, in its slot (FETCHING), or NULL when there is none. */
static struct slot *claim(struct run *r)
{
    struct slot *s = NULL;

    pthread_mutex_lock(&r->mu);
    while (!atomic_load(&r->stop) && r->next_fetch < r->end &&
           r->next_fetch >= r->delivered + r->window)
        pthread_cond_wait(&r->fetch_cv, &r->mu);
    if (!atomic_load(&r->stop) && r->next_fetch < r->end) {
        uint64_t n = r->next_fetch++;
        s = &r->slots[(n - r->first) % r->window];
        s->state = SLOT_FETCHING;
        s->pending = 0;
        if (hh_tile_for_size(true, 0, n, r->p->size, &s->b.tile) != HH_OK)
            s->b.rc = hh_error_set(&s->b.err, HH_ERR_INTERNAL, "bundle %llu is not in the tree",
                                   (unsigned long long)n);
        s->b.bad = s->b.tile.width;
    }
    pthread_mutex_unlock(&r->mu);
    return s;
}

static const char *tile_name(const struct hh_tile *t, char buf[HH_TILE_PATH_MAX])
{
    if (hh_tile_path(t, buf, HH_TILE_PATH_MAX) != HH_OK)
        return "(invalid tile)";
    return buf;
}

/* GETs tile t through conn (opened first if needed); on failure *data is NULL. */
static hh_status get_tile(const struct hh_tile_source *src, void **conn, const struct hh_tile *t,
                          size_t max, uint8_t **data, size_t *len, struct hh_error *err)
{
    hh_status rc = HH_OK;

    *data = NULL;
    *len = 0;
    if (*conn == NULL)
        rc = src->open(src->ctx, conn, err);
    if (rc == HH_OK)
        rc = src->tile(*conn, t, max, data, len, err);
    if (rc != HH_OK) {
        free(*data);
        *data = NULL;
        *len = 0;
    }
    return rc;
}

/* Fetches and frames bundle b, and its level-0 hash tile when asked. */
static void fetch_bundle(struct run *r, void **conn, struct hh_bundle *b)
{
    const struct hh_tile_source *src = r->p->src;
    struct hh_error inner = {0};
    char path[HH_TILE_PATH_MAX];
    struct hh_tile ht = b->tile;

    if (b->rc == HH_OK)
        b->rc = get_tile(src, conn, &b->tile, (size_t)b->tile.width * (2 + HH_ENTRY_MAX), &b->data,
                         &b->len, &b->err);
    if (b->rc == HH_OK &&
        hh_bundle_parse(b->data, b->len, b->tile.width, b->entries, b->lens, &inner) != HH_OK)
        b->rc = hh_error_set(&b->err, HH_ERR_VERIFY, "%s: malformed entry bundle: %s",
                             tile_name(&b->tile, path), inner.msg);
    if (b->rc != HH_OK || !r->p->hash_tiles)
        return;
    ht.entries = false;
    b->hashes_rc = get_tile(src, conn, &ht, (size_t)ht.width * HH_HASH_LEN, &b->hashes,
                            &b->hashes_len, &b->hashes_err);
}

/* Queues the check tasks of a fetched slot, or marks it DONE when it has no entries. */
static void queue_checks(struct run *r, struct slot *s)
{
    uint16_t width = s->b.tile.width;

    pthread_mutex_lock(&r->mu);
    if (s->b.rc != HH_OK) {
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&r->done_cv);
    } else {
        s->state = SLOT_CHECKING;
        for (uint16_t lo = 0; lo < width; lo += CHUNK) {
            struct task t = {s, lo, (uint16_t)(lo + CHUNK < width ? lo + CHUNK : width)};
            r->queue[(r->qhead + r->qlen++) % r->qcap] = t;
            s->pending++;
        }
        pthread_cond_broadcast(&r->work_cv);
    }
    pthread_mutex_unlock(&r->mu);
}

static void *fetch_main(void *arg)
{
    struct fetcher *f = arg;
    struct run *r = f->r;
    struct slot *s;

    while ((s = claim(r)) != NULL) {
        fetch_bundle(r, f->conn, &s->b);
        queue_checks(r, s);
    }
    if (f->own != NULL)
        r->p->src->close(f->own);
    pthread_mutex_lock(&r->mu);
    if (--r->fetchers_left == 0)
        pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- check threads ---- */

/* The next task; false when there will be none (every fetch thread is done, or stop). */
static bool take(struct run *r, struct task *t)
{
    bool ok;

    pthread_mutex_lock(&r->mu);
    while (r->qlen == 0 && r->fetchers_left > 0 && !atomic_load(&r->stop))
        pthread_cond_wait(&r->work_cv, &r->mu);
    ok = r->qlen > 0;
    if (ok) {
        *t = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qlen--;
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/*
 * Hashes the task's entries and checks the envelopes of those at or after
 * `from`; *bad gets the first that fails (the bundle's width if none). Past
 * a failure only hashes are computed: the lowest failure is what counts.
 */
static void check_task(const struct run *r, struct hh_entry_scratch *sc, const struct task *t,
                       size_t *bad, struct hh_error *bad_err)
{
    struct hh_bundle *b = &t->s->b;
    uint64_t base = b->tile.index * HH_TILE_WIDTH;

    *bad = b->tile.width;
    if (atomic_load(&r->stop))
        return;
    for (size_t i = t->lo; i < t->hi; i++) {
        hh_merkle_leaf_hash(b->entries[i], b->lens[i], &b->leaves[i]);
        if (*bad < b->tile.width || base + i < r->p->from)
            continue;
        if (hh_entry_check(sc, b->entries[i], b->lens[i], r->p->signers, r->p->nsigners, bad_err) !=
            HH_OK)
            *bad = i;
    }
}

static void finish_task(struct run *r, const struct task *t, size_t bad,
                        const struct hh_error *bad_err)
{
    struct slot *s = t->s;

    pthread_mutex_lock(&r->mu);
    if (bad < s->b.bad) {
        s->b.bad = bad;
        s->b.bad_err = *bad_err;
    }
    if (--s->pending == 0) {
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&r->done_cv);
    }
    pthread_mutex_unlock(&r->mu);
}

static void *check_main(void *arg)
{
    struct run *r = arg;
    struct hh_entry_scratch *scratch = NULL;
    struct hh_error bad_err;
    struct task t;
    size_t bad;

    if (hh_entry_scratch_new(&scratch, NULL) != HH_OK)
        scratch = NULL; /* hh_entry_check then takes the slow path: slower, as correct */
    while (take(r, &t)) {
        memset(&bad_err, 0, sizeof(bad_err));
        check_task(r, scratch, &t, &bad, &bad_err);
        finish_task(r, &t, bad, &bad_err);
    }
    hh_entry_scratch_free(scratch);
    return NULL;
}

/* ---- the calling thread ---- */

static hh_status deliver_all(struct run *r, struct hh_error *err)
{
    hh_status rc = HH_OK;

    for (uint64_t n = r->first; n < r->end && rc == HH_OK; n++) {
        struct slot *s = &r->slots[(n - r->first) % r->window];
        pthread_mutex_lock(&r->mu);
        while (s->state != SLOT_DONE)
            pthread_cond_wait(&r->done_cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
        rc = r->p->deliver(r->p->ctx, &s->b, err);
        bundle_clear(&s->b);
        pthread_mutex_lock(&r->mu);
        s->state = SLOT_FREE;
        r->delivered = n + 1;
        pthread_cond_broadcast(&r->fetch_cv);
        pthread_mutex_unlock(&r->mu);
    }
    return rc;
}

static void stop_and_join(struct run *r)
{
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->stop, true);
    pthread_cond_broadcast(&r->fetch_cv);
    pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
    for (unsigned i = 0; i < HH_PIPELINE_MAX_FETCHES; i++)
        if (r->fetchers[i].started)
            pthread_join(r->fetchers[i].th, NULL);
    for (unsigned i = 0; i < r->nworkers; i++)
        pthread_join(r->workers[i], NULL);
}

/* Starts up to nfetch fetch threads and nwork check threads; false unless one of each runs. */
static bool start_threads(struct run *r, unsigned nfetch, unsigned nwork)
{
    unsigned fetching = 0;

    r->fetchers_left = nfetch;
    for (unsigned i = 0; i < nfetch; i++) {
        struct fetcher *f = &r->fetchers[i];
        f->r = r;
        f->conn = r->p->conns != NULL ? &r->p->conns[i] : &f->own;
        f->started = pthread_create(&f->th, NULL, fetch_main, f) == 0;
        fetching += f->started;
    }
    pthread_mutex_lock(&r->mu);
    r->fetchers_left -= nfetch - fetching; /* those that started count themselves down */
    pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
    for (unsigned i = 0; i < nwork; i++)
        if (pthread_create(&r->workers[r->nworkers], NULL, check_main, r) == 0)
            r->nworkers++;
    return fetching > 0 && r->nworkers > 0;
}

static void run_free(struct run *r)
{
    if (r == NULL)
        return;
    for (unsigned i = 0; r->slots != NULL && i < r->window; i++)
        bundle_clear(&r->slots[i].b);
    free(r->slots);
    free(r->queue);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->fetch_cv);
    pthread_cond_destroy(&r->work_cv);
    pthread_cond_destroy(&r->done_cv);
    free(r);
}

static unsigned window_for(const struct hh_pipeline *p, uint64_t nbundles)
{
    uint64_t w = p->window != 0 ? p->window : 4 * (uint64_t)p->threads + 2 * p->fetches;

    if (w > HH_PIPELINE_MAX_WINDOW)
        w = HH_PIPELINE_MAX_WINDOW;
    return (unsigned)(w < nbundles ? w : nbundles);
}

static hh_status run_new(const struct hh_pipeline *p, struct run **out, struct hh_error *err)
{
    struct run *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->fetch_cv, NULL);
    pthread_cond_init(&r->work_cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    r->p = p;
    r->first = r->next_fetch = r->delivered = p->from / HH_TILE_WIDTH;
    r->end = p->size / HH_TILE_WIDTH + (p->size % HH_TILE_WIDTH != 0);
    r->window = window_for(p, r->end - r->first);
    r->qcap = (size_t)r->window * CHUNKS_PER_BUNDLE;
    r->slots = calloc(r->window, sizeof(*r->slots));
    r->queue = calloc(r->qcap, sizeof(*r->queue));
    if (r->slots == NULL || r->queue == NULL) {
        run_free(r);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory for %u bundles", r->window);
    }
    *out = r;
    return HH_OK;
}

static hh_status check_options(const struct hh_pipeline *p, struct hh_error *err)
{
    if (p->src == NULL || p->deliver == NULL)
        return hh_error_set(err, HH_ERR_INVALID,
                            "a pipeline needs a source and a deliver function");
    if (p->threads < 1 || p->threads > HH_PIPELINE_MAX_THREADS)
        return hh_error_set(err, HH_ERR_INVALID, "threads must be 1..%d", HH_PIPELINE_MAX_THREADS);
    if (p->fetches < 1 || p->fetches > HH_PIPELINE_MAX_FETCHES)
        return hh_error_set(err, HH_ERR_INVALID, "fetches must be 1..%d", HH_PIPELINE_MAX_FETCHES);
    if (p->window > HH_PIPELINE_MAX_WINDOW)
        return hh_error_set(err, HH_ERR_INVALID, "window must be at most %d",
                            HH_PIPELINE_MAX_WINDOW);
    if (p->nsigners > 0 && p->signers == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "signers missing");
    return HH_OK;
}

hh_status hh_pipeline_run(const struct hh_pipeline *p, struct hh_error *err)
{
    struct run *r = NULL;
    uint64_t nbundles;
    hh_status rc = check_options(p, err);

    if (rc != HH_OK || p->from >= p->size)
        return rc;
    rc = run_new(p, &r, err);
    if (rc != HH_OK)
        return rc;
    nbundles = r->end - r->first;
    if (start_threads(r, p->fetches < nbundles ? p->fetches : (unsigned)nbundles,
                      p->threads < nbundles * CHUNKS_PER_BUNDLE
                          ? p->threads
                          : (unsigned)(nbundles * CHUNKS_PER_BUNDLE)))
        rc = deliver_all(r, err);
    else
        rc = hh_error_set(err, HH_ERR_INTERNAL, "cannot start the pipeline's threads");
    stop_and_join(r);
    run_free(r);
    return rc;
}
