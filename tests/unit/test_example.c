/* tf.train.Example encoding: FORMAT.md section 4 vectors, varint widths,
 * size/encode agreement and the 6 real sample pairs against the golden
 * records written by the official protobuf library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/example.h"
#include "benprep/labels.h"
#include "benprep/patch.h"
#include "benprep/record.h"
#include "benprep/status.h"
#include "unit_util.h"

#define GUARD 32
#define GUARD_BYTE 0xA5

/* Encode one Feature into a guarded buffer, check that the size function
 * and the bytes written agree and nothing past them was touched, and
 * compare with the expected hex. */
static void check_feature(struct bp_feature *f, const char *hex)
{
    uint8_t want[256], buf[256 + GUARD];
    size_t wantlen = unit_unhex(hex, want, sizeof want);
    CU_ASSERT_FATAL(wantlen != (size_t)-1);
    size_t size = bp_feature_size(f);
    CU_ASSERT_EQUAL(size, wantlen);
    CU_ASSERT_FATAL(size <= 256);
    memset(buf, GUARD_BYTE, sizeof buf);
    uint8_t *end = bp_feature_encode(f, buf);
    CU_ASSERT_EQUAL((size_t)(end - buf), size);
    CU_ASSERT(size == wantlen && memcmp(buf, want, wantlen) == 0);
    size_t untouched = 0;
    for (size_t i = size; i < size + GUARD; i++)
        untouched += buf[i] == GUARD_BYTE;
    CU_ASSERT_EQUAL(untouched, GUARD);
}

static void check_example(struct bp_feature *f, size_t n, const char *hex)
{
    uint8_t want[512], buf[512 + GUARD];
    size_t wantlen = unit_unhex(hex, want, sizeof want);
    CU_ASSERT_FATAL(wantlen != (size_t)-1);
    size_t size = bp_example_size(f, n);
    CU_ASSERT_EQUAL(size, wantlen);
    CU_ASSERT_FATAL(size <= 512);
    memset(buf, GUARD_BYTE, sizeof buf);
    size_t wrote = bp_example_encode(f, n, buf);
    CU_ASSERT_EQUAL(wrote, size);
    CU_ASSERT(wrote == wantlen && memcmp(buf, want, wantlen) == 0);
    size_t untouched = 0;
    for (size_t i = size; i < size + GUARD; i++)
        untouched += buf[i] == GUARD_BYTE;
    CU_ASSERT_EQUAL(untouched, GUARD);
}

static void test_int64_vector(void)
{
    const int64_t v[] = {0, 1, 300};
    struct bp_feature f = {"x", BP_VALUES_I64, 3, v, 0};
    check_feature(&f, "1a060a040001ac02");
}

static void test_int64_vector_from_u16(void)
{
    const uint16_t v[] = {0, 1, 300};
    struct bp_feature f = {"x", BP_VALUES_U16, 3, v, 0};
    check_feature(&f, "1a060a040001ac02");
}

static void test_int64_vector_from_u8(void)
{
    const uint8_t v[] = {0, 1, 1, 0};
    struct bp_feature f = {"x", BP_VALUES_U8, 4, v, 0};
    check_feature(&f, "1a060a0400010100");
}

static void test_float_vector(void)
{
    const float v[] = {1.0f, -2.5f};
    struct bp_feature f = {"x", BP_VALUES_F32, 2, v, 0};
    check_feature(&f, "120a0a080000803f000020c0");
}

static void test_float_bit_exact(void)
{
    /* NaN payloads, -0 and denormals pass through unchanged. */
    const uint32_t bits[] = {0x7FC00001u, 0x80000000u, 0x00000001u, 0xFF800000u};
    float v[4];
    memcpy(v, bits, sizeof v);
    struct bp_feature f = {"x", BP_VALUES_F32, 4, v, 0};
    check_feature(&f, "12120a10" "0100c07f" "00000080" "01000000" "000080ff");
}

