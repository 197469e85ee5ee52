/*
 * server.c - the libmicrohttpd daemon: limits, request lifecycle, routing.
 *
 * Each request gets a struct hh_request on its first callback. POST bodies
 * are accumulated up to the configured limit; past it the body is dropped
 * and the request answered 413. Responses for everything but submissions are
 * made synchronously on the worker thread.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"

static struct hh_request *request_new(struct hh_server *s, struct MHD_Connection *c)
{
    struct hh_request *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->server = s;
    r->conn = c;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void request_free(struct hh_request *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r->body);
    free(r->checkpoint);
    free(r);
}

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request_free(*con_cls);
    *con_cls = NULL;
}

/* Appends upload data, up to the limit; past it the request is marked too large. */
static void take_upload(struct hh_request *r, const char *data, size_t len)
{
    if (r->body_too_large || r->body_len + len > r->server->max_body) {
        r->body_too_large = true;
        return;
    }
    if (r->body_len + len + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        char *bigger = realloc(r->body, cap);
        if (bigger == NULL) {
            r->body_too_large = true;
            return;
        }
        r->body = bigger;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
}

static enum MHD_Result route_get(struct hh_server *s, struct MHD_Connection *c, const char *url)
{
    if (strcmp(url, "/checkpoint") == 0)
        return hh_api_checkpoint(s, c);
    if (strncmp(url, "/tile/", 6) == 0)
        return hh_api_tile(s, c, url + 1);
    if (strncmp(url, "/v1/statements/", 15) == 0)
        return hh_api_get_statement(s, c, url + 15);
    if (strcmp(url, "/v1/proof/consistency") == 0)
        return hh_api_consistency(s, c);
    if (strncmp(url, "/v1/blobs/", 10) == 0)
        return hh_api_get_blob(s, c, url + 10);
    if (strcmp(url, "/v1/gossip") == 0)
        return hh_api_gossip(s, c);
    if (strcmp(url, "/v1/evidence") == 0)
        return hh_api_evidence(s, c);
    if (strcmp(url, "/v1/status") == 0)
        return hh_api_status(s, c);
    return hh_http_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such path");
}

/* Refuses a declared Content-Length over the limit before reading the body. */
static bool declared_too_large(struct hh_server *s, struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    uint64_t n = 0;
    return cl != NULL && (hh_parse_u64(cl, strlen(cl), &n, NULL) != HH_OK || n > s->max_body);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct hh_server *s = cls;
    struct hh_request *r = *con_cls;
    (void)version;

    if (r == NULL) {
        r = request_new(s, c);
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        if (strcmp(method, "POST") == 0 && declared_too_large(s, c))
            r->body_too_large = true;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        take_upload(r, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return route_get(s, c, url);
    if (strcmp(method, "POST") != 0)
        return hh_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "only GET, HEAD and POST are served");
    bool submit = strcmp(url, "/v1/statements") == 0;
    if (!submit && strcmp(url, "/add-checkpoint") != 0)
        return hh_http_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such path");
    if (r->body_too_large) {
        char detail[96];
        snprintf(detail, sizeof(detail), "the body is over %zu bytes", s->max_body);
        return hh_http_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", detail);
    }
    return submit ? hh_api_post_statement(r) : hh_api_add_checkpoint(r);
}

static hh_status resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
                         struct hh_error *err)
{
    struct addrinfo hints, *res = NULL;
    char portstr[8];

    memset(&hints, 0, sizeof(hints));
    memset(ss, 0, sizeof(*ss));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return hh_error_set(err, HH_ERR_INVALID, "cannot resolve '%s': %s", host, gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return HH_OK;
}

hh_status hh_server_start(struct hh_node *node, const char *host, uint16_t port,
                          struct hh_server **out, uint16_t *bound_port, struct hh_error *err)
{
    const struct hh_config *cfg = &node->config;
    struct sockaddr_storage ss;
    struct hh_server *s;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    hh_status rc = resolve(host, port, &ss, err);

    *out = NULL;
    *bound_port = 0;
    if (rc != HH_OK)
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    s->node = node;
    s->max_body = cfg->max_body_bytes;
    s->tiles = hh_tile_cache_new(HH_TILE_CACHE_DEFAULT_BYTES);
    if (s->tiles == NULL) {
        free(s);
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    }
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->request_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
        MHD_OPTION_END);
    if (s->daemon == NULL) {
        hh_tile_cache_free(s->tiles);
        free(s);
        return hh_error_set(err, HH_ERR_IO, "cannot listen on %s:%u (in use?)", host,
                            (unsigned)port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info != NULL ? info->port : port;
    *out = s;
    return HH_OK;
}

void hh_server_stop(struct hh_server *s)
{
    if (s == NULL)
        return;
    MHD_quiesce_daemon(s->daemon);
    hh_node_stop_peers(s->node);
    /*
     * Commit and answer what is queued; suspended connections are resumed by
     * it. The sequencer is not freed here: open keep-alive connections (peers
     * polling /checkpoint) may still send requests until the daemon stops, and
     * they read it. hh_node_close frees it.
     */
    hh_sequencer_quiesce(s->node->sequencer);
    for (int i = 0; i < 100; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info == NULL || info->num_connections == 0)
            break;
        usleep(10000);
    }
    MHD_stop_daemon(s->daemon);
    hh_tile_cache_free(s->tiles);
    free(s);
}
