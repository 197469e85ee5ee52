/*
 * config.c - parsing and writing henhouse.conf. Single-valued keys may appear
 * once; "signer" may repeat up to HH_CONFIG_MAX_SIGNERS times. Required:
 * party, origin, log-key, witness-key, and at least one signer.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 2048

enum kind { K_STR, K_U32, K_LISTEN, K_SIGNER, K_LOG, K_LOG_MODE, K_LOG_SIGNER, K_WITNESS };

struct key {
    const char *name;
    enum kind kind;
    size_t offset; /* into struct hh_config */
    size_t size;   /* K_STR: buffer size */
    uint32_t min, max;
    const char *replaced_by; /* a deprecated key: the key it is another name for */
};

#define STR(n, f)                                                                                  \
    {                                                                                              \
        n, K_STR, offsetof(struct hh_config, f), sizeof(((struct hh_config *)0)->f), 0, 0, NULL    \
    }
#define U32(n, f, lo, hi)                                                                          \
    {                                                                                              \
        n, K_U32, offsetof(struct hh_config, f), 0, lo, hi, NULL                                   \
    }

static const struct key keys[] = {
    STR("party", party),
    STR("origin", origin),
    {"listen", K_LISTEN, 0, 0, 0, 0, NULL},
    STR("log-key", log_key),
    STR("witness-key", witness_key),
    STR("database", database),
    {"signer", K_SIGNER, 0, 0, 0, 0, NULL},
    U32("checkpoint-interval-ms", checkpoint_interval_ms, 1, 60000),
    /* before group commit, batches waited this long; it now spaces checkpoints */
    {"batch-interval-ms", K_U32, offsetof(struct hh_config, checkpoint_interval_ms), 0, 1, 60000,
     "checkpoint-interval-ms"},
    U32("batch-max", batch_max, 1, HH_CONFIG_BATCH_LIMIT),
    U32("max-body-bytes", max_body_bytes, 1024, 16 * 1024 * 1024),
    U32("max-connections", max_connections, 1, 65536),
    U32("request-timeout-s", request_timeout_s, 1, 3600),
    U32("threads", threads, 1, 256),
    U32("queue-max", queue_max, 1, 1u << 24),
    U32("peer-interval-ms", peer_interval_ms, 10, 3600000),
    {"log", K_LOG, 0, 0, 0, 0, NULL},
    {"log-mode", K_LOG_MODE, 0, 0, 0, 0, NULL},
    {"log-signer", K_LOG_SIGNER, 0, 0, 0, 0, NULL},
    {"witness", K_WITNESS, 0, 0, 0, 0, NULL},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void hh_config_defaults(struct hh_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
    c->listen_port = 8420;
    snprintf(c->database, sizeof(c->database), "log.db");
    c->checkpoint_interval_ms = 250;
    c->batch_max = 8192;
    c->max_body_bytes = 65536;
    c->max_connections = 1024;
    c->request_timeout_s = 30;
    c->threads = 16;
    c->queue_max = 65536;
    c->peer_interval_ms = 1000;
}

hh_status hh_config_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port,
                                 struct hh_error *err)
{
    const char *h = s, *p;
    size_t hlen;
    uint64_t n = 0;

    *port = 0;
    if (s[0] == '[') { /* [IPv6]:PORT */
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return hh_error_set(err, HH_ERR_INVALID, "listen needs a port: [IPV6]:PORT");
        h = s + 1;
        hlen = (size_t)(close - h);
        p = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL)
            return hh_error_set(err, HH_ERR_INVALID, "listen needs a port: HOST:PORT, got '%s'", s);
        hlen = (size_t)(colon - s);
        p = colon + 1;
    }
    if (hlen == 0 || hlen >= host_cap)
        return hh_error_set(err, HH_ERR_INVALID, "listen host is empty or too long");
    for (size_t i = 0; i < hlen; i++)
        if (h[i] == '[' || h[i] == ']' || (unsigned char)h[i] <= ' ')
            return hh_error_set(err, HH_ERR_INVALID, "listen host has a bad character");
    if (hh_parse_u64(p, strlen(p), &n, NULL) != HH_OK || n > 65535)
        return hh_error_set(err, HH_ERR_INVALID, "listen port must be 0..65535");
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)n;
    return HH_OK;
}

