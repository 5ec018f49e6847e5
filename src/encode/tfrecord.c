/* tfrecord.c - TFRecord framing: length, masked CRC-32C of the length, data,
 * masked CRC-32C of the data (see benprep/tfrecord.h). */
#include "benprep/tfrecord.h"

#include <string.h>

#include "common/crc32c.h"

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t bp_tfrecord_frame_in_place(uint8_t *buf, size_t len, uint32_t *crc)
{
    uint64_t n = len;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(n >> (8 * i));
    put_le32(buf + 8, bp_crc32c_mask(bp_crc32c(buf, 8)));
    uint8_t *data = buf + BP_TFRECORD_HEADER;
    uint32_t data_crc = bp_crc32c(data, len);
    put_le32(data + len, bp_crc32c_mask(data_crc));
    if (crc) {
        uint32_t c = bp_crc32c(buf, BP_TFRECORD_HEADER);
        c = bp_crc32c_combine(c, data_crc, len);
        *crc = bp_crc32c_extend(c, data + len, BP_TFRECORD_FOOTER);
    }
    return len + BP_TFRECORD_OVERHEAD;
}

size_t bp_tfrecord_frame(const void *data, size_t len, uint8_t *out)
{
    memmove(out + BP_TFRECORD_HEADER, data, len);
    return bp_tfrecord_frame_in_place(out, len, NULL);
}
