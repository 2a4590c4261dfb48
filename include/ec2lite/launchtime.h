/* The launch's step trace: where the time of a run-instances or start-instances goes.
 *
 * With EC2_LITE_TIMING set in the environment ("1": standard error; anything else: a file the
 * trace is appended to), each step of a launch writes one line when it ends:
 *
 *   timing <pid> <seconds since the process began> <seconds the step took> <step> [<id>]
 *
 * with monotonic time, so scripts/bench-boot.sh and scripts/bench-launch.sh can say which step
 * costs what. Without it a step costs one getenv. This is a debugging trace, the one thing below
 * the command layer that writes to standard error, and only when asked. */
#ifndef EC2LITE_LAUNCHTIME_H
#define EC2LITE_LAUNCHTIME_H

/* Notes that step (a static string) ended now, for instance id (may be NULL or empty). */
void launchtime_step(const char *step, const char *id);

#endif
