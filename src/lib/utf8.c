/*
 * utf8.c - strict UTF-8 decoding (RFC 3629).
 *
 * A sequence is accepted only in its shortest form, never encodes a
 * surrogate (U+D800-DFFF) and never exceeds U+10FFFF; nothing is read past
 * the given length.
 */
#include "utf8.h"

/* The smallest code point that needs n bytes, to refuse overlong forms. */
static const uint32_t utf8_min[5] = {0, 0, 0x80, 0x800, 0x10000};

/* The sequence length announced by a lead byte, or 0 for a bad lead byte. */
static size_t utf8_seq_len(uint8_t b)
{
    if (b < 0x80)
        return 1;
    if ((b & 0xE0) == 0xC0)
        return 2;
    if ((b & 0xF0) == 0xE0)
        return 3;
    if ((b & 0xF8) == 0xF0)
        return 4;
    return 0;
}

size_t hh_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
    static const uint8_t lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    size_t n;
    uint32_t v;

    *cp = 0;
    if (len == 0)
        return 0;
    n = utf8_seq_len(s[0]);
    if (n == 0 || n > len)
        return 0;
    v = s[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < utf8_min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

bool hh_utf8_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

bool hh_utf8_is_space(uint32_t cp)
{
    switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}
