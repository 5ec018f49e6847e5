/*
 * labels.h - the BigEarthNet 43-class names and their 19-class conversion.
 *
 * The tables are built in and equal the official label_indices.json:
 * original_labels (43 names, index order), label_conversion (19 lists of
 * 43-class indices) and BigEarthNet-19_labels (19 names, index order).
 */
#ifndef BENPREP_LABELS_H
#define BENPREP_LABELS_H

#include <stddef.h>
#include <stdint.h>

#define BP_LABELS43 43
#define BP_LABELS19 19

extern const char *const bp_labels43_names[BP_LABELS43];
extern const char *const bp_labels19_names[BP_LABELS19];

/* The 43-class index of a label name of len bytes, or -1 when unknown. */
int bp_label43_index(const char *name, size_t len);

/* The 19-class index a 43-class index maps to, or -1 for the dropped ones. */
int bp_label19_of43(int index43);

/* The 43-class indices feeding 19-class index i; returns their count. */
size_t bp_label19_sources(int index19, const int **indices);

/* Bytes of the longest 19-class name (for buffer sizing). */
#define BP_LABEL19_NAME_MAX 86

/* Parsing a patch's label JSON (json-c). A parser holds the JSON tokener a
 * rank reuses for every file. */
struct bp_label_parser;

struct bp_label_json {
    uint8_t multi_hot[BP_LABELS19]; /* the 19-class labels */
    int has_19;  /* the file has a BigEarthNet_19_labels key... */
    int same_19; /* ...listing exactly these names in index order */
    const char *differs_19; /* when it is there but not the same: what it
                               is ("null", "a list of other names"...) */
};

struct bp_label_parser *bp_label_parser_new(void);
void bp_label_parser_free(struct bp_label_parser *p);

/* Parse json[0..len): one JSON object (trailing white space allowed) with a
 * "labels" array of 43-class names, converted to 19 classes. When s2_name
 * is not NULL, a "corresponding_s2_patch" key must be a string equal to it
 * (a NUL inside makes it another name). A key of the wrong JSON type (null,
 * a number, a boolean, an array, an object) is rejected with its type named.
 * Returns 0, or -1 with a one-line reason in reason (e.g. "unknown label
 * name \"X\""): values are quoted with JSON-style escapes (\u0000 for a
 * NUL, \xff for a byte that is not UTF-8), so a reason is printable UTF-8. */
int bp_label_parse_json(struct bp_label_parser *p, const char *json,
                        size_t len, const char *s2_name,
                        struct bp_label_json *out, char *reason,
                        size_t reason_size);

#endif
