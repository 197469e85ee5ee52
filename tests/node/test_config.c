/*
 * test_config.c - henhouse.conf (config.h): a full configuration with every
 * key, its hh_config_format round trip, and one refusal per error, each
 * naming its line ("henhouse.conf:7: ...") and leaving the defaults.
 */
#include "harness.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines 1..6: the required keys. A test's own line is line 7. */
#define REQUIRED                                                                                   \
    "party alice\n"                                                                                \
    "origin example.com/alice\n"                                                                   \
    "log-key log.key\n"                                                                            \
    "witness-key witness.key\n"                                                                    \
    "signer keys/a.vkey\n"                                                                         \
    "# line 6\n"

static const char full[] =
    "# henhouse node configuration\n"
    "\n"
    "party   alice   # the party's short name\n"
    "origin example.com/alice\n"
    "\tlisten 0.0.0.0:9000\r\n"
    "log-key keys/log.key\n"
    "witness-key keys/witness.key\n"
    "database data/log.db\n"
    "signer keys/a.vkey\n"
    "signer keys/b.vkey\n"
    "checkpoint-interval-ms 250\n"
    "batch-max 100\n"
    "max-body-bytes 2048\n"
    "max-connections 10\n"
    "request-timeout-s 5\n"
    "threads 2\n"
    "queue-max 1000\n"
    "peer-interval-ms 500\n"
    "log bob example.com/bob https://bob.example/ peers/bob.vkey\n"
    "log-mode bob plain\n"
    "log-signer bob peers/bob-signer1.vkey\n"
    "log-signer   bob\tpeers/bob-signer2.vkey\n"
    "log carol example.com/carol http://carol.example:8420 peers/carol.vkey\n"
    "log-mode carol mirror\n"
    "witness w1 https://w1.example/ peers/w1.vkey\n"
    "witness w2 https://w2.example/ peers/w2.vkey";

static void check_full(const struct hh_config *c)
{
    CHECK(strcmp(c->party, "alice") == 0);
    CHECK(strcmp(c->origin, "example.com/alice") == 0);
    CHECK(strcmp(c->listen_host, "0.0.0.0") == 0 && c->listen_port == 9000);
    CHECK(strcmp(c->log_key, "keys/log.key") == 0);
    CHECK(strcmp(c->witness_key, "keys/witness.key") == 0);
    CHECK(strcmp(c->database, "data/log.db") == 0);
    CHECK(c->nsigners == 2 && strcmp(c->signers[0], "keys/a.vkey") == 0 &&
          strcmp(c->signers[1], "keys/b.vkey") == 0);
    CHECK(c->checkpoint_interval_ms == 250 && c->batch_max == 100 && c->max_body_bytes == 2048);
    CHECK(c->max_connections == 10 && c->request_timeout_s == 5 && c->threads == 2);
    CHECK(c->queue_max == 1000 && c->peer_interval_ms == 500);
    CHECK(c->nlogs == 2);
    CHECK(strcmp(c->logs[0].name, "bob") == 0 && strcmp(c->logs[0].origin, "example.com/bob") == 0);
    CHECK(strcmp(c->logs[0].url, "https://bob.example/") == 0);
    CHECK(strcmp(c->logs[0].vkey, "peers/bob.vkey") == 0 && c->logs[0].mirror == 0);
    CHECK(c->logs[0].nsigners == 2 &&
          strcmp(c->logs[0].signers[0], "peers/bob-signer1.vkey") == 0 &&
          strcmp(c->logs[0].signers[1], "peers/bob-signer2.vkey") == 0);
    CHECK(strcmp(c->logs[1].name, "carol") == 0 && c->logs[1].mirror == 1);
    CHECK(strcmp(c->logs[1].url, "http://carol.example:8420") == 0 && c->logs[1].nsigners == 0);
    CHECK(c->nwitnesses == 2 && strcmp(c->witnesses[0].name, "w1") == 0 &&
          strcmp(c->witnesses[0].url, "https://w1.example/") == 0 &&
          strcmp(c->witnesses[0].vkey, "peers/w1.vkey") == 0 &&
          strcmp(c->witnesses[1].name, "w2") == 0);
}

