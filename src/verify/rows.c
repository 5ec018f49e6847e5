/*
 * rows.c - the rows each shard must hold, in order: rank 0 reads the split
 * files and exclusion lists the manifest names (checking that they are the
 * files the run read: size and CRC-32C), drops the excluded rows, cuts each
 * split into the run's chunks of records_per_shard rows and leaves out the
 * rows the manifest lists as failures; each shard's rows are packed into a
 * block for the rank that checks the shard, which compares them with the
 * records' patch names one by one. The block format (verify_int.h) is
 * written and read here only.
 *
 * The split files are read by the verifier's own reader, not the
 * converter's (plan/csv.c), with the grammar README.md gives: rows
 * "S2name,S1name" or "S2name", CRLF or LF, a UTF-8 byte order mark and
 * blank lines skipped, the file's kind the column count most rows have;
 * names checked by the one patch name rule (bp_name_problem).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benprep/names.h"
#include "common/crc32c.h"
#include "common/jsonutil.h"
#include "verify/verify_int.h"

/* ---- The block format, both directions --------------------------------- */

const uint8_t *vf_rows_open(struct vf_rows *r, const uint8_t *p,
                            const uint8_t *end)
{
    uint32_t count;
    memset(r, 0, sizeof *r);
    if (end - p < 4)
        return NULL;
    memcpy(&count, p, 4);
    p += 4;
    if (count == VF_ROWS_UNKNOWN)
        return p;
    const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
    if (!nul)
        return NULL;
    r->file = (const char *)p;
    r->p = nul + 1;
    r->count = r->left = count;
    /* The end of the block: past count rows. */
    const uint8_t *q = r->p;
    for (uint32_t i = 0; i < count; i++) {
        if (end - q < 4)
            return NULL;
        q += 4;
        for (int k = 0; k < 2; k++) {
            const uint8_t *z = memchr(q, '\0', (size_t)(end - q));
            if (!z)
                return NULL;
            q = z + 1;
        }
    }
    r->end = q;
    r->known = 1;
    return q;
}

int vf_rows_next(struct vf_rows *r, struct vf_row *row)
{
    if (!r->known || r->left == 0)
        return -1;
    memcpy(&row->line, r->p, 4);
    row->s2 = (const char *)r->p + 4;
    row->s1 = row->s2 + strlen(row->s2) + 1;
    r->p = (const uint8_t *)row->s1 + strlen(row->s1) + 1;
    r->left--;
    return 0;
}

/* ---- Files the run read ------------------------------------------------ */

struct row {
    uint32_t s2, s1; /* offsets of the names in the text */
    uint32_t line;
    uint8_t failed; /* listed in the manifest's failures */
};

/* A split file or exclusion list: its text, names NUL-terminated in
 * place, and its rows. */
struct list {
    char *text;
    size_t len;
    struct row *rows;
    size_t nrows;
    int columns; /* 2: "S2,S1"; 1: "S2"; 0: no rows */
    int ok;      /* read, the file the run read, well formed */
};

static void list_free(struct list *l)
{
    free(l->text);
    free(l->rows);
    memset(l, 0, sizeof *l);
}

