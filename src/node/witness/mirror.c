/*
 * mirror.c - checking another party's log and copying it (see mirror.h).
 *
 * All work for one mirror happens under its mutex, so the witness endpoint
 * and the peer thread never sync the same log at once. The mutex also
 * guards the tile-source connections, opened on first use and kept.
 *
 * A sync reads the new entries through the bundle pipeline
 * (bundle_pipeline.h), which fetches bundles ahead, hashes the entries and
 * checks every signature on all cores, and hands the bundles over in order
 * on this thread. Here they are gathered into a batch; a full batch (or the
 * last) is hashed into a tree batch over the store and proven part of the
 * signed tree before it is appended:
 *  - the last batch when the root of the signed size equals the signed root;
 *  - an earlier one, ending at k, when a consistency proof from k to the
 *    signed size, made from the log's served hash tiles, verifies between
 *    the recomputed root of size k and the signed root. (The tiles are not
 *    trusted: the proof either verifies against both roots or the batch is
 *    refused.)
 * A proven batch is appended by a writer thread while the next one is
 * gathered and checked, so the disk's fsyncs overlap the signature checks;
 * the next batch is hashed only once the previous one is in the store (its
 * tree reads the store), so at most two batches are held. Only after the
 * last batch is the checkpoint stored. An entry signed by
 * nobody authorised stops the sync before its batch is written; entries
 * that do not match the signed root stop it at the batch that shows it.
 * Evidence is then built from the log's served hash tiles (an inclusion
 * proof, or a consistency proof from the mirror's latest checkpoint) and
 * kept only if it verifies against the signed root; otherwise the finding
 * is bad data.
 *
 * Invariant: every entry in the store is, at its index, in a tree the log
 * signed; every stored checkpoint was verified against all the entries up
 * to its size. Entries past the latest checkpoint (a sync that stopped
 * after some batches) are continued from by the next sync, and a
 * checkpoint within them is stored once its root matches.
 */
#include "witness/mirror.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <henhouse/client/bundle_pipeline.h>
#include <henhouse/client/tile_source.h>

#include "log/tree_batch.h"
#include "storage/store.h"

#define FETCHES HH_PIPELINE_DEFAULT_FETCHES
#define WINDOW  64 /* bundles (16k entries) read ahead of the one delivered */

_Static_assert(HH_MIRROR_BATCH == HH_STORE_MAX_BATCH, "a batch is one store append");

struct hh_mirror {
    char origin[HH_ORIGIN_MAX + 1];
    struct hh_verifier log_key;
    struct hh_verifier *signers;
    size_t nsigners;
    uint32_t batch;
    unsigned threads;
    struct hh_store *store;
    struct hh_tile_source src;
    void *conns[FETCHES]; /* the pipeline's connections, kept between syncs; guarded by mu */
    void *conn;           /* for hash tiles (proofs), opened on first use; guarded by mu */
    pthread_mutex_t mu;
};

/* What one check is about: the signed checkpoint, and the mirror's latest checkpoint. */
struct target {
    const struct hh_checkpoint *cp;
    const char *note;
    size_t len;
    const struct hh_store_checkpoint *latest; /* size 0 when none is stored */
    const char *observer;
};

/* Why a sync stopped with HH_ERR_VERIFY. */
enum verdict { V_NONE, V_UNAUTHORISED, V_MISMATCH };

/* New entries gathered from the pipeline, then hashed, proven and written as one. */
struct batch {
    uint64_t start;                 /* the index of its first entry */
    struct hh_store_entry *entries; /* at most m->batch; id is the leaf hash */
    size_t n, bytes;
    uint8_t **bufs; /* the bundles the entries point into */
    size_t nbufs;
    struct hh_tree_batch *tb; /* the tree nodes it creates, once hashed */
};

/*
 * The thread that appends one proven batch to the store while the next is
 * gathered and checked. job is owned by the thread from submit until it
 * sets job back to NULL; rc keeps the first failure.
 */
