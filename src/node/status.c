/*
 * status.c - assembling the node's health report from its subsystems
 * (hh_node_status, henhouse/node.h).
 */
#include "node_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *hash_json(const struct hh_hash *h)
{
    char b64[48];
    return hh_base64_encode(h->b, HH_HASH_LEN, b64, sizeof(b64)) == HH_OK ? json_string(b64)
                                                                          : json_null();
}

static json_t *witness_json(struct hh_node *n, size_t i, uint64_t size, int64_t now)
{
    const struct hh_config_witness *w = &n->config.witnesses[i];
    uint64_t cs = 0, ts = 0;
    bool have = hh_wdb_last_cosignature(n->wdb, w->name, &cs, &ts, NULL) == HH_OK;
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", w->name, "url", w->url, "key",
                          n->witness_keys[i].name);

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "cosigned_size", have ? json_integer((json_int_t)cs) : json_null());
    json_object_set_new(o, "cosigned_at", have ? json_integer((json_int_t)ts) : json_null());
    json_object_set_new(o, "age_s", have ? json_integer(now - (int64_t)ts) : json_null());
    json_object_set_new(o, "behind",
                        json_integer(have ? (json_int_t)(size - cs) : (json_int_t)size));
    hh_witness_add_peer_health(n->wdb, "witness", w->name, o);
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
    for (size_t i = 0; i < n->config.nwitnesses; i++)
        json_array_append_new(ws, witness_json(n, i, have ? c.size : 0, now));
    json_object_set_new(o, "witnesses", ws);
    hh_store_checkpoint_clear(&c);
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
    size_t nevidence = 0;
    struct hh_error err = {0};
    json_t *o;

    if (hh_wdb_each_evidence(n->wdb, count_evidence, &nevidence, NULL) != HH_OK)
        nevidence = 0;
    o = json_pack("{s:s, s:I, s:o, s:o, s:I}", "party", n->config.party, "time", (json_int_t)now,
                  "log", own_log_json(n, now), "witnessed", hh_witness_status(n->witness),
                  "evidence", (json_int_t)nevidence);
    if (o != NULL && n->sequencer != NULL) {
        hh_sequencer_last_error(n->sequencer, &err);
        json_object_set_new(o, "sequencer_error", json_string(err.msg));
    }
    return o;
}
