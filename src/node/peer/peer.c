/*
 * peer.c - the peer client thread (see peer.h).
 */
#include "peer/peer.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <henhouse/client/http_client.h>

#define BACKOFF_MAX_MS  60000
#define CHECKPOINT_MAX  (64 * 1024)
#define GOSSIP_MAX      (1024 * 1024)
#define HTTP_TIMEOUT_MS 10000
#define UNKNOWN         UINT64_MAX

struct backoff {
    int64_t next_ms;
    uint32_t delay_ms;
};

struct hh_peer_client {
    struct hh_peer_config cfg;
    struct hh_http_client *http;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stopping, poked;
    uint64_t known[HH_CONFIG_MAX_WITNESSES]; /* size each witness last cosigned */
    struct backoff push[HH_CONFIG_MAX_WITNESSES];
    struct backoff pull[HH_CONFIG_MAX_LOGS];
    const char *gossip_urls[HH_CONFIG_MAX_LOGS + HH_CONFIG_MAX_WITNESSES];
    size_t ngossip;
    struct backoff gossip[HH_CONFIG_MAX_LOGS + HH_CONFIG_MAX_WITNESSES];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void backoff_done(struct backoff *b, bool ok, uint32_t interval_ms)
{
    if (ok) {
        b->delay_ms = 0;
        b->next_ms = 0;
        return;
    }
    b->delay_ms = b->delay_ms == 0 ? interval_ms : b->delay_ms * 2;
    if (b->delay_ms > BACKOFF_MAX_MS)
        b->delay_ms = BACKOFF_MAX_MS;
    b->next_ms = now_ms() + b->delay_ms;
}

static bool due(const struct backoff *b)
{
    return now_ms() >= b->next_ms;
}

/* Peer health is kept per role: "witness:NAME" for pushes, "log:NAME" for pulls. */
static void record(struct hh_peer_client *p, const char *role, const char *name, hh_status rc,
                   const struct hh_error *err)
{
    char key[HH_PARTY_MAX + 16];
    snprintf(key, sizeof(key), "%s:%s", role, name);
    if (rc == HH_OK)
        hh_wdb_peer_ok(p->cfg.wdb, key);
    else
        hh_wdb_peer_error(p->cfg.wdb, key, err->msg);
}

/* ---- push: our checkpoints to our witnesses ---- */

/* Verifies one response line as key's cosignature on note; HH_OK with its timestamp. */
static hh_status check_cosignature(const struct hh_verifier *key, const char *note, size_t len,
                                   const char *line, size_t line_len, uint64_t *timestamp,
                                   struct hh_error *err)
{
    struct hh_note *n = NULL;
    struct hh_note_verified v;
    size_t nv = 0;
    char *full = malloc(len + line_len);
    hh_status rc;

    *timestamp = 0;
    if (full == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    memcpy(full, note, len);
    memcpy(full + len, line, line_len);
    rc = hh_note_parse(full, len + line_len, &n, err);
    if (rc == HH_OK)
        rc = hh_note_verify(n, key, 1, &v, 1, &nv, err);
    if (rc == HH_OK)
        *timestamp = v.timestamp;
    hh_note_free(n);
    free(full);
    return rc;
}

/* Stores each line of the witness's answer that is its valid cosignature on note. */
static hh_status store_cosignatures(struct hh_peer_client *p, size_t w, uint64_t size,
                                    const char *note, size_t len, const char *body, size_t blen,
                                    struct hh_error *err)
{
    const char *name = p->cfg.witnesses[w].name;
    size_t stored = 0, pos = 0;

    while (pos < blen) {
        const char *nl = memchr(body + pos, '\n', blen - pos);
        size_t n = nl != NULL ? (size_t)(nl - (body + pos)) + 1 : blen - pos;
        char line[HH_NOTE_SIG_LINE_MAX + 64];
        uint64_t ts = 0;
        if (nl != NULL && n < sizeof(line) &&
            check_cosignature(&p->cfg.witness_keys[w], note, len, body + pos, n, &ts, NULL) ==
                HH_OK) {
            memcpy(line, body + pos, n);
            line[n] = '\0';
            hh_status rc = hh_wdb_put_cosignature(p->cfg.wdb, size, name, line, ts, err);
            if (rc != HH_OK)
                return rc;
            stored++;
        }
        pos += n;
    }
    if (stored == 0)
        return hh_error_set(err, HH_ERR_VERIFY, "witness %s answered without a valid cosignature",
                            name);
    return HH_OK;
}

static hh_status post_checkpoint(struct hh_peer_client *p, const struct hh_config_witness *w,
                                 uint64_t old_size, uint64_t size, const char *note, size_t len,
                                 struct hh_http_response *resp, struct hh_error *err)
{
    struct hh_hash_reader r = hh_store_hash_reader(p->cfg.store);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF];
    char url[HH_CONFIG_URL_MAX + 32], *body = NULL;
    size_t n = 0, blen = 0;
    hh_status rc = HH_OK;

