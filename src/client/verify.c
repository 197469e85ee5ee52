/*
 * verify.c - the log verifier (verify.h).
 *
 * The served hashes are never trusted: every hash compared is recomputed
 * from the served entries, and the root and proofs are computed from the
 * recomputed hashes only, through an hh_tile_reader whose "fetch" reads them
 * from memory. Entry bundles come from the bundle pipeline
 * (bundle_pipeline.h), which fetches and checks them on several threads and
 * hands them over in bundle order on the calling thread; the first bundle
 * that fails ends the run, so the error kept is the one of the lowest
 * bundle, whatever the threads did first. Everything here runs on the
 * calling thread.
 *
 * Per full bundle n only MTH(bundle n) is stored, which is hash n of tile
 * level 1; leaf hashes are kept just for the bundles a root or proof can
 * need below level 8: the last one and the ones at the old size.
 */
#include <henhouse/client/verify.h>

#include <henhouse/client/bundle_pipeline.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEVELS           8 /* tile levels that can hold hashes: 256^8 = 2^64 */
#define KEPT             3
#define PROGRESS_MS      200
#define B64_HASH         45
#define LEAVES_OF(level) ((uint64_t)1 << (HH_TILE_HEIGHT * (level)))

struct kept {
    bool used;
    uint64_t index;
    struct hh_hash h[HH_TILE_WIDTH];
};

struct run {
    const struct hh_tile_source *src;
    const struct hh_verify_options *o;
    uint64_t size, nbundles;
    uint64_t count[LEVELS];        /* hashes at tile level L: size >> 8L */
    struct hh_hash *level[LEVELS]; /* recomputed, for L >= 1 */
    struct kept kept[KEPT];        /* recomputed leaf hashes of a few bundles */
    uint64_t entries, bundles, tiles;
    struct timespec last_progress;
};

/* ---- messages ---- */

static const char *b64(const struct hh_hash *h, char buf[B64_HASH])
{
    if (hh_base64_encode(h->b, HH_HASH_LEN, buf, B64_HASH) != HH_OK)
        buf[0] = '\0';
    return buf;
}

static const char *tile_name(const struct hh_tile *t, char buf[HH_TILE_PATH_MAX])
{
    if (hh_tile_path(t, buf, HH_TILE_PATH_MAX) != HH_OK)
        return "(invalid tile)";
    return buf;
}

/* "entry I" for a leaf hash, "entries A..B" for hash i of a tile level above 0. */
static void describe_hash(uint8_t level, uint64_t i, char *out, size_t cap)
{
    if (level == 0)
        snprintf(out, cap, "entry %llu", (unsigned long long)i);
    else
        snprintf(out, cap, "entries %llu..%llu", (unsigned long long)(i * LEAVES_OF(level)),
                 (unsigned long long)((i + 1) * LEAVES_OF(level) - 1));
}

/* ---- the checkpoints ---- */

/* Parses a signed note, verifies it under key and parses its checkpoint text. */
static hh_status signed_checkpoint(const char *what, const struct hh_verifier *key, const char *buf,
                                   size_t len, struct hh_checkpoint *cp, struct hh_error *err)
{
    struct hh_error inner = {0};
    struct hh_note_verified v;
    struct hh_note *note = NULL;
    size_t nv = 0;
    hh_status rc = hh_note_parse(buf, len, &note, &inner);

    memset(cp, 0, sizeof(*cp));
    if (rc != HH_OK)
        return hh_error_set(err, rc, "%s: %s", what, inner.msg);
    rc = hh_note_verify(note, key, 1, &v, 1, &nv, &inner);
    if (rc != HH_OK)
        rc = hh_error_set(err, rc, "%s: signature by %s: %s", what, key->name, inner.msg);
    if (rc == HH_OK && hh_checkpoint_parse(note->text, note->text_len, cp, &inner) != HH_OK)
        rc = hh_error_set(err, inner.code, "%s: %s", what, inner.msg);
    hh_note_free(note);
    return rc;
}

static hh_status fetch_checkpoint(const struct hh_tile_source *src, void *conn,
                                  const struct hh_verifier *key, struct hh_checkpoint *cp,
                                  struct hh_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    hh_status rc = src->checkpoint(conn, HH_NOTE_MAX_BYTES, &buf, &len, err);

    memset(cp, 0, sizeof(*cp));
    if (rc == HH_OK)
        rc = signed_checkpoint("checkpoint", key, (const char *)buf, len, cp, err);
    free(buf);
    return rc;
}

