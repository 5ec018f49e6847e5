/* tf.train.Example encoding over the protobuf wire primitives. */
#include "benprep/example.h"

#include <string.h>

#include "encode/pbwire.h"

/*
 * Example  { Features features = 1; }
 * Features { map<string, Feature> feature = 1; }   entry: key = 1, value = 2
 * Feature  { oneof { BytesList = 1; FloatList = 2; Int64List = 3; } }
 * *List    { repeated value = 1; }   packed for float and int64
 */
enum { FEATURE_BYTES = 1, FEATURE_FLOAT = 2, FEATURE_INT64 = 3 };

#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif

/* Varint of a uint16: 1 byte below 128, 2 below 16384, else 3. */
static size_t u16_packed_len(const uint16_t *v, size_t n)
{
    size_t len = n, i = 0;
#ifdef HAVE_SSE2
    /* Eight values at a time: a saturating subtraction is non-zero exactly
     * when the value is above the bound; the compare yields -1 per lane. */
    const __m128i b1 = _mm_set1_epi16(0x7f), b2 = _mm_set1_epi16(0x3fff);
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    size_t blocks = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
        __m128i ge1 = _mm_cmpeq_epi16(_mm_subs_epu16(x, b1), zero);
        __m128i ge2 = _mm_cmpeq_epi16(_mm_subs_epu16(x, b2), zero);
        /* Lanes hold -1 for "not above": count those, subtract later. */
        acc = _mm_add_epi16(acc, _mm_add_epi16(ge1, ge2));
        if (++blocks == 8000) { /* keep the 16-bit lanes from overflowing */
            uint16_t lanes[8];
            _mm_storeu_si128((__m128i *)(void *)lanes, acc);
            for (int k = 0; k < 8; k++)
                len += 2 * 8000 - (uint16_t)-(int16_t)lanes[k];
            acc = zero;
            blocks = 0;
        }
    }
    uint16_t lanes[8];
    _mm_storeu_si128((__m128i *)(void *)lanes, acc);
    for (int k = 0; k < 8; k++)
        len += 2 * blocks - (uint16_t)-(int16_t)lanes[k];
#endif
    for (; i < n; i++)
        len += (size_t)(v[i] >= 0x80) + (size_t)(v[i] >= 0x4000);
    return len;
}

/* One uint16 varint without a branch: all three possible bytes are built
 * at once, the continuation bits set by length, and four bytes stored; the
 * unused ones are overwritten by the values that follow (so at least three
 * more values must follow). Little-endian hosts only. */
