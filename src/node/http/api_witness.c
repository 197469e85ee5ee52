/*
 * api_witness.c - the witness side over HTTP: POST /add-checkpoint (C2SP
 * tlog-witness v1), GET /v1/gossip, /v1/evidence and /v1/status.
 *
 * add-checkpoint checks in this order: well-formed (400), known origin
 * (404), signed by the log key (403), old <= size (400), size-0 and old-0
 * rules (422); then, outside any lock, the checkpoint is checked against this
 * node's view of the log (in mirror mode, every new entry is fetched and
 * verified: 422 with evidence on misbehaviour, 503 when the log cannot be
 * reached); then the compare-and-swap of the witness state (409 with the
 * recorded size, 422 when the proof fails or the log is frozen). The state
 * is durable before the cosignature is returned.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include <henhouse/client/http_client.h>
#include "peer/peer.h"
#include "status.h"

struct advance_ctx {
    const struct hh_witness_request *req;
    const struct hh_checkpoint *cp;
    char *conflicting_note; /* set when the same size came with another root */
    size_t conflicting_len;
};

static hh_status check_advance(void *ctx, const struct hh_wdb_state *cur, struct hh_error *err)
{
    struct advance_ctx *a = ctx;

    if (a->req->old_size == a->cp->size) {
        if (hh_hash_equal(&cur->root, &a->cp->root))
            return HH_OK;
        if (cur->note != NULL && cur->note_len > 0) {
            a->conflicting_note = malloc(cur->note_len);
            if (a->conflicting_note != NULL) {
                memcpy(a->conflicting_note, cur->note, cur->note_len);
                a->conflicting_len = cur->note_len;
            }
        }
        return hh_error_set(err, HH_ERR_INVALID, "size %llu was cosigned with a different root",
                            (unsigned long long)a->cp->size);
    }
    if (a->req->old_size == 0)
        return HH_OK;
    if (hh_merkle_verify_consistency(a->req->old_size, a->cp->size, &cur->root, &a->cp->root,
                                     a->req->proof, a->req->nproof, err) != HH_OK)
        return hh_error_prefix(err, HH_ERR_INVALID, "consistency proof");
    return HH_OK;
}

static void record_split_view(struct hh_server *s, struct hh_peer_log *log,
                              const struct advance_ctx *a, const struct hh_witness_request *req)
{
    struct hh_evidence_observation o = {s->node->witness_vkey.name, (uint64_t)time(NULL),
                                        "add-checkpoint: a second root for a cosigned size"};
    struct hh_error err = {0};
    char *json = NULL;

    if (a->conflicting_note == NULL ||
        hh_evidence_split_view(&log->vkey, a->conflicting_note, a->conflicting_len, req->note,
                               req->note_len, &o, &json, NULL) != HH_OK)
        return;
    if (hh_node_record_evidence(s->node, log->cfg->origin, json, strlen(json), &err) != HH_OK)
        hh_wdb_peer_error(s->node->wdb, "evidence", err.msg);
    free(json);
}

static enum MHD_Result respond_size(struct MHD_Connection *c, uint64_t size)
{
    char body[32];
    int n = snprintf(body, sizeof(body), "%llu\n", (unsigned long long)size);
    return hh_http_respond(c, MHD_HTTP_CONFLICT, "text/x.tlog.size", body, (size_t)n, NULL);
}

/* Checks cp against this node's view (mirror or witness state). */
static enum MHD_Result check_view(struct hh_server *s, struct MHD_Connection *c,
                                  struct hh_peer_log *log, const struct hh_witness_request *req,
                                  struct hh_checkpoint *cp, bool *ok)
{
    struct hh_http_client *http = NULL;
    struct hh_error err = {0};
    hh_status rc = hh_http_client_new(10000, &http, &err);

    *ok = false;
    if (rc == HH_OK)
        rc = hh_peer_check_checkpoint(s->node, log, http, req->note, req->note_len, cp, &err);
    hh_http_client_free(http);
    if (rc == HH_ERR_VERIFY)
        return hh_http_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "misbehaviour", err.msg);
    if (rc != HH_OK)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot_check", err.msg);
    *ok = true;
    return MHD_YES;
}

static enum MHD_Result cosign(struct hh_server *s, struct MHD_Connection *c,
                              const struct hh_witness_request *req)
{
    struct hh_note *n = NULL;
    char line[HH_NOTE_SIG_LINE_MAX];
    enum MHD_Result ret;

    if (hh_note_parse(req->note, req->note_len, &n, NULL) != HH_OK ||
        hh_note_sign_line(s->node->witness_key, n->text, n->text_len, (uint64_t)time(NULL), line,
                          sizeof(line)) != HH_OK) {
        hh_note_free(n);
        return hh_http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cosign", "cannot cosign");
    }
    hh_note_free(n);
    ret = hh_http_respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8", line, strlen(line), NULL);
    return ret;
}

