/*
 * stats.h - dataset statistics gathered while converting: per band the
 * count, mean, standard deviation, minimum and maximum of the pixels, and
 * per 19-class label the number of patches that carry it.
 *
 * NaN and infinite pixels are counted per band apart from the others and
 * left out of the count, mean, standard deviation, minimum and maximum (the
 * records keep them as they are).
 *
 * Partial results (one per shard) are merged with Chan et al.'s parallel
 * update of mean and sum of squared deviations, in double precision. Rank 0
 * merges the shards of a split in row order, so the figures do not depend
 * on the number of ranks or on timing.
 */
#ifndef BENPREP_STATS_H
#define BENPREP_STATS_H

#include <stdint.h>

#include <json-c/json.h>

#include "benprep/labels.h"
#include "benprep/patch.h"

#define BP_STATS_BANDS (BP_S2_BANDS + 2) /* the S2 bands, then VV, VH */

extern const char *const bp_stats_band_names[BP_STATS_BANDS];

/* The figures of one band. NaN and infinite values (possible in the float
 * bands) are counted in nonfinite and take no part in the others. */
struct bp_moments {
    uint64_t n; /* finite values */
    double mean;
    double m2; /* sum of squared deviations from the mean */
    double min, max;
    uint64_t nonfinite; /* NaN, +inf, -inf */
};

struct bp_stats {
    uint64_t patches;
    struct bp_moments band[BP_STATS_BANDS];
    uint64_t labels[BP_LABELS19];
};

void bp_stats_init(struct bp_stats *s);

/* Add one pair's pixels and labels. */
void bp_stats_add_pair(struct bp_stats *s, const struct bp_pair *pair);

/* into += from (Chan's update per band; counts added). */
void bp_stats_merge(struct bp_stats *into, const struct bp_stats *from);

/* The figures users read: per band count (of finite values), nonfinite,
 * mean, std (population), min, max (these four only with a count); per label
 * name the patch count. Strict JSON: no NaN or Infinity. A new object. */
json_object *bp_stats_to_json(const struct bp_stats *s);

/* Exact round trip for the journal: every double as a C99 hex float. */
json_object *bp_stats_to_journal(const struct bp_stats *s);
int bp_stats_from_journal(json_object *o, struct bp_stats *s);

#endif
