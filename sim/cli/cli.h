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
#include "cli/options.h"
#include "design/design.h"
#include "models/context.h"
#include "base/diag.h"

typedef struct {
  const char *name;
  /* ctx: the model's parameters, filled once from the built-in files and the environment
   * (cli/env.c) for commands that simulate; NULL for the others */
  int (*fn)(const nvl_model_ctx *ctx, int argc, char **argv);
  const char *summary;
  const nvl_cmd_doc *doc; /* usage, options and help (cli/options.h) */
  bool simulates;         /* runs SimGrid: gets the huge-page heap (see main.c) */
} nvl_command;

extern const nvl_command nvl_commands[];
const nvl_command *nvl_cli_find(const char *name);

/* Prints "nvlsim CMD: message" to stderr and returns NVL_EXIT_USAGE. */
int nvl_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Loads `path` (or the built-in default when path is NULL), printing diagnostics to stderr.
 * Returns NVL_EXIT_OK with *out set, NVL_EXIT_FAIL for an invalid design, NVL_EXIT_USAGE for an
 * I/O error. With `strict`, warnings make the design invalid. */
int nvl_cli_load(const char *path, const nvl_load_opts *opts, bool strict, nvl_design **out);

/* Outputs of a command (base/outfile.h), with their errors printed as "nvlsim CMD: message".
 * Both return 0, or -1 after printing. */
int nvl_cli_output_open(nvl_outfile *o, const char *path, const char *cmd);
int nvl_cli_output_commit(nvl_outfile *o, const char *cmd);
/* Commits an output whose writing returned write_rc (0: written), or drops it; 0 or -1. */
int nvl_cli_output_finish(nvl_outfile *o, int write_rc, const char *cmd);

/* Reads a user's file (base/file.h's nvl_file_read: a regular file of at most max bytes, `what`
 * naming it in errors). Returns 0, or -1 after printing why. */
int nvl_cli_read_file(const char *path, const char *what, size_t max, char **text, size_t *len);
/* A new temporary file NAME-XXXXXX in $TMPDIR (or /tmp), its path in buf (len >= 256): its
 * descriptor, or -1 with errno set (buf then names the folder tried). */
int nvl_cli_tmpfile(char *buf, size_t len, const char *name);
/* Prints each diagnostic as "error: FILE:LOC: message". */
void nvl_cli_print_diags(const nvl_diags *diags, const char *file, FILE *to);
/* Draws columns y against x of a CSV (cli/cmd_plot.c: rows of a sweep not ok and empty cells left
 * out), one line per value of series (NULL: one line), into out (.png, .svg, .pdf). Returns an
 * exit status, the reasons printed as "nvlsim CMD: ...". */
int nvl_cli_plot_csv(const char *csv, const char *x, const char *y, const char *series, bool logx,
                     const char *title, const char *out, const char *cmd);

#endif
