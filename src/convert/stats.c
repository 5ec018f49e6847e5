/* stats.c - per-band moments and per-label counts gathered while
 * converting, merged in row order, written to the manifest and the journal
 * (see benprep/stats.h). */
#include "benprep/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bp_stats_band_names[BP_STATS_BANDS] = {
    "B01", "B02", "B03", "B04", "B05", "B06", "B07",
    "B08", "B09", "B11", "B12", "B8A", "VV",  "VH"};

void bp_stats_init(struct bp_stats *s)
{
    memset(s, 0, sizeof *s);
    for (int b = 0; b < BP_STATS_BANDS; b++) {
        s->band[b].min = INFINITY;
        s->band[b].max = -INFINITY;
    }
}

/* Chan et al.: combine two sets' count, mean and sum of squared
 * deviations. */
static void moments_merge(struct bp_moments *a, const struct bp_moments *b)
{
    uint64_t nonfinite = a->nonfinite + b->nonfinite;
    if (b->n == 0) {
        /* nothing to merge but the count of non-finite values */
    } else if (a->n == 0) {
        *a = *b;
    } else {
        double na = (double)a->n, nb = (double)b->n, n = na + nb;
        double delta = b->mean - a->mean;
        a->mean += delta * (nb / n);
        a->m2 += b->m2 + delta * delta * (na * nb / n);
        a->n += b->n;
        if (b->min < a->min)
            a->min = b->min;
        if (b->max > a->max)
            a->max = b->max;
    }
    a->nonfinite = nonfinite;
}

/* One band of uint16 pixels: sums are exact in integers, and so is the sum
 * of squared deviations, n * sum(x^2) - (sum x)^2, in 128 bits. */
static void moments_u16(struct bp_moments *m, const uint16_t *v, size_t n)
{
    uint64_t sum = 0, sumsq = 0;
    uint16_t lo = UINT16_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = v[i];
        sum += x;
        sumsq += (uint64_t)x * x;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    unsigned __int128 nss = (unsigned __int128)n * sumsq;
    unsigned __int128 ss = (unsigned __int128)sum * sum;
    m->n = n;
    m->nonfinite = 0;
    m->mean = (double)sum / (double)n;
    m->m2 = (double)(nss - ss) / (double)n;
    m->min = lo;
    m->max = hi;
}

/* Count, mean and sum of squared deviations from sums of the values less
 * k: m2 is never negative (rounding could make it so for equal values). */
static void moments_from_sums(struct bp_moments *m, uint64_t n, double k,
                              double sum, double sq)
{
    m->n = n;
    m->mean = n ? k + sum / (double)n : 0;
    m->m2 = n ? sq - sum * sum / (double)n : 0;
    if (m->m2 < 0)
        m->m2 = 0;
}

/* The float band of moments_f32 holding NaN or infinite values: those are
 * counted apart and left out of the count, mean, std, min and max. */
static void moments_f32_nonfinite(struct bp_moments *m, const float *v,
                                  size_t n)
{
    size_t i = 0;
    while (i < n && !isfinite(v[i]))
        i++;
    double k = i < n ? v[i] : 0, sum = 0, sq = 0;
    float lo = INFINITY, hi = -INFINITY;
    uint64_t finite = 0;
    for (i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double d = (double)v[i] - k;
        sum += d;
        sq += d * d;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        finite++;
    }
    moments_from_sums(m, finite, k, sum, sq);
    m->nonfinite = n - finite;
    m->min = lo;
    m->max = hi;
}

/* One band of floats in one pass: sums of the values shifted by the first
 * one, which is close enough to the mean that the sum of squares loses
 * nothing that matters (double precision on float data), with four
 * interleaved partial sums so the additions pipeline. Finite floats give
 * finite sums in double precision, so sums that are not finite show that
 * some value is NaN or infinite: only then is the band gone over again,
 * leaving those out (the usual band pays nothing for the check). */
static void moments_f32(struct bp_moments *m, const float *v, size_t n)
{
    double k = n ? v[0] : 0;
    double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};
    float lo = INFINITY, hi = -INFINITY;
    size_t body = n - n % 4, i = 0;
    for (; i < body; i += 4)
        for (int j = 0; j < 4; j++) {
            double d = (double)v[i + j] - k;
            s[j] += d;
            q[j] += d * d;
            lo = v[i + j] < lo ? v[i + j] : lo;
            hi = v[i + j] > hi ? v[i + j] : hi;
        }
    for (; i < n; i++) {
        double d = (double)v[i] - k;
        s[0] += d;
        q[0] += d * d;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    double sum = s[0] + s[1] + s[2] + s[3], sq = q[0] + q[1] + q[2] + q[3];
    if (!isfinite(sum) || !isfinite(sq)) {
        moments_f32_nonfinite(m, v, n);
        return;
    }
    moments_from_sums(m, n, k, sum, sq);
    m->nonfinite = 0;
    m->min = lo;
    m->max = hi;
}

