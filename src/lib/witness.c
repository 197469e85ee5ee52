/*
 * witness.c - the tlog-witness add-checkpoint request body, both ways.
 */
#include <henhouse/witness.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next line of body from *pos (without its '\n'); HH_ERR_INVALID if none ends. */
static hh_status next_line(const char *body, size_t len, size_t *pos, const char **line, size_t *n,
                           struct hh_error *err)
{
    const char *nl = *pos < len ? memchr(body + *pos, '\n', len - *pos) : NULL;

    if (nl == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "request ends without a blank line");
    *line = body + *pos;
    *n = (size_t)(nl - *line);
    *pos += *n + 1;
    return HH_OK;
}

hh_status hh_witness_request_parse(const char *body, size_t len, struct hh_witness_request *out,
                                   struct hh_error *err)
{
    const char *line = NULL;
    size_t n = 0, pos = 0;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (len > HH_WITNESS_MAX_BODY)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "request over %d bytes", HH_WITNESS_MAX_BODY);
    rc = next_line(body, len, &pos, &line, &n, err);
    if (rc != HH_OK)
        return rc;
    if (n < 5 || memcmp(line, "old ", 4) != 0 ||
        hh_parse_u64(line + 4, n - 4, &out->old_size, err) != HH_OK)
        return hh_error_set(err, HH_ERR_INVALID, "line 1 must be \"old <size>\"");
    for (;;) {
        rc = next_line(body, len, &pos, &line, &n, err);
        if (rc != HH_OK)
            goto fail;
        if (n == 0)
            break;
        if (out->nproof == HH_WITNESS_MAX_PROOF) {
            rc = hh_error_set(err, HH_ERR_TOO_LARGE, "more than %d proof lines",
                              HH_WITNESS_MAX_PROOF);
            goto fail;
        }
        rc = hh_hash_from_base64(line, n, &out->proof[out->nproof], err);
        if (rc != HH_OK) {
            hh_error_prefix(err, rc, "proof line %zu", out->nproof + 1);
            goto fail;
        }
        out->nproof++;
    }
    if (pos == len) {
        rc = hh_error_set(err, HH_ERR_INVALID, "no checkpoint after the blank line");
        goto fail;
    }
    out->note = body + pos;
    out->note_len = len - pos;
    return HH_OK;
fail:
    memset(out, 0, sizeof(*out));
    return rc;
}

hh_status hh_witness_request_format(uint64_t old_size, const struct hh_hash *proof, size_t nproof,
                                    const char *note, size_t note_len, char **out, size_t *outlen,
                                    struct hh_error *err)
{
    size_t cap = 32 + nproof * 45 + 1 + note_len + 1, pos;
    char *buf;

    *out = NULL;
    *outlen = 0;
    if (nproof > HH_WITNESS_MAX_PROOF)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "more than %d proof lines",
                            HH_WITNESS_MAX_PROOF);
    buf = malloc(cap);
    if (buf == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    pos = (size_t)snprintf(buf, cap, "old %llu\n", (unsigned long long)old_size);
    for (size_t i = 0; i < nproof; i++) {
        if (hh_base64_encode(proof[i].b, HH_HASH_LEN, buf + pos, cap - pos) != HH_OK) {
            free(buf);
            return hh_error_set(err, HH_ERR_INTERNAL, "cannot encode the proof");
        }
        pos += 44;
        buf[pos++] = '\n';
    }
    buf[pos++] = '\n';
    memcpy(buf + pos, note, note_len);
    pos += note_len;
    buf[pos] = '\0';
    *out = buf;
    *outlen = pos;
    return HH_OK;
}
