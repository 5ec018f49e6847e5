/*
 * mutate: make a TFRecord file whose records are well framed (both CRCs
 * right) but one of which breaks the record schema, for the verify tests.
 * Independent of ben-prep: its own protobuf walking and CRC-32C.
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
 * Exit status 0, or 1 with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 64

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

static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
}

static uint32_t masked(const uint8_t *p, size_t n)
{
    uint32_t c = crc32c(p, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
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

int main(int argc, char **argv)
{
    if (argc < 5)
        die("usage: mutate IN OUT RECORD ACTION [ARG...]");
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out)
        die("cannot open IN or OUT");
    long target = num(argv[3]);
    uint8_t head[12];
    for (long k = 0; fread(head, 1, 12, in) == 12; k++) {
        uint64_t len = 0;
        for (int i = 0; i < 8; i++)
            len |= (uint64_t)head[i] << (8 * i);
        uint8_t *rec = malloc(len + 4);
        if (!rec || fread(rec, 1, len + 4, in) != len + 4)
            die("truncated input");
        if (k != target) {
            write_record(out, rec, len);
            free(rec);
            continue;
        }
        struct entry e[MAX_ENTRIES];
        memset(e, 0, sizeof e);
        size_t n = parse_entries(rec, len, e);
        mutate(e, &n, argv + 4, argc - 4);
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
        write_record(out, example.p, example.len);
        free(features.p);
        free(example.p);
        free(rec);
    }
    fclose(in);
    if (fclose(out) != 0)
        die("write error");
    return 0;
}
