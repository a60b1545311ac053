/*
 * sweep_guard: see sweep_guard.h.
 */
#include "cli/sweep_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int nvl_sweep_lock(const char *out, char *lock_path, size_t len) {
  struct stat st;
  if (strcmp(out, "-") == 0 || (stat(out, &st) == 0 && !S_ISREG(st.st_mode)))
    return -2; /* standard output, a device or FIFO: written through, nothing to lock */
  if ((size_t)snprintf(lock_path, len, "%s.lock", out) >= len) {
    fprintf(stderr, "nvlsim sweep: output path too long\n");
    return -1;
  }
  for (int attempt = 0; attempt < 8; attempt++) {
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      fprintf(stderr, "nvlsim sweep: cannot create the lock %s: %s\n", lock_path, strerror(errno));
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      close(fd);
      if (err == EWOULDBLOCK)
        fprintf(stderr,
                "nvlsim sweep: another sweep is writing %s (it holds %s); wait for it to end, or "
                "choose another output\n",
                out, lock_path);
      else
        fprintf(stderr, "nvlsim sweep: cannot lock %s: %s\n", lock_path, strerror(err));
      return -1;
    }
    /* the holder before us may have removed the file after we opened it: lock the one in place */
    struct stat mine, now;
    if (fstat(fd, &mine) == 0 && stat(lock_path, &now) == 0 && mine.st_ino == now.st_ino &&
        mine.st_dev == now.st_dev) {
      char pid[32];
      int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
      if (ftruncate(fd, 0) == 0 && write(fd, pid, (size_t)n) < 0) {
        /* the pid is for people; the lock is the flock */
      }
      return fd;
    }
    close(fd);
  }
  fprintf(stderr, "nvlsim sweep: cannot take the lock %s: it keeps being replaced\n", lock_path);
  return -1;
}

void nvl_sweep_unlock(int fd, const char *lock_path) {
  if (fd < 0)
    return;
  unlink(lock_path); /* while holding it: a waiting sweep then sees another file and retries */
  close(fd);
}

static volatile sig_atomic_t stop_sig;
static volatile pid_t children[NVL_SWEEP_MAX_CHILDREN];
static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP};

static void on_stop(int sig) {
  if (!stop_sig)
    stop_sig = sig;
  for (size_t k = 0; k < NVL_SWEEP_MAX_CHILDREN; k++) /* kill() is async-signal-safe */
    if (children[k] > 0)
      kill(children[k], SIGTERM);
}

void nvl_sweep_catch_stop(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop; /* no SA_RESTART: a waiting wait() returns */
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof stop_sigs / sizeof stop_sigs[0]; i++)
    sigaction(stop_sigs[i], &sa, NULL);
}

int nvl_sweep_stopped(void) { return stop_sig; }

void nvl_sweep_child_signals(void) {
  for (size_t i = 0; i < sizeof stop_sigs / sizeof stop_sigs[0]; i++)
    signal(stop_sigs[i], SIG_DFL);
}

void nvl_sweep_track_child(size_t k, pid_t pid) {
  if (k < NVL_SWEEP_MAX_CHILDREN)
    children[k] = pid;
}

void nvl_sweep_die_by(int sig) {
  fflush(NULL);
  signal(sig, SIG_DFL);
  raise(sig);
  _exit(128 + sig); /* not reached when the signal ends the process */
}