/* ---- one bundle, as the pipeline delivers it ---- */

_Static_assert(HH_VERIFY_MAX_THREADS == HH_PIPELINE_MAX_THREADS, "thread limits differ");
_Static_assert(HH_VERIFY_MAX_FETCHES == HH_PIPELINE_MAX_FETCHES, "fetch limits differ");

static hh_status fetch_tile(const struct run *r, void *conn, const struct hh_tile *t,
                            uint8_t **data, size_t *len, struct hh_error *err)
{
    size_t max =
        t->entries ? (size_t)t->width * (2 + HH_ENTRY_MAX) : (size_t)t->width * HH_HASH_LEN;
    return r->src->tile(conn, t, max, data, len, err);
}

static hh_status pass_on(hh_status rc, const struct hh_error *from, struct hh_error *err)
{
    return hh_error_set(err, rc, "%s", from->msg);
}

/* The lowest entry of b whose envelope check failed, as an error naming it. */
static hh_status entry_error(const struct hh_bundle *b, struct hh_error *err)
{
    char path[HH_TILE_PATH_MAX];
    unsigned long long index = (unsigned long long)(b->tile.index * HH_TILE_WIDTH + b->bad);
    hh_status rc = b->bad_err.code;

    tile_name(&b->tile, path);
    if (rc == HH_ERR_VERIFY)
        return hh_error_set(err, rc, "entry %llu (%s): signature does not verify under any signer",
                            index, path);
    if (rc == HH_ERR_NOMEM)
        return hh_error_set(err, rc, "entry %llu (%s): %s", index, path, b->bad_err.msg);
    return hh_error_set(err, HH_ERR_VERIFY, "entry %llu (%s): malformed envelope: %s", index, path,
                        b->bad_err.msg);
}

/* Compares served hash tile t (data, len) with the recomputed want[0..t->width). */
static hh_status check_hashes(const struct hh_tile *t, const uint8_t *data, size_t len,
                              const struct hh_hash *want, struct hh_error *err)
{
    char path[HH_TILE_PATH_MAX], what[64], a[B64_HASH], b[B64_HASH];
    struct hh_hash found;

    tile_name(t, path);
    if (len != (size_t)t->width * HH_HASH_LEN)
        return hh_error_set(err, HH_ERR_VERIFY, "%s: %zu bytes, expected %u hashes (%zu bytes)",
                            path, len, (unsigned)t->width, (size_t)t->width * HH_HASH_LEN);
    for (size_t i = 0; i < t->width; i++) {
        if (memcmp(data + i * HH_HASH_LEN, want[i].b, HH_HASH_LEN) == 0)
            continue;
        memcpy(found.b, data + i * HH_HASH_LEN, HH_HASH_LEN);
        describe_hash(t->level, t->index * HH_TILE_WIDTH + i, what, sizeof(what));
        return hh_error_set(err, HH_ERR_VERIFY, "%s: hash %zu (%s) expected %s found %s", path, i,
                            what, b64(&want[i], a), b64(&found, b));
    }
    return HH_OK;
}

