/*
 * node.c - creating and opening a node directory.
 */
#include "node.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <henhouse/client/files.h>
#include "peer/peer.h"

hh_status hh_node_path(const char *dir, const char *rel, char *out, size_t cap,
                       struct hh_error *err)
{
    int n = rel[0] == '/' ? snprintf(out, cap, "%s", rel) : snprintf(out, cap, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= cap)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "path too long: %s/%s", dir, rel);
    return HH_OK;
}

static int party_valid(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > HH_PARTY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
              p[i] == '_'))
            return 0;
    return 1;
}

/* Creates dir, or accepts it when it exists and is empty. */
static hh_status make_empty_dir(const char *dir, struct hh_error *err)
{
    DIR *d;
    struct dirent *e;

    if (mkdir(dir, 0700) == 0)
        return HH_OK;
    if (errno != EEXIST)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", dir, strerror(errno));
    d = opendir(dir);
    if (d == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            closedir(d);
            return hh_error_set(err, HH_ERR_CONFLICT,
                                "%s is not empty; refusing to overwrite an existing node", dir);
        }
    }
    closedir(d);
    return HH_OK;
}

static hh_status new_key(const char *dir, const char *base, const char *name, uint8_t type,
                         struct hh_error *err)
{
    struct hh_signer *s = NULL;
    hh_status rc = hh_signer_generate(name, type, &s, err);
    if (rc == HH_OK)
        rc = hh_write_key_pair(s, dir, base, err);
    hh_signer_free(s);
    return rc;
}

static hh_status write_config(const char *dir, const char *party, const char *origin,
                              struct hh_error *err)
{
    struct hh_config c;
    char path[HH_CONFIG_PATH_MAX + 32];
    char *text = NULL;
    hh_status rc;

