/*
 * sort.h - internal to the archive reader: sorting member records by
 * (folder, name, offset) in bounded memory.
 *
 * Records are gathered in a fixed arena; when it fills, it is sorted and
 * written as a run to an unnamed temporary file (O_TMPFILE, or a file
 * unlinked as soon as it is created), so a killed process leaves nothing
 * behind. At the end the runs are merged, 64 KiB of buffer each. The full
 * BigEarthNet-S2 (9.4M members, ~0.9 GB of records) sorts in 16 MiB of
 * arena plus ~4 MB of merge buffers.
 */
#ifndef BENPREP_ARCHIVE_SORT_H
#define BENPREP_ARCHIVE_SORT_H

#include <stddef.h>
#include <stdint.h>

struct bpx_sorter;

/* A sorter that holds at most memory bytes of records (at least 64 KiB)
 * before it writes a run into tmp_dir (copied). NULL when out of memory. */
struct bpx_sorter *bpx_sorter_new(size_t memory, const char *tmp_dir);
void bpx_sorter_free(struct bpx_sorter *s);

/* Add one record; folder names up to 4096 bytes, names up to 8192. 0, or -1 with errno set (a run
 * could not be written: the message is the caller's). */
int bpx_sorter_add(struct bpx_sorter *s, const char *folder, size_t flen,
                   const char *name, size_t nlen, int type, uint64_t off,
                   uint64_t size);

typedef int (*bpx_sorted_fn)(void *ctx, const char *folder, size_t flen,
                             const char *name, size_t nlen, int type,
                             uint64_t off, uint64_t size);

/* Hand every record to fn in order. 0, fn's non-zero return, or -1 with
 * errno set (a run could not be written or read back). Once only. */
int bpx_sorter_finish(struct bpx_sorter *s, bpx_sorted_fn fn, void *ctx);

/* How many runs went to the temporary file (0: sorted in memory). */
size_t bpx_sorter_runs(const struct bpx_sorter *s);

#endif
