/*
 * source.h - internal to the converter: where a root's file bytes come
 * from. A root (-r1, -r2) is a folder, whose files are read whole with
 * open, fstat, read and close (only regular files: a FIFO, socket, device
 * or folder, also behind a symlink, is refused without blocking), or a tar
 * or gzip-compressed tar archive, whose members are read through its index
 * (archive.h). Either way a patch file is "<name>/<name><suffix>" under the
 * root, and reading it allocates nothing.
 */
#ifndef BENPREP_CONVERT_SOURCE_H
#define BENPREP_CONVERT_SOURCE_H

#include <stddef.h>

#include "benprep/patch.h"

struct bp_source;

/* A folder root (the path is copied). NULL when out of memory. */
struct bp_source *bp_source_folder(const char *root);

/* An archive root, opened once with its fresh index. BP_OK with *out,
 * BP_INPUT (logged) or BP_NOMEM. */
int bp_source_archive(const char *archive, const char *index_path,
                      struct bp_source **out);

/* Whether the root is an archive (its files cannot be rewritten). */
int bp_source_is_archive(const struct bp_source *s);

/* Read the file <name>/<name><suffix> of the root whole into buf[0..cap):
 * BP_OK with *len; BP_INPUT with *why filled in (missing, not a regular
 * file or member, cap bytes or more, unreadable); BP_INTERRUPTED (*why
 * filled in) when a signal cut a system call short: the file may be fine.
 * The file's name as messages give it ("ROOT/NAME/FILE", or
 * "ARCHIVE:TOP/NAME/FILE") goes to path[0..pathsz) in any case. */
int bp_source_read(struct bp_source *s, const char *name, const char *suffix,
                   unsigned char *buf, size_t cap, size_t *len, char *path,
                   size_t pathsz, struct bp_failure *why);

/* Close; accepts NULL. */
void bp_source_free(struct bp_source *s);

/* Fill *why: file, and the reason from fmt. Returns BP_INPUT. */
int bp_failure_set(struct bp_failure *why, const char *file, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

#endif
