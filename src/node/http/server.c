/*
 * server.c - the libmicrohttpd daemon: limits, request lifecycle, routing.
 *
 * Each request gets a struct hh_request on its first callback, where its
 * route is looked up (routes.c) and a path or query holding a control byte
 * is refused. libmicrohttpd percent-decodes the path and query in place, so
 * "%00" would silently cut them short for every handler that measures with
 * strlen; the server's own decoder turns a decoded NUL into DEL (0x7f), a
 * control byte, so such requests are refused here like a literal one. POST
 * bodies are accumulated up to the route's limit; past it the body is
 * dropped and the request answered 413. Responses for everything but
 * submissions are made synchronously on the worker thread.
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
    if (r->body_too_large || r->body_len + len > r->max_body) {
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

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in place as libmicrohttpd would, but a decoded NUL becomes DEL (see above). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    size_t in = 0, out = 0;
    (void)cls;
    (void)c;

    while (s[in] != '\0') {
        int hi = s[in] == '%' ? hex_digit(s[in + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(s[in + 2]) : -1;
        if (lo >= 0) {
            int v = hi * 16 + lo;
            s[out++] = v == 0 ? 0x7f : (char)v;
            in += 3;
        } else {
            s[out++] = s[in++];
        }
    }
    s[out] = '\0';
    return out;
}

static bool has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    bool *bad = cls;
    (void)kind;
    *bad = *bad || has_control(key) || (value != NULL && has_control(value));
    return *bad ? MHD_NO : MHD_YES;
}

/* True when the path or any query argument holds a control byte. */
static bool request_has_control(struct MHD_Connection *c, const char *url)
{
    bool bad = has_control(url);
    if (!bad)
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &bad);
    return bad;
}

/* Refuses a declared Content-Length over the limit before reading the body. */
static bool declared_too_large(struct MHD_Connection *c, size_t max)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    uint64_t n = 0;
    return cl != NULL && (hh_parse_u64(cl, strlen(cl), &n, NULL) != HH_OK || n > max);
}

/* The first callback of a request: routes it; false when it was answered already. */
static enum MHD_Result begin(struct hh_server *s, struct hh_request *r, const char *method)
{
    bool path_known = false;

    if (request_has_control(r->conn, r->url))
        return hh_http_error(r->conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                             "the path or query holds a NUL or another control byte");
    r->route = hh_route_find(method, r->url, &path_known);
    if (r->route == NULL && path_known)
        return hh_http_error(r->conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "that method is not served on this path");
    if (r->route == NULL)
        return hh_http_error(r->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such path");
    r->tail = r->route->prefix ? r->url + strlen(r->route->path) : "";
    r->max_body = r->route->max_body ? r->route->max_body : s->cfg.max_body_bytes;
    if (strcmp(method, "POST") == 0 && declared_too_large(r->conn, r->max_body))
        r->body_too_large = true;
    return MHD_YES;
}

/*
 * Called by libmicrohttpd with the raw request URI, before it decodes or
 * splits it: the request starts here, remembering where the URI is and its
 * length as a C string.
 */
static void *request_start(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct hh_request *r = request_new(cls, c);

    if (r != NULL) {
        r->raw_uri = uri;
        r->raw_uri_len = strlen(uri);
    }
    return r;
}

/*
 * True when the request line held a literal NUL inside the URI.
 * libmicrohttpd keeps the request line in one buffer and ends the URI by
 * overwriting the space before "HTTP/1.x" with a NUL, so the version string
 * starts right after the URI's end; a URI whose C string ends earlier was cut
 * short by a NUL byte the client sent.
 */
static bool uri_cut_by_nul(const struct hh_request *r, const char *version)
{
    const char *end = r->raw_uri + r->raw_uri_len;

    return version > end + 1 && version < r->raw_uri + HH_HTTP_URI_MAX && version[-1] == '\0' &&
           strncmp(version, "HTTP/", 5) == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct hh_server *s = cls;
    struct hh_request *r = *con_cls;

    if (r == NULL)
        return MHD_NO; /* request_start ran out of memory */
    if (!r->begun) {
        r->begun = true;
        r->url = url;
        if (uri_cut_by_nul(r, version))
            return hh_http_error(c, MHD_HTTP_BAD_REQUEST, "bad_request",
                                 "the path or query holds a NUL or another control byte");
        return begin(s, r, method);
    }
    if (r->route == NULL) /* answered by begin() */
        return MHD_YES;
    if (*upload_size > 0) {
        take_upload(r, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->body_too_large) {
        char detail[96];
        snprintf(detail, sizeof(detail), "the body is over %zu bytes", r->max_body);
        return hh_http_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", detail);
    }
    return r->route->handler(r);
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

hh_status hh_server_start(const struct hh_server_config *cfg, struct hh_server **out,
                          uint16_t *bound_port, struct hh_error *err)
{
    struct sockaddr_storage ss;
    struct hh_server *s;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    hh_status rc = resolve(cfg->host, cfg->port, &ss, err);

    *out = NULL;
    *bound_port = 0;
    if (rc != HH_OK)
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    s->cfg = *cfg;
    s->quiesced_fd = MHD_INVALID_SOCKET;
    snprintf(s->host, sizeof(s->host), "%s", cfg->host);
    s->cfg.host = s->host;
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
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK, request_start, s, MHD_OPTION_END);
    if (s->daemon == NULL) {
        hh_tile_cache_free(s->tiles);
        free(s);
        return hh_error_set(err, HH_ERR_IO, "cannot listen on %s:%u (in use?)", cfg->host,
                            (unsigned)cfg->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info != NULL ? info->port : cfg->port;
    *out = s;
    return HH_OK;
}

void hh_server_quiesce(struct hh_server *s)
{
    if (s != NULL && s->quiesced_fd == MHD_INVALID_SOCKET)
        s->quiesced_fd = MHD_quiesce_daemon(s->daemon);
}

void hh_server_stop(struct hh_server *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < 100; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info == NULL || info->num_connections == 0)
            break;
        usleep(10000);
    }
    MHD_stop_daemon(s->daemon);
    if (s->quiesced_fd != MHD_INVALID_SOCKET) /* the daemon no longer owns it */
        close(s->quiesced_fd);
    hh_tile_cache_free(s->tiles);
    free(s);
}
