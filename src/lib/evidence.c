/*
 * evidence.c - building and checking evidence files (see evidence.h).
 *
 * Checking never trusts the file: every note is verified against the log
 * key the file names, every proof is recomputed, and the verdict says in
 * plain words what was proven about which log. Whether the named log key is
 * really that party's key is for the reader to confirm (from the agreement).
 */
#include <henhouse/checkpoint.h>
#include <henhouse/dsse.h>
#include <henhouse/evidence.h>
#include <henhouse/note.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_limits.h"

#define FORMAT "henhouse-evidence/v1"

static const char *const kind_names[] = {"split-view", "inconsistent", "unauthorised-entry",
                                         "bad-data"};

const char *hh_evidence_kind_name(enum hh_evidence_kind kind)
{
    return (size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "unknown";
}

/* ---- building ---- */

static json_t *b64(const void *data, size_t len)
{
    size_t cap = hh_base64_len(len) + 1;
    char *s = malloc(cap);
    json_t *v = NULL;

    if (s != NULL && hh_base64_encode(data, len, s, cap) == HH_OK)
        v = json_string(s);
    free(s);
    return v;
}

static json_t *proof_array(const struct hh_hash *proof, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, b64(proof[i].b, HH_HASH_LEN));
    return a;
}

static json_t *vkey_string(const struct hh_verifier *v)
{
    char text[HH_KEY_TEXT_MAX];
    return hh_verifier_format(v, text, sizeof(text)) == HH_OK ? json_string(text) : NULL;
}

/* The common part: format, kind, log key, checkpoints, observation. */
static json_t *base_object(enum hh_evidence_kind kind, const struct hh_verifier *log_key,
                           const char *const *notes, const size_t *lens, size_t nnotes,
                           const struct hh_evidence_observation *obs)
{
    json_t *cps = json_array();
    json_t *o;

    for (size_t i = 0; i < nnotes; i++)
        json_array_append_new(cps, json_stringn(notes[i], lens[i]));
    o = json_pack("{s:s, s:s, s:s, s:o*, s:o}", "format", FORMAT, "kind", kind_names[kind],
                  "origin", log_key->name, "log_key", vkey_string(log_key), "checkpoints", cps);
    if (o != NULL && obs != NULL)
        json_object_set_new(o, "observed",
                            json_pack("{s:s, s:I, s:s}", "by", obs->by ? obs->by : "", "time",
                                      (json_int_t)obs->time, "detail",
                                      obs->detail ? obs->detail : ""));
    return o;
}

static hh_status finish(json_t *o, char **out, struct hh_error *err)
{
    *out = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    if (*out == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "cannot build the evidence JSON");
    return HH_OK;
}

hh_status hh_evidence_split_view(const struct hh_verifier *log_key, const char *note1, size_t len1,
                                 const char *note2, size_t len2,
                                 const struct hh_evidence_observation *obs, char **out,
                                 struct hh_error *err)
{
    const char *notes[2] = {note1, note2};
    size_t lens[2] = {len1, len2};
    return finish(base_object(HH_EVIDENCE_SPLIT_VIEW, log_key, notes, lens, 2, obs), out, err);
}

hh_status hh_evidence_inconsistent(const struct hh_verifier *log_key, const char *old_note,
                                   size_t old_len, const char *new_note, size_t new_len,
                                   const struct hh_hash *true_old_root, const struct hh_hash *proof,
                                   size_t nproof, const struct hh_evidence_observation *obs,
                                   char **out, struct hh_error *err)
{
    const char *notes[2] = {old_note, new_note};
    size_t lens[2] = {old_len, new_len};
    json_t *o = base_object(HH_EVIDENCE_INCONSISTENT, log_key, notes, lens, 2, obs);

    if (o != NULL) {
        json_object_set_new(o, "old_root", b64(true_old_root->b, HH_HASH_LEN));
        json_object_set_new(o, "consistency_proof", proof_array(proof, nproof));
    }
    return finish(o, out, err);
}

hh_status hh_evidence_unauthorised_entry(const struct hh_verifier *log_key, const char *note,
                                         size_t note_len, uint64_t index, const uint8_t *entry,
                                         size_t entry_len, const struct hh_hash *proof,
                                         size_t nproof, const struct hh_verifier *signers,
                                         size_t nsigners, const struct hh_evidence_observation *obs,
                                         char **out, struct hh_error *err)
{
    json_t *o = base_object(HH_EVIDENCE_UNAUTHORISED_ENTRY, log_key, &note, &note_len, 1, obs);
    json_t *keys = json_array();

    for (size_t i = 0; i < nsigners; i++)
        json_array_append_new(keys, vkey_string(&signers[i]));
    if (o != NULL) {
        json_object_set_new(o, "entry",
                            json_pack("{s:I, s:o, s:o}", "index", (json_int_t)index, "data",
                                      b64(entry, entry_len), "inclusion_proof",
                                      proof_array(proof, nproof)));
        json_object_set(o, "signers", keys);
    }
    json_decref(keys);
    return finish(o, out, err);
}

