/*
 * status.h - the one table of ben-prep status codes.
 *
 * Every function that can fail returns an enum bp_status. The code says what
 * kind of thing went wrong; the details (file, CSV row, reason) are logged at
 * the place where they are known, so callers only pass the code on.
 */
#ifndef BENPREP_STATUS_H
#define BENPREP_STATUS_H

/* X(name, exit status of the program, message). The order is the order of
 * precedence when ranks agree on one outcome: the highest value wins. */
#define BP_STATUS_MAP(X)                                                      \
    X(OK, 0, "success")                                                       \
    X(SKIPPED, 3, "finished, but bad patches were skipped")                   \
    X(INTERRUPTED, 4, "interrupted by a signal; resumable")                   \
    X(ABORTED, 1, "stopped because another rank failed")                      \
    X(MPI, 1, "MPI communication failed")                                     \
    X(NOMEM, 1, "out of memory")                                              \
    X(OUTPUT, 1, "cannot write output")                                       \
    X(INPUT, 1, "bad input patch")                                            \
    X(CSV, 1, "bad split file or exclusion list")                                         \
    X(INVALID, 1, "the output does not verify")                               \
    X(USAGE, 2, "usage error")

enum bp_status {
#define BP_STATUS_ENUM(name, exit_code, msg) BP_##name,
    BP_STATUS_MAP(BP_STATUS_ENUM)
#undef BP_STATUS_ENUM
    BP_STATUS_COUNT
};

/* A short English description of a status ("bad input patch"). Never NULL. */
const char *bp_strstatus(int status);

/* The process exit status that belongs to a status code. */
int bp_status_exit_code(int status);

#endif