struct writer {
    struct hh_mirror *m;
    const struct target *t;
    pthread_t th;
    bool started, quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *job;
    hh_status rc;
    struct hh_error err;
};

/* One sync: two batches (one gathered, one written), and the verdict that stopped it. */
struct sync {
    struct hh_mirror *m;
    const struct target *t;
    struct batch batches[2];
    struct batch *cur; /* the one being gathered */
    struct writer w;
    enum verdict verdict;
    uint64_t bad_index; /* V_UNAUTHORISED: the entry, copied */
    uint8_t *bad_entry;
    size_t bad_len;
};

static struct hh_evidence_observation observe(const char *by, const char *detail)
{
    struct hh_evidence_observation o = {by, (uint64_t)time(NULL), detail};
    return o;
}

/* ---- the log's served hash tiles, for proofs ---- */

/* hh_tile_fetch_fn over the mirror's source; a tile of the wrong length is refused. */
static hh_status served_tile(void *ctx, const struct hh_tile *t, uint8_t *out, size_t *got,
                             struct hh_error *err)
{
    struct hh_mirror *m = ctx;
    char path[HH_TILE_PATH_MAX];
    uint8_t *data = NULL;
    size_t len = 0;
    hh_status rc = HH_OK;

    *got = 0;
    if (m->conn == NULL)
        rc = m->src.open(m->src.ctx, &m->conn, err);
    if (rc == HH_OK)
        rc = m->src.tile(m->conn, t, HH_TILE_BYTES, &data, &len, err);
    if (rc == HH_OK && len != (size_t)t->width * HH_HASH_LEN)
        rc = hh_error_set(err, HH_ERR_VERIFY, "%s: %zu bytes, expected %u hashes",
                          hh_tile_path(t, path, sizeof(path)) == HH_OK ? path : "tile", len,
                          (unsigned)t->width);
    if (rc == HH_OK) {
        memcpy(out, data, len);
        *got = t->width;
    }
    free(data);
    return rc;
}

/* Failures that say nothing about the log (it could not be read): not a verdict. */
static bool cannot_tell(hh_status rc)
{
    return rc == HH_ERR_IO || rc == HH_ERR_NOMEM || rc == HH_ERR_INTERNAL;
}

/*
 * The root of size k of the tree the log signed in cp, and the consistency
 * proof from k to cp->size, read from the served tiles and verified against
 * cp->root: HH_OK only when they verify; HH_ERR_VERIFY when they do not.
 */
