/* TFRecord framing: the FORMAT.md section 5 vector and the golden file. */
#include <stdlib.h>
#include <string.h>

#include "benprep/tfrecord.h"
#include "common/crc32c.h"
#include "unit_util.h"

static const char *const vector_payload = "0a0c0a0a0a016b12051a030a0105";
static const char *const vector_framed =
    "0e00000000000000 c5e5693f 0a0c0a0a0a016b12051a030a0105 abbd6621";

static void test_constants(void)
{
    CU_ASSERT_EQUAL(BP_TFRECORD_HEADER, 12);
    CU_ASSERT_EQUAL(BP_TFRECORD_FOOTER, 4);
    CU_ASSERT_EQUAL(BP_TFRECORD_OVERHEAD, 16);
}

static void test_vector_frame(void)
{
    uint8_t payload[14], want[30], out[30 + 8];
    CU_ASSERT_EQUAL_FATAL(unit_unhex(vector_payload, payload, sizeof payload), 14);
    CU_ASSERT_EQUAL_FATAL(unit_unhex(vector_framed, want, sizeof want), 30);
    memset(out, 0xEE, sizeof out);
    CU_ASSERT_EQUAL(bp_tfrecord_frame(payload, 14, out), 30);
    CU_ASSERT(memcmp(out, want, 30) == 0);
    /* Nothing written past the record. */
    for (size_t i = 30; i < sizeof out; i++)
        CU_ASSERT_EQUAL(out[i], 0xEE);
    /* The source data is left alone. */
    uint8_t again[14];
    unit_unhex(vector_payload, again, sizeof again);
    CU_ASSERT(memcmp(payload, again, 14) == 0);
}

static void test_vector_frame_in_place(void)
{
    uint8_t want[30], buf[30 + 8];
    CU_ASSERT_EQUAL_FATAL(unit_unhex(vector_framed, want, sizeof want), 30);
    memset(buf, 0xEE, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(
        unit_unhex(vector_payload, buf + BP_TFRECORD_HEADER, 14), 14);
    uint32_t crc = 0;
    CU_ASSERT_EQUAL(bp_tfrecord_frame_in_place(buf, 14, &crc), 30);
    CU_ASSERT(memcmp(buf, want, 30) == 0);
    /* The framed record's CRC equals one computed over its bytes. */
    CU_ASSERT_EQUAL(crc, bp_crc32c(want, 30));
    for (size_t i = 30; i < sizeof buf; i++)
        CU_ASSERT_EQUAL(buf[i], 0xEE);
}

static void test_empty_record(void)
{
    /* Length 0: header CRC over eight zero bytes, data CRC of nothing
     * (mask(0) = 0xA282EAD8). */
    uint8_t out[16], want[16];
    CU_ASSERT_EQUAL_FATAL(
        unit_unhex("0000000000000000 29039807 d8ea82a2", want, sizeof want), 16);
    CU_ASSERT_EQUAL(bp_tfrecord_frame("", 0, out), 16);
    CU_ASSERT(memcmp(out, want, 16) == 0);
}

/* Re-framing every golden payload reproduces the golden file exactly, with
 * both framing calls. */
static void test_golden_reframe(void)
{
    struct unit_golden g;
    CU_ASSERT_EQUAL_FATAL(unit_golden_load(&g), 0);
    CU_ASSERT_EQUAL(g.n, 6);
    uint8_t *out = malloc(g.len + 16);
    uint8_t *inplace = malloc(g.len + 16);
    CU_ASSERT_FATAL(out && inplace);
    size_t pos = 0, pos2 = 0;
    for (size_t i = 0; i < g.n; i++) {
        const uint8_t *payload = unit_golden_payload(&g, i);
        CU_ASSERT_EQUAL(pos, g.off[i]);
        pos += bp_tfrecord_frame(payload, g.payload[i], out + pos);
        memcpy(inplace + pos2 + BP_TFRECORD_HEADER, payload, g.payload[i]);
        uint32_t crc = 0;
        size_t n = bp_tfrecord_frame_in_place(inplace + pos2, g.payload[i], &crc);
        CU_ASSERT_EQUAL(crc, bp_crc32c(inplace + pos2, n));
        pos2 += n;
    }
    CU_ASSERT_EQUAL(pos, g.len);
    CU_ASSERT_EQUAL(pos2, g.len);
    CU_ASSERT(pos == g.len && memcmp(out, g.file, g.len) == 0);
    CU_ASSERT(pos2 == g.len && memcmp(inplace, g.file, g.len) == 0);
    free(out);
    free(inplace);
    unit_golden_free(&g);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"header and footer sizes", test_constants},
        {"FORMAT.md vector, bp_tfrecord_frame", test_vector_frame},
        {"FORMAT.md vector, in place", test_vector_frame_in_place},
        {"empty record", test_empty_record},
        {"golden file re-framed byte for byte", test_golden_reframe},
        {NULL, NULL}};
    return unit_main("tfrecord", tests);
}
