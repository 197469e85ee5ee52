/*
 * uri.c - reading a storage URI (see uri.h). Only the scheme is looked at;
 * the rest goes to the backend untouched.
 */
#include "storage/uri.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static bool ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool scheme_char(char c)
{
    return ascii_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* The length of uri's scheme (the part before ':'), or 0 when it has none. */
static size_t scheme_len(const char *uri)
{
    size_t n = 0;

    if (!ascii_alpha(uri[0]))
        return 0;
    while (scheme_char(uri[n]))
        n++;
    return uri[n] == ':' ? n : 0;
}

static bool is_scheme(const char *uri, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(uri, name, n) == 0;
}

hh_status hh_storage_uri_parse(const char *uri, enum hh_storage_backend *backend,
                               const char **location, struct hh_error *err)
{
    size_t n;

    *backend = HH_STORAGE_SQLITE;
    *location = NULL;
    if (uri == NULL || uri[0] == '\0')
        return hh_error_set(err, HH_ERR_INVALID, "no database given: the storage URI is empty");
    n = scheme_len(uri);
    if (n == 0 || is_scheme(uri, n, "sqlite")) {
        *location = n == 0 ? uri : uri + n + 1;
        return HH_OK;
    }
    if (is_scheme(uri, n, "postgresql") || is_scheme(uri, n, "postgres"))
        return hh_error_set(err, HH_ERR_INVALID,
                            "%.*s: this build has no PostgreSQL backend (it has sqlite:PATH)",
                            (int)n, uri);
    return hh_error_set(err, HH_ERR_INVALID,
                        "unknown storage scheme \"%.*s%s\": this build has sqlite:PATH, or a "
                        "plain file path",
                        (int)(n < HH_STORAGE_SCHEME_MAX ? n : HH_STORAGE_SCHEME_MAX), uri,
                        n > HH_STORAGE_SCHEME_MAX ? "..." : "");
}