/* Read path whole into l->text. Returns 0, or -1 with reason. */
static int read_whole(const char *path, struct list *l, char *reason,
                      size_t size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(reason, size, "%s",
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1;
    l->text = malloc(cap + 1);
    l->len = 0;
    while (l->text) {
        ssize_t n = read(fd, l->text + l->len, cap - l->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                snprintf(reason, size, "read error: %s", strerror(errno));
            close(fd);
            return n < 0 ? -1 : 0;
        }
        l->len += (size_t)n;
        if (l->len == cap) { /* it grew since fstat */
            char *bigger = realloc(l->text, 2 * cap + 1);
            if (!bigger)
                break;
            l->text = bigger;
            cap *= 2;
        }
    }
    snprintf(reason, size, "%s", "out of memory");
    close(fd);
    return -1;
}

/* The line at *pos: its start and length without LF or CRLF. */
static char *next_line(char *text, size_t len, size_t *pos, size_t *n)
{
    char *start = text + *pos;
    char *nl = memchr(start, '\n', len - *pos);
    size_t k = nl ? (size_t)(nl - start) : len - *pos;
    *pos += k + (nl ? 1 : 0);
    if (k > 0 && start[k - 1] == '\r')
        k--;
    *n = k;
    return start;
}

static size_t count_columns(const char *s, size_t n)
{
    size_t c = 1;
    for (size_t i = 0; i < n; i++)
        c += s[i] == ',';
    return c;
}

/* The kind of file: the column count most of its rows have (2 on a tie). */
static int file_kind(char *text, size_t len, size_t pos)
{
    size_t with[3] = {0, 0, 0};
    while (pos < len) {
        size_t n;
        const char *s = next_line(text, len, &pos, &n);
        size_t c = count_columns(s, n);
        if (n > 0 && c <= 2)
            with[c]++;
    }
    return with[1] + with[2] == 0 ? 0 : with[1] > with[2] ? 1 : 2;
}

/* One line of columns columns: its row, or why it cannot be one. */
static const char *parse_row(char *s, size_t n, int columns, struct row *r,
                             const char *text)
{
    size_t c = count_columns(s, n);
    if (c != (size_t)(columns ? columns : 2))
        return "wrong number of columns";
    char *comma = memchr(s, ',', n);
    size_t s2len = comma ? (size_t)(comma - s) : n;
    const char *why = bp_name_problem(s, s2len);
    if (!why && comma)
        why = bp_name_problem(comma + 1, n - s2len - 1);
    if (why)
        return why;
    s[n] = '\0';
    r->s2 = (uint32_t)(s - text);
    r->s1 = (uint32_t)(s + n - text); /* "" for S2-only rows */
    if (comma) {
        *comma = '\0';
        r->s1 = (uint32_t)(comma + 1 - text);
    }
    r->failed = 0;
    return NULL;
}

/* Parse l->text into rows. Returns NULL, or why the run could not have
 * read it ("line N: reason") in reason. */
static const char *parse_list(struct list *l, char *reason, size_t size)
{
    size_t pos = 0, lines = 1;
    for (size_t i = 0; i < l->len; i++)
        lines += l->text[i] == '\n';
    l->text[l->len] = '\0';
    if (l->len > UINT32_MAX || !(l->rows = malloc(lines * sizeof *l->rows)))
        return "too large for this verifier (out of memory)";
    if (l->len >= 3 && memcmp(l->text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    l->columns = file_kind(l->text, l->len, pos);
    for (uint32_t line = 1; pos < l->len; line++) {
        size_t n;
        char *s = next_line(l->text, l->len, &pos, &n);
        if (n == 0)
            continue;
        struct row *r = &l->rows[l->nrows];
        const char *why = parse_row(s, n, l->columns, r, l->text);
        if (why) {
            snprintf(reason, size, "line %u: %s", line, why);
            return reason;
        }
        r->line = line;
        l->nrows++;
    }
    return NULL;
}

/* Read the file an inputs entry e names (what: "split file" or "exclusion
 * list", of whom: for messages) into l: the same bytes the run read, well
 * formed. Problems are reported; l->ok says whether it can be used. */
static void load_list(json_object *e, const char *what, const char *whom,
                      struct list *l, struct vf_problems *g)
{
    char reason[512];
    json_object *crc_o = NULL;
    const char *path = vf_get_string(e, "path");
    int64_t bytes = vf_get_count(e, "bytes");
    uint32_t crc = 0;
    memset(l, 0, sizeof *l);
    json_object_object_get_ex(e, "crc32c", &crc_o);
    if (!path || bytes < 0 || bp_json_get_hex32(crc_o, &crc) != 0) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: the manifest gives no "
                       "\"path\", \"bytes\" and \"crc32c\" of its %s: the "
                       "records' names are not checked", whom, what);
        return;
    }
    if (read_whole(path, l, reason, sizeof reason) != 0) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: cannot read its %s %s: "
                       "%s%s; the records' names are not checked", whom, what,
                       path, reason, path[0] == '/' ? "" : " (a relative "
                       "path is taken from the current folder)");
        return;
    }
    uint32_t got = bp_crc32c(l->text, l->len);
    if ((uint64_t)bytes != l->len || got != crc) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: its %s %s has %zu bytes "
                       "and CRC-32C %08x, the manifest says %lld and %08x: "
                       "not the file the run read; the records' names are "
                       "not checked", whom, what, path, l->len, got,
                       (long long)bytes, crc);
        return;
    }
    const char *why = parse_list(l, reason, sizeof reason);
    if (why) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "%s: its %s %s %s, which the "
                       "run cannot have read; the records' names are not "
                       "checked", whom, what, path, why);
        return;
    }
    l->ok = 1;
}