#define MAX_ARGS 5

/* Splits v in place on blanks into at most MAX_ARGS words; returns the count or -1 if more. */
static int split_words(char *v, char *args[MAX_ARGS])
{
    int n = 0;

    for (char *p = v; *p != '\0';) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (n == MAX_ARGS)
            return -1;
        args[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
    }
    return n;
}

static hh_status copy_word(char *dst, size_t cap, const char *src, const char *what,
                           struct hh_error *err)
{
    size_t n = strlen(src);
    if (n == 0 || n >= cap)
        return hh_error_set(err, HH_ERR_INVALID, "%s is empty or longer than %zu bytes", what,
                            cap - 1);
    memcpy(dst, src, n + 1);
    return HH_OK;
}

static struct hh_config_log *find_log(struct hh_config *c, const char *name)
{
    for (size_t i = 0; i < c->nlogs; i++)
        if (strcmp(c->logs[i].name, name) == 0)
            return &c->logs[i];
    return NULL;
}

static hh_status add_log(char **a, struct hh_config *c, struct hh_error *err)
{
    struct hh_config_log *l;
    hh_status rc;

    if (find_log(c, a[0]) != NULL)
        return hh_error_set(err, HH_ERR_INVALID, "log '%s' is defined twice", a[0]);
    if (c->nlogs == HH_CONFIG_MAX_LOGS)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "more than %d logs", HH_CONFIG_MAX_LOGS);
    l = &c->logs[c->nlogs];
    memset(l, 0, sizeof(*l));
    l->mirror = 1;
    rc = copy_word(l->name, sizeof(l->name), a[0], "log name", err);
    if (rc == HH_OK)
        rc = copy_word(l->origin, sizeof(l->origin), a[1], "log origin", err);
    if (rc == HH_OK)
        rc = copy_word(l->url, sizeof(l->url), a[2], "log URL", err);
    if (rc == HH_OK)
        rc = copy_word(l->vkey, sizeof(l->vkey), a[3], "log key path", err);
    if (rc == HH_OK)
        c->nlogs++;
    return rc;
}

static hh_status set_log_detail(int kind, char **a, struct hh_config *c, struct hh_error *err)
{
    struct hh_config_log *l = find_log(c, a[0]);

    if (l == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "log '%s' is not defined above", a[0]);
    if (kind == 1) {
        if (strcmp(a[1], "mirror") != 0 && strcmp(a[1], "plain") != 0)
            return hh_error_set(err, HH_ERR_INVALID, "log-mode is 'mirror' or 'plain'");
        l->mirror = strcmp(a[1], "mirror") == 0;
        return HH_OK;
    }
    if (l->nsigners == HH_CONFIG_MAX_LOG_SIGNERS)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "more than %d signers for log '%s'",
                            HH_CONFIG_MAX_LOG_SIGNERS, a[0]);
    hh_status rc =
        copy_word(l->signers[l->nsigners], sizeof(l->signers[0]), a[1], "signer path", err);
    if (rc == HH_OK)
        l->nsigners++;
    return rc;
}

static hh_status add_witness(char **a, struct hh_config *c, struct hh_error *err)
{
    struct hh_config_witness *w;
    hh_status rc;

    if (c->nwitnesses == HH_CONFIG_MAX_WITNESSES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "more than %d witnesses",
                            HH_CONFIG_MAX_WITNESSES);
    for (size_t i = 0; i < c->nwitnesses; i++)
        if (strcmp(c->witnesses[i].name, a[0]) == 0)
            return hh_error_set(err, HH_ERR_INVALID, "witness '%s' is defined twice", a[0]);
    w = &c->witnesses[c->nwitnesses];
    rc = copy_word(w->name, sizeof(w->name), a[0], "witness name", err);
    if (rc == HH_OK)
        rc = copy_word(w->url, sizeof(w->url), a[1], "witness URL", err);
    if (rc == HH_OK)
        rc = copy_word(w->vkey, sizeof(w->vkey), a[2], "witness key path", err);
    if (rc == HH_OK)
        c->nwitnesses++;
    return rc;
}

