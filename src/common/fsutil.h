/*
 * fsutil.h - internal: files that appear whole or not at all, and folders.
 *
 * Every final output file goes the same way: written under a temporary
 * name ".NAME.tmp" in its folder (bp_tmp_create), flushed to disk and
 * closed (bp_file_finish), then renamed to its final name and the rename
 * made durable (bp_publish). A failure at any step is logged with the path
 * and the reason, and the caller removes the temporary file. So a reader
 * never sees a half-written file under a final name.
 */
#ifndef BENPREP_COMMON_FSUTIL_H
#define BENPREP_COMMON_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>

/* Write all len bytes, retrying short writes and EINTR. Returns 0, or -1
 * with errno set (ENOSPC for a write that makes no progress). */
int bp_write_all(int fd, const void *data, size_t len);

/* What a file of this mode is, for a message saying why it is not read:
 * "a folder", "a FIFO (named pipe)", "a socket", ... */
const char *bp_file_kind(mode_t mode);

/* Open path for reading if it is a regular file (also through symlinks),
 * without ever blocking: O_NONBLOCK makes the open of a FIFO return at
 * once (it changes nothing for a regular file), and fstat on the opened
 * descriptor tells what was opened. Returns the descriptor with *st filled
 * in; or -1 with *kind set to what the file is when it is not a regular
 * file (a FIFO, socket, device or folder, which are refused); or -1 with
 * *kind NULL and errno set when it cannot be opened. Costs open and fstat,
 * plus a stat when the open fails (a socket cannot be opened at all). */
int bp_open_regular(const char *path, struct stat *st, const char **kind);

/* Create (or truncate) dir/.NAME.tmp for writing, with open(2) flags
 * O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | extra_flags and mode 0644; its
 * path goes to tmp (size bytes) and, when final is not NULL, dir/NAME to
 * final. Returns the descriptor, or -1 after logging why. */
int bp_tmp_create(const char *dir, const char *name, int extra_flags,
                  char *tmp, char *final, size_t size);

/* fsync and close fd (always closed), the file being path. Returns BP_OK,
 * or BP_OUTPUT after logging why. */
int bp_file_finish(int fd, const char *path);

/* Rename tmp to final and fsync the folder dir that holds both, so the new
 * name survives a crash. Returns BP_OK, or BP_OUTPUT after logging why (tmp
 * is left for the caller to remove). */
int bp_publish(const char *tmp, const char *final, const char *dir);

/* Write dir/name atomically: text[0..len) through dir/.name.tmp, fsynced,
 * renamed. On failure the temporary file is removed and an older dir/name
 * stays as it was. Returns BP_OK or BP_OUTPUT (logged). */
int bp_write_file_atomic(const char *dir, const char *name, const char *text,
                         size_t len);

/* mkdir -p: create dir and its missing parents (mode 0777 less umask).
 * Returns 0 when dir is a folder afterwards; otherwise an errno value
 * (ENOTDIR when it exists as something else) with the path that failed in
 * failed (size bytes). Logs nothing: the caller knows what the folder is. */
int bp_mkdir_p(const char *dir, char *failed, size_t size);

#endif
