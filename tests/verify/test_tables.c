/*
 * test_tables.c - the verifier's own class tables (src/verify/classes.c)
 * against the official label_indices.json: the 19 names in class order and
 * the 43 -> 19 conversion. The verifier shares no table with the converter,
 * so this is what ties its tables to the official file.
 */
#include <string.h>

#include <json-c/json.h>

#include "unit_util.h"
#include "verify/verify_int.h"

static json_object *indices;

static json_object *member(const char *key)
{
    json_object *v = NULL;
    if (!indices)
        indices = json_object_from_file(UNIT_DATA("label_indices.json"));
    if (!indices || !json_object_object_get_ex(indices, key, &v))
        return NULL;
    return v;
}

/* BigEarthNet-19_labels: name -> class, the verifier's names in order. */
static void test_names19(void)
{
    json_object *names = member("BigEarthNet-19_labels");
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    CU_ASSERT_EQUAL(json_object_object_length(names), VF_CLASSES);
    json_object_object_foreach(names, name, val) {
        int c = json_object_get_int(val);
        CU_ASSERT_FATAL(c >= 0 && c < VF_CLASSES);
        CU_ASSERT_STRING_EQUAL(vf_class_names[c], name);
        CU_ASSERT_EQUAL(vf_class_of((const uint8_t *)name, strlen(name)), c);
    }
    CU_ASSERT_EQUAL(vf_class_of((const uint8_t *)"Urban", 5), -1);
}

/* The 19-class number label_conversion gives 43-class index k, or -1. */
static int converted(json_object *conv, int k)
{
    for (size_t c = 0; c < json_object_array_length(conv); c++) {
        json_object *list = json_object_array_get_idx(conv, c);
        for (size_t i = 0; i < json_object_array_length(list); i++)
            if (json_object_get_int(json_object_array_get_idx(list, i)) == k)
                return (int)c;
    }
    return -1;
}

/* Every original_labels name converts as label_conversion says. */
static void test_conversion(void)
{
    json_object *orig = member("original_labels");
    json_object *conv = member("label_conversion");
    CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conv);
    CU_ASSERT_EQUAL(json_object_object_length(orig), VF_CLASSES43);
    CU_ASSERT_EQUAL(json_object_array_length(conv), VF_CLASSES);
    json_object_object_foreach(orig, name, val) {
        int want = converted(conv, json_object_get_int(val));
        CU_ASSERT_EQUAL(vf_class_of43(name, strlen(name)), want);
    }
    CU_ASSERT_EQUAL(vf_class_of43("Moon dust", 9), -2);
    CU_ASSERT_EQUAL(vf_class_of43("Transitional woodland, shrub", 28), -2);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"19 class names", test_names19},
        {"43 -> 19 conversion", test_conversion},
        {NULL, NULL},
    };
    int rc = unit_main("verify tables", tests);
    json_object_put(indices);
    return rc;
}
