/*
 * mirror.c - checking another party's log and copying it (see mirror.h).
 *
 * All work for one mirror happens under its mutex, so the witness endpoint
 * and the peer thread never sync the same log at once. The mutex also
 * guards the one tile-source connection, opened on first use.
 */
#include "witness/mirror.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <henhouse/client/tile_source.h>

#include "log/tree_batch.h"
#include "storage/store.h"

struct hh_mirror {
    char origin[HH_ORIGIN_MAX + 1];
    struct hh_verifier log_key;
    struct hh_verifier *signers;
    size_t nsigners;
    struct hh_store *store;
    struct hh_tile_source src;
    void *conn; /* src's connection, opened on first use; guarded by mu */
    pthread_mutex_t mu;
};

/* Fetched bundles of one sync, and the new entries pointing into them. */
struct fetched {
    uint8_t **bundles;
    size_t nbundles;
    const uint8_t **entries;
    size_t *lens;
    uint64_t first; /* index of entries[0] */
    size_t n;
};

static void fetched_clear(struct fetched *f)
{
    for (size_t i = 0; i < f->nbundles; i++)
        free(f->bundles[i]);
    free(f->bundles);
    free(f->entries);
    free(f->lens);
    memset(f, 0, sizeof(*f));
}

static struct hh_evidence_observation observe(const char *by, const char *detail)
{
    struct hh_evidence_observation o = {by, (uint64_t)time(NULL), detail};
    return o;
}

/* cp disagrees with the mirror at cp->size <= M: build split-view or inconsistent evidence. */
static hh_status conflict_evidence(struct hh_mirror *m, const struct hh_checkpoint *cp,
                                   const char *note, size_t len,
                                   const struct hh_store_checkpoint *latest,
                                   const struct hh_hash *mirror_root, const char *observer,
                                   char **evidence, struct hh_error *err)
{
    struct hh_hash_reader r = hh_store_hash_reader(m->store);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_evidence_observation o =
        observe(observer, "a signed checkpoint disagrees with this witness's verified mirror");
    size_t n = 0;
    hh_status rc;

    if (cp->size == latest->size)
        rc = hh_evidence_split_view(&m->log_key, latest->note, latest->note_len, note, len, &o,
                                    evidence, err);
    else if ((rc = hh_merkle_consistency_proof(&r, cp->size, latest->size, proof, &n, err)) ==
             HH_OK)
        rc = hh_evidence_inconsistent(&m->log_key, note, len, latest->note, latest->note_len,
                                      mirror_root, proof, n, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY,
                        "%s signed a checkpoint of size %llu that conflicts "
                        "with the verified mirror",
                        m->origin, (unsigned long long)cp->size);
}

/* cp->size <= the mirror's size: the roots must agree. */
static hh_status compare(struct hh_mirror *m, const struct hh_checkpoint *cp, const char *note,
                         size_t len, const struct hh_store_checkpoint *latest, const char *observer,
                         char **evidence, struct hh_error *err)
{
    struct hh_hash_reader r = hh_store_hash_reader(m->store);
    struct hh_hash root;
    hh_status rc = hh_merkle_root(&r, cp->size, &root, err);

    if (rc != HH_OK || hh_hash_equal(&root, &cp->root))
        return rc;
    if (cp->size == 0)
        return hh_error_set(err, HH_ERR_INVALID, "a size-0 checkpoint must have the empty root");
    return conflict_evidence(m, cp, note, len, latest, &root, observer, evidence, err);
}

static hh_status fetch_bundle(struct hh_mirror *m, uint64_t index, uint16_t width, uint8_t **out,
                              size_t *len, struct hh_error *err)
{
    struct hh_tile t = {true, 0, index, width};
    hh_status rc = HH_OK;

    *out = NULL;
    *len = 0;
    if (m->conn == NULL)
        rc = m->src.open(m->src.ctx, &m->conn, err);
    if (rc == HH_OK)
        rc = m->src.tile(m->conn, &t, HH_BUNDLE_MAX_BYTES, out, len, err);
    return rc;
}

/* Fetches entries from..to-1 into f (bundles kept alive; entries point into them). */
static hh_status fetch_entries(struct hh_mirror *m, uint64_t from, uint64_t to, struct fetched *f,
                               struct hh_error *err)
{
    uint64_t first_bundle = from / HH_TILE_WIDTH, last_bundle = (to - 1) / HH_TILE_WIDTH;
    size_t nb = (size_t)(last_bundle - first_bundle + 1);