/* Every field, compared one by one. */
static int config_equal(const struct hh_config *a, const struct hh_config *b)
{
    int eq = strcmp(a->party, b->party) == 0 && strcmp(a->origin, b->origin) == 0 &&
             strcmp(a->listen_host, b->listen_host) == 0 && a->listen_port == b->listen_port &&
             strcmp(a->log_key, b->log_key) == 0 && strcmp(a->witness_key, b->witness_key) == 0 &&
             strcmp(a->database, b->database) == 0 && a->nsigners == b->nsigners &&
             a->checkpoint_interval_ms == b->checkpoint_interval_ms &&
             a->batch_max == b->batch_max && a->max_body_bytes == b->max_body_bytes &&
             a->max_connections == b->max_connections &&
             a->request_timeout_s == b->request_timeout_s && a->threads == b->threads &&
             a->queue_max == b->queue_max && a->peer_interval_ms == b->peer_interval_ms &&
             a->nlogs == b->nlogs && a->nwitnesses == b->nwitnesses;

    for (size_t i = 0; eq && i < a->nsigners; i++)
        eq = strcmp(a->signers[i], b->signers[i]) == 0;
    for (size_t i = 0; eq && i < a->nlogs; i++) {
        const struct hh_config_log *x = &a->logs[i], *y = &b->logs[i];
        eq = strcmp(x->name, y->name) == 0 && strcmp(x->origin, y->origin) == 0 &&
             strcmp(x->url, y->url) == 0 && strcmp(x->vkey, y->vkey) == 0 &&
             x->mirror == y->mirror && x->nsigners == y->nsigners;
        for (size_t j = 0; eq && j < x->nsigners; j++)
            eq = strcmp(x->signers[j], y->signers[j]) == 0;
    }
    for (size_t i = 0; eq && i < a->nwitnesses; i++)
        eq = strcmp(a->witnesses[i].name, b->witnesses[i].name) == 0 &&
             strcmp(a->witnesses[i].url, b->witnesses[i].url) == 0 &&
             strcmp(a->witnesses[i].vkey, b->witnesses[i].vkey) == 0;
    return eq;
}

static int round_trips(const struct hh_config *c)
{
    static struct hh_config back;
    struct hh_error err = {0};
    char *text = NULL;
    int ok;

    if (hh_config_format(c, &text, &err) != HH_OK)
        return 0;
    ok = hh_config_parse(text, strlen(text), &back, &err) == HH_OK && config_equal(c, &back);
    if (!ok)
        hh_test_note("formatted config: %s\n%s", err.msg, text);
    free(text);
    return ok;
}

TEST(config_full)
{
    static struct hh_config c;
    struct hh_error err = {0};

    CHECK_OK(hh_config_parse(full, strlen(full), &c, &err));
    check_full(&c);
    CHECK(round_trips(&c));
}

TEST(config_minimal_defaults)
{
    static struct hh_config c, d;

    CHECK_OK(hh_config_parse(REQUIRED, strlen(REQUIRED), &c, NULL));
    hh_config_defaults(&d);
    CHECK(strcmp(c.listen_host, "127.0.0.1") == 0 && c.listen_port == 8420);
    CHECK(strcmp(c.database, "log.db") == 0 && c.nlogs == 0 && c.nwitnesses == 0);
    CHECK(c.checkpoint_interval_ms == d.checkpoint_interval_ms && c.batch_max == d.batch_max);
    CHECK(c.max_body_bytes == d.max_body_bytes && c.threads == d.threads);
    CHECK(c.queue_max == d.queue_max && c.peer_interval_ms == d.peer_interval_ms);
    CHECK(round_trips(&c));
}

/* The lowest and highest value of each number, and the longest values, round trip. */
TEST(config_limits_round_trip)
{
    static struct hh_config c;
    static char text[16384];
    char party[HH_PARTY_MAX + 1], path[HH_CONFIG_PATH_MAX];
    int n;

    memset(party, 'p', HH_PARTY_MAX);
    party[HH_PARTY_MAX] = '\0';
    memset(path, 'k', HH_CONFIG_PATH_MAX - 1);
    path[HH_CONFIG_PATH_MAX - 1] = '\0';
    n = snprintf(text, sizeof(text),
                 "party %s\norigin o\nlog-key %s\nwitness-key w\nsigner s\n"
                 "batch-interval-ms 60000\nbatch-max 65536\nmax-body-bytes 16777216\n"
                 "max-connections 65536\nrequest-timeout-s 3600\nthreads 256\n"
                 "queue-max 16777216\npeer-interval-ms 3600000\nlisten [::1]:0\n",
                 party, path);
    CHECK(n > 0 && (size_t)n < sizeof(text));
    CHECK_OK(hh_config_parse(text, (size_t)n, &c, NULL));
    CHECK(strlen(c.party) == HH_PARTY_MAX && strlen(c.log_key) == HH_CONFIG_PATH_MAX - 1);
    CHECK(c.threads == 256 && c.queue_max == 1u << 24 && c.listen_port == 0);
    CHECK(round_trips(&c));
    n = snprintf(text, sizeof(text),
                 "party p\norigin o\nlog-key l\nwitness-key w\nsigner s\n"
                 "batch-interval-ms 1\nbatch-max 1\nmax-body-bytes 1024\n"
                 "max-connections 1\nrequest-timeout-s 1\nthreads 1\n"
                 "queue-max 1\npeer-interval-ms 10\nlisten h:65535\n");
    CHECK_OK(hh_config_parse(text, (size_t)n, &c, NULL));
    CHECK(c.checkpoint_interval_ms == 1 && c.max_body_bytes == 1024 && c.listen_port == 65535);
    CHECK(round_trips(&c));
}

