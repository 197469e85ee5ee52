/*
 * cosignature.c - C2SP tlog-cosignature cosignature/v1 (signature type 0x04).
 *
 * The signed message is "cosignature/v1\ntime <T>\n" followed by the whole
 * checkpoint text, with T in canonical decimal; the signature body after the
 * key id is exactly 72 bytes, u64 big-endian T then the Ed25519 signature.
 * T above 2^63-1 is refused both when building and when splitting, so a
 * timestamp always fits a signed 64-bit time.
 */
#include <henhouse/cosignature.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "cosignature/v1\ntime " + 19 digits + "\n" + NUL */
#define COSIG_HEADER_MAX 48

hh_status hh_cosignature_message(const char *text, size_t len, uint64_t t, char **out,
                                 size_t *outlen)
{
    char header[COSIG_HEADER_MAX];
    int n;

    *out = NULL;
    *outlen = 0;
    if (t > (uint64_t)HH_COSIGNATURE_MAX_TIME)
        return HH_ERR_INVALID;
    n = snprintf(header, sizeof(header), "cosignature/v1\ntime %llu\n", (unsigned long long)t);
    if (n < 0 || (size_t)n >= sizeof(header))
        return HH_ERR_INTERNAL;
    if (len > SIZE_MAX - (size_t)n - 1)
        return HH_ERR_TOO_LARGE;
    *out = malloc((size_t)n + len + 1);
    if (*out == NULL)
        return HH_ERR_NOMEM;
    memcpy(*out, header, (size_t)n);
    if (len > 0)
        memcpy(*out + n, text, len);
    (*out)[(size_t)n + len] = '\0';
    *outlen = (size_t)n + len;
    return HH_OK;
}

hh_status hh_cosignature_split(const uint8_t *body, size_t len, uint64_t *t, const uint8_t **sig,
                               struct hh_error *err)
{
    uint64_t v = 0;

    *t = 0;
    *sig = NULL;
    if (len != HH_COSIGNATURE_LEN)
        return hh_error_set(err, HH_ERR_INVALID,
                            "a cosignature/v1 body is %d bytes after the key id, got %zu",
                            HH_COSIGNATURE_LEN, len);
    for (int i = 0; i < 8; i++)
        v = v << 8 | body[i];
    if (v > (uint64_t)HH_COSIGNATURE_MAX_TIME)
        return hh_error_set(err, HH_ERR_INVALID, "cosignature timestamp %llu exceeds 2^63-1",
                            (unsigned long long)v);
    *t = v;
    *sig = body + 8;
    return HH_OK;
}
