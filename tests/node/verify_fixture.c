/*
 * verify_fixture.c - the helpers behind verify_fixture.h. Not a test file:
 * it registers no tests, it is only globbed into hh_node with them. Every
 * wait is bounded (60 s): a sequencer that never answers fails the test.
 */
#include "verify_fixture.h"

#include "node_fixture.h"
#include "node_impl.h"

#include <henhouse/client/files.h>
#include <henhouse/client/tile_source.h>

#include "log/tile_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- growing the log ---- */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done, failed;
};

static void on_done(void *ctx, const struct hh_sequenced *r)
{
    struct waiter *w = ctx;

    pthread_mutex_lock(&w->mu);
    w->done++;
    if (r->rc != HH_OK)
        w->failed++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static bool wait_done(struct waiter *w, size_t n)
{
    struct timespec ts;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 60;
    pthread_mutex_lock(&w->mu);
    while (w->done < n && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
        ;
    ok = w->done == n && w->failed == 0;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* Keeps the node's latest checkpoint (it must be of size f->size) in f->notes. */
static bool save_latest(struct vf_log *f)
{
    struct hh_store_checkpoint c;
    struct hh_node *n = NULL;
    bool ok;

    memset(&c, 0, sizeof(c));
    ok = f->nnotes < VF_MAX_NOTES && hh_node_open(f->dir, &n, NULL) == HH_OK &&
         hh_store_latest_checkpoint(n->store, &c, NULL) == HH_OK && c.size == f->size;
    if (ok) {
        f->notes[f->nnotes] = c.note;
        f->note_lens[f->nnotes] = c.note_len;
        f->note_sizes[f->nnotes++] = c.size;
        c.note = NULL;
    }
    hh_store_checkpoint_clear(&c);
    hh_node_close(n);
    return ok;
}

static bool submit_range(struct hh_node *n, struct vf_log *f, uint64_t to, struct waiter *w)
{
    for (uint64_t i = f->size; i < to; i++) {
        struct hh_hash id;
        char *entry = NULL;
        size_t len = 0;
        bool ok = fx_entry(f->op, VF_TAG, i, &entry, &len, &id) &&
                  hh_sequencer_submit(n->sequencer, &id, (const uint8_t *)entry, len, false,
                                      on_done, w, NULL) == HH_OK;
        free(entry);
        if (!ok)
            return false;
    }
    return true;
}

bool vf_log_grow(struct vf_log *f, uint64_t to)
{
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    struct hh_node *n = NULL;
    bool ok;

    if (hh_node_open(f->dir, &n, NULL) != HH_OK)
        return false;
    n->config.checkpoint_interval_ms = 5;
    ok = hh_node_start_sequencer(n, NULL) == HH_OK && submit_range(n, f, to, &w) &&
         wait_done(&w, (size_t)(to - f->size));
    hh_node_close(n);
    if (!ok)
        return false;
    f->size = to;
    return save_latest(f);
}

/* ---- the node directory ---- */

static bool load_key(const struct vf_log *f, const char *file, struct hh_signer **key)
{
    char path[160];

    snprintf(path, sizeof(path), "%s/%s", f->dir, file);
    return hh_load_signer(path, key, NULL) == HH_OK;
}

bool vf_log_init(struct vf_log *f, uint64_t size)
{
    memset(f, 0, sizeof(*f));
    if (hh_init() != HH_OK || !fx_mkdtemp(f->base, sizeof(f->base), "verify"))
        return false;
    snprintf(f->dir, sizeof(f->dir), "%s/node", f->base);
    if (hh_node_init(f->dir, "us", VF_ORIGIN, NULL) != HH_OK ||
        !load_key(f, "operator.key", &f->op) || !load_key(f, "log.key", &f->log))
        return false;
    return save_latest(f) && (size == 0 || vf_log_grow(f, size));
}

void vf_log_free(struct vf_log *f)
{
    for (size_t i = 0; i < f->nnotes; i++)
        free(f->notes[i]);
    hh_signer_free(f->op);
    hh_signer_free(f->log);
    fx_rmtree(f->base);
}

/* ---- verifying ---- */

hh_status vf_verify_dir(const struct vf_log *f, const struct vf_run *v,
                        struct hh_verify_result *res, struct hh_error *err)
{
    struct hh_verify_options o;
    struct hh_tile_source src;
    struct hh_node *n = NULL;
    hh_status rc = hh_node_open(f->dir, &n, err);

    memset(res, 0, sizeof(*res));
    if (rc != HH_OK)
        return rc;
    hh_tile_source_store(n->store, &src);
    memset(&o, 0, sizeof(o));
    o.log_key = &n->log_vkey;
    o.signers = n->signers;
    o.nsigners = v->signers ? n->nsigners : 0;
    o.old_note = v->old;
    o.old_note_len = v->old_len;
    o.threads = v->threads ? v->threads : 2;
    rc = hh_verify_log(&src, &o, res, err);
    hh_tile_source_clear(&src);
    hh_node_close(n);
    return rc;
}

uint64_t vf_tiles_for(uint64_t size)
{
    uint64_t n = 0;

    for (unsigned l = 0; l < 8; l++) {
        uint64_t count = size >> (8 * l);
        n += (count + 255) / 256;
    }
    return n;
}

bool vf_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}
