/*
 * http_client.h - a small, bounded HTTP client over libcurl for the node,
 * the peer client and the CLI.
 *
 * Every transfer has a connect timeout, a total timeout and a ceiling on the
 * response body; a larger body is cut off with HH_ERR_TOO_LARGE rather than
 * buffered. Redirects are not followed. A client handle keeps its connection
 * alive between requests and is used by one thread at a time.
 */
#ifndef HENHOUSE_CLIENT_HTTP_CLIENT_H
#define HENHOUSE_CLIENT_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

struct hh_http_client;

struct hh_http_response {
    long status;
    uint8_t *body; /* malloc'd, NUL-terminated (not counted); free with hh_http_response_clear */
    size_t len;
};

/* timeout_ms bounds each whole request. Free with hh_http_client_free. */
hh_status hh_http_client_new(long timeout_ms, struct hh_http_client **out,
                             struct hh_error *err) HH_MUST_CHECK;
void hh_http_client_free(struct hh_http_client *c);

/* GET url; a body over max bytes fails with HH_ERR_TOO_LARGE. Any status is HH_OK. */
hh_status hh_http_get(struct hh_http_client *c, const char *url, size_t max,
                      struct hh_http_response *out, struct hh_error *err) HH_MUST_CHECK;

/* POST body with the given content type to url. */
hh_status hh_http_post(struct hh_http_client *c, const char *url, const char *content_type,
                       const void *body, size_t len, size_t max, struct hh_http_response *out,
                       struct hh_error *err) HH_MUST_CHECK;

void hh_http_response_clear(struct hh_http_response *r);

/* Initialises libcurl once per process (call before threads start). */
hh_status hh_http_global_init(struct hh_error *err) HH_MUST_CHECK;

#endif
