/*
 * tar.h - internal to the archive reader: a streaming parser of the tar
 * formats real tools write.
 *
 * The parser is fed the tar stream in pieces of any size (the output of an
 * inflater, or a plain file read in large chunks) and reports every member
 * with its name, kind, data offset and size. It understands
 *   - ustar (POSIX 1988): the 155-byte prefix joined to the 100-byte name;
 *   - GNU: 'L' long names and 'K' long link names, base-256 sizes,
 *     'V' volume labels (skipped), 'D' dump folders;
 *   - pax (POSIX 2001): 'x' extended and 'g' global headers, of which the
 *     "path" and "size" records are used ('X', Solaris's 'x', too);
 *   - v7 headers (no magic) with a valid checksum.
 * Header checksums are checked (unsigned sum, or the signed sum old tools
 * wrote). A zero block ends the archive; what follows it must be zeros.
 *
 * The parser allocates once (bpx_tar_new) and never per member. Member data
 * is not copied, except the small data of extension headers (at most
 * BPX_TAR_EXT_MAX bytes).
 */
#ifndef BENPREP_ARCHIVE_TAR_H
#define BENPREP_ARCHIVE_TAR_H

#include <stddef.h>
#include <stdint.h>

#define BPX_TAR_BLOCK 512
/* The largest extension header (pax records, GNU long name) accepted. */
#define BPX_TAR_EXT_MAX (64u * 1024)

/* What a member is; the values are stored in index files. */
enum bpx_member_type {
    BPX_MEMBER_FILE = 0,     /* regular file ('0', '\0', '7') */
    BPX_MEMBER_HARDLINK = 1, /* '1' */
    BPX_MEMBER_SYMLINK = 2,  /* '2' */
    BPX_MEMBER_DIR = 3,      /* '5', GNU 'D' */
    BPX_MEMBER_OTHER = 4,    /* device, fifo, sparse file, unknown kind */
    BPX_MEMBER_DUPLICATE = 5 /* the name appears more than once (index) */
};

struct bpx_tar_member {
    const char *name;  /* as the archive gives it, NUL-terminated */
    size_t name_len;
    int type;          /* enum bpx_member_type */
    char typeflag;     /* the header's own type byte */
    uint64_t header_offset; /* first header block, extension headers included */
    uint64_t data_offset;   /* first data byte in the tar stream */
    uint64_t size;          /* data bytes */
};

/* Called for each member; a non-zero return stops the parser, which passes
 * the value on. */
typedef int (*bpx_tar_member_fn)(void *ctx, const struct bpx_tar_member *m);

struct bpx_tar;

/* A parser at stream offset 0. NULL when out of memory. */
struct bpx_tar *bpx_tar_new(void);
void bpx_tar_free(struct bpx_tar *t);

/* Feed the next len bytes of the stream. Returns 0 to go on (also after the
 * end of the archive: later bytes are only checked to be zeros), -1 when the
 * stream is malformed (bpx_tar_error tells where and why; the parser then
 * stays stopped), or the callback's non-zero value. */
int bpx_tar_feed(struct bpx_tar *t, const unsigned char *p, size_t len,
                 bpx_tar_member_fn fn, void *ctx);

/* Data bytes the parser would only skip from here on (the rest of a
 * member's data and padding): a reader may jump over them and call
 * bpx_tar_skip instead of feeding them. */
uint64_t bpx_tar_skippable(const struct bpx_tar *t);
void bpx_tar_skip(struct bpx_tar *t, uint64_t n);

/* At the end of the stream: 0 when the archive ended with its zero block,
 * -1 when it was cut short (bpx_tar_error says where). */
int bpx_tar_finish(struct bpx_tar *t);

/* Whether a zero block (end of archive) was seen. */
int bpx_tar_ended(const struct bpx_tar *t);

/* The bytes fed (or skipped) so far. */
uint64_t bpx_tar_offset(const struct bpx_tar *t);

/* After -1: the reason, and the stream offset from which nothing can be
 * trusted (the bad header, or where the data stopped). */
const char *bpx_tar_error(const struct bpx_tar *t, uint64_t *offset);

/* Whether one 512-byte block is a tar header: 2 for a ustar or GNU header
 * with a valid checksum, 1 for a v7 header with a valid checksum and a
 * plausible name, 0 otherwise. */
int bpx_tar_header_kind(const unsigned char block[BPX_TAR_BLOCK]);

#endif
