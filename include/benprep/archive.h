/*
 * archive.h - BigEarthNet roots in tar and gzip-compressed tar archives.
 *
 * A root (-r1, -r2) is a folder, an uncompressed tar or a gzip-compressed
 * tar; bp_root_probe tells which from the first bytes, never the name.
 * Inside an archive the patches lie under its single top-level folder,
 * whatever it is called ("BigEarthNet-v1.0/<patch>/<patch>_B02.tif", with
 * or without a leading "./"): that folder is the root, and members are
 * named relative to it ("<patch>/<patch>_B02.tif").
 *
 * Tar formats: ustar (with its prefix field), GNU (long-name 'L' and
 * long-link 'K' entries, base-256 sizes), pax ('x' and 'g' headers, their
 * "path" and "size" records), v7. Folder entries are allowed. A gzip file of
 * several members (concatenated files, pigz, bgzip) is read in full.
 *
 * Random access. One sequential pass over an archive (bp_archive_index_build)
 * writes an index file: every member's name, offset and size, and for gzip
 * an access point every `spacing` bytes of the tar stream (the position in
 * the compressed file, the bit offset and the 32 KiB window before it, as
 * zlib's examples/zran.c does), from which a reader starts inflating near
 * any member. The pass checks every gzip member's CRC-32 and length and every
 * tar header checksum, so damage is found before anything is converted. The
 * file format is described in src/archive/idxfile.h; in short a 4 KiB
 * header, the deflated windows, 40-byte access point records sorted by
 * offset, and the member table sorted by (patch folder, file name) in 16
 * KiB blocks with CRC-32C each, found through a directory of every block's
 * first name that readers keep in memory (about 45 bytes per block, ~0.5 MB
 * for the full BigEarthNet-S2). The index of the full archive (9.4M members)
 * is never loaded whole: a lookup reads one block (pread), an access point
 * one span of 64 records.
 *
 * The index names the archive's size, mtime and CRC-32C of its first and
 * last MiB; bp_archive_index_check compares them, and a stale or damaged
 * index is never used: bp_archive_index_ensure rebuilds it, saying why.
 * Indexes are written atomically (an unnamed or temporary file, fsync,
 * rename): a process killed while indexing leaves no index under the final
 * name, and the next run builds it again.
 *
 * Damage. A damaged archive (a tar header with a bad checksum, damaged
 * deflate data, a wrong gzip CRC-32 or length, a truncated file) is indexed
 * up to the damage; the index records where the damage begins and why.
 * Members wholly before it stay readable, later ones fail with that reason.
 * Damaged deflate data and a wrong CRC-32 or length make the whole gzip
 * member they are in unreadable (nothing narrower can be known: a single
 * gzip member has one CRC), so the damage begins at that member's start;
 * the gzip members before it were checked whole. A truncated file is
 * readable up to where it stops; a tar header with a bad checksum ends
 * what can be read at that header. Nothing crashes or hangs.
 *
 * Memory. A reader (struct bp_archive) allocates its buffers once when it is
 * opened: 1 MiB of read buffer, two inflate states, a 64 KiB skip buffer,
 * the index directory and the access point sample; bp_archive_read then
 * allocates nothing. Index building needs about 25 MB (16 MiB of sort arena,
 * 2 MiB of I/O buffers, zlib states, merge buffers of 76 KiB per sort run,
 * 40 bytes per access point: 22 MB measured for 1.3M members), whatever the
 * archive's size; member records beyond the arena are sorted through
 * unnamed temporary files beside the index.
 *
 * Errors. Functions return an enum bp_status (status.h). What went wrong is
 * logged where it is known, naming the archive, the member and the reason;
 * bp_archive_read instead fills a struct bp_failure (patch.h) whose file is
 * "ARCHIVE:TOP/MEMBER", so that a bad member is a per-patch failure that
 * --max-failures may skip.
 */
#ifndef BENPREP_ARCHIVE_H
#define BENPREP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "benprep/patch.h"

enum bp_root_kind {
    BP_ROOT_FOLDER = 0,
    BP_ROOT_TAR = 1,  /* uncompressed tar */
    BP_ROOT_GZIP = 2  /* gzip-compressed tar (one or several members) */
};

/* What a root is: a folder, or a file whose first bytes are gzip's magic
 * (1f 8b) or a tar header (valid checksum, and the "ustar" magic or a
 * plausible v7 name). Returns BP_OK with *kind, or BP_INPUT with a reason in
 * msg (missing, unreadable, empty, another compression such as bzip2, xz or
 * zstd, or not an archive). Nothing is logged. */
