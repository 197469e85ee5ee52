/*
 * checkpoint.c - C2SP tlog-checkpoint note text.
 *
 * A parsed checkpoint is the note text taken apart: origin (1..255 bytes of
 * UTF-8, no control characters), tree size (canonical decimal), root hash
 * (canonical base64 of exactly 32 bytes) and the extension lines kept
 * verbatim. Formatting refuses any value that parsing would refuse, so
 * hh_checkpoint_parse(hh_checkpoint_format(c)) always gives c back.
 */
#include <henhouse/checkpoint.h>
#include <henhouse/note.h>

#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* A cursor over the newline-terminated lines of a text. */
struct lines {
    const char *p, *end;
    size_t lineno; /* number of the line last taken */
};

/* Takes the next line (without its newline); false when there is none. */
static int next_line(struct lines *ls, const char **line, size_t *len)
{
    const char *nl;

    if (ls->p >= ls->end)
        return 0;
    nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
    if (nl == NULL)
        return 0;
    *line = ls->p;
    *len = (size_t)(nl - ls->p);
    ls->p = nl + 1;
    ls->lineno++;
    return 1;
}

static hh_status check_origin(const char *s, size_t len, struct hh_error *err)
{
    const uint8_t *p = (const uint8_t *)s;

    if (len == 0)
        return hh_error_set(err, HH_ERR_INVALID, "line 1: origin is empty");
    if (len > HH_ORIGIN_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "line 1: origin is %zu bytes, more than %d", len,
                            HH_ORIGIN_MAX);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = hh_utf8_decode(p + i, len - i, &cp);
        if (n == 0)
            return hh_error_set(err, HH_ERR_INVALID, "line 1: origin is not valid UTF-8");
        if (hh_utf8_is_control(cp))
            return hh_error_set(err, HH_ERR_INVALID, "line 1: control character U+%04X in origin",
                                (unsigned)cp);
        i += n;
    }
    return HH_OK;
}

/* Checks the extension lines in ls, all non-empty; *len gets their total length. */
static hh_status check_extensions(struct lines *ls, size_t *len, struct hh_error *err)
{
    const char *start = ls->p, *line = NULL;
    size_t line_len = 0;

    *len = 0;
    while (next_line(ls, &line, &line_len))
        if (line_len == 0)
            return hh_error_set(err, HH_ERR_INVALID, "line %zu: empty extension line", ls->lineno);
    if (ls->p != ls->end)
        return hh_error_set(err, HH_ERR_INVALID, "line %zu: does not end in a newline",
                            ls->lineno + 1);
    *len = (size_t)(ls->end - start);
    if (*len > HH_CHECKPOINT_EXT_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "extension lines are %zu bytes, more than %d",
                            *len, HH_CHECKPOINT_EXT_MAX);
    return HH_OK;
}

/* Takes the three mandatory lines into out. */
static hh_status parse_head(struct lines *ls, struct hh_checkpoint *out, struct hh_error *err)
{
    const char *line[3];
    size_t len[3];
    hh_status rc;

    for (int i = 0; i < 3; i++)
        if (!next_line(ls, &line[i], &len[i]))
            return hh_error_set(err, HH_ERR_INVALID,
                                "checkpoint has %zu lines; needs origin, tree size and root hash",
                                ls->lineno);
    rc = check_origin(line[0], len[0], err);
    if (rc != HH_OK)
        return rc;
    memcpy(out->origin, line[0], len[0]);
    rc = hh_parse_u64(line[1], len[1], &out->size, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "line 2: tree size");
    rc = hh_hash_from_base64(line[2], len[2], &out->root, err);
    if (rc != HH_OK)
        return hh_error_prefix(err, rc, "line 3: root hash");
    return HH_OK;
}

hh_status hh_checkpoint_parse(const char *text, size_t len, struct hh_checkpoint *out,
                              struct hh_error *err)
{
    struct lines ls = {text, text + len, 0};
    size_t ext_len = 0;
    hh_status rc;

    memset(out, 0, sizeof(*out));
    if (len > HH_CHECKPOINT_TEXT_MAX)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "checkpoint text is %zu bytes, more than %d",
                            len, HH_CHECKPOINT_TEXT_MAX);
    rc = hh_note_text_check(text, len, err);
    if (rc == HH_OK)
        rc = parse_head(&ls, out, err);
    if (rc == HH_OK)
        rc = check_extensions(&ls, &ext_len, err);
    if (rc != HH_OK)
        goto out;
    memcpy(out->extensions, text + len - ext_len, ext_len);
    out->extensions_len = ext_len;
out:
    if (rc != HH_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* True when c's fields are what hh_checkpoint_parse would give. */
static bool checkpoint_valid(const struct hh_checkpoint *c)
{
    size_t origin_len = strnlen(c->origin, sizeof(c->origin));
    struct lines ls = {c->extensions, c->extensions + c->extensions_len, 3};
    size_t ext_len = 0;

    if (origin_len > HH_ORIGIN_MAX || check_origin(c->origin, origin_len, NULL) != HH_OK)
        return 0;
    if (c->extensions_len > HH_CHECKPOINT_EXT_MAX)
        return 0;
    if (c->extensions_len == 0)
        return 1;
    return hh_note_text_check(c->extensions, c->extensions_len, NULL) == HH_OK &&
           check_extensions(&ls, &ext_len, NULL) == HH_OK;
}

hh_status hh_checkpoint_format(const struct hh_checkpoint *c, char *out, size_t cap, size_t *outlen)
{
    char root[HH_HASH_LEN * 2];
    int n;

    *outlen = 0;
    if (cap > 0)
        out[0] = '\0';
    if (!checkpoint_valid(c))
        return HH_ERR_INVALID;
    if (hh_base64_encode(c->root.b, HH_HASH_LEN, root, sizeof(root)) != HH_OK)
        return HH_ERR_INTERNAL;
    n = snprintf(out, cap, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, root);
    if (n < 0 || (size_t)n >= cap || cap - (size_t)n <= c->extensions_len) {
        if (cap > 0)
            out[0] = '\0';
        return HH_ERR_TOO_LARGE;
    }
    memcpy(out + n, c->extensions, c->extensions_len);
    out[(size_t)n + c->extensions_len] = '\0';
    *outlen = (size_t)n + c->extensions_len;
    return HH_OK;
}
