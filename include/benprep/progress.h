/*
 * progress.h - what rank 0 tells the user while a run goes on and when it
 * ends: a progress line every --progress seconds (patches done of all,
 * rate, MB/s written, elapsed, time left), and the closing report (done,
 * kept, per split, summary with rank 0's CPU share) or how to resume an
 * interrupted run.
 */
#ifndef BENPREP_PROGRESS_H
#define BENPREP_PROGRESS_H

#include <stdint.h>
#include <time.h>

#include "benprep/inputs.h"
#include "benprep/tally.h"

struct bp_progress {
    uint32_t interval; /* seconds; 0: no progress lines */
    double t0;         /* bp_now() at the start of the run */
    double cpu0;       /* rank 0's CPU time then */
    time_t started;    /* the date then */
    double next;       /* when the next line is due */
    uint64_t total;    /* rows of the plan */
};

/* The run starts now; a line every interval seconds. */
void bp_progress_start(struct bp_progress *p, uint32_t interval);

/* When the next line is due (bp_now() clock), 0 when none ever is. */
double bp_progress_due(const struct bp_progress *p);

/* A progress line, when one is due. rows_in_flight counts the rows of a
 * chunk rank 0 is converting itself. */
void bp_progress_tick(struct bp_progress *p, const struct bp_tally *t,
                      uint64_t rows_in_flight);

/* Seconds since the start. */
double bp_progress_elapsed(const struct bp_progress *p);

/* The report of a finished run that took seconds, its manifest in out_dir:
 * converted, kept, each split, and the summary line. */
void bp_progress_done(const struct bp_progress *p, const struct bp_tally *t,
                      const struct bp_run_inputs *in, const char *out_dir,
                      double seconds);

/* The message of a run stopped by a signal: how far it got and how to
 * resume it. */
void bp_progress_interrupted(const struct bp_tally *t, const char *out_dir);

#endif
