/*
 * tiff.h - internal: direct decoding of the BigEarthNet band layout.
 *
 * Every band file of the archive is a classic little-endian TIFF with one
 * uncompressed, striped band: its pixels are the file's bytes. For such a
 * file the decoder copies the strips straight into the caller's array; for
 * anything else (another byte order, BigTIFF, compression, tiles, several
 * samples, another size or pixel type, inconsistent strips) it declines,
 * and the caller decodes with GDAL instead, which also gives the error
 * messages. Declining is never an error here.
 *
 * It takes only files whose meaning no reader can take otherwise, so that
 * the records are GDAL's pixels whichever decoder made them: tags in
 * ascending order, each once (libtiff reads the first of two entries);
 * one image (the next IFD offset 0; no tiles, sub-IFDs, colour map or
 * reduced-resolution type; min-is-black); strip offsets and byte counts of
 * the same count, one strip per RowsPerStrip rows, each exactly its rows'
 * bytes, in ascending order inside the file, apart from each other, from
 * the header, the IFD and the offset and count arrays.
 */
#ifndef BENPREP_TIFF_H
#define BENPREP_TIFF_H

#include <stddef.h>

enum bp_tiff_sample {
    BP_TIFF_UINT16,  /* SampleFormat 1, 16 bits */
    BP_TIFF_FLOAT32  /* SampleFormat 3, 32 bits */
};

/* Decode buf[0..len) into dst (side * side pixels, row-major) if it is a
 * one-band side x side image of the given sample type in the simple layout.
 * Returns 1 when dst was filled, 0 when the file is left to GDAL. */
int bp_tiff_decode_simple(const unsigned char *buf, size_t len, int side,
                          enum bp_tiff_sample sample, void *dst);

#endif