int bp_root_probe(const char *path, enum bp_root_kind *kind, char *msg,
                  size_t msgsz);

/* "folder", "tar" or "gzip". */
const char *bp_root_kind_name(enum bp_root_kind kind);

/* What identifies a root: its kind and, for an archive, the fingerprint
 * its index records (size, mtime, CRC-32C of the first and last MiB; a
 * file of less than 1 MiB has both over the whole file). */
struct bp_root_id {
    enum bp_root_kind kind;
    uint64_t bytes;
    int64_t mtime_sec;
    uint32_t head_crc, tail_crc;
};

/* bp_root_probe, then for an archive the fingerprint (reads 2 MiB at
 * most). BP_OK with *id; BP_INPUT or BP_NOMEM with a reason in msg. Nothing
 * is logged. (src/archive/identify.c) */
int bp_root_identify(const char *path, struct bp_root_id *id, char *msg,
                     size_t msgsz);

/* A member of this many bytes or more is not a BigEarthNet patch file: the
 * same limit as a file in a folder root (patch.c). */
#define BP_ARCHIVE_MEMBER_LIMIT (1u << 20)

/* Access point spacing in bytes of the tar stream, by default. From the
 * table in tests/archive/README.md: at 1 MiB the index is ~3.3% of the
 * compressed archive (a deflated 32 KiB window per point) and a random
 * patch pair reads at ~155 pairs per CPU second; 0.5 MiB would pass 5%. */
#define BP_ARCHIVE_SPACING_DEFAULT (1u << 20)
#define BP_ARCHIVE_SPACING_MIN (64u << 10)
#define BP_ARCHIVE_SPACING_MAX (1u << 30)

/* The index file name suffix: ARCHIVE-BASENAME.bpidx. */
#define BP_ARCHIVE_INDEX_SUFFIX ".bpidx"

/* Where a new index of archive goes: "<index_dir>/<base>.bpidx" when
 * index_dir is given; else beside the archive when its folder is writable;
 * else "<out_dir>/<base>.bpidx". Returns BP_OK, or BP_USAGE when the path
 * does not fit buf or the archive's folder is not writable and out_dir is
 * NULL (logged). The folder is only tested (access W_OK); the builder still
 * falls back to out_dir when creating the file there fails. */
int bp_archive_index_path(const char *archive, const char *out_dir,
                          const char *index_dir, char *buf, size_t size);

struct bp_index_options {
    uint64_t spacing;          /* bytes; 0: BP_ARCHIVE_SPACING_DEFAULT */
    unsigned progress_seconds; /* progress lines (info); 0: none */
    size_t sort_memory;        /* bytes of sort arena; 0: 16 MiB */
};

/* What a build found. */
struct bp_index_info {
    enum bp_root_kind kind;
    uint64_t archive_bytes;  /* the archive file */
    uint64_t stream_bytes;   /* the tar stream (inflated) */
    uint64_t index_bytes;    /* the index file */
    uint64_t members, folders, points, gz_members, duplicates;
    size_t sort_runs;        /* temporary runs of the external sort */
    double seconds;
    int damaged;             /* the archive is damaged: see damage */
    uint64_t damage_offset;  /* tar stream offset where it begins */
    char damage[512];
};

/* One sequential pass over archive (a tar or gzip file, see bp_root_probe)
 * that writes index_path atomically. BP_OK when the index was written, also
 * for a damaged archive (info->damaged; a warning names the damage, and
 * its members fail when read); BP_INPUT when the archive cannot be indexed
 * (unreadable, not a tar, members outside one top folder, changed while
 * being read); BP_OUTPUT when the index cannot be written; BP_NOMEM. Errors
 * are logged. opt and info may be NULL. */
int bp_archive_index_build(const char *archive, const char *index_path,
                           const struct bp_index_options *opt,
                           struct bp_index_info *info);

enum bp_index_state {
    BP_INDEX_FRESH = 0,   /* matches the archive: use it */
    BP_INDEX_MISSING = 1, /* no index file */
    BP_INDEX_STALE = 2,   /* the archive changed since it was indexed */
    BP_INDEX_DAMAGED = 3  /* not an index, other version, a bad checksum */
};

/* Whether index_path is a usable index of archive: its header, directory and
 * point sample checksums, the archive's size, mtime and the CRC-32C of its
 * first and last MiB. With full, every block, access point and window
 * checksum too (reads the whole index once). The reason for anything but
 * BP_INDEX_FRESH goes to reason. Nothing is logged. */
