/*
 * pixels.c - the pixels ben-synth writes: the S2 band table, and each
 * band's values drawn from its pair's random stream (see synth.h).
 */
#include "synth/synth.h"

const struct s2_band s2_bands[S2_BANDS] = {
    {"B01", 20, 200, 2000},   {"B02", 120, 300, 2500},
    {"B03", 120, 300, 3000},  {"B04", 120, 200, 4000},
    {"B05", 60, 500, 4500},   {"B06", 60, 800, 6000},
    {"B07", 60, 800, 7000},   {"B08", 120, 800, 8000},
    {"B09", 20, 800, 8000},   {"B11", 60, 500, 6000},
    {"B12", 60, 300, 5000},   {"B8A", 60, 800, 8000},
};
/* The band that carries a saturated 65535 pixel in every fifth pair. */
#define SATURATED_BAND 7
#define SATURATED_EVERY 5

/* Mostly ordinary values of the band's range (128..16383: two-byte
 * varints), about 5% below 128 (one byte) and 3% from 16384 to 20000
 * (three bytes). Every band has a 0 and a value >= 16384 at random places,
 * and B08 of every fifth pair one saturated 65535. */
void fill_s2_band(uint64_t pkey, int band, long index, uint16_t *pixels)
{
    const struct s2_band *b = &s2_bands[band];
    size_t npix = (size_t)b->side * (size_t)b->side;
    uint64_t base = stream_key(pkey, STREAM_S2 + band);
    uint32_t span = (uint32_t)(b->hi - b->lo);
    for (size_t x = 0; x < npix; x++) {
        uint64_t h = mix64(base + GOLDEN64 * (x + 1));
        uint32_t sel = (uint32_t)(h >> 54); /* 0..1023 */
        uint32_t v = (uint32_t)h;
        if (sel < 51)
            pixels[x] = (uint16_t)(v % 128);
        else if (sel < 82)
            pixels[x] = (uint16_t)(16384 + v % 3617);
        else
            pixels[x] = (uint16_t)((uint32_t)b->lo + v % span);
    }
    /* Three distinct forced places, a third of the band apart. */
    uint64_t f = mix64(stream_key(pkey, STREAM_FORCED) + (uint64_t)band);
    size_t at = (size_t)(f % npix);
    pixels[at] = 0;
    pixels[(at + npix / 3) % npix] = (uint16_t)(16384 + (f >> 32) % 3617);
    if (band == SATURATED_BAND && index % SATURATED_EVERY == 0)
        pixels[(at + 2 * (npix / 3)) % npix] = 65535;
}

/* Backscatter in dB, about 1% exactly 0.0, 3% from 0 to +10, the rest
 * negative, VV from -35 and VH from -40 dB, peaked in the middle of the
 * range. One random pixel of each band is 0.0. */
void fill_s1_band(uint64_t pkey, int polarisation, float *pixels)
{
    size_t npix = (size_t)S1_SIDE * S1_SIDE;
    uint64_t base = stream_key(pkey, STREAM_VV + polarisation);
    double lo = polarisation == 0 ? -35.0 : -40.0;
    double hi = polarisation == 0 ? 0.0 : -5.0;
    for (size_t x = 0; x < npix; x++) {
        uint64_t h = mix64(base + GOLDEN64 * (x + 1));
        uint32_t sel = (uint32_t)(h >> 54);
        double a = (double)((h >> 24) & 0xFFFFFF);
        double b = (double)(h & 0xFFFFFF);
        if (sel < 10) {
            pixels[x] = 0.0f;
        } else if (sel < 41) {
            pixels[x] = (float)(10.0 * a / 16777216.0);
        } else {
            /* The mean of two uniforms: a triangular distribution. */
            double t = (a + b) / 33554432.0;
            pixels[x] = (float)(lo + (hi - lo) * t);
        }
    }
    uint64_t f = mix64(stream_key(pkey, STREAM_FORCED) + 100u +
                       (uint64_t)polarisation);
    pixels[f % npix] = 0.0f;
}
