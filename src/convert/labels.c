/* labels.c - the built-in 43- and 19-class label tables and the label
 * JSON parser that turns a patch's labels into 19-class names and
 * multi-hot (see benprep/labels.h). */
#include "benprep/labels.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/utf8.h"

const char *const bp_labels43_names[BP_LABELS43] = {
    "Continuous urban fabric",
    "Discontinuous urban fabric",
    "Industrial or commercial units",
    "Road and rail networks and associated land",
    "Port areas",
    "Airports",
    "Mineral extraction sites",
    "Dump sites",
    "Construction sites",
    "Green urban areas",
    "Sport and leisure facilities",
    "Non-irrigated arable land",
    "Permanently irrigated land",
    "Rice fields",
    "Vineyards",
    "Fruit trees and berry plantations",
    "Olive groves",
    "Pastures",
    "Annual crops associated with permanent crops",
    "Complex cultivation patterns",
    ("Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"),
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland",
    "Moors and heathland",
    "Sclerophyllous vegetation",
    "Transitional woodland/shrub",
    "Beaches, dunes, sands",
    "Bare rock",
    "Sparsely vegetated areas",
    "Burnt areas",
    "Inland marshes",
    "Peatbogs",
    "Salt marshes",
    "Salines",
    "Intertidal flats",
    "Water courses",
    "Water bodies",
    "Coastal lagoons",
    "Estuaries",
    "Sea and ocean",
};

const char *const bp_labels19_names[BP_LABELS19] = {
    "Urban fabric",
    "Industrial or commercial units",
    "Arable land",
    "Permanent crops",
    "Pastures",
    "Complex cultivation patterns",
    ("Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"),
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland, shrub",
    "Beaches, dunes, sands",
    "Inland wetlands",
    "Coastal wetlands",
    "Inland waters",
    "Marine waters",
};

/* label_conversion: for each 19-class index, the 43-class indices, -1 ends. */
static const int conversion[BP_LABELS19][5] = {
    {0, 1, -1},         {2, -1},     {11, 12, 13, -1}, {14, 15, 16, 18, -1},
    {17, -1},           {19, -1},    {20, -1},         {21, -1},
    {22, -1},           {23, -1},    {24, -1},         {25, 31, -1},
    {26, 27, -1},       {28, -1},    {29, -1},         {33, 34, -1},
    {35, 36, -1},       {38, 39, -1}, {40, 41, 42, -1},
};

int bp_label43_index(const char *name, size_t len)
{
    for (int i = 0; i < BP_LABELS43; i++) {
        const char *s = bp_labels43_names[i];
        if (strlen(s) == len && memcmp(s, name, len) == 0)
            return i;
    }
    return -1;
}

int bp_label19_of43(int index43)
{
    for (int i = 0; i < BP_LABELS19; i++)
        for (int k = 0; conversion[i][k] >= 0; k++)
            if (conversion[i][k] == index43)
                return i;
    return -1;
}

size_t bp_label19_sources(int index19, const int **indices)
{
    size_t n = 0;
    if (index19 < 0 || index19 >= BP_LABELS19) {
        *indices = NULL;
        return 0;
    }
    *indices = conversion[index19];
    while (conversion[index19][n] >= 0)
        n++;
    return n;
}

struct bp_label_parser {
    json_tokener *tok;
};

struct bp_label_parser *bp_label_parser_new(void)
{
    struct bp_label_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->tok = json_tokener_new();
    if (!p->tok) {
        free(p);
        return NULL;
    }
    return p;
}

void bp_label_parser_free(struct bp_label_parser *p)
{
    if (!p)
        return;
    json_tokener_free(p->tok);
    free(p);
}

/* Whether string item holds exactly the name s (length too: a name with a
 * NUL in it is another name). */
static int string_is(json_object *item, const char *s)
{
    return json_object_is_type(item, json_type_string) &&
           (size_t)json_object_get_string_len(item) == strlen(s) &&
           memcmp(json_object_get_string(item), s, strlen(s)) == 0;
}

/* What a JSON value is, for messages: "null", "a number", ... */
static const char *type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double:
    case json_type_int: return "a number";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "of an unknown type";
}

/* Why a BigEarthNet_19_labels value is not the list of exactly the names
 * set in multi_hot, in index order; NULL when it is. */
static const char *labels19_differ(json_object *v,
                                   const uint8_t multi_hot[BP_LABELS19])
{
    if (!json_object_is_type(v, json_type_array))
        return type_name(v);
    size_t k = 0, n = json_object_array_length(v);
    for (int i = 0; i < BP_LABELS19; i++) {
        if (!multi_hot[i])
            continue;
        if (k >= n)
            return "a list of other names";
        if (!string_is(json_object_array_get_idx(v, k++), bp_labels19_names[i]))
            return "a list of other names";
    }
    return k == n ? NULL : "a list of other names";
}

