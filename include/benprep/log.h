/*
 * log.h - rank-prefixed, level-gated messages on stderr.
 *
 * Every line is "ben-prep[RANK]: LEVEL: text". The level is checked before
 * the message is formatted, so a disabled debug line costs one comparison.
 * The logger is process-wide state: it is set up once by the program entry
 * point (bp_log_setup) and only read afterwards.
 */
#ifndef BENPREP_LOG_H
#define BENPREP_LOG_H

#include <stdarg.h>

enum bp_log_level {
    BP_LOG_ERROR = 0,
    BP_LOG_WARN = 1,
    BP_LOG_INFO = 2,
    BP_LOG_DEBUG = 3
};

/* printf-style format checking for functions of the project. */
#define BP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

extern int bp_log_threshold;

/* Set the rank shown in the prefix and the most verbose level printed. */
void bp_log_setup(int rank, int threshold);

/* Format and print one line; use BP_LOG, which checks the level first. */
void bp_log_emit(int level, const char *fmt, ...) BP_PRINTF(2, 3);

#define BP_LOG(level, ...)                                                    \
    do {                                                                      \
        if ((level) <= bp_log_threshold)                                      \
            bp_log_emit((level), __VA_ARGS__);                                \
    } while (0)

#define BP_ERROR(...) BP_LOG(BP_LOG_ERROR, __VA_ARGS__)
#define BP_WARN(...) BP_LOG(BP_LOG_WARN, __VA_ARGS__)
#define BP_INFO(...) BP_LOG(BP_LOG_INFO, __VA_ARGS__)
#define BP_DEBUG(...) BP_LOG(BP_LOG_DEBUG, __VA_ARGS__)

#endif