/* MTH of 256 consecutive hashes. */
static void mth256(const struct hh_hash *in, struct hh_hash *out)
{
    struct hh_hash buf[HH_TILE_WIDTH / 2], h;

    for (size_t j = 0; j < HH_TILE_WIDTH / 2; j++)
        hh_merkle_node_hash(&in[2 * j], &in[2 * j + 1], &buf[j]);
    for (size_t n = HH_TILE_WIDTH / 4; n >= 1; n /= 2) {
        for (size_t j = 0; j < n; j++) {
            hh_merkle_node_hash(&buf[2 * j], &buf[2 * j + 1], &h);
            buf[j] = h;
        }
    }
    *out = buf[0];
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Calls the progress function at most every PROGRESS_MS, or now when forced. */
static void report_progress(struct run *r, bool force)
{
    if (r->o->progress == NULL || (!force && ms_since(&r->last_progress) < PROGRESS_MS))
        return;
    clock_gettime(CLOCK_MONOTONIC, &r->last_progress);
    r->o->progress(r->o->progress_ctx, r->entries, r->size);
}

/* Records what bundle t contributes to the recomputed tree. */
static void keep_bundle(struct run *r, const struct hh_tile *t, const struct hh_hash *leaves)
{
    if (t->width == HH_TILE_WIDTH)
        mth256(leaves, &r->level[1][t->index]);
    for (size_t k = 0; k < KEPT; k++)
        if (r->kept[k].used && r->kept[k].index == t->index)
            memcpy(r->kept[k].h, leaves, t->width * sizeof(*leaves));
    r->entries += t->width;
    r->bundles++;
    r->tiles++;
}

/*
 * Bundle b: its fetch and framing, then its entries' envelopes, then its
 * level-0 hash tile against the leaf hashes, in this order (verify.h).
 */
static hh_status deliver_bundle(void *ctx, struct hh_bundle *b, struct hh_error *err)
{
    struct run *r = ctx;
    struct hh_tile ht = b->tile;
    hh_status rc;

    if (b->rc != HH_OK)
        return pass_on(b->rc, &b->err, err);
    if (b->bad < b->tile.width)
        return entry_error(b, err);
    if (b->hashes_rc != HH_OK)
        return pass_on(b->hashes_rc, &b->hashes_err, err);
    ht.entries = false;
    rc = check_hashes(&ht, b->hashes, b->hashes_len, b->leaves, err);
    if (rc == HH_OK) {
        keep_bundle(r, &b->tile, b->leaves);
        report_progress(r, false);
    }
    return rc;
}

/* Step 2 of verify.h: every bundle and level-0 hash tile, through the pipeline. */
static hh_status check_bundles(struct run *r, struct hh_error *err)
{
    struct hh_pipeline p = {
        .src = r->src,
        .size = r->size,
        .hash_tiles = true,
        .signers = r->o->signers,
        .nsigners = r->o->nsigners,
        .threads = r->o->threads,
        .fetches = r->o->fetches != 0 ? r->o->fetches : HH_PIPELINE_DEFAULT_FETCHES,
        .deliver = deliver_bundle,
        .ctx = r,
    };
    hh_status rc = hh_pipeline_run(&p, err);

    report_progress(r, true);
    return rc;
}

/* ---- above level 0 ---- */

static void compute_levels(struct run *r)
{
    for (size_t l = 2; l < LEVELS && r->count[l] > 0; l++)
        for (uint64_t i = 0; i < r->count[l]; i++)
            mth256(&r->level[l - 1][i * HH_TILE_WIDTH], &r->level[l][i]);
}

static hh_status check_upper_tiles(struct run *r, void *conn, struct hh_error *err)
{
    hh_status rc = HH_OK;

    for (uint8_t l = 1; l < LEVELS && r->count[l] > 0 && rc == HH_OK; l++) {
        uint64_t ntiles = (r->count[l] + HH_TILE_WIDTH - 1) / HH_TILE_WIDTH;
        for (uint64_t n = 0; n < ntiles && rc == HH_OK; n++) {
            struct hh_tile t;
            uint8_t *data = NULL;
            size_t len = 0;
            if (hh_tile_for_size(false, l, n, r->size, &t) != HH_OK)
                return hh_error_set(err, HH_ERR_INTERNAL, "hash tile %u/%llu is not in the tree",
                                    (unsigned)l, (unsigned long long)n);
            rc = fetch_tile(r, conn, &t, &data, &len, err);
            if (rc == HH_OK)
                rc = check_hashes(&t, data, len, &r->level[l][n * HH_TILE_WIDTH], err);
            if (rc == HH_OK)
                r->tiles++;
            free(data);
        }
    }
    return rc;
}

/* hh_tile_fetch_fn over the recomputed hashes, for hh_tile_reader. */
static hh_status recomputed_tile(void *ctx, const struct hh_tile *t, uint8_t *out, size_t *got,
                                 struct hh_error *err)
{
    const struct run *r = ctx;
    const struct hh_hash *h = NULL;
    char name[HH_TILE_PATH_MAX];

    *got = 0;
    for (size_t k = 0; t->level == 0 && k < KEPT; k++)
        if (r->kept[k].used && r->kept[k].index == t->index)
            h = r->kept[k].h;
    if (t->level > 0 && t->level < LEVELS && t->index < r->count[t->level] / HH_TILE_WIDTH + 1 &&
        t->index * HH_TILE_WIDTH + t->width <= r->count[t->level])
        h = &r->level[t->level][t->index * HH_TILE_WIDTH];
    if (t->entries || h == NULL)
        return hh_error_set(err, HH_ERR_INTERNAL, "recomputed %s is not held", tile_name(t, name));
    memcpy(out, h, (size_t)t->width * HH_HASH_LEN);
    *got = t->width;
    return HH_OK;
}

static hh_status check_root(const struct hh_hash_reader *hr, uint64_t size,
                            const struct hh_hash *want, struct hh_error *err)
{
    char a[B64_HASH], b[B64_HASH];
    struct hh_hash got;
    hh_status rc = hh_merkle_root(hr, size, &got, err);

    if (rc != HH_OK)
        return rc;
    if (!hh_hash_equal(&got, want))
        return hh_error_set(err, HH_ERR_VERIFY,
                            "root mismatch: checkpoint says %s, entries give %s", b64(want, a),
                            b64(&got, b));
    return HH_OK;
}

/* The old checkpoint against the recomputed tree of cp->size leaves. */
static hh_status check_old(const struct hh_hash_reader *hr, const struct hh_checkpoint *cp,
                           const struct hh_checkpoint *old, struct hh_error *err)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], got;
    char a[B64_HASH], b[B64_HASH];
    size_t np = 0;
    hh_status rc;

    if (old->size > cp->size)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "old checkpoint has size %llu, larger than the log's %llu",
                            (unsigned long long)old->size, (unsigned long long)cp->size);
    rc = hh_merkle_root(hr, old->size, &got, err);
    if (rc != HH_OK)
        return rc;
    if (!hh_hash_equal(&got, &old->root))
        return hh_error_set(err, HH_ERR_VERIFY,
                            "old checkpoint root mismatch: it says %s for size %llu, the first "
                            "%llu entries give %s",
                            b64(&old->root, a), (unsigned long long)old->size,
                            (unsigned long long)old->size, b64(&got, b));
    if (old->size == 0)
        return HH_OK;
    rc = hh_merkle_consistency_proof(hr, old->size, cp->size, proof, &np, err);
    if (rc == HH_OK)
        rc = hh_merkle_verify_consistency(old->size, cp->size, &old->root, &cp->root, proof, np,
                                          err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "consistency proof from %llu to %llu",
                               (unsigned long long)old->size, (unsigned long long)cp->size);
    return HH_OK;
}

