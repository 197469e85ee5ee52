/*
 * utf8.h - strict UTF-8 decoding, internal to libhenhouse.
 *
 * Notes, key names and checkpoint origins must be valid UTF-8 in exactly one
 * spelling: overlong forms, UTF-16 surrogates and code points above U+10FFFF
 * are refused, so two parties never disagree on whether text is valid.
 */
#ifndef HENHOUSE_UTF8_H
#define HENHOUSE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the code point at the start of s[0..len) into *cp. Returns its
 * length (1 to 4), or 0 when the bytes there are not valid UTF-8 (or len is 0).
 */
size_t hh_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/* True for Unicode control characters: U+0000-001F and U+007F-009F. */
bool hh_utf8_is_control(uint32_t cp);

/* True for Unicode white space (the White_Space property, as Go's unicode.IsSpace). */
bool hh_utf8_is_space(uint32_t cp);

#endif