    hh_config_defaults(&c);
    snprintf(c.party, sizeof(c.party), "%s", party);
    snprintf(c.origin, sizeof(c.origin), "%s", origin);
    snprintf(c.log_key, sizeof(c.log_key), "log.key");
    snprintf(c.witness_key, sizeof(c.witness_key), "witness.key");
    snprintf(c.signers[0], sizeof(c.signers[0]), "operator.vkey");
    c.nsigners = 1;
    rc = hh_config_format(&c, &text, err);
    if (rc == HH_OK)
        rc = hh_node_path(dir, HH_CONFIG_FILE, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_write_new_file(path, text, strlen(text), 0644, err);
    free(text);
    return rc;
}

hh_status hh_node_init(const char *dir, const char *party, const char *origin, struct hh_error *err)
{
    char name[HH_KEY_NAME_MAX + 1];
    struct hh_node *n = NULL;
    hh_status rc;

    if (!party_valid(party))
        return hh_error_set(err, HH_ERR_INVALID,
                            "party must be 1-%d characters of a-z, 0-9, '-' and '_'", HH_PARTY_MAX);
    if (strlen(origin) > HH_ORIGIN_MAX - 9 || !hh_key_name_valid(origin, strlen(origin)) ||
        strchr(origin, '#') != NULL)
        return hh_error_set(err, HH_ERR_INVALID,
                            "origin must be a key name (no spaces, '+' or '#', at most %d bytes)",
                            HH_ORIGIN_MAX - 9);
    rc = make_empty_dir(dir, err);
    if (rc != HH_OK)
        return rc;
    rc = new_key(dir, "log", origin, HH_KEY_ED25519, err);
    snprintf(name, sizeof(name), "%s/witness", origin);
    if (rc == HH_OK)
        rc = new_key(dir, "witness", name, HH_KEY_COSIGNATURE, err);
    snprintf(name, sizeof(name), "%s/operator", origin);
    if (rc == HH_OK)
        rc = new_key(dir, "operator", name, HH_KEY_ED25519, err);
    if (rc == HH_OK)
        rc = write_config(dir, party, origin, err);
    if (rc == HH_OK)
        rc = hh_node_open(dir, &n, err);
    if (rc == HH_OK)
        rc = hh_node_start_sequencer(n, err); /* signs the first, empty checkpoint */
    hh_node_close(n);
    return rc;
}

static hh_status load_keys(struct hh_node *n, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    const struct hh_config *c = &n->config;
    hh_status rc = hh_node_path(n->dir, c->log_key, path, sizeof(path), err);

    if (rc == HH_OK)
        rc = hh_load_signer(path, &n->log_key, err);
    if (rc == HH_OK)
        rc = hh_node_path(n->dir, c->witness_key, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_load_signer(path, &n->witness_key, err);
    if (rc != HH_OK)
        return rc;
    hh_signer_verifier(n->log_key, &n->log_vkey);
    hh_signer_verifier(n->witness_key, &n->witness_vkey);
    if (n->log_vkey.type != HH_KEY_ED25519 || strcmp(n->log_vkey.name, c->origin) != 0)
        return hh_error_set(err, HH_ERR_INVALID,
                            "the log key must be an Ed25519 key named after the origin '%s'",
                            c->origin);
    if (n->witness_vkey.type != HH_KEY_COSIGNATURE)
        return hh_error_set(err, HH_ERR_INVALID, "the witness key must be a cosignature key");
    for (size_t i = 0; i < c->nsigners && rc == HH_OK; i++) {
        rc = hh_node_path(n->dir, c->signers[i], path, sizeof(path), err);
        if (rc == HH_OK)
            rc = hh_load_verifier(path, &n->signers[i], err);
        if (rc == HH_OK && n->signers[i].type != HH_KEY_ED25519)
            rc = hh_error_set(err, HH_ERR_INVALID, "%s: a signer must be an Ed25519 key", path);
        n->nsigners = i + 1;
    }
    return rc;
}

static hh_status load_vkey(struct hh_node *n, const char *rel, uint8_t type, struct hh_verifier *v,
                           struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    hh_status rc = hh_node_path(n->dir, rel, path, sizeof(path), err);

    if (rc == HH_OK)
        rc = hh_load_verifier(path, v, err);
    if (rc == HH_OK && v->type != type)
        rc = hh_error_set(err, HH_ERR_INVALID, "%s: expected a key of type 0x%02x", path, type);
    return rc;
}

static hh_status open_log(struct hh_node *n, struct hh_peer_log *l, struct hh_error *err)
{
    char rel[HH_CONFIG_PATH_MAX], path[HH_CONFIG_PATH_MAX * 2];
    hh_status rc = load_vkey(n, l->cfg->vkey, HH_KEY_ED25519, &l->vkey, err);

    if (rc == HH_OK && strcmp(l->vkey.name, l->cfg->origin) != 0)
        rc = hh_error_set(err, HH_ERR_INVALID, "log '%s': its key is named '%s', not its origin",
                          l->cfg->name, l->vkey.name);
    for (size_t i = 0; rc == HH_OK && i < l->cfg->nsigners; i++, l->nsigners++)
        rc = load_vkey(n, l->cfg->signers[i], HH_KEY_ED25519, &l->signers[i], err);
    if (rc != HH_OK || !l->cfg->mirror)
        return rc;
    if (l->nsigners == 0)
        return hh_error_set(err, HH_ERR_INVALID, "log '%s' is mirrored but has no log-signer",
                            l->cfg->name);
    snprintf(rel, sizeof(rel), "mirrors/%s.db", l->cfg->name);
    rc = hh_node_path(n->dir, "mirrors", path, sizeof(path), err);
    if (rc == HH_OK && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc == HH_OK)
        rc = hh_node_path(n->dir, rel, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_store_open_sqlite(path, &l->mirror, err);
    return rc;
}

static hh_status load_peers(struct hh_node *n, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    hh_status rc = hh_node_path(n->dir, "witness.db", path, sizeof(path), err);

    if (rc == HH_OK)
        rc = hh_wdb_open(path, &n->wdb, err);
    for (size_t i = 0; rc == HH_OK && i < n->config.nlogs; i++) {
        struct hh_peer_log *l = &n->logs[i];
        l->cfg = &n->config.logs[i];
        pthread_mutex_init(&l->mu, NULL);
        n->nlogs++;
        if (strcmp(l->cfg->origin, n->config.origin) == 0)
            rc = hh_error_set(err, HH_ERR_INVALID, "log '%s' has this node's own origin",
                              l->cfg->name);
        else
            rc = open_log(n, l, err);
    }
    for (size_t i = 0; rc == HH_OK && i < n->config.nwitnesses; i++) {
        n->witnesses[i].cfg = &n->config.witnesses[i];
        rc =
            load_vkey(n, n->witnesses[i].cfg->vkey, HH_KEY_COSIGNATURE, &n->witnesses[i].vkey, err);
        n->nwitnesses = i + 1;
    }
    return rc;
}

struct hh_peer_log *hh_node_find_log(struct hh_node *n, const char *origin)
{
    for (size_t i = 0; i < n->nlogs; i++)
        if (strcmp(n->logs[i].cfg->origin, origin) == 0)
            return &n->logs[i];
    return NULL;
}

static const char *evidence_kind(const char *json, size_t len, bool *proven)
{
    struct hh_evidence_verdict v;

    *proven = false;
    if (hh_evidence_verify(json, len, &v, NULL) != HH_OK)
        return "unreadable";
    *proven = v.proven;
    return hh_evidence_kind_name(v.kind);
}

/*
 * What a piece of evidence is about, as hex SHA-256 of its kind, checkpoints
 * and entry: the same conflict observed again (at another time, by another
 * route) gets the same key and is stored once.
 */
static void evidence_key(const char *json, size_t len, const char *kind, char key[65])
{
    json_t *root = json_loadb(json, len, 0, NULL);
    char *what = NULL;
    struct hh_sha256_ctx ctx;
    struct hh_hash h;

    hh_sha256_init(&ctx);
    hh_sha256_update(&ctx, kind, strlen(kind) + 1);
    if (root != NULL) {
        json_t *about =
            json_pack("{s:O*, s:O*}", "checkpoints", json_object_get(root, "checkpoints"), "entry",
                      json_object_get(root, "entry"));
        what = about != NULL ? json_dumps(about, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(about);
    }
    if (what != NULL)
        hh_sha256_update(&ctx, what, strlen(what));
    else
        hh_sha256_update(&ctx, json, len);
    hh_sha256_final(&ctx, &h);
    hh_hash_to_hex(&h, key);
    free(what);
    json_decref(root);
}

hh_status hh_node_record_evidence(struct hh_node *n, const char *origin, const char *json,
                                  size_t len, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2], rel[96], key[65];
    bool proven = false;
    const char *kind = evidence_kind(json, len, &proven);
    int64_t id = 0;
    hh_status rc;

    evidence_key(json, len, kind, key);
    rc = hh_wdb_add_evidence(n->wdb, origin, kind, key, json, len, &id, err);
    if (rc == HH_ERR_CONFLICT) /* already held */
        return proven ? hh_wdb_freeze(n->wdb, origin, err) : HH_OK;

    if (rc == HH_OK && proven)
        rc = hh_wdb_freeze(n->wdb, origin, err);
    if (rc == HH_OK)
        rc = hh_node_path(n->dir, "evidence", path, sizeof(path), err);
    if (rc == HH_OK && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    snprintf(rel, sizeof(rel), "evidence/%lld-%s.json", (long long)id, kind);
    if (rc == HH_OK)
        rc = hh_node_path(n->dir, rel, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_write_new_file(path, json, len, 0644, err);
    return rc;
}

hh_status hh_node_open(const char *dir, struct hh_node **out, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    struct hh_node *n;
    hh_status rc;

    *out = NULL;
    if (strlen(dir) >= sizeof(n->dir))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "node directory path too long");
    n = calloc(1, sizeof(*n));
    if (n == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    memcpy(n->dir, dir, strlen(dir) + 1);
    rc = hh_config_load(dir, &n->config, err);
    if (rc == HH_OK)
        rc = load_keys(n, err);
    if (rc == HH_OK)
        rc = load_peers(n, err);
    if (rc == HH_OK)
        rc = hh_node_path(dir, n->config.database, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_store_open_sqlite(path, &n->store, err);
    if (rc != HH_OK) {
        hh_node_close(n);
        return rc;
    }
    *out = n;
    return HH_OK;
}

static void poke_peers(void *ctx, uint64_t size)
{
    struct hh_node *n = ctx;
    (void)size;
    hh_peer_client_poke(__atomic_load_n(&n->peers, __ATOMIC_ACQUIRE));
}

hh_status hh_node_start_peers(struct hh_node *n, struct hh_error *err)
{
    struct hh_peer_client *p = NULL;
    hh_status rc = hh_peer_client_start(n, &p, err);
    if (rc == HH_OK)
        __atomic_store_n(&n->peers, p, __ATOMIC_RELEASE);
    return rc;
}

void hh_node_stop_peers(struct hh_node *n)
{
    hh_peer_client_stop(__atomic_exchange_n(&n->peers, NULL, __ATOMIC_ACQ_REL));
}

hh_status hh_node_start_sequencer(struct hh_node *n, struct hh_error *err)
{
    struct hh_sequencer_config sc = {
        .origin = n->config.origin,
        .log_key = n->log_key,
        .interval_ms = n->config.batch_interval_ms,
        .batch_max = n->config.batch_max,
        .queue_max = n->config.queue_max,
        .on_checkpoint = poke_peers,
        .ctx = n,
    };
    return hh_sequencer_start(n->store, &sc, &n->sequencer, err);
}

void hh_node_close(struct hh_node *n)
{
    if (n == NULL)
        return;
    hh_node_stop_peers(n);
    hh_sequencer_stop(n->sequencer);
    hh_store_close(n->store);
    for (size_t i = 0; i < n->nlogs; i++) {
        hh_store_close(n->logs[i].mirror);
        pthread_mutex_destroy(&n->logs[i].mu);
    }
    hh_wdb_close(n->wdb);
    hh_signer_free(n->log_key);
    hh_signer_free(n->witness_key);
    free(n);
}