/* ---- setup ---- */

static void keep_index(struct run *r, uint64_t index)
{
    size_t free_slot = KEPT;

    if (index >= r->nbundles)
        return;
    for (size_t k = 0; k < KEPT; k++) {
        if (r->kept[k].used && r->kept[k].index == index)
            return;
        if (!r->kept[k].used && free_slot == KEPT)
            free_slot = k;
    }
    if (free_slot < KEPT) {
        r->kept[free_slot].used = true;
        r->kept[free_slot].index = index;
    }
}

static void run_free(struct run *r)
{
    if (r == NULL)
        return;
    for (size_t l = 0; l < LEVELS; l++)
        free(r->level[l]);
    free(r);
}

static hh_status run_new(const struct hh_tile_source *src, const struct hh_verify_options *o,
                         uint64_t size, uint64_t old_size, struct run **out, struct hh_error *err)
{
    struct run *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    clock_gettime(CLOCK_MONOTONIC, &r->last_progress);
    r->src = src;
    r->o = o;
    r->size = size;
    r->nbundles = size / HH_TILE_WIDTH + (size % HH_TILE_WIDTH != 0);
    for (size_t l = 0; l < LEVELS; l++)
        r->count[l] = size >> (HH_TILE_HEIGHT * l);
    for (size_t l = 1; l < LEVELS && r->count[l] > 0; l++) {
        r->level[l] = calloc((size_t)r->count[l], sizeof(struct hh_hash));
        if (r->level[l] == NULL) {
            unsigned long long n = (unsigned long long)r->count[l];
            run_free(r);
            return hh_error_set(err, HH_ERR_NOMEM, "out of memory for %llu hashes", n);
        }
    }
    if (size > 0)
        keep_index(r, (size - 1) / HH_TILE_WIDTH);
    keep_index(r, old_size / HH_TILE_WIDTH);
    if (old_size > 0)
        keep_index(r, (old_size - 1) / HH_TILE_WIDTH);
    *out = r;
    return HH_OK;
}