    memset(f, 0, sizeof(*f));
    f->first = from;
    f->bundles = calloc(nb, sizeof(*f->bundles));
    f->entries = calloc((size_t)(to - from), sizeof(*f->entries));
    f->lens = calloc((size_t)(to - from), sizeof(*f->lens));
    if (f->bundles == NULL || f->entries == NULL || f->lens == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    for (uint64_t b = first_bundle; b <= last_bundle; b++) {
        uint64_t end = (b + 1) * HH_TILE_WIDTH < to ? (b + 1) * HH_TILE_WIDTH : to;
        uint16_t width = (uint16_t)(end - b * HH_TILE_WIDTH);
        const uint8_t *e[HH_TILE_WIDTH];
        size_t l[HH_TILE_WIDTH];
        size_t len = 0;
        hh_status rc = fetch_bundle(m, b, width, &f->bundles[f->nbundles], &len, err);
        if (rc != HH_OK)
            return rc;
        rc = hh_bundle_parse(f->bundles[f->nbundles++], len, width, e, l, err);
        if (rc != HH_OK)
            return hh_error_prefix(err, HH_ERR_VERIFY, "entry bundle %llu", (unsigned long long)b);
        for (uint64_t i = b * HH_TILE_WIDTH; i < end; i++) {
            if (i < from)
                continue;
            f->entries[f->n] = e[i - b * HH_TILE_WIDTH];
            f->lens[f->n++] = l[i - b * HH_TILE_WIDTH];
        }
    }
    return HH_OK;
}

/* Served entries do not give the signed root: a rewrite (provable) or bad data. */
static hh_status mismatch_evidence(struct hh_mirror *m, const struct hh_checkpoint *cp,
                                   const char *note, size_t len,
                                   const struct hh_store_checkpoint *latest, const char *observer,
                                   char **evidence, struct hh_error *err);

static hh_status unauthorised_evidence(struct hh_mirror *m, struct hh_tree_batch *b,
                                       const struct hh_checkpoint *cp, const char *note, size_t len,
                                       uint64_t index, const uint8_t *entry, size_t elen,
                                       const char *observer, char **evidence, struct hh_error *err)
{
    struct hh_hash_reader r = hh_tree_batch_reader(b);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_evidence_observation o =
        observe(observer, "an entry in the signed log is not signed by any of the party's signers");
    size_t n = 0;
    hh_status rc = hh_merkle_inclusion_proof(&r, index, cp->size, proof, &n, err);

    if (rc == HH_OK)
        rc = hh_evidence_unauthorised_entry(&m->log_key, note, len, index, entry, elen, proof, n,
                                            m->signers, m->nsigners, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s entry %llu is not signed by any of its signers",
                        m->origin, (unsigned long long)index);
}

static bool entry_authorised(const struct hh_mirror *m, const uint8_t *data, size_t len)
{
    struct hh_dsse *env = NULL;
    size_t nv = 0;
    bool ok = hh_dsse_parse((const char *)data, len, &env, NULL) == HH_OK &&
              hh_dsse_verify(env, m->signers, m->nsigners, NULL, &nv, NULL) == HH_OK;
    hh_dsse_free(env);
    return ok;
}

static hh_status store_new(struct hh_mirror *m, struct hh_tree_batch *b, const struct fetched *f,
                           const struct hh_checkpoint *cp, const char *note, size_t len,
                           struct hh_error *err)
{
    struct hh_store_entry *e = calloc(f->n, sizeof(*e));
    const struct hh_subtree_id *ids = NULL;
    const struct hh_hash *hashes = NULL;
    size_t nn = 0;
    hh_status rc = HH_OK;

    if (e == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < f->n; i++) {
        hh_merkle_leaf_hash(f->entries[i], f->lens[i], &e[i].id); /* dedup key: the leaf hash */
        e[i].data = f->entries[i];
        e[i].len = f->lens[i];
    }
    hh_tree_batch_nodes(b, &ids, &hashes, &nn);
    rc = hh_store_append(m->store, f->first, e, f->n, ids, hashes, nn, err);
    if (rc == HH_OK)
        rc = hh_store_put_checkpoint(m->store, cp->size, &cp->root, note, len, err);
    free(e);
    return rc;
}

/* cp->size > M: fetch, check and append the new entries. */
static hh_status extend(struct hh_mirror *m, uint64_t held, const struct hh_checkpoint *cp,
                        const char *note, size_t len, const struct hh_store_checkpoint *latest,
                        const char *observer, char **evidence, struct hh_error *err)
{
    struct hh_tree_batch *b = NULL;
    struct fetched f;
    struct hh_hash root;
    hh_status rc;

    memset(&f, 0, sizeof(f));
    if (cp->size - held > HH_MIRROR_MAX_SYNC)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "%s grew by %llu entries since the last pull",
                            m->origin, (unsigned long long)(cp->size - held));
    rc = fetch_entries(m, held, cp->size, &f, err);
    if (rc == HH_OK)
        rc = hh_tree_batch_new(m->store, held, cp->size, &b, err);
    for (size_t i = 0; rc == HH_OK && i < f.n; i++) {
        struct hh_hash leaf;
        hh_merkle_leaf_hash(f.entries[i], f.lens[i], &leaf);
        rc = hh_tree_batch_add(b, &leaf, err);
    }
    if (rc == HH_OK) {
        struct hh_hash_reader r = hh_tree_batch_reader(b);
        rc = hh_merkle_root(&r, cp->size, &root, err);
    }
    if (rc == HH_OK && !hh_hash_equal(&root, &cp->root))
        rc = mismatch_evidence(m, cp, note, len, latest, observer, evidence, err);
    for (size_t i = 0; rc == HH_OK && i < f.n; i++)
        if (!entry_authorised(m, f.entries[i], f.lens[i]))
            rc = unauthorised_evidence(m, b, cp, note, len, f.first + i, f.entries[i], f.lens[i],
                                       observer, evidence, err);
    if (rc == HH_OK)
        rc = store_new(m, b, &f, cp, note, len, err);
    hh_tree_batch_free(b);
    fetched_clear(&f);
    return rc;
}

