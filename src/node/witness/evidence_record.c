/*
 * evidence_record.c - keeping the evidence a witness finds: once per
 * conflict in the witness state, and as a file anyone can take away and
 * check offline (`henhouse evidence verify`).
 */
#include "witness/witness_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <henhouse/client/files.h>

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

static hh_status write_evidence_file(const char *dir, int64_t id, const char *kind,
                                     const char *json, size_t len, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2], rel[96];
    hh_status rc = hh_config_path(dir, "evidence", path, sizeof(path), err);

    if (rc == HH_OK && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    snprintf(rel, sizeof(rel), "evidence/%lld-%s.json", (long long)id, kind);
    if (rc == HH_OK)
        rc = hh_config_path(dir, rel, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_write_new_file(path, json, len, 0644, err);
    return rc;
}

hh_status hh_witness_record_evidence(struct hh_witness *w, const char *origin, const char *json,
                                     size_t len, struct hh_error *err)
{
    char key[65];
    bool proven = false;
    const char *kind = evidence_kind(json, len, &proven);
    int64_t id = 0;
    hh_status rc;

    evidence_key(json, len, kind, key);
    rc = hh_wdb_add_evidence(w->wdb, origin, kind, key, json, len, &id, err);
    if (rc == HH_ERR_CONFLICT) /* already held */
        return proven ? hh_wdb_freeze(w->wdb, origin, err) : HH_OK;
    if (rc == HH_OK && proven)
        rc = hh_wdb_freeze(w->wdb, origin, err);
    if (rc == HH_OK)
        rc = write_evidence_file(w->dir, id, kind, json, len, err);
    return rc;
}