static void test_bytes_vector(void)
{
    const struct bp_bytes v[] = {{"ab", 2}, {"c", 1}};
    struct bp_feature f = {"x", BP_VALUES_BYTES, 2, v, 0};
    check_feature(&f, "0a070a0261620a0163");
}

static void test_empty_lists(void)
{
    struct bp_feature b = {"x", BP_VALUES_BYTES, 0, NULL, 0};
    check_feature(&b, "0a00");
    /* protobuf writes nothing for an empty packed field. */
    struct bp_feature i = {"x", BP_VALUES_I64, 0, NULL, 0};
    check_feature(&i, "1a00");
    struct bp_feature u = {"x", BP_VALUES_U16, 0, NULL, 0};
    check_feature(&u, "1a00");
    struct bp_feature fl = {"x", BP_VALUES_F32, 0, NULL, 0};
    check_feature(&fl, "1200");
    /* An empty string inside a bytes list is kept. */
    const struct bp_bytes e[] = {{"", 0}};
    struct bp_feature be = {"x", BP_VALUES_BYTES, 1, e, 0};
    check_feature(&be, "0a020a00");
}

static void test_example_vector(void)
{
    const int64_t v[] = {5};
    struct bp_feature f = {"k", BP_VALUES_I64, 1, v, 0};
    check_example(&f, 1, "0a0c0a0a0a016b12051a030a0105");
    /* The same with the value as uint16. */
    const uint16_t u[] = {5};
    struct bp_feature g = {"k", BP_VALUES_U16, 1, u, 0};
    check_example(&g, 1, "0a0c0a0a0a016b12051a030a0105");
}

static void test_example_two_features(void)
{
    /* Entries in array order, each a complete map entry. */
    const struct bp_bytes n[] = {{"ab", 2}};
    const float fl[] = {1.0f};
    struct bp_feature f[2] = {{"a", BP_VALUES_BYTES, 1, n, 0},
                              {"bb", BP_VALUES_F32, 1, fl, 0}};
    check_example(f, 2,
                  "0a1d"
                  "0a0b0a01611206" "0a040a026162"
                  "0a0e0a0262621208" "12060a040000803f");
    /* No feature at all: an empty Features message. */
    check_example(NULL, 0, "0a00");
}

/* Varint widths of uint16 values at the 1/2/3-byte boundaries; the U16 fast
 * path must agree with the generic int64 path and the hand-made bytes. */
static void test_u16_varint_widths(void)
{
    static const struct {
        uint16_t v;
        const char *hex;
    } cases[] = {{0, "00"},          {127, "7f"},       {128, "8001"},
                 {255, "ff01"},      {16383, "ff7f"},   {16384, "808001"},
                 {32768, "808002"},  {65535, "ffff03"}};
    char hex[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t w = strlen(cases[i].hex) / 2;
        /* Feature{int64_list{value packed}}: 1a L+2 0a L <varint> */
        snprintf(hex, sizeof hex, "1a%02zx0a%02zx%s", w + 2, w, cases[i].hex);
        struct bp_feature u = {"x", BP_VALUES_U16, 1, &cases[i].v, 0};
        check_feature(&u, hex);
        int64_t v64 = cases[i].v;
        struct bp_feature l = {"x", BP_VALUES_I64, 1, &v64, 0};
        check_feature(&l, hex);
    }
    /* All of them in one list: 1+1+2+2+2+3+3+3 = 17 payload bytes. */
    uint16_t all[8];
    for (size_t i = 0; i < 8; i++)
        all[i] = cases[i].v;
    struct bp_feature f = {"x", BP_VALUES_U16, 8, all, 0};
    check_feature(&f, "1a130a11007f8001ff01ff7f808001808002ffff03");
}

/* Long lists: sizes with multi-byte length varints agree with the bytes
 * written, and U16 equals I64 for every uint16 value. */