TEST(config_listen_ipv6)
{
    static struct hh_config c;
    const char text[] = REQUIRED "listen [::1]:8420\n";
    char host[64];
    uint16_t port = 0;

    CHECK_OK(hh_config_parse(text, strlen(text), &c, NULL));
    CHECK(strcmp(c.listen_host, "::1") == 0 && c.listen_port == 8420);
    CHECK(round_trips(&c));
    CHECK_OK(hh_config_parse_listen("[2001:db8::7]:443", host, sizeof(host), &port, NULL));
    CHECK(strcmp(host, "2001:db8::7") == 0 && port == 443);
    CHECK_OK(hh_config_parse_listen("localhost:1", host, sizeof(host), &port, NULL));
    CHECK(strcmp(host, "localhost") == 0 && port == 1);
    CHECK(hh_config_parse_listen("[::1]", host, sizeof(host), &port, NULL) == HH_ERR_INVALID);
    CHECK(hh_config_parse_listen("averyveryverylonghost:1", host, 8, &port, NULL) ==
          HH_ERR_INVALID);
}

/* The error of the last refused() call. */
static struct hh_error last_err;

/* text must be refused with code and a message starting with prefix; out must be the defaults. */
static int refused(const char *text, size_t len, hh_status code, const char *prefix)
{
    static struct hh_config c, d;
    struct hh_error err = {0};
    hh_status rc = hh_config_parse(text, len, &c, &err);

    last_err = err;
    hh_config_defaults(&d);
    if (rc != code || err.code != rc || strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
        memcmp(&c, &d, sizeof(c)) != 0) {
        hh_test_note("want %s '%s...', got %s '%s' for:\n%.200s", hh_status_name(code), prefix,
                     hh_status_name(rc), err.msg, text);
        return 0;
    }
    return 1;
}

/* REQUIRED, then line7 as line 7: refused with code, naming line 7 and containing what. */
static int line7_refused(const char *line7, hh_status code, const char *what)
{
    static char text[8192];
    int n = snprintf(text, sizeof(text), REQUIRED "%s\n", line7);

    if (n < 0 || (size_t)n >= sizeof(text) || !refused(text, (size_t)n, code, "henhouse.conf:7: "))
        return 0;
    if (strstr(last_err.msg, what) == NULL) {
        hh_test_note("'%s' not in '%s'", what, last_err.msg);
        return 0;
    }
    return 1;
}

TEST(config_unknown_key)
{
    CHECK(line7_refused("partyy bob", HH_ERR_INVALID, "unknown key 'partyy'"));
    CHECK(line7_refused("Party bob", HH_ERR_INVALID, "unknown key"));
    CHECK(line7_refused("signers a", HH_ERR_INVALID, "unknown key"));
    CHECK(line7_refused("=1", HH_ERR_INVALID, "unknown key"));
}

TEST(config_repeated_key)
{
    static const char *const keys[] = {
        "listen h:1",
        "database d",
        "batch-max 2",
        "threads 3",
        "queue-max 4",
        "max-body-bytes 2000",
        "max-connections 2",
        "request-timeout-s 2",
        "batch-interval-ms 2",
        "peer-interval-ms 20",
        "checkpoint-interval-ms 2",
    };
    static struct hh_config c;
    char text[1024];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        /* once is fine; a second time names the second line, 8 */
        int n = snprintf(text, sizeof(text), "%s\n" REQUIRED, keys[i]);
        CHECK(n > 0 && hh_config_parse(text, (size_t)n, &c, NULL) == HH_OK);
        n = snprintf(text, sizeof(text), "%s\n" REQUIRED "%s\n", keys[i], keys[i]);
        CHECK(n > 0 && refused(text, (size_t)n, HH_ERR_INVALID, "henhouse.conf:8: "));
    }
    CHECK(line7_refused("party alice", HH_ERR_INVALID, "'party' given twice"));
    CHECK(line7_refused("origin example.com/alice", HH_ERR_INVALID, "given twice"));
    CHECK(line7_refused("log-key log.key", HH_ERR_INVALID, "given twice"));
    CHECK(line7_refused("witness-key witness.key", HH_ERR_INVALID, "given twice"));
}