/* kind: 0 log, 1 log-mode, 2 log-signer, 3 witness. */
static hh_status set_peer(int kind, const char *v, struct hh_config *c, struct hh_error *err)
{
    static const int want[] = {4, 2, 2, 3};
    static const char *const usage[] = {"log NAME ORIGIN URL VKEYFILE",
                                        "log-mode NAME mirror|plain", "log-signer NAME VKEYFILE",
                                        "witness NAME URL VKEYFILE"};
    char buf[LINE_MAX_BYTES];
    char *a[MAX_ARGS];
    size_t n = strlen(v);

    if (n >= sizeof(buf))
        return hh_error_set(err, HH_ERR_INVALID, "line too long");
    memcpy(buf, v, n + 1);
    if (split_words(buf, a) != want[kind])
        return hh_error_set(err, HH_ERR_INVALID, "expected: %s", usage[kind]);
    if (kind == 0)
        return add_log(a, c, err);
    if (kind == 3)
        return add_witness(a, c, err);
    return set_log_detail(kind, a, c, err);
}

static hh_status set_value(const struct key *k, const char *v, struct hh_config *c, int *seen,
                           struct hh_error *err)
{
    char *base = (char *)c;
    uint64_t n = 0;
    size_t len = strlen(v);

    if (k->kind < K_SIGNER && *seen)
        return hh_error_set(err, HH_ERR_INVALID, "'%s' given twice", k->name);
    *seen = 1;
    switch (k->kind) {
    case K_STR:
        if (len == 0 || len >= k->size)
            return hh_error_set(err, HH_ERR_INVALID, "'%s' is empty or longer than %zu bytes",
                                k->name, k->size - 1);
        memcpy(base + k->offset, v, len + 1);
        return HH_OK;
    case K_U32:
        if (hh_parse_u64(v, len, &n, NULL) != HH_OK || n < k->min || n > k->max)
            return hh_error_set(err, HH_ERR_INVALID, "'%s' must be a number from %u to %u", k->name,
                                k->min, k->max);
        *(uint32_t *)(void *)(base + k->offset) = (uint32_t)n;
        return HH_OK;
    case K_LISTEN:
        return hh_config_parse_listen(v, c->listen_host, sizeof(c->listen_host), &c->listen_port,
                                      err);
    case K_LOG:
    case K_LOG_MODE:
    case K_LOG_SIGNER:
    case K_WITNESS:
        return set_peer(k->kind - K_LOG, v, c, err);
    case K_SIGNER:
        if (c->nsigners == HH_CONFIG_MAX_SIGNERS)
            return hh_error_set(err, HH_ERR_TOO_LARGE, "more than %d signers",
                                HH_CONFIG_MAX_SIGNERS);
        if (len == 0 || len >= HH_CONFIG_PATH_MAX)
            return hh_error_set(err, HH_ERR_INVALID, "signer path empty or too long");
        memcpy(c->signers[c->nsigners++], v, len + 1);
        return HH_OK;
    }
    return HH_ERR_INTERNAL;
}

static size_t key_index(const char *name)
{
    size_t i = 0;
    while (i < NKEYS && strcmp(keys[i].name, name) != 0)
        i++;
    return i;
}

