/*
 * cli: what every subcommand shares: the command table, exit codes, loading a design named on
 * the command line (or the built-in default), printing diagnostics, and output files that
 * appear atomically (written to a temporary file beside the target, then renamed), so an
 * interrupted run never leaves a half-written result where one was expected.
 */
#ifndef NVL_CLI_H
#define NVL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "design/design.h"
#include "base/diag.h"

enum {
  NVL_EXIT_OK = 0,
  NVL_EXIT_FAIL = 1,  /* invalid input, failed check, simulation error */
  NVL_EXIT_USAGE = 2, /* bad command line, unreadable input, unwritable output */
  NVL_EXIT_NOMEM = 3, /* an allocation failed */
  NVL_EXIT_TIME = 4,  /* --time-limit (wall clock) exceeded */
  NVL_EXIT_MEMORY = 5 /* --memory-limit exceeded */
};

/* Watches the wall clock and the resident memory of this process (checked every 50 ms); past a
 * limit (0 = none) prints a message, removes unfinished outputs and exits with NVL_EXIT_TIME or
 * NVL_EXIT_MEMORY. Child processes (sweeps, forked simulations) inherit the memory watch. */
void nvl_cli_set_limits(double wall_s, double rss_bytes);

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
  const char *usage; /* full help text */
  bool simulates;    /* runs SimGrid: gets the huge-page heap (see main.c) */
} nvl_command;

extern const nvl_command nvl_commands[];
const nvl_command *nvl_cli_find(const char *name);

/* Prints "nvlsim CMD: message" to stderr and returns NVL_EXIT_USAGE. */
int nvl_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses a non-negative integer option value; returns false (after printing) on error. */
bool nvl_cli_parse_size_t(const char *cmd, const char *opt, const char *val, size_t *out);

/* Loads `path` (or the built-in default when path is NULL), printing diagnostics to stderr.
 * Returns NVL_EXIT_OK with *out set, NVL_EXIT_FAIL for an invalid design, NVL_EXIT_USAGE for an
 * I/O error. With `strict`, warnings make the design invalid. */
int nvl_cli_load(const char *path, const nvl_load_opts *opts, bool strict, nvl_design **out);

/* Handles `--fail SPEC` and `--degrade SPEC` (SPEC: switch:NAME, link:A-B, link:A-B=50%) into
 * opts->failures. Returns 1 when argv[*i] was such an option (consumed, *i advanced), 0 when it
 * was not, NVL_EXIT_USAGE (after printing) on a malformed one. */
int nvl_cli_failure_option(const char *cmd, int argc, char **argv, int *i, nvl_load_opts *opts);

/* Prints each diagnostic as "error: FILE:LOC: message". */
void nvl_cli_print_diags(const nvl_diags *diags, const char *file, FILE *to);

/* An output destination: stdout for "-" or NULL, else an atomically replaced file. */
typedef struct {
  FILE *fp;
  char path[1024];
  char tmp[1040];
} nvl_outfile;

/* Opens an output; prints an error and returns -1 if the directory is not writable. */
int nvl_outfile_open(nvl_outfile *o, const char *path, const char *cmd);
/* Flushes and renames into place (commit) or removes the temporary file (abort). */
int nvl_outfile_commit(nvl_outfile *o, const char *cmd);
void nvl_outfile_abort(nvl_outfile *o);
/* Removes temporary files of outputs still open when a fatal signal arrives. */
void nvl_outfile_install_signal_cleanup(void);

#endif
