/*
 * note.h - C2SP signed notes: text, a blank line, then signature lines
 * "— <key name> base64(key id || signature)".
 *
 * Parsing splits at the last blank line, requires valid UTF-8 without
 * control characters other than newline, and refuses every malformed line
 * with its line number. Verification ignores signatures by unknown keys,
 * rejects the note if a known key's signature fails, and rejects it if no
 * known key signed it. Type 0x04 keys verify cosignature/v1 signatures and
 * report their timestamps.
 */
#ifndef HENHOUSE_NOTE_H
#define HENHOUSE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "key.h"

#define HH_NOTE_MAX_BYTES      (64 * 1024)
#define HH_NOTE_MAX_SIGNATURES 64   /* C2SP requires accepting at least 16 */
#define HH_NOTE_MAX_SIG_BYTES  4096 /* decoded key id + signature, fits ML-DSA-44 */
/* "— " + name + " " + base64(4 + 8 + 64) + "\n" + NUL for the signatures henhouse makes. */
#define HH_NOTE_SIG_LINE_MAX (4 + HH_KEY_NAME_MAX + 1 + 104 + 2)

struct hh_note_sig {
    char name[HH_KEY_NAME_MAX + 1];
    uint32_t key_id;
    const uint8_t *sig; /* the bytes after the key id, into the note's storage */
    size_t sig_len;
};

struct hh_note {
    char *text; /* the signed text, ending in '\n', NUL-terminated (not counted) */
    size_t text_len;
    struct hh_note_sig *sigs;
    size_t nsigs;
};

/* One signature that verified: which key, and for cosignatures the timestamp. */
struct hh_note_verified {
    size_t key_index;   /* into the keys array given to hh_note_verify */
    uint64_t timestamp; /* cosignature/v1 time; 0 for plain Ed25519 */
};

/* Parses a signed note. *out is freed with hh_note_free. */
hh_status hh_note_parse(const char *buf, size_t len, struct hh_note **out,
                        struct hh_error *err) HH_MUST_CHECK;
void hh_note_free(struct hh_note *n);

/*
 * Verifies n against keys[0..nkeys). Every signature by a known key is
 * checked. On HH_OK at least one key verified and out[0..*nout) lists each
 * key that verified once, however many lines it signed (out_cap entries at
 * most; more are verified but not listed). HH_ERR_VERIFY when none is known
 * or a known signature fails.
 */
hh_status hh_note_verify(const struct hh_note *n, const struct hh_verifier *keys, size_t nkeys,
                         struct hh_note_verified *out, size_t out_cap, size_t *nout,
                         struct hh_error *err) HH_MUST_CHECK;

/*
 * Writes one signature line over text[0..len) (which must be valid note text)
 * into line (HH_NOTE_SIG_LINE_MAX bytes), NUL-terminated. For a 0x04 signer
 * this is a cosignature/v1 with the given timestamp; otherwise timestamp is
 * ignored.
 */
hh_status hh_note_sign_line(const struct hh_signer *s, const char *text, size_t len,
                            uint64_t timestamp, char *line, size_t cap) HH_MUST_CHECK;

/*
 * Signs text[0..len) as a whole note: text, blank line, one signature line.
 * Only for Ed25519 (0x01) signers; cosignatures use hh_note_sign_line.
 * *out is malloc'd, NUL-terminated, freed by the caller with free().
 */
hh_status hh_note_sign(const struct hh_signer *s, const char *text, size_t len, char **out,
                       size_t *outlen, struct hh_error *err) HH_MUST_CHECK;

/* Checks that text[0..len) is valid note text (UTF-8, no controls but '\n', ends in '\n'). */
hh_status hh_note_text_check(const char *text, size_t len, struct hh_error *err) HH_MUST_CHECK;

#endif