void bp_stats_add_pair(struct bp_stats *s, const struct bp_pair *pair)
{
    struct bp_moments m;
    for (int b = 0; b < BP_S2_BANDS; b++) {
        size_t side = (size_t)bp_s2_band_sides[b];
        moments_u16(&m, pair->s2[b], side * side);
        moments_merge(&s->band[b], &m);
    }
    size_t pixels = (size_t)BP_S1_SIDE * BP_S1_SIDE;
    if (pair->vv) {
        moments_f32(&m, pair->vv, pixels);
        moments_merge(&s->band[BP_S2_BANDS], &m);
        moments_f32(&m, pair->vh, pixels);
        moments_merge(&s->band[BP_S2_BANDS + 1], &m);
    }
    for (int i = 0; i < BP_LABELS19; i++)
        s->labels[i] += pair->multi_hot[i];
    s->patches++;
}

void bp_stats_merge(struct bp_stats *into, const struct bp_stats *from)
{
    for (int b = 0; b < BP_STATS_BANDS; b++)
        moments_merge(&into->band[b], &from->band[b]);
    for (int i = 0; i < BP_LABELS19; i++)
        into->labels[i] += from->labels[i];
    into->patches += from->patches;
}

/* A JSON number; never NaN or Infinity, which are not JSON (json-c would
 * print them bare): such a value, which the figures cannot reach, is null. */
static json_object *number(double v)
{
    return isfinite(v) ? json_object_new_double(v) : NULL;
}

json_object *bp_stats_to_json(const struct bp_stats *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "patches", json_object_new_int64((int64_t)s->patches));
    json_object *bands = json_object_new_object();
    for (int b = 0; b < BP_STATS_BANDS; b++) {
        const struct bp_moments *m = &s->band[b];
        if (m->n + m->nonfinite == 0 && b >= BP_S2_BANDS)
            continue; /* S2 only: no VV, VH */
        json_object *j = json_object_new_object();
        json_object_object_add(j, "count", json_object_new_int64((int64_t)m->n));
        json_object_object_add(j, "nonfinite",
                               json_object_new_int64((int64_t)m->nonfinite));
        if (m->n) {
            json_object_object_add(j, "mean", number(m->mean));
            json_object_object_add(j, "std", number(sqrt(m->m2 / (double)m->n)));
            json_object_object_add(j, "min", number(m->min));
            json_object_object_add(j, "max", number(m->max));
        }
        json_object_object_add(bands, bp_stats_band_names[b], j);
    }
    json_object_object_add(o, "bands", bands);
    json_object *labels = json_object_new_object();
    for (int i = 0; i < BP_LABELS19; i++)
        json_object_object_add(labels, bp_labels19_names[i],
                               json_object_new_int64((int64_t)s->labels[i]));
    json_object_object_add(o, "labels", labels);
    return o;
}

static json_object *hexdouble(double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%a", v);
    return json_object_new_string(buf);
}

json_object *bp_stats_to_journal(const struct bp_stats *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "patches", json_object_new_int64((int64_t)s->patches));
    json_object *bands = json_object_new_array();
    for (int b = 0; b < BP_STATS_BANDS; b++) {
        const struct bp_moments *m = &s->band[b];
        json_object *j = json_object_new_array();
        json_object_array_add(j, json_object_new_int64((int64_t)m->n));
        json_object_array_add(j, hexdouble(m->mean));
        json_object_array_add(j, hexdouble(m->m2));
        json_object_array_add(j, hexdouble(m->min));
        json_object_array_add(j, hexdouble(m->max));
        json_object_array_add(j, json_object_new_int64((int64_t)m->nonfinite));
        json_object_array_add(bands, j);
    }
    json_object_object_add(o, "bands", bands);
    json_object *labels = json_object_new_array();
    for (int i = 0; i < BP_LABELS19; i++)
        json_object_array_add(labels, json_object_new_int64((int64_t)s->labels[i]));
    json_object_object_add(o, "labels", labels);
    return o;
}

static double double_at(json_object *arr, size_t i)
{
    const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
    return s ? strtod(s, NULL) : 0.0;
}

int bp_stats_from_journal(json_object *o, struct bp_stats *s)
{
    json_object *patches, *bands, *labels;
    bp_stats_init(s);
    if (!json_object_object_get_ex(o, "patches", &patches) ||
        !json_object_object_get_ex(o, "bands", &bands) ||
        !json_object_object_get_ex(o, "labels", &labels) ||
        json_object_array_length(bands) != BP_STATS_BANDS ||
        json_object_array_length(labels) != BP_LABELS19)
        return -1;
    s->patches = (uint64_t)json_object_get_int64(patches);
    for (int b = 0; b < BP_STATS_BANDS; b++) {
        json_object *j = json_object_array_get_idx(bands, (size_t)b);
        /* Journals of 0.1.0 before the non-finite count have 5 items. */
        size_t items = json_object_array_length(j);
        if (items != 5 && items != 6)
            return -1;
        s->band[b].n = (uint64_t)json_object_get_int64(json_object_array_get_idx(j, 0));
        s->band[b].mean = double_at(j, 1);
        s->band[b].m2 = double_at(j, 2);
        s->band[b].min = double_at(j, 3);
        s->band[b].max = double_at(j, 4);
        s->band[b].nonfinite =
            items == 6 ? (uint64_t)json_object_get_int64(
                             json_object_array_get_idx(j, 5))
                       : 0;
    }
    for (int i = 0; i < BP_LABELS19; i++)
        s->labels[i] = (uint64_t)json_object_get_int64(
            json_object_array_get_idx(labels, (size_t)i));
    return 0;
}
