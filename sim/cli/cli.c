/*
 * cli: see cli.h.
 */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/builtin.h"

const nvl_command *nvl_cli_find(const char *name) {
  for (const nvl_command *c = nvl_commands; c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

int nvl_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "nvlsim %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see 'nvlsim help %s')\n", cmd);
  va_end(ap);
  return NVL_EXIT_USAGE;
}

bool nvl_cli_parse_size_t(const char *cmd, const char *opt, const char *val, size_t *out) {
  char *end;
  errno = 0;
  if (!val || !*val || *val == '-') {
    nvl_cli_usage_error(cmd, "%s needs a non-negative integer", opt);
    return false;
  }
  unsigned long long v = strtoull(val, &end, 10);
  if (errno || *end) {
    nvl_cli_usage_error(cmd, "%s: \"%s\" is not a non-negative integer", opt, val);
    return false;
  }
  *out = (size_t)v;
  return true;
}

int nvl_cli_failure_option(const char *cmd, int argc, char **argv, int *i, nvl_load_opts *opts) {
  static const char *specs[65];
  static size_t n;
  const char *a = argv[*i];
  bool fail = strcmp(a, "--fail") == 0, degrade = strcmp(a, "--degrade") == 0;
  if (!fail && !degrade)
    return 0;
  if (*i + 1 >= argc)
    return nvl_cli_usage_error(cmd, "%s needs a value such as switch:sw4 or link:gpu3-sw7", a);
  const char *v = argv[++*i];
  if (degrade && !strchr(v, '='))
    return nvl_cli_usage_error(cmd, "--degrade needs the remaining bandwidth: link:gpu3-sw7=50%%");
  if (fail && strchr(v, '='))
    return nvl_cli_usage_error(cmd, "--fail takes no share; use --degrade link:A-B=50%%");
  if (n == 64)
    return nvl_cli_usage_error(cmd, "at most 64 failures");
  specs[n++] = v;
  specs[n] = NULL;
  opts->failures = specs;
  return 1;
}

void nvl_cli_print_diags(const nvl_diags *diags, const char *file, FILE *to) {
  char line[NVL_DIAG_PTR_MAX + NVL_DIAG_MSG_MAX + 1200];
  for (size_t i = 0; i < diags->count; i++) {
    nvl_diag_format(&diags->items[i], file, line, sizeof line);
    fprintf(to, "%s\n", line);
  }
  size_t shown = diags->count, total = diags->errors + diags->warnings;
  if (total > shown)
    fprintf(to, "(%zu more diagnostics not shown)\n", total - shown);
}

int nvl_cli_load(const char *path, const nvl_load_opts *opts, bool strict, nvl_design **out) {
  *out = NULL;
  if (!path)
    path = NVL_DEFAULT_DESIGN_NAME; /* "builtin:gb200-nvl72" */
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_load_status st;
  if (strncmp(path, "builtin:", 8) == 0) {
    const nvl_builtin *b = nvl_builtin_design(path + 8);
    if (!b) {
      fprintf(stderr, "error: %s: no built-in design of that name; built-in designs:", path);
      for (const nvl_builtin *x = nvl_builtin_designs; x->name; x++)
        fprintf(stderr, " %s", x->name);
      fputc('\n', stderr);
      return NVL_EXIT_USAGE;
    }
    st = nvl_design_load_buffer(b->data, b->len, path, opts, out, &diags);
  } else {
    st = nvl_design_load_file(path, opts, out, &diags);
  }
  nvl_cli_print_diags(&diags, path, stderr);
  int rc = st == NVL_LOAD_IO ? NVL_EXIT_USAGE : st == NVL_LOAD_OK ? NVL_EXIT_OK : NVL_EXIT_FAIL;
  if (rc == NVL_EXIT_OK && strict && diags.warnings) {
    rc = NVL_EXIT_FAIL;
    nvl_design_free(*out);
    *out = NULL;
  }
  nvl_diags_release(&diags);
  return rc;
}

/* Temporary files of open outputs, removed by the signal handler (async-signal-safe unlink). */
#define MAX_OPEN_OUTPUTS 16
static char *volatile open_tmps[MAX_OPEN_OUTPUTS];

static void on_fatal_signal(int sig) {
  for (int i = 0; i < MAX_OPEN_OUTPUTS; i++)
    if (open_tmps[i])
      unlink(open_tmps[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

static double limit_wall_s, limit_rss_bytes;
static struct timespec limit_start;

static void limit_exit(int code, const char *msg) {
  for (int i = 0; i < MAX_OPEN_OUTPUTS; i++)
    if (open_tmps[i])
      unlink(open_tmps[i]);
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

void nvl_cli_set_limits(double wall_s, double rss_bytes) {
  limit_wall_s = wall_s;
  limit_rss_bytes = rss_bytes;
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

void nvl_outfile_install_signal_cleanup(void) {
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    signal(sigs[i], on_fatal_signal);
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

int nvl_outfile_open(nvl_outfile *o, const char *path, const char *cmd) {
  memset(o, 0, sizeof *o);
  if (!path || strcmp(path, "-") == 0) {
    o->fp = stdout;
    return 0;
  }
  if (strlen(path) >= sizeof o->path) {
    fprintf(stderr, "nvlsim %s: output path too long\n", cmd);
    return -1;
  }
  snprintf(o->path, sizeof o->path, "%s", path);
  snprintf(o->tmp, sizeof o->tmp, "%s.tmpXXXXXX", path);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    fprintf(stderr, "nvlsim %s: cannot write %s: %s\n", cmd, path, strerror(errno));
    o->tmp[0] = '\0';
    return -1;
  }
  o->fp = fdopen(fd, "w");
  if (!o->fp) {
    close(fd);
    unlink(o->tmp);
    fprintf(stderr, "nvlsim %s: cannot write %s: %s\n", cmd, path, strerror(errno));
    return -1;
  }
  track(o->tmp, true);
  return 0;
}

int nvl_outfile_commit(nvl_outfile *o, const char *cmd) {
  if (!o->fp)
    return -1;
  if (o->fp == stdout) {
    o->fp = NULL;
    return fflush(stdout) == 0 ? 0 : -1;
  }
  bool bad = ferror(o->fp) != 0;
  bad |= fflush(o->fp) != 0;
  bad |= fsync(fileno(o->fp)) != 0 && errno != EINVAL;
  bad |= fclose(o->fp) != 0;
  o->fp = NULL;
  if (!bad)
    (void)chmod(o->tmp, 0644);
  if (bad || rename(o->tmp, o->path) != 0) {
    fprintf(stderr, "nvlsim %s: cannot write %s: %s\n", cmd, o->path, strerror(errno));
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
    unlink(o->tmp);
    track(o->tmp, false);
  }
  o->fp = NULL;
}
