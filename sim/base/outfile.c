/*
 * outfile: see outfile.h.
 */
#include "base/outfile.h"

#include "base/exit.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary files of open outputs, removed by the signal handler (async-signal-safe unlink). */
#define MAX_OPEN_OUTPUTS 16
static char *volatile open_tmps[MAX_OPEN_OUTPUTS];

void nvl_outfile_remove_unfinished(void) {
  for (int i = 0; i < MAX_OPEN_OUTPUTS; i++)
    if (open_tmps[i])
      unlink(open_tmps[i]);
}

static void on_fatal_signal(int sig) {
  nvl_outfile_remove_unfinished();
  if (sig == SIGINT || sig == SIGTERM) {
    static const char msg[] = "nvlsim: interrupted; no output written\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
  }
  signal(sig, SIG_DFL);
  raise(sig); /* the shell sees the signal: 130 for SIGINT, 143 for SIGTERM */
}

/* SimGrid aborts when it cannot allocate (a stack, an action, a C++ bad_alloc): if the address
 * space is exhausted too (a probe mapping fails), that is running out of memory, exit 3 as
 * base/xalloc does, outputs removed; any other abort stays one. */
static void on_abort(int sig) {
  void *probe = mmap(NULL, 16u << 20, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (probe == MAP_FAILED) {
    nvl_outfile_remove_unfinished();
    static const char msg[] = "nvlsim: out of memory (in the simulator)\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(NVL_EXIT_NOMEM);
  }
  munmap(probe, 16u << 20);
  signal(sig, SIG_DFL);
  raise(sig);
}

void nvl_outfile_install_signal_cleanup(void) {
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    signal(sigs[i], on_fatal_signal);
  signal(SIGABRT, on_abort);
}

static void track(char *tmp, bool add) {
  for (int i = 0; i < MAX_OPEN_OUTPUTS; i++) {
    if (add && !open_tmps[i]) {
      open_tmps[i] = tmp;
      return;
    }
    if (!add && open_tmps[i] == tmp) {
      open_tmps[i] = NULL;
      return;
    }
  }
}

/* `path` with its symbolic links followed (the file a link names is what gets replaced, never
 * the link); a relative target is taken from the link's folder. 0, or -1 past 40 links. */
static int resolve_links(const char *path, char *out, size_t len) {
  if (strlen(path) >= len)
    return -1;
  snprintf(out, len, "%s", path);
  for (int hop = 0; hop < 40; hop++) {
    struct stat st;
    if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode))
      return 0;
    char target[1024];
    ssize_t n = readlink(out, target, sizeof target - 1);
    if (n <= 0 || (size_t)n >= sizeof target - 1)
      return -1;
    target[n] = '\0';
    const char *slash = strrchr(out, '/');
    if (target[0] == '/' || !slash) {
      if (strlen(target) >= len)
        return -1;
      snprintf(out, len, "%s", target);
    } else {
      size_t dir = (size_t)(slash - out) + 1;
      if (dir + strlen(target) >= len)
        return -1;
      memmove(out + dir, target, strlen(target) + 1);
    }
  }
  return -1;
}

/* The descriptor a path names when it is one of the process's own (/dev/stdout, /dev/stderr,
 * /dev/fd/N, /proc/self/fd/N), else -1: those are written through the descriptor, sharing its
 * offset, never replaced (replacing would unlink the file the descriptor already writes). */
static int own_descriptor(const char *path) {
  if (strcmp(path, "/dev/stdout") == 0)
    return 1;
  if (strcmp(path, "/dev/stderr") == 0)
    return 2;
  const char *num = strncmp(path, "/dev/fd/", 8) == 0          ? path + 8
                    : strncmp(path, "/proc/self/fd/", 14) == 0 ? path + 14
                                                               : NULL;
  if (!num || !*num || strspn(num, "0123456789") != strlen(num) || strlen(num) > 6)
    return -1;
  return atoi(num);
}

int nvl_outfile_open(nvl_outfile *o, const char *path, nvl_diags *diags) {
  memset(o, 0, sizeof *o);
  if (!path || strcmp(path, "-") == 0) {
    o->fp = stdout;
    return 0;
  }
  int own = own_descriptor(path);
  if (own >= 0) {
    fflush(NULL);
    int fd = dup(own);
    o->fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!o->fp) {
      if (fd >= 0)
        close(fd);
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", path,
                   strerror(errno));
      return -1;
    }
    snprintf(o->path, sizeof o->path, "%s", path);
    o->through = true;
    return 0;
  }
  if (strlen(path) >= sizeof o->path) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "output path too long");
    return -1;
  }
  if (resolve_links(path, o->path, sizeof o->path) != 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL,
                 "cannot write %s: too many or too long symbolic links", path);
    return -1;
  }
  struct stat st;
  if (stat(o->path, &st) == 0 && S_ISDIR(st.st_mode)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: is a directory", path);
    return -1;
  }
  if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) { /* a device or FIFO: write through */
    o->fp = fopen(o->path, "w");
    if (!o->fp) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", path,
                   strerror(errno));
      return -1;
    }
    o->through = true;
    return 0;
  }
  snprintf(o->tmp, sizeof o->tmp, "%s.tmpXXXXXX", o->path);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", path,
                 strerror(errno));
    o->tmp[0] = '\0';
    return -1;
  }
  o->fp = fdopen(fd, "w");
  if (!o->fp) {
    close(fd);
    unlink(o->tmp);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", path,
                 strerror(errno));
    return -1;
  }
  track(o->tmp, true);
  return 0;
}

int nvl_outfile_commit(nvl_outfile *o, nvl_diags *diags) {
  if (!o->fp)
    return -1;
  if (o->fp == stdout) {
    o->fp = NULL;
    return fflush(stdout) == 0 ? 0 : -1;
  }
  if (o->through) { /* a device, FIFO or descriptor: nothing to rename */
    fflush(stdout); /* what the command printed comes first on a shared descriptor */
    bool bad = ferror(o->fp) != 0;
    bad |= fflush(o->fp) != 0;
    int err = errno;
    bad |= fclose(o->fp) != 0;
    o->fp = NULL;
    if (bad)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", o->path,
                   strerror(err ? err : errno));
    return bad ? -1 : 0;
  }
  bool bad = ferror(o->fp) != 0;
  bad |= fflush(o->fp) != 0;
  bad |= fsync(fileno(o->fp)) != 0 && errno != EINVAL;
  bad |= fclose(o->fp) != 0;
  o->fp = NULL;
  if (!bad)
    (void)chmod(o->tmp, 0644);
  if (bad || rename(o->tmp, o->path) != 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", o->path,
                 strerror(errno));
    unlink(o->tmp);
    track(o->tmp, false);
    return -1;
  }
  track(o->tmp, false);
  return 0;
}

void nvl_outfile_abort(nvl_outfile *o) {
  if (!o->fp)
    return;
  if (o->fp != stdout) {
    fclose(o->fp);
    if (!o->through) {
      unlink(o->tmp);
      track(o->tmp, false);
    }
  }
  o->fp = NULL;
}
