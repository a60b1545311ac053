/*
 * sweep_guard: what keeps a running sweep's output whole. One sweep writes an output at a time (a
 * lock file OUT.lock, held with flock, so a crashed sweep's lock frees itself), and SIGINT, SIGTERM
 * or SIGHUP stop the sweep cleanly: the parent stops its children, keeps the points done so far in
 * OUT (resume with the same command), removes its temporary files and ends by that signal (exit
 * status 130, 143 or 129 in a shell).
 */
#ifndef NVL_SWEEP_GUARD_H
#define NVL_SWEEP_GUARD_H

#include <stddef.h>
#include <sys/types.h>

/* Takes OUT's lock. Returns its descriptor, -2 when OUT is not a regular file (nothing to lock;
 * a device or descriptor is written through), or -1 after printing why (another sweep holds it,
 * or it cannot be created). */
int nvl_sweep_lock(const char *out, char *lock_path, size_t len);
void nvl_sweep_unlock(int fd, const char *lock_path);

/* From now on the stop signals only set a flag and stop the children registered below. */
void nvl_sweep_catch_stop(void);
/* The stop signal caught, or 0. */
int nvl_sweep_stopped(void);
/* The child's signal handling: the default (call in a forked point). */
void nvl_sweep_child_signals(void);
/* Registers (pid > 0) or forgets (pid = 0) the child in slot k (k < NVL_SWEEP_MAX_CHILDREN). */
#define NVL_SWEEP_MAX_CHILDREN 256
void nvl_sweep_track_child(size_t k, pid_t pid);
/* Ends the process by the caught signal, as if it had not been caught. */
void nvl_sweep_die_by(int sig);

#endif
