/*
 * jsonutil.h - internal: how ben-prep writes and reads its JSON values
 * (journal, manifest, index files).
 */
#ifndef BENPREP_COMMON_JSONUTIL_H
#define BENPREP_COMMON_JSONUTIL_H

#include <stdint.h>

#include <json-c/json.h>

/* A CRC or other 32-bit value as 8 lowercase hex digits: a new string
 * object. */
json_object *bp_json_hex32(uint32_t v);

/* Parse a bp_json_hex32() string. Returns 0, or -1 when o is not exactly 8
 * hex digits. */
int bp_json_get_hex32(json_object *o, uint32_t *v);

#endif
