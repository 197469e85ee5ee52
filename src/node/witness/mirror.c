/*
 * mirror.c - checking another party's log and copying it (see mirror.h).
 *
 * All work for one log happens under its mutex, so the witness endpoint and
 * the peer thread never mirror the same log at once.
 */
#include "witness/mirror.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/tree_batch.h"

/* Fetched bundles of one sync, and the new entries pointing into them. */
struct fetched {
    struct hh_http_response *bundles;
    size_t nbundles;
    const uint8_t **entries;
    size_t *lens;
    uint64_t first; /* index of entries[0] */
    size_t n;
};

static void fetched_clear(struct fetched *f)
{
    for (size_t i = 0; i < f->nbundles; i++)
        hh_http_response_clear(&f->bundles[i]);
    free(f->bundles);
    free(f->entries);
    free(f->lens);
    memset(f, 0, sizeof(*f));
}

hh_status hh_mirror_verify_note(const struct hh_peer_log *log, const char *note, size_t len,
                                struct hh_checkpoint *cp, struct hh_error *err)
{
    struct hh_note *n = NULL;
    struct hh_note_verified v;
    size_t nv = 0;
    hh_status rc = hh_note_parse(note, len, &n, err);

    memset(cp, 0, sizeof(*cp));
    if (rc == HH_OK)
        rc = hh_note_verify(n, &log->vkey, 1, &v, 1, &nv, err);
    if (rc == HH_OK)
        rc = hh_checkpoint_parse(n->text, n->text_len, cp, err);
    if (rc == HH_OK && strcmp(cp->origin, log->cfg->origin) != 0)
        rc = hh_error_set(err, HH_ERR_INVALID, "checkpoint origin '%s' is not '%s'", cp->origin,
                          log->cfg->origin);
    hh_note_free(n);
    return rc;
}

static struct hh_evidence_observation observe(const char *by, const char *detail)
{
    struct hh_evidence_observation o = {by, (uint64_t)time(NULL), detail};
    return o;
}

/* cp disagrees with the mirror at cp->size <= M: build split-view or inconsistent evidence. */
static hh_status conflict_evidence(struct hh_peer_log *log, const struct hh_checkpoint *cp,
                                   const char *note, size_t len,
                                   const struct hh_store_checkpoint *latest,
                                   const struct hh_hash *mirror_root, const char *observer,
                                   char **evidence, struct hh_error *err)
{
    struct hh_hash_reader r = hh_store_hash_reader(log->mirror);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct hh_evidence_observation o =
        observe(observer, "a signed checkpoint disagrees with this witness's verified mirror");
    size_t n = 0;
    hh_status rc;

    if (cp->size == latest->size)
        rc = hh_evidence_split_view(&log->vkey, latest->note, latest->note_len, note, len, &o,
                                    evidence, err);
    else if ((rc = hh_merkle_consistency_proof(&r, cp->size, latest->size, proof, &n, err)) ==
             HH_OK)
        rc = hh_evidence_inconsistent(&log->vkey, note, len, latest->note, latest->note_len,
                                      mirror_root, proof, n, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY,
                        "%s signed a checkpoint of size %llu that conflicts "
                        "with the verified mirror",
                        log->cfg->origin, (unsigned long long)cp->size);
}

/* cp->size <= the mirror's size: the roots must agree. */
static hh_status compare(struct hh_peer_log *log, const struct hh_checkpoint *cp, const char *note,
                         size_t len, const struct hh_store_checkpoint *latest, const char *observer,
                         char **evidence, struct hh_error *err)
{
    struct hh_hash_reader r = hh_store_hash_reader(log->mirror);
    struct hh_hash root;
    hh_status rc = hh_merkle_root(&r, cp->size, &root, err);

    if (rc != HH_OK || hh_hash_equal(&root, &cp->root))
        return rc;
    if (cp->size == 0)
        return hh_error_set(err, HH_ERR_INVALID, "a size-0 checkpoint must have the empty root");
    return conflict_evidence(log, cp, note, len, latest, &root, observer, evidence, err);
}

static hh_status fetch_bundle(struct hh_http_client *http, const char *base, uint64_t index,
                              uint16_t width, struct hh_http_response *out, struct hh_error *err)
{
    struct hh_tile t = {true, 0, index, width};
    char path[HH_TILE_PATH_MAX], url[HH_CONFIG_URL_MAX + HH_TILE_PATH_MAX + 2];
    hh_status rc = hh_tile_path(&t, path, sizeof(path));

    if (rc != HH_OK)
        return hh_error_set(err, rc, "bad bundle index");
    snprintf(url, sizeof(url), "%s/%s", base, path);
    rc = hh_http_get(http, url, HH_BUNDLE_MAX_BYTES, out, err);
    if (rc == HH_OK && out->status != 200) {
        rc = hh_error_set(err, HH_ERR_IO, "%s: HTTP %ld", url, out->status);
        hh_http_response_clear(out);
    }
    return rc;
}

