/*
 * CUnit suite "archive": the tar parser on hand-made headers (ustar prefix,
 * GNU long names and base-256 sizes, pax records, checksums, the end of the
 * archive, truncation, any chunking), the index file format (header, access
 * points, member blocks and lookups, split folders) and the external sort.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive/bytes.h"
#include "archive/idxfile.h"
#include "archive/sort.h"
#include "archive/tar.h"
#include "unit_util.h"

/* ---- tar headers -------------------------------------------------------- */

enum magic { MAGIC_USTAR, MAGIC_GNU, MAGIC_V7 };

static void octal(unsigned char *p, size_t n, unsigned long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%0*llo", (int)(n - 1), v);
    memcpy(p, tmp, n - 1);
    p[n - 1] = '\0';
}

static void set_sum(unsigned char *h, int as_signed)
{
    memset(h + 148, ' ', 8);
    long sum = 0;
    for (int i = 0; i < 512; i++)
        sum += as_signed ? (signed char)h[i] : h[i];
    char tmp[8];
    snprintf(tmp, sizeof tmp, "%06lo", (unsigned long)sum);
    memcpy(h + 148, tmp, 7);
}

/* Append a header (and size bytes of data 'D', padded) at buf + *len. */
static void add_entry(unsigned char *buf, size_t *len, const char *name,
                      const char *prefix, char type, unsigned long long size,
                      enum magic m, const char *data)
{
    unsigned char *h = buf + *len;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    octal(h + 100, 8, 0644);
    octal(h + 124, 12, size);
    octal(h + 136, 12, 0);
    h[156] = (unsigned char)type;
    if (m == MAGIC_USTAR)
        memcpy(h + 257, "ustar\0" "00", 8);
    else if (m == MAGIC_GNU)
        memcpy(h + 257, "ustar  ", 8);
    if (prefix)
        memcpy(h + 345, prefix, strlen(prefix));
    set_sum(h, 0);
    *len += 512;
    size_t padded = (size_t)((size + 511) / 512 * 512);
    memset(buf + *len, 0, padded);
    if (data)
        memcpy(buf + *len, data, (size_t)size);
    else
        memset(buf + *len, 'D', (size_t)size);
    *len += padded;
}

static void add_end(unsigned char *buf, size_t *len)
{
    memset(buf + *len, 0, 1024);
    *len += 1024;
}

struct seen {
    int n;
    char names[16][512];
    int types[16];
    unsigned long long off[16], size[16], hdr[16];
};

static int on_member(void *ctx, const struct bpx_tar_member *m)
{
    struct seen *s = ctx;
    if (s->n < 16) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", m->name);
        s->types[s->n] = m->type;
        s->off[s->n] = m->data_offset;
        s->size[s->n] = m->size;
        s->hdr[s->n] = m->header_offset;
    }
    s->n++;
    return 0;
}

/* Parse buf whole (step 0) or in pieces of step bytes. */
static int parse(const unsigned char *buf, size_t len, size_t step,
                 struct seen *s, struct bpx_tar **out)
{
    memset(s, 0, sizeof *s);
    struct bpx_tar *t = bpx_tar_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        size_t n = step ? (len - i < step ? len - i : step) : len;
        rc = bpx_tar_feed(t, buf + i, n, on_member, s);
        i += n;
    }
    if (rc == 0)
        rc = bpx_tar_finish(t);
    if (out)
        *out = t;
    else
        bpx_tar_free(t);
    return rc;
}

static unsigned char big[1 << 16];

static void test_ustar_prefix_and_types(void)
{
    size_t len = 0;
    add_entry(big, &len, "top/", NULL, '5', 0, MAGIC_USTAR, NULL);
    add_entry(big, &len, "name.tif", "top/folder", '0', 700, MAGIC_USTAR,
              NULL);
    add_entry(big, &len, "link", "top/folder", '2', 0, MAGIC_USTAR, NULL);
    add_entry(big, &len, "hard", "top/folder", '1', 0, MAGIC_USTAR, NULL);
    add_entry(big, &len, "fifo", "top/folder", '6', 0, MAGIC_USTAR, NULL);
    add_end(big, &len);
    struct seen s;
    CU_ASSERT_EQUAL(parse(big, len, 0, &s, NULL), 0);
    CU_ASSERT_EQUAL(s.n, 5);
    CU_ASSERT_STRING_EQUAL(s.names[1], "top/folder/name.tif");
    CU_ASSERT_EQUAL(s.types[0], BPX_MEMBER_DIR);
    CU_ASSERT_EQUAL(s.types[1], BPX_MEMBER_FILE);
    CU_ASSERT_EQUAL(s.off[1], 1024);
    CU_ASSERT_EQUAL(s.size[1], 700);
    CU_ASSERT_EQUAL(s.types[2], BPX_MEMBER_SYMLINK);
    CU_ASSERT_EQUAL(s.types[3], BPX_MEMBER_HARDLINK);
    CU_ASSERT_EQUAL(s.types[4], BPX_MEMBER_OTHER);
    /* Any chunking gives the same members. */
    struct seen s2;
    for (size_t step = 1; step < 1400; step += 137) {
        CU_ASSERT_EQUAL(parse(big, len, step, &s2, NULL), 0);
        CU_ASSERT_EQUAL(s2.n, s.n);
        CU_ASSERT_STRING_EQUAL(s2.names[1], s.names[1]);
        CU_ASSERT_EQUAL(s2.off[4], s.off[4]);
    }
}

