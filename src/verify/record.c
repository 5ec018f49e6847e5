/*
 * record.c - the record schemas the verifier knows, and one decoded record
 * checked against its schema (every key present, names usable as folder
 * names, label names consistent with the multi-hot) and against its row of
 * the split file (the record in its place).
 */
#include <stdio.h>
#include <string.h>

#include "benprep/names.h"
#include "verify/verify_int.h"

#define BAND(key, side, slot)                                                 \
    {key, VF_LIST_INT64, VF_KIND_BAND, (side) * (side), slot}
#define S2_BANDS                                                              \
    BAND("B01", 20, 0), BAND("B02", 120, 1), BAND("B03", 120, 2),            \
        BAND("B04", 120, 3), BAND("B05", 60, 4), BAND("B06", 60, 5),         \
        BAND("B07", 60, 6), BAND("B08", 120, 7), BAND("B09", 20, 8),         \
        BAND("B11", 60, 9), BAND("B12", 60, 10), BAND("B8A", 60, 11)
#define LABEL_FIELDS                                                          \
    {"BigEarthNet-19_labels", VF_LIST_BYTES, VF_KIND_LABELS, 0, 0},           \
        {"BigEarthNet-19_labels_multi_hot", VF_LIST_INT64,                    \
         VF_KIND_MULTI_HOT, VF_CLASSES, 0}

/* FORMAT.md section 4: the 18 features of an MM record. */
static const struct vf_field mm_fields[] = {
    S2_BANDS,
    LABEL_FIELDS,
    {"VH", VF_LIST_FLOAT, VF_KIND_SAR, VF_SAR_PIXELS, VF_SAR_VH},
    {"VV", VF_LIST_FLOAT, VF_KIND_SAR, VF_SAR_PIXELS, VF_SAR_VV},
    {"patch_name_s1", VF_LIST_BYTES, VF_KIND_NAME, 1, VF_NAME_S1},
    {"patch_name_s2", VF_LIST_BYTES, VF_KIND_NAME, 1, VF_NAME_S2},
};

/* The S2-only records of the reference S2 tool: 15 features. */
static const struct vf_field s2_fields[] = {
    S2_BANDS,
    LABEL_FIELDS,
    {"patch_name", VF_LIST_BYTES, VF_KIND_NAME, 1, VF_NAME_S2},
};

const struct vf_schema vf_schemas[VF_NSCHEMAS] = {
    {"bigearthnet-mm-19", mm_fields, sizeof mm_fields / sizeof mm_fields[0],
     0},
    {"bigearthnet-s2-19", s2_fields, sizeof s2_fields / sizeof s2_fields[0],
     1},
};

const char *const vf_compression_names[3] = {"none", "zlib", "gzip"};

int vf_find_field(const struct vf_schema *s, const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i].key) == len &&
            memcmp(s->fields[i].key, key, len) == 0)
            return (int)i;
    return -1;
}

uint32_t vf_band_side(uint32_t count)
{
    return count == 400 ? 20 : count == 3600 ? 60 : 120;
}

void vf_format_classes(char *buf, size_t size, const uint8_t *multi_hot)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int c = 0; c < VF_CLASSES && n < size; c++)
        if (multi_hot[c])
            n += (size_t)snprintf(buf + n, size - n, "%s%d", n ? "," : "", c);
}

/* The labels: names of the 19-class table, ascending, the classes the
 * multi-hot sets. Both features decoded well. */
static void check_labels(struct vf_verifier *v, const struct vf_field *names_f,
                         size_t count)
{
    const struct vf_decoded *d = &v->dec;
    int idx[VF_CLASSES];
    char shown[128];
    for (size_t k = 0; k < count; k++) {
        idx[k] = vf_class_of(d->label[k], d->label_len[k]);
        if (idx[k] < 0) {
            vf_printable(shown, sizeof shown, d->label[k], d->label_len[k]);
            vf_record_problem(v, "%s value %zu \"%s\" is not a 19-class "
                                 "label name",
                              names_f->key, k, shown);
            return;
        }
        if (k > 0 && idx[k] <= idx[k - 1]) {
            vf_record_problem(v, "%s are not in ascending class order: \"%s\" "
                                 "(class %d) after \"%s\" (class %d)",
                              names_f->key, vf_class_names[idx[k]], idx[k],
                              vf_class_names[idx[k - 1]], idx[k - 1]);
            return;
        }
    }
    uint8_t from_names[VF_CLASSES] = {0};
    for (size_t k = 0; k < count; k++)
        from_names[idx[k]] = 1;
    if (memcmp(from_names, d->multi_hot, VF_CLASSES) == 0)
        return;
    char a[64], b[64];
    vf_format_classes(a, sizeof a, from_names);
    vf_format_classes(b, sizeof b, d->multi_hot);
    vf_record_problem(v, "%s name classes {%s}, but the multi-hot sets {%s}",
                      names_f->key, a, b);
}