    if (old_size > 0 && old_size < size)
        rc = hh_merkle_consistency_proof(&r, old_size, size, proof, &n, err);
    if (rc == HH_OK)
        rc = hh_witness_request_format(old_size, proof, n, note, len, &body, &blen, err);
    snprintf(url, sizeof(url), "%s/add-checkpoint", w->url);
    if (rc == HH_OK)
        rc = hh_http_post(p->http, url, "text/plain; charset=utf-8", body, blen, CHECKPOINT_MAX,
                          resp, err);
    free(body);
    return rc;
}

static hh_status push_one(struct hh_peer_client *p, size_t i, struct hh_error *err)
{
    const struct hh_config_witness *w = &p->cfg.witnesses[i];
    struct hh_http_response resp = {0};
    char *note = NULL;
    size_t len = 0;
    uint64_t size = 0, last = 0, ts = 0;
    hh_status rc = hh_sequencer_checkpoint(p->cfg.sequencer, &note, &len, &size, err);

    if (rc == HH_OK && p->known[i] == UNKNOWN)
        p->known[i] =
            hh_wdb_last_cosignature(p->cfg.wdb, w->name, &last, &ts, NULL) == HH_OK ? last : 0;
    for (int attempt = 0; rc == HH_OK && attempt < 2; attempt++) {
        if (hh_wdb_last_cosignature(p->cfg.wdb, w->name, &last, &ts, NULL) == HH_OK && last == size)
            break;
        hh_http_response_clear(&resp);
        rc = post_checkpoint(p, w, p->known[i] > size ? 0 : p->known[i], size, note, len, &resp,
                             err);
        if (rc != HH_OK)
            break;
        if (resp.status == 200) {
            rc = store_cosignatures(p, i, size, note, len, (const char *)resp.body, resp.len, err);
            if (rc == HH_OK)
                p->known[i] = size;
            break;
        }
        if (resp.status == 409 &&
            hh_parse_u64((const char *)resp.body, resp.len ? resp.len - 1 : 0, &p->known[i],
                         NULL) == HH_OK &&
            p->known[i] <= size)
            continue;
        rc = hh_error_set(err, HH_ERR_IO, "witness %s answered %ld: %.120s", w->name, resp.status,
                          (const char *)resp.body);
    }
    hh_http_response_clear(&resp);
    free(note);
    return rc;
}

/* ---- pull and gossip ---- */

static hh_status get_body(struct hh_peer_client *p, const char *base, const char *path, size_t max,
                          struct hh_http_response *resp, struct hh_error *err)
{
    char url[HH_CONFIG_URL_MAX + 32];
    hh_status rc;