static inline uint8_t *put_u16_varint_fast(uint8_t *p, uint32_t x)
{
    uint32_t len = 1 + (x >= 0x80) + (x >= 0x4000);
    uint32_t w = (x & 0x7f) | ((x << 1) & 0x7f00) | ((x << 2) & 0x30000);
    w |= ((1u << (8 * (len - 1))) - 1) & 0x8080;
    memcpy(p, &w, 4);
    return p + len;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <tmmintrin.h>
#define HAVE_SSSE3_PATH 1

/* For a block of eight values below 16384, each first written as two bytes:
 * per mask of the lanes below 128 (which take one byte), the pshufb control
 * that drops their second byte, and the resulting length. */
static uint8_t squeeze[256][16];
static uint8_t squeeze_len[256];
/* For a block of four values in 32-bit lanes, each built as three bytes:
 * per (mask of lanes >= 128) | (mask of lanes >= 16384) << 4, the control
 * that keeps 1, 2 or 3 bytes of each lane, and the resulting length. */
static uint8_t squeeze4[256][16];
static uint8_t squeeze4_len[256];
static int use_ssse3 = -1;

__attribute__((constructor)) static void example_init_squeeze(void)
{
    for (int mask = 0; mask < 256; mask++) {
        int out = 0;
        for (int k = 0; k < 8; k++) {
            squeeze[mask][out++] = (uint8_t)(2 * k);
            if (!(mask >> k & 1))
                squeeze[mask][out++] = (uint8_t)(2 * k + 1);
        }
        squeeze_len[mask] = (uint8_t)out;
        while (out < 16)
            squeeze[mask][out++] = 0x80; /* zero */
    }
    for (int mask = 0; mask < 256; mask++) {
        int out = 0;
        for (int k = 0; k < 4; k++) {
            int len = 1 + (mask >> k & 1) + (mask >> (4 + k) & 1);
            for (int b = 0; b < len; b++)
                squeeze4[mask][out++] = (uint8_t)(4 * k + b);
        }
        squeeze4_len[mask] = (uint8_t)out;
        while (out < 16)
            squeeze4[mask][out++] = 0x80;
    }
}

/* Four values of any width (1 to 3 bytes) at once. The 16-byte store may
 * run up to 12 bytes past them. */
__attribute__((target("ssse3"))) static inline uint8_t *
put4_ssse3(uint8_t *p, __m128i x16)
{
    const __m128i x = _mm_unpacklo_epi16(x16, _mm_setzero_si128());
    __m128i ge1 = _mm_cmpgt_epi32(x, _mm_set1_epi32(0x7f));
    __m128i ge2 = _mm_cmpgt_epi32(x, _mm_set1_epi32(0x3fff));
    int mask = _mm_movemask_ps(_mm_castsi128_ps(ge1)) |
               _mm_movemask_ps(_mm_castsi128_ps(ge2)) << 4;
    __m128i w = _mm_or_si128(
        _mm_or_si128(_mm_and_si128(x, _mm_set1_epi32(0x7f)),
                     _mm_and_si128(_mm_slli_epi32(x, 1), _mm_set1_epi32(0x7f00))),
        _mm_and_si128(_mm_slli_epi32(x, 2), _mm_set1_epi32(0x30000)));
    w = _mm_or_si128(w, _mm_and_si128(ge1, _mm_set1_epi32(0x80)));
    w = _mm_or_si128(w, _mm_and_si128(ge2, _mm_set1_epi32(0x8000)));
    w = _mm_shuffle_epi8(
        w, _mm_loadu_si128((const __m128i *)(const void *)squeeze4[mask]));
    _mm_storeu_si128((__m128i *)(void *)p, w);
    return p + squeeze4_len[mask];
}

/* Blocks of eight values below 16384 (one or two bytes each) in a few
 * instructions, other blocks as two blocks of four of any width. Each
 * 16-byte store may run up to 12 bytes past the values written, which the
 * following (at least eight, of at least one byte each, plus the slack the
 * loop bound keeps) values overwrite. */
__attribute__((target("ssse3"))) static uint8_t *
put_u16_varints_ssse3(uint8_t *p, const uint16_t *v, size_t n, size_t *done)
{
    const __m128i zero = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 20 <= n; i += 8) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
        __m128i small = _mm_cmpeq_epi16(_mm_subs_epu16(x, _mm_set1_epi16(0x7f)), zero);
        int below3 = _mm_movemask_epi8(
            _mm_cmpeq_epi16(_mm_subs_epu16(x, _mm_set1_epi16(0x3fff)), zero));
        if (below3 != 0xffff) {
            p = put4_ssse3(p, x);
            p = put4_ssse3(p, _mm_srli_si128(x, 8));
            continue;
        }
        int mask = _mm_movemask_epi8(_mm_packs_epi16(small, zero)) & 0xff;
        __m128i cont = _mm_andnot_si128(small, _mm_set1_epi16(0x80));
        __m128i w = _mm_or_si128(
            _mm_or_si128(_mm_and_si128(x, _mm_set1_epi16(0x7f)), cont),
            _mm_and_si128(_mm_slli_epi16(x, 1), _mm_set1_epi16(0x7f00)));
        w = _mm_shuffle_epi8(
            w, _mm_loadu_si128((const __m128i *)(const void *)squeeze[mask]));
        _mm_storeu_si128((__m128i *)(void *)p, w);
        p += squeeze_len[mask];
    }
    *done = i;
    return p;
}
#endif

/* Packed varints of uint16 values. With SSSE3, blocks of eight values below
 * 16384 (nearly all reflectances) go at once; without it, SSE2 does blocks
 * that all take two bytes. Other values go branch-free one by one, the last
 * three byte by byte, so nothing is stored past the packed data. */
static uint8_t *put_u16_varints(uint8_t *p, const uint16_t *v, size_t n)
{
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#ifdef HAVE_SSSE3_PATH
    if (use_ssse3 < 0) {
        __builtin_cpu_init();
        use_ssse3 = __builtin_cpu_supports("ssse3");
    }
    if (use_ssse3)
        p = put_u16_varints_ssse3(p, v, n, &i);
#endif
    while (i + 8 + 3 <= n) {
#ifdef HAVE_SSE2
        const __m128i zero = _mm_setzero_si128();
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
        int small = _mm_movemask_epi8(
            _mm_cmpeq_epi16(_mm_subs_epu16(x, _mm_set1_epi16(0x7f)), zero));
        int large = _mm_movemask_epi8(
            _mm_cmpeq_epi16(_mm_subs_epu16(x, _mm_set1_epi16(0x3fff)), zero));
        if (small == 0 && large == 0xffff) {
            /* low byte: 7 low bits + continuation; high byte: bits 7-13 */
            __m128i w = _mm_or_si128(
                _mm_or_si128(_mm_and_si128(x, _mm_set1_epi16(0x7f)),
                             _mm_set1_epi16(0x80)),
                _mm_and_si128(_mm_slli_epi16(x, 1), _mm_set1_epi16(0x7f00)));
            _mm_storeu_si128((__m128i *)(void *)p, w);
            p += 16;
            i += 8;
            continue;
        }
#endif
        for (size_t end = i + 8; i < end; i++)
            p = put_u16_varint_fast(p, v[i]);
    }
    for (; i + 3 < n; i++)
        p = put_u16_varint_fast(p, v[i]);
#endif
    for (; i < n; i++)
        p = bp_pb_put_varint(p, v[i]);
    return p;
}

