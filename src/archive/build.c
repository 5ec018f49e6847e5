/* build.c - the indexing pass: one sequential read of an archive that
 * writes its index file (see archive.h and idxfile.h): the archive opened
 * and recognised, the read (build_scan.c), the checks after it, the index
 * written (build_write.c), the report. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benprep/log.h"
#include "benprep/status.h"
#include "build_int.h"
#include "bytes.h"
#include "common/clock.h"
#include "paths.h"

void bpx_build_progress(struct builder *b, uint64_t done)
{
    if (!b->progress)
        return;
    double t = bp_now();
    if (t < b->next_progress)
        return;
    b->next_progress = t + b->progress;
    double mb = (double)done / 1e6;
    BP_INFO("indexing %s: %.0f of %.0f MB read (%.0f%%), %.0f MB/s",
            b->archive, mb, (double)b->fp.size / 1e6,
            b->fp.size ? 100.0 * (double)done / (double)b->fp.size : 100.0,
            t > b->t0 ? mb / (t - b->t0) : 0.0);
}

void bpx_build_damage(struct builder *b, uint64_t off, const char *fmt, ...)
{
    /* The earliest damage counts: a bad gzip member also makes the tar
     * headers decoded from it untrustworthy. */
    if (b->damaged && b->damage_off <= off)
        return;
    b->damaged = 1;
    b->damage_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->damage, sizeof b->damage, fmt, ap);
    va_end(ap);
}

void bpx_index_info_fill(const struct bpx_idx_header *h,
                         struct bp_index_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = h->kind == BPX_IDX_GZIP ? BP_ROOT_GZIP : BP_ROOT_TAR;
    info->archive_bytes = h->archive_size;
    info->stream_bytes = h->stream_bytes;
    info->index_bytes = h->file_bytes;
    info->members = h->nmembers;
    info->folders = h->nfolders;
    info->points = h->npoints;
    info->gz_members = h->gz_members;
    info->damaged = h->damage_offset != BPX_IDX_NO_DAMAGE;
    info->damage_offset = h->damage_offset;
    _Static_assert(sizeof info->damage == sizeof h->damage, "damage field");
    memcpy(info->damage, h->damage, sizeof info->damage);
}

static int probe_kind(struct builder *b)
{
    unsigned char head[BPX_TAR_BLOCK];
    ssize_t n = bpx_pread_full(b->fd, head, sizeof head, 0);
    if (n < 0) {
        BP_ERROR("%s: cannot read: %s", b->archive, strerror(errno));
        return -1;
    }
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        b->kind = BP_ROOT_GZIP;
        return 0;
    }
    if (n == (ssize_t)sizeof head && bpx_tar_header_kind(head)) {
        b->kind = BP_ROOT_TAR;
        return 0;
    }
    BP_ERROR("%s: neither a tar archive nor a gzip file: cannot index it",
             b->archive);
    return -1;
}

/* The fields that come from the caller. */
static void builder_init(struct builder *b, const char *archive,
                         const char *index_path,
                         const struct bp_index_options *opt)
{
    memset(b, 0, sizeof *b);
    b->archive = archive;
    b->index_path = index_path;
    b->fd = b->ifd = -1;
    b->spacing = opt && opt->spacing ? opt->spacing
                                     : BP_ARCHIVE_SPACING_DEFAULT;
    b->progress = opt ? opt->progress_seconds : 0;
    b->t0 = bp_now();
    b->next_progress = b->t0 + b->progress;
}

/* Open the archive, tell its kind, take the buffers, the parser, the
 * sorter and zlib, and its fingerprint. BP_OK or the status (logged). */
