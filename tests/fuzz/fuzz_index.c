/*
 * libFuzzer target: reading index files. The input becomes an index file
 * (a memfd) whose checksums are first made right, so that the fuzzer gets
 * past them into the structure: header fields, directory, point sample,
 * member blocks, access point records. Opening, lookups, access point
 * searches, window reads, walking and verifying must refuse bad files
 * without reading or writing outside their buffers.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive/bytes.h"
#include "archive/idxfile.h"
#include "common/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

/* Make every checksum the fields point at match the bytes. */
static void fix_checksums(unsigned char *b, size_t size)
{
    unsigned char *h = b;
    bpx_put64(h + 176, size); /* file_bytes */
    uint64_t npoints = bpx_get64(h + 120), points = bpx_get64(h + 112);
    for (uint64_t i = 0; i < npoints && i < 4096; i++) {
        uint64_t at = points + i * BPX_IDX_POINT_BYTES;
        if (!in_file(at, BPX_IDX_POINT_BYTES, size))
            break;
        bpx_put32(b + at + 36, bp_crc32c(b + at, 36));
        uint64_t woff = bpx_get64(b + at + 16), wlen = bpx_get32(b + at + 24);
        if (in_file(woff, wlen, size) && !(woff < at + 40 && woff + wlen > at))
            bpx_put32(b + at + 28, bp_crc32c(b + woff, wlen));
        bpx_put32(b + at + 36, bp_crc32c(b + at, 36));
    }
    uint64_t sample = bpx_get64(h + 128), nsample = (npoints + 63) / 64;
    if (nsample < (1u << 20) && in_file(sample, nsample * 8, size))
        bpx_put32(h + 136, bp_crc32c(b + sample, nsample * 8));
    uint32_t bs = bpx_get32(h + 20);
    uint64_t blocks = bpx_get64(h + 144), nblocks = bpx_get64(h + 152);
    for (uint64_t i = 0; bs >= 8 && i < nblocks && i < 256; i++) {
        uint64_t at = blocks + i * bs;
        if (!in_file(at, bs, size))
            break;
        bpx_put32(b + at, bp_crc32c(b + at + 4, bs - 4));
    }
    uint64_t dir = bpx_get64(h + 160), dlen = bpx_get64(h + 168);
    if (in_file(dir, dlen, size))
        bpx_put32(h + 140, bp_crc32c(b + dir, dlen));
    bpx_put32(h + BPX_IDX_HEADER_BYTES - 4,
              bp_crc32c(h, BPX_IDX_HEADER_BYTES - 4));
}

static int visit(void *ctx, const char *folder, const char *name,
                 const struct bpx_entry *e)
{
    (void)ctx;
    (void)e;
    return strlen(folder) > BPX_FOLDER_MAX || strlen(name) > BPX_NAME_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < BPX_IDX_HEADER_BYTES || size > (8u << 20))
        return 0;
    unsigned char *b = malloc(size);
    if (!b)
        return 0;
    memcpy(b, data, size);
    fix_checksums(b, size);
    int fd = memfd_create("fuzz-index", 0);
    if (fd < 0 || bpx_pwrite_full(fd, b, size, 0) != 0) {
        free(b);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char why[600];
    struct bpx_idx *x;
    if (bpx_idx_open(fd, &x, why, sizeof why) == 0) {
        struct bpx_entry e;
        /* Names taken from the input's tail. */
        const char *tail = (const char *)data + size - 64;
        (void)bpx_idx_lookup(x, tail, 20, tail + 20, 40, &e, why, sizeof why);
        (void)bpx_idx_lookup(x, "", 0, "", 0, &e, why, sizeof why);
        (void)bpx_idx_has_folder(x, tail, 8, why, sizeof why);
        uint64_t off;
        (void)bpx_idx_folder_offset(x, tail + 8, 8, &off, why, sizeof why);
        struct bpx_point p;
        unsigned char win[BPX_WINDOW + 1024];
        for (int k = 0; k < 4; k++) {
            uint64_t u = k == 3 ? UINT64_MAX : bpx_get64(b + 64 * k + 3800);
            if (bpx_idx_point(x, u, &p, why, sizeof why) == 1)
                (void)bpx_idx_read_window(x, &p, win, sizeof win, why,
                                          sizeof why);
        }
        (void)bpx_idx_walk(x, visit, NULL, why, sizeof why);
        (void)bpx_idx_verify(x, why, sizeof why);
        bpx_idx_close(x);
    }
    close(fd);
    free(b);
    return 0;
}
