/*
 * utf8.h - internal: recognising UTF-8, so that what goes into messages and
 * the manifest (which strict JSON parsers read as UTF-8) is UTF-8.
 */
#ifndef BENPREP_COMMON_UTF8_H
#define BENPREP_COMMON_UTF8_H

#include <stddef.h>

/* The length of the UTF-8 sequence at s[0..len) (len > 0) that encodes a
 * character of two to four bytes, or 0 when the bytes there are no such
 * sequence: ASCII, a stray continuation byte, a sequence cut short, an
 * overlong form, a surrogate or a code point past U+10FFFF. */
static inline size_t bp_utf8_sequence(const unsigned char *s, size_t len)
{
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (s[0] > 0xF4 || n == 0 || n > len)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

#endif
