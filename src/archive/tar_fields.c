/* tar_fields.c - the fields of a tar header block: numbers, checksum,
 * names for messages, and what kind of header a block is (see
 * tar_fields.h). */
#include "tar_fields.h"

#include <string.h>

/* A header field for messages: printable bytes up to the first NUL. */
void bpx_tar_field_text(char *dst, size_t cap, const unsigned char *p,
                        size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && p[i] && j + 1 < cap; i++)
        dst[j++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    dst[j] = '\0';
}

/* A numeric field: octal digits (leading spaces, then a space or NUL or the
 * field's end), or GNU base-256 when the first byte has its top bit set.
 * 0 with *v, or -1. */
int bpx_tar_number(const unsigned char *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (p[0] & 0x80) {
        if (p[0] != 0x80)
            return -1; /* negative, or a sign byte we do not know */
        for (size_t i = 1; i < n; i++) {
            if (x >> 55)
                return -1;
            x = x << 8 | p[i];
        }
        *v = x;
        return 0;
    }
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\0'))
        i++;
    if (i == n) {
        *v = 0; /* an empty field (some tools leave unused ones so) */
        return 0;
    }
    size_t digits = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++) {
        if (x >> 60)
            return -1;
        x = x << 3 | (uint64_t)(p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return -1;
    if (!digits)
        return -1;
    *v = x;
    return 0;
}

/* 0 when the checksum field matches the unsigned (or old signed) sum, -1
 * when it does not, -2 when the field is not a number. */
int bpx_tar_check_sum(const unsigned char *h, uint64_t *stored,
                      uint64_t *computed)
{
    uint64_t usum = 0;
    int64_t ssum = 0;
    for (size_t i = 0; i < BPX_TAR_BLOCK; i++) {
        unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
        usum += c;
        ssum += (signed char)c;
    }
    *computed = usum;
    *stored = 0;
    if (bpx_tar_number(h + 148, 8, stored) != 0)
        return -2;
    return *stored == usum || (int64_t)*stored == ssum ? 0 : -1;
}

int bpx_tar_zero_block(const unsigned char *h)
{
    for (size_t i = 0; i < BPX_TAR_BLOCK; i++)
        if (h[i])
            return 0;
    return 1;
}

static int has_ustar_magic(const unsigned char *h)
{
    return memcmp(h + 257, "ustar", 5) == 0;
}

int bpx_tar_header_kind(const unsigned char block[BPX_TAR_BLOCK])
{
    uint64_t stored, computed, size;
    if (bpx_tar_zero_block(block) ||
        bpx_tar_check_sum(block, &stored, &computed) != 0)
        return 0;
    if (has_ustar_magic(block))
        return 2;
    if (!block[0] || bpx_tar_number(block + 124, 12, &size) != 0)
        return 0;
    for (size_t i = 0; i < 100 && block[i]; i++)
        if (block[i] < 0x20)
            return 0;
    return 1;
}
