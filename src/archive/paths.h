/*
 * paths.h - internal to the archive reader: the folder and the last name of
 * a path, for putting an index beside its archive.
 */
#ifndef BENPREP_ARCHIVE_PATHS_H
#define BENPREP_ARCHIVE_PATHS_H

#include <stdio.h>
#include <string.h>

/* The part of path after its last slash. */
static inline const char *bpx_base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The folder holding path ("." for a bare name), into dir[0..size). */
static inline void bpx_dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

#endif
