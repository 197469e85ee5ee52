/*
 * test_peer.c - the peer client (peer/peer.h) between two real nodes served
 * in this process on loopback: alpha's log is witnessed by beta, which
 * mirrors it (every entry fetched and checked before cosigning).
 *
 *  - push: statements appended to alpha (through the sequencer and through
 *    POST /v1/statements) are cosigned by beta within a bounded wait; the
 *    cosignature is in alpha's status and on alpha's /checkpoint, where it
 *    verifies with beta's witness key, and beta's /v1/status shows alpha
 *    mirrored and cosigned at that size; it follows alpha as it grows.
 *  - pull: a log that names no witness is still mirrored by the node that
 *    witnesses it.
 *  - refusal: when beta's list of alpha's signers leaves out alpha's
 *    operator, beta refuses to cosign, freezes alpha and writes proven
 *    unauthorised-entry evidence; alpha's checkpoint stays uncosigned.
 *
 * Ports are picked free before serving, since each config names the other
 * node's URL. Every wait polls with a deadline; both nodes are closed and
 * their directories removed.
 */
#include "harness.h"
#include "node_fixture.h"

#include <henhouse/client/http_client.h>
#include <henhouse/node.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define A_ORIGIN "example.org/alpha"
#define POLL_MS  50

struct pair {
    struct fx_node a, b; /* a's log is witnessed by b */
    uint16_t pa, pb;
};

static bool both_intervals(const char *dir)
{
    return fx_conf_set(dir, "checkpoint-interval-ms", "10") &&
           fx_conf_set(dir, "peer-interval-ms", "100");
}

/* DIR/peers/ holding a copy of another node's key file. */
static bool copy_key(const struct fx_node *from, const char *file, const struct fx_node *to,
                     const char *as)
{
    char src[256], dst[256];

    snprintf(src, sizeof(src), "%s/%s", from->dir, file);
    snprintf(dst, sizeof(dst), "%s/peers", to->dir);
    if (mkdir(dst, 0700) != 0 && access(dst, F_OK) != 0)
        return false;
    snprintf(dst, sizeof(dst), "%s/peers/%s", to->dir, as);
    return fx_copy_file(src, dst);
}

/* a names b as a witness of its log. */
static bool witnessed_by(struct pair *p)
{
    char line[256];

    snprintf(line, sizeof(line), "witness beta http://127.0.0.1:%u peers/beta.witness.vkey",
             (unsigned)p->pb);
    return copy_key(&p->b, "witness.vkey", &p->a, "beta.witness.vkey") &&
           fx_conf_append(p->a.dir, line);
}

/* b witnesses a's log in mirror mode, accepting statements signed by signer_file of from. */
static bool witnesses(struct pair *p, const struct fx_node *from, const char *signer_file)
{
    char line[256];

    snprintf(line, sizeof(line), "log alpha %s http://127.0.0.1:%u peers/alpha.log.vkey", A_ORIGIN,
             (unsigned)p->pa);
    return copy_key(&p->a, "log.vkey", &p->b, "alpha.log.vkey") &&
           copy_key(from, signer_file, &p->b, "alpha.signer.vkey") &&
           fx_conf_append(p->b.dir, line) && fx_conf_append(p->b.dir, "log-mode alpha mirror") &&
           fx_conf_append(p->b.dir, "log-signer alpha peers/alpha.signer.vkey");
}

static bool pair_init(struct pair *p)
{
    memset(p, 0, sizeof(*p));
    return fx_node_init(&p->a, "alpha", A_ORIGIN) &&
           fx_node_init(&p->b, "beta", "example.org/beta") && both_intervals(p->a.dir) &&
           both_intervals(p->b.dir) && fx_free_port(&p->pa) && fx_free_port(&p->pb) &&
           p->pa != p->pb;
}

/* Opens both (mirrors are opened before any thread runs), then serves b, then a. */
static bool pair_serve(struct pair *p)
{
    char listen[32];

    if (!fx_node_open(&p->a) || !fx_node_open(&p->b))
        return false;
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", (unsigned)p->pb);
    if (!fx_node_serve(&p->b, listen))
        return false;
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", (unsigned)p->pa);
    return fx_node_serve(&p->a, listen);
}

static void pair_free(struct pair *p)
{
    fx_node_free(&p->a);
    fx_node_free(&p->b);
}

/* ---- what each side reports ---- */

static json_t *get_json(const char *base, const char *path)
{
    struct hh_http_response r;
    json_t *j = NULL;

    if (fx_get(base, path, &r) == HH_OK && r.status == 200)
        j = json_loadb((const char *)r.body, r.len, 0, NULL);
    hh_http_response_clear(&r);
    return j;
}

