/* record.c - the 18-feature MM record (15 for S2-only) of one pair, described
 * over the pair's arrays and encoded as a tf.train.Example (see
 * benprep/record.h). */
#include "benprep/record.h"

#include <string.h>

size_t bp_record_prepare(struct bp_record *rec, const struct bp_pair *pair)
{
    struct bp_feature *f = rec->features;
    size_t n = 0;
    for (int b = 0; b < BP_S2_BANDS; b++) {
        size_t side = (size_t)bp_s2_band_sides[b];
        f[n++] = (struct bp_feature){bp_s2_band_names[b], BP_VALUES_U16,
                                     side * side, pair->s2[b], 0};
    }
    size_t nlabels = 0;
    for (int i = 0; i < BP_LABELS19; i++)
        if (pair->multi_hot[i])
            rec->labels[nlabels++] = (struct bp_bytes){
                bp_labels19_names[i], strlen(bp_labels19_names[i])};
    rec->name_s2 = (struct bp_bytes){pair->s2_name, strlen(pair->s2_name)};
    f[n++] = (struct bp_feature){"BigEarthNet-19_labels", BP_VALUES_BYTES,
                                 nlabels, rec->labels, 0};
    f[n++] = (struct bp_feature){"BigEarthNet-19_labels_multi_hot",
                                 BP_VALUES_U8, BP_LABELS19, pair->multi_hot,
                                 0};
    if (!pair->s1_name) {
        /* S2 only, as the reference S2 tool writes it. */
        f[n++] = (struct bp_feature){"patch_name", BP_VALUES_BYTES, 1,
                                     &rec->name_s2, 0};
        rec->nfeatures = n;
        return bp_example_size(f, n);
    }
    rec->name_s1 = (struct bp_bytes){pair->s1_name, strlen(pair->s1_name)};
    size_t pixels = (size_t)BP_S1_SIDE * BP_S1_SIDE;
    f[n++] = (struct bp_feature){"VH", BP_VALUES_F32, pixels, pair->vh, 0};
    f[n++] = (struct bp_feature){"VV", BP_VALUES_F32, pixels, pair->vv, 0};
    f[n++] = (struct bp_feature){"patch_name_s1", BP_VALUES_BYTES, 1,
                                 &rec->name_s1, 0};
    f[n++] = (struct bp_feature){"patch_name_s2", BP_VALUES_BYTES, 1,
                                 &rec->name_s2, 0};
    rec->nfeatures = n;
    return bp_example_size(f, n);
}

void bp_record_encode(const struct bp_record *rec, uint8_t *out)
{
    bp_example_encode(rec->features, rec->nfeatures, out);
}
