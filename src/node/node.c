/*
 * node.c - the node's wiring: creating and opening a node directory, and
 * starting and stopping its subsystems in order. Storage opens first and
 * closes last; the sequencer starts before the server and the peer client
 * that read it, and stops after them (henhouse/node.h, node_impl.h).
 */
#include "node_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <henhouse/client/files.h>

#include "log/tile_store.h"

static int party_valid(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > HH_PARTY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
              p[i] == '_'))
            return 0;
    return 1;
}

/* Creates dir, or accepts it when it exists and is empty. */
static hh_status make_empty_dir(const char *dir, struct hh_error *err)
{
    DIR *d;
    struct dirent *e;

    if (mkdir(dir, 0700) == 0)
        return HH_OK;
    if (errno != EEXIST)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", dir, strerror(errno));
    d = opendir(dir);
    if (d == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            closedir(d);
            return hh_error_set(err, HH_ERR_CONFLICT,
                                "%s is not empty; refusing to overwrite an existing node", dir);
        }
    }
    closedir(d);
    return HH_OK;
}

static hh_status new_key(const char *dir, const char *base, const char *name, uint8_t type,
                         struct hh_error *err)
{
    struct hh_signer *s = NULL;
    hh_status rc = hh_signer_generate(name, type, &s, err);
    if (rc == HH_OK)
        rc = hh_write_key_pair(s, dir, base, err);
    hh_signer_free(s);
    return rc;
}

static hh_status write_config(const char *dir, const char *party, const char *origin,
                              struct hh_error *err)
{
    struct hh_config c;
    char path[HH_CONFIG_PATH_MAX + 32];
    char *text = NULL;
    hh_status rc;