static json_int_t int_or(json_t *v, json_int_t dflt)
{
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* What alpha's own status says beta cosigned (-1 when nothing). */
static json_int_t a_cosigned(struct pair *p)
{
    json_t *st = hh_node_status(p->a.n);
    json_t *w = json_array_get(json_object_get(json_object_get(st, "log"), "witnesses"), 0);
    json_int_t size = int_or(json_object_get(w, "cosigned_size"), -1);

    json_decref(st);
    return size;
}

/* Alpha's /checkpoint is of size and carries beta's valid cosignature. */
static bool a_checkpoint_cosigned(struct pair *p, uint64_t size)
{
    struct hh_verifier keys[2] = {p->a.log_vkey, p->b.witness_vkey};
    struct hh_note_verified v[2];
    struct hh_http_response r;
    struct hh_checkpoint cp;
    struct hh_note *n = NULL;
    size_t nv = 0;
    bool ok = fx_get(p->a.url, "/checkpoint", &r) == HH_OK && r.status == 200 &&
              hh_note_parse((const char *)r.body, r.len, &n, NULL) == HH_OK &&
              hh_note_verify(n, keys, 2, v, 2, &nv, NULL) == HH_OK && nv == 2 &&
              hh_checkpoint_parse(n->text, n->text_len, &cp, NULL) == HH_OK && cp.size == size;

    for (size_t i = 0; ok && i < nv; i++)
        if (v[i].key_index == 1)
            ok = v[i].timestamp > 0;
    hh_note_free(n);
    hh_http_response_clear(&r);
    return ok;
}

/* Beta's /v1/status: alpha's entry in "witnessed", and the evidence count. */
struct b_view {
    json_int_t mirror_size, cosigned_size, evidence;
    bool frozen;
};

static bool b_status(struct pair *p, struct b_view *out)
{
    json_t *st = get_json(p->b.url, "/v1/status");
    json_t *w = json_array_get(json_object_get(st, "witnessed"), 0);
    bool ok = w != NULL && json_is_string(json_object_get(w, "origin")) &&
              strcmp(json_string_value(json_object_get(w, "origin")), A_ORIGIN) == 0;

    out->mirror_size = int_or(json_object_get(w, "mirror_size"), -1);
    out->cosigned_size = int_or(json_object_get(w, "cosigned_size"), -1);
    out->frozen = json_is_true(json_object_get(w, "frozen"));
    out->evidence = int_or(json_object_get(st, "evidence"), -1);
    json_decref(st);
    return ok;
}

/* ---- bounded waits ---- */

static bool cosigned_everywhere(struct pair *p, uint64_t size)
{
    struct b_view b;

    return a_cosigned(p) == (json_int_t)size && a_checkpoint_cosigned(p, size) && b_status(p, &b) &&
           b.mirror_size == (json_int_t)size && b.cosigned_size == (json_int_t)size && !b.frozen &&
           b.evidence == 0;
}

static bool b_mirrors(struct pair *p, uint64_t size)
{
    struct b_view b;

    return b_status(p, &b) && b.mirror_size == (json_int_t)size && b.evidence == 0;
}

static bool b_froze_a(struct pair *p, uint64_t size)
{
    struct b_view b;

    (void)size;
    return b_status(p, &b) && b.frozen && b.evidence >= 1;
}

/* Polls cond(p, size) every POLL_MS for up to FX_WAIT_MS. */
static bool poll_until(bool (*cond)(struct pair *, uint64_t), struct pair *p, uint64_t size)
{
    int64_t end = fx_now_ms() + FX_WAIT_MS;

    for (;;) {
        if (cond(p, size))
            return true;
        if (fx_now_ms() >= end)
            return false;
        fx_sleep_ms(POLL_MS);
    }
}

/* POSTs alpha's statement i with ?wait=checkpoint; HTTP status, index and duplicate flag. */
static bool post_statement(struct pair *p, uint64_t i, long *status, json_int_t *index,
                           bool *duplicate)
{
    struct hh_http_client *c = NULL;
    struct hh_http_response r = {0};
    struct hh_hash id;
    char url[192], *entry = NULL;
    size_t len = 0;
    json_t *j = NULL;
    bool ok = fx_entry(p->a.op, "posted", i, &entry, &len, &id) &&
              hh_http_client_new(10000, &c, NULL) == HH_OK;

    snprintf(url, sizeof(url), "%s/v1/statements?wait=checkpoint", p->a.url);
    ok = ok && hh_http_post(c, url, "application/json", entry, len, 65536, &r, NULL) == HH_OK &&
         (j = json_loadb((const char *)r.body, r.len, 0, NULL)) != NULL &&
         json_is_string(json_object_get(j, "checkpoint"));
    *status = r.status;
    *index = int_or(json_object_get(j, "index"), -1);
    *duplicate = json_is_true(json_object_get(j, "duplicate"));
    json_decref(j);
    hh_http_response_clear(&r);
    hh_http_client_free(c);
    free(entry);
    return ok;
}

TEST(peer_witness_cosigns_and_mirrors)
{
    struct pair p;
    json_int_t index = -1;
    bool dup = true;
    long status = 0;

    if (!CHECK(pair_init(&p)) || !CHECK(witnessed_by(&p)) ||
        !CHECK(witnesses(&p, &p.a, "operator.vkey")) || !CHECK(pair_serve(&p)))
        goto out;
    /* Four through the sequencer, one over HTTP (then again: a duplicate). */
    if (!CHECK(fx_node_append(&p.a, 4)))
        goto out;
    CHECK(post_statement(&p, 0, &status, &index, &dup) && status == 201 && index == 4 && !dup);
    CHECK(post_statement(&p, 0, &status, &index, &dup) && status == 200 && index == 4 && dup);
    p.a.size = 5;
    CHECK(poll_until(cosigned_everywhere, &p, 5));
    /* The log grows: the witness follows (a consistency proof from 5). */
    if (!CHECK(fx_node_append(&p.a, 3)))
        goto out;
    CHECK(poll_until(cosigned_everywhere, &p, 8));
out:
    pair_free(&p);
}

TEST(peer_pull_mirrors_log_without_push)
{
    struct pair p;
    struct b_view b;

    /* alpha names no witness: only beta's pull can bring its entries over. */
    if (!CHECK(pair_init(&p)) || !CHECK(witnesses(&p, &p.a, "operator.vkey")) ||
        !CHECK(pair_serve(&p)) || !CHECK(fx_node_append(&p.a, 3)))
        goto out;
    CHECK(poll_until(b_mirrors, &p, 3));
    if (!CHECK(fx_node_append(&p.a, 2)))
        goto out;
    CHECK(poll_until(b_mirrors, &p, 5));
    CHECK(b_status(&p, &b) && !b.frozen);
    CHECK(a_cosigned(&p) == -1);
out:
    pair_free(&p);
}

/* The one evidence file in DIR/evidence/ is proven unauthorised-entry evidence against alpha. */
static bool evidence_file_proven(const struct fx_node *n)
{
    char dir[256], path[600];
    struct hh_evidence_verdict v;
    struct dirent *d;
    size_t found = 0, len = 0;
    bool ok = false;
    DIR *dh;

    snprintf(dir, sizeof(dir), "%s/evidence", n->dir);
    if ((dh = opendir(dir)) == NULL)
        return false;
    while ((d = readdir(dh)) != NULL) {
        const char *suffix = "-unauthorised-entry.json";
        size_t nl = strlen(d->d_name), sl = strlen(suffix);
        if (d->d_name[0] == '.' || nl <= sl || strcmp(d->d_name + nl - sl, suffix) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        char *json = hh_test_read_file(path, &len);
        ok = json != NULL && hh_evidence_verify(json, len, &v, NULL) == HH_OK && v.proven &&
             v.kind == HH_EVIDENCE_UNAUTHORISED_ENTRY && strcmp(v.origin, A_ORIGIN) == 0;
        free(json);
        found++;
    }
    closedir(dh);
    return ok && found == 1;
}

TEST(peer_unauthorised_entries_never_cosigned)
{
    struct pair p;
    struct b_view b;

    /* beta believes alpha's statements are signed by beta's own operator key. */
    if (!CHECK(pair_init(&p)) || !CHECK(witnessed_by(&p)) ||
        !CHECK(witnesses(&p, &p.b, "operator.vkey")) || !CHECK(pair_serve(&p)) ||
        !CHECK(fx_node_append(&p.a, 2)))
        goto out;
    CHECK(poll_until(b_froze_a, &p, 2));
    CHECK(b_status(&p, &b) && b.mirror_size == 0 && b.cosigned_size <= 0 && b.evidence == 1);
    CHECK(evidence_file_proven(&p.b));
    /* Alpha gets no cosignature past the empty log, and its checkpoint carries none for 2. */
    CHECK(a_cosigned(&p) <= 0);
    CHECK(!a_checkpoint_cosigned(&p, 2));
out:
    pair_free(&p);
}
