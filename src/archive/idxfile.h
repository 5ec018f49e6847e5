/*
 * idxfile.h - internal to the archive reader: the index file format, both
 * directions (writing it while indexing, looking members up in it).
 *
 * All integers are little-endian; every part carries a CRC-32C so that a
 * damaged index is never trusted. Layout:
 *
 *   header     4096 bytes at offset 0 (struct bpx_idx_header; its last four
 *              bytes are the CRC-32C of the 4092 before them)
 *   windows    the access points' 32 KiB windows, each raw-deflated
 *   points     npoints records of 40 bytes, sorted by uncompressed offset:
 *                u64 uoff     offset in the tar stream
 *                u64 coff     offset in the gzip file of the next input byte
 *                u64 woff     offset of the stored window in this file
 *                u32 wlen     stored (deflated) window bytes
 *                u32 wcrc     CRC-32C of the stored window
 *                u16 raw_len  window bytes once inflated (<= 32768)
 *                u8  bits     bits of the byte before coff still to use
 *                u8  kind     0: inside a deflate stream; 1: start of a gzip
 *                             member (no window, zlib reads its header)
 *                u32 crc      CRC-32C of the 36 bytes before it
 *   sample     the uoff of every 64th point (u64 each): the in-memory
 *              sample that finds the span of 64 points to read
 *   blocks     nblocks blocks of block_bytes (16 KiB): the member table,
 *              sorted by (folder, name) bytewise; each block is
 *                u32 crc      CRC-32C of the rest of the block
 *                u16 used     bytes of groups after the 8-byte block header
 *                u16 ngroups
 *              then groups of one folder's members:
 *                varint flen, folder bytes,
 *                u16 nmembers, u16 bytes (of the member records after)
 *              and members:
 *                u8 shared    leading bytes shared with the folder name
 *                varint rlen, the rest of the name
 *                u8 type      enum bpx_member_type
 *                varint off   data offset in the tar stream
 *                varint size
 *              A folder with more members than fit continues in the next
 *              block under a repeated group header.
 *   directory  the first (folder, name) of every block: varint flen, folder,
 *              varint nlen, name. Held in memory by readers (about 45 bytes
 *              per 16 KiB block, ~0.5 MB for the full BigEarthNet-S2).
 *
 * Names are relative to the archive's single top folder: member
 * "BigEarthNet-v1.0/P/P_B02.tif" is folder "P", name "P_B02.tif"; a deeper
 * path keeps its slashes in the name.
 */
#ifndef BENPREP_ARCHIVE_IDXFILE_H
#define BENPREP_ARCHIVE_IDXFILE_H

#include <stddef.h>
#include <stdint.h>

#define BPX_IDX_MAGIC "BPARCIDX"
#define BPX_IDX_VERSION 1u
#define BPX_IDX_HEADER_BYTES 4096u
#define BPX_IDX_BLOCK_BYTES 16384u
#define BPX_IDX_POINT_BYTES 40u
#define BPX_IDX_SAMPLE_EVERY 64u
#define BPX_IDX_NO_DAMAGE UINT64_MAX
#define BPX_WINDOW 32768u
#define BPX_FOLDER_MAX 1024u /* folder name bytes */
#define BPX_NAME_MAX 4095u   /* member name bytes within its folder */
/* The largest directory a reader loads (a bound for damaged files). */
#define BPX_IDX_DIR_MAX (256u << 20)

enum bpx_idx_kind { BPX_IDX_TAR = 1, BPX_IDX_GZIP = 2 };

#define BPX_IDX_FLAG_ENDED 1u /* tar's end-of-archive block was seen */

/* The bytes of a block's header: u32 crc, u16 used, u16 ngroups. */
#define BPX_IDX_BLOCK_HEAD 8u