static hh_status served_old_root(struct hh_mirror *m, const struct hh_checkpoint *cp, uint64_t k,
                                 struct hh_hash *root, struct hh_hash proof[HH_MERKLE_MAX_PROOF],
                                 size_t *n, struct hh_error *err)
{
    struct hh_tile_reader *tr = hh_tile_reader_new(cp->size, served_tile, m);
    struct hh_hash_reader r;
    hh_status rc;

    if (tr == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    r = hh_tile_reader_hashes(tr);
    rc = hh_merkle_root(&r, k, root, err);
    if (rc == HH_OK)
        rc = hh_merkle_consistency_proof(&r, k, cp->size, proof, n, err);
    if (rc == HH_OK)
        rc = hh_merkle_verify_consistency(k, cp->size, root, &cp->root, proof, *n, err);
    hh_tile_reader_free(tr);
    if (rc != HH_OK && !cannot_tell(rc))
        rc = HH_ERR_VERIFY;
    return rc;
}

/* The inclusion proof of entry index in cp's tree, from the served tiles, verified. */
static hh_status served_inclusion(struct hh_mirror *m, const struct hh_checkpoint *cp,
                                  uint64_t index, const struct hh_hash *leaf,
                                  struct hh_hash proof[HH_MERKLE_MAX_PROOF], size_t *n,
                                  struct hh_error *err)
{
    struct hh_tile_reader *tr = hh_tile_reader_new(cp->size, served_tile, m);
    struct hh_hash_reader r;
    hh_status rc;

    if (tr == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    r = hh_tile_reader_hashes(tr);
    rc = hh_merkle_inclusion_proof(&r, index, cp->size, proof, n, err);
    if (rc == HH_OK)
        rc = hh_merkle_verify_inclusion(index, cp->size, leaf, proof, *n, &cp->root, err);
    hh_tile_reader_free(tr);
    if (rc != HH_OK && !cannot_tell(rc))
        rc = HH_ERR_VERIFY;
    return rc;
}

/* ---- evidence ---- */

/* cp disagrees with the mirror at cp->size <= its latest checkpoint: split-view or inconsistent. */
static hh_status conflict_evidence(struct hh_mirror *m, const struct target *t,
                                   const struct hh_hash *mirror_root, char **evidence,
                                   struct hh_error *err)
{
    const struct hh_store_checkpoint *latest = t->latest;
    struct hh_hash_reader r = hh_store_hash_reader(m->store);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_evidence_observation o =
        observe(t->observer, "a signed checkpoint disagrees with this witness's verified mirror");
    size_t n = 0;
    hh_status rc;

    if (t->cp->size == latest->size)
        rc = hh_evidence_split_view(&m->log_key, latest->note, latest->note_len, t->note, t->len,
                                    &o, evidence, err);
    else if ((rc = hh_merkle_consistency_proof(&r, t->cp->size, latest->size, proof, &n, err)) ==
             HH_OK)
        rc = hh_evidence_inconsistent(&m->log_key, t->note, t->len, latest->note, latest->note_len,
                                      mirror_root, proof, n, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY,
                        "%s signed a checkpoint of size %llu that conflicts "
                        "with the verified mirror",
                        m->origin, (unsigned long long)t->cp->size);
}

/*
 * Served entries do not give the signed root. When the log's own tiles
 * prove that its signed tree does not extend the mirror's latest
 * checkpoint, that is proven (inconsistent); otherwise it is bad data.
 */
static hh_status mismatch_evidence(struct hh_mirror *m, const struct target *t, char **evidence,
                                   struct hh_error *err)
{
    const struct hh_store_checkpoint *latest = t->latest;
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], old_root;
    struct hh_evidence_observation o;
    size_t n = 0;
    hh_status rc = HH_ERR_VERIFY;

    if (latest->size > 0 && latest->size < t->cp->size)
        rc = served_old_root(m, t->cp, latest->size, &old_root, proof, &n, err);
    if (cannot_tell(rc))
        return rc;
    if (rc == HH_OK && !hh_hash_equal(&old_root, &latest->root)) {
        o = observe(t->observer, "the log's new tree does not extend the tree it signed before");
        rc = hh_evidence_inconsistent(&m->log_key, latest->note, latest->note_len, t->note, t->len,
                                      &old_root, proof, n, &o, evidence, err);
    } else {
        o = observe(t->observer, "served entry bundles do not hash to the signed root");
        rc = hh_evidence_bad_data(&m->log_key, t->note, t->len, "tile/entries/", &o, evidence, err);
    }
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s: served entries do not match its signed root",
                        m->origin);
}

/* Entry index (entry[0..elen)) is signed by nobody authorised: proven with its inclusion proof. */
static hh_status unauthorised_evidence(struct hh_mirror *m, const struct target *t, uint64_t index,
                                       const uint8_t *entry, size_t elen, char **evidence,
                                       struct hh_error *err)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], leaf;
    struct hh_evidence_observation o = observe(
        t->observer, "an entry in the signed log is not signed by any of the party's signers");
    size_t n = 0;
    hh_status rc;

    hh_merkle_leaf_hash(entry, elen, &leaf);
    rc = served_inclusion(m, t->cp, index, &leaf, proof, &n, err);
    if (rc == HH_ERR_VERIFY) /* the entry served is not the one the log signed */
        return mismatch_evidence(m, t, evidence, err);
    if (rc == HH_OK)
        rc = hh_evidence_unauthorised_entry(&m->log_key, t->note, t->len, index, entry, elen, proof,
                                            n, m->signers, m->nsigners, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s entry %llu is not signed by any of its signers",
                        m->origin, (unsigned long long)index);
}

