/*
 * update_json.h - internal to the converter: --update_json's rewrite of an
 * S1 JSON file (see bp_reader_update_json in benprep/patch.h).
 */
#ifndef BENPREP_CONVERT_UPDATE_JSON_H
#define BENPREP_CONVERT_UPDATE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "benprep/labels.h"
#include "benprep/patch.h"

/* Rewrite the JSON file at path, whose bytes are json[0..len), with
 * "BigEarthNet_19_labels" (the names of multi_hot's classes) added at the
 * end of its object in json.dumps format: a temporary file beside it with
 * its mode, fsynced and renamed over it (over a symlink's target). Returns
 * BP_OK, BP_INPUT (the object does not end with '}') or BP_OUTPUT, with
 * *why filled in. */
int bp_json_add_19(const char *path, const unsigned char *json, size_t len,
                   const uint8_t multi_hot[BP_LABELS19],
                   struct bp_failure *why);

#endif