static int builder_open(struct builder *b, size_t sort_memory)
{
    b->fd = open(b->archive, O_RDONLY | O_CLOEXEC);
    if (b->fd < 0) {
        BP_ERROR("%s: cannot open: %s", b->archive, strerror(errno));
        return BP_INPUT;
    }
    if (probe_kind(b) != 0)
        return BP_INPUT;
    b->in = malloc(IN_BYTES);
    b->out = malloc(OUT_BYTES + BPX_WINDOW);
    b->wz = malloc(BPX_WINDOW + 1024);
    b->tar = bpx_tar_new();
    char dir[4096];
    bpx_dir_of(b->index_path, dir, sizeof dir);
    b->sorter = bpx_sorter_new(sort_memory, dir);
    if (!b->in || !b->out || !b->wz || !b->tar || !b->sorter) {
        BP_ERROR("%s: out of memory for indexing", b->archive);
        return BP_NOMEM;
    }
    if (b->kind == BP_ROOT_GZIP) {
        if (inflateInit2(&b->inf, 15 + 16) != Z_OK ||
            !(b->inf_ok = 1) ||
            deflateInit2(&b->def, 1, Z_DEFLATED, -15, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            BP_ERROR("%s: out of memory for zlib", b->archive);
            return BP_NOMEM;
        }
        b->def_ok = 1;
    }
    if (bpx_fingerprint_take(b->fd, &b->fp, b->out) != 0) {
        BP_ERROR("%s: cannot read: %s", b->archive, strerror(errno));
        return BP_INPUT;
    }
    return BP_OK;
}

/* The archive read, then what the read found: damage at the end of the
 * tar stream, a fatal problem, no tar at all, a failed sort, an archive
 * that changed meanwhile. BP_OK or the status (logged). */
static int builder_scan(struct builder *b)
{
    int rc = b->kind == BP_ROOT_GZIP ? bpx_build_scan_gzip(b)
                                     : bpx_build_scan_tar(b);
    if (rc != 0 && b->stopped) {
        BP_ERROR("%s: indexing stopped by signal %d; no index was written",
                 b->archive, b->stopped);
        return BP_INTERRUPTED;
    }
    if (rc != 0)
        return errno == ENOMEM ? BP_NOMEM : BP_INPUT;
    if (!b->tar_damaged && !b->fatal[0] && !b->sort_errno &&
        bpx_tar_finish(b->tar) != 0) {
        uint64_t off;
        const char *why = bpx_tar_error(b->tar, &off);
        bpx_build_damage(b, off, "%s", why);
    }
    if (b->fatal[0]) {
        BP_ERROR("%s: cannot be used: %s", b->archive, b->fatal);
        return BP_INPUT;
    }
    if (!b->added && b->damaged && b->damage_off == 0) {
        BP_ERROR("%s: holds no tar archive%s: %s", b->archive,
                 b->kind == BP_ROOT_GZIP ? " inside its gzip data" : "",
                 b->damage);
        return BP_INPUT;
    }
    if (b->sort_errno) {
        char dir[4096];
        bpx_dir_of(b->index_path, dir, sizeof dir);
        BP_ERROR("%s: cannot write the temporary sort file in %s: %s",
                 b->archive, dir, strerror(b->sort_errno));
        return b->sort_errno == ENOMEM ? BP_NOMEM : BP_OUTPUT;
    }
    /* An archive that changed while it was read gives a useless index. */
    struct bpx_fingerprint after;
    if (bpx_fingerprint_take(b->fd, &after, b->out) != 0 ||
        after.size != b->fp.size || after.mtime_sec != b->fp.mtime_sec ||
        after.mtime_nsec != b->fp.mtime_nsec ||
        after.head_crc != b->fp.head_crc || after.tail_crc != b->fp.tail_crc) {
        BP_ERROR("%s: the archive changed while it was being indexed; "
                 "index it again once it is complete",
                 b->archive);
        return BP_INPUT;
    }
    return BP_OK;
}

/* The header's fields the read gave; write_tables adds the rest. */
static void builder_header(const struct builder *b, struct bpx_idx_header *h)
{
    memset(h, 0, sizeof *h);
    h->kind = b->kind == BP_ROOT_GZIP ? BPX_IDX_GZIP : BPX_IDX_TAR;
    h->flags = bpx_tar_ended(b->tar) ? BPX_IDX_FLAG_ENDED : 0;
    bpx_fingerprint_store(&b->fp, h);
    h->stream_bytes = b->stream_bytes;
    h->spacing = b->spacing;
    h->gz_members = b->gz_members;
    h->windows_off = BPX_IDX_HEADER_BYTES;
    h->windows_len = b->windows_len;
    h->damage_offset = b->damaged ? b->damage_off : BPX_IDX_NO_DAMAGE;
    _Static_assert(sizeof h->top == sizeof b->top, "top folder field");
    _Static_assert(sizeof h->damage == sizeof b->damage, "damage field");
    memcpy(h->top, b->top, sizeof h->top);
    memcpy(h->damage, b->damage, sizeof h->damage);
}

/* The tables, the header, the final name. BP_OK or the status (logged). */
static int builder_write(struct builder *b, struct bpx_idx_header *h)
{
    if (bpx_build_write_tables(b, h) != 0) {
        if (errno == ENOMEM) {
            BP_ERROR("%s: out of memory while writing its index", b->archive);
            return BP_NOMEM;
        }
        BP_ERROR("%s: cannot write its index %s: %s", b->archive,
                 b->index_path, strerror(errno));
        return BP_OUTPUT;
    }
    unsigned char head[BPX_IDX_HEADER_BYTES];
    bpx_idx_header_encode(h, head);
    if (bpx_pwrite_full(b->ifd, head, sizeof head, 0) != 0 ||
        bpx_build_publish(b) != 0) {
        BP_ERROR("%s: cannot write its index %s: %s", b->archive,
                 b->index_path, strerror(errno));
        return BP_OUTPUT;
    }
    return BP_OK;
}

/* A finished index: the caller's info, the warnings held back, the
 * summary line. */
static void builder_report(const struct builder *b,
                           const struct bpx_idx_header *h,
                           struct bp_index_info *info)
{
    const char *archive = b->archive;
    bpx_index_info_fill(h, info);
    info->duplicates = b->duplicates;
    info->sort_runs = bpx_sorter_runs(b->sorter);
    info->seconds = bp_now() - b->t0;
    if (b->too_long > LONG_WARNINGS)
        BP_WARN("%s: %" PRIu64 " members with names too long were left out",
                archive, b->too_long);
    if (b->duplicates > DUP_WARNINGS)
        BP_WARN("%s: %" PRIu64 " member names appear more than once",
                archive, b->duplicates);
    if (b->damaged)
        BP_WARN("%s: the archive is damaged from byte %" PRIu64
                " of its tar stream on: %s; members there cannot be read",
                archive, b->damage_off, b->damage);
    BP_INFO("indexed %s: %" PRIu64 " members in %" PRIu64 " folders of '%s', "
            "%zu access points; index %.2f MB (%.2f%% of the archive); "
            "%.1f s, %.0f MB/s",
            archive, b->members, h->nfolders, b->top, b->npoints,
            (double)h->file_bytes / 1e6,
            b->fp.size ? 100.0 * (double)h->file_bytes / (double)b->fp.size : 0,
            info->seconds,
            info->seconds > 0 ? (double)b->fp.size / 1e6 / info->seconds : 0);
}

/* Everything b holds, given back; the index file removed unless the pass
 * succeeded. */
static void builder_free(struct builder *b, int status)
{
    if (status != BP_OK && b->ifd >= 0 && !b->anon)
        unlink(b->tmp);
    if (b->ifd >= 0)
        close(b->ifd);
    if (b->fd >= 0)
        close(b->fd);
    if (b->inf_ok)
        inflateEnd(&b->inf);
    if (b->def_ok)
        deflateEnd(&b->def);
    free(b->in);
    free(b->out);
    free(b->wz);
    free(b->points);
    bpx_tar_free(b->tar);
    bpx_sorter_free(b->sorter);
    bpx_blockw_free(b->bw);
}

int bpx_index_build(const char *archive, const char *index_path,
                    const struct bp_index_options *opt,
                    struct bp_index_info *info, int quiet_create,
                    int *create_errno)
{
    struct builder bb, *b = &bb;
    struct bp_index_info scratch;
    struct bpx_idx_header h;
    memset(&h, 0, sizeof h);
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (create_errno)
        *create_errno = 0;
    builder_init(b, archive, index_path, opt);
    size_t sort_memory = opt && opt->sort_memory ? opt->sort_memory
                                                 : SORT_MEMORY_DEFAULT;
    int status = builder_open(b, sort_memory);
    if (status != BP_OK)
        goto out;
    if (bpx_build_create_index(b) != 0) {
        int e = errno;
        status = BP_OUTPUT;
        if (create_errno)
            *create_errno = e;
        if (!quiet_create)
            BP_ERROR("%s: cannot create its index %s: %s", archive,
                     index_path, strerror(e));
        goto out;
    }
    BP_INFO("indexing %s (%.1f MB, %s) into %s", archive,
            (double)b->fp.size / 1e6, bp_root_kind_name(b->kind),
            index_path);
    status = builder_scan(b);
    if (status != BP_OK)
        goto out;
    builder_header(b, &h);
    status = builder_write(b, &h);
    if (status == BP_OK)
        builder_report(b, &h, info);
out:
    builder_free(b, status);
    return status;
}

int bp_archive_index_build(const char *archive, const char *index_path,
                           const struct bp_index_options *opt,
                           struct bp_index_info *info)
{
    return bpx_index_build(archive, index_path, opt, info, 0, NULL);
}
