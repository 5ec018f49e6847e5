/*
 * clock.h - internal: wall and CPU clocks for rates, deadlines and reports.
 */
#ifndef BENPREP_COMMON_CLOCK_H
#define BENPREP_COMMON_CLOCK_H

#include <stddef.h>

/* Seconds on the monotonic clock (for intervals, never for dates). */
double bp_now(void);

/* CPU time (user + system) this process has used, in seconds; 0 if the
 * system cannot tell. */
double bp_cpu_seconds(void);

/* seconds as "H:MM:SS" (rounded, negative as 0) into buf. */
void bp_hms(double seconds, char *buf, size_t size);

#endif
