/* csv.c - reading and checking split CSV files: the whole file in memory,
 * the kind of file (MM or S2-only), every row's names checked and located
 * by line (see benprep/csv.h). */
#include "benprep/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "common/crc32c.h"
#include "common/fsutil.h"

/* Errors reported per file before the rest are only counted. */
#define MAX_REPORTED 20

int bp_split_name(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    if (n == 0 || n >= size)
        return -1;
    memcpy(buf, base, n);
    buf[n] = '\0';
    return 0;
}

void bp_split_free(struct bp_split *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->path);
    free(s->text);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

/* The line at *pos of text[0..len): its start and, in *linelen, its length
 * without the line end (LF or CRLF); *pos moves to the next line. */
static char *next_line(char *text, size_t len, size_t *pos, size_t *linelen)
{
    char *start = text + *pos;
    char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && start[n - 1] == '\r')
        n--;
    *linelen = n;
    return start;
}

/* Comma-separated columns of a line: commas + 1. */
static size_t count_columns(const char *start, size_t linelen)
{
    size_t n = 1;
    for (const char *c = start;
         (c = memchr(c, ',', linelen - (size_t)(c - start))); c++)
        n++;
    return n;
}

/* The kind of file: the column count most rows have, "S2name,S1name" (MM,
 * 2) or "S2name" (S2-only, 1); MM when they are as many; 0 without rows.
 * So a bad first row is reported as the bad row, not every row after it.
 * Lines are counted from pos; *nonblank gets the lines that may be rows. */
static int majority_columns(char *text, size_t len, size_t pos,
                            size_t *nonblank)
{
    size_t with[3] = {0, 0, 0}; /* lines of 1 and 2 columns */
    *nonblank = 0;
    for (size_t p = pos; p < len;) {
        size_t linelen;
        const char *start = next_line(text, len, &p, &linelen);
        size_t ncols = count_columns(start, linelen);
        if (linelen > 0 && ncols <= 2)
            with[ncols]++;
        *nonblank += linelen > 0;
    }
    if (with[1] + with[2])
        return with[1] > with[2] ? 1 : 2;
    return 0;
}

/* What is wrong with a row start[0..linelen) of a file of columns columns,
 * or NULL; detail (size bytes) then says more, or where. */
static const char *row_problem(const char *start, size_t linelen, int columns,
                               char *detail, size_t size)
{
    const char *comma = memchr(start, ',', linelen);
    size_t ncols = count_columns(start, linelen);
    if (memchr(start, '\r', linelen))
        /* Lines ended by CR alone (classic Mac OS) make the whole file one
         * line: say so, not that it has too many columns. */
        return "the line endings are CR only (a carriage return without a "
               "line feed); save the file with LF or CRLF line endings";
    if (ncols != (size_t)(columns ? columns : 2)) {
        snprintf(detail, size, " (%zu, expected %s)", ncols,
                 columns == 1 ? "1: S2name, as most rows have"
                              : "2: S2name,S1name");
        return "wrong number of columns";
    }
    size_t s2len = comma ? (size_t)(comma - start) : linelen;
    const char *p2 = bp_name_problem(start, s2len);
    if (p2) {
        snprintf(detail, size, " in the S2 column");
        return p2;
    }
    const char *p1 = comma ? bp_name_problem(comma + 1, linelen - s2len - 1)
                           : NULL;
    if (p1)
        snprintf(detail, size, " in the S1 column");
    return p1;
}

/* Every row from pos on into out->rows, names NUL-terminated in place;
 * blank lines skipped with a warning, malformed ones reported (the first
 * MAX_REPORTED) and counted. Returns the number of malformed rows. */
static size_t parse_rows(const char *path, char *text, size_t len, size_t pos,
                         struct bp_split *out)
{
    size_t errors = 0, blanks = 0;
    for (uint32_t line = 1; pos < len; line++) {
        size_t linelen;
        char *start = next_line(text, len, &pos, &linelen);
        start[linelen] = '\0';
        if (linelen == 0) {
            if (blanks++ < MAX_REPORTED)
                BP_WARN("%s line %u: skipping a blank line", path, line);
            continue;
        }
        char detail[128] = "";
        const char *problem =
            row_problem(start, linelen, out->columns, detail, sizeof detail);
        if (problem) {
            if (errors < MAX_REPORTED)
                BP_ERROR("%s line %u: %s%s", path, line, problem, detail);
            errors++;
            continue;
        }
        char *comma = memchr(start, ',', linelen);
        struct bp_row *r = &out->rows[out->nrows++];
        r->s2 = (uint64_t)(start - text);
        if (comma) {
            *comma = '\0';
            r->s1 = (uint64_t)(comma + 1 - text);
        } else {
            r->s1 = (uint64_t)(start + linelen - text); /* "" */
        }
        r->line = line;
    }
    if (blanks > MAX_REPORTED)
        BP_WARN("%s: %zu more blank lines skipped", path, blanks - MAX_REPORTED);
    return errors;
}