/* Sets k; a deprecated key counts as the key it stands for and leaves a warning. */
static hh_status set_key(const struct key *k, const char *v, struct hh_config *c, int seen[NKEYS],
                         size_t lineno, struct hh_error *err)
{
    size_t i = key_index(k->replaced_by != NULL ? k->replaced_by : k->name);

    if (k->replaced_by != NULL && c->warning[0] == '\0')
        snprintf(c->warning, sizeof(c->warning), "%s:%zu: '%s' is deprecated; use '%s'",
                 HH_CONFIG_FILE, lineno, k->name, k->replaced_by);
    if (k->replaced_by != NULL && seen[i])
        return hh_error_set(err, HH_ERR_INVALID, "'%s' given twice (once as '%s')", k->replaced_by,
                            k->name);
    return set_value(k, v, c, &seen[i], err);
}

/* Splits one line (no newline) into key and value, trimming blanks and comments. */
static hh_status parse_line(char *line, size_t lineno, struct hh_config *c, int seen[NKEYS],
                            struct hh_error *err)
{
    char *hash = strchr(line, '#');
    char *key = line, *value, *end;

    if (hash != NULL)
        *hash = '\0';
    for (const char *p = line; *p != '\0'; p++)
        if ((unsigned char)*p < ' ' && *p != '\t' && *p != '\r')
            return hh_error_set(err, HH_ERR_INVALID, "control character in the line");
    while (*key == ' ' || *key == '\t')
        key++;
    end = key + strlen(key);
    while (end > key && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    if (*key == '\0')
        return HH_OK;
    value = key + strcspn(key, " \t");
    if (*value != '\0')
        *value++ = '\0';
    while (*value == ' ' || *value == '\t')
        value++;
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(key, keys[i].name) == 0)
            return set_key(&keys[i], value, c, seen, lineno, err);
    return hh_error_set(err, HH_ERR_INVALID, "unknown key '%.64s'", key);
}

