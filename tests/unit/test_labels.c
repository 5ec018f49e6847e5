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

/* Parse text with the given S2 name; returns the parser's result and leaves
 * the reason in reason. */
static int parse(const char *text, size_t len, const char *s2,
                 struct bp_label_json *out, char reason[512])
{
    static struct bp_label_parser *parser;
    if (!parser)
        parser = bp_label_parser_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(parser);
    reason[0] = '\0';
    return bp_label_parse_json(parser, text, len, s2, out, reason, 512);
}

#define S2 "S2A_MSIL2A_20170613T101031_87_48"

/* The JSON types a key may hold instead of the expected one, written as
 * JSON, and the word the message must use for each. */
static const char *const wrong_types[][2] = {
    {"null", "null"},       {"0", "a number"},     {"-1.5e300", "a number"},
    {"true", "a boolean"},  {"false", "a boolean"}, {"[]", "an array"},
    {"[null]", "an array"}, {"{}", "an object"},   {"{\"a\": 1}", "an object"},
    {"\"x\"", "a string"},
};
#define NWRONG (sizeof wrong_types / sizeof wrong_types[0])

/* A key of every wrong type is rejected with a reason naming the key and
 * the type; nothing crashes (null used to). */
static void test_every_type(void)
{
    char text[512], reason[512];
    struct bp_label_json out;
    for (size_t t = 0; t < NWRONG; t++) {
        const char *v = wrong_types[t][0], *kind = wrong_types[t][1];
        /* The whole file. */
        if (strcmp(kind, "an object") != 0) {
            CU_ASSERT_EQUAL(parse(v, strlen(v), S2, &out, reason), -1);
            CU_ASSERT_PTR_NOT_NULL(strstr(reason, kind));
        }
        /* "labels". */
        if (strcmp(kind, "an array") != 0) {
            snprintf(text, sizeof text, "{\"labels\": %s}", v);
            CU_ASSERT_EQUAL(parse(text, strlen(text), S2, &out, reason), -1);
            CU_ASSERT_PTR_NOT_NULL(strstr(reason, "\"labels\" is "));
            CU_ASSERT_PTR_NOT_NULL(strstr(reason, kind));
        }
        /* An item of "labels". */
        if (strcmp(kind, "a string") != 0) {
            snprintf(text, sizeof text, "{\"labels\": [\"Pastures\", %s]}", v);
            CU_ASSERT_EQUAL(parse(text, strlen(text), S2, &out, reason), -1);
            CU_ASSERT_PTR_NOT_NULL(strstr(reason, "label 2 is "));
            CU_ASSERT_PTR_NOT_NULL(strstr(reason, kind));
        }
        /* "corresponding_s2_patch", checked only when the row names an S2
         * patch (MM records). */
        snprintf(text, sizeof text,
                 "{\"labels\": [\"Pastures\"], \"corresponding_s2_patch\": %s}", v);
        CU_ASSERT_EQUAL(parse(text, strlen(text), S2, &out, reason), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(reason, "corresponding_s2_patch is "));
        if (strcmp(kind, "a string") != 0)
            CU_ASSERT_PTR_NOT_NULL(strstr(reason, kind));
        CU_ASSERT_EQUAL(parse(text, strlen(text), NULL, &out, reason), 0);
        /* "BigEarthNet_19_labels": parsed, noted as not these labels. */
        snprintf(text, sizeof text,
                 "{\"labels\": [\"Pastures\"], \"BigEarthNet_19_labels\": %s}", v);
        CU_ASSERT_EQUAL(parse(text, strlen(text), S2, &out, reason), 0);
        CU_ASSERT(out.has_19 && !out.same_19);
        CU_ASSERT_PTR_NOT_NULL(out.differs_19);
        if (strcmp(kind, "an array") != 0)
            CU_ASSERT(out.differs_19 && strcmp(out.differs_19, kind) == 0);
    }
    /* The right types still work. */
    const char *good = "{\"labels\": [\"Pastures\"], \"corresponding_s2_patch\": "
                       "\"" S2 "\", \"BigEarthNet_19_labels\": [\"Pastures\"]}";
    CU_ASSERT_EQUAL(parse(good, strlen(good), S2, &out, reason), 0);
    CU_ASSERT(out.has_19 && out.same_19 && !out.differs_19);
    CU_ASSERT_EQUAL(out.multi_hot[4], 1);
}

/* A string with a NUL in it is another string: not the S2 name, not a
 * label name; the reason shows the NUL escaped, not cut there. */
static void test_strings_with_nul(void)
{
    char reason[512];
    struct bp_label_json out;
    static const char partner[] =
        "{\"labels\": [], \"corresponding_s2_patch\": \"" S2 "\\u0000x\"}";
    CU_ASSERT_EQUAL(parse(partner, strlen(partner), S2, &out, reason), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "\"" S2 "\\u0000x\""));
    static const char partner_end[] =
        "{\"labels\": [], \"corresponding_s2_patch\": \"" S2 "\\u0000\"}";
    CU_ASSERT_EQUAL(parse(partner_end, strlen(partner_end), S2, &out, reason), -1);
    static const char label[] = "{\"labels\": [\"Pastures\\u0000 and more\"]}";
    CU_ASSERT_EQUAL(parse(label, strlen(label), NULL, &out, reason), -1);
    CU_ASSERT_STRING_EQUAL(reason,
                           "unknown label name \"Pastures\\u0000 and more\"");
    static const char label19[] = "{\"labels\": [\"Pastures\"], "
                                  "\"BigEarthNet_19_labels\": [\"Pastures\\u0000\"]}";
    CU_ASSERT_EQUAL(parse(label19, strlen(label19), NULL, &out, reason), 0);
    CU_ASSERT(out.has_19 && !out.same_19);
}

/* Reasons stay one printable UTF-8 line whatever the bytes: quotes,
 * backslashes and control bytes escaped, bytes that are not UTF-8 shown as
 * \xNN, UTF-8 kept, a long value cut with "...". */
static void test_reason_escapes(void)
{
    char reason[512];
    struct bp_label_json out;
    static const char text[] =
        "{\"labels\": [\"a\\\"b\\\\c\\nd\xff\xc3\xa9\xed\xa0\x80\"]}";
    CU_ASSERT_EQUAL(parse(text, strlen(text), NULL, &out, reason), -1);
    CU_ASSERT_STRING_EQUAL(
        reason, "unknown label name \"a\\\"b\\\\c\\u000ad\\xff\xc3\xa9\\xed\\xa0\\x80\"");
    char big[2000];
    int n = snprintf(big, sizeof big, "{\"labels\": [\"");
    memset(big + n, 'x', 1500);
    snprintf(big + n + 1500, sizeof big - (size_t)n - 1500, "\"]}");
    CU_ASSERT_EQUAL(parse(big, strlen(big), NULL, &out, reason), -1);
    CU_ASSERT(strlen(reason) < 512);
    CU_ASSERT(strlen(reason) > 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "xxx\"..."));
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
        {"every key of every JSON type", test_every_type},
        {"strings with a NUL", test_strings_with_nul},
        {"escaped reasons", test_reason_escapes},
        {NULL, NULL}};
    int rc = unit_main("labels", tests);
    if (indices)
        json_object_put(indices);
    return rc;
}
