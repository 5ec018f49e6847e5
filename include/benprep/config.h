/*
 * config.h - what a ben-prep run is asked to do, and the command line that
 * says it.
 */
#ifndef BENPREP_CONFIG_H
#define BENPREP_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "benprep/archive.h"
#include "benprep/shard.h"

struct bp_config {
    const char *root_s1;  /* -r1: folder of BigEarthNet-S1 patch folders, or
                             its tar or gzip archive */
    const char *root_s2;  /* -r2: the same for BigEarthNet-S2 */
    enum bp_root_kind kind_s1, kind_s2; /* what they are (a missing root:
                                           a folder) */
    const char *index_dir; /* --index-dir: where archive indexes go */
    const char *out_dir;  /* -o: output folder */
    const char **splits;  /* -n: split CSV paths (owned array, borrowed strings) */
    size_t nsplits;
    const char **excludes; /* --exclude: lists of S2 names to leave out */
    size_t nexcludes;
    const char *library;  /* -l: only "tensorflow" */
    uint32_t records_per_shard;
    uint64_t max_failures; /* bad patches skipped before the run fails */
    int update_json;      /* add 19-class labels to the S1 JSON files */
    int resume;           /* continue the run recorded in OUT */
    int force;            /* replace an earlier run's output in OUT */
    uint32_t progress_seconds; /* 0: no progress lines */
    uint32_t stall_limit_seconds; /* a worker silent this long while it
                                     converts ends the run; 0: never */
    enum bp_compression compression; /* --compression */
    int compression_level;           /* 0-9, TensorFlow's default 6 */
    int index;                       /* --index: write NAME.idx files */
    int gdal_only;        /* --decoder gdal: every band through GDAL */
    int dry_run;
    int verbosity;        /* 0 default; -v adds, -q subtracts */
    int argc;             /* the command line, for the manifest */
    char **argv;
};

enum bp_cli_result {
    BP_CLI_RUN = 0,  /* *cfg is ready */
    BP_CLI_EXIT = 1, /* --help or --version was printed: exit 0 */
    BP_CLI_USAGE = 2 /* a usage error was printed: exit 2 */
};

/* Parse argv into *cfg. Messages go to out (help, version) and err (usage
 * errors) when they are not NULL, so only one rank needs to print. Never
 * exits. On BP_CLI_RUN, release cfg with bp_config_free(). */
enum bp_cli_result bp_cli_parse(int argc, char **argv, struct bp_config *cfg,
                                FILE *out, FILE *err);

void bp_config_free(struct bp_config *cfg);

/* The program version, "MAJOR.MINOR.PATCH". */
const char *bp_version(void);

#endif