static void test_gnu_long_name_and_base256(void)
{
    char longname[400];
    memset(longname, 'x', sizeof longname);
    memcpy(longname, "top/", 4);
    longname[sizeof longname - 1] = '\0';
    size_t len = 0;
    add_entry(big, &len, "././@LongLink", NULL, 'L', strlen(longname) + 1,
              MAGIC_GNU, longname);
    add_entry(big, &len, "truncated-name", NULL, '0', 10, MAGIC_GNU, NULL);
    add_entry(big, &len, "././@LongLink", NULL, 'K', 20, MAGIC_GNU, NULL);
    /* GNU base-256 size: 0x80 then big-endian bytes. */
    size_t h = len;
    add_entry(big, &len, "top/b", NULL, '2', 0, MAGIC_GNU, NULL);
    memset(big + h + 124, 0, 12);
    big[h + 124] = 0x80;
    big[h + 135] = 5;
    set_sum(big + h, 0);
    add_end(big, &len);
    struct seen s;
    CU_ASSERT_EQUAL(parse(big, len, 0, &s, NULL), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_STRING_EQUAL(s.names[0], longname);
    CU_ASSERT_EQUAL(s.hdr[0], 0); /* the member starts at its 'L' entry */
    CU_ASSERT_EQUAL(s.size[0], 10);
    CU_ASSERT_STRING_EQUAL(s.names[1], "top/b");
    CU_ASSERT_EQUAL(s.size[1], 0); /* a symlink has no data */
}

/* A pax archive: an 'x' header with rec for a member whose header says 12
 * bytes, a plain member, a 'g' header naming every later member. */
static size_t pax_archive(const char *rec)
{
    const char *glob = "19 path=top/global\n";
    size_t len = 0;
    add_entry(big, &len, "PaxHeaders/a", NULL, 'x', strlen(rec), MAGIC_USTAR,
              rec);
    add_entry(big, &len, "short", NULL, '0', 12, MAGIC_USTAR, NULL);
    add_entry(big, &len, "top/plain", NULL, '0', 1, MAGIC_USTAR, NULL);
    add_entry(big, &len, "GlobalHead", NULL, 'g', strlen(glob), MAGIC_USTAR,
              glob);
    add_entry(big, &len, "other", NULL, '0', 0, MAGIC_USTAR, NULL);
    add_end(big, &len);
    return len;
}

static void test_pax_records(void)
{
    /* The pax size wins over the header's: 4000 bytes are not there. */
    size_t len = pax_archive("28 path=top/from/pax/record\n" "13 size=4000\n"
                             "19 comment=ignored\n");
    struct seen s;
    CU_ASSERT_NOT_EQUAL(parse(big, len, 0, &s, NULL), 0);
    CU_ASSERT_STRING_EQUAL(s.names[0], "top/from/pax/record");
    CU_ASSERT_EQUAL(s.size[0], 4000);

    len = pax_archive("28 path=top/from/pax/record\n" "11 size=12\n");
    CU_ASSERT_EQUAL(parse(big, len, 7, &s, NULL), 0);
    CU_ASSERT_EQUAL(s.n, 3);
    CU_ASSERT_STRING_EQUAL(s.names[0], "top/from/pax/record");
    CU_ASSERT_EQUAL(s.size[0], 12);
    CU_ASSERT_STRING_EQUAL(s.names[1], "top/plain");
    CU_ASSERT_STRING_EQUAL(s.names[2], "top/global");

    /* A record whose length does not end at a newline. */
    len = pax_archive("31 path=top/from/pax/record\n");
    struct bpx_tar *t;
    CU_ASSERT_EQUAL(parse(big, len, 0, &s, &t), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpx_tar_error(t, NULL), "malformed record"));
    bpx_tar_free(t);
}

