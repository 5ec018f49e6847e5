/* CRC-32C: known vectors, incremental use, hardware vs table path, mask. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "unit_util.h"

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rng() >> 56);
}

static void test_check_value(void)
{
    /* The CRC-32C catalogue check value. */
    CU_ASSERT_EQUAL(bp_crc32c("123456789", 9), 0xE3069283u);
    CU_ASSERT_EQUAL(bp_crc32c_extend(0, "123456789", 9), 0xE3069283u);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, "123456789", 9), 0xE3069283u);
    /* Not zlib's CRC-32 (0xCBF43926 for the same input). */
    CU_ASSERT_NOT_EQUAL(bp_crc32c("123456789", 9), 0xCBF43926u);
}

static void test_empty(void)
{
    CU_ASSERT_EQUAL(bp_crc32c("", 0), 0u);
    CU_ASSERT_EQUAL(bp_crc32c(NULL, 0), 0u);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, "", 0), 0u);
    /* Extending by nothing leaves any CRC as it is. */
    CU_ASSERT_EQUAL(bp_crc32c_extend(0xE3069283u, "", 0), 0xE3069283u);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0x12345678u, "", 0), 0x12345678u);
}

/* RFC 3720 (iSCSI) appendix B.4 vectors. */
static void test_rfc3720_vectors(void)
{
    uint8_t buf[48];
    memset(buf, 0, 32);
    CU_ASSERT_EQUAL(bp_crc32c(buf, 32), 0x8A9136AAu);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xFF, 32);
    CU_ASSERT_EQUAL(bp_crc32c(buf, 32), 0x62A8AB43u);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    CU_ASSERT_EQUAL(bp_crc32c(buf, 32), 0x46DD794Eu);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    CU_ASSERT_EQUAL(bp_crc32c(buf, 32), 0x113FDB5Cu);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, buf, 32), 0x113FDB5Cu);
    /* The iSCSI read command PDU. */
    size_t n = unit_unhex("01c00000000000000000000000000000"
                          "14000000000004000000001400000018"
                          "28000000000000000200000000000000",
                          buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(n, 48);
    CU_ASSERT_EQUAL(bp_crc32c(buf, 48), 0xD9963A56u);
    CU_ASSERT_EQUAL(bp_crc32c_extend_portable(0, buf, 48), 0xD9963A56u);
}

/* Feeding a buffer in two or three pieces gives the one-pass CRC, for every
 * split point and for starts at every alignment. */
static void test_extend_pieces(void)
{
    enum { LEN = 300, PAD = 8 };
    uint8_t *mem = malloc(LEN + PAD);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
    size_t bad2 = 0, bad3 = 0, badp = 0;
    for (size_t start = 0; start < PAD; start++) {
        uint8_t *buf = mem + start;
        fill_random(buf, LEN);
        uint32_t whole = bp_crc32c(buf, LEN);
        if (whole != bp_crc32c_extend_portable(0, buf, LEN))
            badp++;
        for (size_t cut = 0; cut <= LEN; cut++) {
            uint32_t c = bp_crc32c_extend(0, buf, cut);
            if (bp_crc32c_extend(c, buf + cut, LEN - cut) != whole)
                bad2++;
            uint32_t p = bp_crc32c_extend_portable(0, buf, cut);
            if (bp_crc32c_extend_portable(p, buf + cut, LEN - cut) != whole)
                badp++;
        }
        for (size_t a = 0; a <= LEN; a += 7)
            for (size_t b = a; b <= LEN; b += 13) {
                uint32_t c = bp_crc32c_extend(0, buf, a);
                c = bp_crc32c_extend(c, buf + a, b - a);
                if (bp_crc32c_extend(c, buf + b, LEN - b) != whole)
                    bad3++;
            }
    }
    CU_ASSERT_EQUAL(bad2, 0);
    CU_ASSERT_EQUAL(bad3, 0);
    CU_ASSERT_EQUAL(badp, 0);
    /* One byte at a time, too. */
    const char *s = "123456789";
    uint32_t c = 0;
    for (int i = 0; i < 9; i++)
        c = bp_crc32c_extend(c, s + i, 1);
    CU_ASSERT_EQUAL(c, 0xE3069283u);
    free(mem);
}

/* The path bp_crc32c_extend takes (hardware where present) equals the table
 * implementation for every length 0..4096 at all 8 alignments, from 0 and
 * from a running CRC. */
