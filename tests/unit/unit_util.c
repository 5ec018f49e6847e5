#include "unit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

int unit_main(const char *suite, const struct unit_test *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "%s: CU_initialize_registry: %s\n", suite,
                CU_get_error_msg());
        return 2;
    }
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s) {
        fprintf(stderr, "%s: CU_add_suite: %s\n", suite, CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    for (const struct unit_test *t = tests; t->name; t++) {
        if (!CU_add_test(s, t->name, t->fn)) {
            fprintf(stderr, "%s: CU_add_test %s: %s\n", suite, t->name,
                    CU_get_error_msg());
            CU_cleanup_registry();
            return 2;
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_ErrorCode rc = CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    unsigned suites_failed = CU_get_number_of_suites_failed();
    unsigned tests_run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (rc != CUE_SUCCESS) {
        fprintf(stderr, "%s: CU_basic_run_tests: error %d\n", suite, (int)rc);
        return 2;
    }
    if (tests_run == 0) {
        fprintf(stderr, "%s: no test ran\n", suite);
        return 2;
    }
    return failures || suites_failed ? 1 : 0;
}

uint8_t *unit_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                perror(path);
                free(buf);
                buf = NULL;
            }
            break;
        }
        uint8_t *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

char *unit_textn(const char *s, size_t n)
{
    char *t = malloc(n + 1);
    if (t) {
        memcpy(t, s, n);
        t[n] = '\0';
    }
    return t;
}

char *unit_text(const char *s, size_t *len)
{
    *len = strlen(s);
    return unit_textn(s, *len);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t unit_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ')
            continue;
        int v = hexval((unsigned char)*p);
        if (v < 0)
            return (size_t)-1;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap)
            return (size_t)-1;
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 ? n : (size_t)-1;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int unit_golden_load(struct unit_golden *g)
{
    memset(g, 0, sizeof *g);
    const char *tfr = UNIT_DATA("golden/example_mm.tfrecord");
    g->file = unit_read_file(tfr, &g->len);
    if (!g->file)
        return -1;
    /* Walk the records by their length fields. */
    size_t pos = 0;
    while (pos < g->len) {
        if (g->n == UNIT_GOLDEN_MAX || g->len - pos < 16) {
            fprintf(stderr, "%s: unexpected layout at %zu\n", tfr, pos);
            goto fail;
        }
        uint64_t n = le64(g->file + pos);
        if (n > g->len - pos - 16) {
            fprintf(stderr, "%s: record at %zu runs past the end\n", tfr, pos);
            goto fail;
        }
        g->off[g->n] = pos;
        g->payload[g->n] = (size_t)n;
        g->n++;
        pos += (size_t)n + 16;
    }
    /* Cross-check with the DALI index: "<offset> <size>\n" per record. */
    size_t idxlen;
    char *idx = (char *)unit_read_file(UNIT_DATA("golden/example_mm.tfrecord.idx"),
                                       &idxlen);
    if (!idx)
        goto fail;
    size_t k = 0;
    char *save = NULL;
    for (char *line = strtok_r(idx, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), k++) {
        unsigned long long o, s;
        if (sscanf(line, "%llu %llu", &o, &s) != 2 || k >= g->n ||
            o != g->off[k] || s != g->payload[k] + 16) {
            fprintf(stderr, "golden index line %zu disagrees with the file\n",
                    k + 1);
            free(idx);
            goto fail;
        }
    }
    free(idx);
    if (k != g->n) {
        fprintf(stderr, "golden index has %zu lines for %zu records\n", k, g->n);
        goto fail;
    }
    /* The CSV: one "S2,S1\r\n" row per record, in record order. */
    size_t csvlen;
    char *csv = (char *)unit_read_file(UNIT_DATA("golden/example_mm.csv"), &csvlen);
    if (!csv)
        goto fail;
    k = 0;
    save = NULL;
    for (char *line = strtok_r(csv, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save), k++) {
        char *comma = strchr(line, ',');
        if (!comma || k >= g->n || strlen(line) >= sizeof g->s2[0]) {
            fprintf(stderr, "golden CSV line %zu unexpected\n", k + 1);
            free(csv);
            goto fail;
        }
        *comma = '\0';
        strcpy(g->s2[k], line);
        strcpy(g->s1[k], comma + 1);
    }
    free(csv);
    if (k != g->n) {
        fprintf(stderr, "golden CSV has %zu rows for %zu records\n", k, g->n);
        goto fail;
    }
    return 0;
fail:
    unit_golden_free(g);
    return -1;
}

void unit_golden_free(struct unit_golden *g)
{
    free(g->file);
    memset(g, 0, sizeof *g);
}
