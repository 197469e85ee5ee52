/*
 * note.c - C2SP signed notes: text, a blank line, then signature lines
 * "— <key name> base64(key id || signature)".
 *
 * A parsed note is a single allocation: the struct, its signature array, the
 * NUL-terminated text and the decoded signature blobs, so hh_note_free is one
 * free(). Parsing refuses the whole note on any malformed byte or line and
 * names the line. Verification is all-or-nothing: every signature whose name
 * and key id both match a given key must verify, at least one must, and the
 * rest (unknown keys, unknown types) are ignored. Each key is listed at most
 * once in the verified output, so repeated signature lines cannot inflate a
 * count of signers.
 */
#include <henhouse/cosignature.h>
#include <henhouse/hash.h>
#include <henhouse/note.h>

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define SIG_PREFIX     "\xE2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define SIG_BLOB_MIN   5 /* a key id and at least one signature byte */

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t count_newlines(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n;
}

/* Valid UTF-8 with no ASCII control character but newline; errors name the line. */
static hh_status check_chars(const char *buf, size_t len, struct hh_error *err)
{
    const uint8_t *p = (const uint8_t *)buf;
    size_t line = 1;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = hh_utf8_decode(p + i, len - i, &cp);
        if (n == 0)
            return hh_error_set(err, HH_ERR_INVALID, "line %zu: invalid UTF-8 at byte %zu", line,
                                i);
        if (cp == '\n')
            line++;
        else if (cp < 0x20 || cp == 0x7F)
            return hh_error_set(err, HH_ERR_INVALID, "line %zu: control character 0x%02x", line,
                                (unsigned)cp);
        i += n;
    }
    return HH_OK;
}

hh_status hh_note_text_check(const char *text, size_t len, struct hh_error *err)
{
    if (len == 0)
        return hh_error_set(err, HH_ERR_INVALID, "note text is empty");
    if (len > HH_NOTE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "note text is %zu bytes, more than %d", len,
                            HH_NOTE_MAX_BYTES);
    if (text[len - 1] != '\n')
        return hh_error_set(err, HH_ERR_INVALID, "line %zu: note text does not end in a newline",
                            count_newlines(text, len) + 1);
    return check_chars(text, len, err);
}

/* The index of the last "\n\n" in buf[0..len), or len when there is none. */
static size_t find_split(const char *buf, size_t len)
{
    for (size_t i = len; i >= 2; i--)
        if (buf[i - 2] == '\n' && buf[i - 1] == '\n')
            return i - 2;
    return len;
}

/* Where the signature lines of a note are, once the note is split. */
struct note_layout {
    size_t text_len;  /* text, ending in its newline */
    const char *sigs; /* the signature lines, each ending in a newline */
    size_t sigs_len;
    size_t nsigs;
    size_t first_line; /* line number of the first signature line */
};

static hh_status note_layout(const char *buf, size_t len, struct note_layout *l,
                             struct hh_error *err)
{
    size_t split = find_split(buf, len);

    memset(l, 0, sizeof(*l));
    if (split == len)
        return hh_error_set(err, HH_ERR_INVALID,
                            "no blank line before the signature lines (in %zu lines)",
                            count_newlines(buf, len));
    l->text_len = split + 1;
    l->sigs = buf + split + 2;
    l->sigs_len = len - split - 2;
    l->first_line = count_newlines(buf, l->text_len) + 2;
    if (l->sigs_len == 0)
        return hh_error_set(err, HH_ERR_INVALID, "line %zu: note has no signature lines",
                            l->first_line);
    l->nsigs = count_newlines(l->sigs, l->sigs_len);
    if (l->sigs[l->sigs_len - 1] != '\n')
        return hh_error_set(err, HH_ERR_INVALID,
                            "line %zu: signature line does not end in a newline",
                            l->first_line + l->nsigs);
    if (l->nsigs > HH_NOTE_MAX_SIGNATURES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "note has %zu signature lines, more than %d",
                            l->nsigs, HH_NOTE_MAX_SIGNATURES);
    return HH_OK;
}

