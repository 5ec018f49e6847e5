/*
 * libFuzzer target: the split CSV reader and the planner behind it.
 *
 * Any bytes may come in; the parser must either reject them (BP_CSV) or
 * return rows whose names are usable folder names, with increasing line
 * numbers, that the planner then covers exactly once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/csv.h"
#include "benprep/log.h"
#include "benprep/plan.h"
#include "benprep/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bp_log_setup(0, -1); /* the parser's messages would drown the fuzzer */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct bp_split s;
    int rc = bp_split_parse("fuzz.csv", text, size, &s);
    if (rc != BP_OK) {
        if (rc != BP_CSV && rc != BP_NOMEM)
            abort();
        if (s.rows || s.text || s.nrows)
            abort(); /* a rejected split holds nothing */
        return 0;
    }
    uint32_t last_line = 0;
    for (size_t i = 0; i < s.nrows; i++) {
        const char *s2 = bp_row_s2(&s, i), *s1 = bp_row_s1(&s, i);
        if (bp_name_problem(s2, strlen(s2)))
            abort();
        /* S2-only files (one column) have no S1 names. */
        if (s.columns == 2 ? bp_name_problem(s1, strlen(s1)) != NULL : *s1 != '\0')
            abort();
        if (s.rows[i].line <= last_line)
            abort();
        last_line = s.rows[i].line;
    }
    uint32_t rps = 1 + (size ? data[0] % 7 : 0);
    struct bp_plan plan;
    if (bp_plan_build(&s, 1, rps, &plan) == BP_OK) {
        uint64_t next = 0;
        for (size_t c = 0; c < plan.nchunks; c++) {
            if (plan.chunks[c].first != next || plan.chunks[c].count == 0 ||
                plan.chunks[c].count > rps)
                abort();
            next += plan.chunks[c].count;
        }
        if (next != s.nrows)
            abort();
        bp_plan_free(&plan);
    }
    (void)bp_plan_check_unique(&s, 1);
    bp_split_free(&s);
    return 0;
}
