/*
 * tfrecord.h - TFRecord framing.
 *
 * A record is: uint64 length (little-endian), uint32 masked CRC-32C of those
 * 8 bytes, the data, uint32 masked CRC-32C of the data. There is no file
 * header. To frame in place, encode the data at buf + BP_TFRECORD_HEADER and
 * call bp_tfrecord_frame_in_place(buf, len, NULL).
 */
#ifndef BENPREP_TFRECORD_H
#define BENPREP_TFRECORD_H

#include <stddef.h>
#include <stdint.h>

#define BP_TFRECORD_HEADER 12
#define BP_TFRECORD_FOOTER 4
#define BP_TFRECORD_OVERHEAD (BP_TFRECORD_HEADER + BP_TFRECORD_FOOTER)

/* buf holds len data bytes at buf + 12; writes the header before them and
 * the footer after them. Returns the framed size, len + 16. When crc is
 * not NULL it receives the CRC-32C of the whole framed record, derived from
 * the data's CRC without a second pass over the data. */
size_t bp_tfrecord_frame_in_place(uint8_t *buf, size_t len, uint32_t *crc);

/* Frame data[0..len) into out, which has room for len + 16 bytes. */
size_t bp_tfrecord_frame(const void *data, size_t len, uint8_t *out);

#endif
