/*
 * checkpoint.h - C2SP tlog-checkpoint note text:
 *   origin "\n" size "\n" base64(root) "\n" [extension lines "\n"]...
 *
 * The origin is 1..255 bytes, non-empty, without control characters; the size
 * is canonical decimal; the root exactly 32 bytes; extension lines are
 * non-empty and kept verbatim (at most HH_CHECKPOINT_EXT_MAX bytes in all).
 * This is the note *text*; signatures are in note.h.
 */
#ifndef HENHOUSE_CHECKPOINT_H
#define HENHOUSE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"

#define HH_ORIGIN_MAX          255
#define HH_CHECKPOINT_EXT_MAX  1024
#define HH_CHECKPOINT_TEXT_MAX (HH_ORIGIN_MAX + 1 + 20 + 1 + 44 + 1 + HH_CHECKPOINT_EXT_MAX + 1)

struct hh_checkpoint {
    char origin[HH_ORIGIN_MAX + 1]; /* NUL-terminated */
    uint64_t size;
    struct hh_hash root;
    char extensions[HH_CHECKPOINT_EXT_MAX + 1]; /* the extension lines verbatim, each ending '\n' */
    size_t extensions_len;
};

/* Parses checkpoint note text (not a whole signed note). */
hh_status hh_checkpoint_parse(const char *text, size_t len, struct hh_checkpoint *out,
                              struct hh_error *err) HH_MUST_CHECK;

/* Formats into out (cap >= HH_CHECKPOINT_TEXT_MAX is always enough), NUL-terminated. */
hh_status hh_checkpoint_format(const struct hh_checkpoint *c, char *out, size_t cap,
                               size_t *outlen) HH_MUST_CHECK;

#endif