/* ---- The exclusion lists ----------------------------------------------- */

struct excluded {
    const char *name; /* an S2 name... */
    uint32_t list;    /* ...and a list that names it */
};

struct exclusions {
    struct list *lists;
    size_t nlists;
    struct excluded *names; /* sorted by name, then list */
    size_t nnames;
    int ok; /* every list read and its names sorted */
};

static int excluded_order(const void *a, const void *b)
{
    const struct excluded *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->list < y->list ? -1 : x->list > y->list;
}

static int name_order(const void *key, const void *e)
{
    return strcmp(key, ((const struct excluded *)e)->name);
}

/* The first list (by number) that names S2 name, or -1. */
static long excluded_by(const struct exclusions *x, const char *name)
{
    const struct excluded *e =
        bsearch(name, x->names, x->nnames, sizeof *e, name_order);
    if (!e)
        return -1;
    while (e > x->names && strcmp(e[-1].name, name) == 0)
        e--;
    return e->list;
}

/* Read every list of inputs.exclude and sort their S2 names. Returns 0, or
 * -1 when out of memory. x->ok says whether the lists can be used. */
static int load_exclusions(const struct vf_run_info *ri, struct exclusions *x,
                           struct vf_problems *g)
{
    char whom[64];
    size_t total = 0;
    int ok = 1;
    memset(x, 0, sizeof *x);
    x->nlists = ri->exclude ? json_object_array_length(ri->exclude) : 0;
    x->lists = calloc(x->nlists ? x->nlists : 1, sizeof *x->lists);
    if (!x->lists)
        return -1;
    for (size_t l = 0; l < x->nlists; l++) {
        snprintf(whom, sizeof whom, "inputs.exclude[%zu]", l);
        load_list(json_object_array_get_idx(ri->exclude, l), "exclusion list",
                  whom, &x->lists[l], g);
        ok &= x->lists[l].ok;
        total += x->lists[l].nrows;
    }
    if (!ok)
        return 0;
    if (!(x->names = malloc((total ? total : 1) * sizeof *x->names)))
        return -1;
    for (size_t l = 0; l < x->nlists; l++)
        for (size_t r = 0; r < x->lists[l].nrows; r++)
            x->names[x->nnames++] = (struct excluded){
                x->lists[l].text + x->lists[l].rows[r].s2, (uint32_t)l};
    qsort(x->names, x->nnames, sizeof *x->names, excluded_order);
    x->ok = 1;
    return 0;
}

static void exclusions_free(struct exclusions *x)
{
    for (size_t l = 0; l < x->nlists; l++)
        list_free(&x->lists[l]);
    free(x->lists);
    free(x->names);
}

/* Drop the rows of split sname whose S2 name a list names, and hold what
 * each list removed against the manifest's count. Returns 0, or -1 when
 * out of memory. */
