/*
 * fingerprint.h - internal to the archive reader: what identifies the
 * archive an index was made from (size, mtime, CRC-32C of the first and
 * last MiB), and the comparison that tells a stale index.
 */
#ifndef BENPREP_ARCHIVE_FINGERPRINT_H
#define BENPREP_ARCHIVE_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "idxfile.h"

#define BPX_FINGERPRINT_SPAN (1u << 20)

struct bpx_fingerprint {
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t head_crc, tail_crc;
};

/* Size and mtime of the open file fd (no data read). 0, or -1 with errno. */
int bpx_fingerprint_stat(int fd, struct bpx_fingerprint *fp);

/* bpx_fingerprint_stat plus the CRCs: reads the first and last MiB into buf
 * (at least BPX_FINGERPRINT_SPAN bytes). 0, or -1 with errno. */
int bpx_fingerprint_take(int fd, struct bpx_fingerprint *fp,
                         unsigned char *buf);

/* Store fp in an index header / compare fp with one. bpx_fingerprint_differs
 * returns 0 when they match, else 1 with the reason in why (with_crc: the
 * CRCs count too). */
void bpx_fingerprint_store(const struct bpx_fingerprint *fp,
                           struct bpx_idx_header *h);
int bpx_fingerprint_differs(const struct bpx_fingerprint *fp,
                            const struct bpx_idx_header *h, int with_crc,
                            char *why, size_t whysz);

#endif
