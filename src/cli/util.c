/*
 * util.c - process-level helpers of the CLI: bounded reads, key files,
 * exclusive creation of secret files, and the mapping to exit codes.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

int hh_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int hh_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("henhouse: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    return HH_EXIT_USAGE;
}

int hh_cli_exit_code(hh_status rc)
{
    if (rc == HH_OK)
        return HH_EXIT_OK;
    return rc == HH_ERR_VERIFY ? HH_EXIT_FAIL : HH_EXIT_USAGE;
}

int hh_cli_report(const char *what, const struct hh_error *err)
{
    fprintf(stderr, "henhouse: %s: %s\n", what, err->msg);
    return hh_cli_exit_code(err->code);
}

hh_status hh_cli_read_stream(FILE *f, size_t max, char **out, size_t *len, struct hh_error *err)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);

    *out = NULL;
    *len = 0;
    if (buf == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    for (;;) {
        if (n == cap) {
            char *bigger = cap > max ? NULL : realloc(buf, cap * 2 + 1);
            if (bigger == NULL) {
                free(buf);
                return cap > max ? hh_error_set(err, HH_ERR_TOO_LARGE, "input over %zu bytes", max)
                                 : hh_error_set(err, HH_ERR_NOMEM, "out of memory");
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f) || n > max) {
        free(buf);
        return n > max ? hh_error_set(err, HH_ERR_TOO_LARGE, "input over %zu bytes", max)
                       : hh_error_set(err, HH_ERR_IO, "read failed: %s", strerror(errno));
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return HH_OK;
}

hh_status hh_cli_read_file(const char *path, size_t max, char **out, size_t *len,
                           struct hh_error *err)
{
    FILE *f = fopen(path, "rb");
    hh_status rc;

    *out = NULL;
    *len = 0;
    if (f == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    rc = hh_cli_read_stream(f, max, out, len, err);
    fclose(f);
    if (rc != HH_OK)
        hh_error_prefix(err, rc, "%s", path);
    return rc;
}

hh_status hh_cli_load_signer(const char *path, struct hh_signer **out, struct hh_error *err)
{
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    hh_status rc;

    *out = NULL;
    if (stat(path, &st) != 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    if ((st.st_mode & 077) != 0)
        return hh_error_set(err, HH_ERR_INVALID,
                            "%s: signer key is readable by others; chmod 600 it", path);
    rc = hh_cli_read_file(path, HH_KEY_TEXT_MAX + 16, &text, &len, err);
    if (rc != HH_OK)
        return rc;
    rc = hh_signer_parse(text, len, out, err);
    sodium_memzero(text, len);
    free(text);
    if (rc != HH_OK)
        hh_error_prefix(err, rc, "%s", path);
    return rc;
}

hh_status hh_cli_load_verifier(const char *path, struct hh_verifier *out, struct hh_error *err)
{
    char *text = NULL;
    size_t len = 0;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = hh_cli_read_file(path, HH_KEY_TEXT_MAX + 16, &text, &len, err);
    if (rc != HH_OK)
        return rc;
    rc = hh_verifier_parse(text, len, out, err);
    free(text);
    if (rc != HH_OK)
        hh_error_prefix(err, rc, "%s", path);
    return rc;
}

hh_status hh_cli_write_new_file(const char *path, const void *data, size_t len, int mode,
                                struct hh_error *err)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

    if (fd < 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(path);
            return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(e));
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    }
    return HH_OK;
}

hh_status hh_cli_write_stdout(const void *data, size_t len, struct hh_error *err)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return hh_error_set(err, HH_ERR_IO, "writing to stdout: %s", strerror(errno));
    return HH_OK;
}

void hh_cli_print_json(json_t *value)
{
    if (value == NULL)
        return;
    json_dumpf(value, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(value);
}
