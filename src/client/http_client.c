/*
 * http_client.c - libcurl easy handles with limits.
 *
 * A body is received into one buffer, sized from Content-Length when the
 * server sends one (at most the caller's ceiling), so an entry bundle is
 * copied once rather than through a chain of reallocations; without it the
 * buffer doubles as data arrives.
 */
#include <henhouse/client/http_client.h>

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct hh_http_client {
    CURL *curl;
    long timeout_ms;
};

struct sink {
    CURL *curl;
    struct hh_http_response *resp;
    size_t cap, max;
    int too_large;
};

/* The first buffer: Content-Length + 1 when declared and within max, else 16 KiB. */
static size_t first_cap(const struct sink *s, size_t need)
{
    curl_off_t declared = -1;

    if (curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &declared) == CURLE_OK &&
        declared > 0 && (uint64_t)declared <= s->max && (size_t)declared + 1 >= need)
        return (size_t)declared + 1;
    return 16384;
}

hh_status hh_http_global_init(struct hh_error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot initialise libcurl");
    return HH_OK;
}

hh_status hh_http_client_new(long timeout_ms, struct hh_http_client **out, struct hh_error *err)
{
    struct hh_http_client *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL || (c->curl = curl_easy_init()) == NULL) {
        free(c);
        return hh_error_set(err, HH_ERR_NOMEM, "cannot create an HTTP client");
    }
    c->timeout_ms = timeout_ms;
    *out = c;
    return HH_OK;
}

void hh_http_client_free(struct hh_http_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

void hh_http_response_clear(struct hh_http_response *r)
{
    if (r == NULL)
        return;
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sink *s = userp;
    size_t n = size * nmemb;

    if (s->resp->len + n > s->max) {
        s->too_large = 1;
        return 0; /* aborts the transfer */
    }
    if (s->resp->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : first_cap(s, s->resp->len + n + 1);
        while (cap < s->resp->len + n + 1)
            cap *= 2;
        uint8_t *bigger = realloc(s->resp->body, cap);
        if (bigger == NULL)
            return 0;
        s->resp->body = bigger;
        s->cap = cap;
    }
    memcpy(s->resp->body + s->resp->len, data, n);
    s->resp->len += n;
    s->resp->body[s->resp->len] = '\0';
    return n;
}

static hh_status perform(struct hh_http_client *c, const char *url, size_t max,
                         struct hh_http_response *out, struct hh_error *err)
{
    struct sink s = {c->curl, out, 0, max, 0};
    CURLcode cc;

    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     c->timeout_ms < 5000 ? c->timeout_ms : 5000);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
    cc = curl_easy_perform(c->curl);
    if (s.too_large) {
        hh_http_response_clear(out);
        return hh_error_set(err, HH_ERR_TOO_LARGE, "%s: response over %zu bytes", url, max);
    }
    if (cc != CURLE_OK) {
        hh_http_response_clear(out);
        return hh_error_set(err, HH_ERR_IO, "%s: %s", url, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->body == NULL && (out->body = calloc(1, 1)) == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    return HH_OK;
}

hh_status hh_http_get(struct hh_http_client *c, const char *url, size_t max,
                      struct hh_http_response *out, struct hh_error *err)
{
    memset(out, 0, sizeof(*out));
    curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    return perform(c, url, max, out, err);
}

hh_status hh_http_post(struct hh_http_client *c, const char *url, const char *content_type,
                       const void *body, size_t len, size_t max, struct hh_http_response *out,
                       struct hh_error *err)
{
    char header[256];
    struct curl_slist *headers = NULL;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    snprintf(header, sizeof(header), "Content-Type: %s", content_type);
    headers = curl_slist_append(headers, header);
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    rc = perform(c, url, max, out, err);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return rc;
}
