/*
 * csv.h - split CSV files: one patch pair per row.
 *
 * MM split files have rows "S2name,S1name", no header, CRLF or LF line ends,
 * with or without a final line end. S2-only split files have one S2 name
 * per row; the column count most rows have decides which kind a file is
 * (MM on a tie), and every row must have that many columns. In an S2-only file a row's S1 name is "". A split's name is its file name up to
 * the first '.' (train.csv -> "train"). The whole file is kept in memory and
 * the names are NUL-terminated in place, so a row costs only its offsets.
 *
 * Problems are logged as "FILE line N: reason". A UTF-8 byte order mark and
 * blank lines are skipped with a warning; every other malformed row is an
 * error (BP_CSV) after all problems in the file have been reported (at most
 * a screenful of them).
 */
#ifndef BENPREP_CSV_H
#define BENPREP_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/names.h"

/* The largest split file or exclusion list read (128 MiB): the split files
 * of all 590,326 pairs of the archive take about 46 MB, and a larger file
 * (a wrong path, a sparse file) is refused before it costs its size in
 * memory. */
#define BP_SPLIT_MAX_BYTES (128 << 20)

struct bp_row {
    uint64_t s2;   /* offset of the S2 name in the split's text */
    uint64_t s1;   /* offset of the S1 name */
    uint32_t line; /* 1-based line number in the CSV file */
};

struct bp_split {
    char *name;        /* "train"; owned */
    char *path;        /* the CSV path as given; owned */
    char *text;        /* the file's bytes, names NUL-terminated; owned */
    size_t text_len;
    uint32_t crc32c;   /* CRC-32C of the file as read, to identify it */
    struct bp_row *rows; /* owned */
    size_t nrows;
    int columns;         /* 2: MM rows "S2name,S1name"; 1: S2-only rows;
                            0: no rows */
};

/* The split name of a CSV path into buf: "a/b/train.csv" -> "train".
 * Returns 0, or -1 when it would be empty or longer than size - 1. */
int bp_split_name(const char *path, char *buf, size_t size);

/* Read and parse the CSV at path into *out (zeroed first). Only a regular
 * file of at most BP_SPLIT_MAX_BYTES is read (also through a symlink); a
 * FIFO, socket, device or folder is refused without blocking. On failure
 * *out holds nothing to free. Returns BP_OK, BP_CSV, BP_NOMEM. */
int bp_split_load(const char *path, struct bp_split *out);

/* Parse text[0..len) (modified in place; text must have len + 1 bytes) as
 * the CSV called path. Takes ownership of text in all cases. */
int bp_split_parse(const char *path, char *text, size_t len,
                   struct bp_split *out);

static inline const char *bp_row_s2(const struct bp_split *s, size_t i)
{
    return s->text + s->rows[i].s2;
}

static inline const char *bp_row_s1(const struct bp_split *s, size_t i)
{
    return s->text + s->rows[i].s1;
}

/* Free what a split owns; accepts a zeroed or already freed split. */
void bp_split_free(struct bp_split *s);

#endif