static void test_u16_all_values(void)
{
    size_t n = 65536;
    uint16_t *u = malloc(n * sizeof *u);
    int64_t *l = malloc(n * sizeof *l);
    size_t cap = 4 * n + 64;
    uint8_t *a = malloc(cap), *b = malloc(cap);
    CU_ASSERT_FATAL(u && l && a && b);
    for (size_t i = 0; i < n; i++) {
        u[i] = (uint16_t)(n - 1 - i);
        l[i] = (int64_t)(n - 1 - i);
    }
    struct bp_feature fu = {"x", BP_VALUES_U16, n, u, 0};
    struct bp_feature fl = {"x", BP_VALUES_I64, n, l, 0};
    size_t su = bp_feature_size(&fu), sl = bp_feature_size(&fl);
    /* 128 one-byte, 16256 two-byte, 49152 three-byte values. */
    size_t payload = 128 + 2 * 16256 + 3 * 49152;
    CU_ASSERT_EQUAL(fu.list_len, payload);
    /* 1a <len3> 0a <len3> payload */
    CU_ASSERT_EQUAL(su, payload + 8);
    CU_ASSERT_EQUAL(sl, su);
    CU_ASSERT_FATAL(su <= cap);
    CU_ASSERT_EQUAL((size_t)(bp_feature_encode(&fu, a) - a), su);
    CU_ASSERT_EQUAL((size_t)(bp_feature_encode(&fl, b) - b), sl);
    CU_ASSERT(memcmp(a, b, su) == 0);
    free(u);
    free(l);
    free(a);
    free(b);
}

/* ---- The real sample pairs against the golden records. ---- */

struct expected_row {
    char s2[64], s1[64], list[64], labels[512], multi_hot[32];
};