static int apply_exclusions(const char *sname, struct list *sp,
                            const struct exclusions *x,
                            const struct vf_run_info *ri,
                            struct vf_problems *g)
{
    uint64_t *removed = calloc(x->nlists ? x->nlists : 1, sizeof *removed);
    if (!removed)
        return -1;
    size_t keep = 0;
    for (size_t r = 0; r < sp->nrows; r++) {
        long l = excluded_by(x, sp->text + sp->rows[r].s2);
        if (l >= 0)
            removed[l]++;
        else
            sp->rows[keep++] = sp->rows[r];
    }
    sp->nrows = keep;
    for (size_t l = 0; l < x->nlists; l++) {
        json_object *e = json_object_array_get_idx(ri->exclude, l), *rm;
        int64_t said = json_object_object_get_ex(e, "removed", &rm)
                           ? vf_get_count(rm, sname)
                           : -1;
        if (said < 0 || (uint64_t)said != removed[l])
            vf_problem_add(g, VF_PHASE_MANIFEST, 0, "split %s: exclusion list "
                           "%s removes %llu of its rows, inputs.exclude[%zu]."
                           "removed says %lld", sname,
                           vf_get_string(e, "path"),
                           (unsigned long long)removed[l], l, (long long)said);
    }
    free(removed);
    return 0;
}

/* ---- The failures ------------------------------------------------------ */

/* The row of split file line, or NULL (rows are in line order). */
static struct row *row_at_line(struct list *sp, int64_t line)
{
    size_t lo = 0, hi = sp->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->rows[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sp->nrows && sp->rows[lo].line == line ? &sp->rows[lo] : NULL;
}

/* Mark the rows of split sname (file path) that the manifest lists as
 * failures; each must be a row the run converted, with its names. */
static void apply_failures(const char *sname, const char *path,
                           struct list *sp, const struct vf_run_info *ri,
                           struct vf_problems *g)
{
    size_t n = ri->failures ? json_object_array_length(ri->failures) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(ri->failures, i);
        const char *name = vf_get_string(f, "split");
        if (!name || strcmp(name, sname) != 0)
            continue;
        int64_t line = vf_get_count(f, "line");
        struct row *r = line > 0 ? row_at_line(sp, line) : NULL;
        if (!r) {
            vf_problem_add(g, VF_PHASE_MANIFEST, 0, "failures[%zu]: %s line "
                           "%lld is not a row the run converted (after the "
                           "exclusion lists)", i, path, (long long)line);
            continue;
        }
        const char *s2 = vf_get_string(f, "s2"), *s1 = vf_get_string(f, "s1");
        const char *w2 = sp->text + r->s2, *w1 = sp->text + r->s1;
        if (!s2 || strcmp(s2, w2) != 0 || (sp->columns == 2 &&
                                           (!s1 || strcmp(s1, w1) != 0)))
            vf_problem_add(g, VF_PHASE_MANIFEST, 0, "failures[%zu]: %s line "
                           "%lld is \"%s%s%s\", but the failure names \"%s%s%s"
                           "\"", i, path, (long long)line, w2,
                           sp->columns == 2 ? "," : "", w1, s2 ? s2 : "",
                           sp->columns == 2 ? "," : "", s1 ? s1 : "");
        r->failed = 1;
    }
}

/* ---- Each split's rows, each shard's block ----------------------------- */

struct split_rows {
    const char *name; /* the split's name, owned by the manifest */
    const char *path; /* its split file */
    struct list l;    /* its rows left after the exclusion lists */
    int usable;       /* the rows are those the run converted */
};

/* Read split sr->name's file and take its rows to those the run converted.
 * Returns 0, or -1 when out of memory. */
