/*
 * witness.c - the witnessed logs, their keys and mirrors, and the one
 * judgement every checkpoint of theirs goes through (see witness.h).
 */
#include "witness/witness_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <henhouse/client/files.h>

static hh_status load_vkey(const char *dir, const char *rel, uint8_t type, struct hh_verifier *v,
                           struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    hh_status rc = hh_config_path(dir, rel, path, sizeof(path), err);

    if (rc == HH_OK)
        rc = hh_load_verifier(path, v, err);
    if (rc == HH_OK && v->type != type)
        rc = hh_error_set(err, HH_ERR_INVALID, "%s: expected a key of type 0x%02x", path, type);
    return rc;
}

static hh_status open_mirror(const char *dir, struct witnessed_log *l, struct hh_error *err)
{
    struct hh_verifier signers[HH_CONFIG_MAX_LOG_SIGNERS];
    char rel[HH_CONFIG_PATH_MAX], path[HH_CONFIG_PATH_MAX * 2], uri[HH_CONFIG_PATH_MAX * 2 + 16];
    struct hh_mirror_config mc = {l->cfg->origin, l->cfg->url,      &l->vkey,
                                  signers,        l->cfg->nsigners, uri};
    hh_status rc = HH_OK;

    if (l->cfg->nsigners == 0)
        return hh_error_set(err, HH_ERR_INVALID, "log '%s' is mirrored but has no log-signer",
                            l->cfg->name);
    for (size_t i = 0; rc == HH_OK && i < l->cfg->nsigners; i++)
        rc = load_vkey(dir, l->cfg->signers[i], HH_KEY_ED25519, &signers[i], err);
    if (rc == HH_OK)
        rc = hh_config_path(dir, "mirrors", path, sizeof(path), err);
    if (rc == HH_OK && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    snprintf(rel, sizeof(rel), "mirrors/%s.db", l->cfg->name);
    if (rc == HH_OK)
        rc = hh_config_storage_uri(dir, rel, uri, sizeof(uri), err);
    if (rc == HH_OK)
        rc = hh_mirror_open(&mc, &l->mirror, err);
    return rc;
}

static hh_status open_log(const char *dir, struct witnessed_log *l, struct hh_error *err)
{
    hh_status rc = load_vkey(dir, l->cfg->vkey, HH_KEY_ED25519, &l->vkey, err);

    if (rc == HH_OK && strcmp(l->vkey.name, l->cfg->origin) != 0)
        rc = hh_error_set(err, HH_ERR_INVALID, "log '%s': its key is named '%s', not its origin",
                          l->cfg->name, l->vkey.name);
    if (rc == HH_OK && l->cfg->mirror)
        rc = open_mirror(dir, l, err);
    return rc;
}

hh_status hh_witness_open(const struct hh_witness_config *cfg, struct hh_witness **out,
                          struct hh_error *err)
{
    struct hh_witness *w;
    hh_status rc = HH_OK;

    *out = NULL;
    if (strlen(cfg->dir) >= sizeof(w->dir))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "node directory path too long");
    w = calloc(1, sizeof(*w));
    if (w == NULL || (cfg->nlogs > 0 && (w->logs = calloc(cfg->nlogs, sizeof(*w->logs))) == NULL)) {
        free(w);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    }
    snprintf(w->dir, sizeof(w->dir), "%s", cfg->dir);
    w->key = cfg->key;
    w->wdb = cfg->wdb;
    hh_signer_verifier(cfg->key, &w->vkey);
    for (size_t i = 0; rc == HH_OK && i < cfg->nlogs; i++) {
        w->logs[i].cfg = &cfg->logs[i];
        w->nlogs = i + 1;
        rc = open_log(cfg->dir, &w->logs[i], err);
    }
    if (rc != HH_OK) {
        hh_witness_close(w);
        return rc;
    }
    *out = w;
    return HH_OK;
}

void hh_witness_close(struct hh_witness *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nlogs; i++)
        hh_mirror_close(w->logs[i].mirror);
    free(w->logs);
    free(w);
}

struct witnessed_log *hh_witness_find(struct hh_witness *w, const char *origin)
{
    for (size_t i = 0; i < w->nlogs; i++)
        if (strcmp(w->logs[i].cfg->origin, origin) == 0)
            return &w->logs[i];
    return NULL;
}

size_t hh_witness_log_count(const struct hh_witness *w)
{
    return w->nlogs;
}

const char *hh_witness_log_name(const struct hh_witness *w, size_t i)
{
    return w->logs[i].cfg->name;
}

const char *hh_witness_log_origin(const struct hh_witness *w, size_t i)
{
    return w->logs[i].cfg->origin;
}

const char *hh_witness_log_url(const struct hh_witness *w, size_t i)
{
    return w->logs[i].cfg->url;
}

