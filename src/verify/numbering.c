/*
 * numbering.c - rank 0: each split of the manifest against the inputs the
 * run read. A split's records must equal the rows its split file gave after
 * the exclusion lists, less its listed failures; its shards must be
 * numbered 0 to M-1 of the count those rows make at records_per_shard, in
 * row order, each starting at its row and holding no more than its rows; a
 * number may be missing only when every row of it failed (the converter
 * writes no shard then). And every split file and failure belongs to a
 * split of the manifest.
 */
#include <stdio.h>
#include <string.h>

#include "benprep/names.h"
#include "verify/verify_int.h"

/* Runs of missing shard numbers reported per split. */
#define MAX_GAPS 8

/* The shard file name of number k of of (as names.h composes it). */
static void shard_name(char *buf, size_t size, const char *sname, uint64_t k,
                       uint64_t of, const char *suffix)
{
    if (k > UINT32_MAX || of > UINT32_MAX ||
        bp_shard_filename_ext(buf, size, sname, (uint32_t)k, (uint32_t)of,
                              suffix ? suffix : "") != 0)
        snprintf(buf, size, "%s shard %llu of %llu", sname,
                 (unsigned long long)k, (unsigned long long)of);
}

/* Rows of shard k of a split of rows rows, per_shard rows a shard. */
static uint64_t chunk_rows(uint64_t k, uint64_t rows, uint64_t per_shard)
{
    if (k >= rows / per_shard + 1)
        return 0;
    uint64_t first = k * per_shard;
    if (first >= rows)
        return 0;
    return rows - first < per_shard ? rows - first : per_shard;
}

/* A split's shard numbering as its shard entries are walked. */
struct numbering {
    const char *sname;
    const struct vf_run_info *ri;
    struct vf_problems *c;
    int64_t rows;  /* -1: unknown */
    uint64_t nfail;
    uint64_t per;  /* 0: unknown */
    int known;     /* per and rows known */
    uint64_t want_of;
    uint64_t of, next, missing, shortfall;
    uint64_t gap_from[MAX_GAPS], gap_to[MAX_GAPS];
    size_t ngaps, nnamed;
    int ordered;
};

/* Shards from..to (numbers) are not listed. */
static void add_gap(struct numbering *st, uint64_t from, uint64_t to)
{
    if (st->ngaps < MAX_GAPS) {
        st->gap_from[st->ngaps] = from;
        st->gap_to[st->ngaps] = to;
    }
    st->ngaps++;
    if (!st->known)
        return;
    /* The rows of shards from..to: [from * per, (to + 1) * per) within the
     * split's rows. */
    unsigned __int128 rows = (uint64_t)st->rows;
    unsigned __int128 a = (unsigned __int128)from * st->per;
    unsigned __int128 b = ((unsigned __int128)to + 1) * st->per;
    a = a < rows ? a : rows;
    b = b < rows ? b : rows;
    st->missing += (uint64_t)(b - a);
}

/* The shard entry e named path, shard k of o: its place in the numbering,
 * then its first row and records. */
static void take_number(struct numbering *st, json_object *e,
                        const char *path, uint64_t k, uint64_t o)
{
    const char *sname = st->sname;
    if (st->nnamed++ == 0) {
        st->of = o;
        if (st->known && st->of != st->want_of)
            vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s is "
                           "one of %llu, but %lld rows at %llu a shard make "
                           "%llu shards", sname, path, (unsigned long long)o,
                           (long long)st->rows, (unsigned long long)st->per,
                           (unsigned long long)st->want_of);
    } else if (o != st->of) {
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s is one "
                       "of %llu, but the split's first shard is one of %llu",
                       sname, path, (unsigned long long)o,
                       (unsigned long long)st->of);
        st->ordered = 0;
        return;
    }
    if (k >= o) {
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s: number "
                       "%llu is not below %llu", sname, path,
                       (unsigned long long)k, (unsigned long long)o);
        st->ordered = 0;
        return;
    }
    if (k < st->next) {
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s is "
                       "listed after a shard of a higher number: not in row "
                       "order", sname, path);
        st->ordered = 0;
        return;
    }
    if (k > st->next)
        add_gap(st, st->next, k - 1);
    st->next = k + 1;
    if (!st->per)
        return;
    int64_t first = vf_get_count(e, "first_row");
    int64_t records = vf_get_count(e, "records");
    if (first >= 0 && (uint64_t)first != k * st->per + 1)
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s: "
                       "first_row %lld, but shard %llu starts at row %llu",
                       sname, path, (long long)first, (unsigned long long)k,
                       (unsigned long long)(k * st->per + 1));
    if (st->known && records >= 0) {
        uint64_t can = chunk_rows(k, (uint64_t)st->rows, st->per);
        if ((uint64_t)records > can)
            vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s: "
                           "%lld records, but shard %llu has %llu rows", sname,
                           path, (long long)records, (unsigned long long)k,
                           (unsigned long long)can);
        else
            st->shortfall += can - (uint64_t)records;
    }
}