enum bp_index_state bp_archive_index_check(const char *archive,
                                           const char *index_path, int full,
                                           char *reason, size_t size);

/* A fresh index of archive, found or built: with index_dir only there;
 * otherwise the one beside the archive, else the one in out_dir (may be
 * NULL), is used when fresh (full check); else one is built where
 * bp_archive_index_path says, falling back to out_dir when the archive's
 * folder refuses the file. A stale or damaged index is reported (info) and
 * rebuilt. Its path goes to index_path. Returns what
 * bp_archive_index_build returns. opt and info may be NULL. Call it from one
 * process per archive (bp_index_main spreads archives over ranks): two
 * processes building the same index at once both do the whole pass (each
 * publishes a whole index under the name; the last rename stays). */
int bp_archive_index_ensure(const char *archive, const char *out_dir,
                            const char *index_dir,
                            const struct bp_index_options *opt,
                            char *index_path, size_t size,
                            struct bp_index_info *info);

/* ---- reading members ---------------------------------------------------- */

struct bp_archive;

/* Open archive with its index (which must be fresh: only the size and mtime
 * are compared here, the rest by bp_archive_index_check). Returns BP_OK with
 * *out, BP_INPUT (logged: unreadable, a damaged index, an index of another
 * archive state), or BP_NOMEM. Close with bp_archive_close. */
int bp_archive_open(const char *archive, const char *index_path,
                    struct bp_archive **out);

/* Read member ("<patch>/<patch>_B02.tif", relative to the top folder) into
 * buf[0..cap): BP_OK with *len, or BP_INPUT with why filled in (file
 * "ARCHIVE:TOP/MEMBER"): not in the archive (patch folder or file), a
 * symbolic or hard link, a folder or other non-file, a name that appears
 * twice, a member of BP_ARCHIVE_MEMBER_LIMIT bytes or more or more than cap,
 * a member in or after the damaged part of the archive, a read or inflate
 * error (the archive changed or was damaged after indexing), a damaged
 * index block. Never allocates. A gzip stream keeps going from one member
 * to the next when the next lies ahead of the current position and after
 * the access point nearest to it; otherwise the read starts at that point.
 * A plain tar is read in reads of up to 1 MiB that cover the member's
 * folder (or run ahead when members are read in archive order). */
int bp_archive_read(struct bp_archive *a, const char *member, void *buf,
                    size_t cap, size_t *len, struct bp_failure *why);

/* Where a patch folder starts in the tar stream (the smallest data offset
 * of its members): for putting reads in archive order. BP_OK with *offset,
 * BP_INPUT when the folder is not in the archive or the index is damaged
 * (why filled in). */
int bp_archive_folder_offset(struct bp_archive *a, const char *folder,
                             uint64_t *offset, struct bp_failure *why);

/* The top folder's name as the archive gives it ("BigEarthNet-v1.0"). */
const char *bp_archive_top(const struct bp_archive *a);
enum bp_root_kind bp_archive_kind(const struct bp_archive *a);

/* What a reader has done, for tests and benchmarks. */
struct bp_archive_stats {
    uint64_t members;     /* members read */
    uint64_t reads;       /* read system calls on the archive */
    uint64_t bytes_read;  /* archive bytes read */
    uint64_t inflated;    /* tar stream bytes inflated, skipped ones too */
    uint64_t jumps;       /* restarts at an access point */
    uint64_t reinflated;  /* bytes inflated a second time (a jump back) */
};
void bp_archive_get_stats(const struct bp_archive *a,
                          struct bp_archive_stats *st);

/* Close; accepts NULL. */
void bp_archive_close(struct bp_archive *a);

/* ---- ben-prep index ----------------------------------------------------- */

/*
 *   ben-prep index [--index-dir DIR] [-o DIR] [--spacing MiB] [--force]
 *                  [-q|-v] ARCHIVE...
 *
 * Collective over comm. argv[0] is the subcommand's name ("index"). Builds
 * (or confirms fresh) the index of each archive, archive i on rank
 * i % nranks. Only rank 0 prints help and usage errors. Sets up the logger.
 * Returns the status all ranks agree on: BP_OK (also after --help), BP_USAGE,
 * BP_INPUT (an archive could not be indexed, or is damaged: its index is
 * written all the same), BP_OUTPUT, BP_NOMEM, or BP_MPI.
 */
int bp_index_main(int argc, char **argv, MPI_Comm comm);

#endif
