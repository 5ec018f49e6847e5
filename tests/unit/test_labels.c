/* The built-in label tables against the official label_indices.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "benprep/labels.h"
#include "unit_util.h"

static json_object *indices;

static json_object *load_indices(void)
{
    if (!indices)
        indices = json_object_from_file(UNIT_DATA("label_indices.json"));
    return indices;
}

static json_object *member(const char *key)
{
    json_object *root = load_indices(), *v = NULL;
    if (!root || !json_object_object_get_ex(root, key, &v))
        return NULL;
    return v;
}

static void test_json_shape(void)
{
    json_object *orig = member("original_labels");
    json_object *conv = member("label_conversion");
    json_object *names19 = member("BigEarthNet-19_labels");
    CU_ASSERT_FATAL(orig && conv && names19);
    CU_ASSERT(json_object_is_type(orig, json_type_object));
    CU_ASSERT(json_object_is_type(conv, json_type_array));
    CU_ASSERT(json_object_is_type(names19, json_type_object));
    CU_ASSERT_EQUAL(json_object_object_length(orig), BP_LABELS43);
    CU_ASSERT_EQUAL(json_object_array_length(conv), BP_LABELS19);
    CU_ASSERT_EQUAL(json_object_object_length(names19), BP_LABELS19);
}

/* Every original_labels name maps to its index, and the table's name at
 * that index is that name. */
static void test_labels43(void)
{
    json_object *orig = member("original_labels");
    CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
    int seen[BP_LABELS43] = {0};
    size_t n = 0;
    json_object_object_foreach(orig, name, val) {
        int idx = json_object_get_int(val);
        CU_ASSERT(json_object_is_type(val, json_type_int));
        CU_ASSERT(idx >= 0 && idx < BP_LABELS43);
        if (idx < 0 || idx >= BP_LABELS43)
            continue;
        seen[idx]++;
        CU_ASSERT_EQUAL(bp_label43_index(name, strlen(name)), idx);
        CU_ASSERT_STRING_EQUAL(bp_labels43_names[idx], name);
        n++;
    }
    CU_ASSERT_EQUAL(n, BP_LABELS43);
    for (int i = 0; i < BP_LABELS43; i++)
        CU_ASSERT_EQUAL(seen[i], 1);
    /* And the other way round, from the table. */
    for (int i = 0; i < BP_LABELS43; i++)
        CU_ASSERT_EQUAL(bp_label43_index(bp_labels43_names[i],
                                         strlen(bp_labels43_names[i])), i);
}

static void test_labels19_names(void)
{
    json_object *names19 = member("BigEarthNet-19_labels");
    CU_ASSERT_PTR_NOT_NULL_FATAL(names19);
    int seen[BP_LABELS19] = {0};
    json_object_object_foreach(names19, name, val) {
        int idx = json_object_get_int(val);
        CU_ASSERT(idx >= 0 && idx < BP_LABELS19);
        if (idx < 0 || idx >= BP_LABELS19)
            continue;
        seen[idx]++;
        CU_ASSERT_STRING_EQUAL(bp_labels19_names[idx], name);
    }
    for (int i = 0; i < BP_LABELS19; i++)
        CU_ASSERT_EQUAL(seen[i], 1);
    /* FORMAT.md: the 43-class "Transitional woodland/shrub" becomes the
     * 19-class "Transitional woodland, shrub". */
    CU_ASSERT_STRING_EQUAL(bp_labels19_names[13], "Transitional woodland, shrub");
    CU_ASSERT_STRING_EQUAL(bp_labels43_names[28], "Transitional woodland/shrub");
}

static void test_conversion(void)
{
    json_object *conv = member("label_conversion");
    CU_ASSERT_PTR_NOT_NULL_FATAL(conv);
    for (int i = 0; i < BP_LABELS19; i++) {
        json_object *list = json_object_array_get_idx(conv, (size_t)i);
        CU_ASSERT_FATAL(list && json_object_is_type(list, json_type_array));
        const int *src = NULL;
        size_t n = bp_label19_sources(i, &src);
        CU_ASSERT_EQUAL(n, json_object_array_length(list));
        CU_ASSERT_PTR_NOT_NULL(src);
        if (!src || n != json_object_array_length(list))
            continue;
        for (size_t k = 0; k < n; k++)
            CU_ASSERT_EQUAL(src[k],
                            json_object_get_int(json_object_array_get_idx(list, k)));
    }
    const int *src = (const int *)1;
    CU_ASSERT_EQUAL(bp_label19_sources(-1, &src), 0);
    CU_ASSERT_PTR_NULL(src);
    src = (const int *)1;
    CU_ASSERT_EQUAL(bp_label19_sources(BP_LABELS19, &src), 0);
    CU_ASSERT_PTR_NULL(src);
}