/* Fetches entries from..to-1 into f (bundles kept alive; entries point into them). */
static hh_status fetch_entries(struct hh_peer_log *log, struct hh_http_client *http, uint64_t from,
                               uint64_t to, struct fetched *f, struct hh_error *err)
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
        struct hh_http_response *resp = &f->bundles[f->nbundles];
        hh_status rc = fetch_bundle(http, log->cfg->url, b, width, resp, err);
        if (rc != HH_OK)
            return rc;
        f->nbundles++;
        rc = hh_bundle_parse(resp->body, resp->len, width, e, l, err);
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
static hh_status mismatch_evidence(struct hh_peer_log *log, struct hh_http_client *http,
                                   const struct hh_checkpoint *cp, const char *note, size_t len,
                                   const struct hh_store_checkpoint *latest, const char *observer,
                                   char **evidence, struct hh_error *err);

static hh_status unauthorised_evidence(struct hh_peer_log *log, struct hh_tree_batch *b,
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
        rc = hh_evidence_unauthorised_entry(&log->vkey, note, len, index, entry, elen, proof, n,
                                            log->signers, log->nsigners, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s entry %llu is not signed by any of its signers",
                        log->cfg->origin, (unsigned long long)index);
}

static bool entry_authorised(const struct hh_peer_log *log, const uint8_t *data, size_t len)
{
    struct hh_dsse *env = NULL;
    size_t nv = 0;
    bool ok = hh_dsse_parse((const char *)data, len, &env, NULL) == HH_OK &&
              hh_dsse_verify(env, log->signers, log->nsigners, NULL, &nv, NULL) == HH_OK;
    hh_dsse_free(env);
    return ok;
}

static hh_status store_new(struct hh_peer_log *log, struct hh_tree_batch *b,
                           const struct fetched *f, const struct hh_checkpoint *cp,
                           const char *note, size_t len, struct hh_error *err)
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
    rc = hh_store_append(log->mirror, f->first, e, f->n, ids, hashes, nn, err);
    if (rc == HH_OK)
        rc = hh_store_put_checkpoint(log->mirror, cp->size, &cp->root, note, len, err);
    free(e);
    return rc;
}

/* cp->size > M: fetch, check and append the new entries. */
static hh_status extend(struct hh_peer_log *log, struct hh_http_client *http, uint64_t m,
                        const struct hh_checkpoint *cp, const char *note, size_t len,
                        const struct hh_store_checkpoint *latest, const char *observer,
                        char **evidence, struct hh_error *err)
{
    struct hh_tree_batch *b = NULL;
    struct fetched f;
    struct hh_hash root;
    hh_status rc;

    memset(&f, 0, sizeof(f));
    if (cp->size - m > HH_MIRROR_MAX_SYNC)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "%s grew by %llu entries since the last pull",
                            log->cfg->origin, (unsigned long long)(cp->size - m));
    rc = fetch_entries(log, http, m, cp->size, &f, err);
    if (rc == HH_OK)
        rc = hh_tree_batch_new(log->mirror, m, cp->size, &b, err);
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
        rc = mismatch_evidence(log, http, cp, note, len, latest, observer, evidence, err);
    for (size_t i = 0; rc == HH_OK && i < f.n; i++)
        if (!entry_authorised(log, f.entries[i], f.lens[i]))
            rc = unauthorised_evidence(log, b, cp, note, len, f.first + i, f.entries[i], f.lens[i],
                                       observer, evidence, err);
    if (rc == HH_OK)
        rc = store_new(log, b, &f, cp, note, len, err);
    hh_tree_batch_free(b);
    fetched_clear(&f);
    return rc;
}

/* Refetches the whole log to tell a rewritten history (proven) from bad data. */
static hh_status mismatch_evidence(struct hh_peer_log *log, struct hh_http_client *http,
                                   const struct hh_checkpoint *cp, const char *note, size_t len,
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
        rc = fetch_entries(log, http, 0, cp->size, &f, err);
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
            rc = hh_evidence_inconsistent(&log->vkey, latest->note, latest->note_len, note, len,
                                          &old_root, proof, n, &o, evidence, err);
            goto out;
        }
    }
    if (rc == HH_OK || rc == HH_ERR_VERIFY) {
        o = observe(observer, "served entry bundles do not hash to the signed root");
        rc = hh_evidence_bad_data(&log->vkey, note, len, "tile/entries/", &o, evidence, err);
    }
out:
    hh_memtree_free(t);
    fetched_clear(&f);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s: served entries do not match its signed root",
                        log->cfg->origin);
}

hh_status hh_mirror_check(struct hh_peer_log *log, struct hh_http_client *http,
                          const struct hh_checkpoint *cp, const char *note, size_t len,
                          const char *observer, char **evidence, struct hh_error *err)
{
    struct hh_store_checkpoint latest;
    uint64_t m = 0;
    hh_status rc;

    *evidence = NULL;
    memset(&latest, 0, sizeof(latest));
    if (log->mirror == NULL)
        return HH_OK;
    pthread_mutex_lock(&log->mu);
    rc = hh_store_size(log->mirror, &m, err);
    if (rc == HH_OK && m > 0)
        rc = hh_store_latest_checkpoint(log->mirror, &latest, err);
    if (rc == HH_OK && cp->size <= m)
        rc = compare(log, cp, note, len, &latest, observer, evidence, err);
    else if (rc == HH_OK)
        rc = extend(log, http, m, cp, note, len, &latest, observer, evidence, err);
    pthread_mutex_unlock(&log->mu);
    hh_store_checkpoint_clear(&latest);
    return rc;
}
