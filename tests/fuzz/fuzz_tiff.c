/*
 * libFuzzer target: the direct band decoder. Any bytes may come in; it must
 * decline or decode without reading outside the buffer or writing outside
 * the destination (AddressSanitizer watches both).
 */
#include <stdint.h>
#include <stdlib.h>

#include "convert/tiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float dst[120 * 120];
    int side = size ? (data[size - 1] & 1 ? 20 : 120) : 120;
    (void)bp_tiff_decode_simple(data, size, side, BP_TIFF_UINT16, dst);
    (void)bp_tiff_decode_simple(data, size, 120, BP_TIFF_FLOAT32, dst);
    return 0;
}
