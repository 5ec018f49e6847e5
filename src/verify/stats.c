/*
 * stats.c - each split's statistics (per band count, mean, standard
 * deviation, minimum and maximum; per class the patches that carry it)
 * summed from the records as they are checked, and compared on rank 0 with
 * what the manifest says. S2 bands are summed exactly in 128-bit integers,
 * VV and VH per record in double and over records in long double, so the
 * figures do not depend on how the shards were spread over the ranks; mean
 * and standard deviation must agree within a relative 1e-9, everything
 * else exactly. A split with a problem in one of its shards is not
 * compared: its figures are incomplete, and the problem is reported.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "verify/verify_int.h"

static const char *const band_names[VF_STAT_BANDS] = {
    "B01", "B02", "B03", "B04", "B05", "B06", "B07",
    "B08", "B09", "B11", "B12", "B8A", "VV",  "VH"};

void vf_acc_init(struct vf_split_acc *a, size_t n)
{
    memset(a, 0, n * sizeof *a);
    for (size_t s = 0; s < n; s++)
        for (int b = 0; b < VF_STAT_BANDS; b++) {
            a[s].band[b].min = INFINITY;
            a[s].band[b].max = -INFINITY;
        }
}

void vf_acc_merge(struct vf_split_acc *into, const struct vf_split_acc *from)
{
    into->records += from->records;
    into->broken |= from->broken;
    for (int b = 0; b < VF_STAT_BANDS; b++) {
        struct vf_band_acc *x = &into->band[b];
        const struct vf_band_acc *y = &from->band[b];
        x->n += y->n;
        x->nonfinite += y->nonfinite;
        x->isum += y->isum;
        x->isumsq += y->isumsq;
        x->fsum += y->fsum;
        x->fsumsq += y->fsumsq;
        x->min = y->min < x->min ? y->min : x->min;
        x->max = y->max > x->max ? y->max : x->max;
    }
    for (int c = 0; c < VF_CLASSES; c++)
        into->labels[c] += from->labels[c];
}

static void add_band(struct vf_band_acc *a, const uint16_t *v, uint32_t n)
{
    uint64_t sum = 0, sumsq = 0;
    uint16_t lo = UINT16_MAX, hi = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t x = v[i];
        sum += x;
        sumsq += (uint64_t)x * x;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    a->n += n;
    a->isum += sum;
    a->isumsq += sumsq;
    a->min = lo < a->min ? lo : a->min;
    a->max = hi > a->max ? hi : a->max;
}

/* Whether the float with these bits is finite (not NaN, not infinite). */
static int finite_bits(uint32_t b)
{
    return (b & 0x7f800000u) != 0x7f800000u;
}

/* Float values (as bits): squares of floats are exact in double. Four
 * interleaved partial sums, so the additions pipeline. NaN and infinite
 * values are counted apart and left out, as the converter does. */
static void add_sar(struct vf_band_acc *a, const uint32_t *bits, uint32_t n)
{
    double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};
    float lo = INFINITY, hi = -INFINITY, x[4];
    uint64_t skipped = 0;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        memcpy(x, &bits[i], sizeof x);
        for (int k = 0; k < 4; k++) {
            if (!finite_bits(bits[i + k])) {
                skipped++;
                continue;
            }
            s[k] += x[k];
            q[k] += (double)x[k] * x[k];
            lo = x[k] < lo ? x[k] : lo;
            hi = x[k] > hi ? x[k] : hi;
        }
    }
    for (; i < n; i++) {
        if (!finite_bits(bits[i])) {
            skipped++;
            continue;
        }
        memcpy(x, &bits[i], sizeof x[0]);
        s[0] += x[0];
        q[0] += (double)x[0] * x[0];
        lo = x[0] < lo ? x[0] : lo;
        hi = x[0] > hi ? x[0] : hi;
    }
    a->n += n - skipped;
    a->nonfinite += skipped;
    a->fsum += (s[0] + s[1]) + (s[2] + s[3]);
    a->fsumsq += (q[0] + q[1]) + (q[2] + q[3]);
    a->min = lo < a->min ? lo : a->min;
    a->max = hi > a->max ? hi : a->max;
}

void vf_stats_add(struct vf_verifier *v)
{
    struct vf_split_acc *a = &v->acc[v->task->split];
    const struct vf_schema *s = v->schema;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct vf_field *f = &s->fields[i];
        if (f->kind == VF_KIND_BAND)
            add_band(&a->band[f->slot], v->dec.band[f->slot], f->count);
        else if (f->kind == VF_KIND_SAR)
            add_sar(&a->band[VF_BANDS + f->slot], v->dec.sar[f->slot],
                    f->count);
    }
    for (int c = 0; c < VF_CLASSES; c++)
        a->labels[c] += v->dec.multi_hot[c];
    a->records++;
}

/* Problems reported per split before they are only counted. */
#define MAX_SPLIT_PROBLEMS 8

/* The problems of one split's statistics. */
struct differ {
    const char *split;
    struct vf_problems *g;
    int n;
};

static void differ(struct differ *d, const char *fmt, ...) BP_PRINTF(2, 3);

