/*
 * fuzz_config.c - the node's henhouse.conf: hh_config_parse (src/node).
 *
 * Properties: a refused config names the line and leaves the output at the
 * defaults; an accepted one has every required key, numbers within their
 * documented ranges and NUL-terminated strings, and hh_config_format writes
 * text that parses back to the same configuration, peers included.
 */
#include "fuzz_common.h"

#include "config.h"

#define STR_EQ(f) FUZZ_CHECK(strcmp(a->f, b->f) == 0)
#define NUM_EQ(f) FUZZ_CHECK(a->f == b->f)

static void check_equal(const struct hh_config *a, const struct hh_config *b)
{
    STR_EQ(party);
    STR_EQ(origin);
    STR_EQ(listen_host);
    NUM_EQ(listen_port);
    STR_EQ(log_key);
    STR_EQ(witness_key);
    STR_EQ(database);
    NUM_EQ(nsigners);
    for (size_t i = 0; i < a->nsigners; i++)
        STR_EQ(signers[i]);
    NUM_EQ(checkpoint_interval_ms);
    NUM_EQ(batch_max);
    NUM_EQ(max_body_bytes);
    NUM_EQ(max_connections);
    NUM_EQ(request_timeout_s);
    NUM_EQ(threads);
    NUM_EQ(queue_max);
    NUM_EQ(peer_interval_ms);
    NUM_EQ(nlogs);
    for (size_t i = 0; i < a->nlogs; i++) {
        STR_EQ(logs[i].name);
        STR_EQ(logs[i].origin);
        STR_EQ(logs[i].url);
        STR_EQ(logs[i].vkey);
        NUM_EQ(logs[i].mirror);
        NUM_EQ(logs[i].nsigners);
        for (size_t j = 0; j < a->logs[i].nsigners; j++)
            STR_EQ(logs[i].signers[j]);
    }
    NUM_EQ(nwitnesses);
    for (size_t i = 0; i < a->nwitnesses; i++) {
        STR_EQ(witnesses[i].name);
        STR_EQ(witnesses[i].url);
        STR_EQ(witnesses[i].vkey);
    }
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_valid(const struct hh_config *c)
{
    FUZZ_CHECK(terminated(c->party, sizeof(c->party)) && c->party[0] != '\0');
    FUZZ_CHECK(terminated(c->origin, sizeof(c->origin)) && c->origin[0] != '\0');
    FUZZ_CHECK(terminated(c->listen_host, sizeof(c->listen_host)) && c->listen_host[0] != '\0');
    FUZZ_CHECK(terminated(c->log_key, sizeof(c->log_key)) && c->log_key[0] != '\0');
    FUZZ_CHECK(terminated(c->witness_key, sizeof(c->witness_key)) && c->witness_key[0] != '\0');
    FUZZ_CHECK(terminated(c->database, sizeof(c->database)) && c->database[0] != '\0');
    FUZZ_CHECK(c->nsigners >= 1 && c->nsigners <= HH_CONFIG_MAX_SIGNERS);
    for (size_t i = 0; i < c->nsigners; i++)
        FUZZ_CHECK(terminated(c->signers[i], HH_CONFIG_PATH_MAX) && c->signers[i][0] != '\0');
    FUZZ_CHECK(c->checkpoint_interval_ms >= 1 && c->checkpoint_interval_ms <= 60000);
    FUZZ_CHECK(c->batch_max >= 1 && c->batch_max <= HH_CONFIG_BATCH_LIMIT);
    FUZZ_CHECK(c->max_body_bytes >= 1024 && c->max_body_bytes <= 16 * 1024 * 1024);
    FUZZ_CHECK(c->max_connections >= 1 && c->max_connections <= 65536);
    FUZZ_CHECK(c->request_timeout_s >= 1 && c->request_timeout_s <= 3600);
    FUZZ_CHECK(c->threads >= 1 && c->threads <= 256);
    FUZZ_CHECK(c->queue_max >= 1 && c->queue_max <= (1u << 24));
    FUZZ_CHECK(c->peer_interval_ms >= 10 && c->peer_interval_ms <= 3600000);
    FUZZ_CHECK(c->nlogs <= HH_CONFIG_MAX_LOGS && c->nwitnesses <= HH_CONFIG_MAX_WITNESSES);
    for (size_t i = 0; i < c->nlogs; i++)
        FUZZ_CHECK(c->logs[i].nsigners <= HH_CONFIG_MAX_LOG_SIGNERS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hh_config c, c2, defaults;
    struct hh_error err = {0};
    char *text = NULL;
    hh_status rc;

    fuzz_init();
    hh_config_defaults(&defaults);
    rc = hh_config_parse((const char *)data, size, &c, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(size > HH_CONFIG_MAX_BYTES ||
                   strncmp(err.msg, HH_CONFIG_FILE, strlen(HH_CONFIG_FILE)) == 0);
        check_equal(&c, &defaults);
        return 0;
    }
    check_valid(&c);
    FUZZ_CHECK(hh_config_format(&c, &text, NULL) == HH_OK);
    rc = hh_config_parse(text, strlen(text), &c2, &err);
    if (rc != HH_OK)
        fprintf(stderr, "formatted config refused: %s\n--\n%s--\n", err.msg, text);
    FUZZ_CHECK(rc == HH_OK);
    check_equal(&c, &c2);
    free(text);
    return 0;
}