hh_status hh_evidence_bad_data(const struct hh_verifier *log_key, const char *note, size_t note_len,
                               const char *path, const struct hh_evidence_observation *obs,
                               char **out, struct hh_error *err)
{
    json_t *o = base_object(HH_EVIDENCE_BAD_DATA, log_key, &note, &note_len, 1, obs);
    if (o != NULL)
        json_object_set_new(o, "path", json_string(path));
    return finish(o, out, err);
}

/* ---- checking ---- */

struct signed_cp {
    struct hh_checkpoint cp;
    const char *note;
    size_t note_len;
};

static hh_status check_note(const struct hh_verifier *key, const json_t *v, size_t i,
                            struct signed_cp *out, struct hh_error *err)
{
    struct hh_note *n = NULL;
    struct hh_note_verified ok;
    size_t nok = 0;
    hh_status rc;

    if (!json_is_string(v))
        return hh_error_set(err, HH_ERR_INVALID, "checkpoint %zu is not a string", i);
    out->note = json_string_value(v);
    out->note_len = json_string_length(v);
    rc = hh_note_parse(out->note, out->note_len, &n, err);
    if (rc == HH_OK)
        rc = hh_note_verify(n, key, 1, &ok, 1, &nok, err);
    if (rc == HH_OK)
        rc = hh_checkpoint_parse(n->text, n->text_len, &out->cp, err);
    if (rc == HH_OK && strcmp(out->cp.origin, key->name) != 0)
        rc = hh_error_set(err, HH_ERR_INVALID, "origin '%s' is not the log key's name '%s'",
                          out->cp.origin, key->name);
    hh_note_free(n);
    if (rc != HH_OK) {
        /* A note that does not verify makes the file malformed, whatever err held before. */
        rc = rc == HH_ERR_VERIFY ? HH_ERR_INVALID : rc;
        hh_error_prefix(err, rc, "checkpoint %zu is not a checkpoint signed by the log key", i);
        if (err != NULL)
            err->code = rc;
        return rc;
    }
    return HH_OK;
}

static hh_status load_proof(const json_t *a, struct hh_hash proof[HH_MERKLE_MAX_PROOF], size_t *n,
                            struct hh_error *err)
{
    *n = 0;
    if (!json_is_array(a) || json_array_size(a) > HH_MERKLE_MAX_PROOF)
        return hh_error_set(err, HH_ERR_INVALID, "a proof is an array of at most %d hashes",
                            HH_MERKLE_MAX_PROOF);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *h = json_array_get(a, i);
        if (!json_is_string(h) || hh_hash_from_base64(json_string_value(h), json_string_length(h),
                                                      &proof[i], err) != HH_OK)
            return hh_error_set(err, HH_ERR_INVALID, "proof element %zu is not a base64 hash", i);
    }
    *n = json_array_size(a);
    return HH_OK;
}

static void say(struct hh_evidence_verdict *v, bool proven, const char *fmt, ...) HH_PRINTF(3, 4);

static void say(struct hh_evidence_verdict *v, bool proven, const char *fmt, ...)
{
    va_list ap;
    v->proven = proven;
    va_start(ap, fmt);
    vsnprintf(v->explanation, sizeof(v->explanation), fmt, ap);
    va_end(ap);
}

static void root_b64(const struct hh_hash *h, char out[48])
{
    if (hh_base64_encode(h->b, HH_HASH_LEN, out, 48) != HH_OK)
        out[0] = '\0';
}

static hh_status judge_split_view(const struct signed_cp *c, struct hh_evidence_verdict *v)
{
    char r0[48], r1[48];

    root_b64(&c[0].cp.root, r0);
    root_b64(&c[1].cp.root, r1);
    if (c[0].cp.size != c[1].cp.size || hh_hash_equal(&c[0].cp.root, &c[1].cp.root)) {
        say(v, false, "The two checkpoints do not conflict (sizes %llu and %llu, roots %s and %s).",
            (unsigned long long)c[0].cp.size, (unsigned long long)c[1].cp.size, r0, r1);
        return HH_OK;
    }
    say(v, true,
        "PROVEN: the log %s signed two different trees of the same size %llu (roots %s and %s). "
        "An honest log signs exactly one tree per size, so it has shown different histories "
        "to different parties (a split view).",
        c[0].cp.origin, (unsigned long long)c[0].cp.size, r0, r1);
    return HH_OK;
}

