/*
 * api_statements.c - POST /v1/statements and GET /v1/statements/<id>.
 *
 * A submission is a DSSE envelope signed by at least one signer key the
 * node's config authorises. It is verified on the worker thread, reduced to
 * its canonical JSON form (the log entry), and queued on the sequencer with
 * the connection suspended; the answer (id and index, and with
 * ?wait=checkpoint the signed checkpoint that includes it) is sent only once
 * the entry is durable. Nothing is logged for a request that fails.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void on_sequenced(void *ctx, const struct hh_sequenced *res)
{
    struct hh_request *r = ctx;
    struct hh_error err = {0};

    pthread_mutex_lock(&r->mu);
    r->result = *res;
    r->result.checkpoint = NULL;
    if (res->checkpoint != NULL) {
        r->checkpoint = strndup(res->checkpoint, res->checkpoint_len);
    }
    if (res->rc != HH_OK) {
        hh_sequencer_last_error(r->server->cfg.sequencer, &err);
        snprintf(r->detail, sizeof(r->detail), "%s",
                 err.msg[0] ? err.msg : hh_status_name(res->rc));
    }
    r->answered = true;
    pthread_mutex_unlock(&r->mu);
    MHD_resume_connection(r->conn);
}

static enum MHD_Result answer(struct hh_request *r)
{
    char hex[2 * HH_HASH_LEN + 1];
    json_t *body;

    pthread_mutex_lock(&r->mu);
    if (r->result.rc != HH_OK) {
        unsigned status = hh_http_status(r->result.rc);
        pthread_mutex_unlock(&r->mu);
        return hh_http_error(r->conn, status, "not_logged", r->detail);
    }
    hh_hash_to_hex(&r->id, hex);
    body = json_pack("{s:s, s:I, s:b}", "id", hex, "index", (json_int_t)r->result.index,
                     "duplicate", r->result.duplicate);
    if (r->checkpoint != NULL)
        json_object_set_new(body, "checkpoint", json_string(r->checkpoint));
    unsigned status = r->result.duplicate ? MHD_HTTP_OK : MHD_HTTP_CREATED;
    pthread_mutex_unlock(&r->mu);
    return hh_http_json(r->conn, status, body);
}

/* Parses and verifies the envelope; on success *entry is its canonical form. */
static hh_status check_envelope(struct hh_request *r, char **entry, size_t *entry_len,
                                struct hh_error *err)
{
    const struct hh_server_config *cfg = &r->server->cfg;
    uint8_t verified[HH_CONFIG_MAX_SIGNERS];
    struct hh_dsse *env = NULL;
    size_t nverified = 0;
    hh_status rc;

    *entry = NULL;
    *entry_len = 0;
    rc = hh_dsse_parse(r->body != NULL ? r->body : "", r->body_len, &env, err);
    if (rc == HH_OK)
        rc = hh_dsse_verify(env, cfg->signers, cfg->nsigners, verified, &nverified, err);
    if (rc == HH_ERR_VERIFY)
        hh_error_prefix(err, rc, "not signed by a signer this log accepts");
    if (rc == HH_OK)
        rc = hh_dsse_id(env, &r->id);
    if (rc == HH_OK)
        rc = hh_dsse_format(env, entry, entry_len, err);
    if (rc == HH_OK && *entry_len > HH_ENTRY_MAX) {
        rc = hh_error_set(err, HH_ERR_TOO_LARGE, "the envelope is over %d bytes", HH_ENTRY_MAX);
        free(*entry);
        *entry = NULL;
    }
    hh_dsse_free(env);
    return rc;
}

static bool wants_checkpoint(struct MHD_Connection *c)
{
    const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait");
    return w != NULL && strcmp(w, "checkpoint") == 0;
}

enum MHD_Result hh_api_post_statement(struct hh_request *r)
{
    struct hh_error err = {0};
    char *entry = NULL;
    size_t entry_len = 0;
    hh_status rc;

