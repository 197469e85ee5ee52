/*
 * node_fixture.c - the helpers behind node_fixture.h. Not a test file: it
 * registers no tests, it is only globbed into hh_node with them.
 */
#define _XOPEN_SOURCE 700
#include "node_fixture.h"

#include "harness.h"
#include "node_impl.h"

#include <henhouse/client/files.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- scratch directories ---- */

bool fx_mkdtemp(char *buf, size_t cap, const char *tag)
{
    int n = snprintf(buf, cap, "/tmp/hh_%s_XXXXXX", tag);
    return n > 0 && (size_t)n < cap && mkdtemp(buf) != NULL;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void fx_rmtree(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return;
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- entries ---- */

bool fx_entry(struct hh_signer *s, const char *tag, uint64_t i, char **entry, size_t *len,
              struct hh_hash *id)
{
    char payload[160];
    struct hh_dsse *env = NULL;
    int n = snprintf(payload, sizeof(payload), "{\"kind\":\"notice\",\"tag\":\"%s\",\"n\":%llu}",
                     tag, (unsigned long long)i);
    bool ok =
        n > 0 && (size_t)n < sizeof(payload) &&
        hh_dsse_sign(FX_TYPE, (const uint8_t *)payload, (size_t)n, &s, 1, &env, NULL) == HH_OK &&
        hh_dsse_id(env, id) == HH_OK && hh_dsse_format(env, entry, len, NULL) == HH_OK;

    hh_dsse_free(env);
    return ok;
}

/* ---- sequencer results ---- */

bool fx_results_init(struct fx_results *r, size_t cap)
{
    pthread_condattr_t ca;

    memset(r, 0, sizeof(*r));
    r->slots = calloc(cap, sizeof(*r->slots));
    if (r->slots == NULL)
        return false;
    r->cap = cap;
    for (size_t i = 0; i < cap; i++)
        r->slots[i].r = r;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    return true;
}

void fx_results_clear(struct fx_results *r)
{
    if (r->slots == NULL)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->slots[i].note);
    free(r->slots);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    memset(r, 0, sizeof(*r));
}

void fx_on_sequenced(void *ctx, const struct hh_sequenced *res)
{
    struct fx_slot *s = ctx;
    struct fx_results *r = s->r;

    pthread_mutex_lock(&r->mu);
    s->calls++;
    s->rc = res->rc;
    s->index = res->index;
    s->duplicate = res->duplicate;
    free(s->note);
    s->note = NULL;
    s->note_len = 0;
    if (res->checkpoint != NULL && (s->note = malloc(res->checkpoint_len + 1)) != NULL) {
        memcpy(s->note, res->checkpoint, res->checkpoint_len);
        s->note[res->checkpoint_len] = '\0';
        s->note_len = res->checkpoint_len;
    }
    r->done++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

bool fx_results_wait(struct fx_results *r, size_t n, unsigned ms)
{
    struct timespec deadline;
    bool ok;

    deadline_in(&deadline, ms);
    pthread_mutex_lock(&r->mu);
    while (r->done < n && pthread_cond_timedwait(&r->cv, &r->mu, &deadline) != ETIMEDOUT)
        ;
    ok = r->done >= n;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

size_t fx_results_done(struct fx_results *r)
{
    size_t n;

    pthread_mutex_lock(&r->mu);
    n = r->done;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* ---- node directories ---- */

static bool load_key(const char *dir, const char *file, struct hh_signer **out)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return hh_load_signer(path, out, NULL) == HH_OK;
}

bool fx_node_init(struct fx_node *f, const char *party, const char *origin)
{
    char path[256];

    memset(f, 0, sizeof(*f));
    if (hh_init() != HH_OK || !fx_mkdtemp(f->base, sizeof(f->base), party))
        return false;
    snprintf(f->dir, sizeof(f->dir), "%s/%s", f->base, party);
    snprintf(f->origin, sizeof(f->origin), "%s", origin);
    if (hh_node_init(f->dir, party, origin, NULL) != HH_OK ||
        !load_key(f->dir, "operator.key", &f->op) || !load_key(f->dir, "log.key", &f->log))
        return false;
    hh_signer_verifier(f->op, &f->op_vkey);
    hh_signer_verifier(f->log, &f->log_vkey);
    snprintf(path, sizeof(path), "%s/witness.vkey", f->dir);
    return hh_load_verifier(path, &f->witness_vkey, NULL) == HH_OK;
}

bool fx_node_open(struct fx_node *f)
{
    struct hh_error err = {0};

    if (f->n != NULL)
        return true;
    if (hh_node_open(f->dir, &f->n, &err) == HH_OK)
        return true;
    hh_test_note("opening %s: %s", f->dir, err.msg);
    return false;
}

bool fx_node_serve(struct fx_node *f, const char *listen)
{
    struct hh_error err = {0};

    if (!fx_node_open(f) || hh_http_global_init(&err) != HH_OK)
        return false;
    if (hh_node_serve(f->n, listen, f->url, sizeof(f->url), &err) == HH_OK)
        return true;
    hh_test_note("serving %s: %s", f->dir, err.msg);
    return false;
}

static bool submit_one(struct fx_node *f, struct hh_sequencer *q, uint64_t i, struct fx_slot *slot)
{
    struct hh_hash id;
    char *entry = NULL;
    size_t len = 0;
    bool ok = fx_entry(f->op, f->origin, i, &entry, &len, &id) &&
              hh_sequencer_submit(q, &id, (const uint8_t *)entry, len, true, fx_on_sequenced, slot,
                                  NULL) == HH_OK;

    free(entry);
    return ok;
}

static bool all_new_and_ok(struct fx_results *r, uint64_t first)
{
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].calls != 1 || r->slots[i].rc != HH_OK || r->slots[i].duplicate ||
            r->slots[i].index != first + i)
            return false;
    return true;
}

bool fx_node_append(struct fx_node *f, uint64_t count)
{
    struct hh_sequencer *q = f->n != NULL ? hh_node_sequencer(f->n) : NULL;
    struct fx_results r;
    size_t sent = 0;
    bool ok;

    if (q == NULL || !fx_results_init(&r, (size_t)count))
        return false;
    while (sent < count && submit_one(f, q, f->size + sent, &r.slots[sent]))
        sent++;
    ok = fx_results_wait(&r, sent, FX_WAIT_MS) && sent == count && all_new_and_ok(&r, f->size);
    if (ok)
        f->size += count;
    fx_results_clear(&r);
    return ok;
}

void fx_node_free(struct fx_node *f)
{
    hh_node_close(f->n);
    f->n = NULL;
    hh_signer_free(f->op);
    hh_signer_free(f->log);
    f->op = f->log = NULL;
    fx_rmtree(f->base);
}

static bool write_conf(const char *dir, const char *text, size_t len)
{
    char path[256];
    FILE *fp;
    bool ok;

    snprintf(path, sizeof(path), "%s/%s", dir, HH_NODE_CONFIG_FILE);
    fp = fopen(path, "w");
    if (fp == NULL)
        return false;
    ok = fwrite(text, 1, len, fp) == len;
    return fclose(fp) == 0 && ok;
}

/* Copies text's lines into out, dropping the one whose first word is key. */
static size_t drop_key(const char *text, size_t len, const char *key, char *out)
{
    size_t klen = strlen(key), n = 0;

    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl != NULL ? (size_t)(nl - (text + pos)) + 1 : len - pos;
        bool match = l > klen && strncmp(text + pos, key, klen) == 0 &&
                     (text[pos + klen] == ' ' || text[pos + klen] == '\t');
        if (!match) {
            memcpy(out + n, text + pos, l);
            n += l;
        }
        pos += l;
    }
    return n;
}