/* One shard entry of the split. */
static void take_entry(struct numbering *st, json_object *e)
{
    const char *path = json_object_is_type(e, json_type_object)
                           ? vf_get_path(e)
                           : NULL;
    uint64_t k, o;
    if (!path)
        return; /* reported with the entry */
    if (bp_shard_name_parse(path, st->sname, st->ri->suffix, &k, &o, NULL) !=
            0 ||
        o > UINT32_MAX) {
        char want[512];
        shard_name(want, sizeof want, st->sname, 0,
                   st->want_of ? st->want_of : 1, st->ri->suffix);
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s is not "
                       "named like the split's shards (%s and on)", st->sname,
                       path, want);
        st->ordered = 0;
        return;
    }
    take_number(st, e, path, k, o);
}

/* Report the shards from..to (numbers) of the split missing from the
 * manifest. */
static void missing_shards(const struct numbering *st, uint64_t from,
                           uint64_t to)
{
    char a[512], b[512], where[96] = "";
    const char *sname = st->sname;
    shard_name(a, sizeof a, sname, from, st->of, st->ri->suffix);
    shard_name(b, sizeof b, sname, to, st->of, st->ri->suffix);
    if (st->per && st->rows >= 0) {
        uint64_t last = (to + 1) * st->per;
        snprintf(where, sizeof where, " (rows %llu to %llu)",
                 (unsigned long long)(from * st->per + 1),
                 (unsigned long long)(last < (uint64_t)st->rows
                                          ? last
                                          : (uint64_t)st->rows));
    }
    if (from == to)
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shard %s%s is "
                       "not in the manifest, and the split's listed failures "
                       "(%llu) do not account for its rows", sname, a, where,
                       (unsigned long long)st->nfail);
    else
        vf_problem_add(st->c, VF_PHASE_COUNTS, 0, "split %s: shards %s to %s%s "
                       "are not in the manifest, and the split's listed "
                       "failures (%llu) do not account for their rows", sname,
                       a, b, where, (unsigned long long)st->nfail);
}

/* The shard names of split sname against the numbering its rows make;
 * rows < 0 when unknown. */
static void check_numbering(const char *sname, json_object *shards,
                            const struct vf_run_info *ri, int64_t rows,
                            uint64_t nfail, struct vf_problems *c)
{
    struct numbering st;
    memset(&st, 0, sizeof st);
    st.sname = sname;
    st.ri = ri;
    st.c = c;
    st.rows = rows;
    st.nfail = nfail;
    st.per = ri->per_shard > 0 ? (uint64_t)ri->per_shard : 0;
    st.known = st.per && rows >= 0;
    st.want_of = st.known ? ((uint64_t)rows + st.per - 1) / st.per : 0;
    st.ordered = 1;
    size_t n = json_object_array_length(shards);
    for (size_t i = 0; i < n; i++)
        take_entry(&st, json_object_array_get_idx(shards, i));
    if (!st.ordered)
        return; /* the gaps cannot be told */
    if (st.nnamed == 0)
        st.of = st.want_of; /* every shard of a known count missing */
    if (st.next < st.of)
        add_gap(&st, st.next, st.of - 1);
    /* Every row of a missing shard failed, as did every row a listed shard
     * lacks: without the row counts, at least one failure must be listed. */
    int accounted = st.known ? st.missing + st.shortfall <= nfail : nfail > 0;
    if (accounted)
        return;
    for (size_t i = 0; i < st.ngaps && i < MAX_GAPS; i++)
        missing_shards(&st, st.gap_from[i], st.gap_to[i]);
    if (st.ngaps > MAX_GAPS)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: %zu more runs of "
                       "shard numbers are not in the manifest", sname,
                       st.ngaps - MAX_GAPS);
}

/* Failures listed for split sname, and rows the exclusion lists removed
 * from it (the manifest's "removed" counts). */
