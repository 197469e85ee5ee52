/*
 * witness_db.c - the public witness database functions: opening by URI,
 * the argument checks and limits of witness_db.h shared by every backend,
 * then dispatch through the backend's struct hh_wdb_ops.
 *
 * Outputs are zeroed before any check and again when a backend fails, so a
 * failed call leaves them empty. What is checked here is promised to
 * backends in witness_db_impl.h; what needs the stored state (the
 * compare-and-swap, frozen logs, duplicate evidence) is the backend's.
 */
#include "storage/witness_db_impl.h"

#include "storage/sqlite/sqlite_backends.h"
#include "storage/uri.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Sizes, timestamps and ids are stored as int64. */
#define WDB_INT_MAX ((uint64_t)INT64_MAX)

static hh_status check_wdb(const struct hh_wdb *w, struct hh_error *err)
{
    if (w == NULL || w->ops == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "witness db is NULL or closed");
    return HH_OK;
}

/* s is a non-empty string of at most max bytes; what names it ("origin"). */
static hh_status check_text(const char *s, size_t max, const char *what, struct hh_error *err)
{
    if (s == NULL || s[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "witness db: no %s given", what);
    if (strnlen(s, max + 1) > max)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "witness db: the %s is longer than %zu bytes",
                            what, max);
    return HH_OK;
}

/* An open database and a name (origin, witness, peer) within HH_WDB_NAME_MAX. */
static hh_status check_named(const struct hh_wdb *w, const char *name, const char *what,
                             struct hh_error *err)
{
    hh_status rc = check_wdb(w, err);

    if (rc == HH_OK)
        rc = check_text(name, HH_WDB_NAME_MAX, what, err);
    return rc;
}

static hh_status check_int(uint64_t v, const char *what, struct hh_error *err)
{
    if (v > WDB_INT_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE,
                            "witness db: %s %" PRIu64 " is larger than 2^63-1", what, v);
    return HH_OK;
}

hh_status hh_wdb_open(const char *uri, struct hh_wdb **out, struct hh_error *err)
{
    enum hh_storage_backend backend;
    const char *location;
    hh_status rc;

    *out = NULL;
    rc = hh_storage_uri_parse(uri, &backend, &location, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "opening the witness db");
    switch (backend) {
    case HH_STORAGE_SQLITE:
        return hh_wdb_open_sqlite(location, out, err);
    }
    return hh_error_set(err, HH_ERR_INTERNAL, "opening the witness db: backend %d is not built",
                        (int)backend);
}

void hh_wdb_close(struct hh_wdb *w)
{
    if (w == NULL || w->ops == NULL)
        return;
    w->ops->close(w);
}

void hh_wdb_state_clear(struct hh_wdb_state *s)
{
    if (s == NULL)
        return;
    free(s->note);
    memset(s, 0, sizeof(*s));
}

hh_status hh_wdb_state(struct hh_wdb *w, const char *origin, struct hh_wdb_state *out,
                       struct hh_error *err)
{
    hh_status rc;

    memset(out, 0, sizeof(*out));
    hh_merkle_empty_root(&out->root);
    rc = check_named(w, origin, "origin", err);
    if (rc == HH_OK)
        rc = w->ops->state(w, origin, out, err);
    if (rc != HH_OK)
        hh_wdb_state_clear(out);
    return rc;
}

static hh_status check_update(const struct hh_wdb_update *u, struct hh_error *err)
{
    if (u->root == NULL || u->note == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "witness db: advancing %s without a root or note",
                            u->origin);
    if (u->note_len > HH_NOTE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE,
                            "witness db: the checkpoint of %s is %zu bytes, more than %d",
                            u->origin, u->note_len, HH_NOTE_MAX_BYTES);
    return check_int(u->new_size, "size", err);
}

hh_status hh_wdb_advance(struct hh_wdb *w, const char *origin, uint64_t expect_old,
                         uint64_t new_size, const struct hh_hash *root, const char *note,
                         size_t note_len, hh_wdb_check_fn check, void *ctx, uint64_t *current,
                         struct hh_error *err)
{
    struct hh_wdb_update u = {origin, expect_old, new_size, root, note, note_len, check, ctx};
    hh_status rc;

    *current = 0;
    rc = check_named(w, origin, "origin", err);
    if (rc == HH_OK)
        rc = check_update(&u, err);
    if (rc != HH_OK)
        return rc;
    return w->ops->advance(w, &u, current, err);
}

hh_status hh_wdb_freeze(struct hh_wdb *w, const char *origin, struct hh_error *err)
{
    hh_status rc = check_named(w, origin, "origin", err);

    if (rc != HH_OK)
        return rc;
    return w->ops->freeze(w, origin, err);
}