/* Formats why (when why and whysz are set); returns -1. */
int bpx_whyf(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether [off, off + len) lies within size, without overflow. */
static inline int bpx_fits(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* The entries of the point sample for npoints access points. */
static inline uint64_t bpx_sample_count(uint64_t npoints)
{
    return (npoints + BPX_IDX_SAMPLE_EVERY - 1) / BPX_IDX_SAMPLE_EVERY;
}

struct bpx_idx_header {
    uint32_t kind;        /* enum bpx_idx_kind */
    uint32_t block_bytes;
    uint32_t flags;
    uint64_t archive_size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t head_crc;    /* CRC-32C of the archive's first MiB */
    uint32_t tail_crc;    /* ... and of its last MiB */
    uint64_t stream_bytes; /* tar stream bytes read (inflated) */
    uint64_t spacing;      /* access point spacing asked for */
    uint64_t nmembers, nfolders, gz_members;
    uint64_t windows_off, windows_len;
    uint64_t points_off, npoints;
    uint64_t sample_off;
    uint32_t sample_crc;
    uint64_t blocks_off, nblocks;
    uint64_t dir_off, dir_len;
    uint32_t dir_crc;
    uint64_t file_bytes;   /* the whole index file */
    uint64_t damage_offset; /* tar stream offset from which nothing is
                               readable; BPX_IDX_NO_DAMAGE when whole */
    char top[256];          /* the top folder, as named in the archive */
    char damage[512];       /* why, when damaged */
};

/* Header to its 4096 bytes (CRC included). */
void bpx_idx_header_encode(const struct bpx_idx_header *h,
                           unsigned char out[BPX_IDX_HEADER_BYTES]);

/* Bytes to header: 0, or -1 with the reason in why (bad magic, version,
 * checksum, or sections that do not fit file_size). */
int bpx_idx_header_decode(const unsigned char in[BPX_IDX_HEADER_BYTES],
                          uint64_t file_size, struct bpx_idx_header *h,
                          char *why, size_t whysz);

struct bpx_point {
    uint64_t uoff, coff, woff;
    uint32_t wlen, wcrc;
    uint16_t raw_len;
    uint8_t bits, kind;
};

#define BPX_POINT_DEFLATE 0
#define BPX_POINT_MEMBER 1

void bpx_point_encode(const struct bpx_point *p,
                      unsigned char out[BPX_IDX_POINT_BYTES]);
/* 0, or -1 when the record's CRC or fields are wrong. */
int bpx_point_decode(const unsigned char in[BPX_IDX_POINT_BYTES],
                     struct bpx_point *p);

/* ---- writing the member table ---------------------------------------- */

/* Packs sorted members into blocks written at fd from offset off on; keeps
 * the directory in memory (grows with the block count). */
struct bpx_blockw;

struct bpx_blockw *bpx_blockw_new(int fd, uint64_t off, uint32_t block_bytes);
/* Add the next member, in (folder, name) order. 0, or -1 with errno set
 * (write failure) or EINVAL (a name over the limits). */
int bpx_blockw_add(struct bpx_blockw *w, const char *folder, size_t flen,
                   const char *name, size_t nlen, int type, uint64_t off,
                   uint64_t size);
/* Write the last block and the directory after the blocks. Fills the
 * header's blocks/directory fields and nfolders. 0, or -1 with errno. */
int bpx_blockw_finish(struct bpx_blockw *w, struct bpx_idx_header *h);
void bpx_blockw_free(struct bpx_blockw *w);

/* ---- reading ---------------------------------------------------------- */

struct bpx_idx;

/* Open the index in fd (not taken over; keep it open until close). Loads
 * the header, the directory and the point sample (checked against their
 * CRCs). 0, or -1 with the reason in why (damaged or not an index; ENOMEM
 * as "out of memory"). */
int bpx_idx_open(int fd, struct bpx_idx **out, char *why, size_t whysz);
void bpx_idx_close(struct bpx_idx *x);
const struct bpx_idx_header *bpx_idx_header(const struct bpx_idx *x);

struct bpx_entry {
    int type;          /* enum bpx_member_type */
    uint64_t off, size;
    /* Where the data of the folder's members in this block begins and
     * ends: the range a reader may fetch at once. */
    uint64_t span_start, span_end;
};

/* Look a member up. 1 found (*e), 0 not in the index, -1 the index is
 * damaged (why). Reads at most one block (cached). */
int bpx_idx_lookup(struct bpx_idx *x, const char *folder, size_t flen,
                   const char *name, size_t nlen, struct bpx_entry *e,
                   char *why, size_t whysz);

/* 1 when the index has any member in folder, 0 not, -1 damaged. */
int bpx_idx_has_folder(struct bpx_idx *x, const char *folder, size_t flen,
                       char *why, size_t whysz);

/* The smallest data offset among a folder's members in the first block
 * that holds the folder: where the folder starts in the archive, for
 * putting reads in archive order. 1 found, 0 no such folder, -1 damaged. */
int bpx_idx_folder_offset(struct bpx_idx *x, const char *folder, size_t flen,
                          uint64_t *off, char *why, size_t whysz);

/* The access point at or before uoff with the largest uoff. 1 found, 0
 * none (plain tar, or uoff before the first), -1 damaged. */
int bpx_idx_point(struct bpx_idx *x, uint64_t uoff, struct bpx_point *p,
                  char *why, size_t whysz);

/* Visit every member in index order: fn gets folder, name (NUL-terminated)
 * and the entry; a non-zero return stops the walk and is returned. -1 (why)
 * when a block is damaged. Also checks every block CRC on the way. */
typedef int (*bpx_idx_visit_fn)(void *ctx, const char *folder,
                                const char *name, const struct bpx_entry *e);
int bpx_idx_walk(struct bpx_idx *x, bpx_idx_visit_fn fn, void *ctx,
                 char *why, size_t whysz);

/* Check every checksum in the file: blocks, points, windows. 0 or -1 (why). */
int bpx_idx_verify(struct bpx_idx *x, char *why, size_t whysz);

/* Read a point's stored window into buf (cap >= wlen): 0, or -1 (why). */
int bpx_idx_read_window(struct bpx_idx *x, const struct bpx_point *p,
                        unsigned char *buf, size_t cap, char *why,
                        size_t whysz);

#endif
