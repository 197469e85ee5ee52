/*
 * tile_source.c - the HTTP implementation of a tile source
 * (tile_source.h).
 *
 * The HTTP source keeps only its base URL; each connection is one
 * hh_http_client, so a thread's requests reuse one keep-alive connection.
 */
#include <henhouse/client/tile_source.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <henhouse/client/http_client.h>

/* ---- HTTP ---- */

struct http_source {
    char base[HH_TILE_SOURCE_URL_MAX];
};

struct http_conn {
    const struct http_source *src;
    struct hh_http_client *client;
};

static hh_status http_open(void *ctx, void **conn, struct hh_error *err)
{
    struct http_conn *c = calloc(1, sizeof(*c));
    hh_status rc;

    *conn = NULL;
    if (c == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    c->src = ctx;
    rc = hh_http_client_new(HH_TILE_SOURCE_TIMEOUT_MS, &c->client, err);
    if (rc != HH_OK) {
        free(c);
        return rc;
    }
    *conn = c;
    return HH_OK;
}

static void http_close(void *conn)
{
    struct http_conn *c = conn;

    if (c == NULL)
        return;
    hh_http_client_free(c->client);
    free(c);
}

/* GETs base/path (at most max bytes) and requires status 200. */
static hh_status http_fetch(struct http_conn *c, const char *path, size_t max, uint8_t **out,
                            size_t *len, struct hh_error *err)
{
    struct hh_http_response resp = {0};
    char url[HH_TILE_SOURCE_URL_MAX + HH_TILE_PATH_MAX + 2];
    int n = snprintf(url, sizeof(url), "%s/%s", c->src->base, path);
    hh_status rc;

    *out = NULL;
    *len = 0;
    if (n < 0 || (size_t)n >= sizeof(url))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "URL of %s is too long", path);
    rc = hh_http_get(c->client, url, max, &resp, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "%s", path);
    if (resp.status != 200) {
        long status = resp.status;
        hh_http_response_clear(&resp);
        return hh_error_set(err, HH_ERR_IO, "%s: HTTP status %ld from %s", path, status, url);
    }
    *out = resp.body;
    *len = resp.len;
    return HH_OK;
}

static hh_status http_checkpoint(void *conn, size_t max, uint8_t **out, size_t *len,
                                 struct hh_error *err)
{
    return http_fetch(conn, "checkpoint", max, out, len, err);
}

static hh_status http_tile(void *conn, const struct hh_tile *t, size_t max, uint8_t **out,
                           size_t *len, struct hh_error *err)
{
    char path[HH_TILE_PATH_MAX];

    *out = NULL;
    *len = 0;
    if (hh_tile_path(t, path, sizeof(path)) != HH_OK)
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot name a tile");
    return http_fetch(conn, path, max, out, len, err);
}

hh_status hh_tile_source_http(const char *url, struct hh_tile_source *out, struct hh_error *err)
{
    struct http_source *s;
    size_t n = strlen(url);
    hh_status rc;

    memset(out, 0, sizeof(*out));
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof(s->base))
        return hh_error_set(err, HH_ERR_INVALID, "log URL must be 1..%d bytes",
                            HH_TILE_SOURCE_URL_MAX - 1);
    rc = hh_http_global_init(err);
    if (rc != HH_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    memcpy(s->base, url, n);
    out->open = http_open;
    out->close = http_close;
    out->checkpoint = http_checkpoint;
    out->tile = http_tile;
    out->free = free;
    out->ctx = s;
    return HH_OK;
}

void hh_tile_source_clear(struct hh_tile_source *src)
{
    if (src == NULL)
        return;
    if (src->free != NULL)
        src->free(src->ctx);
    memset(src, 0, sizeof(*src));
}