bool fx_conf_set(const char *dir, const char *key, const char *value)
{
    char path[256];
    size_t len = 0, n, cap;
    char *text, *out;
    bool ok;
    int w;

    snprintf(path, sizeof(path), "%s/%s", dir, HH_NODE_CONFIG_FILE);
    text = hh_test_read_file(path, &len);
    cap = len + strlen(key) + strlen(value) + 4;
    out = malloc(cap);
    ok = text != NULL && out != NULL;
    if (ok) {
        n = drop_key(text, len, key, out);
        if (n > 0 && out[n - 1] != '\n')
            out[n++] = '\n';
        w = snprintf(out + n, cap - n, "%s %s\n", key, value);
        ok = w > 0 && (size_t)w < cap - n && write_conf(dir, out, n + (size_t)w);
    }
    free(text);
    free(out);
    return ok;
}

bool fx_conf_append(const char *dir, const char *line)
{
    char path[256];
    FILE *fp;
    bool ok;

    snprintf(path, sizeof(path), "%s/%s", dir, HH_NODE_CONFIG_FILE);
    fp = fopen(path, "a");
    if (fp == NULL)
        return false;
    ok = fprintf(fp, "%s\n", line) > 0;
    return fclose(fp) == 0 && ok;
}

bool fx_copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *data = hh_test_read_file(from, &len);
    FILE *fp = data != NULL ? fopen(to, "w") : NULL;
    bool ok = fp != NULL && fwrite(data, 1, len, fp) == len;

    if (fp != NULL && fclose(fp) != 0)
        ok = false;
    free(data);
    return ok;
}