    hh_config_defaults(&c);
    snprintf(c.party, sizeof(c.party), "%s", party);
    snprintf(c.origin, sizeof(c.origin), "%s", origin);
    snprintf(c.log_key, sizeof(c.log_key), "log.key");
    snprintf(c.witness_key, sizeof(c.witness_key), "witness.key");
    snprintf(c.signers[0], sizeof(c.signers[0]), "operator.vkey");
    c.nsigners = 1;
    rc = hh_config_format(&c, &text, err);
    if (rc == HH_OK)
        rc = hh_config_path(dir, HH_CONFIG_FILE, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_write_new_file(path, text, strlen(text), 0644, err);
    free(text);
    return rc;
}

hh_status hh_node_init(const char *dir, const char *party, const char *origin, struct hh_error *err)
{
    char name[HH_KEY_NAME_MAX + 1];
    struct hh_node *n = NULL;
    hh_status rc;

    if (!party_valid(party))
        return hh_error_set(err, HH_ERR_INVALID,
                            "party must be 1-%d characters of a-z, 0-9, '-' and '_'", HH_PARTY_MAX);
    if (strlen(origin) > HH_ORIGIN_MAX - 9 || !hh_key_name_valid(origin, strlen(origin)) ||
        strchr(origin, '#') != NULL)
        return hh_error_set(err, HH_ERR_INVALID,
                            "origin must be a key name (no spaces, '+' or '#', at most %d bytes)",
                            HH_ORIGIN_MAX - 9);
    rc = make_empty_dir(dir, err);
    if (rc != HH_OK)
        return rc;
    rc = new_key(dir, "log", origin, HH_KEY_ED25519, err);
    snprintf(name, sizeof(name), "%s/witness", origin);
    if (rc == HH_OK)
        rc = new_key(dir, "witness", name, HH_KEY_COSIGNATURE, err);
    snprintf(name, sizeof(name), "%s/operator", origin);
    if (rc == HH_OK)
        rc = new_key(dir, "operator", name, HH_KEY_ED25519, err);
    if (rc == HH_OK)
        rc = write_config(dir, party, origin, err);
    if (rc == HH_OK)
        rc = hh_node_open(dir, &n, err);
    if (rc == HH_OK)
        rc = hh_node_start_sequencer(n, err); /* signs the first, empty checkpoint */
    hh_node_close(n);
    return rc;
}

static hh_status load_keys(struct hh_node *n, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    const struct hh_config *c = &n->config;
    hh_status rc = hh_config_path(n->dir, c->log_key, path, sizeof(path), err);

    if (rc == HH_OK)
        rc = hh_load_signer(path, &n->log_key, err);
    if (rc == HH_OK)
        rc = hh_config_path(n->dir, c->witness_key, path, sizeof(path), err);
    if (rc == HH_OK)
        rc = hh_load_signer(path, &n->witness_key, err);
    if (rc != HH_OK)
        return rc;
    hh_signer_verifier(n->log_key, &n->log_vkey);
    hh_signer_verifier(n->witness_key, &n->witness_vkey);
    if (n->log_vkey.type != HH_KEY_ED25519 || strcmp(n->log_vkey.name, c->origin) != 0)
        return hh_error_set(err, HH_ERR_INVALID,
                            "the log key must be an Ed25519 key named after the origin '%s'",
                            c->origin);
    if (n->witness_vkey.type != HH_KEY_COSIGNATURE)
        return hh_error_set(err, HH_ERR_INVALID, "the witness key must be a cosignature key");
    for (size_t i = 0; i < c->nsigners && rc == HH_OK; i++) {
        rc = hh_config_path(n->dir, c->signers[i], path, sizeof(path), err);
        if (rc == HH_OK)
            rc = hh_load_verifier(path, &n->signers[i], err);
        if (rc == HH_OK && n->signers[i].type != HH_KEY_ED25519)
            rc = hh_error_set(err, HH_ERR_INVALID, "%s: a signer must be an Ed25519 key", path);
        n->nsigners = i + 1;
    }
    return rc;
}

static hh_status load_witness_keys(struct hh_node *n, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    hh_status rc = HH_OK;

    for (size_t i = 0; rc == HH_OK && i < n->config.nwitnesses; i++) {
        struct hh_verifier *v = &n->witness_keys[i];
        rc = hh_config_path(n->dir, n->config.witnesses[i].vkey, path, sizeof(path), err);
        if (rc == HH_OK)
            rc = hh_load_verifier(path, v, err);
        if (rc == HH_OK && v->type != HH_KEY_COSIGNATURE)
            rc = hh_error_set(err, HH_ERR_INVALID, "%s: expected a cosignature key", path);
    }
    return rc;
}

static hh_status check_logs(const struct hh_config *c, struct hh_error *err)
{
    for (size_t i = 0; i < c->nlogs; i++)
        if (strcmp(c->logs[i].origin, c->origin) == 0)
            return hh_error_set(err, HH_ERR_INVALID, "log '%s' has this node's own origin",
                                c->logs[i].name);
    return HH_OK;
}

/* Opens the stores and the witness; keys and config are loaded. */
static hh_status open_parts(struct hh_node *n, struct hh_error *err)
{
    char uri[HH_CONFIG_PATH_MAX * 2 + 16];
    struct hh_witness_config wc = {n->dir, n->witness_key, n->config.logs, n->config.nlogs, NULL};
    hh_status rc = hh_config_storage_uri(n->dir, "witness.db", uri, sizeof(uri), err);

    if (rc == HH_OK)
        rc = hh_wdb_open(uri, &n->wdb, err);
    wc.wdb = n->wdb;
    if (rc == HH_OK)
        rc = check_logs(&n->config, err);
    if (rc == HH_OK)
        rc = hh_witness_open(&wc, &n->witness, err);
    if (rc == HH_OK)
        rc = hh_config_storage_uri(n->dir, n->config.database, uri, sizeof(uri), err);
    if (rc == HH_OK)
        rc = hh_store_open(uri, &n->store, err);
    return rc;
}

bool hh_node_is_dir(const char *dir)
{
    char conf[HH_CONFIG_PATH_MAX + 32];
    return hh_config_path(dir, HH_CONFIG_FILE, conf, sizeof(conf), NULL) == HH_OK &&
           access(conf, F_OK) == 0;
}

hh_status hh_node_open(const char *dir, struct hh_node **out, struct hh_error *err)
{
    struct hh_node *n;
    hh_status rc;

    *out = NULL;
    if (strlen(dir) >= sizeof(n->dir))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "node directory path too long");
    n = calloc(1, sizeof(*n));
    if (n == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    memcpy(n->dir, dir, strlen(dir) + 1);
    rc = hh_config_load(dir, &n->config, err);
    if (rc == HH_OK)
        rc = load_keys(n, err);
    if (rc == HH_OK)
        rc = load_witness_keys(n, err);
    if (rc == HH_OK)
        rc = open_parts(n, err);
    if (rc != HH_OK) {
        hh_node_close(n);
        return rc;
    }
    *out = n;
    return HH_OK;
}

static void poke_peers(void *ctx, uint64_t size)
{
    struct hh_node *n = ctx;
    (void)size;
    hh_peer_client_poke(__atomic_load_n(&n->peers, __ATOMIC_ACQUIRE));
}

hh_status hh_node_start_sequencer(struct hh_node *n, struct hh_error *err)
{
    struct hh_sequencer_config sc = {
        .origin = n->config.origin,
        .log_key = n->log_key,
        .checkpoint_interval_ms = n->config.checkpoint_interval_ms,
        .batch_max = n->config.batch_max,
        .queue_max = n->config.queue_max,
        .on_checkpoint = poke_peers,
        .ctx = n,
    };
    if (n->sequencer != NULL)
        return HH_OK;
    return hh_sequencer_start(n->store, &sc, &n->sequencer, err);
}

static json_t *status_of(void *ctx)
{
    return hh_node_status(ctx);
}

static hh_status start_server(struct hh_node *n, const char *host, uint16_t port, uint16_t *bound,
                              struct hh_error *err)
{
    const struct hh_config *c = &n->config;
    struct hh_server_config sc = {
        .host = host,
        .port = port,
        .max_body_bytes = c->max_body_bytes,
        .max_connections = c->max_connections,
        .request_timeout_s = c->request_timeout_s,
        .threads = c->threads,
        .store = n->store,
        .sequencer = n->sequencer,
        .wdb = n->wdb,
        .witness = n->witness,
        .signers = n->signers,
        .nsigners = n->nsigners,
        .status = status_of,
        .status_ctx = n,
    };
    return hh_server_start(&sc, &n->server, bound, err);
}

static hh_status start_peers(struct hh_node *n, struct hh_error *err)
{
    struct hh_peer_config pc = {
        .witnesses = n->config.witnesses,
        .witness_keys = n->witness_keys,
        .nwitnesses = n->config.nwitnesses,
        .interval_ms = n->config.peer_interval_ms,
        .sequencer = n->sequencer,
        .store = n->store,
        .wdb = n->wdb,
        .witness = n->witness,
    };
    struct hh_peer_client *p = NULL;
    hh_status rc = hh_peer_client_start(&pc, &p, err);

    if (rc == HH_OK)
        __atomic_store_n(&n->peers, p, __ATOMIC_RELEASE);
    return rc;
}

hh_status hh_node_serve(struct hh_node *n, const char *listen, char *url, size_t url_cap,
                        struct hh_error *err)
{
    char host[256];
    uint16_t port = n->config.listen_port, bound = 0;
    hh_status rc = HH_OK;