static void test_checksums(void)
{
    size_t len = 0;
    add_entry(big, &len, "top/a", NULL, '0', 3, MAGIC_USTAR, NULL);
    add_entry(big, &len, "top/\xe9t\xe9", NULL, '0', 3, MAGIC_USTAR, NULL);
    set_sum(big + 1024, 1); /* the old signed sum is accepted */
    add_end(big, &len);
    struct seen s;
    CU_ASSERT_EQUAL(parse(big, len, 0, &s, NULL), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    big[1024 + 2] ^= 1; /* now neither sum matches */
    struct bpx_tar *t;
    CU_ASSERT_EQUAL(parse(big, len, 0, &s, &t), -1);
    CU_ASSERT_EQUAL(s.n, 1);
    uint64_t off = 0;
    const char *why = bpx_tar_error(t, &off);
    CU_ASSERT_EQUAL(off, 1024);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "checksum mismatch"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "at byte 1024"));
    bpx_tar_free(t);
    CU_ASSERT_EQUAL(bpx_tar_header_kind(big), 2);
    add_entry(big, &len, "top/v7", NULL, '0', 0, MAGIC_V7, NULL);
    CU_ASSERT_EQUAL(bpx_tar_header_kind(big + len - 512), 1);
    unsigned char junk[512];
    memset(junk, 'j', sizeof junk);
    CU_ASSERT_EQUAL(bpx_tar_header_kind(junk), 0);
}

static void test_end_and_truncation(void)
{
    size_t len = 0;
    add_entry(big, &len, "top/a", NULL, '0', 1000, MAGIC_USTAR, NULL);
    size_t before_end = len;
    add_end(big, &len);
    memset(big + len, 0, 8192); /* tape padding: zeros */
    struct seen s;
    struct bpx_tar *t;
    CU_ASSERT_EQUAL(parse(big, len + 8192, 0, &s, NULL), 0);
    big[len + 100] = 1; /* data after the end */
    CU_ASSERT_EQUAL(parse(big, len + 8192, 0, &s, &t), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpx_tar_error(t, NULL),
                                  "after the end-of-archive block"));
    bpx_tar_free(t);
    /* Cut inside the data, after the data, inside a header. */
    CU_ASSERT_EQUAL(parse(big, 900, 0, &s, &t), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpx_tar_error(t, NULL),
                                  "ends inside member 'top/a' (612 of its "
                                  "1000 bytes are missing"));
    bpx_tar_free(t);
    CU_ASSERT_EQUAL(parse(big, before_end, 0, &s, &t), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpx_tar_error(t, NULL),
                                  "without tar's end-of-archive block"));
    bpx_tar_free(t);
    CU_ASSERT_EQUAL(parse(big, 300, 0, &s, &t), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpx_tar_error(t, NULL),
                                  "inside a tar header"));
    bpx_tar_free(t);
}

/* ---- index file format -------------------------------------------------- */

static void test_header_and_points(void)
{
    struct bpx_idx_header h, d;
    memset(&h, 0, sizeof h);
    h.kind = BPX_IDX_GZIP;
    h.block_bytes = 16384;
    h.archive_size = 123456789;
    h.mtime_sec = 1700000000;
    h.mtime_nsec = 42;
    h.head_crc = 7;
    h.tail_crc = 8;
    h.file_bytes = 8192;
    h.windows_off = 4096;
    h.windows_len = 4096;
    h.points_off = 8192;
    h.sample_off = 8192;
    h.blocks_off = 8192;
    h.dir_off = 8192;
    h.damage_offset = BPX_IDX_NO_DAMAGE;
    snprintf(h.top, sizeof h.top, "BigEarthNet-v1.0");
    unsigned char raw[BPX_IDX_HEADER_BYTES];
    char why[256];
    bpx_idx_header_encode(&h, raw);
    CU_ASSERT_EQUAL(bpx_idx_header_decode(raw, 8192, &d, why, sizeof why), 0);
    CU_ASSERT_EQUAL(d.archive_size, h.archive_size);
    CU_ASSERT_EQUAL(d.mtime_nsec, 42);
    CU_ASSERT_STRING_EQUAL(d.top, "BigEarthNet-v1.0");
    CU_ASSERT_EQUAL(bpx_idx_header_decode(raw, 8193, &d, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "truncated or damaged"));
    raw[40] ^= 1;
    CU_ASSERT_EQUAL(bpx_idx_header_decode(raw, 8192, &d, why, sizeof why), -1);
    CU_ASSERT_STRING_EQUAL(why, "index header checksum mismatch");
    h.windows_len = 1u << 20; /* a section past the end of the file */
    bpx_idx_header_encode(&h, raw);
    CU_ASSERT_EQUAL(bpx_idx_header_decode(raw, 8192, &d, why, sizeof why), -1);

    struct bpx_point p = {1u << 20, 777, 4096, 1000, 99, 32768, 3, 0}, q;
    unsigned char rec[BPX_IDX_POINT_BYTES];
    bpx_point_encode(&p, rec);
    CU_ASSERT_EQUAL(bpx_point_decode(rec, &q), 0);
    CU_ASSERT_EQUAL(q.uoff, p.uoff);
    CU_ASSERT_EQUAL(q.bits, 3);
    CU_ASSERT_EQUAL(q.raw_len, 32768);
    rec[5] ^= 4;
    CU_ASSERT_EQUAL(bpx_point_decode(rec, &q), -1);
}

