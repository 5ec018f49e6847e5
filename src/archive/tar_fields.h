/*
 * tar_fields.h - internal to the tar parser: the fields of a 512-byte tar
 * header block.
 */
#ifndef BENPREP_ARCHIVE_TAR_FIELDS_H
#define BENPREP_ARCHIVE_TAR_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "tar.h"

/* A header field for messages: printable bytes up to the first NUL, the
 * others as '?', into dst of cap bytes. */
void bpx_tar_field_text(char *dst, size_t cap, const unsigned char *p,
                        size_t n);

/* A numeric field of n bytes: octal or GNU base-256. 0 with *v, or -1. */
int bpx_tar_number(const unsigned char *p, size_t n, uint64_t *v);

/* 0 when the checksum field matches the unsigned (or old signed) sum, -1
 * when it does not, -2 when the field is not a number. */
int bpx_tar_check_sum(const unsigned char *h, uint64_t *stored,
                      uint64_t *computed);

/* 1 when the block is all zeros (the end of an archive). */
int bpx_tar_zero_block(const unsigned char *h);

#endif
