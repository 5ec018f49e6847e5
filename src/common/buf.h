/*
 * buf.h - internal: a growable byte buffer.
 *
 * A zeroed struct bp_buf is an empty buffer. The buffer owns data; free it
 * with bp_buf_free(). Growth doubles the capacity (from 4 KiB), so appends
 * cost amortised O(1) and a buffer reused from one message or file to the
 * next stops allocating once it has reached its largest size. A failed
 * allocation leaves the content as it was and sets failed, so a caller may
 * append many pieces and check once at the end.
 */
#ifndef BENPREP_COMMON_BUF_H
#define BENPREP_COMMON_BUF_H

#include <stddef.h>

#include "benprep/log.h"

struct bp_buf {
    char *data;
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated */
    int failed; /* an allocation failed since the last bp_buf_clear() */
};

/* Make room for n more bytes. Returns 0, or -1 (and sets failed) when out
 * of memory. */
int bp_buf_reserve(struct bp_buf *b, size_t n);

/* Append n bytes. Returns the offset they start at, or (size_t)-1 when out
 * of memory (failed is set and nothing is appended). */
size_t bp_buf_add(struct bp_buf *b, const void *p, size_t n);

/* Append printf-formatted text (without its NUL; data stays NUL-terminated
 * when there is room). Returns 0 or -1 as bp_buf_reserve(). */
int bp_buf_printf(struct bp_buf *b, const char *fmt, ...) BP_PRINTF(2, 3);

/* Empty the buffer, keeping its memory, and clear failed. */
void bp_buf_clear(struct bp_buf *b);

/* Release the memory; the buffer is empty afterwards. Accepts NULL. */
void bp_buf_free(struct bp_buf *b);

#endif
