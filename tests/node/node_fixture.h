/*
 * node_fixture.h - shared helpers of the node tests that drive real
 * components: scratch directories (removed recursively), DSSE entries,
 * collecting sequencer callbacks with bounded waits, node directories that
 * are opened and served on loopback, henhouse.conf edits, free ports and
 * signed checkpoints.
 *
 * Every wait here is bounded: a helper returns false (and the test fails)
 * rather than hang when a callback or a peer never answers. Every symbol is
 * prefixed fx_.
 */
#ifndef HH_TEST_NODE_FIXTURE_H
#define HH_TEST_NODE_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <henhouse/client/http_client.h>
#include <henhouse/henhouse.h>
#include <henhouse/node.h>

#include "log/sequencer.h"

#define FX_TYPE    "application/vnd.henhouse.statement+json"
#define FX_WAIT_MS 20000 /* the longest any single wait may take */

/* ---- scratch directories ---- */

/* Creates /tmp/hh_<tag>_XXXXXX into buf (cap bytes). */
bool fx_mkdtemp(char *buf, size_t cap, const char *tag);
/* Removes path and everything under it (NULL or "" does nothing). */
void fx_rmtree(const char *path);

/* ---- entries ---- */

/*
 * Envelope number i tagged tag, signed by s, in the canonical form a node
 * logs; its statement id too. *entry is malloc'd (caller frees).
 */
bool fx_entry(struct hh_signer *s, const char *tag, uint64_t i, char **entry, size_t *len,
              struct hh_hash *id);

/* ---- sequencer results ---- */

struct fx_results;

/* One submission's outcome, as delivered to fx_on_sequenced. */
struct fx_slot {
    struct fx_results *r;
    unsigned calls; /* how often the callback came (must be once) */
    hh_status rc;
    uint64_t index;
    bool duplicate;
    char *note; /* a copy of the checkpoint handed over, or NULL */
    size_t note_len;
};

struct fx_results {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    size_t done;       /* callbacks received */
    struct fx_slot *slots;
    size_t cap;
};

bool fx_results_init(struct fx_results *r, size_t cap);
void fx_results_clear(struct fx_results *r);
/* The callback for hh_sequencer_submit; ctx is &r->slots[i]. */
void fx_on_sequenced(void *ctx, const struct hh_sequenced *res);
/* Waits up to ms for at least n callbacks; true if they came. */
bool fx_results_wait(struct fx_results *r, size_t n, unsigned ms);
/* The number of callbacks received so far. */
size_t fx_results_done(struct fx_results *r);

/* ---- node directories ---- */

struct fx_node {
    char base[64]; /* the scratch directory */
    char dir[128]; /* base/party: the node directory */
    char origin[HH_ORIGIN_MAX + 1];
    struct hh_node *n;     /* NULL until opened */
    struct hh_signer *op;  /* DIR/operator.key */
    struct hh_signer *log; /* DIR/log.key */
    struct hh_verifier op_vkey, log_vkey, witness_vkey;
    char url[128]; /* set by fx_node_serve */
    uint64_t size; /* entries appended through fx_node_append */
};

/* hh_node_init in a new scratch directory, then loads its keys (does not open it). */
bool fx_node_init(struct fx_node *f, const char *party, const char *origin);
bool fx_node_open(struct fx_node *f);
/* Opens (if needed) and serves on listen ("127.0.0.1:0" picks a port); fills f->url. */
bool fx_node_serve(struct fx_node *f, const char *listen);
/* Appends count new statements through the running sequencer, waiting for their checkpoint. */
bool fx_node_append(struct fx_node *f, uint64_t count);
/* Closes the node, frees the keys, removes the scratch directory. */
void fx_node_free(struct fx_node *f);

/* Sets "key value" in DIR/henhouse.conf, replacing the line for key. */
bool fx_conf_set(const char *dir, const char *key, const char *value);
/* Appends one line (no newline needed) to DIR/henhouse.conf. */
bool fx_conf_append(const char *dir, const char *line);
/* Copies a file (mode 0644). */
bool fx_copy_file(const char *from, const char *to);

/* ---- network ---- */

/* A loopback port nothing listened on a moment ago. */
bool fx_free_port(uint16_t *port);
/* GET base+path (5 s timeout, 1 MiB at most); HH_OK with any status. */
hh_status fx_get(const char *base, const char *path, struct hh_http_response *out);
/* Milliseconds on the monotonic clock. */
int64_t fx_now_ms(void);
/* Sleeps ms milliseconds. */
void fx_sleep_ms(unsigned ms);

/* ---- checkpoints ---- */

/*
 * Parses the signed note[0..len), verifies it with key (other signatures,
 * e.g. cosignatures, are ignored) and parses its checkpoint into cp.
 */
bool fx_note_checkpoint(const char *note, size_t len, const struct hh_verifier *key,
                        struct hh_checkpoint *cp);
/* GET base/checkpoint, verified with key: the note (malloc'd) and its checkpoint. */
bool fx_fetch_checkpoint(const char *base, const struct hh_verifier *key, char **note, size_t *len,
                         struct hh_checkpoint *cp);
/* A note signed by key for (origin, size, root); malloc'd, NULL on failure. */
char *fx_sign_checkpoint(const struct hh_signer *key, const char *origin, uint64_t size,
                         const struct hh_hash *root, size_t *len);

#endif
