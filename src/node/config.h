/*
 * config.h - a node's configuration file, DIR/henhouse.conf.
 *
 * A line-based, human-editable file: "key value" per line, '#' starts a
 * comment, blank lines are ignored. Paths are relative to the node
 * directory. Parsing is strict: an unknown key, a repeated single-valued key,
 * a bad number or a missing required key is refused with "henhouse.conf:LINE:
 * reason", and the node does not start. See docs/config.md for every key.
 */
#ifndef HH_NODE_CONFIG_H
#define HH_NODE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#define HH_CONFIG_FILE "henhouse.conf"
#define HH_CONFIG_MAX_BYTES (64 * 1024)
#define HH_CONFIG_MAX_SIGNERS 64
#define HH_CONFIG_PATH_MAX 1024
#define HH_PARTY_MAX 64
#define HH_CONFIG_BATCH_LIMIT 65536

struct hh_config {
    char party[HH_PARTY_MAX + 1];
    char origin[HH_ORIGIN_MAX + 1];
    char listen_host[256];
    uint16_t listen_port;
    char log_key[HH_CONFIG_PATH_MAX];
    char witness_key[HH_CONFIG_PATH_MAX];
    char database[HH_CONFIG_PATH_MAX];
    char signers[HH_CONFIG_MAX_SIGNERS][HH_CONFIG_PATH_MAX]; /* authorised signer vkeys */
    size_t nsigners;
    uint32_t batch_interval_ms; /* default 500 */
    uint32_t batch_max;         /* default 8192 */
    uint32_t max_body_bytes;    /* default 65536 */
    uint32_t max_connections;   /* default 1024 */
    uint32_t request_timeout_s; /* default 30 */
    uint32_t threads;           /* HTTP worker threads; default 4 */
    uint32_t queue_max;         /* pending submissions before 503; default 65536 */
};

/* Fills the defaults (everything but party and origin). */
void hh_config_defaults(struct hh_config *c);

/* Parses config text; errors name the line. */
hh_status hh_config_parse(const char *text, size_t len, struct hh_config *out,
                          struct hh_error *err) HH_MUST_CHECK;

/* Loads DIR/henhouse.conf. */
hh_status hh_config_load(const char *dir, struct hh_config *out,
                         struct hh_error *err) HH_MUST_CHECK;

/* Writes the config as documented text into a malloc'd string (caller frees). */
hh_status hh_config_format(const struct hh_config *c, char **out,
                           struct hh_error *err) HH_MUST_CHECK;

/* Parses "HOST:PORT" (HOST may be [v6]) into host and port. */
hh_status hh_config_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port,
                                 struct hh_error *err) HH_MUST_CHECK;

#endif