/* Decodes the base64 of a signature line into blob; *n gets its length. */
static hh_status decode_sig(const char *b64, size_t len, size_t lineno, uint8_t *blob, size_t *n,
                            struct hh_error *err)
{
    *n = 0;
    if (len > hh_base64_len(HH_NOTE_MAX_SIG_BYTES))
        return hh_error_set(err, HH_ERR_TOO_LARGE, "line %zu: signature longer than %d bytes",
                            lineno, HH_NOTE_MAX_SIG_BYTES);
    if (len % 4 != 0 || hh_base64_decode(b64, len, false, blob, len / 4 * 3, n, NULL) != HH_OK)
        return hh_error_set(err, HH_ERR_INVALID, "line %zu: signature is not canonical base64",
                            lineno);
    if (*n > HH_NOTE_MAX_SIG_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "line %zu: signature is %zu bytes, more than %d",
                            lineno, *n, HH_NOTE_MAX_SIG_BYTES);
    if (*n < SIG_BLOB_MIN)
        return hh_error_set(err, HH_ERR_INVALID,
                            "line %zu: signature is %zu bytes, need a 4-byte key id and more",
                            lineno, *n);
    return HH_OK;
}

/*
 * Parses one signature line (without its newline) into sig, decoding into
 * blob (room for len bytes at least); *used gets the bytes of blob taken.
 */
static hh_status parse_sig_line(const char *line, size_t len, size_t lineno,
                                struct hh_note_sig *sig, uint8_t *blob, size_t *used,
                                struct hh_error *err)
{
    const char *name, *sp;
    size_t name_len, n = 0;
    hh_status rc;

    *used = 0;
    if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
        return hh_error_set(err, HH_ERR_INVALID,
                            "line %zu: signature line does not start with \"\xE2\x80\x94 \"",
                            lineno);
    name = line + SIG_PREFIX_LEN;
    sp = memchr(name, ' ', len - SIG_PREFIX_LEN);
    if (sp == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "line %zu: no space after the key name", lineno);
    name_len = (size_t)(sp - name);
    if (!hh_key_name_valid(name, name_len))
        return hh_error_set(err, HH_ERR_INVALID, "line %zu: invalid key name", lineno);
    rc = decode_sig(sp + 1, (size_t)(line + len - sp - 1), lineno, blob, &n, err);
    if (rc != HH_OK)
        return rc;
    memcpy(sig->name, name, name_len);
    sig->key_id = get_be32(blob);
    sig->sig = blob + 4;
    sig->sig_len = n - 4;
    *used = n;
    return HH_OK;
}

static hh_status parse_sig_lines(struct hh_note *n, const struct note_layout *l, uint8_t *blobs,
                                 struct hh_error *err)
{
    const char *p = l->sigs;

    for (size_t i = 0; i < l->nsigs; i++) {
        const char *nl = memchr(p, '\n', (size_t)(l->sigs + l->sigs_len - p));
        size_t used = 0;
        hh_status rc =
            parse_sig_line(p, (size_t)(nl - p), l->first_line + i, &n->sigs[i], blobs, &used, err);
        if (rc != HH_OK)
            return rc;
        blobs += used;
        p = nl + 1;
    }
    n->nsigs = l->nsigs;
    return HH_OK;
}

/* One block: struct, signature array, text and NUL, then room for the decoded blobs. */
static struct hh_note *note_alloc(const struct note_layout *l, size_t len, uint8_t **blobs)
{
    size_t head = sizeof(struct hh_note) + l->nsigs * sizeof(struct hh_note_sig);
    struct hh_note *n = calloc(1, head + len + 1);

    if (n == NULL)
        return NULL;
    n->sigs = (struct hh_note_sig *)(void *)((char *)n + sizeof(struct hh_note));
    n->text = (char *)n + head;
    n->text_len = l->text_len;
    *blobs = (uint8_t *)n->text + l->text_len + 1;
    return n;
}

hh_status hh_note_parse(const char *buf, size_t len, struct hh_note **out, struct hh_error *err)
{
    struct note_layout l;
    struct hh_note *n = NULL;
    uint8_t *blobs = NULL;
    hh_status rc;

    *out = NULL;
    if (len > HH_NOTE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "note is %zu bytes, more than %d", len,
                            HH_NOTE_MAX_BYTES);
    rc = check_chars(buf, len, err);
    if (rc == HH_OK)
        rc = note_layout(buf, len, &l, err);
    if (rc != HH_OK)
        return rc;
    n = note_alloc(&l, len, &blobs);
    if (n == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "cannot allocate a %zu-byte note", len);
    memcpy(n->text, buf, l.text_len);
    rc = parse_sig_lines(n, &l, blobs, err);
    if (rc != HH_OK)
        goto out;
    *out = n;
    n = NULL;
out:
    hh_note_free(n);
    return rc;
}

