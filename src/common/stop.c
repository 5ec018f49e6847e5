/* stop.c - the stop flag (see stop.h). */
#include "common/stop.h"

volatile sig_atomic_t bp_stop_signal;

void bp_stop_on_signal(int sig)
{
    bp_stop_signal = sig;
}

void bp_stop_reset(void)
{
    bp_stop_signal = 0;
}
