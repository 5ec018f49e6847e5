/*
 * decode.c - the verifier's protobuf decoder for tf.train.Example records,
 * written from the wire format alone (FORMAT.md section 4) and sharing
 * nothing with the converter's encoder, so an encoder bug cannot hide
 * behind a decoder that makes the same mistake.
 *
 * It fills struct vf_decoded (pixels, float bits, labels, names) and
 * reports, as problems of the current record, what breaks the wire format,
 * the schema's keys, list types and value counts, value ranges, and
 * protobuf's deterministic encoding (minimal varints, packed values in one
 * field, a map entry's key before its value), which the converter promises.
 */
#include <string.h>

#include "verify/verify_int.h"

/* A window of the record being decoded. */
struct cursor {
    const uint8_t *p, *end;
};

/* Offset of c's position within the record, for messages. */
static size_t rec_offset(const struct vf_verifier *v, const struct cursor *c)
{
    return (size_t)(c->p - v->rec);
}

static void malformed(struct vf_verifier *v, const struct cursor *c,
                      const char *what)
{
    vf_record_problem(v, "malformed protobuf: %s at byte %zu of the record's "
                         "data",
                      what, rec_offset(v, c));
}

/* Not the deterministic encoding: reported once per record. */
static void noncanonical(struct vf_verifier *v, const uint8_t *at,
                         const char *what)
{
    if (v->dec.noncanonical++)
        return;
    vf_record_problem(v, "not protobuf's deterministic encoding: %s at byte "
                         "%zu of the record's data",
                      what, (size_t)(at - v->rec));
}

/* One varint (at most 10 bytes). Returns 0, or -1 when it runs past the
 * end or is too long. A varint longer than it needs to be is reported. */
static inline int read_varint(struct vf_verifier *v, struct cursor *c,
                              uint64_t *out)
{
    const uint8_t *start = c->p;
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end)
            return -1;
        uint8_t b = *c->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && c->p - start > 1)
                noncanonical(v, start, "a varint longer than it needs");
            *out = x;
            return 0;
        }
    }
    return -1;
}

static int read_tag(struct vf_verifier *v, struct cursor *c, uint32_t *field,
                    uint32_t *wire)
{
    uint64_t t;
    if (read_varint(v, c, &t) != 0 || (t >> 3) == 0 || (t >> 3) > 0x1fffffff)
        return -1;
    *field = (uint32_t)(t >> 3);
    *wire = (uint32_t)(t & 7);
    return 0;
}