/* "split S: statistics.<text>", the first MAX_SPLIT_PROBLEMS of a split. */
static void differ(struct differ *d, const char *fmt, ...)
{
    char text[VF_TEXT_MAX];
    if (d->n++ >= MAX_SPLIT_PROBLEMS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    vf_problem_add(d->g, VF_PHASE_COUNTS, 0, "split %s: statistics.%s",
                   d->split, text);
}

/* got within a relative 1e-9 of want (absolute near 0). */
static int close_enough(double got, long double want)
{
    long double d = fabsl((long double)got - want);
    long double scale = fabsl(want);
    return d <= 1e-9L * (scale > 1e-300L ? scale : 1.0L);
}

/* A number member, or NAN when absent or not a number. */
static double get_number(json_object *o, const char *key)
{
    json_object *x;
    if (!json_object_object_get_ex(o, key, &x) ||
        !(json_object_is_type(x, json_type_double) ||
          json_object_is_type(x, json_type_int)))
        return NAN;
    return json_object_get_double(x);
}

/* One band: count, then mean, std, min and max when there are values. */
static void compare_band(struct differ *d, const char *band, json_object *j,
                         const struct vf_band_acc *a, int integer)
{
    int64_t count = vf_get_count(j, "count");
    if (count < 0 || (uint64_t)count != a->n) {
        differ(d, "bands.%s.count is %lld, but its records hold %llu finite "
               "values",
               band, (long long)count, (unsigned long long)a->n);
        return;
    }
    int64_t nonfinite = vf_get_count(j, "nonfinite");
    if (nonfinite < 0 || (uint64_t)nonfinite != a->nonfinite) {
        differ(d, "bands.%s.nonfinite is %lld, but its records hold %llu NaN "
               "or infinite values",
               band, (long long)nonfinite, (unsigned long long)a->nonfinite);
        return;
    }
    if (a->n == 0)
        return;
    long double n = (long double)a->n, mean, var;
    if (integer) {
        mean = (long double)a->isum / n;
        var = (long double)(a->n * a->isumsq - a->isum * a->isum) / (n * n);
    } else {
        mean = a->fsum / n;
        var = a->fsumsq / n - mean * mean;
    }
    static const char *const names[4] = {"mean", "std", "min", "max"};
    long double want[4] = {mean, sqrtl(var > 0 ? var : 0), a->min, a->max};
    for (int k = 0; k < 4; k++) {
        double got = get_number(j, names[k]);
        int ok = k < 2 ? close_enough(got, want[k]) : got == (double)want[k];
        if (!ok)
            differ(d, "bands.%s.%s is %.17g, the records give %.17Lg", band,
                   names[k], got, want[k]);
    }
}

/* One split's statistics object st against a. */
static void compare_split(const char *split, json_object *st,
                          const struct vf_split_acc *a,
                          struct vf_problems *g)
{
    struct differ d = {split, g, 0};
    json_object *bands, *labels, *j;
    int64_t patches = vf_get_count(st, "patches");
    if (patches < 0 || (uint64_t)patches != a->records)
        differ(&d, "patches is %lld, but the split has %llu records",
               (long long)patches, (unsigned long long)a->records);
    if (!json_object_object_get_ex(st, "bands", &bands) ||
        !json_object_object_get_ex(st, "labels", &labels)) {
        differ(&d, "%s", "bands and statistics.labels are missing");
        return;
    }
    for (int b = 0; b < VF_STAT_BANDS; b++) {
        if (json_object_object_get_ex(bands, band_names[b], &j))
            compare_band(&d, band_names[b], j, &a->band[b], b < VF_BANDS);
        else if (b < VF_BANDS || a->band[b].n) /* S2-only: no VV, VH */
            differ(&d, "bands has no %s", band_names[b]);
    }
    for (int c = 0; c < VF_CLASSES; c++) {
        int64_t x = vf_get_count(labels, vf_class_names[c]);
        if (x < 0 || (uint64_t)x != a->labels[c])
            differ(&d, "labels \"%s\" is %lld, the records give %llu",
                   vf_class_names[c], (long long)x,
                   (unsigned long long)a->labels[c]);
    }
    if (d.n > MAX_SPLIT_PROBLEMS)
        vf_problem_add(g, VF_PHASE_COUNTS, 0, "split %s: %d more figures of "
                       "its statistics differ from its records", split,
                       d.n - MAX_SPLIT_PROBLEMS);
}

void vf_stats_compare(const struct vf_manifest *m,
                      const struct vf_split_acc *acc, struct vf_problems *g)
{
    if (!m->splits || m->head.schema < 0)
        return; /* records not decoded */
    size_t s = 0;
    json_object_object_foreach(m->splits, sname, split) {
        json_object *st;
        size_t i = s++;
        if (i >= m->head.nsplits || acc[i].broken || m->broken[i])
            continue;
        /* Optional: checked when present. */
        if (!json_object_is_type(split, json_type_object) ||
            !json_object_object_get_ex(split, "statistics", &st))
            continue;
        compare_split(sname, st, &acc[i], g);
    }
}