void hh_note_free(struct hh_note *n)
{
    free(n);
}

/* The first key whose name and key id both match sig, or nkeys when none does. */
static size_t find_key(const struct hh_note_sig *sig, const struct hh_verifier *keys, size_t nkeys)
{
    for (size_t j = 0; j < nkeys; j++)
        if (keys[j].key_id == sig->key_id && strcmp(keys[j].name, sig->name) == 0)
            return j;
    return nkeys;
}

static hh_status verify_cosig(const struct hh_note *n, const struct hh_verifier *key,
                              const struct hh_note_sig *sig, size_t lineno, uint64_t *t,
                              struct hh_error *err)
{
    const uint8_t *ed = NULL;
    char *msg = NULL;
    size_t msg_len = 0;
    int ok;

    /* malformed, but by a known key: the note fails to verify */
    if (hh_cosignature_split(sig->sig, sig->sig_len, t, &ed, err) != HH_OK)
        return hh_error_prefix(err, HH_ERR_VERIFY, "line %zu: cosignature by %s", lineno,
                               key->name);
    if (hh_cosignature_message(n->text, n->text_len, *t, &msg, &msg_len) != HH_OK)
        return hh_error_set(err, HH_ERR_NOMEM, "cannot build the cosignature/v1 message");
    ok = hh_verifier_signed(key, msg, msg_len, ed, 64);
    free(msg);
    if (!ok)
        return hh_error_set(err, HH_ERR_VERIFY, "line %zu: cosignature by %s does not verify",
                            lineno, key->name);
    return HH_OK;
}

/* Verifies one signature by a known key; *t gets a cosignature's timestamp. */
static hh_status verify_one(const struct hh_note *n, const struct hh_verifier *key,
                            const struct hh_note_sig *sig, size_t lineno, uint64_t *t,
                            struct hh_error *err)
{
    *t = 0;
    if (key->type == HH_KEY_COSIGNATURE)
        return verify_cosig(n, key, sig, lineno, t, err);
    if (key->type != HH_KEY_ED25519)
        return hh_error_set(err, HH_ERR_VERIFY, "line %zu: key %s has unsupported type 0x%02x",
                            lineno, key->name, key->type);
    if (sig->sig_len != 64)
        return hh_error_set(err, HH_ERR_VERIFY,
                            "line %zu: Ed25519 signature by %s is %zu bytes, not 64", lineno,
                            key->name, sig->sig_len);
    if (!hh_verifier_signed(key, n->text, n->text_len, sig->sig, sig->sig_len))
        return hh_error_set(err, HH_ERR_VERIFY, "line %zu: signature by %s does not verify", lineno,
                            key->name);
    return HH_OK;
}

/* Adds a verified key to out unless it is listed already or out is full. */
static void list_verified(struct hh_note_verified *out, size_t out_cap, size_t *nout, size_t j,
                          uint64_t t)
{
    for (size_t k = 0; k < *nout; k++)
        if (out[k].key_index == j)
            return;
    if (*nout < out_cap) {
        out[*nout].key_index = j;
        out[*nout].timestamp = t;
        (*nout)++;
    }
}

hh_status hh_note_verify(const struct hh_note *n, const struct hh_verifier *keys, size_t nkeys,
                         struct hh_note_verified *out, size_t out_cap, size_t *nout,
                         struct hh_error *err)
{
    size_t first_line = count_newlines(n->text, n->text_len) + 2, verified = 0;
    hh_status rc = HH_OK;

    *nout = 0;
    if (out != NULL && out_cap > 0)
        memset(out, 0, out_cap * sizeof(*out));
    else
        out_cap = 0;
    for (size_t i = 0; i < n->nsigs; i++) {
        uint64_t t = 0;
        size_t j = find_key(&n->sigs[i], keys, nkeys);
        if (j == nkeys)
            continue;
        rc = verify_one(n, &keys[j], &n->sigs[i], first_line + i, &t, err);
        if (rc != HH_OK)
            goto out;
        verified++;
        list_verified(out, out_cap, nout, j, t);
    }
    if (verified == 0)
        rc = hh_error_set(err, HH_ERR_VERIFY,
                          "no known signature: none of the %zu signatures is by a given key",
                          n->nsigs);
out:
    if (rc != HH_OK) {
        *nout = 0;
        if (out_cap > 0)
            memset(out, 0, out_cap * sizeof(*out));
    }
    return rc;
}