/* The keys the record lacks, listed in one problem. */
static void check_missing(struct vf_verifier *v)
{
    const struct vf_schema *s = v->schema;
    char missing[VF_TEXT_MAX / 2];
    size_t nm = 0;
    int nmissing = 0;
    missing[0] = '\0';
    for (size_t i = 0; i < s->nfields; i++) {
        if (v->dec.seen[i])
            continue;
        nmissing++;
        if (nm < sizeof missing)
            nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%s%s",
                                   nm ? ", " : "", s->fields[i].key);
    }
    if (nmissing)
        vf_record_problem(v, "missing key%s %s", nmissing == 1 ? "" : "s",
                          missing);
}

static int same_name(const uint8_t *s, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(s, want, len) == 0;
}

/* The record's names against its row of the split file: the record must
 * be the one converted from that row. Both names decoded well. */
static void check_place(struct vf_verifier *v)
{
    const struct vf_decoded *d = &v->dec;
    int mm = !v->schema->s2_only;
    char s2[128], s1[128], w2[128], w1[128] = "";
    vf_printable(s2, sizeof s2, d->name[VF_NAME_S2], d->name_len[VF_NAME_S2]);
    if (mm)
        vf_printable(s1, sizeof s1, d->name[VF_NAME_S1],
                     d->name_len[VF_NAME_S1]);
    if (!v->have_want) {
        vf_record_problem(v, "%s \"%s\"%s%s%s, but the split file %s has only "
                             "%u row%s for this shard",
                          mm ? "patch_name_s2" : "patch_name", s2,
                          mm ? " and patch_name_s1 \"" : "", mm ? s1 : "",
                          mm ? "\"" : "", v->rows.file, v->rows.count,
                          v->rows.count == 1 ? "" : "s");
        return;
    }
    const struct vf_row *w = &v->want;
    if (same_name(d->name[VF_NAME_S2], d->name_len[VF_NAME_S2], w->s2) &&
        (!mm ||
         same_name(d->name[VF_NAME_S1], d->name_len[VF_NAME_S1], w->s1)))
        return;
    vf_printable(w2, sizeof w2, (const uint8_t *)w->s2, strlen(w->s2));
    if (mm)
        vf_printable(w1, sizeof w1, (const uint8_t *)w->s1, strlen(w->s1));
    vf_record_problem(v, "%s \"%s\"%s%s%s, but its row of the split file is "
                         "\"%s%s%s\" (%s line %u): the record is out of "
                         "place",
                      mm ? "patch_name_s2" : "patch_name", s2,
                      mm ? " and patch_name_s1 \"" : "", mm ? s1 : "",
                      mm ? "\"" : "", w2, mm ? "," : "", w1, v->rows.file,
                      w->line);
}

/* Names usable as folder names; the record in its place. */
static void check_names(struct vf_verifier *v)
{
    const struct vf_schema *s = v->schema;
    const struct vf_decoded *d = &v->dec;
    int good = 0, names = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct vf_field *f = &s->fields[i];
        if (f->kind != VF_KIND_NAME)
            continue;
        names++;
        if (d->seen[i] != 2)
            continue;
        const char *why = bp_name_problem(
            (const char *)d->name[f->slot], d->name_len[f->slot]);
        if (why) {
            char shown[128];
            vf_printable(shown, sizeof shown, d->name[f->slot],
                         d->name_len[f->slot]);
            vf_record_problem(v, "%s \"%s\": %s", f->key, shown, why);
            continue;
        }
        good++;
    }
    if (good == names && v->rows.known)
        check_place(v);
}

int vf_check_record(struct vf_verifier *v, size_t len)
{
    const struct vf_schema *s = v->schema;
    struct vf_decoded *d = &v->dec;
    memset(d->seen, 0, sizeof d->seen);
    memset(d->count, 0, sizeof d->count);
    memset(d->bad_value, 0, sizeof d->bad_value);
    memset(d->multi_hot, 0, sizeof d->multi_hot);
    d->noncanonical = 0;
    uint32_t before = v->rec_problems;

    if (vf_decode_record(v, len) != 0)
        return 0;
    check_missing(v);
    check_names(v);
    int names_field = -1, multi_hot_field = -1;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].kind == VF_KIND_LABELS)
            names_field = (int)i;
        if (s->fields[i].kind == VF_KIND_MULTI_HOT)
            multi_hot_field = (int)i;
    }
    if (names_field >= 0 && multi_hot_field >= 0 &&
        d->seen[names_field] == 2 && d->seen[multi_hot_field] == 2 &&
        !d->bad_value[multi_hot_field])
        check_labels(v, &s->fields[names_field], d->count[names_field]);
    return v->rec_problems == before;
}
