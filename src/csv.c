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
#include "crc32c.h"
#include "fileio.h"
#include "utf8.h"

/* Errors reported per file before the rest are only counted. */
#define MAX_REPORTED 20

const char *bp_name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "empty patch name";
    if (len > BP_NAME_MAX)
        return "patch name longer than 255 bytes";
    if (len == 1 && name[0] == '.')
        return "patch name is '.'";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return "patch name contains a control character";
        if (c >= 0x80) {
            size_t n = bp_utf8_sequence((const unsigned char *)name + i,
                                        len - i);
            if (n == 0)
                return "patch name is not valid UTF-8";
            if (c == 0xEF && n == 3 && (unsigned char)name[i + 1] == 0xBB &&
                (unsigned char)name[i + 2] == 0xBF)
                return "patch name contains a UTF-8 byte order mark (files "
                       "joined with cat?)";
            i += n - 1;
            continue;
        }
        if (c == '/')
            return "patch name contains '/'";
        if (c == '.' && i + 1 < len && name[i + 1] == '.')
            return "patch name contains '..'";
    }
    return NULL;
}

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

    size_t errors = 0, blanks = 0;
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        BP_WARN("%s line 1: skipping a UTF-8 byte order mark", path);
        pos = 3;
    }
    /* The kind of file is the column count most rows have: "S2name,S1name"
     * (MM) or "S2name" (S2-only); MM when they are as many. So a bad first
     * row is reported as the bad row, not every row after it. */
    size_t with[3] = {0, 0, 0}; /* lines of 1 and 2 columns */
    size_t nonblank = 0;        /* lines that may be rows */
    for (size_t p = pos; p < len;) {
        size_t linelen;
        const char *start = next_line(text, len, &p, &linelen);
        size_t ncols = count_columns(start, linelen);
        if (linelen > 0 && ncols <= 2)
            with[ncols]++;
        nonblank += linelen > 0;
    }
    if (with[1] + with[2])
        out->columns = with[1] > with[2] ? 1 : 2;
    out->rows = malloc((nonblank ? nonblank : 1) * sizeof *out->rows);
    if (!out->name || !out->path || !out->rows) {
        BP_ERROR("%s: out of memory reading the file", path);
        bp_split_free(out);
        return BP_NOMEM;
    }
    for (uint32_t line = 1; pos < len; line++) {
        size_t linelen;
        char *start = next_line(text, len, &pos, &linelen);
        start[linelen] = '\0';

        const char *problem = NULL;
        char detail[128] = "";
        if (linelen == 0) {
            if (blanks++ < MAX_REPORTED)
                BP_WARN("%s line %u: skipping a blank line", path, line);
            continue;
        }
        char *comma = memchr(start, ',', linelen);
        size_t ncols = count_columns(start, linelen);
        if (memchr(start, '\r', linelen)) {
            /* Lines ended by CR alone (classic Mac OS) make the whole file
             * one line: say so, not that it has too many columns. */
            problem = "the line endings are CR only (a carriage return "
                      "without a line feed); save the file with LF or CRLF "
                      "line endings";
        } else if (ncols != (size_t)(out->columns ? out->columns : 2)) {
            problem = "wrong number of columns";
            snprintf(detail, sizeof detail, " (%zu, expected %s)", ncols,
                     out->columns == 1 ? "1: S2name, as most rows have"
                                       : "2: S2name,S1name");
        } else if (ncols == 1) {
            const char *p2 = bp_name_problem(start, linelen);
            if (p2) {
                problem = p2;
                snprintf(detail, sizeof detail, " in the S2 column");
            }
        } else {
            size_t s2len = (size_t)(comma - start);
            size_t s1len = linelen - s2len - 1;
            const char *p2 = bp_name_problem(start, s2len);
            const char *p1 = bp_name_problem(comma + 1, s1len);
            if (p2) {
                problem = p2;
                snprintf(detail, sizeof detail, " in the S2 column");
            } else if (p1) {
                problem = p1;
                snprintf(detail, sizeof detail, " in the S1 column");
            }
        }
        if (problem) {
            if (errors < MAX_REPORTED)
                BP_ERROR("%s line %u: %s%s", path, line, problem, detail);
            errors++;
            continue;
        }
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
