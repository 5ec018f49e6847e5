/*
 * build_int.h - internal to the indexing pass (build*.c): the state of one
 * pass and the steps its files share.
 *
 *   build.c          the pass: open, scan, check, write, report
 *   build_members.c  tar members into the sorter (names, the top folder)
 *   build_scan.c     the read of a gzip or plain tar file, access points
 *   build_write.c    the index file: created, its tables, published
 */
#ifndef BENPREP_ARCHIVE_BUILD_INT_H
#define BENPREP_ARCHIVE_BUILD_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <zlib.h>

#include "build.h"
#include "fingerprint.h"
#include "idxfile.h"
#include "sort.h"
#include "tar.h"

#define IN_BYTES (1u << 20)
#define OUT_BYTES (1u << 20) /* plus BPX_WINDOW bytes of history */
#define SORT_MEMORY_DEFAULT (16u << 20)
#define DUP_WARNINGS 10
#define LONG_WARNINGS 10

/* Why the tar callback stopped the pass. */
enum { STOP_FATAL = 2, STOP_SORT = 3 };

struct builder {
    const char *archive;
    const char *index_path;
    enum bp_root_kind kind;
    int fd;             /* the archive */
    int ifd;            /* the index being written */
    int anon;           /* ifd is an unnamed O_TMPFILE */
    char tmp[4096];     /* the temporary name */
    struct bpx_fingerprint fp;
    uint64_t spacing;
    unsigned progress;
    double t0, next_progress;
    struct bpx_tar *tar;
    struct bpx_sorter *sorter;
    int sort_errno;
    int stopped;        /* a stop signal ended the read */
    char top[256];
    size_t top_len;
    int have_top;
    char fatal[1024];   /* why the archive cannot be indexed */
    unsigned char *in, *out, *wz;
    z_stream inf, def;
    int inf_ok, def_ok;
    struct bpx_point *points;
    size_t npoints, points_cap;
    uint64_t windows_len;
    uint64_t stream_bytes, gz_members;
    int damaged, tar_damaged;
    uint64_t damage_off;
    char damage[512];
    /* writing the sorted member table */
    struct bpx_blockw *bw;
    char pf[BPX_FOLDER_MAX], pn[BPX_NAME_MAX];
    size_t pflen, pnlen;
    int ptype, have_pend;
    uint64_t poff, psize;
    uint64_t added, members, duplicates, too_long;
};

/* build.c: a progress line when one is due (done: bytes of the archive
 * read); the damage at tar stream offset off, unless an earlier one is
 * recorded. */
void bpx_build_progress(struct builder *b, uint64_t done);
void bpx_build_damage(struct builder *b, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* build_members.c: feed tar bytes; 0 to go on, 1 when the tar stream is
 * damaged (recorded; a gzip stream is still inflated to its end to check
 * its CRC-32s), 2 to stop (a fatal problem or sort failure in b). */
int bpx_build_feed_tar(struct builder *b, const unsigned char *p, size_t len);

/* build_scan.c: the pass over a gzip file or a plain tar. 0, or -1 on a
 * read or write error or no memory (logged; errno ENOMEM for the last).
 * Damage is recorded, not an error. */
int bpx_build_scan_gzip(struct builder *b);
int bpx_build_scan_tar(struct builder *b);

/* build_write.c: create the index file (0, or -1 with errno); write the
 * points, sample, member table and directory after the windows, filling h
 * (0, or -1 with errno); fsync and give it its final name (0 or -1). */
int bpx_build_create_index(struct builder *b);
int bpx_build_write_tables(struct builder *b, struct bpx_idx_header *h);
int bpx_build_publish(struct builder *b);

#endif
