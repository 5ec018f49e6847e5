/*
 * usage.h - internal: the command-line conventions every program of the
 * project shares (ben-prep, ben-prep verify, ben-synth): the option list of
 * --help, printed from a table, and the usage error.
 *
 * --help goes to stdout and exits 0. A usage error is two lines on stderr,
 *
 *   PROGRAM: what is wrong, quoting the bad argument
 *   Try 'PROGRAM --help' for more information.
 *
 * and exit status 2 (BP_USAGE_EXIT). The functions only print: the caller
 * decides what to return, so a parser never exits.
 */
#ifndef BENPREP_COMMON_USAGE_H
#define BENPREP_COMMON_USAGE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "benprep/log.h"

/* The exit status of a usage error. */
#define BP_USAGE_EXIT 2

/* One option in --help. */
struct bp_usage_option {
    const char *short_name; /* "-o", or NULL */
    const char *long_name;  /* "--out" */
    const char *metavar;    /* "DIR", or NULL for a flag */
    const char *help;       /* one paragraph; the printer wraps it */
};

/* Print one option: "  -o, --out DIR" (a long-only option indented as if
 * it had a short name), then its help from column 30 wrapped at 79
 * columns, on a line of its own when the names reach that column. */
void bp_usage_print_option(FILE *out, const char *short_name,
                           const char *long_name, const char *metavar,
                           const char *help);

/* Print n options of a table in order. */
void bp_usage_print_options(FILE *out, const struct bp_usage_option *opts,
                            size_t n);

/* Print a usage error of program to err (nothing when err is NULL).
 * Returns BP_USAGE_EXIT. */
int bp_usage_error(FILE *err, const char *program, const char *fmt, ...)
    BP_PRINTF(3, 4);
int bp_usage_verror(FILE *err, const char *program, const char *fmt,
                    va_list ap) BP_PRINTF(3, 0);

#endif