/* Members of a synthetic archive: folder i has i % 7 + 1 members, and one
 * folder has 400 (more than a 1 KiB block holds). */
#define NFOLDERS 300

static int folder_members(int i)
{
    return i == 150 ? 400 : i % 7 + 1;
}

static void names(int i, int j, char *folder, char *name)
{
    sprintf(folder, "S2A_MSIL2A_%08d_%d", i * 13, i);
    sprintf(name, "%s_B%03d.tif", folder, j);
}

static void test_blocks_and_lookup(void)
{
    int fd = memfd_create("idx", 0);
    CU_ASSERT_FATAL(fd >= 0);
    const uint32_t bs = 1024;
    uint64_t base = BPX_IDX_HEADER_BYTES;
    struct bpx_blockw *w = bpx_blockw_new(fd, base, bs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    /* Folder names sort as written (zero-padded numbers). */
    char folder[64], name[96];
    uint64_t members = 0;
    for (int i = 0; i < NFOLDERS; i++) {
        /* names sort by j as %03d */
        for (int j = 0; j < folder_members(i); j++) {
            names(i, j, folder, name);
            CU_ASSERT_EQUAL(bpx_blockw_add(w, folder, strlen(folder), name,
                                           strlen(name), BPX_MEMBER_FILE,
                                           (uint64_t)i * 100000 + j * 512,
                                           (uint64_t)j + 1),
                            0);
            members++;
        }
    }
    struct bpx_idx_header h;
    memset(&h, 0, sizeof h);
    CU_ASSERT_EQUAL(bpx_blockw_finish(w, &h), 0);
    bpx_blockw_free(w);
    CU_ASSERT(h.nblocks > 10);
    CU_ASSERT_EQUAL(h.nfolders, NFOLDERS);
    h.kind = BPX_IDX_TAR;
    h.nmembers = members;
    h.windows_off = h.points_off = h.sample_off = BPX_IDX_HEADER_BYTES;
    h.damage_offset = BPX_IDX_NO_DAMAGE;
    h.file_bytes = h.dir_off + h.dir_len;
    unsigned char raw[BPX_IDX_HEADER_BYTES];
    bpx_idx_header_encode(&h, raw);
    CU_ASSERT_EQUAL_FATAL(bpx_pwrite_full(fd, raw, sizeof raw, 0), 0);

    struct bpx_idx *x;
    char why[256];
    CU_ASSERT_EQUAL_FATAL(bpx_idx_open(fd, &x, why, sizeof why), 0);
    int all_found = 1;
    for (int i = 0; i < NFOLDERS; i++) {
        for (int j = 0; j < folder_members(i); j++) {
            struct bpx_entry e;
            names(i, j, folder, name);
            int rc = bpx_idx_lookup(x, folder, strlen(folder), name,
                                    strlen(name), &e, why, sizeof why);
            if (rc != 1 || e.off != (uint64_t)i * 100000 + j * 512 ||
                e.size != (uint64_t)j + 1 || e.span_start > e.off ||
                e.span_end < e.off + e.size) {
                all_found = 0;
                printf("lookup %s/%s: rc %d (%s)\n", folder, name, rc, why);
            }
        }
        /* The span covers the whole folder unless it was split. */
        struct bpx_entry e;
        names(i, 0, folder, name);
        bpx_idx_lookup(x, folder, strlen(folder), name, strlen(name), &e,
                       why, sizeof why);
        if (i != 150)
            CU_ASSERT_EQUAL(e.span_end,
                            (uint64_t)i * 100000 +
                                (uint64_t)(folder_members(i) - 1) * 512 +
                                (uint64_t)folder_members(i));
        uint64_t off = 0;
        CU_ASSERT_EQUAL(bpx_idx_folder_offset(x, folder, strlen(folder), &off,
                                              why, sizeof why),
                        1);
        CU_ASSERT_EQUAL(off, (uint64_t)i * 100000);
    }
    CU_ASSERT(all_found);
    struct bpx_entry e;
    names(5, 99, folder, name);
    CU_ASSERT_EQUAL(bpx_idx_lookup(x, folder, strlen(folder), name,
                                   strlen(name), &e, why, sizeof why),
                    0);
    CU_ASSERT_EQUAL(bpx_idx_has_folder(x, folder, strlen(folder), why,
                                       sizeof why),
                    1);
    CU_ASSERT_EQUAL(bpx_idx_has_folder(x, "AAA", 3, why, sizeof why), 0);
    CU_ASSERT_EQUAL(bpx_idx_has_folder(x, "zzz", 3, why, sizeof why), 0);
    CU_ASSERT_EQUAL(bpx_idx_lookup(x, "AAA", 3, "b", 1, &e, why, sizeof why),
                    0);
    CU_ASSERT_EQUAL(bpx_idx_walk(x, NULL, NULL, why, sizeof why), 0);
    CU_ASSERT_EQUAL(bpx_idx_verify(x, why, sizeof why), 0);
    bpx_idx_close(x);

    /* A damaged block: found by the lookup that reads it. */
    unsigned char byte;
    uint64_t at = h.blocks_off + 3 * bs + 100;
    CU_ASSERT_EQUAL(bpx_pread_full(fd, &byte, 1, at), 1);
    byte ^= 0x20;
    CU_ASSERT_EQUAL(bpx_pwrite_full(fd, &byte, 1, at), 0);
    CU_ASSERT_EQUAL_FATAL(bpx_idx_open(fd, &x, why, sizeof why), 0);
    CU_ASSERT_EQUAL(bpx_idx_verify(x, why, sizeof why), -1);
    CU_ASSERT_STRING_EQUAL(why, "index block 3 checksum mismatch");
    bpx_idx_close(x);
    close(fd);
}

/* ---- external sort ------------------------------------------------------ */

struct sorted {
    char prev[200];
    uint64_t n, bad;
    uint64_t sum;
};

static int on_sorted(void *ctx, const char *folder, size_t flen,
                     const char *name, size_t nlen, int type, uint64_t off,
                     uint64_t size)
{
    struct sorted *s = ctx;
    char key[200];
    snprintf(key, sizeof key, "%.*s\x01%.*s", (int)flen, folder, (int)nlen,
             name);
    if (s->n && strcmp(s->prev, key) > 0)
        s->bad++;
    snprintf(s->prev, sizeof s->prev, "%s", key);
    s->n++;
    s->sum += off + size + (uint64_t)type;
    return 0;
}

static void test_external_sort(void)
{
    char dir[] = "/tmp/bpsortXXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    struct bpx_sorter *s = bpx_sorter_new(64 * 1024, dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    uint64_t sum = 0;
    unsigned seed = 12345;
    for (int i = 0; i < 20000; i++) {
        char folder[64], name[64];
        seed = seed * 1103515245u + 12345u;
        sprintf(folder, "F%05u", (seed >> 8) % 3000);
        sprintf(name, "N%03d", i % 17);
        CU_ASSERT_EQUAL(bpx_sorter_add(s, folder, strlen(folder), name,
                                       strlen(name), i % 3, (uint64_t)i, 7),
                        0);
        sum += (uint64_t)i + 7 + (uint64_t)(i % 3);
    }
    struct sorted out;
    memset(&out, 0, sizeof out);
    CU_ASSERT_EQUAL(bpx_sorter_finish(s, on_sorted, &out), 0);
    CU_ASSERT(bpx_sorter_runs(s) > 5);
    CU_ASSERT_EQUAL(out.n, 20000);
    CU_ASSERT_EQUAL(out.bad, 0);
    CU_ASSERT_EQUAL(out.sum, sum);
    bpx_sorter_free(s);
    CU_ASSERT_EQUAL(rmdir(dir), 0); /* the runs left nothing behind */
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"tar: ustar prefix, member types, any chunking",
         test_ustar_prefix_and_types},
        {"tar: GNU long names and base-256 sizes",
         test_gnu_long_name_and_base256},
        {"tar: pax path, size and global records", test_pax_records},
        {"tar: header checksums and kinds", test_checksums},
        {"tar: end of archive and truncation", test_end_and_truncation},
        {"index: header and access point records", test_header_and_points},
        {"index: member blocks, lookups, split folders, damage",
         test_blocks_and_lookup},
        {"index: external sort in bounded memory", test_external_sort},
        {NULL, NULL}};
    return unit_main("archive", tests);
}
