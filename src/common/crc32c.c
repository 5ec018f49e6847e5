/* CRC-32C: hardware instruction where present, slicing-by-8 elsewhere. */
#include "common/crc32c.h"

#include <string.h>

#define POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t table[8][256];

/* Built before main() so the table is ready and never written concurrently. */
__attribute__((constructor)) static void crc32c_init_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][n] = c;
        }
    }
}

uint32_t bp_crc32c_extend_portable(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        len--;
    }
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= c;
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
            table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
            table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
            table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_HW_PATH 1
#define HW_NAME "sse4.2"

__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

static int hw_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define HAVE_HW_PATH 1
#define HW_NAME "armv8-crc"

static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = __crc32cb(c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __crc32cd(c, v);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = __crc32cb(c, *p++);
    return ~c;
}

static int hw_available(void) { return 1; }
#endif

#ifdef HAVE_HW_PATH
static int use_hw = -1;

uint32_t bp_crc32c_extend(uint32_t crc, const void *data, size_t len)
{
    if (use_hw < 0)
        use_hw = hw_available();
    return use_hw ? crc32c_hw(crc, data, len)
                  : bp_crc32c_extend_portable(crc, data, len);
}

const char *bp_crc32c_implementation(void)
{
    if (use_hw < 0)
        use_hw = hw_available();
    return use_hw ? HW_NAME : "table";
}
#else
uint32_t bp_crc32c_extend(uint32_t crc, const void *data, size_t len)
{
    return bp_crc32c_extend_portable(crc, data, len);
}

const char *bp_crc32c_implementation(void) { return "table"; }
#endif

/* Combining: the CRC of A||B from crc(A), crc(B) and |B|, as polynomial
 * arithmetic modulo the (reflected) CRC polynomial: crc(A) times x^(8|B|)
 * plus crc(B). The pre- and post-inversion cancel out. */

/* a * b mod P, both in reflected form (bit 31 is x^0). */
static uint32_t multmodp(uint32_t a, uint32_t b)
{
    uint32_t m = 1u << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
    }
    return p;
}

/* x^(2^k) mod P for k = 0..63, built with the table below. */
static uint32_t x2n_table[64];

__attribute__((constructor)) static void crc32c_init_x2n(void)
{
    uint32_t p = 1u << 30; /* x^1 */
    x2n_table[0] = p;
    for (int k = 1; k < 64; k++)
        x2n_table[k] = p = multmodp(p, p);
}

uint32_t bp_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    /* x^(8 * len2) mod P: the bits of len2, shifted by 3, pick powers. */
    uint32_t p = 1u << 31; /* x^0 */
    for (int k = 3; len2; len2 >>= 1, k++)
        if (len2 & 1)
            p = multmodp(x2n_table[k & 63], p);
    return multmodp(p, crc1) ^ crc2;
}
