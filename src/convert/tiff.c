/* Direct decoding of one-band, uncompressed, striped little-endian TIFFs. */
#include "convert/tiff.h"

#include <stdint.h>
#include <string.h>

/* TIFF tags and field types that matter here. */
enum {
    TAG_SUBFILE_TYPE = 254, TAG_WIDTH = 256, TAG_LENGTH = 257, TAG_BITS = 258,
    TAG_COMPRESSION = 259, TAG_PHOTOMETRIC = 262, TAG_FILL_ORDER = 266,
    TAG_STRIP_OFFSETS = 273, TAG_ORIENTATION = 274, TAG_SAMPLES = 277,
    TAG_ROWS_PER_STRIP = 278, TAG_STRIP_BYTES = 279, TAG_PLANAR = 284,
    TAG_PREDICTOR = 317, TAG_COLOR_MAP = 320, TAG_TILE_WIDTH = 322,
    TAG_TILE_LENGTH = 323, TAG_TILE_OFFSETS = 324, TAG_TILE_BYTES = 325,
    TAG_SUB_IFDS = 330, TAG_EXTRA_SAMPLES = 338, TAG_SAMPLE_FORMAT = 339,
    TAG_MIN_SAMPLE = 280, TAG_MAX_SAMPLE = 281, TAG_TRANSFER = 301,
    TAG_SMIN_SAMPLE = 340, TAG_SMAX_SAMPLE = 341, TAG_MATTEING = 32995,
    TAG_DATA_TYPE = 32996, TAG_IMAGE_DEPTH = 32997, TAG_TILE_DEPTH = 32998
};
enum { TYPE_SHORT = 3, TYPE_LONG = 4 };

#define MAX_STRIPS 4096

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* An IFD entry whose values are SHORT or LONG: the values lie in the entry
 * (4 bytes) or at an offset inside the file. */
struct field {
    uint16_t type;
    uint32_t count;
    const unsigned char *values;
};

static int field_get(const unsigned char *buf, size_t len,
                     const unsigned char *entry, struct field *f)
{
    f->type = le16(entry + 2);
    f->count = le32(entry + 4);
    if (f->type != TYPE_SHORT && f->type != TYPE_LONG)
        return 0;
    size_t size = (size_t)f->count * (f->type == TYPE_SHORT ? 2 : 4);
    if (f->count == 0 || f->count > MAX_STRIPS)
        return 0;
    if (size <= 4) {
        f->values = entry + 8;
        return 1;
    }
    uint32_t off = le32(entry + 8);
    if (off > len || size > len - off)
        return 0;
    f->values = buf + off;
    return 1;
}

static uint32_t field_value(const struct field *f, uint32_t i)
{
    return f->type == TYPE_SHORT ? le16(f->values + 2 * i)
                                 : le32(f->values + 4 * i);
}

/* Bytes [start, end) of the file. */
struct span {
    size_t start, end;
};

/* Where a field's values lie in the file buf. */
static struct span field_span(const unsigned char *buf, const struct field *f)
{
    size_t start = (size_t)(f->values - buf);
    return (struct span){start, start + (size_t)f->count *
                                            (f->type == TYPE_SHORT ? 2 : 4)};
}

/* A single-valued field: its value, or 0 when it is not single. */
static int field_single(const struct field *f, uint32_t *v)
{
    if (f->count != 1)
        return 0;
    *v = field_value(f, 0);
    return 1;
}

/* What the IFD says about the image. */
struct image {
    uint32_t width, height, bits, compression, samples;
    uint32_t rows_per_strip, planar, format;
    struct field offsets, counts;
};

/* A tag that must hold one value: stored in *im, or 0 when the value
 * rules the direct decoder out. */
static int take_single(struct image *im, uint16_t tag, uint32_t v)
{
    switch (tag) {
    case TAG_WIDTH: im->width = v; break;
    case TAG_LENGTH: im->height = v; break;
    case TAG_BITS: im->bits = v; break;
    case TAG_COMPRESSION: im->compression = v; break;
    case TAG_SAMPLES: im->samples = v; break;
    case TAG_ROWS_PER_STRIP: im->rows_per_strip = v; break;
    case TAG_PLANAR: im->planar = v; break;
    case TAG_SAMPLE_FORMAT: im->format = v; break;
    case TAG_SUBFILE_TYPE: /* a full-resolution image */
        if (v != 0)
            return 0;
        break;
    default: /* photometric (min-is-black), fill order, orientation,
                predictor */
        if (v != 1)
            return 0;
    }
    return 1;
}

/* The n entries of the IFD at ifd into *im: 1, or 0 when the file is one
 * for GDAL. */
