/*
 * error.c - filling struct hh_error. Messages are truncated, never overflow.
 */
#include <henhouse/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

hh_status hh_error_set(struct hh_error *err, hh_status code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

hh_status hh_error_prefix(struct hh_error *err, hh_status code, const char *fmt, ...)
{
    char prefix[HH_ERROR_MSG_MAX];
    char old[HH_ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    /* Truncation is intended: the message is for people and stays bounded. */
    size_t n = strnlen(prefix, sizeof(prefix) - 3);
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    n += 2;
    size_t m = strnlen(old, sizeof(err->msg) - n - 1);
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
    return code;
}

const char *hh_status_name(hh_status code)
{
    switch (code) {
    case HH_OK:
        return "ok";
    case HH_ERR_INVALID:
        return "invalid";
    case HH_ERR_TOO_LARGE:
        return "too large";
    case HH_ERR_VERIFY:
        return "verification failed";
    case HH_ERR_NOT_FOUND:
        return "not found";
    case HH_ERR_CONFLICT:
        return "conflict";
    case HH_ERR_NOMEM:
        return "out of memory";
    case HH_ERR_IO:
        return "i/o error";
    case HH_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown";
}