static void count_failures(const char *sname, const struct vf_run_info *ri,
                           uint64_t *nfail, uint64_t *removed)
{
    size_t n = ri->failures ? json_object_array_length(ri->failures) : 0;
    *nfail = *removed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            vf_get_string(json_object_array_get_idx(ri->failures, i), "split");
        *nfail += name && strcmp(name, sname) == 0;
    }
    n = ri->exclude ? json_object_array_length(ri->exclude) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *list = json_object_array_get_idx(ri->exclude, i), *rm;
        if (json_object_is_type(list, json_type_object) &&
            json_object_object_get_ex(list, "removed", &rm) &&
            json_object_is_type(rm, json_type_object)) {
            int64_t x = vf_get_count(rm, sname);
            *removed += x > 0 ? (uint64_t)x : 0;
        }
    }
}

json_object *vf_split_input(const struct vf_run_info *ri, const char *sname,
                            size_t *found)
{
    json_object *first = NULL;
    size_t n = ri->inputs ? json_object_array_length(ri->inputs) : 0;
    *found = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(ri->inputs, i);
        const char *name = vf_get_string(in, "split");
        if (name && strcmp(name, sname) == 0 && (*found)++ == 0)
            first = in;
    }
    return first;
}

void vf_check_split_input(const char *sname, json_object *shards, uint64_t r,
                          const struct vf_run_info *ri, struct vf_problems *c)
{
    int64_t rows = -1, excluded = -1;
    size_t found;
    uint64_t nfail, removed;
    json_object *in = vf_split_input(ri, sname, &found);
    if (in) {
        rows = vf_get_count(in, "rows");
        excluded = vf_get_count(in, "excluded");
    }
    if (ri->inputs && found == 0)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: not in inputs.splits: "
                       "no split file of the run gave it", sname);
    else if (found > 1)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: in inputs.splits %zu "
                       "times", sname, found);
    else if (ri->inputs && rows < 0)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: inputs.splits gives "
                       "no \"rows\" count", sname);
    count_failures(sname, ri, &nfail, &removed);
    if (excluded >= 0 && (uint64_t)excluded != removed)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: inputs.splits says "
                       "%lld rows were excluded, but the exclusion lists "
                       "(inputs.exclude) removed %llu", sname,
                       (long long)excluded, (unsigned long long)removed);
    if (rows >= 0 && ri->failures) {
        if (nfail > (uint64_t)rows)
            vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: %llu failures "
                           "listed, but the split has only %lld rows", sname,
                           (unsigned long long)nfail, (long long)rows);
        else if (r != (uint64_t)rows - nfail)
            vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: its shards hold "
                           "%llu records, but its split file gave %lld rows "
                           "to convert (%lld more excluded) and %llu of them "
                           "failed: %llu records expected", sname,
                           (unsigned long long)r, (long long)rows,
                           (long long)(excluded > 0 ? excluded : 0),
                           (unsigned long long)nfail,
                           (unsigned long long)((uint64_t)rows - nfail));
    }
    check_numbering(sname, shards, ri, found == 1 ? rows : -1, nfail, c);
}

void vf_check_inputs_listed(json_object *splits, json_object *totals,
                            const struct vf_run_info *ri,
                            struct vf_problems *c)
{
    json_object *v;
    size_t n = ri->inputs ? json_object_array_length(ri->inputs) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(ri->inputs, i);
        const char *name = vf_get_string(in, "split");
        if (!name)
            vf_problem_add(c, VF_PHASE_COUNTS, 0, "inputs.splits[%zu]: no "
                           "\"split\" name", i);
        else if (!json_object_object_get_ex(splits, name, &v))
            vf_problem_add(c, VF_PHASE_COUNTS, 0, "split %s: its split file "
                           "(%lld rows) is in inputs.splits, but the split is "
                           "not in splits", name,
                           (long long)vf_get_count(in, "rows"));
    }
    n = ri->failures ? json_object_array_length(ri->failures) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = vf_get_string(
            json_object_array_get_idx(ri->failures, i), "split");
        if (!name || !json_object_object_get_ex(splits, name, &v))
            vf_problem_add(c, VF_PHASE_COUNTS, 0, "failures[%zu]: %s", i,
                           name ? "names a split that is not in splits"
                                : "no \"split\" name");
    }
    int64_t total = totals ? vf_get_count(totals, "failures") : -1;
    if (ri->failures && total >= 0 && (uint64_t)total != n)
        vf_problem_add(c, VF_PHASE_COUNTS, 0, "totals: %lld failures, but "
                       "failures lists %zu", (long long)total, n);
}