static int read_ifd(const unsigned char *buf, size_t len, uint32_t ifd,
                    uint32_t n, struct image *im)
{
    *im = (struct image){.bits = 1, .compression = 1, .samples = 1,
                         .rows_per_strip = UINT32_MAX, .planar = 1,
                         .format = 1};
    uint32_t previous = 0;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = buf + ifd + 2 + 12 * i;
        uint16_t tag = le16(e);
        struct field f;
        uint32_t v = 0;
        /* Tags in ascending order, each once, as TIFF wants: readers differ
         * on which of two entries counts (libtiff takes the first). */
        if (i > 0 && tag <= previous)
            return 0;
        previous = tag;
        switch (tag) {
        case TAG_WIDTH: case TAG_LENGTH: case TAG_BITS: case TAG_COMPRESSION:
        case TAG_SAMPLES: case TAG_ROWS_PER_STRIP: case TAG_PLANAR:
        case TAG_SAMPLE_FORMAT: case TAG_FILL_ORDER: case TAG_ORIENTATION:
        case TAG_PREDICTOR: case TAG_PHOTOMETRIC: case TAG_SUBFILE_TYPE:
            if (!field_get(buf, len, e, &f) || !field_single(&f, &v) ||
                !take_single(im, tag, v))
                return 0;
            break;
        case TAG_STRIP_OFFSETS:
            if (!field_get(buf, len, e, &im->offsets))
                return 0;
            break;
        case TAG_STRIP_BYTES:
            if (!field_get(buf, len, e, &im->counts))
                return 0;
            break;
        case TAG_TILE_WIDTH: case TAG_TILE_LENGTH: case TAG_TILE_OFFSETS:
        case TAG_TILE_BYTES: case TAG_EXTRA_SAMPLES: case TAG_COLOR_MAP:
        case TAG_SUB_IFDS: case TAG_MATTEING: case TAG_IMAGE_DEPTH:
        case TAG_TILE_DEPTH: /* an alpha sample, a volume: other images */
            return 0;
        case TAG_MIN_SAMPLE: case TAG_MAX_SAMPLE: case TAG_SMIN_SAMPLE:
        case TAG_SMAX_SAMPLE: case TAG_DATA_TYPE: case TAG_TRANSFER:
            /* Per-sample values that libtiff checks strictly (a count
             * other than the samples per pixel, values that differ, a
             * type it cannot convert make the file unreadable to GDAL):
             * the archive's bands have none of them, GDAL judges. */
            return 0;
        default:
            break; /* georeferencing, resolution, ...: not pixels */
        }
    }
    return 1;
}

/* The rows of strip s. */
static uint32_t strip_rows(const struct image *im, uint32_t s,
                           uint32_t strips)
{
    return s + 1 < strips ? im->rows_per_strip
                          : im->height - s * im->rows_per_strip;
}

/* Every strip of the right size, inside the file, one after the other,
 * apart from each other and from the metadata (a file whose bytes serve
 * twice is left to GDAL): 1, or 0. */
static int strips_apart(size_t len, const struct image *im, uint32_t strips,
                        size_t row_bytes, const struct span *meta,
                        size_t nmeta)
{
    size_t strip_end = 0;
    for (uint32_t s = 0; s < strips; s++) {
        size_t bytes = strip_rows(im, s, strips) * row_bytes;
        uint32_t off = field_value(&im->offsets, s);
        if (field_value(&im->counts, s) != bytes || off > len ||
            bytes > len - off)
            return 0;
        if (s > 0 && off < strip_end)
            return 0;
        strip_end = (size_t)off + bytes;
        for (size_t k = 0; k < nmeta; k++)
            if (off < meta[k].end && meta[k].start < strip_end)
                return 0;
    }
    return 1;
}

int bp_tiff_decode_simple(const unsigned char *buf, size_t len, int side,
                          enum bp_tiff_sample sample, void *dst)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    (void)buf; (void)len; (void)side; (void)sample; (void)dst;
    return 0; /* pixels would need swapping: GDAL does it */
#else
    if (len < 8 || buf[0] != 'I' || buf[1] != 'I' || le16(buf + 2) != 42)
        return 0;
    uint32_t ifd = le32(buf + 4);
    if (ifd < 8 || ifd > len || len - ifd < 2)
        return 0;
    /* The entries and the next IFD's offset, which must be 0: one image. */
    uint32_t n = le16(buf + ifd);
    size_t ifd_end = (size_t)ifd + 2 + (size_t)n * 12 + 4;
    if (ifd_end > len || le32(buf + ifd_end - 4) != 0)
        return 0;
    struct image im;
    if (!read_ifd(buf, len, ifd, n, &im))
        return 0;
    /* With one sample, both planar configurations store the same bytes. */
    uint32_t want_bits = sample == BP_TIFF_UINT16 ? 16 : 32;
    uint32_t want_format = sample == BP_TIFF_UINT16 ? 1 : 3;
    if (im.width != (uint32_t)side || im.height != (uint32_t)side ||
        im.bits != want_bits || im.format != want_format ||
        im.compression != 1 || im.samples != 1 ||
        (im.planar != 1 && im.planar != 2) || im.rows_per_strip == 0 ||
        !im.offsets.values || !im.counts.values)
        return 0;
    if (im.rows_per_strip > im.height)
        im.rows_per_strip = im.height;
    uint32_t strips = (im.height + im.rows_per_strip - 1) / im.rows_per_strip;
    if (im.offsets.count != strips || im.counts.count != strips)
        return 0;
    size_t row_bytes = (size_t)im.width * (want_bits / 8);
    /* The bytes that are not pixels: the header, the IFD, the strip
     * offsets and byte counts (when they lie outside the IFD). */
    struct span meta[4] = {{0, 8}, {ifd, ifd_end},
                           field_span(buf, &im.offsets),
                           field_span(buf, &im.counts)};
    if (!strips_apart(len, &im, strips, row_bytes, meta, 4))
        return 0;
    /* Checked whole before anything is copied: dst is all or nothing. */
    unsigned char *out = dst;
    for (uint32_t s = 0; s < strips; s++) {
        size_t bytes = strip_rows(&im, s, strips) * row_bytes;
        memcpy(out, buf + field_value(&im.offsets, s), bytes);
        out += bytes;
    }
    return 1;
#endif
}
