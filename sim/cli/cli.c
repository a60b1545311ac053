/*
 * cli: see cli.h.
 */
#include "cli/cli.h"

#include "base/file.h"

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

/* The first diagnostic as "nvlsim CMD: message"; -1 when there was one. */
static int report(const char *cmd, int rc, nvl_diags *diags) {
  if (rc != 0 && diags->count)
    fprintf(stderr, "nvlsim %s: %s\n", cmd, diags->items[0].message);
  nvl_diags_release(diags);
  return rc != 0 ? -1 : 0;
}

int nvl_cli_output_open(nvl_outfile *o, const char *path, const char *cmd) {
  nvl_diags diags = NVL_DIAGS_INIT;
  return report(cmd, nvl_outfile_open(o, path, &diags), &diags);
}

int nvl_cli_output_commit(nvl_outfile *o, const char *cmd) {
  nvl_diags diags = NVL_DIAGS_INIT;
  return report(cmd, nvl_outfile_commit(o, &diags), &diags);
}

static bool quiet;

int nvl_arg_quiet(void *field, const char *v, const char *opt, const char *cmd) {
  (void)field, (void)v, (void)opt, (void)cmd;
  quiet = true;
  return 0;
}

int nvl_cli_read_file(const char *path, const char *what, size_t max, char **text, size_t *len) {
  nvl_diags diags = NVL_DIAGS_INIT;
  int rc = nvl_file_read(path, what, max, text, len, &diags);
  if (rc != 0)
    nvl_cli_print_diags(&diags, path, stderr);
  nvl_diags_release(&diags);
  return rc != 0 ? -1 : 0;
}

int nvl_cli_tmpfile(char *buf, size_t len, const char *name) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir || strlen(dir) > 200)
    dir = "/tmp";
  snprintf(buf, len, "%s/%s-XXXXXX", dir, name);
  int fd = mkstemp(buf);
  if (fd < 0)
    snprintf(buf, len, "%s", dir);
  return fd;
}

void nvl_cli_print_diags(const nvl_diags *diags, const char *file, FILE *to) {
  char line[NVL_DIAG_PTR_MAX + NVL_DIAG_MSG_MAX + 1200];
  for (size_t i = 0; i < diags->count; i++) {
    if (quiet && diags->items[i].severity == NVL_SEV_WARNING)
      continue;
    nvl_diag_format(&diags->items[i], file, line, sizeof line);
    fprintf(to, "%s\n", line);
  }
  size_t shown = diags->count, total = diags->errors + (quiet ? 0 : diags->warnings);
  if (total > shown)
    fprintf(to, "(%zu more diagnostics not shown)\n", total - shown);
}

int nvl_cli_load(const char *path, const nvl_load_opts *opts, bool strict, nvl_design **out) {
  *out = NULL;
  if (!path)
    path = NVL_DEFAULT_DESIGN_NAME; /* "builtin:gb200-nvl72" */
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_load_status st = nvl_design_load(path, opts, out, &diags);
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

int nvl_cli_output_finish(nvl_outfile *o, int write_rc, const char *cmd) {
  if (write_rc != 0) {
    nvl_outfile_abort(o);
    return -1;
  }
  return nvl_cli_output_commit(o, cmd);
}
