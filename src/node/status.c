/*
 * status.c - assembling the node's status report from its databases.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *hash_json(const struct hh_hash *h)
{
    char b64[48];
    return hh_base64_encode(h->b, HH_HASH_LEN, b64, sizeof(b64)) == HH_OK ? json_string(b64)
                                                                          : json_null();
}

static void add_peer_health(struct hh_node *n, const char *role, const char *name, json_t *o)
{
    struct hh_wdb_peer p;
    char key[HH_PARTY_MAX + 16];

    snprintf(key, sizeof(key), "%s:%s", role, name);
    if (hh_wdb_peer(n->wdb, key, &p, NULL) != HH_OK)
        return;
    json_object_set_new(o, "last_ok", json_integer(p.last_ok));
    json_object_set_new(o, "last_error", json_string(p.last_error));
    json_object_set_new(o, "last_error_time", json_integer(p.last_error_time));
    json_object_set_new(o, "consecutive_failures", json_integer((json_int_t)p.failures));
}

static json_t *witness_json(struct hh_node *n, const struct hh_peer_witness *w, uint64_t size,
                            int64_t now)
{
    uint64_t cs = 0, ts = 0;
    bool have = hh_wdb_last_cosignature(n->wdb, w->cfg->name, &cs, &ts, NULL) == HH_OK;
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "name", w->cfg->name, "url", w->cfg->url, "key", w->vkey.name);

    json_object_set_new(o, "cosigned_size", have ? json_integer((json_int_t)cs) : json_null());
    json_object_set_new(o, "cosigned_at", have ? json_integer((json_int_t)ts) : json_null());
    json_object_set_new(o, "age_s", have ? json_integer(now - (int64_t)ts) : json_null());
    json_object_set_new(o, "behind",
                        json_integer(have ? (json_int_t)(size - cs) : (json_int_t)size));
    add_peer_health(n, "witness", w->cfg->name, o);
    return o;
}

static json_t *own_log_json(struct hh_node *n, int64_t now)
{
    struct hh_store_checkpoint c;
    json_t *ws = json_array(), *o;
    bool have = hh_store_latest_checkpoint(n->store, &c, NULL) == HH_OK;

    o = json_pack("{s:s, s:I}", "origin", n->config.origin, "size",
                  (json_int_t)(have ? c.size : 0));
    json_object_set_new(o, "root", have ? hash_json(&c.root) : json_null());
    json_object_set_new(o, "checkpoint_time", json_integer(have ? c.time : 0));
    for (size_t i = 0; i < n->nwitnesses; i++)
        json_array_append_new(ws, witness_json(n, &n->witnesses[i], have ? c.size : 0, now));
    json_object_set_new(o, "witnesses", ws);
    if (have)
        hh_store_checkpoint_clear(&c);
    return o;
}

static json_t *witnessed_json(struct hh_node *n, struct hh_peer_log *l)
{
    struct hh_wdb_state st;
    uint64_t mirror = 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", l->cfg->name, "origin", l->cfg->origin,
                          "url", l->cfg->url, "mode", l->mirror ? "mirror" : "plain");

    if (hh_wdb_state(n->wdb, l->cfg->origin, &st, NULL) == HH_OK) {
        json_object_set_new(o, "cosigned_size", json_integer((json_int_t)st.size));
        json_object_set_new(o, "cosigned_root", hash_json(&st.root));
        json_object_set_new(o, "cosigned_at", json_integer(st.time));
        json_object_set_new(o, "frozen", json_boolean(st.frozen));
        hh_wdb_state_clear(&st);
    }
    if (l->mirror != NULL && hh_store_size(l->mirror, &mirror, NULL) == HH_OK)
        json_object_set_new(o, "mirror_size", json_integer((json_int_t)mirror));
    add_peer_health(n, "log", l->cfg->name, o);
    return o;
}

static void count_evidence(void *ctx, int64_t id, const char *origin, const char *kind,
                           const char *json, size_t len, int64_t time)
{
    (void)id, (void)origin, (void)kind, (void)json, (void)len, (void)time;
    (*(size_t *)ctx)++;
}

json_t *hh_node_status(struct hh_node *n)
{
    int64_t now = (int64_t)time(NULL);
    json_t *logs = json_array(), *o;
    size_t nevidence = 0;
    struct hh_error err = {0};

    for (size_t i = 0; i < n->nlogs; i++)
        json_array_append_new(logs, witnessed_json(n, &n->logs[i]));
    if (hh_wdb_each_evidence(n->wdb, count_evidence, &nevidence, NULL) != HH_OK)
        nevidence = 0;
    o = json_pack("{s:s, s:I, s:o, s:o, s:I}", "party", n->config.party, "time", (json_int_t)now,
                  "log", own_log_json(n, now), "witnessed", logs, "evidence",
                  (json_int_t)nevidence);
    if (o != NULL && n->sequencer != NULL) {
        hh_sequencer_last_error(n->sequencer, &err);
        json_object_set_new(o, "sequencer_error", json_string(err.msg));
    }
    return o;
}
