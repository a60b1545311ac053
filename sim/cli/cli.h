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

#include "base/exit.h"
#include "base/outfile.h"
#include "design/design.h"
#include "base/diag.h"

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

#endif
