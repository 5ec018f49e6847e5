/*
 * progress.c - rank 0's progress lines and closing reports (see
 * benprep/progress.h).
 */
#include "benprep/progress.h"

#include <stdio.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/names.h"
#include "common/clock.h"
#include "common/stop.h"

void bp_progress_start(struct bp_progress *p, uint32_t interval)
{
    memset(p, 0, sizeof *p);
    p->interval = interval;
    p->t0 = bp_now();
    p->cpu0 = bp_cpu_seconds();
    p->started = time(NULL);
    p->next = p->t0 + interval;
}

double bp_progress_due(const struct bp_progress *p)
{
    return p->interval ? p->next : 0;
}

double bp_progress_elapsed(const struct bp_progress *p)
{
    return bp_now() - p->t0;
}

void bp_progress_tick(struct bp_progress *p, const struct bp_tally *t,
                      uint64_t rows_in_flight)
{
    if (p->interval == 0)
        return;
    double now = bp_now();
    if (now < p->next)
        return;
    p->next = now + p->interval;
    double elapsed = now - p->t0;
    uint64_t done = t->done_rows + t->kept_rows + rows_in_flight;
    double rate = elapsed > 0
                      ? (double)(t->done_rows + rows_in_flight) / elapsed
                      : 0;
    char el[32], left[32] = "?";
    bp_hms(elapsed, el, sizeof el);
    if (rate > 0)
        bp_hms((double)(p->total - done) / rate, left, sizeof left);
    BP_INFO("progress: %llu/%llu patches (%.1f%%), %.0f patches/s, %.1f MB/s "
            "written, elapsed %s, left %s",
            (unsigned long long)done, (unsigned long long)p->total,
            p->total ? 100.0 * (double)done / (double)p->total : 100.0, rate,
            elapsed > 0 ? (double)t->done_bytes / 1e6 / elapsed : 0.0, el,
            left);
}

/* One line per split. */
static void report_splits(const struct bp_tally *t,
                          const struct bp_run_inputs *in)
{
    for (size_t s = 0; s < in->nsplits; s++) {
        uint64_t records = 0, bytes = 0;
        size_t shards = 0;
        for (size_t c = 0; c < t->nchunks; c++) {
            if (in->plan.chunks[c].split != s || !t->results[c].records)
                continue;
            records += t->results[c].records;
            bytes += t->results[c].bytes;
            shards++;
        }
        BP_INFO("split %s: %llu records in %zu shard%s, %.1f MB",
                in->splits[s].name, (unsigned long long)records, shards,
                shards == 1 ? "" : "s", (double)bytes / 1e6);
    }
}

/* The summary line: every shard of the output, and rank 0's CPU share. */
static void report_summary(const struct bp_progress *p,
                           const struct bp_tally *t, double seconds)
{
    uint64_t records = 0, bytes = 0;
    size_t shards = 0;
    for (size_t c = 0; c < t->nchunks; c++) {
        records += t->results[c].records;
        bytes += t->results[c].bytes;
        shards += t->results[c].records > 0;
    }
    double cpu = bp_cpu_seconds() - p->cpu0;
    BP_INFO("summary: %llu records, %zu shards, %llu bytes, %.1f s, %.0f "
            "patches/s, %zu skipped; rank 0 used %.2f s of CPU (%.1f%% of "
            "the run)",
            (unsigned long long)records, shards, (unsigned long long)bytes,
            seconds, seconds > 0 ? (double)t->done_rows / seconds : 0.0,
            t->skips.n, cpu, seconds > 0 ? 100.0 * cpu / seconds : 0.0);
}

void bp_progress_done(const struct bp_progress *p, const struct bp_tally *t,
                      const struct bp_run_inputs *in, const char *out_dir,
                      double seconds)
{
    BP_INFO("done: %llu records in %zu shards converted, %.1f MB, %.3f s "
            "(%.0f patches/s, %.1f MB/s)%s; manifest %s/%s",
            (unsigned long long)t->done_records, t->done_chunks,
            (double)t->done_bytes / 1e6, seconds,
            seconds > 0 ? (double)t->done_records / seconds : 0.0,
            seconds > 0 ? (double)t->done_bytes / 1e6 / seconds : 0.0,
            t->kept_chunks ? "; earlier shards kept" : "", out_dir,
            BP_MANIFEST_NAME);
    if (t->kept_chunks)
        BP_INFO("kept %zu shards (%llu records) of the earlier run",
                t->kept_chunks, (unsigned long long)t->kept_records);
    report_splits(t, in);
    report_summary(p, t, seconds);
}

void bp_progress_interrupted(const struct bp_tally *t, const char *out_dir)
{
    char by[64];
    if (bp_stop_signal)
        snprintf(by, sizeof by, "signal %d (%s)", (int)bp_stop_signal,
                 strsignal(bp_stop_signal));
    else
        snprintf(by, sizeof by, "a signal to a worker rank");
    BP_ERROR("interrupted by %s: %zu of %zu shards finished and recorded in "
             "%s/%s; run the same command with --resume to continue",
             by, bp_tally_finished(t), t->nchunks, out_dir, BP_JOURNAL_NAME);
}