/* Makes key id || [timestamp ||] signature over text for s; returns the blob length. */
static hh_status sign_blob(const struct hh_signer *s, const struct hh_verifier *v, const char *text,
                           size_t len, uint64_t timestamp, uint8_t blob[4 + 8 + 64],
                           size_t *blob_len)
{
    char *msg = NULL;
    size_t msg_len = 0;
    hh_status rc;

    put_be32(blob, v->key_id);
    if (v->type != HH_KEY_COSIGNATURE) {
        hh_signer_sign_raw(s, text, len, blob + 4);
        *blob_len = 4 + 64;
        return HH_OK;
    }
    rc = hh_cosignature_message(text, len, timestamp, &msg, &msg_len);
    if (rc != HH_OK)
        return rc;
    put_be64(blob + 4, timestamp);
    hh_signer_sign_raw(s, msg, msg_len, blob + 12);
    free(msg);
    *blob_len = 4 + 8 + 64;
    return HH_OK;
}

hh_status hh_note_sign_line(const struct hh_signer *s, const char *text, size_t len,
                            uint64_t timestamp, char *line, size_t cap)
{
    struct hh_verifier v;
    uint8_t blob[4 + 8 + 64];
    size_t blob_len = 0, name_len, need;
    hh_status rc;

    if (cap > 0)
        line[0] = '\0';
    rc = hh_note_text_check(text, len, NULL);
    if (rc != HH_OK)
        return rc;
    hh_signer_verifier(s, &v);
    rc = sign_blob(s, &v, text, len, timestamp, blob, &blob_len);
    if (rc != HH_OK)
        return rc;
    name_len = strlen(v.name);
    need = SIG_PREFIX_LEN + name_len + 1 + hh_base64_len(blob_len) + 1 + 1;
    if (cap < need)
        return HH_ERR_TOO_LARGE;
    memcpy(line, SIG_PREFIX, SIG_PREFIX_LEN);
    memcpy(line + SIG_PREFIX_LEN, v.name, name_len);
    line[SIG_PREFIX_LEN + name_len] = ' ';
    rc = hh_base64_encode(blob, blob_len, line + SIG_PREFIX_LEN + name_len + 1,
                          cap - SIG_PREFIX_LEN - name_len - 1);
    if (rc != HH_OK)
        return rc;
    memcpy(line + need - 2, "\n", 2);
    return HH_OK;
}

hh_status hh_note_sign(const struct hh_signer *s, const char *text, size_t len, char **out,
                       size_t *outlen, struct hh_error *err)
{
    char line[HH_NOTE_SIG_LINE_MAX];
    struct hh_verifier v;
    size_t line_len, total;
    hh_status rc;

    *out = NULL;
    *outlen = 0;
    hh_signer_verifier(s, &v);
    if (v.type == HH_KEY_COSIGNATURE)
        return hh_error_set(err, HH_ERR_INVALID,
                            "key %s is a cosignature key: use hh_note_sign_line with a timestamp",
                            v.name);
    rc = hh_note_text_check(text, len, err);
    if (rc != HH_OK)
        return rc;
    if (hh_note_sign_line(s, text, len, 0, line, sizeof(line)) != HH_OK)
        return hh_error_set(err, HH_ERR_INTERNAL, "cannot format the signature line");
    line_len = strlen(line);
    total = len + 1 + line_len;
    if (total > HH_NOTE_MAX_BYTES)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "signed note would be %zu bytes, more than %d",
                            total, HH_NOTE_MAX_BYTES);
    *out = malloc(total + 1);
    if (*out == NULL)
        return hh_error_set(err, HH_ERR_NOMEM, "cannot allocate a %zu-byte note", total);
    memcpy(*out, text, len);
    (*out)[len] = '\n';
    memcpy(*out + len + 1, line, line_len + 1);
    *outlen = total;
    return HH_OK;
}
