/*
 * http.c - building responses: bodies, JSON, errors, and status mapping.
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

static enum MHD_Result queue_with_headers(struct MHD_Connection *c, unsigned status,
                                          struct MHD_Response *resp, const char *type,
                                          const char *cache_control)
{
    enum MHD_Result ret;

    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            cache_control != NULL ? cache_control : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result hh_http_respond(struct MHD_Connection *c, unsigned status, const char *type,
                                const void *body, size_t len, const char *cache_control)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

    if (resp == NULL)
        return MHD_NO;
    return queue_with_headers(c, status, resp, type, cache_control);
}

enum MHD_Result hh_http_respond_shared(struct MHD_Connection *c, unsigned status, const char *type,
                                       const void *body, size_t len, const char *cache_control,
                                       void (*release)(void *cls), void *cls)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)body, release, cls);

    if (resp == NULL) {
        release(cls);
        return MHD_NO;
    }
    return queue_with_headers(c, status, resp, type, cache_control);
}

enum MHD_Result hh_http_json(struct MHD_Connection *c, unsigned status, json_t *value)
{
    char *text = value != NULL ? json_dumps(value, JSON_COMPACT) : NULL;
    enum MHD_Result ret;

    json_decref(value);
    if (text == NULL)
        return MHD_NO;
    size_t len = strlen(text);
    text[len] = '\0';
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result hh_http_error(struct MHD_Connection *c, unsigned status, const char *code,
                              const char *detail)
{
    return hh_http_json(c, status, json_pack("{s:s, s:s}", "error", code, "detail", detail));
}

unsigned hh_http_status(hh_status rc)
{
    switch (rc) {
    case HH_OK:
        return MHD_HTTP_OK;
    case HH_ERR_INVALID:
        return MHD_HTTP_BAD_REQUEST;
    case HH_ERR_TOO_LARGE:
        return MHD_HTTP_CONTENT_TOO_LARGE;
    case HH_ERR_VERIFY:
        return MHD_HTTP_FORBIDDEN;
    case HH_ERR_NOT_FOUND:
        return MHD_HTTP_NOT_FOUND;
    case HH_ERR_CONFLICT:
        return MHD_HTTP_CONFLICT;
    case HH_ERR_NOMEM:
    case HH_ERR_IO:
    case HH_ERR_INTERNAL:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

json_t *hh_http_proof_json(const struct hh_hash *proof, size_t n)
{
    json_t *a = json_array();
    char b64[64];

    for (size_t i = 0; i < n; i++)
        if (hh_base64_encode(proof[i].b, HH_HASH_LEN, b64, sizeof(b64)) == HH_OK)
            json_array_append_new(a, json_string(b64));
    return a;
}