/* A length-delimited value: its bytes become *sub. */
static int read_len(struct vf_verifier *v, struct cursor *c,
                    struct cursor *sub)
{
    uint64_t n;
    if (read_varint(v, c, &n) != 0 || n > (uint64_t)(c->end - c->p))
        return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

/* Skip a value of the given wire type. Groups (3, 4) are not accepted. */
static int skip_value(struct vf_verifier *v, struct cursor *c, uint32_t wire)
{
    uint64_t x;
    struct cursor sub;
    switch (wire) {
    case 0:
        return read_varint(v, c, &x);
    case 1:
        if (c->end - c->p < 8)
            return -1;
        c->p += 8;
        return 0;
    case 2:
        return read_len(v, c, &sub);
    case 5:
        if (c->end - c->p < 4)
            return -1;
        c->p += 4;
        return 0;
    default:
        return -1;
    }
}

/* An unexpected field where: reported, then skipped. Returns 0, or -1 when
 * it cannot be skipped (reported). */
static int unexpected(struct vf_verifier *v, struct cursor *c, const char *key,
                      uint32_t field, uint32_t wire, const char *where)
{
    vf_record_problem(v, "%s%sunexpected field %u (wire type %u) in %s",
                      key ? key : "", key ? ": " : "", field, wire, where);
    if (skip_value(v, c, wire) == 0)
        return 0;
    malformed(v, c, "cannot skip an unknown field");
    return -1;
}

static const char *list_name(uint32_t type)
{
    switch (type) {
    case VF_LIST_BYTES:
        return "a bytes_list";
    case VF_LIST_FLOAT:
        return "a float_list";
    case VF_LIST_INT64:
        return "an int64_list";
    default:
        return "an unknown list";
    }
}

/* Take one int64 value of field f (index i). */
static void take_int64(struct vf_verifier *v, const struct vf_field *f,
                       size_t i, uint32_t n, uint64_t value)
{
    struct vf_decoded *d = &v->dec;
    if (f->kind == VF_KIND_BAND) {
        if (value > 0xffff && !d->bad_value[i]) {
            d->bad_value[i] = 1;
            vf_record_problem(v, "%s value %llu at pixel %u is not a 16-bit "
                                 "value",
                              f->key, (unsigned long long)value, n);
        }
        if (n < f->count)
            d->band[f->slot][n] = (uint16_t)value;
    } else if (f->kind == VF_KIND_MULTI_HOT) {
        if (value > 1 && !d->bad_value[i]) {
            d->bad_value[i] = 1;
            vf_record_problem(v, "%s value %llu at class %u is not 0 or 1",
                              f->key, (unsigned long long)value, n);
        }
        if (n < VF_CLASSES)
            d->multi_hot[n] = (uint8_t)value;
    }
}

/* Packed pixels of band field f (index i) from *packed into the band's
 * array, values counted from *n on. Pixels are 16-bit, so their varints have
 * one to three bytes; those take the short way, longer ones (never valid
 * pixels, reported by take_int64) the general one. Returns 0, or -1 on a
 * bad varint (reported). */
static int decode_packed_band(struct vf_verifier *v, const struct vf_field *f,
                              size_t i, struct cursor *packed, uint32_t *n)
{
    const uint8_t *p = packed->p, *end = packed->end;
    uint16_t *dst = v->dec.band[f->slot];
    uint32_t k = *n, cap = f->count;
    int rc = 0;
    while (p < end) {
        uint32_t x = p[0];
        if (x < 0x80) {
            p += 1;
        } else if (end - p >= 2 && p[1] < 0x80) {
            if (!p[1])
                noncanonical(v, p, "a varint longer than it needs");
            x = (x & 0x7f) | (uint32_t)p[1] << 7;
            p += 2;
        } else if (end - p >= 3 && p[1] >= 0x80 && p[2] < 0x80) {
            if (!p[2])
                noncanonical(v, p, "a varint longer than it needs");
            x = (x & 0x7f) | (uint32_t)(p[1] & 0x7f) << 7 |
                (uint32_t)p[2] << 14;
            p += 3;
        } else {
            uint64_t value;
            packed->p = p;
            if (read_varint(v, packed, &value) != 0) {
                malformed(v, packed, "bad varint in packed int64 values");
                rc = -1;
                break;
            }
            p = packed->p;
            take_int64(v, f, i, k++, value);
            continue;
        }
        if (x > 0xffff)
            take_int64(v, f, i, k, x); /* reports it */
        else if (k < cap)
            dst[k] = (uint16_t)x;
        k++;
    }
    packed->p = p;
    *n = k;
    return rc;
}

/* Packed int64 values other than pixels into take_int64. */
static int decode_packed_int64(struct vf_verifier *v, const struct vf_field *f,
                               size_t i, struct cursor *packed, uint32_t *n)
{
    while (packed->p < packed->end) {
        uint64_t value;
        /* The common case, one byte, without the general loop. */
        if (!(*packed->p & 0x80)) {
            value = *packed->p++;
        } else if (read_varint(v, packed, &value) != 0) {
            malformed(v, packed, "bad varint in packed int64 values");
            return -1;
        }
        take_int64(v, f, i, (*n)++, value);
    }
    return 0;
}

/* Decode an int64_list of field f; returns the value count, or -1 when the
 * list is malformed (reported). */
static int64_t decode_int64_list(struct vf_verifier *v,
                                 const struct vf_field *f, size_t i,
                                 struct cursor l)
{
    uint32_t n = 0, fields = 0;
    while (l.p < l.end) {
        uint32_t field, wire;
        const uint8_t *at = l.p;
        uint64_t value;
        struct cursor packed;
        if (read_tag(v, &l, &field, &wire) != 0) {
            malformed(v, &l, "bad tag in an int64_list");
            return -1;
        }
        if (field == 1 && wire == 2) {
            if (read_len(v, &l, &packed) != 0) {
                malformed(v, &l, "packed int64 values run past their list");
                return -1;
            }
            if (fields++)
                noncanonical(v, at, "values in more than one packed field");
            int rc = f->kind == VF_KIND_BAND
                         ? decode_packed_band(v, f, i, &packed, &n)
                         : decode_packed_int64(v, f, i, &packed, &n);
            if (rc != 0)
                return -1;
        } else if (field == 1 && wire == 0) {
            if (read_varint(v, &l, &value) != 0) {
                malformed(v, &l, "bad varint in an int64_list");
                return -1;
            }
            noncanonical(v, at, "an unpacked int64 value");
            take_int64(v, f, i, n++, value);
        } else if (unexpected(v, &l, f->key, field, wire, "its int64_list")) {
            return -1;
        }
    }
    return n;
}

static void take_float(struct vf_verifier *v, const struct vf_field *f,
                       uint32_t n, const uint8_t *p)
{
    if (n < f->count) {
        uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                        (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        v->dec.sar[f->slot][n] = bits;
    }
}

static int64_t decode_float_list(struct vf_verifier *v,
                                 const struct vf_field *f, struct cursor l)
{
    uint32_t n = 0, fields = 0;
    while (l.p < l.end) {
        uint32_t field, wire;
        const uint8_t *at = l.p;
        struct cursor packed;
        if (read_tag(v, &l, &field, &wire) != 0) {
            malformed(v, &l, "bad tag in a float_list");
            return -1;
        }
        if (field == 1 && wire == 2) {
            if (read_len(v, &l, &packed) != 0) {
                malformed(v, &l, "packed float values run past their list");
                return -1;
            }
            size_t len = (size_t)(packed.end - packed.p);
            if (len % 4 != 0) {
                vf_record_problem(v, "%s: packed float values of %zu bytes, "
                                     "not a multiple of 4",
                                  f->key, len);
                return -1;
            }
            if (fields++)
                noncanonical(v, at, "values in more than one packed field");
            for (; packed.p < packed.end; packed.p += 4)
                take_float(v, f, n++, packed.p);
        } else if (field == 1 && wire == 5) {
            if (l.end - l.p < 4) {
                malformed(v, &l, "float value runs past its list");
                return -1;
            }
            noncanonical(v, at, "an unpacked float value");
            take_float(v, f, n++, l.p);
            l.p += 4;
        } else if (unexpected(v, &l, f->key, field, wire, "its float_list")) {
            return -1;
        }
    }
    return n;
}

static int64_t decode_bytes_list(struct vf_verifier *v,
                                 const struct vf_field *f, struct cursor l)
{
    struct vf_decoded *d = &v->dec;
    uint32_t n = 0;
    while (l.p < l.end) {
        uint32_t field, wire;
        struct cursor s;
        if (read_tag(v, &l, &field, &wire) != 0) {
            malformed(v, &l, "bad tag in a bytes_list");
            return -1;
        }
        if (field == 1 && wire == 2) {
            if (read_len(v, &l, &s) != 0) {
                malformed(v, &l, "bytes value runs past its list");
                return -1;
            }
            if (f->kind == VF_KIND_LABELS && n < VF_CLASSES) {
                d->label[n] = s.p;
                d->label_len[n] = (size_t)(s.end - s.p);
            } else if (f->kind == VF_KIND_NAME && n == 0) {
                d->name[f->slot] = s.p;
                d->name_len[f->slot] = (size_t)(s.end - s.p);
            }
            n++;
        } else if (unexpected(v, &l, f->key, field, wire, "its bytes_list")) {
            return -1;
        }
    }
    return n;
}

/* The one value list of a Feature of field f: *list and its type. Returns
 * 0, or -1 when there is none, more than one, or the Feature is malformed
 * (reported). */
static int feature_list(struct vf_verifier *v, const struct vf_field *f,
                        struct cursor c, struct cursor *list, uint32_t *type)
{
    uint32_t lists = 0;
    while (c.p < c.end) {
        uint32_t field, wire;
        if (read_tag(v, &c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in a Feature");
            return -1;
        }
        if (field >= 1 && field <= 3 && wire == 2) {
            if (read_len(v, &c, list) != 0) {
                malformed(v, &c, "a value list runs past its Feature");
                return -1;
            }
            *type = field;
            lists++;
        } else if (unexpected(v, &c, f->key, field, wire, "its Feature")) {
            return -1;
        }
    }
    if (lists == 0)
        vf_record_problem(v, "%s has no value list, expected %s", f->key,
                          list_name(f->type));
    else if (lists > 1)
        vf_record_problem(v, "%s has %u value lists, expected only %s",
                          f->key, lists, list_name(f->type));
    return lists == 1 ? 0 : -1;
}

/* Decode the Feature message of field i and check its type and count. */
static void decode_feature(struct vf_verifier *v, size_t i, struct cursor c)
{
    const struct vf_field *f = &v->schema->fields[i];
    uint32_t type = 0;
    struct cursor list = {c.p, c.p};
    if (feature_list(v, f, c, &list, &type) != 0)
        return;
    if (type != f->type) {
        vf_record_problem(v, "%s is %s, expected %s", f->key, list_name(type),
                          list_name(f->type));
        return;
    }
    int64_t n = type == VF_LIST_INT64   ? decode_int64_list(v, f, i, list)
                : type == VF_LIST_FLOAT ? decode_float_list(v, f, list)
                                        : decode_bytes_list(v, f, list);
    if (n < 0)
        return;
    v->dec.count[i] = (uint32_t)n;
    if (f->count > 0 && (uint64_t)n != f->count)
        vf_record_problem(v, "%s has %lld value%s, expected %u", f->key,
                          (long long)n, n == 1 ? "" : "s", f->count);
    else if (f->kind == VF_KIND_LABELS && n > VF_CLASSES)
        vf_record_problem(v, "%s has %lld names, at most %d exist", f->key,
                          (long long)n, VF_CLASSES);
    else
        v->dec.seen[i] = 2; /* decoded with the right type and count */
}

/* The key and the value of a map entry. Returns 0, or -1 when the entry is
 * malformed (reported). */
static int entry_parts(struct vf_verifier *v, struct cursor c,
                       struct cursor *key, struct cursor *value, int *keys,
                       int *values)
{
    while (c.p < c.end) {
        uint32_t field, wire;
        const uint8_t *at = c.p;
        if (read_tag(v, &c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in a map entry");
            return -1;
        }
        if ((field == 1 || field == 2) && wire == 2) {
            if (read_len(v, &c, field == 1 ? key : value) != 0) {
                malformed(v, &c, "a map entry's key or value runs past it");
                return -1;
            }
            if (field == 1 && *values)
                noncanonical(v, at, "a map entry's key after its value");
            *keys += field == 1;
            *values += field == 2;
        } else if (unexpected(v, &c, NULL, field, wire, "a map entry")) {
            return -1;
        }
    }
    return 0;
}

/* One map entry of Features: key (1) and value (2). *last is the field
 * index of the previous entry, for the order check. */
static void decode_entry(struct vf_verifier *v, struct cursor c, int *last)
{
    struct cursor key = {NULL, NULL}, value = {c.p, c.p};
    int keys = 0, values = 0;
    char shown[128];
    if (entry_parts(v, c, &key, &value, &keys, &values) != 0)
        return;
    if (keys != 1) {
        vf_record_problem(v, "a map entry has %d keys, expected 1", keys);
        return;
    }
    size_t klen = (size_t)(key.end - key.p);
    vf_printable(shown, sizeof shown, key.p, klen);
    if (values != 1) {
        vf_record_problem(v, "the entry of key \"%s\" has %d values, "
                             "expected 1",
                          shown, values);
        return;
    }
    int i = vf_find_field(v->schema, key.p, klen);
    if (i < 0) {
        vf_record_problem(v, "unexpected key \"%s\" (not in %s records)",
                          shown, v->schema->name);
        return;
    }
    if (v->dec.seen[i]) {
        vf_record_problem(v, "key %s appears twice", shown);
        return;
    }
    if (i < *last)
        vf_record_problem(v, "key %s comes after %s: the keys are not in "
                             "sorted order",
                          shown, v->schema->fields[*last].key);
    else
        *last = i;
    v->dec.seen[i] = 1;
    decode_feature(v, (size_t)i, value);
}

/* The Features message: its map entries. Returns 0, or -1 when it is
 * malformed (reported). */
static int decode_features(struct vf_verifier *v, struct cursor c, int *last)
{
    while (c.p < c.end) {
        uint32_t field, wire;
        struct cursor entry;
        if (read_tag(v, &c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in the features");
            return -1;
        }
        if (field == 1 && wire == 2) {
            if (read_len(v, &c, &entry) != 0) {
                malformed(v, &c, "a map entry runs past the features");
                return -1;
            }
            decode_entry(v, entry, last);
        } else if (unexpected(v, &c, NULL, field, wire, "the features")) {
            return -1;
        }
    }
    return 0;
}

int vf_decode_record(struct vf_verifier *v, size_t len)
{
    struct cursor c = {v->rec, v->rec + len};
    int features = 0, last = -1;
    while (c.p < c.end) {
        uint32_t field, wire;
        struct cursor sub;
        if (read_tag(v, &c, &field, &wire) != 0) {
            malformed(v, &c, "bad tag in the Example");
            return -1;
        }
        if (field == 1 && wire == 2) {
            if (read_len(v, &c, &sub) != 0) {
                malformed(v, &c, "the features run past the record");
                return -1;
            }
            if (features++ > 0) {
                vf_record_problem(v, "%s", "the Example has more than one "
                                           "features message");
                continue;
            }
            if (decode_features(v, sub, &last) != 0)
                return -1;
        } else if (unexpected(v, &c, NULL, field, wire, "the Example")) {
            return -1;
        }
    }
    if (features == 0) {
        vf_record_problem(v, "%s", "the Example has no features");
        return -1;
    }
    return 0;
}