TEST(config_deprecated_batch_interval)
{
    static struct hh_config c;
    char text[1024];
    int n = snprintf(text, sizeof(text), "batch-interval-ms 40\n" REQUIRED);

    CHECK(n > 0 && hh_config_parse(text, (size_t)n, &c, NULL) == HH_OK);
    CHECK(c.checkpoint_interval_ms == 40);
    CHECK(strstr(c.warning, "henhouse.conf:1: 'batch-interval-ms' is deprecated") != NULL);
    CHECK(strstr(c.warning, "checkpoint-interval-ms") != NULL);
    n = snprintf(text, sizeof(text), "checkpoint-interval-ms 40\n" REQUIRED);
    CHECK(n > 0 && hh_config_parse(text, (size_t)n, &c, NULL) == HH_OK);
    CHECK(c.checkpoint_interval_ms == 40 && c.warning[0] == '\0');
    /* the two names are one key: giving both is giving it twice */
    n = snprintf(text, sizeof(text),
                 "checkpoint-interval-ms 40\n" REQUIRED "batch-interval-ms 9\n");
    CHECK(n > 0 && refused(text, (size_t)n, HH_ERR_INVALID,
                           "henhouse.conf:8: 'checkpoint-interval-ms' given twice (once as "
                           "'batch-interval-ms')"));
    n = snprintf(text, sizeof(text),
                 "batch-interval-ms 9\n" REQUIRED "checkpoint-interval-ms 40\n");
    CHECK(n > 0 && refused(text, (size_t)n, HH_ERR_INVALID, "henhouse.conf:8: "));
}

