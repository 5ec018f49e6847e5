/*
 * mutate: make a TFRecord file whose records are well framed (both CRCs
 * right) but one of which breaks the record schema, or whose records are
 * out of place, for the verify tests. Its own protobuf walking, independent
 * of the converter's encoder; CRC-32C from the common module.
 *
 *   mutate IN OUT RECORD ACTION [ARG...]
 *
 * Copies IN to OUT, rewriting record RECORD (counted from 0) by ACTION:
 *   drop-value KEY        remove the last value of KEY's packed list
 *   swap KEY1 KEY2        swap the map entries of two keys
 *   rename KEY NEW        rename a key
 *   retype KEY TYPE       make KEY's list a bytes (1), float (2) or int64 (3)
 *                         list, keeping its payload
 *   multi-hot CLASS VALUE set BigEarthNet-19_labels_multi_hot[CLASS]
 *   overlong KEY          write the first value of KEY's packed int64 list
 *                         as a varint one byte longer than it needs
 * or moves whole records, each left intact (a converter writing records in
 * the wrong place):
 *   copy-record OTHER     replace record RECORD by a copy of record OTHER
 *   swap-records OTHER    swap records RECORD and OTHER
 * Exit status 0, or 1 with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"

#define MAX_ENTRIES 64
#define MAX_RECORDS 100000

struct buf {
    uint8_t *p;
    size_t len;
};

struct entry {
    char key[256];
    struct buf value; /* the Feature message, owned */
};

static void die(const char *msg)
{
    fprintf(stderr, "mutate: %s\n", msg);
    exit(1);
}

static uint32_t masked(const uint8_t *p, size_t n)
{
    return bp_crc32c_mask(bp_crc32c(p, n));
}

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    die("bad varint");
    return 0;
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* Append field f (length-delimited) with payload p[0..n) to out. */
static void put_field(struct buf *out, uint32_t f, const uint8_t *p, size_t n)
{
    uint8_t head[16];
    size_t h = put_varint(head, (uint64_t)f << 3 | 2);
    h += put_varint(head + h, n);
    out->p = realloc(out->p, out->len + h + n);
    if (!out->p)
        die("out of memory");
    memcpy(out->p + out->len, head, h);
    memcpy(out->p + out->len + h, p, n);
    out->len += h + n;
}

/* The one length-delimited field of msg: its number and payload. */
static uint32_t only_field(struct buf msg, struct buf *payload)
{
    const uint8_t *p = msg.p, *end = msg.p + msg.len;
    uint32_t f = (uint32_t)(varint(&p, end) >> 3);
    payload->len = (size_t)varint(&p, end);
    payload->p = (uint8_t *)p;
    return f;
}

static size_t parse_entries(const uint8_t *rec, size_t len, struct entry *e)
{
    const uint8_t *p = rec, *end = rec + len;
    varint(&p, end); /* Example.features */
    const uint8_t *fend = p + varint(&p, end);
    size_t n = 0;
    while (p < fend) {
        if (n == MAX_ENTRIES)
            die("too many entries");
        varint(&p, fend); /* map entry tag */
        const uint8_t *eend = p + varint(&p, fend);
        while (p < eend) {
            uint32_t f = (uint32_t)(varint(&p, eend) >> 3);
            size_t l = (size_t)varint(&p, eend);
            if (f == 1) {
                snprintf(e[n].key, sizeof e[n].key, "%.*s", (int)l, (const char *)p);
            } else {
                e[n].value.p = malloc(l ? l : 1);
                if (!e[n].value.p)
                    die("out of memory");
                memcpy(e[n].value.p, p, l);
                e[n].value.len = l;
            }
            p += l;
        }
        n++;
    }
    return n;
}

static struct entry *find(struct entry *e, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].key, key) == 0)
            return &e[i];
    die("no such key");
    return NULL;
}

/* Rebuild a Feature of list type t from the list payload values[0..n). */
static void set_list(struct entry *e, uint32_t t, const uint8_t *values, size_t n)
{
    struct buf list = {0}, feature = {0};
    put_field(&list, 1, values, n);
    put_field(&feature, t, list.p, list.len);
    free(list.p);
    free(e->value.p);
    e->value = feature;
}

static int num(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 255)
        die("bad number");
    return (int)v;
}

