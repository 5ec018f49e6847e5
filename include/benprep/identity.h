/*
 * identity.h - what makes two runs the same run, and the options a manifest
 * records.
 *
 * --resume continues an earlier run only when its identity equals this
 * command line's: the tool version, the options that shape the output
 * (library, records per shard, --update_json, compression and its level,
 * --index), the archive roots, for a root that is a tar or gzip archive
 * its kind, size and the CRC-32C of its first and last MiB (so a root that
 * became an archive, or another archive, is other inputs), and the split
 * files' and exclusion lists' names, rows, sizes and CRC-32C. Options that
 * do not shape the output (--max-failures, --stall-limit, --index-dir) are
 * recorded in the manifest but may differ on a resume. The journal's first line holds the identity; a
 * finished output's identity is read back from its manifest. One table of
 * fields serves all three.
 */
#ifndef BENPREP_IDENTITY_H
#define BENPREP_IDENTITY_H

#include <stddef.h>

#include <json-c/json.h>

#include "benprep/config.h"
#include "benprep/plan.h"

/* The identity of the run cfg and in describe. A new object; the caller
 * puts it. */
json_object *bp_run_identity(const struct bp_config *cfg,
                             const struct bp_inputs *in);

/* The identity a manifest records (its tool, options and inputs). NULL when
 * the manifest lacks them. A new object; the caller puts it. */
json_object *bp_manifest_identity(json_object *manifest);

/* Whether a run of identity want may continue one of identity have: every
 * value equal, but for the archive roots, which may be spelt otherwise
 * ("DIR/", a symlink) when their real paths are the same folder. */
int bp_identity_same(json_object *want, json_object *have);

/* Describe how two identities differ, for a refusal message. */
void bp_identity_diff(json_object *want, json_object *have, char *buf,
                      size_t size);

/* The manifest's "options" object of cfg. A new object. */
json_object *bp_manifest_options(const struct bp_config *cfg);

/* Add the manifest's "inputs" fields of cfg (the archive roots, and for
 * each root that is a tar or gzip archive its kind and fingerprint) to
 * inputs; the caller adds the split and exclusion files. */
void bp_manifest_roots(json_object *inputs, const struct bp_config *cfg,
                       const struct bp_inputs *in);

#endif