int bp_split_parse(const char *path, char *text, size_t len,
                   struct bp_split *out)
{
    memset(out, 0, sizeof *out);
    out->text = text;
    out->text_len = len;
    out->crc32c = bp_crc32c(text, len);
    text[len] = '\0';
    char name[256];
    if (bp_split_name(path, name, sizeof name) != 0) {
        BP_ERROR("%s: cannot take a split name from this file name (the "
                 "part before the first '.' must be 1 to 255 bytes)",
                 path);
        goto fail;
    }
    out->name = strdup(name);
    out->path = strdup(path);

    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        BP_WARN("%s line 1: skipping a UTF-8 byte order mark", path);
        pos = 3;
    }
    size_t nonblank;
    out->columns = majority_columns(text, len, pos, &nonblank);
    /* Blank lines take no room: a file of line ends costs nothing. */
    out->rows = malloc((nonblank ? nonblank : 1) * sizeof *out->rows);
    if (!out->name || !out->path || !out->rows) {
        BP_ERROR("%s: out of memory reading the file", path);
        bp_split_free(out);
        return BP_NOMEM;
    }
    size_t errors = parse_rows(path, text, len, pos, out);
    if (errors > MAX_REPORTED)
        BP_ERROR("%s: %zu more malformed lines not shown", path,
                 errors - MAX_REPORTED);
    if (errors) {
        BP_ERROR("%s: %zu malformed line%s; fix the file", path, errors,
                 errors == 1 ? "" : "s");
        bp_split_free(out);
        return BP_CSV;
    }
    if (out->nrows == 0)
        BP_WARN("%s: no rows", path);
    return BP_OK;

fail:
    bp_split_free(out);
    return BP_CSV;
}

int bp_split_load(const char *path, struct bp_split *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    const char *kind;
    int fd = bp_open_regular(path, &st, &kind);
    if (fd < 0) {
        if (kind)
            BP_ERROR("%s: not a regular file but %s", path, kind);
        else
            BP_ERROR("%s: cannot open: %s", path, strerror(errno));
        return BP_CSV;
    }
    if (st.st_size > BP_SPLIT_MAX_BYTES) {
        BP_ERROR("%s: %lld bytes, more than the %d MiB a split file or "
                 "exclusion list may have (all 590,326 pairs of the archive "
                 "take about 46 MB): is it the right file?",
                 path, (long long)st.st_size, BP_SPLIT_MAX_BYTES >> 20);
        close(fd);
        return BP_CSV;
    }
    /* One byte more than fstat said, so the read that finds the end of
     * the file needs no larger buffer. */
    size_t cap = (size_t)st.st_size + 1;
    char *text = malloc(cap + 1);
    if (!text) {
        BP_ERROR("%s: out of memory for a %lld-byte file", path,
                 (long long)st.st_size);
        close(fd);
        return BP_NOMEM;
    }
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            /* The file grew since fstat; read on in larger steps, up to one
             * byte past the limit, which is refused. */
            size_t room = (size_t)BP_SPLIT_MAX_BYTES + 1 - cap;
            size_t more = cap + 4096 < room ? cap + 4096 : room;
            if (more == 0) {
                BP_ERROR("%s: grew past %d MiB while being read", path,
                         BP_SPLIT_MAX_BYTES >> 20);
                free(text);
                close(fd);
                return BP_CSV;
            }
            char *bigger = realloc(text, cap + more + 1);
            if (!bigger) {
                BP_ERROR("%s: out of memory reading the file", path);
                free(text);
                close(fd);
                return BP_NOMEM;
            }
            text = bigger;
            cap += more;
        }
        ssize_t n = read(fd, text + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            BP_ERROR("%s: read error: %s", path, strerror(errno));
            free(text);
            close(fd);
            return BP_CSV;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    return bp_split_parse(path, text, len, out);
}