/* ---- what the mirror holds ---- */

/* cp->size <= the mirror's size: the roots must agree. */
static hh_status compare(struct hh_mirror *m, const struct target *t, char **evidence,
                         struct hh_error *err)
{
    const struct hh_checkpoint *cp = t->cp;
    struct hh_hash_reader r = hh_store_hash_reader(m->store);
    struct hh_hash root;
    hh_status rc = hh_merkle_root(&r, cp->size, &root, err);

    if (rc != HH_OK)
        return rc;
    if (hh_hash_equal(&root, &cp->root)) {
        if (cp->size > t->latest->size) /* entries a stopped sync wrote, now verified in full */
            rc = hh_store_put_checkpoint(m->store, cp->size, &cp->root, t->note, t->len, err);
        return rc;
    }
    if (cp->size == 0)
        return hh_error_set(err, HH_ERR_INVALID, "a size-0 checkpoint must have the empty root");
    if (cp->size <= t->latest->size)
        return conflict_evidence(m, t, &root, evidence, err);
    return mismatch_evidence(m, t, evidence, err);
}

/* ---- a batch of new entries ---- */

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->nbufs; i++)
        free(b->bufs[i]);
    hh_tree_batch_free(b->tb);
    b->tb = NULL;
    b->nbufs = 0;
    b->n = 0;
    b->bytes = 0;
}

static void batch_free(struct batch *b)
{
    batch_clear(b);
    free(b->bufs);
    free(b->entries);
}

static bool batch_alloc(struct batch *b, uint32_t entries)
{
    b->entries = calloc(entries, sizeof(*b->entries));
    b->bufs = calloc(entries / HH_TILE_WIDTH + 2, sizeof(*b->bufs)); /* a partial first bundle */
    return b->entries != NULL && b->bufs != NULL;
}

/* Adds the bundle's entries from position first on to the batch; the batch keeps its bytes. */
static void batch_take(struct batch *b, struct hh_bundle *bundle, size_t first)
{
    for (size_t i = first; i < bundle->tile.width; i++) {
        struct hh_store_entry *e = &b->entries[b->n++];
        e->id = bundle->leaves[i]; /* the store's dedup key: the leaf hash */
        e->data = bundle->entries[i];
        e->len = bundle->lens[i];
        b->bytes += bundle->lens[i];
    }
    b->bufs[b->nbufs++] = bundle->data;
    bundle->data = NULL;
}

/* Appends a proven batch and its tree nodes; after the last one, the checkpoint. */
static hh_status batch_write(struct hh_mirror *m, const struct target *t, const struct batch *b,
                             struct hh_error *err)
{
    const struct hh_subtree_id *ids = NULL;
    const struct hh_hash *hashes = NULL;
    size_t nn = 0;
    hh_status rc;

    hh_tree_batch_nodes(b->tb, &ids, &hashes, &nn);
    rc = hh_store_append(m->store, b->start, b->entries, b->n, ids, hashes, nn, err);
    if (rc == HH_OK && b->start + b->n == t->cp->size)
        rc = hh_store_put_checkpoint(m->store, t->cp->size, &t->cp->root, t->note, t->len, err);
    return rc;
}

/* ---- the writer: appends one proven batch while the next is gathered ---- */

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct hh_error err;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->job == NULL && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->job == NULL)
            break;
        pthread_mutex_unlock(&w->mu);
        memset(&err, 0, sizeof(err));
        hh_status rc = batch_write(w->m, w->t, w->job, &err);
        batch_clear(w->job);
        pthread_mutex_lock(&w->mu);
        if (rc != HH_OK && w->rc == HH_OK) {
            w->rc = rc;
            w->err = err;
        }
        w->job = NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits until no batch is being written; the first write failure, if any. */