/* Refetches the whole log to tell a rewritten history (proven) from bad data. */
static hh_status mismatch_evidence(struct hh_mirror *m, const struct hh_checkpoint *cp,
                                   const char *note, size_t len,
                                   const struct hh_store_checkpoint *latest, const char *observer,
                                   char **evidence, struct hh_error *err)
{
    struct hh_memtree *t = hh_memtree_new();
    struct hh_hash_reader r;
    struct hh_hash root, old_root, proof[HH_MERKLE_MAX_PROOF];
    struct fetched f;
    struct hh_evidence_observation o;
    size_t n = 0;
    hh_status rc = t == NULL ? hh_error_set(err, HH_ERR_NOMEM, "out of memory") : HH_OK;

    memset(&f, 0, sizeof(f));
    if (rc == HH_OK && cp->size <= HH_MIRROR_MAX_SYNC)
        rc = fetch_entries(m, 0, cp->size, &f, err);
    for (size_t i = 0; rc == HH_OK && i < f.n; i++) {
        struct hh_hash leaf;
        hh_merkle_leaf_hash(f.entries[i], f.lens[i], &leaf);
        rc = hh_memtree_append(t, &leaf);
    }
    if (rc == HH_OK && f.n == cp->size) {
        r = hh_memtree_reader(t);
        rc = hh_merkle_root(&r, cp->size, &root, err);
        if (rc == HH_OK && hh_hash_equal(&root, &cp->root) && latest->size > 0 &&
            hh_merkle_root(&r, latest->size, &old_root, err) == HH_OK &&
            !hh_hash_equal(&old_root, &latest->root) &&
            hh_merkle_consistency_proof(&r, latest->size, cp->size, proof, &n, err) == HH_OK) {
            o = observe(observer, "the log's new tree does not extend the tree it signed before");
            rc = hh_evidence_inconsistent(&m->log_key, latest->note, latest->note_len, note, len,
                                          &old_root, proof, n, &o, evidence, err);
            goto out;
        }
    }
    if (rc == HH_OK || rc == HH_ERR_VERIFY) {
        o = observe(observer, "served entry bundles do not hash to the signed root");
        rc = hh_evidence_bad_data(&m->log_key, note, len, "tile/entries/", &o, evidence, err);
    }
out:
    hh_memtree_free(t);
    fetched_clear(&f);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s: served entries do not match its signed root",
                        m->origin);
}

hh_status hh_mirror_check(struct hh_mirror *m, const struct hh_checkpoint *cp, const char *note,
                          size_t len, const char *observer, char **evidence, struct hh_error *err)
{
    struct hh_store_checkpoint latest;
    uint64_t held = 0;
    hh_status rc;

    *evidence = NULL;
    memset(&latest, 0, sizeof(latest));
    pthread_mutex_lock(&m->mu);
    rc = hh_store_size(m->store, &held, err);
    if (rc == HH_OK && held > 0)
        rc = hh_store_latest_checkpoint(m->store, &latest, err);
    if (rc == HH_OK && cp->size <= held)
        rc = compare(m, cp, note, len, &latest, observer, evidence, err);
    else if (rc == HH_OK)
        rc = extend(m, held, cp, note, len, &latest, observer, evidence, err);
    pthread_mutex_unlock(&m->mu);
    hh_store_checkpoint_clear(&latest);
    return rc;
}

hh_status hh_mirror_size(struct hh_mirror *m, uint64_t *size, struct hh_error *err)
{
    return hh_store_size(m->store, size, err);
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
    if (m->conn != NULL)
        m->src.close(m->conn);
    hh_tile_source_clear(&m->src);
    hh_store_close(m->store);
    pthread_mutex_destroy(&m->mu);
    free(m->signers);
    free(m);
}
