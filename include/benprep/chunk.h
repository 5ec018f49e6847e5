/*
 * chunk.h - one chunk of split rows converted into one closed shard.
 *
 * The converter is handed a plain job (struct bp_chunk_job: the shard's
 * name, the rows' S2 and S1 names and CSV lines) and fills a struct
 * bp_chunk_outcome. It knows nothing of MPI or of who planned the job: the
 * caller's poll function, called before every patch, may stop it. For each
 * row it reads the pair through its reader, encodes the record into the
 * shard and adds the pair to the chunk's statistics; a bad patch is skipped
 * (noted in the outcome) or ends the chunk, as --max-failures says.
 *
 * The shard is left closed under its temporary name: once rank 0 has
 * journaled it, bp_converter_publish() gives it its final name (or removes
 * it). A converter belongs to one rank and is reused for every chunk.
 *
 * Where a patch's file bytes come from is the reader's business alone
 * (patch.h): the converter is given one, whose roots are folders or tar
 * and gzip archives read through their index (convert/source.h), and
 * nothing here changes.
 */
#ifndef BENPREP_CHUNK_H
#define BENPREP_CHUNK_H

#include <stdint.h>

#include "benprep/config.h"
#include "benprep/outcome.h"
#include "benprep/patch.h"
#include "benprep/shard.h"

/* One row of a job. The strings belong to the job's owner. */
struct bp_job_row {
    uint32_t line;  /* CSV line, for messages */
    const char *s2; /* S2 patch name */
    const char *s1; /* S1 patch name; "" for an S2-only record */
};

struct bp_chunk_job {
    int32_t chunk;   /* plan index, reported back in the outcome */
    const char *shard; /* the shard's file name in the output folder */
    const char *csv;   /* the split file the rows come from, for messages */
    uint32_t count;
    const struct bp_job_row *rows;
    int check; /* the journal lists this shard: keep the file when it has
                  the figures in want, else convert it again */
    struct bp_shard_info want;
};

/* Called before each patch with the rows done so far: returns BP_OK to go
 * on, or the status to end the chunk with (the shard is then removed). */
typedef int (*bp_chunk_poll)(void *ctx, uint32_t rows_done);

struct bp_converter;

/* A converter writing into cfg->out_dir as cfg says (compression, index,
 * --update_json, --max-failures, decoder), reading pairs through reader,
 * which it takes over (also on failure). NULL when out of memory
 * (logged). cfg must outlive the converter. */
struct bp_converter *bp_converter_new(const struct bp_config *cfg,
                                      struct bp_reader *reader);

/* Convert job into a closed, unpublished shard; the outcome goes to *out
 * (reset first). Returns out->status: BP_OK (closed, or kept when
 * out->kept), the status poll() stopped it with, BP_INTERRUPTED on a stop
 * signal, or the failure (logged with the CSV line and file). A chunk whose
 * every patch was skipped leaves no file. Publish or discard the previous
 * chunk's shard first. */
int bp_converter_run(struct bp_converter *cv, const struct bp_chunk_job *job,
                     bp_chunk_poll poll, void *ctx,
                     struct bp_chunk_outcome *out);

/* The last chunk's closed shard: with journaled set give it its final name,
 * else remove it. Nothing to do when no shard waits. Returns BP_OK or
 * BP_OUTPUT (logged). */
int bp_converter_publish(struct bp_converter *cv, int journaled);

/* Destroy; a shard still waiting is removed. Accepts NULL. */
void bp_converter_free(struct bp_converter *cv);

#endif
