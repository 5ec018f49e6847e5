/*
 * json.c - ben-synth's label JSON files (<patch>_labels_metadata.json), in
 * the archive's exact format: one line in Python json.dumps's default
 * spacing (", " and ": ") and escaping, which json-c cannot write, so the
 * text is composed here (see synth.h).
 */
#include <string.h>

#include "benprep/labels.h"
#include "synth/synth.h"

static void put(struct bp_buf *b, const char *s)
{
    bp_buf_add(b, s, strlen(s));
}

/* One UTF-8 sequence at p as a code point in *cp; returns its length, or 1
 * with the byte itself in *cp when p holds no valid sequence (the byte is
 * then taken as Latin-1). */
static size_t utf8_decode(const unsigned char *p, unsigned long *cp)
{
    unsigned c = p[0];
    *cp = c;
    if (c >= 0xc2 && c <= 0xdf && (p[1] & 0xc0) == 0x80) {
        *cp = ((c & 0x1fUL) << 6) | (p[1] & 0x3fUL);
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef && (p[1] & 0xc0) == 0x80 &&
        (p[2] & 0xc0) == 0x80) {
        unsigned long v = ((c & 0x0fUL) << 12) | ((p[1] & 0x3fUL) << 6) |
                          (p[2] & 0x3fUL);
        if (v >= 0x800) {
            *cp = v;
            return 3;
        }
    } else if (c >= 0xf0 && c <= 0xf4 && (p[1] & 0xc0) == 0x80 &&
               (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
        unsigned long v = ((c & 0x07UL) << 18) | ((p[1] & 0x3fUL) << 12) |
                          ((p[2] & 0x3fUL) << 6) | (p[3] & 0x3fUL);
        if (v >= 0x10000 && v <= 0x10ffff) {
            *cp = v;
            return 4;
        }
    }
    return 1;
}

/* The short escape of byte c, or NULL when it has none. */
static const char *short_escape(unsigned c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: return NULL;
    }
}

static int plain(unsigned c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; }

/* Append s as a JSON string the way Python's json.dumps does by default
 * (ensure_ascii): '"' and '\' escaped, \n \r \t \b \f short, every other
 * byte outside ' '..'~' as \uXXXX (lower-case hex, UTF-16 surrogate pairs
 * above U+FFFF). A byte that is not valid UTF-8 is taken as Latin-1. */
static void put_string(struct bp_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    bp_buf_add(b, "\"", 1);
    while (*p) {
        const unsigned char *run = p;
        while (plain(*p))
            p++;
        if (p > run) {
            bp_buf_add(b, run, (size_t)(p - run));
            continue;
        }
        const char *esc = short_escape(*p);
        if (esc) {
            put(b, esc);
            p++;
            continue;
        }
        unsigned long cp;
        p += utf8_decode(p, &cp);
        if (cp >= 0x10000) {
            unsigned long v = cp - 0x10000;
            bp_buf_printf(b, "\\u%04lx\\u%04lx", 0xd800 + (v >> 10),
                          0xdc00 + (v & 0x3ff));
        } else {
            bp_buf_printf(b, "\\u%04lx", cp);
        }
    }
    bp_buf_add(b, "\"", 1);
}

/* One string member after the first ones: ", "key": "value"". */
struct member {
    const char *key;
    const char *value;
};

/* The label JSON of p, written to root/name/name_labels_metadata.json:
 * the "labels" array, the corners (the last one named last_corner), the
 * projection, then n string members. */
static int write_json(struct generator *g, const struct pair *p,
                      const char *last_corner, const struct member *m,
                      size_t n, const char *root, const char *name)
{
    struct bp_buf *b = &g->json;
    bp_buf_clear(b);
    put(b, "{\"labels\": [");
    for (int i = 0; i < p->nlabels; i++) {
        if (i)
            put(b, ", ");
        put_string(b, bp_labels43_names[p->labels[i]]);
    }
    put(b, "], ");
    bp_buf_printf(b,
                  "\"coordinates\": {\"ulx\": %ld, \"uly\": %ld, \"lrx\": %ld, "
                  "\"%s\": %ld}, \"projection\": ",
                  p->ulx, p->uly, p->ulx + PATCH_METRES, last_corner,
                  p->uly - PATCH_METRES);
    put_string(b, g->wkt[p->tile]);
    for (size_t i = 0; i < n; i++) {
        bp_buf_printf(b, ", \"%s\": ", m[i].key);
        put_string(b, m[i].value);
    }
    put(b, "}");
    if (join_path(g->path, root, name, name, "_labels_metadata.json") != 0)
        return -1;
    if (b->failed)
        return fail_path(g->path, "out of memory");
    return put_file(g, g->path, b->data, b->len);
}

int write_s2_json(struct generator *g, const struct pair *p)
{
    const struct member m[] = {{"tile_source", p->tile_source},
                               {"acquisition_date", p->s2_date}};
    return write_json(g, p, "lry", m, 2, g->s2_root, p->s2_name);
}

int write_s1_json(struct generator *g, const struct pair *p)
{
    /* The S1 files of the archive really name the last corner "lly". */
    const struct member m[] = {{"corresponding_s2_patch", p->s2_name},
                               {"scene_source", p->scene_source},
                               {"acquisition_time", p->s1_time}};
    return write_json(g, p, "lly", m, 3, g->s1_root, p->s1_name);
}