/* bp_label19_of43 is the inverse of label_conversion; indices in no list
 * (3-10, 30, 32, 37) give -1. */
static void test_label19_of43(void)
{
    json_object *conv = member("label_conversion");
    CU_ASSERT_PTR_NOT_NULL_FATAL(conv);
    int want[BP_LABELS43];
    for (int i = 0; i < BP_LABELS43; i++)
        want[i] = -1;
    for (int i = 0; i < BP_LABELS19; i++) {
        json_object *list = json_object_array_get_idx(conv, (size_t)i);
        for (size_t k = 0; k < json_object_array_length(list); k++) {
            int j = json_object_get_int(json_object_array_get_idx(list, k));
            CU_ASSERT_FATAL(j >= 0 && j < BP_LABELS43);
            CU_ASSERT_EQUAL(want[j], -1); /* in one list only */
            want[j] = i;
        }
    }
    static const int dropped[] = {3, 4, 5, 6, 7, 8, 9, 10, 30, 32, 37};
    size_t ndropped = 0;
    for (int i = 0; i < BP_LABELS43; i++) {
        CU_ASSERT_EQUAL(bp_label19_of43(i), want[i]);
        if (want[i] < 0) {
            CU_ASSERT(ndropped < sizeof dropped / sizeof dropped[0] &&
                      dropped[ndropped] == i);
            ndropped++;
        }
    }
    CU_ASSERT_EQUAL(ndropped, sizeof dropped / sizeof dropped[0]);
    CU_ASSERT_EQUAL(bp_label19_of43(-1), -1);
    CU_ASSERT_EQUAL(bp_label19_of43(43), -1);
    CU_ASSERT_EQUAL(bp_label19_of43(1000), -1);
}

static void test_unknown_names(void)
{
    CU_ASSERT_EQUAL(bp_label43_index("", 0), -1);
    CU_ASSERT_EQUAL(bp_label43_index("Pastures", 8), 17);
    CU_ASSERT_EQUAL(bp_label43_index("Pasture", 7), -1);      /* prefix */
    CU_ASSERT_EQUAL(bp_label43_index("Pastures", 5), -1);     /* prefix by len */
    CU_ASSERT_EQUAL(bp_label43_index("Pastures!", 9), -1);    /* longer */
    CU_ASSERT_EQUAL(bp_label43_index("pastures", 8), -1);     /* case */
    CU_ASSERT_EQUAL(bp_label43_index("Pastures\0x", 10), -1); /* embedded NUL */
    CU_ASSERT_EQUAL(bp_label43_index("Pastures\0", 9), -1);   /* trailing NUL */
    CU_ASSERT_EQUAL(bp_label43_index("Transitional woodland, shrub", 28), -1);
    CU_ASSERT_EQUAL(bp_label43_index("Urban fabric", 12), -1); /* a 19 name */
    CU_ASSERT_EQUAL(bp_label43_index("Sea and ocean ", 14), -1);
}

static void test_name_max(void)
{
    size_t longest = 0;
    json_object *names19 = member("BigEarthNet-19_labels");
    CU_ASSERT_PTR_NOT_NULL_FATAL(names19);
    json_object_object_foreach(names19, name, val) {
        (void)val;
        if (strlen(name) > longest)
            longest = strlen(name);
    }
    CU_ASSERT_EQUAL(BP_LABEL19_NAME_MAX, longest);
    size_t table_longest = 0;
    for (int i = 0; i < BP_LABELS19; i++)
        if (strlen(bp_labels19_names[i]) > table_longest)
            table_longest = strlen(bp_labels19_names[i]);
    CU_ASSERT_EQUAL(BP_LABEL19_NAME_MAX, table_longest);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"label_indices.json shape", test_json_shape},
        {"43 names and indices", test_labels43},
        {"19 names in index order", test_labels19_names},
        {"label_conversion", test_conversion},
        {"43 -> 19 mapping and dropped classes", test_label19_of43},
        {"unknown names", test_unknown_names},
        {"BP_LABEL19_NAME_MAX", test_name_max},
        {NULL, NULL}};
    int rc = unit_main("labels", tests);
    if (indices)
        json_object_put(indices);
    return rc;
}
