/*
 * test_sequencer.c - the sequencer (log/sequencer.h) on a real SQLite store:
 * de-duplication within a group and against the log (the existing index,
 * duplicate set, nothing appended, no new checkpoint), consecutive indexes,
 * indexes told at commit and checkpoints at most every
 * checkpoint_interval_ms, the checkpoint handed to those who wait for one
 * (verified with the log key, covering their index, committing to the
 * stored tree), the checkpoint signed at start for entries a crash left
 * uncheckpointed, quiesce (commits what is queued, then refuses), the queue
 * limit and the entry size limits.
 *
 * Groups are made deterministic with a gate: a first submission whose
 * callback holds the sequencer thread (bounded) while the test queues the
 * next group. Callbacks are collected by node_fixture.h with bounded waits.
 * Every test works in its own mkdtemp directory and removes it.
 */
#include "harness.h"
#include "node_fixture.h"

#include "log/sequencer.h"
#include "log/tree_batch.h"
#include "storage/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ORIGIN  "example.org/seq"
#define EAGER   1     /* a checkpoint after every commit */
#define FOREVER 60000 /* a checkpoint interval no test waits for */
#define BLOCKER 1000  /* the entry number of a gate's submission */

/* Holds the sequencer thread inside a callback until opened (or FX_WAIT_MS passed). */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
    struct hh_sequenced result;
};

struct seqfix {
    char dir[64];
    char path[128];
    struct hh_store *store;
    struct hh_signer *key;
    struct hh_verifier vkey;
    struct hh_sequencer *q;
    struct fx_results r;
    struct gate gate;
    unsigned holds;     /* gates submitted: each gate's entry is a new one */
    pthread_mutex_t mu; /* guards ncp, cp_size, cp_ms */
    unsigned ncp;       /* on_checkpoint calls */
    uint64_t cp_size;   /* the last size on_checkpoint reported */
    int64_t cp_ms[16];  /* when the first calls came (fx_now_ms) */
};

static void on_checkpoint(void *ctx, uint64_t size)
{
    struct seqfix *f = ctx;

    pthread_mutex_lock(&f->mu);
    if (f->ncp < 16)
        f->cp_ms[f->ncp] = fx_now_ms();
    f->ncp++;
    f->cp_size = size;
    pthread_mutex_unlock(&f->mu);
}

