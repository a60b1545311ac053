/*
 * limits: see limits.h.
 */
#include "engine/limits.h"

#include "models/program.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/exit.h"
#include "base/outfile.h"

static double limit_wall_s, limit_rss_bytes;
static struct timespec limit_start;

static void limit_exit(int code, const char *msg) {
  nvl_outfile_remove_unfinished();
  ssize_t w = write(2, msg, strlen(msg));
  (void)w;
  _exit(code);
}

static void on_limit_tick(int sig) {
  (void)sig;
  int saved = errno;
  if (limit_wall_s > 0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el =
        (double)(now.tv_sec - limit_start.tv_sec) + (now.tv_nsec - limit_start.tv_nsec) * 1e-9;
    if (el > limit_wall_s)
      limit_exit(NVL_EXIT_TIME,
                 "nvlsim: stopped: --time-limit exceeded (wall clock); no output written\n");
  }
  if (limit_rss_bytes > 0) {
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd >= 0) {
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n > 0) {
        buf[n] = '\0';
        unsigned long long pages = 0;
        const char *p = buf;
        while (*p && *p != ' ')
          p++; /* second field: resident pages */
        while (*p == ' ')
          p++;
        while (*p >= '0' && *p <= '9')
          pages = pages * 10 + (unsigned long long)(*p++ - '0');
        if ((double)pages * (double)sysconf(_SC_PAGESIZE) > limit_rss_bytes)
          limit_exit(NVL_EXIT_MEMORY,
                     "nvlsim: stopped: --memory-limit exceeded; no output written\n");
      }
    }
  }
  errno = saved;
}

void nvl_limits_set(double wall_s, double rss_bytes) {
  limit_wall_s = wall_s;
  limit_rss_bytes = rss_bytes;
  nvl_program_budget(rss_bytes > 0 ? (uint64_t)rss_bytes : 0); /* programs' budget: the same */
  if (wall_s <= 0 && rss_bytes <= 0)
    return;
  clock_gettime(CLOCK_MONOTONIC, &limit_start);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_limit_tick;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 50000}, {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
}