static size_t load_expected(struct expected_row *rows, size_t max)
{
    size_t len;
    char *text = (char *)unit_read_file(
        UNIT_DATA("bigearthnet-v1-sample/expected.tsv"), &len);
    if (!text)
        return 0;
    size_t n = 0;
    char *save = NULL;
    int header = 1;
    for (char *line = strtok_r(text, "\r\n", &save); line && n < max;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (header) {
            header = 0;
            continue;
        }
        char *f[5];
        char *p = line;
        int k;
        for (k = 0; k < 5 && p; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        if (k != 5)
            continue;
        snprintf(rows[n].s2, sizeof rows[n].s2, "%s", f[0]);
        snprintf(rows[n].s1, sizeof rows[n].s1, "%s", f[1]);
        snprintf(rows[n].list, sizeof rows[n].list, "%s", f[2]);
        snprintf(rows[n].labels, sizeof rows[n].labels, "%s", f[3]);
        snprintf(rows[n].multi_hot, sizeof rows[n].multi_hot, "%s", f[4]);
        n++;
    }
    free(text);
    return n;
}

static struct bp_reader *sample_reader(void)
{
    return bp_reader_new(UNIT_SAMPLE_S1, UNIT_SAMPLE_S2);
}

static void test_sample_87_48_size(void)
{
    struct bp_reader *r = sample_reader();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    struct bp_pair pair;
    struct bp_failure why = {"", ""};
    int rc = bp_reader_read(r, "S2A_MSIL2A_20170613T101031_87_48",
                            "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48",
                            &pair, &why);
    if (rc != BP_OK)
        printf("\n  %s: %s ", why.file, why.reason);
    CU_ASSERT_EQUAL(rc, BP_OK);
    if (rc == BP_OK) {
        struct bp_record rec;
        CU_ASSERT_EQUAL(bp_record_prepare(&rec, &pair), 275042);
    }
    bp_reader_free(r);
}

static void test_sample_pairs_match_golden(void)
{
    struct unit_golden g;
    CU_ASSERT_EQUAL_FATAL(unit_golden_load(&g), 0);
    CU_ASSERT_EQUAL(g.n, 6);
    CU_ASSERT_EQUAL(g.payload[0], 275042);
    CU_ASSERT_STRING_EQUAL(g.s2[0], "S2A_MSIL2A_20170613T101031_87_48");
    struct expected_row exp[16];
    size_t nexp = load_expected(exp, 16);
    CU_ASSERT_EQUAL(nexp, 6);

    struct bp_reader *r = sample_reader();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    uint8_t *buf = malloc(BP_RECORD_MAX_BYTES + GUARD);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    size_t matched = 0, checked_hot = 0;
    for (size_t i = 0; i < g.n; i++) {
        struct bp_pair pair;
        struct bp_failure why = {"", ""};
        int rc = bp_reader_read(r, g.s2[i], g.s1[i], &pair, &why);
        if (rc != BP_OK)
            printf("\n  %s: %s ", why.file, why.reason);
        CU_ASSERT_EQUAL(rc, BP_OK);
        if (rc != BP_OK)
            continue;
        CU_ASSERT_PTR_EQUAL(pair.s2_name, g.s2[i]);
        CU_ASSERT_PTR_EQUAL(pair.s1_name, g.s1[i]);

        struct bp_record rec;
        size_t size = bp_record_prepare(&rec, &pair);
        CU_ASSERT_EQUAL(size, g.payload[i]);
        CU_ASSERT(size <= BP_RECORD_MAX_BYTES);
        if (size != g.payload[i] || size > BP_RECORD_MAX_BYTES) {
            printf("\n  %s: %zu bytes, golden %zu ", g.s2[i], size, g.payload[i]);
            continue;
        }
        memset(buf, GUARD_BYTE, size + GUARD);
        bp_record_encode(&rec, buf);
        int same = memcmp(buf, unit_golden_payload(&g, i), size) == 0;
        if (!same) {
            size_t k = 0;
            while (buf[k] == unit_golden_payload(&g, i)[k])
                k++;
            printf("\n  %s: first difference at byte %zu ", g.s2[i], k);
        }
        CU_ASSERT(same);
        size_t untouched = 0;
        for (size_t k = size; k < size + GUARD; k++)
            untouched += buf[k] == GUARD_BYTE;
        CU_ASSERT_EQUAL(untouched, GUARD);
        matched += same;

        /* The 19-class multi-hot and the label names, per expected.tsv. */
        const struct expected_row *e = NULL;
        for (size_t k = 0; k < nexp; k++)
            if (strcmp(exp[k].s2, g.s2[i]) == 0)
                e = &exp[k];
        CU_ASSERT_PTR_NOT_NULL(e);
        if (!e)
            continue;
        CU_ASSERT_STRING_EQUAL(e->s1, g.s1[i]);
        CU_ASSERT_EQUAL(strlen(e->multi_hot), BP_LABELS19);
        char hot[BP_LABELS19 + 1];
        for (int k = 0; k < BP_LABELS19; k++)
            hot[k] = pair.multi_hot[k] == 1 ? '1'
                     : pair.multi_hot[k] == 0 ? '0' : '?';
        hot[BP_LABELS19] = '\0';
        CU_ASSERT_STRING_EQUAL(hot, e->multi_hot);
        checked_hot += strcmp(hot, e->multi_hot) == 0;
        /* BigEarthNet-19_labels: the names of the set classes, in order. */
        const struct bp_feature *lf = &rec.features[12];
        CU_ASSERT_STRING_EQUAL(lf->key, "BigEarthNet-19_labels");
        char joined[512] = "";
        const struct bp_bytes *names = lf->values;
        for (size_t k = 0; k < lf->count; k++) {
            if (k)
                strcat(joined, ";");
            strncat(joined, names[k].data, names[k].len);
        }
        CU_ASSERT_STRING_EQUAL(joined, e->labels);
    }
    CU_ASSERT_EQUAL(matched, 6);
    CU_ASSERT_EQUAL(checked_hot, 6);
    free(buf);
    bp_reader_free(r);
    unit_golden_free(&g);
}

/* The record's 18 keys in sorted bytewise order with the FORMAT.md types
 * and counts. */
static void test_record_layout(void)
{
    static const struct {
        const char *key;
        enum bp_value_kind kind;
        size_t count;
    } want[BP_RECORD_FEATURES] = {
        {"B01", BP_VALUES_U16, 400},    {"B02", BP_VALUES_U16, 14400},
        {"B03", BP_VALUES_U16, 14400},  {"B04", BP_VALUES_U16, 14400},
        {"B05", BP_VALUES_U16, 3600},   {"B06", BP_VALUES_U16, 3600},
        {"B07", BP_VALUES_U16, 3600},   {"B08", BP_VALUES_U16, 14400},
        {"B09", BP_VALUES_U16, 400},    {"B11", BP_VALUES_U16, 3600},
        {"B12", BP_VALUES_U16, 3600},   {"B8A", BP_VALUES_U16, 3600},
        {"BigEarthNet-19_labels", BP_VALUES_BYTES, 2},
        {"BigEarthNet-19_labels_multi_hot", BP_VALUES_U8, 19},
        {"VH", BP_VALUES_F32, 14400},   {"VV", BP_VALUES_F32, 14400},
        {"patch_name_s1", BP_VALUES_BYTES, 1},
        {"patch_name_s2", BP_VALUES_BYTES, 1}};
    struct bp_reader *r = sample_reader();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    struct bp_pair pair;
    struct bp_failure why;
    int rc = bp_reader_read(r, "S2A_MSIL2A_20170613T101031_87_48",
                            "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48",
                            &pair, &why);
    CU_ASSERT_EQUAL(rc, BP_OK);
    if (rc == BP_OK) {
        struct bp_record rec;
        bp_record_prepare(&rec, &pair);
        for (int i = 0; i < BP_RECORD_FEATURES; i++) {
            CU_ASSERT_STRING_EQUAL(rec.features[i].key, want[i].key);
            CU_ASSERT_EQUAL(rec.features[i].kind, want[i].kind);
            CU_ASSERT_EQUAL(rec.features[i].count, want[i].count);
            if (i > 0)
                CU_ASSERT(strcmp(rec.features[i - 1].key,
                                 rec.features[i].key) < 0);
        }
    }
    bp_reader_free(r);
}

/* Failure paths of the reader: a missing patch folder, and a row pairing
 * an S1 patch with the wrong S2 patch. */
static void test_reader_failures(void)
{
    struct bp_reader *r = sample_reader();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    struct bp_pair pair;
    struct bp_failure why = {"", ""};
    int rc = bp_reader_read(r, "S2A_MSIL2A_20990101T000000_1_1",
                            "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48",
                            &pair, &why);
    CU_ASSERT_EQUAL(rc, BP_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(why.file, "S2A_MSIL2A_20990101T000000_1_1"));
    CU_ASSERT(why.reason[0] != '\0');

    memset(&why, 0, sizeof why);
    rc = bp_reader_read(r, "S2A_MSIL2A_20170613T101031_87_48",
                        "S1A_IW_GRDH_1SDV_20170617T064724_29UPU_36_85", &pair,
                        &why);
    CU_ASSERT_EQUAL(rc, BP_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(why.file, "_labels_metadata.json"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why.reason, "corresponding_s2_patch"));

    /* The reader is still usable after a failure. */
    rc = bp_reader_read(r, "S2A_MSIL2A_20170613T101031_87_48",
                        "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48", &pair,
                        &why);
    CU_ASSERT_EQUAL(rc, BP_OK);
    bp_reader_free(r);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"int64 [0,1,300] (I64)", test_int64_vector},
        {"int64 [0,1,300] (U16)", test_int64_vector_from_u16},
        {"int64 from U8", test_int64_vector_from_u8},
        {"float [1.0,-2.5]", test_float_vector},
        {"float bit-exact", test_float_bit_exact},
        {"bytes [\"ab\",\"c\"]", test_bytes_vector},
        {"empty lists", test_empty_lists},
        {"Example k=[5]", test_example_vector},
        {"Example with two features and none", test_example_two_features},
        {"U16 varint widths", test_u16_varint_widths},
        {"U16 every value equals I64", test_u16_all_values},
        {"sample pair 87_48 is 275,042 bytes", test_sample_87_48_size},
        {"6 sample pairs equal the golden records", test_sample_pairs_match_golden},
        {"record keys, types and counts", test_record_layout},
        {"reader failure paths", test_reader_failures},
        {NULL, NULL}};
    return unit_main("example", tests);
}
