/*
 * limits: the wall-clock and resident-memory caps of a run (--time-limit, --memory-limit).
 *
 * A timer signal checks both every 50 ms; past a limit it prints a message, removes unfinished
 * outputs (base/outfile.h) and exits with NVL_EXIT_TIME or NVL_EXIT_MEMORY. Child processes
 * (sweeps, forked simulations) inherit the memory watch. The limits are process-wide state by
 * nature: a signal handler can be given no context.
 */
#ifndef NVL_LIMITS_H
#define NVL_LIMITS_H

/* 0 = no limit. The memory limit is also the budget of programs (models/program.h), which a run
 * without one keeps at its default. */
void nvl_limits_set(double wall_s, double rss_bytes);

#endif
