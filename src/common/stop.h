/*
 * stop.h - internal: the stop flag that SIGTERM, SIGINT and SIGUSR1 set.
 *
 * The program (main.c) installs the signal handlers; library code only
 * reads the flag, at points where it can stop cleanly, and every wait loop
 * watches it. Tests and library users that install no handler never see
 * it set.
 */
#ifndef BENPREP_COMMON_STOP_H
#define BENPREP_COMMON_STOP_H

#include <signal.h>

/* The signal that asked for a stop, or 0. Written only by a signal
 * handler (or bp_stop_reset). */
extern volatile sig_atomic_t bp_stop_signal;

/* Async-signal-safe: record sig as the stop request. */
void bp_stop_on_signal(int sig);

/* Forget an earlier request (at the start of a run). */
void bp_stop_reset(void);

#endif