static hh_status judge_inconsistent(const json_t *root, const struct signed_cp *c,
                                    struct hh_evidence_verdict *v, struct hh_error *err)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], old_root;
    const char *s = hh__json_string(root, "old_root", "evidence", err);
    size_t n = 0;
    char r0[48], rx[48];

    if (s == NULL || hh_hash_from_base64(s, strlen(s), &old_root, err) != HH_OK ||
        load_proof(json_object_get(root, "consistency_proof"), proof, &n, err) != HH_OK)
        return HH_ERR_INVALID;
    root_b64(&c[0].cp.root, r0);
    root_b64(&old_root, rx);
    if (c[0].cp.size == 0 || c[0].cp.size >= c[1].cp.size ||
        hh_hash_equal(&old_root, &c[0].cp.root) ||
        hh_merkle_verify_consistency(c[0].cp.size, c[1].cp.size, &old_root, &c[1].cp.root, proof, n,
                                     NULL) != HH_OK) {
        say(v, false,
            "This proves nothing: the consistency proof does not show that the size-%llu tree "
            "starts with a size-%llu tree other than the signed one.",
            (unsigned long long)c[1].cp.size, (unsigned long long)c[0].cp.size);
        return HH_OK;
    }
    say(v, true,
        "PROVEN: the log %s signed a tree of size %llu with root %s, and later a tree of size "
        "%llu whose first %llu entries have root %s (shown by the consistency proof). The later "
        "tree does not extend the earlier one: the log rewrote or dropped entries of its history.",
        c[0].cp.origin, (unsigned long long)c[0].cp.size, r0, (unsigned long long)c[1].cp.size,
        (unsigned long long)c[0].cp.size, rx);
    return HH_OK;
}

static hh_status load_signers(const json_t *a, struct hh_verifier *keys, size_t *n,
                              struct hh_error *err)
{
    *n = 0;
    if (!json_is_array(a) || json_array_size(a) == 0 ||
        json_array_size(a) > HH_EVIDENCE_MAX_SIGNERS)
        return hh_error_set(err, HH_ERR_INVALID, "\"signers\" is an array of 1 to %d vkeys",
                            HH_EVIDENCE_MAX_SIGNERS);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *k = json_array_get(a, i);
        if (!json_is_string(k) ||
            hh_verifier_parse(json_string_value(k), json_string_length(k), &keys[i], err) != HH_OK)
            return hh_error_prefix(err, HH_ERR_INVALID, "signer %zu", i);
    }
    *n = json_array_size(a);
    return HH_OK;
}

/* Decodes the entry and checks it is in the signed tree; *data is malloc'd. */
static hh_status load_included_entry(const json_t *e, const struct signed_cp *c, uint64_t *index,
                                     uint8_t **data, size_t *len, struct hh_error *err)
{
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], leaf;
    const char *s = hh__json_string(e, "data", "entry", err);
    const json_t *idx = json_object_get(e, "index");
    size_t n = 0, cap;

    *data = NULL;
    if (s == NULL || !json_is_integer(idx) || json_integer_value(idx) < 0 ||
        load_proof(json_object_get(e, "inclusion_proof"), proof, &n, err) != HH_OK)
        return hh_error_set(err, HH_ERR_INVALID, "\"entry\" needs index, data, inclusion_proof");
    *index = (uint64_t)json_integer_value(idx);
    cap = strlen(s) / 4 * 3 + 3;
    *data = malloc(cap);
    if (*data == NULL || hh_base64_decode(s, strlen(s), false, *data, cap, len, err) != HH_OK) {
        free(*data);
        *data = NULL;
        return hh_error_set(err, HH_ERR_INVALID, "entry data is not base64");
    }
    hh_merkle_leaf_hash(*data, *len, &leaf);
    if (hh_merkle_verify_inclusion(*index, c->cp.size, &leaf, proof, n, &c->cp.root, err) != HH_OK)
        return HH_ERR_VERIFY;
    return HH_OK;
}

static hh_status judge_unauthorised(const json_t *root, const struct signed_cp *c,
                                    struct hh_evidence_verdict *v, struct hh_error *err)
{
    struct hh_verifier keys[HH_EVIDENCE_MAX_SIGNERS];
    struct hh_dsse *env = NULL;
    uint8_t *data = NULL;
    size_t len = 0, nkeys = 0, nverified = 0;
    uint64_t index = 0;
    hh_status rc = load_signers(json_object_get(root, "signers"), keys, &nkeys, err);

