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

#define HH_CONFIG_FILE        "henhouse.conf"
#define HH_CONFIG_MAX_BYTES   (256 * 1024)
#define HH_CONFIG_MAX_SIGNERS 64
#define HH_CONFIG_PATH_MAX    1024
#define HH_PARTY_MAX          64
#define HH_CONFIG_BATCH_LIMIT 65536

#define HH_CONFIG_MAX_LOGS        64 /* other logs this node witnesses */
#define HH_CONFIG_MAX_WITNESSES   64 /* witnesses this node asks to cosign its log */
#define HH_CONFIG_MAX_LOG_SIGNERS 8
#define HH_CONFIG_PEER_PATH_MAX   256
#define HH_CONFIG_URL_MAX         512

/* "log NAME ORIGIN URL VKEYFILE", "log-mode NAME mirror|plain", "log-signer NAME VKEYFILE". */
struct hh_config_log {
    char name[HH_PARTY_MAX + 1];
    char origin[HH_ORIGIN_MAX + 1];
    char url[HH_CONFIG_URL_MAX];
    char vkey[HH_CONFIG_PEER_PATH_MAX];
    int mirror; /* 1: fetch and check every entry before cosigning (default); 0: plain witness */
    char signers[HH_CONFIG_MAX_LOG_SIGNERS][HH_CONFIG_PEER_PATH_MAX];
    size_t nsigners;
};

/* "witness NAME URL VKEYFILE": a cosignature/v1 witness of this node's log. */
struct hh_config_witness {
    char name[HH_PARTY_MAX + 1];
    char url[HH_CONFIG_URL_MAX];
    char vkey[HH_CONFIG_PEER_PATH_MAX];
};

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
    uint32_t checkpoint_interval_ms; /* the least time between two checkpoints; default 250 */
    uint32_t batch_max;              /* default 8192 */
    uint32_t max_body_bytes;         /* default 65536 */
    uint32_t max_connections;        /* default 4096 */
    uint32_t request_timeout_s;      /* default 30 */
    uint32_t threads;                /* HTTP worker threads; default 16 */
    uint32_t queue_max;              /* pending submissions before 503; default 65536 */
    uint32_t peer_interval_ms; /* how often peers are pushed to and pulled from; default 1000 */
    struct hh_config_log logs[HH_CONFIG_MAX_LOGS];
    size_t nlogs;
    struct hh_config_witness witnesses[HH_CONFIG_MAX_WITNESSES];
    size_t nwitnesses;
    char warning[HH_ERROR_MSG_MAX]; /* the first deprecated key used, or "" */
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

/*
 * Joins the node directory and a path from the config (relative to it,
 * unless absolute) into out (cap bytes); HH_ERR_TOO_LARGE if it does not fit.
 */
hh_status hh_config_path(const char *dir, const char *rel, char *out, size_t cap,
                         struct hh_error *err) HH_MUST_CHECK;

/*
 * The storage URI (storage/uri.h) for a config value: a value with a scheme
 * ("sqlite:...", "postgresql://...") as it is; a path, joined to dir as by
 * hh_config_path, as "sqlite:PATH", so a directory name holding ':' is
 * still a path.
 */
hh_status hh_config_storage_uri(const char *dir, const char *value, char *out, size_t cap,
                                struct hh_error *err) HH_MUST_CHECK;

/* Parses "HOST:PORT" (HOST may be [v6]) into host and port. */
hh_status hh_config_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port,
                                 struct hh_error *err) HH_MUST_CHECK;

#endif