    snprintf(url, sizeof(url), "%s%s", base, path);
    rc = hh_http_get(p->http, url, max, resp, err);
    if (rc == HH_OK && resp->status != 200) {
        rc = hh_error_set(err, HH_ERR_IO, "%s: HTTP %ld", url, resp->status);
        hh_http_response_clear(resp);
    }
    return rc;
}

static hh_status pull_one(struct hh_peer_client *p, size_t i, struct hh_error *err)
{
    struct hh_witness *w = p->cfg.witness;
    struct hh_http_response resp = {0};
    struct hh_checkpoint cp;
    hh_status rc = get_body(p, hh_witness_log_url(w, i), "/checkpoint", CHECKPOINT_MAX, &resp, err);

    if (rc == HH_OK)
        rc = hh_witness_judge(w, (const char *)resp.body, resp.len, &cp, err);
    if (rc == HH_OK && strcmp(cp.origin, hh_witness_log_origin(w, i)) != 0)
        rc = hh_error_set(err, HH_ERR_INVALID, "%s/checkpoint has origin %s, not %s",
                          hh_witness_log_url(w, i), cp.origin, hh_witness_log_origin(w, i));
    hh_http_response_clear(&resp);
    return rc;
}

/* Judges a checkpoint another peer has seen; misbehaviour is recorded against its log. */
static void gossip_note(struct hh_peer_client *p, const char *note, size_t len)
{
    struct hh_witness *w = p->cfg.witness;
    struct hh_checkpoint cp;
    struct hh_error err = {0};

    if (hh_witness_judge(w, note, len, &cp, &err) != HH_ERR_VERIFY)
        return;
    for (size_t i = 0; i < hh_witness_log_count(w); i++)
        if (strcmp(hh_witness_log_origin(w, i), cp.origin) == 0)
            record(p, "log", hh_witness_log_name(w, i), HH_ERR_VERIFY, &err);
}

static hh_status gossip_from(struct hh_peer_client *p, const char *url, struct hh_error *err)
{
    struct hh_http_response resp = {0};
    json_t *root = NULL, *cps;
    hh_status rc = get_body(p, url, "/v1/gossip", GOSSIP_MAX, &resp, err);

    if (rc == HH_OK && (root = json_loadb((const char *)resp.body, resp.len, 0, NULL)) == NULL)
        rc = hh_error_set(err, HH_ERR_INVALID, "%s/v1/gossip: not JSON", url);
    cps = json_object_get(root, "checkpoints");
    for (size_t i = 0; rc == HH_OK && i < json_array_size(cps) && i < 256; i++) {
        json_t *c = json_array_get(cps, i);
        if (json_is_string(c))
            gossip_note(p, json_string_value(c), json_string_length(c));
    }
    json_decref(root);
    hh_http_response_clear(&resp);
    return rc;
}

/* The distinct peer URLs (logs' and witnesses'), for gossip. */
static void collect_gossip_urls(struct hh_peer_client *p)
{
    size_t nlogs = hh_witness_log_count(p->cfg.witness);

    p->ngossip = 0;
    for (size_t i = 0; i < nlogs + p->cfg.nwitnesses; i++) {
        const char *u =
            i < nlogs ? hh_witness_log_url(p->cfg.witness, i) : p->cfg.witnesses[i - nlogs].url;
        bool dup = false;
        for (size_t j = 0; j < p->ngossip && !dup; j++)
            dup = strcmp(p->gossip_urls[j], u) == 0;
        if (!dup)
            p->gossip_urls[p->ngossip++] = u;
    }
}

static void round_once(struct hh_peer_client *p)
{
    uint32_t interval = p->cfg.interval_ms;
    struct hh_error err;
    hh_status rc;

    for (size_t i = 0; i < p->cfg.nwitnesses; i++) {
        if (!due(&p->push[i]))
            continue;
        memset(&err, 0, sizeof(err));
        rc = push_one(p, i, &err);
        record(p, "witness", p->cfg.witnesses[i].name, rc, &err);
        backoff_done(&p->push[i], rc == HH_OK, interval);
    }
    for (size_t i = 0; i < hh_witness_log_count(p->cfg.witness); i++) {
        if (!due(&p->pull[i]))
            continue;
        memset(&err, 0, sizeof(err));
        rc = pull_one(p, i, &err);
        record(p, "log", hh_witness_log_name(p->cfg.witness, i), rc, &err);
        backoff_done(&p->pull[i], rc == HH_OK, interval);
    }
    for (size_t i = 0; i < p->ngossip; i++) {
        if (!due(&p->gossip[i]))
            continue;
        memset(&err, 0, sizeof(err));
        rc = gossip_from(p, p->gossip_urls[i], &err);
        backoff_done(&p->gossip[i], rc == HH_OK, interval);
    }
}

static void *peer_main(void *arg)
{
    struct hh_peer_client *p = arg;

    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        p->poked = false;
        pthread_mutex_unlock(&p->mu);
        round_once(p);
        pthread_mutex_lock(&p->mu);
        if (p->stopping || p->poked)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint32_t ms = p->cfg.interval_ms;
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!p->stopping && !p->poked &&
               pthread_cond_timedwait(&p->cond, &p->mu, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

hh_status hh_peer_client_start(const struct hh_peer_config *cfg, struct hh_peer_client **out,
                               struct hh_error *err)
{
    struct hh_peer_client *p = calloc(1, sizeof(*p));
    pthread_condattr_t ca;
    hh_status rc;

    *out = NULL;
    if (p == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    if (cfg->nwitnesses > HH_CONFIG_MAX_WITNESSES ||
        hh_witness_log_count(cfg->witness) > HH_CONFIG_MAX_LOGS) {
        free(p);
        return hh_error_set(err, HH_ERR_INVALID, "too many witnesses or logs for the peer client");
    }
    p->cfg = *cfg;
    collect_gossip_urls(p);
    for (size_t i = 0; i < HH_CONFIG_MAX_WITNESSES; i++)
        p->known[i] = UNKNOWN;
    rc = hh_http_client_new(HTTP_TIMEOUT_MS, &p->http, err);
    if (rc != HH_OK) {
        free(p);
        return rc;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&p->thread, NULL, peer_main, p) != 0) {
        hh_http_client_free(p->http);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cond);
        free(p);
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot start the peer thread");
    }
    *out = p;
    return HH_OK;
}

void hh_peer_client_poke(struct hh_peer_client *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->poked = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

void hh_peer_client_stop(struct hh_peer_client *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    hh_http_client_free(p->http);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    free(p);
}
