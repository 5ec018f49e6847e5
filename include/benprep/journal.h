/*
 * journal.h - the record of finished shards that makes a run resumable.
 *
 * OUT/ben-prep.journal is a text file of JSON lines, written by rank 0 only.
 * The first line identifies the run (tool version, options that shape the
 * output, archive roots, the split files' and exclusion lists' sizes and
 * CRC-32C); each
 * further line records one finished shard: its plan index, name, records,
 * bytes, CRC-32C and the patches it skipped. Every line is fsynced before
 * the shard is renamed to its final name, so a shard under a final name is
 * always in the journal. A torn last line (a kill during the write) is
 * ignored when the journal is read. The journal is removed once the
 * manifest is written.
 */
#ifndef BENPREP_JOURNAL_H
#define BENPREP_JOURNAL_H

#include <json-c/json.h>

#include "benprep/config.h"
#include "benprep/csv.h"
#include "benprep/plan.h"

#define BP_JOURNAL_NAME "ben-prep.journal"
/* Rank 0 holds a POSIX lock on this file in the output folder while a run
 * writes there. */
#define BP_LOCK_NAME ".ben-prep.lock"

/* The identity of a run: what must be equal for --resume to continue it.
 * A new json-c object; the caller puts it. */
json_object *bp_run_identity(const struct bp_config *cfg,
                             const struct bp_inputs *in);

/* The identity a manifest records (its tool, options and inputs), for
 * comparing a finished output with a new command line. NULL if the
 * manifest lacks them. A new object; the caller puts it. */
json_object *bp_manifest_identity(json_object *manifest);

/* Whether a run of identity want may continue one of identity have: every
 * value equal, but for the archive roots, which may be spelt otherwise
 * ("DIR/", a symlink) when their real paths are the same folder. */
int bp_identity_same(json_object *want, json_object *have);

/* Describe how two identities differ, for a refusal message. */
void bp_identity_diff(json_object *want, json_object *have, char *buf,
                      size_t size);

struct bp_journal;

/* Write dir/ben-prep.journal anew (temporary name + rename) with the
 * identity line and the given entries (a json array, may be NULL), and
 * keep it open for appending. Returns BP_OK or BP_OUTPUT (logged). */
int bp_journal_start(const char *dir, json_object *identity,
                     json_object *entries, struct bp_journal **out);

/* Append one entry line and fsync. Returns BP_OK or BP_OUTPUT (logged). */
int bp_journal_append(struct bp_journal *j, json_object *entry);

/* Close; with remove set, delete the file too. Accepts NULL. */
void bp_journal_close(struct bp_journal *j, int remove);

/* --force: delete what an earlier run wrote into dir: its manifest, its
 * journal, and the shard and index files (<split>-NNNNN-of-NNNNN.tfrecord
 * and its .zlib, .gz, .idx forms) of the splits they name. Nothing else is
 * deleted, a file named like a shard of another split (the user's own
 * data) included; such files are mentioned in a warning. Returns BP_OK or
 * BP_OUTPUT (logged). */
int bp_earlier_remove(const char *dir);

/* Read dir/ben-prep.journal: *identity (the first line) and *entries (an
 * array of the entry lines that parse). Returns BP_OK, BP_INPUT when there
 * is no journal (nothing logged), or BP_OUTPUT when it cannot be read or
 * its first line is not an identity (logged). */
int bp_journal_load(const char *dir, json_object **identity,
                    json_object **entries);

#endif