hh_status hh_witness_verify_note(const struct witnessed_log *log, const char *note, size_t len,
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

/* Plain mode: only a second root for the size last cosigned can be seen. */
static hh_status check_state(struct hh_witness *w, const struct witnessed_log *log,
                             const struct hh_wdb_state *cur, const char *note, size_t len,
                             const struct hh_checkpoint *cp, char **evidence, struct hh_error *err)
{
    struct hh_evidence_observation o = {w->vkey.name, (uint64_t)time(NULL),
                                        "two checkpoints of the same size with different roots"};
    hh_status rc;

    if (cur->note == NULL || cur->note_len == 0 || cur->size != cp->size ||
        hh_hash_equal(&cur->root, &cp->root))
        return HH_OK;
    rc = hh_evidence_split_view(&log->vkey, cur->note, cur->note_len, note, len, &o, evidence, err);
    if (rc != HH_OK)
        return rc;
    return hh_error_set(err, HH_ERR_VERIFY, "%s showed two trees of size %llu", log->cfg->origin,
                        (unsigned long long)cp->size);
}

/* Checks a verified checkpoint against this witness's view; *evidence on misbehaviour. */
static hh_status check_view(struct hh_witness *w, const struct witnessed_log *log, const char *note,
                            size_t len, const struct hh_checkpoint *cp, char **evidence,
                            struct hh_error *err)
{
    struct hh_wdb_state cur;
    hh_status rc = hh_wdb_state(w->wdb, log->cfg->origin, &cur, err);

    *evidence = NULL;
    if (rc == HH_OK && cur.frozen) /* evidence is held: no more work for this log */
        rc = hh_error_set(err, HH_ERR_VERIFY, "%s is frozen: this node holds evidence against it",
                          log->cfg->origin);
    else if (rc == HH_OK && log->mirror != NULL)
        rc = hh_mirror_check(log->mirror, cp, note, len, w->vkey.name, evidence, err);
    else if (rc == HH_OK)
        rc = check_state(w, log, &cur, note, len, cp, evidence, err);
    hh_wdb_state_clear(&cur);
    return rc;
}

hh_status hh_witness_judge(struct hh_witness *w, const char *note, size_t len,
                           struct hh_checkpoint *cp, struct hh_error *err)
{
    struct witnessed_log *log;
    struct hh_note *n = NULL;
    char *evidence = NULL;
    hh_status rc = hh_note_parse(note, len, &n, err);

    memset(cp, 0, sizeof(*cp));
    if (rc == HH_OK)
        rc = hh_checkpoint_parse(n->text, n->text_len, cp, err);
    hh_note_free(n);
    if (rc != HH_OK)
        return rc;
    log = hh_witness_find(w, cp->origin);
    if (log == NULL)
        return hh_error_set(err, HH_ERR_NOT_FOUND, "this witness does not know the log %s",
                            cp->origin);
    rc = hh_witness_verify_note(log, note, len, cp, err);
    if (rc == HH_OK)
        rc = check_view(w, log, note, len, cp, &evidence, err);
    if (evidence != NULL) {
        struct hh_error stored = {0};
        if (hh_witness_record_evidence(w, log->cfg->origin, evidence, strlen(evidence), &stored) !=
            HH_OK)
            hh_error_prefix(err, rc, "and the evidence could not be stored (%s)", stored.msg);
        free(evidence);
    }
    return rc;
}

static json_t *hash_json(const struct hh_hash *h)
{
    char b64[48];
    return hh_base64_encode(h->b, HH_HASH_LEN, b64, sizeof(b64)) == HH_OK ? json_string(b64)
                                                                          : json_null();
}

void hh_witness_add_peer_health(struct hh_wdb *wdb, const char *role, const char *name, json_t *o)
{
    struct hh_wdb_peer p;
    char key[HH_PARTY_MAX + 16];

    snprintf(key, sizeof(key), "%s:%s", role, name);
    if (hh_wdb_peer(wdb, key, &p, NULL) != HH_OK)
        return;
    json_object_set_new(o, "last_ok", json_integer(p.last_ok));
    json_object_set_new(o, "last_error", json_string(p.last_error));
    json_object_set_new(o, "last_error_time", json_integer(p.last_error_time));
    json_object_set_new(o, "consecutive_failures", json_integer((json_int_t)p.failures));
}

static json_t *log_status(struct hh_witness *w, const struct witnessed_log *l)
{
    struct hh_wdb_state st;
    uint64_t mirror = 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", l->cfg->name, "origin", l->cfg->origin,
                          "url", l->cfg->url, "mode", l->mirror ? "mirror" : "plain");

    if (o != NULL && hh_wdb_state(w->wdb, l->cfg->origin, &st, NULL) == HH_OK) {
        json_object_set_new(o, "cosigned_size", json_integer((json_int_t)st.size));
        json_object_set_new(o, "cosigned_root", hash_json(&st.root));
        json_object_set_new(o, "cosigned_at", json_integer(st.time));
        json_object_set_new(o, "frozen", json_boolean(st.frozen));
        hh_wdb_state_clear(&st);
    }
    if (o != NULL && l->mirror != NULL && hh_mirror_size(l->mirror, &mirror, NULL) == HH_OK)
        json_object_set_new(o, "mirror_size", json_integer((json_int_t)mirror));
    if (o != NULL)
        hh_witness_add_peer_health(w->wdb, "log", l->cfg->name, o);
    return o;
}

json_t *hh_witness_status(struct hh_witness *w)
{
    json_t *logs = json_array();

    for (size_t i = 0; logs != NULL && i < w->nlogs; i++)
        json_array_append_new(logs, log_status(w, &w->logs[i]));
    return logs;
}
