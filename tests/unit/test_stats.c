/* Band statistics: NaN and infinite values counted apart and left out of
 * the figures, strict JSON, exact journal round trips (also of journals
 * written before the non-finite count). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "benprep/stats.h"
#include "unit_util.h"

#define PIXELS (BP_S1_SIDE * BP_S1_SIDE)

static uint16_t s2[BP_S2_BANDS][PIXELS];
static float vv[PIXELS], vh[PIXELS];

/* A pair whose VV holds the given values first, then 1.0; VH all 2.0. */
static struct bp_pair pair_with(const float *first, size_t n)
{
    struct bp_pair p;
    memset(&p, 0, sizeof p);
    for (int b = 0; b < BP_S2_BANDS; b++) {
        for (size_t i = 0; i < PIXELS; i++)
            s2[b][i] = (uint16_t)(i % 1000);
        p.s2[b] = s2[b];
    }
    for (size_t i = 0; i < PIXELS; i++) {
        vv[i] = i < n ? first[i] : 1.0f;
        vh[i] = 2.0f;
    }
    p.vv = vv;
    p.vh = vh;
    p.multi_hot[3] = 1;
    return p;
}

static void test_nonfinite_left_out(void)
{
    const float odd[] = {NAN, INFINITY, -INFINITY, 3.0f, -NAN};
    struct bp_pair p = pair_with(odd, 5);
    struct bp_stats s;
    bp_stats_init(&s);
    bp_stats_add_pair(&s, &p);
    const struct bp_moments *m = &s.band[BP_S2_BANDS];
    CU_ASSERT_EQUAL(m->nonfinite, 4);
    CU_ASSERT_EQUAL(m->n, PIXELS - 4);
    /* 14395 values: one 3.0, the rest 1.0. */
    double mean = (3.0 + (PIXELS - 5)) / (PIXELS - 4);
    CU_ASSERT_DOUBLE_EQUAL(m->mean, mean, 1e-12);
    CU_ASSERT(isfinite(m->m2) && m->m2 > 0);
    CU_ASSERT_EQUAL(m->min, 1.0);
    CU_ASSERT_EQUAL(m->max, 3.0);
    CU_ASSERT_EQUAL(s.band[BP_S2_BANDS + 1].nonfinite, 0);
    CU_ASSERT_EQUAL(s.band[BP_S2_BANDS + 1].m2, 0); /* equal values */
    CU_ASSERT_EQUAL(s.band[0].nonfinite, 0);

    /* A band of nothing but NaN: no figures, the count of them kept
     * through merges. */
    float all_nan[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        all_nan[i] = NAN;
    struct bp_pair q = pair_with(all_nan, PIXELS);
    struct bp_stats t;
    bp_stats_init(&t);
    bp_stats_add_pair(&t, &q);
    CU_ASSERT_EQUAL(t.band[BP_S2_BANDS].n, 0);
    CU_ASSERT_EQUAL(t.band[BP_S2_BANDS].nonfinite, PIXELS);
    bp_stats_merge(&s, &t);
    CU_ASSERT_EQUAL(s.band[BP_S2_BANDS].nonfinite, PIXELS + 4);
    CU_ASSERT_EQUAL(s.band[BP_S2_BANDS].n, PIXELS - 4);
    CU_ASSERT_DOUBLE_EQUAL(s.band[BP_S2_BANDS].mean, mean, 1e-12);
    struct bp_stats u;
    bp_stats_init(&u);
    bp_stats_merge(&u, &t);
    bp_stats_merge(&u, &t);
    CU_ASSERT_EQUAL(u.band[BP_S2_BANDS].nonfinite, 2 * PIXELS);
    CU_ASSERT_EQUAL(u.band[BP_S2_BANDS].n, 0);
}

/* The manifest's figures: "nonfinite" in every band, no NaN or Infinity
 * anywhere in the text, no mean of a band without finite values. */
static void test_json_strict(void)
{
    float all_nan[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        all_nan[i] = i % 2 ? NAN : -INFINITY;
    struct bp_pair p = pair_with(all_nan, PIXELS);
    struct bp_stats s;
    bp_stats_init(&s);
    bp_stats_add_pair(&s, &p);
    json_object *o = bp_stats_to_json(&s);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    CU_ASSERT_PTR_NULL(strstr(text, "NaN"));
    CU_ASSERT_PTR_NULL(strstr(text, "nan"));
    CU_ASSERT_PTR_NULL(strstr(text, "Infinity"));
    CU_ASSERT_PTR_NULL(strstr(text, "inf"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"VV\":{\"count\":0,\"nonfinite\":14400}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"B01\":{\"count\":400,\"nonfinite\":0,"));
    json_object_put(o);
}

static void check_same(const struct bp_stats *a, const struct bp_stats *b)
{
    CU_ASSERT_EQUAL(a->patches, b->patches);
    for (int i = 0; i < BP_STATS_BANDS; i++) {
        const struct bp_moments *x = &a->band[i], *y = &b->band[i];
        CU_ASSERT_EQUAL(x->n, y->n);
        CU_ASSERT_EQUAL(x->nonfinite, y->nonfinite);
        CU_ASSERT(memcmp(&x->mean, &y->mean, sizeof x->mean) == 0);
        CU_ASSERT(memcmp(&x->m2, &y->m2, sizeof x->m2) == 0);
        CU_ASSERT(memcmp(&x->min, &y->min, sizeof x->min) == 0);
        CU_ASSERT(memcmp(&x->max, &y->max, sizeof x->max) == 0);
    }
    CU_ASSERT(memcmp(a->labels, b->labels, sizeof a->labels) == 0);
}

/* The journal keeps every figure exactly, the non-finite count too; a
 * journal line written before that count (5 items a band) reads as 0. */
static void test_journal_round_trip(void)
{
    const float odd[] = {NAN, 0.1f, INFINITY, -7.25f};
    struct bp_pair p = pair_with(odd, 4);
    struct bp_stats s, back;
    bp_stats_init(&s);
    bp_stats_add_pair(&s, &p);
    bp_stats_add_pair(&s, &p);
    json_object *j = bp_stats_to_journal(&s);
    json_object *parsed = json_tokener_parse(json_object_to_json_string(j));
    CU_ASSERT_PTR_NOT_NULL_FATAL(parsed);
    CU_ASSERT_EQUAL(bp_stats_from_journal(parsed, &back), 0);
    check_same(&s, &back);
    json_object_put(parsed);

    /* The older form: drop the sixth item of every band. */
    json_object *bands = NULL;
    CU_ASSERT_FATAL(json_object_object_get_ex(j, "bands", &bands));
    for (size_t b = 0; b < json_object_array_length(bands); b++)
        json_object_array_del_idx(json_object_array_get_idx(bands, b), 5, 1);
    CU_ASSERT_EQUAL(bp_stats_from_journal(j, &back), 0);
    CU_ASSERT_EQUAL(back.band[BP_S2_BANDS].nonfinite, 0);
    CU_ASSERT_EQUAL(back.band[BP_S2_BANDS].n, s.band[BP_S2_BANDS].n);
    json_object_put(j);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"NaN and infinities counted apart", test_nonfinite_left_out},
        {"strict JSON figures", test_json_strict},
        {"journal round trip", test_journal_round_trip},
        {NULL, NULL}};
    return unit_main("stats", tests);
}
