/*
 * error.h - the one error type of libhenhouse.
 *
 * Every fallible function returns an hh_status and, when given a non-NULL
 * struct hh_error, fills it with the same code and a human-readable message
 * naming what was wrong (a line number, an index, a limit). A function that
 * fails leaves its outputs zeroed or empty: nothing is partially applied.
 */
#ifndef HENHOUSE_ERROR_H
#define HENHOUSE_ERROR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define HH_MUST_CHECK   __attribute__((warn_unused_result))
#define HH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HH_MUST_CHECK
#define HH_PRINTF(f, a)
#endif

typedef enum {
    HH_OK = 0,
    HH_ERR_INVALID,   /* malformed input: bad syntax, bad encoding, out of range */
    HH_ERR_TOO_LARGE, /* input or output exceeds a documented limit */
    HH_ERR_VERIFY,    /* well-formed, but a signature or proof does not verify */
    HH_ERR_NOT_FOUND, /* a named thing does not exist */
    HH_ERR_CONFLICT,  /* state disagrees: already exists, stale size, fork */
    HH_ERR_NOMEM,     /* allocation failed */
    HH_ERR_IO,        /* the operating system, a database or the network failed */
    HH_ERR_INTERNAL,  /* a broken invariant: a bug in henhouse */
} hh_status;

#define HH_ERROR_MSG_MAX 256

struct hh_error {
    hh_status code;
    char msg[HH_ERROR_MSG_MAX];
};

/* Sets err (if not NULL) to code and a formatted message; returns code. */
hh_status hh_error_set(struct hh_error *err, hh_status code, const char *fmt, ...) HH_PRINTF(3, 4);

/*
 * Prefixes err->msg with a context string ("tile 0/005: ..."), sets err->code
 * to code and returns code: the caller says what the failure means to it.
 */
hh_status hh_error_prefix(struct hh_error *err, hh_status code, const char *fmt, ...)
    HH_PRINTF(3, 4);

/* A static, lowercase name for a status code ("invalid", "verify", ...). */
const char *hh_status_name(hh_status code);

#endif
