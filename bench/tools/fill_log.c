/*
 * fill_log.c - fills a node's log quickly for benchmarks: the hh_fill_log binary.
 *
 *   hh_fill_log DIR N [--payload-bytes B]
 *
 * Opens the node directory DIR (made by `henhouse init`; it must not be
 * served at the same time), signs N distinct statements with DIR/operator.key
 * as DSSE envelopes, exactly as `henhouse submit` does, and queues them on
 * the node's own sequencer, which commits them in batches and signs a
 * checkpoint after each. Entries are therefore real: a mirror or `henhouse
 * verify` checks them like any other. At most WINDOW submissions are queued
 * at once, so the queue limit is never hit. Exits 0 once every entry is
 * durable and checkpointed, 2 on any error.
 */
#include <henhouse/henhouse.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <henhouse/client/files.h>
#include "node_impl.h"

#define WINDOW     8192
#define TYPE       "application/vnd.henhouse.statement+json"
#define PAYLOAD_MX 60000

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    size_t pending;
    size_t failed;
    uint64_t duplicates;
};

static void on_done(void *ctx, const struct hh_sequenced *r)
{
    struct waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->pending--;
    if (r->rc != HH_OK)
        w->failed++;
    if (r->duplicate)
        w->duplicates++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static void wait_below(struct waiter *w, size_t limit)
{
    pthread_mutex_lock(&w->mu);
    while (w->pending > limit)
        pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* A distinct statement payload of about `bytes` bytes. */
static size_t make_payload(char *buf, size_t cap, uint64_t i, size_t bytes, uint64_t tag)
{
    int n = snprintf(buf, cap,
                     "{\"kind\":\"notice\",\"from\":\"bench\",\"to\":[\"ru\"],"
                     "\"subject\":\"fill %llu-%llu\",\"body\":\"",
                     (unsigned long long)tag, (unsigned long long)i);
    size_t len = n > 0 ? (size_t)n : 0;
    while (len + 3 < bytes && len + 3 < cap)
        buf[len++] = 'x';
    memcpy(buf + len, "\"}\n", 3);
    return len + 3;
}

static hh_status submit_one(struct hh_node *n, struct hh_signer *key, uint64_t i, size_t bytes,
                            uint64_t tag, struct waiter *w, struct hh_error *err)
{
    static char payload[PAYLOAD_MX + 64];
    size_t plen = make_payload(payload, sizeof(payload), i, bytes, tag);
    struct hh_dsse *env = NULL;
    struct hh_hash id;
    char *entry = NULL;
    size_t elen = 0;
    hh_status rc = hh_dsse_sign(TYPE, (const uint8_t *)payload, plen, &key, 1, &env, err);

    if (rc == HH_OK)
        rc = hh_dsse_id(env, &id);
    if (rc == HH_OK)
        rc = hh_dsse_format(env, &entry, &elen, err);
    if (rc == HH_OK) {
        pthread_mutex_lock(&w->mu);
        w->pending++;
        pthread_mutex_unlock(&w->mu);
        rc = hh_sequencer_submit(n->sequencer, &id, (const uint8_t *)entry, elen, false, on_done, w,
                                 err);
        if (rc != HH_OK) {
            pthread_mutex_lock(&w->mu);
            w->pending--;
            pthread_mutex_unlock(&w->mu);
        }
    }
    free(entry);
    hh_dsse_free(env);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fputs("usage: hh_fill_log DIR N [--payload-bytes B]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    struct hh_error err = {0};
    struct hh_node *n = NULL;
    struct hh_signer *key = NULL;
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    char path[HH_CONFIG_PATH_MAX * 2];
    uint64_t count = 0, bytes = 500, size0 = 0, size1 = 0;
    hh_status rc;

    if (argc != 3 && argc != 5)
        return usage();
    if (hh_init() != HH_OK)
        return 2;
    if (hh_parse_u64(argv[2], strlen(argv[2]), &count, NULL) != HH_OK)
        return usage();
    if (argc == 5 && (strcmp(argv[3], "--payload-bytes") != 0 ||
                      hh_parse_u64(argv[4], strlen(argv[4]), &bytes, NULL) != HH_OK ||
                      bytes < 100 || bytes > PAYLOAD_MX))
        return usage();
    double t0 = now_s();
    uint64_t tag = (uint64_t)time(NULL);
    rc = hh_node_open(argv[1], &n, &err);
    if (rc == HH_OK)
        rc = hh_config_path(argv[1], "operator.key", path, sizeof(path), &err);
    if (rc == HH_OK)
        rc = hh_load_signer(path, &key, &err);
    if (rc == HH_OK)
        rc = hh_node_start_sequencer(n, &err);
    if (rc == HH_OK)
        rc = hh_store_size(n->store, &size0, &err);
    for (uint64_t i = 0; rc == HH_OK && i < count; i++) {
        wait_below(&w, WINDOW);
        rc = submit_one(n, key, size0 + i, (size_t)bytes, tag, &w, &err);
    }
    wait_below(&w, 0);
    if (rc == HH_OK && w.failed > 0)
        rc = hh_error_set(&err, HH_ERR_IO, "%zu submissions failed", w.failed);
    if (rc == HH_OK)
        rc = hh_store_size(n->store, &size1, &err);
    hh_signer_free(key);
    hh_node_close(n); /* stops the sequencer after its last checkpoint */
    if (rc != HH_OK) {
        fprintf(stderr, "hh_fill_log: %s\n", err.msg);
        return 2;
    }
    double dt = now_s() - t0;
    printf("filled %llu entries (size %llu -> %llu, %llu duplicates) in %.2f s, %.0f entries/s\n",
           (unsigned long long)count, (unsigned long long)size0, (unsigned long long)size1,
           (unsigned long long)w.duplicates, dt, dt > 0 ? (double)count / dt : 0.0);
    return 0;
}