static hh_status writer_idle(struct writer *w, struct hh_error *err)
{
    hh_status rc;

    pthread_mutex_lock(&w->mu);
    while (w->job != NULL)
        pthread_cond_wait(&w->cv, &w->mu);
    rc = w->rc;
    if (rc != HH_OK)
        hh_error_set(err, rc, "%s", w->err.msg);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Hands batch b (proven) to the writer, which must be idle; starts it on first use. */
static hh_status writer_submit(struct writer *w, struct batch *b, struct hh_error *err)
{
    if (!w->started && pthread_create(&w->th, NULL, writer_main, w) != 0)
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot start the mirror's writer thread");
    w->started = true;
    pthread_mutex_lock(&w->mu);
    w->job = b;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return HH_OK;
}

static void writer_stop(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->started)
        pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

/* ---- a sync, batch by batch ---- */

static void sync_free(struct sync *s)
{
    writer_stop(&s->w);
    batch_free(&s->batches[0]);
    batch_free(&s->batches[1]);
    free(s->bad_entry);
}

static hh_status sync_init(struct sync *s, struct hh_mirror *m, const struct target *t,
                           uint64_t held, struct hh_error *err)
{
    memset(s, 0, sizeof(*s));
    s->m = m;
    s->t = t;
    s->cur = &s->batches[0];
    s->cur->start = held;
    s->w.m = m;
    s->w.t = t;
    pthread_mutex_init(&s->w.mu, NULL);
    pthread_cond_init(&s->w.cv, NULL);
    if (!batch_alloc(&s->batches[0], m->batch) || !batch_alloc(&s->batches[1], m->batch))
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory for batches of %u entries",
                            (unsigned)m->batch);
    return HH_OK;
}

/*
 * The batch's tree is part of the signed tree: at the signed size its root
 * is the signed root; before it, the log's tiles prove it (see above).
 */
static hh_status prove_batch(struct sync *s, struct batch *b, struct hh_error *err)
{
    const struct hh_checkpoint *cp = s->t->cp;
    struct hh_hash_reader r = hh_tree_batch_reader(b->tb);
    struct hh_hash root, served, proof[HH_MERKLE_MAX_PROOF];
    uint64_t end = b->start + b->n;
    size_t n = 0;
    hh_status rc = hh_merkle_root(&r, end, &root, err);

    if (rc != HH_OK)
        return rc;
    if (end == cp->size)
        rc = hh_hash_equal(&root, &cp->root) ? HH_OK : HH_ERR_VERIFY;
    else if ((rc = served_old_root(s->m, cp, end, &served, proof, &n, err)) == HH_OK)
        rc = hh_hash_equal(&root, &served) ? HH_OK : HH_ERR_VERIFY;
    if (rc == HH_ERR_VERIFY) {
        s->verdict = V_MISMATCH;
        return hh_error_set(err, rc, "entries up to %llu do not match the signed root",
                            (unsigned long long)end);
    }
    return rc;
}

/* Hashes the batch into the tree (over the store, once the previous batch is written). */
static hh_status hash_batch(struct sync *s, struct batch *b, struct hh_error *err)
{
    hh_status rc = hh_tree_batch_new(s->m->store, b->start, b->start + b->n, &b->tb, err);

    for (size_t i = 0; rc == HH_OK && i < b->n; i++)
        rc = hh_tree_batch_add(b->tb, &b->entries[i].id, err);
    return rc;
}

/*
 * The current batch is complete: once the writer has written the previous
 * one, hash and prove it and hand it to the writer; gathering goes on in the
 * other batch.
 */