static void test_hw_equals_portable(void)
{
    enum { MAXLEN = 4096, PAD = 8 };
    printf("\n  (bp_crc32c_extend uses \"%s\") ", bp_crc32c_implementation());
    const char *impl = bp_crc32c_implementation();
    CU_ASSERT(strcmp(impl, "sse4.2") == 0 || strcmp(impl, "armv8-crc") == 0 ||
              strcmp(impl, "table") == 0);
    uint8_t *mem = malloc(MAXLEN + PAD);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
    fill_random(mem, MAXLEN + PAD);
    for (size_t align = 0; align < PAD; align++) {
        size_t bad = 0, first_bad = (size_t)-1;
        for (size_t len = 0; len <= MAXLEN; len++) {
            uint32_t seed = len & 1 ? (uint32_t)rng() : 0;
            uint32_t hw = bp_crc32c_extend(seed, mem + align, len);
            uint32_t sw = bp_crc32c_extend_portable(seed, mem + align, len);
            if (hw != sw) {
                if (!bad)
                    first_bad = len;
                bad++;
            }
        }
        if (bad)
            printf("\n  alignment %zu: %zu lengths differ, first %zu ", align,
                   bad, first_bad);
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(mem);
}

static void test_combine(void)
{
    /* crc(A||B) from crc(A), crc(B), |B|: every split of a buffer, and
     * lengths in the range of records (hundreds of KB). */
    static unsigned char buf[300000];
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char)(seed >> 16);
    }
    uint32_t whole = bp_crc32c(buf, 200);
    for (size_t cut = 0; cut <= 200; cut++)
        CU_ASSERT_EQUAL(bp_crc32c_combine(bp_crc32c(buf, cut),
                                          bp_crc32c(buf + cut, 200 - cut),
                                          200 - cut),
                        whole);
    size_t cuts[] = {1, 12, 4096, 100000, 275042};
    whole = bp_crc32c(buf, sizeof buf);
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t cut = cuts[k];
        CU_ASSERT_EQUAL(bp_crc32c_combine(bp_crc32c(buf, cut),
                                          bp_crc32c(buf + cut, sizeof buf - cut),
                                          sizeof buf - cut),
                        whole);
    }
    /* An empty B changes nothing. */
    CU_ASSERT_EQUAL(bp_crc32c_combine(0xE3069283u, 0, 0), 0xE3069283u);
}

static void test_mask(void)
{
    /* ((crc >> 15) | (crc << 17)) + 0xA282EAD8, on values worked by hand. */
    CU_ASSERT_EQUAL(bp_crc32c_mask(0), 0xA282EAD8u);
    CU_ASSERT_EQUAL(bp_crc32c_mask(1), 0xA284EAD8u);           /* 1 << 17 */
    CU_ASSERT_EQUAL(bp_crc32c_mask(0x8000u), 0xA282EAD9u);     /* 1 << 0 */
    CU_ASSERT_EQUAL(bp_crc32c_mask(0xFFFFFFFFu), 0xA282EAD7u); /* wraps */
    CU_ASSERT_EQUAL(bp_crc32c_mask(0xE3069283u), 0xC78AB0E5u);
    /* FORMAT.md section 5: the two CRCs of the framing vector, as stored
     * little-endian in the record: c5e5693f and abbd6621. */
    uint8_t len8[8] = {0x0e, 0, 0, 0, 0, 0, 0, 0};
    CU_ASSERT_EQUAL(bp_crc32c_mask(bp_crc32c(len8, 8)), 0x3F69E5C5u);
    uint8_t payload[14];
    CU_ASSERT_EQUAL_FATAL(
        unit_unhex("0a0c0a0a0a016b12051a030a0105", payload, sizeof payload), 14);
    CU_ASSERT_EQUAL(bp_crc32c_mask(bp_crc32c(payload, 14)), 0x2166BDABu);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"check value of \"123456789\"", test_check_value},
        {"empty input", test_empty},
        {"RFC 3720 vectors", test_rfc3720_vectors},
        {"extend over pieces equals one pass", test_extend_pieces},
        {"hardware path equals portable path", test_hw_equals_portable},
        {"combining CRCs of pieces", test_combine},
        {"TFRecord mask", test_mask},
        {NULL, NULL}};
    return unit_main("crc32c", tests);
}
