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

/* The smooth part of a band: a value in [-1, 1] at every GRID_CELLS-th
 * of the side in each direction, bilinear in between. */
#define GRID_CELLS 10
#define GRID_POINTS (GRID_CELLS + 1)
/* In thousandths of the band's range: where a patch's level lies (from
 * 5% to 50% of the range), the smooth field's amplitude (2% to 8%, drawn
 * per band of each patch) and a pixel's own noise (4.5%). A patch's
 * ordinary values thus spread over a small part of the range around its
 * level, as a real patch's do, and an S2 tar shrinks under gzip -6 as the
 * real sample's does (1.41x against 1.40x; values uniform over the whole
 * range gave 1.22x). */
#define LEVEL_FROM 50
#define LEVEL_SPAN 450
#define FIELD_FROM 20
#define FIELD_SPAN 60
#define NOISE 45

/* Uniform in [0, 1) from the top 53 bits of h. */
static double unit(uint64_t h)
{
    return (double)(h >> 11) / 9007199254740992.0;
}

/* Mostly ordinary values of the band's range (128..16383: two-byte
 * varints): the patch's level, a smooth field and a little noise, within
 * [lo, hi); about 5% below 128 (one byte) and 3% from 16384 to 20000
 * (three bytes). Every band has a 0 and a value >= 16384 at random places,
 * and B08 of every fifth pair one saturated 65535. */
void fill_s2_band(uint64_t pkey, int band, long index, uint16_t *pixels)
{
    const struct s2_band *b = &s2_bands[band];
    int side = b->side;
    size_t npix = (size_t)side * (size_t)side;
    uint64_t base = stream_key(pkey, STREAM_S2 + band);
    double span = (double)(b->hi - b->lo);
    double level =
        b->lo +
        span * (LEVEL_FROM + LEVEL_SPAN * unit(mix64(base ^ 1))) / 1000.0;
    double amp =
        span * (FIELD_FROM + FIELD_SPAN * unit(mix64(base ^ 2))) / 1000.0;
    double noise = span * NOISE / 1000.0;
    double grid[GRID_POINTS * GRID_POINTS];
    for (int k = 0; k < GRID_POINTS * GRID_POINTS; k++)
        grid[k] =
            2.0 * unit(mix64((base ^ 3) + GOLDEN64 * (uint64_t)(k + 1))) - 1.0;
    for (size_t x = 0; x < npix; x++) {
        uint64_t h = mix64(base + GOLDEN64 * (x + 1));
        uint32_t sel = (uint32_t)(h >> 54); /* 0..1023 */
        uint32_t v = (uint32_t)h;
        if (sel < 51) {
            pixels[x] = (uint16_t)(v % 128);
        } else if (sel < 82) {
            pixels[x] = (uint16_t)(16384 + v % 3617);
        } else {
            double gx = (double)(x % (size_t)side) * GRID_CELLS / side;
            double gy = (double)(x / (size_t)side) * GRID_CELLS / side;
            int ix = (int)gx, iy = (int)gy;
            double fx = gx - ix, fy = gy - iy;
            const double *g = grid + iy * GRID_POINTS + ix;
            double field =
                (1 - fy) * ((1 - fx) * g[0] + fx * g[1]) +
                fy * ((1 - fx) * g[GRID_POINTS] + fx * g[GRID_POINTS + 1]);
            double val = level + amp * field +
                         noise * (2.0 * (double)v / 4294967296.0 - 1.0);
            if (val < b->lo)
                val = b->lo;
            if (val > b->hi - 1)
                val = b->hi - 1;
            pixels[x] = (uint16_t)val;
        }
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
