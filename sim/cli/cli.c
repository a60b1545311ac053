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
