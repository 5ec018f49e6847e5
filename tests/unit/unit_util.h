/*
 * unit_util.h - small helpers shared by the CUnit suites: running a suite,
 * reading reference files, hex test vectors and the golden TFRecord file.
 */
#ifndef BENPREP_UNIT_UTIL_H
#define BENPREP_UNIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#ifndef BENPREP_SHARED_DATA
#error "BENPREP_SHARED_DATA must be defined by the build"
#endif

/* A path under the shared reference data. */
#define UNIT_DATA(rel) BENPREP_SHARED_DATA "/" rel

#define UNIT_SAMPLE_S1 UNIT_DATA("bigearthnet-v1-sample/BigEarthNet-S1-v1.0")
#define UNIT_SAMPLE_S2 UNIT_DATA("bigearthnet-v1-sample/BigEarthNet-v1.0")

struct unit_test {
    const char *name;
    CU_TestFunc fn;
};

/* Register one suite of tests (array ended by {NULL, NULL}), run it with the
 * basic verbose interface and return the exit status: 0 only when every
 * assertion passed and the suite ran. */
int unit_main(const char *suite, const struct unit_test *tests);

/* Read a whole file into a malloc'd buffer of *len + 1 bytes (NUL at the
 * end). NULL when it cannot be read. */
uint8_t *unit_read_file(const char *path, size_t *len);

/* A malloc'd copy of s[0..n) with one extra NUL byte (for bp_split_parse). */
char *unit_textn(const char *s, size_t n);
char *unit_text(const char *s, size_t *len);

/* Decode hex digits (spaces ignored) into out; returns the byte count, or
 * (size_t)-1 on a bad digit, an odd count or overflow of cap. */
size_t unit_unhex(const char *hex, uint8_t *out, size_t cap);

/* The golden file golden/example_mm.tfrecord with its CSV and DALI index. */
#define UNIT_GOLDEN_MAX 16
struct unit_golden {
    uint8_t *file;
    size_t len;
    size_t n;                         /* records */
    size_t off[UNIT_GOLDEN_MAX];      /* offset of each record's header */
    size_t payload[UNIT_GOLDEN_MAX];  /* payload length of each record */
    char s2[UNIT_GOLDEN_MAX][256];    /* golden/example_mm.csv, in order */
    char s1[UNIT_GOLDEN_MAX][256];
};

/* Load it; the records are located by their length fields and checked
 * against the .idx file and the CSV's row count. 0, or -1 (printed). */
int unit_golden_load(struct unit_golden *g);
void unit_golden_free(struct unit_golden *g);

static inline const uint8_t *unit_golden_payload(const struct unit_golden *g,
                                                 size_t i)
{
    return g->file + g->off[i] + 12;
}

#endif