/* ---- network ---- */

bool fx_free_port(uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;

    *port = 0;
    if (fd < 0)
        return false;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
         getsockname(fd, (struct sockaddr *)&a, &alen) == 0;
    if (ok)
        *port = ntohs(a.sin_port);
    close(fd);
    return ok && *port != 0;
}

hh_status fx_get(const char *base, const char *path, struct hh_http_response *out)
{
    struct hh_http_client *c = NULL;
    char url[512];
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (snprintf(url, sizeof(url), "%s%s", base, path) >= (int)sizeof(url))
        return HH_ERR_TOO_LARGE;
    rc = hh_http_client_new(5000, &c, NULL);
    if (rc == HH_OK)
        rc = hh_http_get(c, url, 1024 * 1024, out, NULL);
    hh_http_client_free(c);
    return rc;
}

int64_t fx_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fx_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- checkpoints ---- */

bool fx_note_checkpoint(const char *note, size_t len, const struct hh_verifier *key,
                        struct hh_checkpoint *cp)
{
    struct hh_note *n = NULL;
    struct hh_note_verified v;
    size_t nv = 0;
    bool ok = hh_note_parse(note, len, &n, NULL) == HH_OK &&
              hh_note_verify(n, key, 1, &v, 1, &nv, NULL) == HH_OK && nv == 1 &&
              hh_checkpoint_parse(n->text, n->text_len, cp, NULL) == HH_OK;

    hh_note_free(n);
    return ok;
}

bool fx_fetch_checkpoint(const char *base, const struct hh_verifier *key, char **note, size_t *len,
                         struct hh_checkpoint *cp)
{
    struct hh_http_response resp;
    bool ok = fx_get(base, "/checkpoint", &resp) == HH_OK && resp.status == 200 &&
              fx_note_checkpoint((const char *)resp.body, resp.len, key, cp);

    *note = NULL;
    *len = 0;
    if (ok) {
        *note = (char *)resp.body; /* NUL-terminated */
        *len = resp.len;
        resp.body = NULL;
    }
    hh_http_response_clear(&resp);
    return ok;
}

char *fx_sign_checkpoint(const struct hh_signer *key, const char *origin, uint64_t size,
                         const struct hh_hash *root, size_t *len)
{
    struct hh_checkpoint cp;
    char text[HH_CHECKPOINT_TEXT_MAX];
    char *note = NULL;
    size_t tl = 0;

    memset(&cp, 0, sizeof(cp));
    snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
    cp.size = size;
    cp.root = *root;
    if (hh_checkpoint_format(&cp, text, sizeof(text), &tl) != HH_OK ||
        hh_note_sign(key, text, tl, &note, len, NULL) != HH_OK)
        return NULL;
    return note;
}
