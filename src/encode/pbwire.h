/*
 * pbwire.h - internal: the protobuf wire primitives the Example encoder needs.
 *
 * Only length-delimited fields (wire type 2) and varints are used. Writers
 * take a cursor, write at it and return the advanced cursor; the caller has
 * sized the buffer beforehand with the matching *_size functions.
 */
#ifndef BENPREP_PBWIRE_H
#define BENPREP_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

/* Tag byte of a length-delimited field number 1..15. */
#define BP_PB_TAG_LEN(field) ((uint8_t)(((field) << 3) | 2))

static inline size_t bp_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *bp_pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Size of a length-delimited field (one tag byte) whose payload is n bytes. */
static inline size_t bp_pb_field_size(size_t n)
{
    return 1 + bp_pb_varint_size(n) + n;
}

/* Tag and length of a length-delimited field; the payload comes next. */
static inline uint8_t *bp_pb_put_field_head(uint8_t *p, int field, size_t n)
{
    *p++ = BP_PB_TAG_LEN(field);
    return bp_pb_put_varint(p, n);
}

#endif