static enum MHD_Result advance(struct hh_server *s, struct MHD_Connection *c,
                               struct hh_peer_log *log, const struct hh_witness_request *req,
                               const struct hh_checkpoint *cp)
{
    struct advance_ctx a = {req, cp, NULL, 0};
    struct hh_error err = {0};
    uint64_t current = 0;
    hh_status rc = hh_wdb_advance(s->node->wdb, cp->origin, req->old_size, cp->size, &cp->root,
                                  req->note, req->note_len, check_advance, &a, &current, &err);

    if (a.conflicting_note != NULL)
        record_split_view(s, log, &a, req);
    free(a.conflicting_note);
    if (rc == HH_ERR_CONFLICT)
        return respond_size(c, current);
    if (rc == HH_ERR_INVALID || rc == HH_ERR_VERIFY)
        return hh_http_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "refused", err.msg);
    if (rc != HH_OK)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "witness_state", err.msg);
    return cosign(s, c, req);
}

/* Parses and authenticates the request; *log and *cp on success, else a queued error. */
static enum MHD_Result authenticate(struct hh_server *s, struct MHD_Connection *c,
                                    const struct hh_witness_request *req, struct hh_peer_log **log,
                                    struct hh_checkpoint *cp, bool *ok)
{
    struct hh_error err = {0};
    struct hh_note *n = NULL;
    struct hh_note_verified v;
    size_t nv = 0;
    struct hh_hash empty;
    enum MHD_Result ret = MHD_YES;

    *ok = false;
    if (hh_note_parse(req->note, req->note_len, &n, &err) != HH_OK ||
        hh_checkpoint_parse(n->text, n->text_len, cp, &err) != HH_OK)
        ret = hh_http_error(c, MHD_HTTP_BAD_REQUEST, "bad_checkpoint", err.msg);
    else if ((*log = hh_node_find_log(s->node, cp->origin)) == NULL)
        ret = hh_http_error(c, MHD_HTTP_NOT_FOUND, "unknown_origin",
                            "this witness does not know that log");
    else if (hh_note_verify(n, &(*log)->vkey, 1, &v, 1, &nv, &err) != HH_OK)
        ret = hh_http_error(c, MHD_HTTP_FORBIDDEN, "bad_signature", err.msg);
    else if (req->old_size > cp->size)
        ret = hh_http_error(c, MHD_HTTP_BAD_REQUEST, "old_too_large",
                            "old size exceeds the checkpoint size");
    else if (hh_merkle_empty_root(&empty), cp->size == 0 && !hh_hash_equal(&cp->root, &empty))
        ret = hh_http_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "bad_empty_root",
                            "a size-0 tree has the empty root");
    else if (req->old_size == 0 && req->nproof > 0)
        ret = hh_http_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, "unexpected_proof",
                            "old 0 takes no proof");
    else
        *ok = true;
    hh_note_free(n);
    return ret;
}

enum MHD_Result hh_api_add_checkpoint(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct hh_witness_request req;
    struct hh_checkpoint cp;
    struct hh_peer_log *log = NULL;
    struct hh_error err = {0};
    enum MHD_Result ret;
    bool ok = false;

    if (hh_witness_request_parse(r->body != NULL ? r->body : "", r->body_len, &req, &err) != HH_OK)
        return hh_http_error(r->conn, MHD_HTTP_BAD_REQUEST, "bad_request", err.msg);
    ret = authenticate(s, r->conn, &req, &log, &cp, &ok);
    if (ok)
        ret = check_view(s, r->conn, log, &req, &cp, &ok);
    if (ok)
        ret = advance(s, r->conn, log, &req, &cp);
    return ret;
}

static void gossip_state(void *ctx, const char *origin, const struct hh_wdb_state *st)
{
    (void)origin;
    if (st->note != NULL && st->note_len > 0)
        json_array_append_new(ctx, json_stringn(st->note, st->note_len));
}

enum MHD_Result hh_api_gossip(struct hh_server *s, struct MHD_Connection *c)
{
    json_t *cps = json_array();
    char *note = NULL;
    size_t len = 0;
    uint64_t size = 0;

    if (hh_sequencer_checkpoint(s->node->sequencer, &note, &len, &size, NULL) == HH_OK)
        json_array_append_new(cps, json_stringn(note, len));
    free(note);
    if (hh_wdb_each_state(s->node->wdb, gossip_state, cps, NULL) != HH_OK) {
        json_decref(cps);
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "witness_db", "cannot read");
    }
    return hh_http_json(c, MHD_HTTP_OK, json_pack("{s:o}", "checkpoints", cps));
}

static void list_evidence(void *ctx, int64_t id, const char *origin, const char *kind,
                          const char *json, size_t len, int64_t time)
{
    json_t *body = json_loadb(json, len, 0, NULL);
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:I, s:o*}", "id", (json_int_t)id,
                                         "origin", origin, "kind", kind, "time", (json_int_t)time,
                                         "evidence", body));
}

enum MHD_Result hh_api_evidence(struct hh_server *s, struct MHD_Connection *c)
{
    json_t *list = json_array();

    if (hh_wdb_each_evidence(s->node->wdb, list_evidence, list, NULL) != HH_OK) {
        json_decref(list);
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "witness_db", "cannot read");
    }
    return hh_http_json(c, MHD_HTTP_OK, list);
}

enum MHD_Result hh_api_status(struct hh_server *s, struct MHD_Connection *c)
{
    json_t *st = hh_node_status(s->node);
    if (st == NULL)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "status", "out of memory");
    return hh_http_json(c, MHD_HTTP_OK, st);
}
