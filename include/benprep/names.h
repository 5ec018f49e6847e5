/*
 * names.h - the names of every file ben-prep reads or writes by convention,
 * in both directions: composed by the converter, recognised by resume,
 * --force and verify, so the grammar lives in one place.
 *
 *   <split>-<k>-of-<n>.tfrecord[.zlib|.gz]   a shard; k and n in decimal,
 *                                             both as wide as n, at least 5
 *   <shard>.idx                               its index file (--index)
 *   manifest.json, ben-prep.journal           the run's records
 *   .<any of the above>.tmp                   the same while being written
 *   .ben-prep.lock                            the output folder's lock
 *
 * A patch name (a CSV cell, a folder under a root) is checked here too.
 */
#ifndef BENPREP_NAMES_H
#define BENPREP_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define BP_MANIFEST_NAME "manifest.json"
#define BP_JOURNAL_NAME "ben-prep.journal"
/* Locked by rank 0 while a run writes into the folder; never removed. */
#define BP_LOCK_NAME ".ben-prep.lock"

/* Longest patch name: a folder name. */
#define BP_NAME_MAX 255

/* The shard file name of shard index of of (of a split) into buf, with
 * suffix after ".tfrecord" ("" for plain shards, ".gz", ".zlib", and
 * ".idx" appended by callers for index files). Returns 0, or -1 if it does
 * not fit. */
int bp_shard_filename_ext(char *buf, size_t size, const char *split,
                          uint32_t index, uint32_t of, const char *suffix);
int bp_shard_filename(char *buf, size_t size, const char *split,
                      uint32_t index, uint32_t of);

/* Parse name as a shard of split (any split when split is NULL):
 * "<split>-<k>-of-<n>.tfrecord" followed by *suffix. With want_suffix
 * non-NULL the rest must equal it; with NULL it may be "", ".zlib", ".gz"
 * or ".idx" (an index file) and *rest points at it. Numbers must be as wide
 * as n, at least 5 digits. Returns 0 and fills *k, *of (and *rest when not
 * NULL), or -1 when name is no such file. */
int bp_shard_name_parse(const char *name, const char *split,
                        const char *want_suffix, uint64_t *k, uint64_t *of,
                        const char **rest);

/* Is name a shard or index file name of any split? */
int bp_is_shard_name(const char *name);

/* The length of the split part of a shard or index file name, or 0 when
 * name is no such name. */
size_t bp_shard_name_split(const char *name);

/* Is name a temporary file of ben-prep's: ".<shard or index>.tmp",
 * ".manifest.json.tmp" or ".ben-prep.journal.tmp"? */
int bp_is_own_tmp(const char *name);

/* Why name (len bytes) cannot be a patch folder name, or NULL when it can:
 * empty, over BP_NAME_MAX bytes, ".", containing "/", "..", a control
 * character or a UTF-8 byte order mark, or not valid UTF-8 (the manifest
 * that names it is JSON, which strict parsers read as UTF-8). */
const char *bp_name_problem(const char *name, size_t len);

#endif
