/*
 * api_witness.c - the witness side over HTTP: POST /add-checkpoint (C2SP
 * tlog-witness v1, judged by the witness subsystem and mapped here to its
 * status codes), GET /v1/gossip, /v1/evidence and /v1/status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static unsigned outcome_status(enum hh_witness_outcome o)
{
    switch (o) {
    case HH_WITNESS_COSIGNED:
        return MHD_HTTP_OK;
    case HH_WITNESS_MALFORMED:
        return MHD_HTTP_BAD_REQUEST;
    case HH_WITNESS_BAD_SIGNATURE:
        return MHD_HTTP_FORBIDDEN;
    case HH_WITNESS_UNKNOWN_ORIGIN:
        return MHD_HTTP_NOT_FOUND;
    case HH_WITNESS_STALE:
        return MHD_HTTP_CONFLICT;
    case HH_WITNESS_REFUSED:
        return MHD_HTTP_UNPROCESSABLE_CONTENT;
    case HH_WITNESS_UNAVAILABLE:
        break;
    }
    return MHD_HTTP_SERVICE_UNAVAILABLE;
}

enum MHD_Result hh_api_add_checkpoint(struct hh_request *r)
{
    struct hh_witness_reply reply;
    char size[32];
    int n;

    hh_witness_add_checkpoint(r->server->cfg.witness, r->body != NULL ? r->body : "", r->body_len,
                              &reply);
    if (reply.outcome == HH_WITNESS_COSIGNED)
        return hh_http_respond(r->conn, MHD_HTTP_OK, "text/plain; charset=utf-8", reply.line,
                               strlen(reply.line), NULL);
    if (reply.outcome != HH_WITNESS_STALE)
        return hh_http_error(r->conn, outcome_status(reply.outcome), reply.code, reply.detail);
    n = snprintf(size, sizeof(size), "%llu\n", (unsigned long long)reply.size);
    return hh_http_respond(r->conn, MHD_HTTP_CONFLICT, "text/x.tlog.size", size, (size_t)n, NULL);
}

static void gossip_state(void *ctx, const char *origin, const struct hh_wdb_state *st)
{
    (void)origin;
    if (st->note != NULL && st->note_len > 0)
        json_array_append_new(ctx, json_stringn(st->note, st->note_len));
}

enum MHD_Result hh_api_gossip(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct MHD_Connection *c = r->conn;
    json_t *cps = json_array();
    char *note = NULL;
    size_t len = 0;
    uint64_t size = 0;

    if (hh_sequencer_checkpoint(s->cfg.sequencer, &note, &len, &size, NULL) == HH_OK)
        json_array_append_new(cps, json_stringn(note, len));
    free(note);
    if (hh_wdb_each_state(s->cfg.wdb, gossip_state, cps, NULL) != HH_OK) {
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

enum MHD_Result hh_api_evidence(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct MHD_Connection *c = r->conn;
    json_t *list = json_array();

    if (hh_wdb_each_evidence(s->cfg.wdb, list_evidence, list, NULL) != HH_OK) {
        json_decref(list);
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "witness_db", "cannot read");
    }
    return hh_http_json(c, MHD_HTTP_OK, list);
}

enum MHD_Result hh_api_status(struct hh_request *r)
{
    const struct hh_server_config *cfg = &r->server->cfg;
    json_t *st = cfg->status != NULL ? cfg->status(cfg->status_ctx) : NULL;
    if (st == NULL)
        return hh_http_error(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "status", "out of memory");
    return hh_http_json(r->conn, MHD_HTTP_OK, st);
}