    if (r->answered)
        return answer(r);
    if (r->suspended)
        return MHD_YES; /* spurious call while waiting: keep waiting */
    rc = check_envelope(r, &entry, &entry_len, &err);
    if (rc == HH_ERR_VERIFY)
        return hh_http_error(r->conn, MHD_HTTP_FORBIDDEN, "unauthorised_signer", err.msg);
    if (rc != HH_OK) /* over-deep JSON is malformed (400); only size is 413 */
        return hh_http_error(r->conn,
                             rc == HH_ERR_TOO_LARGE && r->body_len > HH_ENTRY_MAX
                                 ? MHD_HTTP_CONTENT_TOO_LARGE
                                 : MHD_HTTP_BAD_REQUEST,
                             "bad_envelope", err.msg);
    r->suspended = true;
    MHD_suspend_connection(r->conn);
    rc = hh_sequencer_submit(r->server->cfg.sequencer, &r->id, (const uint8_t *)entry, entry_len,
                             wants_checkpoint(r->conn), on_sequenced, r, &err);
    free(entry);
    if (rc != HH_OK) { /* queue full, shutting down or halted: try again later */
        pthread_mutex_lock(&r->mu);
        r->result.rc = HH_ERR_IO;
        snprintf(r->detail, sizeof(r->detail), "%s", err.msg);
        r->answered = true;
        pthread_mutex_unlock(&r->mu);
        MHD_resume_connection(r->conn);
    }
    return MHD_YES;
}

struct entry_copy {
    uint8_t *data;
    size_t len;
};

static int copy_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct entry_copy *e = ctx;
    (void)index;
    e->data = malloc(len ? len : 1);
    if (e->data != NULL) {
        memcpy(e->data, data, len);
        e->len = len;
    }
    return 0;
}

static json_t *statement_json(struct hh_server *s, const struct hh_hash *id, uint64_t index,
                              const char *note, uint64_t size, struct hh_error *err)
{
    struct hh_hash_reader rd = hh_store_hash_reader(s->cfg.store);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    struct entry_copy e = {0};
    char hex[2 * HH_HASH_LEN + 1];
    size_t n = 0;
    json_t *env = NULL;

    if (hh_merkle_inclusion_proof(&rd, index, size, proof, &n, err) != HH_OK ||
        hh_store_read_entries(s->cfg.store, index, 1, copy_entry, &e, err) != HH_OK)
        return NULL;
    env = e.data != NULL ? json_loadb((const char *)e.data, e.len, 0, NULL) : NULL;
    free(e.data);
    if (env == NULL) {
        hh_error_set(err, HH_ERR_INTERNAL, "entry %llu is not JSON", (unsigned long long)index);
        return NULL;
    }
    hh_hash_to_hex(id, hex);
    return json_pack("{s:s, s:I, s:I, s:o, s:o, s:s}", "id", hex, "index", (json_int_t)index,
                     "tree_size", (json_int_t)size, "envelope", env, "inclusion_proof",
                     hh_http_proof_json(proof, n), "checkpoint", note);
}

enum MHD_Result hh_api_get_statement(struct hh_request *r)
{
    struct hh_server *s = r->server;
    struct MHD_Connection *c = r->conn;
    const char *hex = r->tail;
    struct hh_error err = {0};
    struct hh_hash id;
    uint64_t index = 0, size = 0;
    char *note = NULL;
    size_t note_len = 0;
    json_t *body;

    if (hh_hash_from_hex(hex, strlen(hex), &id, &err) != HH_OK)
        return hh_http_error(c, MHD_HTTP_BAD_REQUEST, "bad_id", err.msg);
    hh_status rc = hh_store_find_id(s->cfg.store, &id, &index, &err);
    if (rc != HH_OK)
        return hh_http_error(c, hh_http_status(rc), "not_found", "no statement with that id");
    rc = hh_sequencer_checkpoint(s->cfg.sequencer, &note, &note_len, &size, &err);
    if (rc == HH_OK && index >= size) {
        free(note);
        return hh_http_json(
            c, MHD_HTTP_ACCEPTED,
            json_pack("{s:s, s:I, s:b}", "id", hex, "index", (json_int_t)index, "pending", 1));
    }
    body = rc == HH_OK ? statement_json(s, &id, index, note, size, &err) : NULL;
    free(note);
    if (body == NULL)
        return hh_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "store", err.msg);
    return hh_http_json(c, MHD_HTTP_OK, body);
}