hh_status hh_wdb_each_state(struct hh_wdb *w, hh_wdb_state_fn fn, void *ctx, struct hh_error *err)
{
    hh_status rc = check_wdb(w, err);

    if (rc != HH_OK)
        return rc;
    if (fn == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "witness db: listing states without a callback");
    return w->ops->each_state(w, fn, ctx, err);
}

hh_status hh_wdb_put_cosignature(struct hh_wdb *w, uint64_t size, const char *witness,
                                 const char *line, uint64_t timestamp, struct hh_error *err)
{
    hh_status rc = check_named(w, witness, "witness name", err);

    if (rc == HH_OK)
        rc = check_text(line, HH_WDB_LINE_MAX, "cosignature line", err);
    if (rc == HH_OK)
        rc = check_int(size, "cosigned size", err);
    if (rc == HH_OK)
        rc = check_int(timestamp, "cosignature timestamp", err);
    if (rc != HH_OK)
        return rc;
    return w->ops->put_cosignature(w, size, witness, line, timestamp, err);
}

hh_status hh_wdb_cosignatures(struct hh_wdb *w, uint64_t size, char **lines, size_t *len,
                              struct hh_error *err)
{
    hh_status rc;

    *lines = NULL;
    *len = 0;
    rc = check_wdb(w, err);
    if (rc != HH_OK)
        return rc;
    rc = w->ops->cosignatures(w, size, lines, len, err);
    if (rc != HH_OK) {
        free(*lines);
        *lines = NULL;
        *len = 0;
    }
    return rc;
}

hh_status hh_wdb_last_cosignature(struct hh_wdb *w, const char *witness, uint64_t *size,
                                  uint64_t *timestamp, struct hh_error *err)
{
    hh_status rc;

    *size = 0;
    *timestamp = 0;
    rc = check_named(w, witness, "witness name", err);
    if (rc == HH_OK)
        rc = w->ops->last_cosignature(w, witness, size, timestamp, err);
    if (rc != HH_OK) {
        *size = 0;
        *timestamp = 0;
    }
    return rc;
}

static hh_status check_evidence(const char *kind, const char *key, const char *json, size_t len,
                                struct hh_error *err)
{
    hh_status rc = check_text(kind, HH_WDB_NAME_MAX, "evidence kind", err);

    if (rc == HH_OK)
        rc = check_text(key, HH_WDB_NAME_MAX, "evidence key", err);
    if (rc != HH_OK)
        return rc;
    if (json == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "witness db: evidence %s has no body", key);
    if (len > HH_EVIDENCE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE,
                            "witness db: evidence %s is %zu bytes, more than %d", key, len,
                            HH_EVIDENCE_MAX_BYTES);
    return HH_OK;
}

hh_status hh_wdb_add_evidence(struct hh_wdb *w, const char *origin, const char *kind,
                              const char *key, const char *json, size_t len, int64_t *id,
                              struct hh_error *err)
{
    hh_status rc;

    *id = 0;
    rc = check_named(w, origin, "origin", err);
    if (rc == HH_OK)
        rc = check_evidence(kind, key, json, len, err);
    if (rc == HH_OK)
        rc = w->ops->add_evidence(w, origin, kind, key, json, len, id, err);
    if (rc != HH_OK)
        *id = 0;
    return rc;
}

hh_status hh_wdb_each_evidence(struct hh_wdb *w, hh_wdb_evidence_fn fn, void *ctx,
                               struct hh_error *err)
{
    hh_status rc = check_wdb(w, err);

    if (rc != HH_OK)
        return rc;
    if (fn == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "witness db: listing evidence without a callback");
    return w->ops->each_evidence(w, fn, ctx, err);
}

void hh_wdb_peer_ok(struct hh_wdb *w, const char *peer)
{
    if (check_named(w, peer, "peer name", NULL) == HH_OK)
        (void)w->ops->peer_ok(w, peer, NULL);
}

/* The length of reason's first HH_ERROR_MSG_MAX - 1 bytes, not splitting a UTF-8 character. */
static size_t reason_len(const char *reason)
{
    size_t n = strnlen(reason, HH_ERROR_MSG_MAX - 1);

    if (reason[n] != '\0')
        while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
            n--;
    return n;
}

void hh_wdb_peer_error(struct hh_wdb *w, const char *peer, const char *reason)
{
    if (reason == NULL)
        reason = "";
    if (check_named(w, peer, "peer name", NULL) == HH_OK)
        (void)w->ops->peer_error(w, peer, reason, reason_len(reason), NULL);
}

hh_status hh_wdb_peer(struct hh_wdb *w, const char *peer, struct hh_wdb_peer *out,
                      struct hh_error *err)
{
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = check_named(w, peer, "peer name", err);
    if (rc == HH_OK)
        rc = w->ops->peer(w, peer, out, err);
    if (rc != HH_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}