static int load_split(const struct vf_manifest *m, const struct exclusions *x,
                      struct split_rows *sr, struct vf_problems *g)
{
    char whom[300];
    size_t found;
    json_object *in = vf_split_input(&m->ri, sr->name, &found);
    if (found != 1)
        return 0; /* reported with the counts */
    snprintf(whom, sizeof whom, "split %s", sr->name);
    load_list(in, "split file", whom, &sr->l, g);
    if (!sr->l.ok || !x->ok)
        return 0;
    sr->path = vf_get_string(in, "path");
    int s2_only = vf_schemas[m->head.schema].s2_only;
    if (sr->l.columns == (s2_only ? 2 : 1)) {
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "split %s: its split file %s "
                       "has rows of %d column%s, but the records are %s: the "
                       "records' names are not checked", sr->name, sr->path,
                       sr->l.columns, sr->l.columns == 1 ? "" : "s",
                       vf_schemas[m->head.schema].name);
        return 0;
    }
    if (apply_exclusions(sr->name, &sr->l, x, &m->ri, g) != 0)
        return -1;
    int64_t rows = vf_get_count(in, "rows");
    if (rows >= 0 && (uint64_t)rows != sr->l.nrows)
        vf_problem_add(g, VF_PHASE_MANIFEST, 0, "split %s: its split file %s "
                       "gives %zu rows after the exclusion lists, "
                       "inputs.splits says %lld", sr->name, sr->path,
                       sr->l.nrows, (long long)rows);
    apply_failures(sr->name, sr->path, &sr->l, &m->ri, g);
    sr->usable = 1;
    return 0;
}

/* Task t's block: the rows of its shard that did not fail. */
static void write_block(struct bp_buf *b, const struct vf_manifest *m,
                        const struct vf_task *t, const struct split_rows *sr)
{
    uint32_t count = VF_ROWS_UNKNOWN;
    uint64_t k = 0, of = 0, per = (uint64_t)m->ri.per_shard;
    const char *path = m->strings.data + t->path;
    if (!sr->usable || m->ri.per_shard < 1 ||
        bp_shard_name_parse(path, sr->name, m->ri.suffix, &k, &of, NULL) != 0) {
        bp_buf_add(b, &count, 4);
        return;
    }
    const struct list *l = &sr->l;
    uint64_t first = k < l->nrows / per + 1 ? k * per : l->nrows;
    uint64_t end = first + per < l->nrows ? first + per : l->nrows;
    count = 0;
    for (uint64_t r = first; r < end; r++)
        count += !l->rows[r].failed;
    bp_buf_add(b, &count, 4);
    bp_buf_add(b, sr->path, strlen(sr->path) + 1);
    for (uint64_t r = first; r < end; r++) {
        const struct row *row = &l->rows[r];
        if (row->failed)
            continue;
        bp_buf_add(b, &row->line, 4);
        bp_buf_add(b, l->text + row->s2, strlen(l->text + row->s2) + 1);
        bp_buf_add(b, l->text + row->s1, strlen(l->text + row->s1) + 1);
    }
}

int vf_rows_build(const struct vf_manifest *m, struct vf_problems *g,
                  struct bp_buf *blocks, uint64_t *off)
{
    const struct vf_task *tasks = (const struct vf_task *)(void *)m->tasks.data;
    size_t nsplits = m->head.nsplits, s = 0;
    struct exclusions x;
    int rc = -1;
    struct split_rows *sr = calloc(nsplits ? nsplits : 1, sizeof *sr);
    memset(&x, 0, sizeof x);
    if (!sr)
        goto out;
    /* Names are checked when the records are decoded and the inputs are
     * known; otherwise every block says so (the cause is reported). */
    int check = m->head.schema >= 0 && m->ri.inputs && m->splits;
    if (check && load_exclusions(&m->ri, &x, g) != 0)
        goto out;
    if (m->splits) {
        json_object_object_foreach(m->splits, sname, split) {
            (void)split;
            if (s < nsplits)
                sr[s++].name = sname;
        }
    }
    for (s = 0; check && s < nsplits; s++)
        if (load_split(m, &x, &sr[s], g) != 0)
            goto out;
    for (uint32_t i = 0; i < m->head.ntasks; i++) {
        off[i] = blocks->len;
        write_block(blocks, m, &tasks[i], &sr[tasks[i].split]);
    }
    off[m->head.ntasks] = blocks->len;
    rc = blocks->failed ? -1 : 0;
out:
    if (rc != 0)
        vf_problem_add(g, VF_PHASE_RANK, 0, "%s", "rank 0: out of memory "
                       "reading the split files");
    for (s = 0; sr && s < nsplits; s++)
        list_free(&sr[s].l);
    free(sr);
    exclusions_free(&x);
    return rc;
}