    if (rc == HH_OK)
        rc = load_included_entry(json_object_get(root, "entry"), c, &index, &data, &len, err);
    if (rc == HH_ERR_VERIFY) {
        say(v, false, "This proves nothing: the entry is not shown to be in the signed tree.");
        rc = HH_OK;
        goto out;
    }
    if (rc != HH_OK)
        goto out;
    if (hh_dsse_parse((const char *)data, len, &env, NULL) == HH_OK &&
        hh_dsse_verify(env, keys, nkeys, NULL, &nverified, NULL) == HH_OK)
        say(v, false, "This proves nothing: entry %llu is signed by one of the listed signers.",
            (unsigned long long)index);
    else
        say(v, true,
            "PROVEN: entry %llu is in the tree of size %llu that the log %s signed, and it is "
            "not a statement signed by any of the %zu signer keys listed for that party. "
            "(Check the listed keys against the agreement.)",
            (unsigned long long)index, (unsigned long long)c->cp.size, c->cp.origin, nkeys);
out:
    hh_dsse_free(env);
    free(data);
    return rc;
}

static hh_status parse_kind(const json_t *root, enum hh_evidence_kind *kind, size_t *ncheckpoints,
                            struct hh_error *err)
{
    const char *k = hh__json_string(root, "kind", "evidence", err);
    const char *f = hh__json_string(root, "format", "evidence", err);

    if (f == NULL || strcmp(f, FORMAT) != 0)
        return hh_error_set(err, HH_ERR_INVALID, "not a %s file", FORMAT);
    for (size_t i = 0; k != NULL && i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
        if (strcmp(k, kind_names[i]) == 0) {
            *kind = (enum hh_evidence_kind)i;
            *ncheckpoints = i <= HH_EVIDENCE_INCONSISTENT ? 2 : 1;
            return HH_OK;
        }
    }
    return hh_error_set(err, HH_ERR_INVALID, "unknown evidence kind");
}

static hh_status judge(const json_t *root, struct hh_evidence_verdict *v, struct hh_error *err)
{
    struct hh_verifier key;
    struct signed_cp cps[2];
    const json_t *notes = json_object_get(root, "checkpoints");
    const char *vkey = hh__json_string(root, "log_key", "evidence", err);
    size_t want = 0;
    hh_status rc;

    if (vkey == NULL || parse_kind(root, &v->kind, &want, err) != HH_OK)
        return HH_ERR_INVALID;
    rc = hh_verifier_parse(vkey, strlen(vkey), &key, err);
    if (rc != HH_OK || key.type != HH_KEY_ED25519)
        return hh_error_set(err, HH_ERR_INVALID, "\"log_key\" is not an Ed25519 verifier key");
    snprintf(v->origin, sizeof(v->origin), "%s", key.name);
    if (!json_is_array(notes) || json_array_size(notes) != want)
        return hh_error_set(err, HH_ERR_INVALID, "\"checkpoints\" must hold %zu notes", want);
    for (size_t i = 0; i < want; i++)
        if ((rc = check_note(&key, json_array_get(notes, i), i, &cps[i], err)) != HH_OK)
            return rc;
    switch (v->kind) {
    case HH_EVIDENCE_SPLIT_VIEW:
        return judge_split_view(cps, v);
    case HH_EVIDENCE_INCONSISTENT:
        return judge_inconsistent(root, cps, v, err);
    case HH_EVIDENCE_UNAUTHORISED_ENTRY:
        return judge_unauthorised(root, cps, v, err);
    case HH_EVIDENCE_BAD_DATA:
        say(v, false,
            "An observation, not a proof: a witness reports that the log %s served data "
            "(\"%s\") that does not match its signed checkpoint of size %llu. Tiles are not "
            "signed, so this file cannot prove it to a third party; re-fetch to confirm.",
            key.name,
            json_is_string(json_object_get(root, "path"))
                ? json_string_value(json_object_get(root, "path"))
                : "?",
            (unsigned long long)cps[0].cp.size);
        return HH_OK;
    }
    return HH_ERR_INTERNAL;
}

hh_status hh_evidence_verify(const char *json, size_t len, struct hh_evidence_verdict *verdict,
                             struct hh_error *err)
{
    json_t *root = NULL;
    hh_status rc;

    memset(verdict, 0, sizeof(*verdict));
    rc = hh__json_load_object(json, len, HH_EVIDENCE_MAX_BYTES, HH_EVIDENCE_MAX_DEPTH, "evidence",
                              &root, err);
    if (rc == HH_OK)
        rc = judge(root, verdict, err);
    json_decref(root);
    if (rc != HH_OK) {
        memset(verdict, 0, sizeof(*verdict));
        if (rc == HH_ERR_VERIFY)
            rc = HH_ERR_INVALID;
    }
    return rc;
}
