/*
 * crc32c.h - internal: CRC-32C (Castagnoli), as used by TFRecord framing.
 *
 * bp_crc32c_extend(crc, data, len) continues a finished CRC over more bytes,
 * like zlib's crc32(): start from 0, feed pieces in order. The x86-64 SSE4.2
 * crc32 instruction and the ARMv8 CRC extension are used when the CPU has
 * them; otherwise a slicing-by-8 table. All paths give identical results.
 */
#ifndef BENPREP_CRC32C_H
#define BENPREP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t bp_crc32c_extend(uint32_t crc, const void *data, size_t len);

/* The CRC of A followed by B, from crc1 = CRC of A, crc2 = CRC of B and
 * len2 = the length of B: a few hundred operations, no pass over data. */
uint32_t bp_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* The portable table implementation, exposed so tests can compare paths. */
uint32_t bp_crc32c_extend_portable(uint32_t crc, const void *data, size_t len);

/* "sse4.2", "armv8-crc" or "table": what bp_crc32c_extend uses here. */
const char *bp_crc32c_implementation(void);

static inline uint32_t bp_crc32c(const void *data, size_t len)
{
    return bp_crc32c_extend(0, data, len);
}

/* TFRecord's masking of a CRC stored next to the data it covers. */
static inline uint32_t bp_crc32c_mask(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

#endif