static hh_status check_options(const struct hh_verify_options *o, struct hh_error *err)
{
    if (o->log_key == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "no log key to verify checkpoints with");
    if (o->threads < 1 || o->threads > HH_VERIFY_MAX_THREADS)
        return hh_error_set(err, HH_ERR_INVALID, "threads must be 1..%d", HH_VERIFY_MAX_THREADS);
    if (o->fetches > HH_VERIFY_MAX_FETCHES)
        return hh_error_set(err, HH_ERR_INVALID, "fetches must be 0..%d", HH_VERIFY_MAX_FETCHES);
    if (o->nsigners > HH_VERIFY_MAX_SIGNERS || (o->nsigners > 0 && o->signers == NULL))
        return hh_error_set(err, HH_ERR_INVALID, "at most %d signers", HH_VERIFY_MAX_SIGNERS);
    return HH_OK;
}

/* The old checkpoint, if any: signed by the log key (old->size is 0 without one). */
static hh_status read_old(const struct hh_verify_options *o, struct hh_checkpoint *old,
                          struct hh_error *err)
{
    memset(old, 0, sizeof(*old));
    if (o->old_note == NULL)
        return HH_OK;
    if (o->old_note_len > HH_NOTE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "old checkpoint: %zu bytes exceed %d",
                            o->old_note_len, HH_NOTE_MAX_BYTES);
    return signed_checkpoint("old checkpoint", o->log_key, o->old_note, o->old_note_len, old, err);
}

static void fill_result(struct hh_verify_result *out, const struct run *r)
{
    out->entries = r->entries;
    out->bundles = r->bundles;
    out->tiles = r->tiles;
}

/* Steps 2 to 5 of verify.h, once the checkpoints are read. */
static hh_status verify_tree(struct run *r, void *conn, const struct hh_checkpoint *cp,
                             const struct hh_checkpoint *old, struct hh_verify_result *out,
                             struct hh_error *err)
{
    struct hh_tile_reader *tr = NULL;
    struct hh_hash_reader hr;
    hh_status rc = check_bundles(r, err);

    if (rc == HH_OK) {
        compute_levels(r);
        rc = check_upper_tiles(r, conn, err);
    }
    fill_result(out, r);
    if (rc != HH_OK)
        return rc;
    tr = hh_tile_reader_new(r->size, recomputed_tile, r);
    if (tr == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    hr = hh_tile_reader_hashes(tr);
    rc = check_root(&hr, cp->size, &cp->root, err);
    if (rc == HH_OK && r->o->old_note != NULL)
        rc = check_old(&hr, cp, old, err);
    if (rc == HH_OK && r->o->old_note != NULL) {
        out->have_old = true;
        out->old_size = old->size;
    }
    hh_tile_reader_free(tr);
    return rc;
}

hh_status hh_verify_log(const struct hh_tile_source *src, const struct hh_verify_options *o,
                        struct hh_verify_result *out, struct hh_error *err)
{
    struct hh_checkpoint cp, old;
    struct run *r = NULL;
    void *conn = NULL;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = check_options(o, err);
    if (rc == HH_OK)
        rc = read_old(o, &old, err);
    if (rc == HH_OK)
        rc = src->open(src->ctx, &conn, err);
    if (rc == HH_OK)
        rc = fetch_checkpoint(src, conn, o->log_key, &cp, err);
    if (rc != HH_OK)
        goto out;
    out->have_checkpoint = true;
    memcpy(out->origin, cp.origin, sizeof(out->origin));
    out->size = cp.size;
    out->root = cp.root;
    if (o->old_note != NULL && strcmp(old.origin, cp.origin) != 0) {
        rc = hh_error_set(err, HH_ERR_VERIFY, "old checkpoint is for origin '%s', the log is '%s'",
                          old.origin, cp.origin);
        goto out;
    }
    rc = run_new(src, o, cp.size, old.size, &r, err);
    if (rc == HH_OK)
        rc = verify_tree(r, conn, &cp, &old, out, err);
out:
    if (conn != NULL)
        src->close(conn);
    run_free(r);
    return rc;
}
