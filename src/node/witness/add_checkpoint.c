/*
 * add_checkpoint.c - the witness side of C2SP tlog-witness add-checkpoint.
 *
 * A request is checked in this order: well-formed (MALFORMED), known origin
 * (UNKNOWN_ORIGIN), signed by the log key (BAD_SIGNATURE), old <= size
 * (MALFORMED), the size-0 and old-0 rules (REFUSED); then, outside any lock,
 * the checkpoint is judged against this witness's view of the log (in mirror
 * mode every new entry is fetched and verified: REFUSED with evidence on
 * misbehaviour, UNAVAILABLE when the log cannot be reached); then the
 * compare-and-swap of the witness state (STALE with the recorded size,
 * REFUSED when the proof fails or the log is frozen). The state is durable
 * before the cosignature is given.
 */
#include "witness/witness_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct advance_ctx {
    const struct hh_witness_request *req;
    const struct hh_checkpoint *cp;
    char *conflicting_note; /* set when the same size came with another root */
    size_t conflicting_len;
};

static void reply(struct hh_witness_reply *out, enum hh_witness_outcome outcome, const char *code,
                  const char *detail)
{
    out->outcome = outcome;
    out->code = code;
    snprintf(out->detail, sizeof(out->detail), "%s", detail);
}

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

static void record_split_view(struct hh_witness *w, struct witnessed_log *log,
                              const struct advance_ctx *a)
{
    struct hh_evidence_observation o = {w->vkey.name, (uint64_t)time(NULL),
                                        "add-checkpoint: a second root for a cosigned size"};
    struct hh_error err = {0};
    char *json = NULL;

    if (a->conflicting_note == NULL ||
        hh_evidence_split_view(&log->vkey, a->conflicting_note, a->conflicting_len, a->req->note,
                               a->req->note_len, &o, &json, NULL) != HH_OK)
        return;
    if (hh_witness_record_evidence(w, log->cfg->origin, json, strlen(json), &err) != HH_OK)
        hh_wdb_peer_error(w->wdb, "evidence", err.msg);
    free(json);
}

static void cosign(struct hh_witness *w, const struct hh_witness_request *req,
                   struct hh_witness_reply *out)
{
    struct hh_note *n = NULL;

    if (hh_note_parse(req->note, req->note_len, &n, NULL) != HH_OK ||
        hh_note_sign_line(w->key, n->text, n->text_len, (uint64_t)time(NULL), out->line,
                          sizeof(out->line)) != HH_OK)
        reply(out, HH_WITNESS_UNAVAILABLE, "cosign", "cannot cosign");
    else
        reply(out, HH_WITNESS_COSIGNED, "ok", "");
    hh_note_free(n);
}

static void advance(struct hh_witness *w, struct witnessed_log *log,
                    const struct hh_witness_request *req, const struct hh_checkpoint *cp,
                    struct hh_witness_reply *out)
{
    struct advance_ctx a = {req, cp, NULL, 0};
    struct hh_error err = {0};
    uint64_t current = 0;
    hh_status rc = hh_wdb_advance(w->wdb, cp->origin, req->old_size, cp->size, &cp->root, req->note,
                                  req->note_len, check_advance, &a, &current, &err);

    if (a.conflicting_note != NULL)
        record_split_view(w, log, &a);
    free(a.conflicting_note);
    if (rc == HH_ERR_CONFLICT) {
        reply(out, HH_WITNESS_STALE, "stale", err.msg);
        out->size = current;
    } else if (rc == HH_ERR_INVALID || rc == HH_ERR_VERIFY) {
        reply(out, HH_WITNESS_REFUSED, "refused", err.msg);
    } else if (rc != HH_OK) {
        reply(out, HH_WITNESS_UNAVAILABLE, "witness_state", err.msg);
    } else {
        cosign(w, req, out);
    }
}

/* Parses and authenticates the request; false with out filled when it fails. */
static bool authenticate(struct hh_witness *w, const struct hh_witness_request *req,
                         struct witnessed_log **log, struct hh_checkpoint *cp,
                         struct hh_witness_reply *out)
{
    struct hh_error err = {0};
    struct hh_note *n = NULL;
    struct hh_hash empty;
    bool ok = false;

    hh_merkle_empty_root(&empty);
    if (hh_note_parse(req->note, req->note_len, &n, &err) != HH_OK ||
        hh_checkpoint_parse(n->text, n->text_len, cp, &err) != HH_OK)
        reply(out, HH_WITNESS_MALFORMED, "bad_checkpoint", err.msg);
    else if ((*log = hh_witness_find(w, cp->origin)) == NULL)
        reply(out, HH_WITNESS_UNKNOWN_ORIGIN, "unknown_origin",
              "this witness does not know that log");
    else if (hh_witness_verify_note(*log, req->note, req->note_len, cp, &err) != HH_OK)
        reply(out, HH_WITNESS_BAD_SIGNATURE, "bad_signature", err.msg);
    else if (req->old_size > cp->size)
        reply(out, HH_WITNESS_MALFORMED, "old_too_large", "old size exceeds the checkpoint size");
    else if (cp->size == 0 && !hh_hash_equal(&cp->root, &empty))
        reply(out, HH_WITNESS_REFUSED, "bad_empty_root", "a size-0 tree has the empty root");
    else if (req->old_size == 0 && req->nproof > 0)
        reply(out, HH_WITNESS_REFUSED, "unexpected_proof", "old 0 takes no proof");
    else
        ok = true;
    hh_note_free(n);
    return ok;
}

void hh_witness_add_checkpoint(struct hh_witness *w, const char *body, size_t len,
                               struct hh_witness_reply *out)
{
    struct hh_witness_request req;
    struct hh_checkpoint cp;
    struct witnessed_log *log = NULL;
    struct hh_error err = {0};
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (hh_witness_request_parse(body, len, &req, &err) != HH_OK) {
        reply(out, HH_WITNESS_MALFORMED, "bad_request", err.msg);
        return;
    }
    if (!authenticate(w, &req, &log, &cp, out))
        return;
    rc = hh_witness_judge(w, req.note, req.note_len, &cp, &err);
    if (rc == HH_ERR_VERIFY)
        reply(out, HH_WITNESS_REFUSED, "misbehaviour", err.msg);
    else if (rc != HH_OK)
        reply(out, HH_WITNESS_UNAVAILABLE, "cannot_check", err.msg);
    else
        advance(w, log, &req, &cp, out);
}