static hh_status flush(struct sync *s, struct hh_error *err)
{
    struct batch *b = s->cur, *next = b == &s->batches[0] ? &s->batches[1] : &s->batches[0];
    uint64_t end = b->start + b->n; /* read now: once submitted, b is the writer's */
    hh_status rc = writer_idle(&s->w, err);

    if (rc == HH_OK)
        rc = hash_batch(s, b, err);
    if (rc == HH_OK)
        rc = prove_batch(s, b, err);
    if (rc == HH_OK)
        rc = writer_submit(&s->w, b, err);
    if (rc != HH_OK)
        batch_clear(b);
    next->start = end;
    s->cur = next;
    return rc;
}

static hh_status stop_unauthorised(struct sync *s, const struct hh_bundle *b, struct hh_error *err)
{
    if (b->bad_err.code == HH_ERR_NOMEM)
        return hh_error_set(err, HH_ERR_NOMEM, "%s", b->bad_err.msg);
    s->bad_index = b->tile.index * HH_TILE_WIDTH + b->bad;
    s->bad_len = b->lens[b->bad];
    s->bad_entry = malloc(s->bad_len > 0 ? s->bad_len : 1);
    if (s->bad_entry == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    memcpy(s->bad_entry, b->entries[b->bad], s->bad_len);
    s->verdict = V_UNAUTHORISED;
    return hh_error_set(err, HH_ERR_VERIFY, "entry %llu is not authorised",
                        (unsigned long long)s->bad_index);
}

/* The pipeline's deliver: each bundle in order joins the batch, which is written when full. */
static hh_status on_bundle(void *ctx, struct hh_bundle *b, struct hh_error *err)
{
    struct sync *s = ctx;
    struct batch *cur = s->cur;
    uint64_t base = b->tile.index * HH_TILE_WIDTH, next = cur->start + cur->n;

    if (b->rc != HH_OK)
        return hh_error_set(err, b->rc, "%s", b->err.msg);
    if (b->bad < b->tile.width)
        return stop_unauthorised(s, b, err);
    batch_take(cur, b, next > base ? (size_t)(next - base) : 0);
    if (cur->n + HH_TILE_WIDTH > s->m->batch || cur->bytes >= HH_MIRROR_BATCH_BYTES ||
        base + b->tile.width == s->t->cp->size)
        return flush(s, err);
    return HH_OK;
}

/* cp->size > what the mirror holds: fetch, check and append the new entries. */
static hh_status extend(struct hh_mirror *m, uint64_t held, const struct target *t, char **evidence,
                        struct hh_error *err)
{
    struct sync s;
    struct hh_pipeline p = {
        .src = &m->src,
        .conns = m->conns,
        .size = t->cp->size,
        .from = held,
        .signers = m->signers,
        .nsigners = m->nsigners,
        .threads = m->threads,
        .fetches = FETCHES,
        .window = WINDOW,
        .deliver = on_bundle,
        .ctx = &s,
    };
    struct hh_error werr = {0};
    hh_status rc = sync_init(&s, m, t, held, err), wrc;

    if (rc == HH_OK)
        rc = hh_pipeline_run(&p, err);
    wrc = writer_idle(&s.w, &werr); /* what was proven is written, whatever happened next */
    if (rc == HH_OK && wrc != HH_OK)
        rc = hh_error_set(err, wrc, "%s", werr.msg);
    if (wrc == HH_OK && s.verdict == V_UNAUTHORISED)
        rc = unauthorised_evidence(m, t, s.bad_index, s.bad_entry, s.bad_len, evidence, err);
    else if (wrc == HH_OK && s.verdict == V_MISMATCH)
        rc = mismatch_evidence(m, t, evidence, err);
    sync_free(&s);
    return rc;
}

/* The latest stored checkpoint, or a zeroed one when none is (a first sync that stopped). */
static hh_status latest_checkpoint(struct hh_mirror *m, struct hh_store_checkpoint *latest,
                                   struct hh_error *err)
{
    struct hh_error inner = {0};
    hh_status rc = hh_store_latest_checkpoint(m->store, latest, &inner);

    if (rc == HH_ERR_NOT_FOUND)
        return HH_OK;
    if (rc != HH_OK)
        return hh_error_set(err, rc, "%s", inner.msg);
    return HH_OK;
}

hh_status hh_mirror_check(struct hh_mirror *m, const struct hh_checkpoint *cp, const char *note,
                          size_t len, const char *observer, char **evidence, struct hh_error *err)
{
    struct hh_store_checkpoint latest;
    struct target t = {cp, note, len, &latest, observer};
    uint64_t held = 0;
    hh_status rc;

    *evidence = NULL;
    memset(&latest, 0, sizeof(latest));
    pthread_mutex_lock(&m->mu);
    rc = hh_store_size(m->store, &held, err);
    if (rc == HH_OK && held > 0)
        rc = latest_checkpoint(m, &latest, err);
    if (rc == HH_OK && cp->size <= held)
        rc = compare(m, &t, evidence, err);
    else if (rc == HH_OK)
        rc = extend(m, held, &t, evidence, err);
    pthread_mutex_unlock(&m->mu);
    hh_store_checkpoint_clear(&latest);
    return rc;
}

hh_status hh_mirror_size(struct hh_mirror *m, uint64_t *size, struct hh_error *err)
{
    return hh_store_size(m->store, size, err);
}

hh_status hh_mirror_tune(struct hh_mirror *m, const struct hh_mirror_tuning *t,
                         struct hh_error *err)
{
    if (t->batch != 0 && (t->batch < HH_TILE_WIDTH || t->batch > HH_MIRROR_BATCH))
        return hh_error_set(err, HH_ERR_INVALID, "mirror of '%s': batch must be %d..%d", m->origin,
                            HH_TILE_WIDTH, HH_MIRROR_BATCH);
    if (t->threads > HH_PIPELINE_MAX_THREADS)
        return hh_error_set(err, HH_ERR_INVALID, "mirror of '%s': at most %d threads", m->origin,
                            HH_PIPELINE_MAX_THREADS);
    pthread_mutex_lock(&m->mu);
    m->batch = t->batch != 0 ? t->batch : HH_MIRROR_BATCH;
    m->threads = t->threads != 0 ? t->threads : hh_pipeline_cpus();
    pthread_mutex_unlock(&m->mu);
    return HH_OK;
}

hh_status hh_mirror_open(const struct hh_mirror_config *cfg, struct hh_mirror **out,
                         struct hh_error *err)
{
    struct hh_mirror *m = NULL;
    hh_status rc;

    *out = NULL;
    if (cfg->nsigners == 0 || strlen(cfg->origin) > HH_ORIGIN_MAX)
        return hh_error_set(err, HH_ERR_INVALID, "mirror of '%s': no signers or origin too long",
                            cfg->origin);
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->signers = calloc(cfg->nsigners, sizeof(*m->signers))) == NULL) {
        free(m);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&m->mu, NULL);
    snprintf(m->origin, sizeof(m->origin), "%s", cfg->origin);
    m->log_key = *cfg->log_key;
    memcpy(m->signers, cfg->signers, cfg->nsigners * sizeof(*m->signers));
    m->nsigners = cfg->nsigners;
    m->batch = HH_MIRROR_BATCH;
    m->threads = hh_pipeline_cpus();
    rc = hh_tile_source_http(cfg->url, &m->src, err);
    if (rc == HH_OK)
        rc = hh_store_open(cfg->store_uri, &m->store, err);
    if (rc != HH_OK) {
        hh_mirror_close(m);
        return rc;
    }
    *out = m;
    return HH_OK;
}

void hh_mirror_close(struct hh_mirror *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < FETCHES; i++)
        if (m->conns[i] != NULL)
            m->src.close(m->conns[i]);
    if (m->conn != NULL)
        m->src.close(m->conn);
    hh_tile_source_clear(&m->src);
    hh_store_close(m->store);
    pthread_mutex_destroy(&m->mu);
    free(m->signers);
    free(m);
}
