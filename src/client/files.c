/*
 * files.c - bounded reads, exclusive fsynced writes and key files.
 */
#include <henhouse/client/files.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

hh_status hh_read_stream(FILE *f, size_t max, char **out, size_t *len, struct hh_error *err)
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

hh_status hh_read_file(const char *path, size_t max, char **out, size_t *len, struct hh_error *err)
{
    FILE *f = fopen(path, "rb");
    hh_status rc;

    *out = NULL;
    *len = 0;
    if (f == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    rc = hh_read_stream(f, max, out, len, err);
    fclose(f);
    if (rc != HH_OK)
        hh_error_prefix(err, rc, "%s", path);
    return rc;
}

hh_status hh_write_new_file(const char *path, const void *data, size_t len, int mode,
                            struct hh_error *err)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

    if (fd < 0)
        return hh_error_set(err, errno == EEXIST ? HH_ERR_CONFLICT : HH_ERR_IO, "%s: %s", path,
                            strerror(errno));
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
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (close(fd) != 0)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    return HH_OK;
}

hh_status hh_load_signer(const char *path, struct hh_signer **out, struct hh_error *err)
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
    rc = hh_read_file(path, HH_KEY_TEXT_MAX + 16, &text, &len, err);
    if (rc != HH_OK)
        return rc;
    rc = hh_signer_parse(text, len, out, err);
    sodium_memzero(text, len);
    free(text);
    if (rc != HH_OK)
        hh_error_prefix(err, rc, "%s", path);
    return rc;
}

hh_status hh_load_verifier(const char *path, struct hh_verifier *out, struct hh_error *err)
{
    char *text = NULL;
    size_t len = 0;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    rc = hh_read_file(path, HH_KEY_TEXT_MAX + 16, &text, &len, err);
    if (rc != HH_OK)
        return rc;
    rc = hh_verifier_parse(text, len, out, err);
    free(text);
    if (rc != HH_OK)
        hh_error_prefix(err, rc, "%s", path);
    return rc;
}

hh_status hh_write_key_pair(const struct hh_signer *s, const char *dir, const char *base,
                            struct hh_error *err)
{
    char path[4096 + 2 * HH_KEY_NAME_MAX], text[HH_KEY_TEXT_MAX + 1];
    struct hh_verifier v;
    size_t n;
    hh_status rc;

    if (strlen(dir) > 4096 || strlen(base) > HH_KEY_NAME_MAX)
        return hh_error_set(err, HH_ERR_INVALID, "key path too long");
    snprintf(path, sizeof(path), "%s/%s.vkey", dir, base);
    if (access(path, F_OK) == 0)
        return hh_error_set(err, HH_ERR_CONFLICT, "%s exists; refusing to overwrite", path);
    rc = hh_signer_format(s, text, sizeof(text) - 1);
    if (rc == HH_OK) {
        n = strlen(text);
        text[n] = '\n';
        snprintf(path, sizeof(path), "%s/%s.key", dir, base);
        rc = hh_write_new_file(path, text, n + 1, 0600, err);
    } else {
        hh_error_set(err, rc, "cannot format the signer key");
    }
    sodium_memzero(text, sizeof(text));
    if (rc != HH_OK)
        return rc;
    hh_signer_verifier(s, &v);
    rc = hh_verifier_format(&v, text, sizeof(text) - 1);
    if (rc != HH_OK)
        return hh_error_set(err, rc, "cannot format the verifier key");
    n = strlen(text);
    text[n] = '\n';
    snprintf(path, sizeof(path), "%s/%s.vkey", dir, base);
    return hh_write_new_file(path, text, n + 1, 0644, err);
}