    snprintf(host, sizeof(host), "%s", n->config.listen_host);
    if (listen != NULL)
        rc = hh_config_parse_listen(listen, host, sizeof(host), &port, err);
    if (rc == HH_OK)
        rc = hh_node_start_sequencer(n, err);
    if (rc == HH_OK)
        rc = start_server(n, host, port, &bound, err);
    if (rc == HH_OK)
        rc = start_peers(n, err);
    if (rc == HH_OK &&
        snprintf(url, url_cap, "http://%s:%u", host, (unsigned)bound) >= (int)url_cap)
        rc = hh_error_set(err, HH_ERR_TOO_LARGE, "the listening address is too long");
    if (rc != HH_OK)
        hh_node_stop(n);
    return rc;
}

void hh_node_stop(struct hh_node *n)
{
    if (n == NULL)
        return;
    hh_server_quiesce(n->server);
    hh_peer_client_stop(__atomic_exchange_n(&n->peers, NULL, __ATOMIC_ACQ_REL));
    /*
     * Commit and answer what is queued; suspended connections are resumed by
     * it. The sequencer is not freed here: open keep-alive connections (peers
     * polling /checkpoint) may still send requests until the server stops,
     * and they read it. hh_node_close frees it.
     */
    hh_sequencer_quiesce(n->sequencer);
    hh_server_stop(n->server);
    n->server = NULL;
}

void hh_node_tile_source(struct hh_node *n, struct hh_tile_source *out)
{
    hh_tile_source_store(n->store, out);
}

uint64_t hh_node_fd_need(const struct hh_node *n)
{
    /* each store holds a few descriptors (database, WAL, shm per connection) */
    return (uint64_t)n->config.max_connections + 64 + 16 * (uint64_t)(n->config.nlogs + 2);
}

const char *hh_node_warning(const struct hh_node *n)
{
    return n->config.warning;
}

const struct hh_config *hh_node_config(const struct hh_node *n)
{
    return &n->config;
}

struct hh_store *hh_node_store(struct hh_node *n)
{
    return n->store;
}

struct hh_sequencer *hh_node_sequencer(struct hh_node *n)
{
    return n->sequencer;
}

void hh_node_close(struct hh_node *n)
{
    if (n == NULL)
        return;
    hh_node_stop(n);
    hh_sequencer_stop(n->sequencer);
    hh_witness_close(n->witness);
    hh_store_close(n->store);
    hh_wdb_close(n->wdb);
    hh_signer_free(n->log_key);
    hh_signer_free(n->witness_key);
    free(n);
}