static hh_status check_required(const struct hh_config *c, struct hh_error *err)
{
    if (c->party[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "missing 'party'");
    if (c->origin[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "missing 'origin'");
    if (c->log_key[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "missing 'log-key'");
    if (c->witness_key[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "missing 'witness-key'");
    if (c->nsigners == 0)
        return hh_error_set(err, HH_ERR_INVALID, "no 'signer' is authorised");
    return HH_OK;
}

hh_status hh_config_parse(const char *text, size_t len, struct hh_config *out, struct hh_error *err)
{
    int seen[NKEYS] = {0};
    char line[LINE_MAX_BYTES];
    size_t lineno = 0, pos = 0;
    hh_status rc = HH_OK;

    hh_config_defaults(out);
    if (len > HH_CONFIG_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "config over %d bytes", HH_CONFIG_MAX_BYTES);
    while (pos < len && rc == HH_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (n >= sizeof(line) || memchr(text + pos, '\0', n) != NULL)
            rc = hh_error_set(err, HH_ERR_INVALID, "line too long or contains NUL");
        else {
            memcpy(line, text + pos, n);
            line[n] = '\0';
            rc = parse_line(line, lineno, out, seen, err);
        }
        pos += n + 1;
    }
    if (rc != HH_OK) {
        hh_error_prefix(err, rc, "%s:%zu", HH_CONFIG_FILE, lineno);
    } else if ((rc = check_required(out, err)) != HH_OK) {
        hh_error_prefix(err, rc, "%s", HH_CONFIG_FILE);
    }
    if (rc != HH_OK)
        hh_config_defaults(out);
    return rc;
}

hh_status hh_config_load(const char *dir, struct hh_config *out, struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX + 32];
    char *buf = NULL;
    FILE *f;
    size_t n;
    hh_status rc;

    hh_config_defaults(out);
    snprintf(path, sizeof(path), "%s/%s", dir, HH_CONFIG_FILE);
    f = fopen(path, "rb");
    if (f == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    buf = malloc(HH_CONFIG_MAX_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    }
    n = fread(buf, 1, HH_CONFIG_MAX_BYTES + 1, f);
    fclose(f);
    rc = hh_config_parse(buf, n, out, err);
    free(buf);
    return rc;
}

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        if ((size_t)n < *cap - *len)
            break;
        char *bigger = realloc(*buf, *cap * 2);
        if (bigger == NULL)
            return -1;
        *buf = bigger;
        *cap *= 2;
    }
    *len += (size_t)n;
    return 0;
}

hh_status hh_config_format(const struct hh_config *c, char **out, struct hh_error *err)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int bad = buf == NULL;
    int v6 = strchr(c->listen_host, ':') != NULL;

    *out = NULL;
    bad = bad || append(&buf, &len, &cap,
                        "# henhouse node configuration. See docs/config.md for every key.\n"
                        "# Paths are relative to this directory.\n\n"
                        "party %s\norigin %s\nlisten %s%s%s:%u\n\n"
                        "# The log's checkpoint key and this node's witness (cosigning) key.\n"
                        "log-key %s\nwitness-key %s\ndatabase %s\n\n"
                        "# Signer keys whose statements this log accepts (repeatable).\n",
                        c->party, c->origin, v6 ? "[" : "", c->listen_host, v6 ? "]" : "",
                        c->listen_port, c->log_key, c->witness_key, c->database);
    for (size_t i = 0; i < c->nsigners && !bad; i++)
        bad = append(&buf, &len, &cap, "signer %s\n", c->signers[i]);
    bad = bad || append(&buf, &len, &cap,
                        "\n# Sequencing: what is queued is committed at once (up to batch-max);\n"
                        "# a checkpoint is signed after commits, at most every interval.\n"
                        "checkpoint-interval-ms %u\nbatch-max %u\nqueue-max %u\n\n"
                        "# HTTP limits.\nmax-body-bytes %u\nmax-connections %u\n"
                        "request-timeout-s %u\nthreads %u\n",
                        c->checkpoint_interval_ms, c->batch_max, c->queue_max, c->max_body_bytes,
                        c->max_connections, c->request_timeout_s, c->threads);
    bad = bad || append(&buf, &len, &cap,
                        "\n# Peers: logs this node witnesses, and witnesses of this log.\n"
                        "peer-interval-ms %u\n",
                        c->peer_interval_ms);
    for (size_t i = 0; i < c->nlogs && !bad; i++) {
        const struct hh_config_log *l = &c->logs[i];
        bad = append(&buf, &len, &cap, "log %s %s %s %s\nlog-mode %s %s\n", l->name, l->origin,
                     l->url, l->vkey, l->name, l->mirror ? "mirror" : "plain");
        for (size_t j = 0; j < l->nsigners && !bad; j++)
            bad = append(&buf, &len, &cap, "log-signer %s %s\n", l->name, l->signers[j]);
    }
    for (size_t i = 0; i < c->nwitnesses && !bad; i++)
        bad = append(&buf, &len, &cap, "witness %s %s %s\n", c->witnesses[i].name,
                     c->witnesses[i].url, c->witnesses[i].vkey);
    if (bad) {
        free(buf);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    }
    *out = buf;
    return HH_OK;
}

hh_status hh_config_path(const char *dir, const char *rel, char *out, size_t cap,
                         struct hh_error *err)
{
    int n = rel[0] == '/' ? snprintf(out, cap, "%s", rel) : snprintf(out, cap, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= cap)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "path too long: %s/%s", dir, rel);
    return HH_OK;
}

/* A URI scheme (RFC 3986): a letter, then letters, digits, '+', '-' or '.', then ':'. */
static bool has_scheme(const char *s)
{
    size_t i = 0;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    while (s[i] != '\0' && s[i] != ':' && s[i] != '/' &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    return s[i] == ':';
}

hh_status hh_config_storage_uri(const char *dir, const char *value, char *out, size_t cap,
                                struct hh_error *err)
{
    char path[HH_CONFIG_PATH_MAX * 2];
    hh_status rc;
    int n;

    if (has_scheme(value))
        n = snprintf(out, cap, "%s", value);
    else if ((rc = hh_config_path(dir, value, path, sizeof(path), err)) != HH_OK)
        return rc;
    else
        n = snprintf(out, cap, "sqlite:%s", path);
    if (n < 0 || (size_t)n >= cap)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "storage location too long: %s", value);
    return HH_OK;
}
