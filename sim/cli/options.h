/*
 * options: each subcommand declares its options in one table, from which both parsing and its
 * `--help` come (git's parse-options), so help cannot drift from what is accepted.
 *
 * Parsing follows getopt_long: `-b 1M` and `-b1M`, `--model ideal` and `--model=ideal`, flags
 * bundled (`-vq`), a long option abbreviated to any unique prefix, options and operands in any
 * order, `--` ending the options, and `-` an operand (standard input where a command reads one).
 * `-h` and `--help` print the help. Values are checked as they are read: sizes (nccl-tests
 * units: 8, 1K, 1M, 8G), counts, durations (10s, 5ms), memory sizes (2GiB) and anything a
 * command checks itself through a callback. Every error is one line naming the option, then a
 * pointer to the help, and exit status 2.
 */
#ifndef NVL_OPTIONS_H
#define NVL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
  NVL_OPT_END,
  NVL_OPT_GROUP,  /* a heading in the help (help: the heading) */
  NVL_OPT_FLAG,   /* bool, set to true */
  NVL_OPT_STRING, /* const char *, the value as given */
  NVL_OPT_SIZE,   /* uint64_t: a size > 0 in nccl-tests units (1M = 2^20), e.g. a chunk */
  NVL_OPT_BYTES,  /* uint64_t: a message size, as NVL_OPT_SIZE but 0 allowed (count 0) */
  NVL_OPT_COUNT,  /* size_t: a non-negative integer */
  NVL_OPT_TIME,   /* double: seconds, with a unit (10s, 5ms, 1min) */
  NVL_OPT_MEMORY, /* double: bytes, with a unit (2GiB, 512MB) */
  NVL_OPT_CALL    /* the command's own check: call(field, value, ...) */
} nvl_opt_kind;

typedef struct {
  nvl_opt_kind kind;
  char short_name;       /* 'c', or 0 */
  const char *long_name; /* "collective", or NULL */
  const char *arg;       /* the value's name in help ("NAME"); NULL: the option takes none */
  size_t offset;         /* the field it sets in the command's options struct */
  /* NVL_OPT_CALL: checks and stores `value` (NULL for an option without one) into the field;
   * `opt` is the option as written ("-b", "--minbytes"), `cmd` the command. Returns 0, or an exit
   * status after printing (nvl_cli_usage_error). */
  int (*call)(void *field, const char *value, const char *opt, const char *cmd);
  const char *help; /* one or more lines (split on '\n') */
} nvl_option;

#define NVL_OPT_GROUP_(h)                                                                          \
  { NVL_OPT_GROUP, 0, NULL, NULL, 0, NULL, (h) }
#define NVL_OPT_(kind, s, l, arg, type, field, h)                                                  \
  { (kind), (s), (l), (arg), offsetof(type, field), NULL, (h) }
#define NVL_OPT_CALL_(s, l, arg, type, field, fn, h)                                               \
  { NVL_OPT_CALL, (s), (l), (arg), offsetof(type, field), (fn), (h) }
/* -q/--quiet: design warnings are not printed (errors are; --strict still counts them). A
 * process-wide switch (cli/cli.h), so it sets no field. */
#define NVL_OPT_QUIET_                                                                             \
  {                                                                                                \
    NVL_OPT_CALL, 'q', "quiet", NULL, 0, nvl_arg_quiet,                                            \
        "design warnings not printed (errors are; --strict still\ncounts them)"                    \
  }
int nvl_arg_quiet(void *field, const char *v, const char *opt, const char *cmd);

#define NVL_OPT_END_                                                                               \
  { NVL_OPT_END, 0, NULL, NULL, 0, NULL, NULL }

/* A subcommand's documentation: its usage lines, a paragraph, the options, and what follows them
 * (exit status, environment). */
typedef struct {
  const char *name;  /* "run" */
  const char *usage; /* "nvlsim run [options] [FILE]" (lines separated by '\n') */
  const char *about; /* paragraphs after the usage */
  const nvl_option *options;
  const char *epilogue; /* or NULL */
} nvl_cmd_doc;

/* Parsing stopped at -h/--help after printing the help: the command exits 0. */
#define NVL_OPTIONS_HELP (-1)

/* Parses argv[1..argc) into `opts` (the command's struct, defaults already set). Operands go to
 * operands[0..*n_operands) (at most max_operands: more is a usage error "unexpected argument").
 * Returns 0, NVL_OPTIONS_HELP, or NVL_EXIT_USAGE after printing an error. */
int nvl_options_parse(const nvl_cmd_doc *doc, int argc, char **argv, void *opts, char **operands,
                      int max_operands, int *n_operands);

/* nvl_options_parse for a command's entry point: true when the command goes on; otherwise
 * *status is its exit status (0 after the help, 2 after a usage error). */
bool nvl_options_accept(const nvl_cmd_doc *doc, int argc, char **argv, void *opts, char **operands,
                        int max_operands, int *n_operands, int *status);

/* Prints the command's help: usage, about, options by group (aligned), epilogue. */
void nvl_options_help(const nvl_cmd_doc *doc, FILE *out);

#endif