static void mutate(struct entry *e, size_t *n, char **arg, int nargs)
{
    const char *action = arg[0];
    struct buf list, packed;
    if (strcmp(action, "swap") == 0 && nargs == 3) {
        struct entry *a = find(e, *n, arg[1]), *b = find(e, *n, arg[2]), t = *a;
        *a = *b;
        *b = t;
    } else if (strcmp(action, "rename") == 0 && nargs == 3) {
        snprintf(find(e, *n, arg[1])->key, sizeof e->key, "%s", arg[2]);
    } else if (strcmp(action, "retype") == 0 && nargs == 3) {
        struct entry *x = find(e, *n, arg[1]);
        only_field(x->value, &list);
        only_field(list, &packed);
        set_list(x, (uint32_t)num(arg[2]), packed.p, packed.len);
    } else if (strcmp(action, "drop-value") == 0 && nargs == 2) {
        struct entry *x = find(e, *n, arg[1]);
        uint32_t t = only_field(x->value, &list);
        only_field(list, &packed);
        size_t keep = packed.len;
        if (t == 2) {
            keep -= 4;
        } else {
            /* The last varint starts after the last byte below 0x80 but one. */
            keep--;
            while (keep > 0 && (packed.p[keep - 1] & 0x80))
                keep--;
        }
        set_list(x, t, packed.p, keep);
    } else if (strcmp(action, "overlong") == 0 && nargs == 2) {
        struct entry *x = find(e, *n, arg[1]);
        uint32_t t = only_field(x->value, &list);
        only_field(list, &packed);
        if (t != 3 || packed.len == 0)
            die("overlong needs a non-empty int64 list");
        /* The first varint's last byte gains a continuation bit and a zero
         * byte follows: the same value, one byte longer. */
        size_t first = 0;
        while (packed.p[first] & 0x80)
            first++;
        uint8_t *v = malloc(packed.len + 1);
        if (!v)
            die("out of memory");
        memcpy(v, packed.p, first + 1);
        v[first] |= 0x80;
        v[first + 1] = 0;
        memcpy(v + first + 2, packed.p + first + 1, packed.len - first - 1);
        set_list(x, 3, v, packed.len + 1);
        free(v);
    } else if (strcmp(action, "multi-hot") == 0 && nargs == 3) {
        struct entry *x = find(e, *n, "BigEarthNet-19_labels_multi_hot");
        only_field(x->value, &list);
        only_field(list, &packed);
        if (packed.len != 19)
            die("multi-hot is not 19 one-byte values");
        uint8_t v[32];
        memcpy(v, packed.p, 19);
        int c = num(arg[1]);
        if (c >= 19)
            die("CLASS is 0 to 18");
        v[c] = (uint8_t)num(arg[2]);
        set_list(x, 3, v, 19);
    } else {
        die("unknown action or wrong number of arguments");
    }
}

static void write_record(FILE *out, const uint8_t *data, size_t len)
{
    uint8_t head[12];
    uint64_t l = len;
    for (int i = 0; i < 8; i++)
        head[i] = (uint8_t)(l >> (8 * i));
    uint32_t c = masked(head, 8);
    memcpy(head + 8, &c, 4); /* little-endian hosts only, as the tests run */
    uint32_t d = masked(data, len);
    if (fwrite(head, 1, 12, out) != 12 || fwrite(data, 1, len, out) != len ||
        fwrite(&d, 1, 4, out) != 4)
        die("write error");
}

/* Rewrite record rec[k] (len[k] bytes) by the action in arg. */
static void rewrite(uint8_t **rec, uint64_t *len, long k, char **arg,
                    int nargs)
{
    struct entry e[MAX_ENTRIES];
    memset(e, 0, sizeof e);
    size_t n = parse_entries(rec[k], len[k], e);
    mutate(e, &n, arg, nargs);
    struct buf features = {0}, example = {0};
    for (size_t i = 0; i < n; i++) {
        struct buf entry = {0};
        put_field(&entry, 1, (const uint8_t *)e[i].key, strlen(e[i].key));
        put_field(&entry, 2, e[i].value.p, e[i].value.len);
        put_field(&features, 1, entry.p, entry.len);
        free(entry.p);
        free(e[i].value.p);
    }
    put_field(&example, 1, features.p, features.len);
    free(features.p);
    free(rec[k]);
    rec[k] = example.p;
    len[k] = example.len;
}

/* Move whole records: copy-record or swap-records. Returns 0, or -1 when
 * action is neither. */
static int move(uint8_t **rec, uint64_t *len, long count, long k,
                char **arg, int nargs)
{
    int copy = strcmp(arg[0], "copy-record") == 0;
    if ((!copy && strcmp(arg[0], "swap-records") != 0) || nargs != 2)
        return -1;
    long other = num(arg[1]);
    if (other >= count)
        die("OTHER is past the last record");
    if (copy) {
        free(rec[k]);
        rec[k] = malloc(len[other] ? len[other] : 1);
        if (!rec[k])
            die("out of memory");
        memcpy(rec[k], rec[other], len[other]);
        len[k] = len[other];
    } else {
        uint8_t *p = rec[k];
        uint64_t l = len[k];
        rec[k] = rec[other];
        len[k] = len[other];
        rec[other] = p;
        len[other] = l;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        die("usage: mutate IN OUT RECORD ACTION [ARG...]");
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out)
        die("cannot open IN or OUT");
    long target = num(argv[3]), count = 0;
    static uint8_t *rec[MAX_RECORDS];
    static uint64_t len[MAX_RECORDS];
    uint8_t head[12];
    while (fread(head, 1, 12, in) == 12) {
        if (count == MAX_RECORDS)
            die("too many records");
        len[count] = 0;
        for (int i = 0; i < 8; i++)
            len[count] |= (uint64_t)head[i] << (8 * i);
        rec[count] = malloc(len[count] + 4);
        if (!rec[count] ||
            fread(rec[count], 1, len[count] + 4, in) != len[count] + 4)
            die("truncated input");
        count++;
    }
    fclose(in);
    if (target >= count)
        die("RECORD is past the last record");
    if (move(rec, len, count, target, argv + 4, argc - 4) != 0)
        rewrite(rec, len, target, argv + 4, argc - 4);
    for (long k = 0; k < count; k++) {
        write_record(out, rec[k], len[k]);
        free(rec[k]);
    }
    if (fclose(out) != 0)
        die("write error");
    return 0;
}