static unsigned checkpoints_seen(struct seqfix *f, uint64_t *size)
{
    unsigned n;

    pthread_mutex_lock(&f->mu);
    n = f->ncp;
    if (size != NULL)
        *size = f->cp_size;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* ---- the gate ---- */

static void gate_init(struct gate *g)
{
    pthread_condattr_t ca;

    memset(g, 0, sizeof(*g));
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* The gate's submission callback: runs on the sequencer thread and holds it. */
static void gate_hold(void *ctx, const struct hh_sequenced *res)
{
    struct gate *g = ctx;
    struct timespec deadline;

    deadline_in(&deadline, FX_WAIT_MS);
    pthread_mutex_lock(&g->mu);
    g->result = *res;
    g->result.checkpoint = NULL;
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &deadline) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gate_destroy(struct gate *g)
{
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

/* ---- the fixture ---- */

static bool seq_start(struct seqfix *f, uint32_t batch_max, uint32_t queue_max,
                      uint32_t checkpoint_interval_ms)
{
    struct hh_sequencer_config c = {
        .origin = ORIGIN,
        .log_key = f->key,
        .checkpoint_interval_ms = checkpoint_interval_ms,
        .batch_max = batch_max,
        .queue_max = queue_max,
        .on_checkpoint = on_checkpoint,
        .ctx = f,
    };
    struct hh_error err = {0};

    if (hh_sequencer_start(f->store, &c, &f->q, &err) == HH_OK)
        return true;
    hh_test_note("starting the sequencer: %s", err.msg);
    return false;
}

/* A new store in a scratch directory, a log key, and a running sequencer. */
static bool seq_open(struct seqfix *f, uint32_t batch_max, uint32_t queue_max,
                     uint32_t checkpoint_interval_ms, size_t nslots)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    gate_init(&f->gate);
    if (hh_init() != HH_OK || !fx_mkdtemp(f->dir, sizeof(f->dir), "seq") ||
        !fx_results_init(&f->r, nslots))
        return false;
    snprintf(f->path, sizeof(f->path), "%s/log.db", f->dir);
    if (hh_store_open(f->path, &f->store, NULL) != HH_OK ||
        hh_signer_generate(ORIGIN, HH_KEY_ED25519, &f->key, NULL) != HH_OK)
        return false;
    hh_signer_verifier(f->key, &f->vkey);
    return seq_start(f, batch_max, queue_max, checkpoint_interval_ms);
}

static void seq_close(struct seqfix *f)
{
    gate_open(&f->gate); /* never leave the thread held */
    hh_sequencer_stop(f->q);
    hh_store_close(f->store);
    hh_signer_free(f->key);
    fx_results_clear(&f->r);
    gate_destroy(&f->gate);
    pthread_mutex_destroy(&f->mu);
    fx_rmtree(f->dir);
}

/* Entry i: a few bytes naming it; its id is their SHA-256. */
static size_t entry_bytes(uint64_t i, char buf[64], struct hh_hash *id)
{
    int n = snprintf(buf, 64, "{\"entry\":%llu}", (unsigned long long)i);

    hh_sha256(buf, (size_t)n, id);
    return (size_t)n;
}

static hh_status submit_to(struct seqfix *f, uint64_t i, bool want_checkpoint, hh_sequenced_fn fn,
                           void *ctx)
{
    struct hh_hash id;
    char buf[64];
    size_t len = entry_bytes(i, buf, &id);

    return hh_sequencer_submit(f->q, &id, (const uint8_t *)buf, len, want_checkpoint, fn, ctx,
                               NULL);
}

/* Submits entry i into slot. */
static hh_status submit(struct seqfix *f, size_t slot, uint64_t i, bool want_checkpoint)
{
    return submit_to(f, i, want_checkpoint, fx_on_sequenced, &f->r.slots[slot]);
}

/* Submits the gate's entry and waits until its callback holds the sequencer thread. */
static bool hold(struct seqfix *f)
{
    struct timespec deadline;
    bool entered;

    pthread_mutex_lock(&f->gate.mu);
    f->gate.entered = f->gate.open = false;
    pthread_mutex_unlock(&f->gate.mu);
    if (submit_to(f, BLOCKER + f->holds++, false, gate_hold, &f->gate) != HH_OK)
        return false;
    deadline_in(&deadline, FX_WAIT_MS);
    pthread_mutex_lock(&f->gate.mu);
    while (!f->gate.entered &&
           pthread_cond_timedwait(&f->gate.cv, &f->gate.mu, &deadline) != ETIMEDOUT)
        ;
    entered = f->gate.entered && f->gate.result.rc == HH_OK;
    pthread_mutex_unlock(&f->gate.mu);
    return entered;
}

static bool slot_is(const struct fx_slot *s, uint64_t index, bool duplicate)
{
    return s->calls == 1 && s->rc == HH_OK && s->index == index && s->duplicate == duplicate;
}

static uint64_t store_size(struct seqfix *f)
{
    uint64_t size = UINT64_MAX;

    if (hh_store_size(f->store, &size, NULL) != HH_OK)
        return UINT64_MAX;
    return size;
}

/* The slot's note verifies with the log key, covers its index and commits to the stored tree. */
static bool note_covers(struct seqfix *f, const struct fx_slot *s, uint64_t size)
{
    struct hh_hash_reader rd = hh_store_hash_reader(f->store);
    struct hh_checkpoint cp;
    struct hh_hash root;

    return s->note != NULL && fx_note_checkpoint(s->note, s->note_len, &f->vkey, &cp) &&
           strcmp(cp.origin, ORIGIN) == 0 && cp.size == size && s->index < cp.size &&
           hh_merkle_root(&rd, size, &root, NULL) == HH_OK && hh_hash_equal(&root, &cp.root);
}

/* The sequencer's and the store's latest checkpoint are both of size. */
static bool latest_is(struct seqfix *f, uint64_t size)
{
    struct hh_store_checkpoint c;
    struct hh_checkpoint cp;
    char *note = NULL;
    size_t len = 0;
    uint64_t qsize = 0, qsize2 = 0;
    bool ok = hh_sequencer_checkpoint(f->q, &note, &len, &qsize, NULL) == HH_OK &&
              hh_sequencer_size(f->q, &qsize2, NULL) == HH_OK && qsize == size && qsize2 == size &&
              fx_note_checkpoint(note, len, &f->vkey, &cp) && cp.size == size;

    memset(&c, 0, sizeof(c));
    ok = ok && hh_store_latest_checkpoint(f->store, &c, NULL) == HH_OK && c.size == size &&
         hh_hash_equal(&c.root, &cp.root) && c.note_len == len && memcmp(c.note, note, len) == 0;
    hh_store_checkpoint_clear(&c);
    free(note);
    return ok;
}

/* ---- tests ---- */

TEST(sequencer_duplicate_in_one_group)
{
    struct seqfix f;

    /* The gate's entry is index 0; then one group: e0, e1, e0 again, e2. */
    if (!CHECK(seq_open(&f, 100, 100, EAGER, 4)) || !CHECK(hold(&f)))
        goto out;
    CHECK_OK(submit(&f, 0, 0, false));
    CHECK_OK(submit(&f, 1, 1, false));
    CHECK_OK(submit(&f, 2, 0, true));
    CHECK_OK(submit(&f, 3, 2, true));
    gate_open(&f.gate);
    if (!CHECK(fx_results_wait(&f.r, 4, FX_WAIT_MS)))
        goto out;
    CHECK(f.gate.result.index == 0 && !f.gate.result.duplicate);
    CHECK(slot_is(&f.r.slots[0], 1, false));
    CHECK(slot_is(&f.r.slots[1], 2, false));
    CHECK(slot_is(&f.r.slots[2], 1, true));
    CHECK(slot_is(&f.r.slots[3], 3, false));
    CHECK(f.r.slots[0].note == NULL && f.r.slots[1].note == NULL);
    /* The duplicate that asked for a checkpoint gets one covering its (first) index. */
    CHECK(note_covers(&f, &f.r.slots[2], 4));
    CHECK(note_covers(&f, &f.r.slots[3], 4));
    CHECK(store_size(&f) == 4);
    CHECK(latest_is(&f, 4));
out:
    seq_close(&f);
}

TEST(sequencer_duplicate_of_logged_entry)
{
    struct seqfix f;
    uint64_t index = UINT64_MAX, cp_size = 0;
    struct hh_hash id;
    char buf[64];
    unsigned ncp;

    if (!CHECK(seq_open(&f, 100, 100, EAGER, 6)))
        goto out;
    CHECK_OK(submit(&f, 0, 0, true));
    CHECK_OK(submit(&f, 1, 1, true));
    if (!CHECK(fx_results_wait(&f.r, 2, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[0], 0, false) && slot_is(&f.r.slots[1], 1, false));
    CHECK(store_size(&f) == 2 && latest_is(&f, 2));
    ncp = checkpoints_seen(&f, &cp_size);
    CHECK(cp_size == 2);
    /* Both again: the existing indexes, duplicate, nothing appended, nothing signed. */
    CHECK_OK(submit(&f, 2, 1, true));
    CHECK_OK(submit(&f, 3, 0, false));
    if (!CHECK(fx_results_wait(&f.r, 4, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[2], 1, true) && slot_is(&f.r.slots[3], 0, true));
    CHECK(note_covers(&f, &f.r.slots[2], 2));
    CHECK(store_size(&f) == 2 && latest_is(&f, 2));
    CHECK(checkpoints_seen(&f, NULL) == ncp);
    /* A logged entry in one group with a new one: only the new one is appended. */
    if (!CHECK(hold(&f)))
        goto out;
    CHECK_OK(submit(&f, 4, 0, true));
    CHECK_OK(submit(&f, 5, 3, true));
    gate_open(&f.gate);
    if (!CHECK(fx_results_wait(&f.r, 6, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[4], 0, true) && slot_is(&f.r.slots[5], 3, false));
    CHECK(note_covers(&f, &f.r.slots[5], 4));
    CHECK(store_size(&f) == 4 && latest_is(&f, 4));
    entry_bytes(3, buf, &id);
    CHECK_OK(hh_store_find_id(f.store, &id, &index, NULL));
    CHECK(index == 3);
out:
    seq_close(&f);
}

/* Holds the thread, queues entries first..first+n-1 into the same slots, releases, waits. */
static bool submit_group(struct seqfix *f, uint64_t first, size_t n)
{
    if (!hold(f))
        return false;
    for (size_t i = 0; i < n; i++)
        if (submit(f, first + i, first + i, i % 2 == 1) != HH_OK)
            return false;
    gate_open(&f->gate);
    return fx_results_wait(&f->r, first + n, FX_WAIT_MS);
}

static bool consistent(struct seqfix *f, uint64_t m, uint64_t n)
{
    struct hh_hash_reader rd = hh_store_hash_reader(f->store);
    struct hh_hash a, b, proof[HH_MERKLE_MAX_PROOF];
    struct hh_store_checkpoint cm, cn;
    size_t np = 0;
    bool ok;

    memset(&cm, 0, sizeof(cm));
    memset(&cn, 0, sizeof(cn));
    ok = hh_store_checkpoint_at(f->store, m, &cm, NULL) == HH_OK &&
         hh_store_checkpoint_at(f->store, n, &cn, NULL) == HH_OK &&
         hh_merkle_root(&rd, m, &a, NULL) == HH_OK && hh_merkle_root(&rd, n, &b, NULL) == HH_OK &&
         hh_hash_equal(&a, &cm.root) && hh_hash_equal(&b, &cn.root) &&
         hh_merkle_consistency_proof(&rd, m, n, proof, &np, NULL) == HH_OK &&
         hh_merkle_verify_consistency(m, n, &cm.root, &cn.root, proof, np, NULL) == HH_OK;
    hh_store_checkpoint_clear(&cm);
    hh_store_checkpoint_clear(&cn);
    return ok;
}

TEST(sequencer_consecutive_indexes_and_checkpoints)
{
    struct seqfix f;
    uint64_t cp_size = 1;
    unsigned ncp;

    /* batch_max 3: a group of 8 is committed 3 + 3 + 2, indexes still in submission order. */
    if (!CHECK(seq_open(&f, 3, 100, EAGER, 16)))
        goto out;
    /* Starting on an empty store signs the empty checkpoint. */
    CHECK(latest_is(&f, 0));
    CHECK(checkpoints_seen(&f, &cp_size) == 1 && cp_size == 0);
    if (!CHECK(submit_group(&f, 0, 8)))
        goto out;
    CHECK(f.gate.result.index == 0);
    for (size_t i = 0; i < 8; i++) {
        CHECK(slot_is(&f.r.slots[i], i + 1, false));
        CHECK(i % 2 == 1 ? f.r.slots[i].note != NULL : f.r.slots[i].note == NULL);
    }
    CHECK(note_covers(&f, &f.r.slots[7], 9));
    CHECK(latest_is(&f, 9) && store_size(&f) == 9);
    ncp = checkpoints_seen(&f, &cp_size);
    CHECK(ncp >= 2 && cp_size == 9);
    /* Everyone handed a checkpoint got one that covers them. */
    for (size_t i = 1; i < 8; i += 2) {
        struct hh_checkpoint cp;
        CHECK(fx_note_checkpoint(f.r.slots[i].note, f.r.slots[i].note_len, &f.vkey, &cp) &&
              cp.size > f.r.slots[i].index && consistent(&f, cp.size, 9));
    }
    if (!CHECK(submit_group(&f, 8, 8)))
        goto out;
    for (size_t i = 8; i < 16; i++)
        CHECK(slot_is(&f.r.slots[i], i + 2, false));
    CHECK(note_covers(&f, &f.r.slots[15], 18));
    CHECK(latest_is(&f, 18) && store_size(&f) == 18);
    CHECK(checkpoints_seen(&f, &cp_size) > ncp && cp_size == 18);
    CHECK(consistent(&f, 9, 18));
out:
    seq_close(&f);
}

TEST(sequencer_index_at_commit_checkpoint_at_interval)
{
    struct seqfix f;
    int64_t t0 = fx_now_ms(), t1;
    uint64_t size = 1;

    if (!CHECK(seq_open(&f, 100, 100, 1500, 2)))
        goto out;
    /* The index comes at commit, long before the next checkpoint is due. */
    CHECK_OK(submit(&f, 0, 0, false));
    if (!CHECK(fx_results_wait(&f.r, 1, FX_WAIT_MS)))
        goto out;
    t1 = fx_now_ms();
    CHECK(slot_is(&f.r.slots[0], 0, false) && f.r.slots[0].note == NULL);
    CHECK(store_size(&f) == 1);
    if (t1 - t0 < 1000) /* only meaningful well before the interval ends */
        CHECK(hh_sequencer_size(f.q, &size, NULL) == HH_OK && size == 0);
    /* A checkpoint waiter is answered once the interval since the last one has passed. */
    CHECK_OK(submit(&f, 1, 1, true));
    if (!CHECK(fx_results_wait(&f.r, 2, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[1], 1, false) && note_covers(&f, &f.r.slots[1], 2));
    CHECK(checkpoints_seen(&f, &size) == 2 && size == 2);
    pthread_mutex_lock(&f.mu);
    CHECK(f.cp_ms[1] - f.cp_ms[0] >= 1500 - 20);
    pthread_mutex_unlock(&f.mu);
out:
    seq_close(&f);
}

struct releaser {
    struct gate *g;
    unsigned ms;
};

static void *release_later(void *arg)
{
    struct releaser *r = arg;

    fx_sleep_ms(r->ms);
    gate_open(r->g);
    return NULL;
}

TEST(sequencer_quiesce_commits_then_refuses)
{
    struct releaser rel;
    struct seqfix f;
    struct hh_error err = {0};
    pthread_t t;

    /* A long interval: only quiesce can sign the checkpoint the last one waits for. */
    if (!CHECK(seq_open(&f, 100, 100, FOREVER, 6)) || !CHECK(hold(&f)))
        goto out;
    for (size_t i = 0; i < 5; i++)
        CHECK_OK(submit(&f, i, i, i == 4));
    rel.g = &f.gate;
    rel.ms = 200;
    if (!CHECK(pthread_create(&t, NULL, release_later, &rel) == 0)) {
        gate_open(&f.gate);
        goto out;
    }
    hh_sequencer_quiesce(f.q);
    pthread_join(t, NULL);
    /* Every queued submission was answered before quiesce returned. */
    CHECK(fx_results_done(&f.r) == 5);
    for (size_t i = 0; i < 5; i++)
        CHECK(slot_is(&f.r.slots[i], i + 1, false));
    CHECK(note_covers(&f, &f.r.slots[4], 6));
    CHECK(store_size(&f) == 6);
    CHECK_ERR(submit(&f, 5, 5, true), HH_ERR_CONFLICT);
    CHECK_ERR(hh_sequencer_submit(f.q, &(struct hh_hash){{0}}, (const uint8_t *)"x", 1, false,
                                  fx_on_sequenced, &f.r.slots[5], &err),
              HH_ERR_CONFLICT);
    CHECK(err.code == HH_ERR_CONFLICT && err.msg[0] != '\0');
    /* Reads stay possible; a second quiesce does nothing; the refused never get a callback. */
    CHECK(latest_is(&f, 6));
    hh_sequencer_quiesce(f.q);
    fx_sleep_ms(50);
    CHECK(fx_results_done(&f.r) == 5 && f.r.slots[5].calls == 0);
    CHECK(store_size(&f) == 6);
out:
    seq_close(&f);
}

TEST(sequencer_queue_max)
{
    struct seqfix f;
    struct hh_error err = {0};
    struct hh_hash id;
    char buf[64];
    size_t len;

    if (!CHECK(seq_open(&f, 100, 3, EAGER, 5)) || !CHECK(hold(&f)))
        goto out;
    for (size_t i = 0; i < 3; i++)
        CHECK_OK(submit(&f, i, i, false));
    len = entry_bytes(3, buf, &id);
    CHECK_ERR(hh_sequencer_submit(f.q, &id, (const uint8_t *)buf, len, false, fx_on_sequenced,
                                  &f.r.slots[3], &err),
              HH_ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "queue full") != NULL);
    /* Even a duplicate of a queued entry is refused while the queue is full. */
    CHECK_ERR(submit(&f, 4, 0, false), HH_ERR_TOO_LARGE);
    gate_open(&f.gate);
    if (!CHECK(fx_results_wait(&f.r, 3, FX_WAIT_MS)))
        goto out;
    for (size_t i = 0; i < 3; i++)
        CHECK(slot_is(&f.r.slots[i], i + 1, false));
    /* Room again once the group is taken. */
    CHECK_OK(submit(&f, 3, 3, true));
    if (!CHECK(fx_results_wait(&f.r, 4, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[3], 4, false) && f.r.slots[4].calls == 0);
    CHECK(store_size(&f) == 5 && latest_is(&f, 5));
out:
    seq_close(&f);
}

static int entry_len_is(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    (void)index, (void)data;
    *(size_t *)ctx = len;
    return 0;
}

TEST(sequencer_entry_size_limits)
{
    struct seqfix f;
    struct hh_error err = {0};
    struct hh_hash id;
    uint8_t *big = malloc(HH_ENTRY_MAX + 1);
    size_t len = 0;

    if (!CHECK(big != NULL) || !CHECK(seq_open(&f, 100, 100, EAGER, 3)))
        goto out;
    memset(big, 'x', HH_ENTRY_MAX + 1);
    hh_sha256(big, 1, &id);
    CHECK(hh_sequencer_submit(f.q, &id, big, 0, true, fx_on_sequenced, &f.r.slots[0], &err) !=
          HH_OK);
    CHECK(err.msg[0] != '\0');
    hh_sha256(big, HH_ENTRY_MAX + 1, &id);
    CHECK_ERR(hh_sequencer_submit(f.q, &id, big, HH_ENTRY_MAX + 1, true, fx_on_sequenced,
                                  &f.r.slots[1], &err),
              HH_ERR_TOO_LARGE);
    /* Exactly HH_ENTRY_MAX bytes is logged whole. */
    hh_sha256(big, HH_ENTRY_MAX, &id);
    CHECK_OK(hh_sequencer_submit(f.q, &id, big, HH_ENTRY_MAX, true, fx_on_sequenced, &f.r.slots[2],
                                 &err));
    if (!CHECK(fx_results_wait(&f.r, 1, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[2], 0, false) && note_covers(&f, &f.r.slots[2], 1));
    CHECK(f.r.slots[0].calls == 0 && f.r.slots[1].calls == 0 && fx_results_done(&f.r) == 1);
    CHECK_OK(hh_store_read_entries(f.store, 0, 1, entry_len_is, &len, NULL));
    CHECK(len == HH_ENTRY_MAX && store_size(&f) == 1);
out:
    if (big != NULL)
        seq_close(&f);
    free(big);
}

TEST(sequencer_bad_config)
{
    struct hh_sequencer *q = (struct hh_sequencer *)&q;
    struct hh_sequencer_config c = {
        .origin = ORIGIN, .checkpoint_interval_ms = 10, .queue_max = 10};
    struct seqfix f;

    if (!CHECK(seq_open(&f, 1, 1, EAGER, 1)))
        goto out;
    c.log_key = f.key;
    CHECK_ERR(hh_sequencer_start(f.store, &c, &q, NULL), HH_ERR_INVALID); /* batch_max 0 */
    CHECK(q == NULL);
    c.batch_max = 10;
    c.queue_max = 0;
    q = (struct hh_sequencer *)&q;
    CHECK_ERR(hh_sequencer_start(f.store, &c, &q, NULL), HH_ERR_INVALID);
    CHECK(q == NULL);
    c.queue_max = 10;
    c.origin = "";
    CHECK_ERR(hh_sequencer_start(f.store, &c, &q, NULL), HH_ERR_INVALID);
    CHECK(q == NULL);
    hh_sequencer_quiesce(NULL);
    hh_sequencer_stop(NULL);
out:
    seq_close(&f);
}

/* Appends entries first..first+n-1 straight to the store, as a crash before signing leaves them. */
static bool append_unsigned(struct seqfix *f, uint64_t first, size_t n)
{
    struct hh_store_entry e[8];
    char bufs[8][64];
    struct hh_tree_batch *b = NULL;
    const struct hh_subtree_id *ids = NULL;
    const struct hh_hash *hashes = NULL;
    size_t nn = 0;
    bool ok = n <= 8 && hh_tree_batch_new(f->store, first, first + n, &b, NULL) == HH_OK;

    for (size_t i = 0; ok && i < n; i++) {
        struct hh_hash leaf;
        e[i].len = entry_bytes(first + i, bufs[i], &e[i].id);
        e[i].data = (const uint8_t *)bufs[i];
        hh_merkle_leaf_hash(e[i].data, e[i].len, &leaf);
        ok = hh_tree_batch_add(b, &leaf, NULL) == HH_OK;
    }
    if (ok) {
        hh_tree_batch_nodes(b, &ids, &hashes, &nn);
        ok = hh_store_append(f->store, first, e, n, ids, hashes, nn, NULL) == HH_OK;
    }
    hh_tree_batch_free(b);
    return ok;
}

TEST(sequencer_start_signs_uncheckpointed_entries)
{
    struct seqfix f;

    if (!CHECK(seq_open(&f, 100, 100, EAGER, 4)))
        goto out;
    CHECK_OK(submit(&f, 0, 0, true));
    CHECK_OK(submit(&f, 1, 1, true));
    if (!CHECK(fx_results_wait(&f.r, 2, FX_WAIT_MS)))
        goto out;
    CHECK(latest_is(&f, 2));
    hh_sequencer_stop(f.q);
    f.q = NULL;
    /* Three entries durable but never checkpointed, then a restart. */
    CHECK(append_unsigned(&f, 2, 3));
    if (!CHECK(seq_start(&f, 100, 100, EAGER)))
        goto out;
    CHECK(latest_is(&f, 5));
    CHECK(consistent(&f, 2, 5));
    /* Those entries count as logged: resubmitting one gives its index. */
    CHECK_OK(submit(&f, 2, 3, true));
    CHECK_OK(submit(&f, 3, 5, true));
    if (!CHECK(fx_results_wait(&f.r, 4, FX_WAIT_MS)))
        goto out;
    CHECK(slot_is(&f.r.slots[2], 3, true) && slot_is(&f.r.slots[3], 5, false));
    CHECK(note_covers(&f, &f.r.slots[3], 6) && store_size(&f) == 6);
out:
    seq_close(&f);
}