TEST(config_bad_numbers)
{
    static const char *const bad[] = {
        "threads four", "threads",     "threads 4x",  "threads 04",  "threads -1",
        "threads +4",   "threads 4.0", "threads 0x4", "threads 1 2", "threads 18446744073709551616",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(line7_refused(bad[i], HH_ERR_INVALID, "'threads' must be a number from 1 to 256"));
}

TEST(config_numbers_out_of_range)
{
    static const char *const bad[] = {
        "threads 0",
        "threads 257",
        "threads 4294967297", /* 2^32 + 1: must not wrap to 1 */
        "batch-interval-ms 0",
        "batch-interval-ms 60001",
        "checkpoint-interval-ms 0",
        "checkpoint-interval-ms 60001",
        "batch-max 65537",
        "max-body-bytes 1023",
        "max-body-bytes 16777217",
        "max-connections 65537",
        "request-timeout-s 3601",
        "queue-max 16777217",
        "peer-interval-ms 9",
        "peer-interval-ms 3600001",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(line7_refused(bad[i], HH_ERR_INVALID, "must be a number from"));
}

TEST(config_missing_required)
{
    static const char *const lines[] = {"party alice\n", "origin example.com/alice\n",
                                        "log-key log.key\n", "witness-key witness.key\n",
                                        "signer keys/a.vkey\n"};
    static const char *const what[] = {"missing 'party'", "missing 'origin'", "missing 'log-key'",
                                       "missing 'witness-key'", "no 'signer'"};
    char text[1024];

    for (size_t skip = 0; skip < 5; skip++) {
        size_t n = 0;
        for (size_t i = 0; i < 5; i++) {
            if (i == skip)
                continue;
            memcpy(text + n, lines[i], strlen(lines[i]));
            n += strlen(lines[i]);
        }
        CHECK(refused(text, n, HH_ERR_INVALID, "henhouse.conf: "));
        CHECK(strstr(last_err.msg, what[skip]) != NULL);
    }
    CHECK(refused("", 0, HH_ERR_INVALID, "henhouse.conf: missing 'party'"));
    CHECK(refused("# nothing\n\n", 11, HH_ERR_INVALID, "henhouse.conf: missing 'party'"));
}

TEST(config_empty_and_long_values)
{
    char line[2048];

    CHECK(line7_refused("database", HH_ERR_INVALID, "'database' is empty"));
    CHECK(line7_refused("database   # comment", HH_ERR_INVALID, "'database' is empty"));
    CHECK(line7_refused("signer", HH_ERR_INVALID, "signer path empty"));
    snprintf(line, sizeof(line), "database %01024d", 0);
    CHECK(line7_refused(line, HH_ERR_INVALID, "longer than 1023 bytes"));
    snprintf(line, sizeof(line), "signer %01024d", 0);
    CHECK(line7_refused(line, HH_ERR_INVALID, "too long"));
    {
        static char text[4096];
        int n = snprintf(text, sizeof(text), "party %065d\n", 0);
        CHECK(refused(text, (size_t)n, HH_ERR_INVALID,
                      "henhouse.conf:1: 'party' is empty or "
                      "longer than 64 bytes"));
    }
}

TEST(config_log_mode_undefined_log)
{
    CHECK(line7_refused("log-mode bob plain", HH_ERR_INVALID, "log 'bob' is not defined above"));
    CHECK(line7_refused("log-signer bob s.vkey", HH_ERR_INVALID, "not defined above"));
    /* defined below is too late */
    {
        const char text[] = REQUIRED "log-mode bob plain\nlog bob o https://b/ b.vkey\n";
        CHECK(refused(text, strlen(text), HH_ERR_INVALID, "henhouse.conf:7: log 'bob'"));
    }
    {
        const char text[] = REQUIRED "log bob o https://b/ b.vkey\nlog-mode bob fast\n";
        CHECK(refused(text, strlen(text), HH_ERR_INVALID,
                      "henhouse.conf:8: log-mode is 'mirror' or 'plain'"));
    }
    {
        const char text[] = REQUIRED "log bob o https://b/ b.vkey\nlog bob p https://c/ c.vkey\n";
        CHECK(refused(text, strlen(text), HH_ERR_INVALID,
                      "henhouse.conf:8: log 'bob' is defined "
                      "twice"));
    }
    {
        const char text[] = REQUIRED "witness w u v\nwitness w u2 v2\n";
        CHECK(refused(text, strlen(text), HH_ERR_INVALID,
                      "henhouse.conf:8: witness 'w' is defined "
                      "twice"));
    }
}

TEST(config_wrong_argument_counts)
{
    static const struct {
        const char *line, *usage;
    } cases[] = {
        {"log", "log NAME ORIGIN URL VKEYFILE"},
        {"log bob", "log NAME ORIGIN URL VKEYFILE"},
        {"log bob o u", "log NAME ORIGIN URL VKEYFILE"},
        {"log bob o u k extra", "log NAME ORIGIN URL VKEYFILE"},
        {"log bob o u k extra more", "log NAME ORIGIN URL VKEYFILE"},
        {"log-mode", "log-mode NAME mirror|plain"},
        {"log-mode bob", "log-mode NAME mirror|plain"},
        {"log-mode bob plain now", "log-mode NAME mirror|plain"},
        {"log-signer bob", "log-signer NAME VKEYFILE"},
        {"log-signer bob a b", "log-signer NAME VKEYFILE"},
        {"witness", "witness NAME URL VKEYFILE"},
        {"witness w u", "witness NAME URL VKEYFILE"},
        {"witness w u k x", "witness NAME URL VKEYFILE"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(line7_refused(cases[i].line, HH_ERR_INVALID, cases[i].usage));
}

/* REQUIRED followed by count copies of fmt (formatted with the copy's number). */
static int repeated_refused(const char *head, const char *fmt, int count, hh_status code,
                            const char *prefix)
{
    static char text[65536];
    size_t n = (size_t)snprintf(text, sizeof(text), REQUIRED "%s", head);

    for (int i = 0; i < count && n < sizeof(text); i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, fmt, i, i);
    return n < sizeof(text) && refused(text, n, code, prefix);
}

TEST(config_too_many)
{
    static struct hh_config c;
    static char text[8192];
    size_t n;

    /* 63 more signers make 64: fine; 64 more make 65: refused on line 6 + 64 */
    n = (size_t)snprintf(text, sizeof(text), REQUIRED);
    for (int i = 0; i < HH_CONFIG_MAX_SIGNERS - 1; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "signer s%d\n", i);
    CHECK_OK(hh_config_parse(text, n, &c, NULL));
    CHECK(c.nsigners == HH_CONFIG_MAX_SIGNERS);
    CHECK(repeated_refused("", "signer s%d%d\n", HH_CONFIG_MAX_SIGNERS, HH_ERR_TOO_LARGE,
                           "henhouse.conf:70: more than 64 signers"));
    CHECK(repeated_refused("log b o u k\n", "log-signer b s%d%d\n", HH_CONFIG_MAX_LOG_SIGNERS + 1,
                           HH_ERR_TOO_LARGE, "henhouse.conf:16: more than 8 signers for log 'b'"));
    CHECK(repeated_refused("", "log b%d o u k%d\n", HH_CONFIG_MAX_LOGS + 1, HH_ERR_TOO_LARGE,
                           "henhouse.conf:71: more than 64 logs"));
    CHECK(repeated_refused("", "witness w%d u k%d\n", HH_CONFIG_MAX_WITNESSES + 1, HH_ERR_TOO_LARGE,
                           "henhouse.conf:71: more than 64 witnesses"));
}

TEST(config_line_too_long_and_nul)
{
    static struct hh_config scratch;
    static char text[8192];
    size_t n;

    /* a 2047-byte comment line is fine, 2048 bytes is too long */
    n = (size_t)snprintf(text, sizeof(text), REQUIRED "#");
    memset(text + n, 'x', 2046);
    n += 2046;
    text[n++] = '\n';
    CHECK_OK(hh_config_parse(text, n, &scratch, NULL));
    text[n - 1] = 'x';
    text[n++] = '\n';
    CHECK(refused(text, n, HH_ERR_INVALID, "henhouse.conf:7: line too long"));
    /* the same as the last line, without its newline */
    CHECK(refused(text, n - 1, HH_ERR_INVALID, "henhouse.conf:7: line too long"));
    /* a NUL byte, in a value or in a comment */
    {
        const char nul[] = REQUIRED "database a\0b\n";
        const char in_comment[] = "party p\n# \0\n";
        CHECK(refused(nul, sizeof(nul) - 1, HH_ERR_INVALID, "henhouse.conf:7: "));
        CHECK(refused(in_comment, sizeof(in_comment) - 1, HH_ERR_INVALID, "henhouse.conf:2: "));
    }
    /* over HH_CONFIG_MAX_BYTES in all */
    {
        char *big = malloc(HH_CONFIG_MAX_BYTES + 1);
        memset(big, '\n', HH_CONFIG_MAX_BYTES + 1);
        memcpy(big, REQUIRED, strlen(REQUIRED));
        CHECK_OK(hh_config_parse(big, HH_CONFIG_MAX_BYTES, &scratch, NULL));
        CHECK(refused(big, HH_CONFIG_MAX_BYTES + 1, HH_ERR_TOO_LARGE, "config over"));
        free(big);
    }
}

TEST(config_listen_errors)
{
    CHECK(line7_refused("listen 127.0.0.1", HH_ERR_INVALID, "HOST:PORT"));
    CHECK(line7_refused("listen", HH_ERR_INVALID, "HOST:PORT"));
    CHECK(line7_refused("listen :8420", HH_ERR_INVALID, "host is empty"));
    CHECK(line7_refused("listen []:8420", HH_ERR_INVALID, "host is empty"));
    CHECK(line7_refused("listen host:", HH_ERR_INVALID, "port"));
    CHECK(line7_refused("listen host:65536", HH_ERR_INVALID, "port"));
    CHECK(line7_refused("listen host:080", HH_ERR_INVALID, "port"));
    CHECK(line7_refused("listen host:-1", HH_ERR_INVALID, "port"));
    CHECK(line7_refused("listen [::1]", HH_ERR_INVALID, "port"));
}

TEST(config_line_numbers_count_every_line)
{
    /* blank lines, comments and CRLF lines all count */
    const char text[] = "\n# c\r\n\r\n  \t\nparty p\nbogus 1\n";
    CHECK(refused(text, strlen(text), HH_ERR_INVALID, "henhouse.conf:6: unknown key 'bogus'"));
}

/* A C2SP origin may hold blanks ("go.sum database tree"): kept whole, and round-tripped. */
TEST(config_origin_with_blanks)
{
    static struct hh_config c;
    const char text[] = "party p\norigin go.sum database tree  \nlog-key l\nwitness-key w\n"
                        "signer s\n";

    CHECK_OK(hh_config_parse(text, strlen(text), &c, NULL));
    CHECK(strcmp(c.origin, "go.sum database tree") == 0);
    CHECK(round_trips(&c));
}