static int reject(char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(char *reason, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* s[0..len) quoted for a one-line message, as a JSON string would show it:
 * '"' and '\' escaped, control bytes (NUL included) as \u00XX, bytes that
 * are not UTF-8 as \xXX, the rest as it is. A value too long for dst ends
 * in "...". */
static void quoted(char *dst, size_t size, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t out = 0;
    int cut = 0;
    dst[out++] = '"';
    for (size_t i = 0; i < len;) {
        char piece[8];
        size_t n = 1, seq = u[i] >= 0x80 ? bp_utf8_sequence(u + i, len - i) : 0;
        if (u[i] == '"' || u[i] == '\\') {
            snprintf(piece, sizeof piece, "\\%c", u[i]);
        } else if (u[i] < 0x20 || u[i] == 0x7f) {
            snprintf(piece, sizeof piece, "\\u%04x", u[i]);
        } else if (u[i] >= 0x80 && !seq) {
            snprintf(piece, sizeof piece, "\\x%02x", u[i]);
        } else {
            n = seq ? seq : 1;
            memcpy(piece, s + i, n);
            piece[n] = '\0';
        }
        size_t plen = strlen(piece);
        /* Room for the piece, the closing quote, "..." and the NUL. */
        if (out + plen + 5 > size) {
            cut = 1;
            break;
        }
        memcpy(dst + out, piece, plen);
        out += plen;
        i += n;
    }
    snprintf(dst + out, size - out, "\"%s", cut ? "..." : "");
}

/* json[0..len) parsed into *root (NULL when it is no JSON at all): 0, or
 * -1 with the reason (also when text follows the value). */
static int parse_root(struct bp_label_parser *p, const char *json,
                      size_t len, json_object **root, char *reason,
                      size_t reason_size)
{
    json_tokener_reset(p->tok);
    *root = json_tokener_parse_ex(p->tok, json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(p->tok);
    size_t end = json_tokener_get_parse_end(p->tok);
    if (jerr == json_tokener_continue) {
        /* A file of a bare number or word ends without telling the
         * tokener that it ended; json-c's end of input is a NUL. */
        *root = json_tokener_parse_ex(p->tok, "", 1);
        jerr = json_tokener_get_error(p->tok);
        end = len;
    }
    if (jerr != json_tokener_success)
        return reject(reason, reason_size, "invalid JSON: %s",
                      jerr == json_tokener_continue
                          ? "unexpected end of file"
                          : json_tokener_error_desc(jerr));
    for (size_t i = end; i < len; i++) {
        /* Allow trailing white space only. */
        unsigned char c = (unsigned char)json[i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return reject(reason, reason_size,
                          "invalid JSON: text after the object");
    }
    return 0;
}

/* The root's corresponding_s2_patch, when it has one, must be s2_name. 0,
 * or -1 with the reason. */
static int check_partner(json_object *root, const char *s2_name,
                         char *reason, size_t reason_size)
{
    char shown[256];
    json_object *partner = NULL;
    if (!json_object_object_get_ex(root, "corresponding_s2_patch", &partner))
        return 0;
    if (!json_object_is_type(partner, json_type_string))
        return reject(reason, reason_size,
                      "corresponding_s2_patch is %s, expected the name %s",
                      type_name(partner), s2_name);
    if (!string_is(partner, s2_name)) {
        quoted(shown, sizeof shown, json_object_get_string(partner),
               (size_t)json_object_get_string_len(partner));
        return reject(reason, reason_size,
                      "corresponding_s2_patch is %s, but the row pairs it "
                      "with %s",
                      shown, s2_name);
    }
    return 0;
}

/* The 43-class names of the labels array into out->multi_hot. 0, or -1
 * with the reason. */
static int take_labels(json_object *labels, struct bp_label_json *out,
                       char *reason, size_t reason_size)
{
    char shown[256];
    size_t n = json_object_array_length(labels);
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(labels, i);
        if (!json_object_is_type(item, json_type_string))
            return reject(reason, reason_size,
                          "label %zu is %s, expected a label name", i + 1,
                          type_name(item));
        const char *name = json_object_get_string(item);
        size_t name_len = (size_t)json_object_get_string_len(item);
        int idx = bp_label43_index(name, name_len);
        if (idx < 0) {
            quoted(shown, sizeof shown, name, name_len);
            return reject(reason, reason_size, "unknown label name %s",
                          shown);
        }
        int idx19 = bp_label19_of43(idx);
        if (idx19 >= 0)
            out->multi_hot[idx19] = 1;
    }
    return 0;
}

int bp_label_parse_json(struct bp_label_parser *p, const char *json,
                        size_t len, const char *s2_name,
                        struct bp_label_json *out, char *reason,
                        size_t reason_size)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (len > (size_t)INT32_MAX)
        return reject(reason, reason_size, "JSON file too large");
    json_object *root = NULL;
    if (parse_root(p, json, len, &root, reason, reason_size) != 0)
        goto out;
    if (!json_object_is_type(root, json_type_object)) {
        reject(reason, reason_size, "the JSON is %s, expected an object",
               type_name(root));
        goto out;
    }
    json_object *labels = NULL;
    if (!json_object_object_get_ex(root, "labels", &labels)) {
        reject(reason, reason_size, "no \"labels\" array");
        goto out;
    }
    if (!json_object_is_type(labels, json_type_array)) {
        reject(reason, reason_size,
               "\"labels\" is %s, expected an array of label names",
               type_name(labels));
        goto out;
    }
    if ((s2_name && check_partner(root, s2_name, reason, reason_size) != 0) ||
        take_labels(labels, out, reason, reason_size) != 0)
        goto out;
    json_object *labels19 = NULL;
    out->has_19 = json_object_object_get_ex(root, "BigEarthNet_19_labels",
                                            &labels19);
    if (out->has_19) {
        out->differs_19 = labels19_differ(labels19, out->multi_hot);
        out->same_19 = !out->differs_19;
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}
