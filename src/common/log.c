/* log.c - rank-prefixed, level-gated messages on stderr (see
 * benprep/log.h). */
#include "benprep/log.h"

#include <stdio.h>
#include <string.h>

int bp_log_threshold = BP_LOG_INFO;
static int log_rank;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void bp_log_setup(int rank, int threshold)
{
    log_rank = rank;
    bp_log_threshold = threshold;
}

void bp_log_emit(int level, const char *fmt, ...)
{
    /* Build the whole line first and write it with one call, so lines of
     * different ranks sharing a terminal do not interleave mid-line. */
    char line[2048];
    int n = snprintf(line, sizeof line, "ben-prep[%d]: %s: ", log_rank,
                     level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}
