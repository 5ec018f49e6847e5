/*
 * example.h - tf.train.Example encoding.
 *
 * An Example is described as an array of features, each a key and a typed
 * list of values pointing at the caller's data (nothing is copied). The array
 * must be in the order the map entries are to be written: sorted bytewise by
 * key for deterministic output. Encoding is two calls: bp_example_size() to
 * measure (it caches per-feature lengths in the array, so the array must not
 * change in between), then bp_example_encode() into a buffer of that size.
 */
#ifndef BENPREP_EXAMPLE_H
#define BENPREP_EXAMPLE_H

#include <stddef.h>
#include <stdint.h>

enum bp_value_kind {
    BP_VALUES_U16,   /* int64_list from uint16_t values */
    BP_VALUES_U8,    /* int64_list from uint8_t values (multi-hot) */
    BP_VALUES_I64,   /* int64_list from int64_t values */
    BP_VALUES_F32,   /* float_list, bit-exact from float values */
    BP_VALUES_BYTES  /* bytes_list from struct bp_bytes values */
};

struct bp_bytes {
    const void *data;
    size_t len;
};

struct bp_feature {
    const char *key;
    enum bp_value_kind kind;
    size_t count;
    const void *values; /* an array of count elements of the kind's type */
    size_t list_len;    /* filled by bp_example_size(): the list's payload */
};

/* The encoded size of one Feature message (for tests and sizing). */
size_t bp_feature_size(struct bp_feature *f);

/* Write one Feature message at out; returns the end. bp_feature_size first. */
uint8_t *bp_feature_encode(const struct bp_feature *f, uint8_t *out);

/* The encoded size of the Example holding features f[0..n-1]. */
size_t bp_example_size(struct bp_feature *f, size_t n);

/* Write the Example at out; returns bytes written (= bp_example_size). */
size_t bp_example_encode(const struct bp_feature *f, size_t n, uint8_t *out);

#endif