static size_t list_payload_len(const struct bp_feature *f)
{
    size_t len = 0;
    switch (f->kind) {
    case BP_VALUES_U16:
        return u16_packed_len(f->values, f->count);
    case BP_VALUES_U8: {
        const uint8_t *v = f->values;
        for (size_t i = 0; i < f->count; i++)
            len += bp_pb_varint_size(v[i]);
        return len;
    }
    case BP_VALUES_I64: {
        const int64_t *v = f->values;
        for (size_t i = 0; i < f->count; i++)
            len += bp_pb_varint_size((uint64_t)v[i]);
        return len;
    }
    case BP_VALUES_F32:
        return 4 * f->count;
    case BP_VALUES_BYTES: {
        const struct bp_bytes *v = f->values;
        for (size_t i = 0; i < f->count; i++)
            len += bp_pb_field_size(v[i].len);
        return len;
    }
    }
    return 0;
}

/* The payload of the *List message: the packed field, or repeated bytes. */
static size_t list_message_len(const struct bp_feature *f)
{
    if (f->kind == BP_VALUES_BYTES)
        return f->list_len;
    /* An empty packed list is written as no field at all. */
    return f->count ? bp_pb_field_size(f->list_len) : 0;
}

static int feature_field(const struct bp_feature *f)
{
    switch (f->kind) {
    case BP_VALUES_F32:
        return FEATURE_FLOAT;
    case BP_VALUES_BYTES:
        return FEATURE_BYTES;
    default:
        return FEATURE_INT64;
    }
}

size_t bp_feature_size(struct bp_feature *f)
{
    f->list_len = list_payload_len(f);
    return bp_pb_field_size(list_message_len(f));
}

uint8_t *bp_feature_encode(const struct bp_feature *f, uint8_t *p)
{
    p = bp_pb_put_field_head(p, feature_field(f), list_message_len(f));
    if (f->kind == BP_VALUES_BYTES) {
        const struct bp_bytes *v = f->values;
        for (size_t i = 0; i < f->count; i++) {
            p = bp_pb_put_field_head(p, 1, v[i].len);
            memcpy(p, v[i].data, v[i].len);
            p += v[i].len;
        }
        return p;
    }
    if (f->count == 0)
        return p;
    p = bp_pb_put_field_head(p, 1, f->list_len);
    switch (f->kind) {
    case BP_VALUES_U16:
        p = put_u16_varints(p, f->values, f->count);
        break;
    case BP_VALUES_U8: {
        const uint8_t *v = f->values;
        for (size_t i = 0; i < f->count; i++)
            p = bp_pb_put_varint(p, v[i]);
        break;
    }
    case BP_VALUES_I64: {
        const int64_t *v = f->values;
        for (size_t i = 0; i < f->count; i++)
            p = bp_pb_put_varint(p, (uint64_t)v[i]);
        break;
    }
    case BP_VALUES_F32: {
        const float *v = f->values;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        for (size_t i = 0; i < f->count; i++) {
            uint32_t bits;
            memcpy(&bits, &v[i], 4);
            bits = __builtin_bswap32(bits);
            memcpy(p + 4 * i, &bits, 4);
        }
#else
        memcpy(p, v, 4 * f->count);
#endif
        p += 4 * f->count;
        break;
    }
    case BP_VALUES_BYTES:
        break;
    }
    return p;
}

static size_t entry_len(const struct bp_feature *f, size_t feature_size)
{
    return bp_pb_field_size(strlen(f->key)) + bp_pb_field_size(feature_size);
}

size_t bp_example_size(struct bp_feature *f, size_t n)
{
    size_t features_len = 0;
    for (size_t i = 0; i < n; i++)
        features_len += bp_pb_field_size(entry_len(&f[i], bp_feature_size(&f[i])));
    return bp_pb_field_size(features_len);
}

size_t bp_example_encode(const struct bp_feature *f, size_t n, uint8_t *out)
{
    size_t features_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t fs = bp_pb_field_size(list_message_len(&f[i]));
        features_len += bp_pb_field_size(entry_len(&f[i], fs));
    }
    uint8_t *p = bp_pb_put_field_head(out, 1, features_len);
    for (size_t i = 0; i < n; i++) {
        size_t keylen = strlen(f[i].key);
        size_t fs = bp_pb_field_size(list_message_len(&f[i]));
        p = bp_pb_put_field_head(p, 1, entry_len(&f[i], fs));
        p = bp_pb_put_field_head(p, 1, keylen);
        memcpy(p, f[i].key, keylen);
        p += keylen;
        p = bp_pb_put_field_head(p, 2, fs);
        p = bp_feature_encode(&f[i], p);
    }
    return (size_t)(p - out);
}
