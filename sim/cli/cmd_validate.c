/*
 * cmd_validate: `nvlsim validate FILE...`, the CI gate. Per file: load (syntax and semantic
 * checks), then graph checks and `expect` assertions; all diagnostics in document order, then a
 * summary. Text goes to stderr (diagnostics) and stdout (summaries); json and junit to stdout.
 */
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "graph/analysis.h"
#include "graph/graph.h"
#include "output/report.h"

typedef enum { FMT_TEXT, FMT_JSON, FMT_JUNIT } out_format;

typedef nvl_report_file file_result;

static void validate_one(const char *path, const nvl_load_opts *opts, bool strict, file_result *r) {
  nvl_design *d = NULL;
  nvl_load_status st = nvl_design_load(path, opts, &d, &r->diags);
  r->io_error = st == NVL_LOAD_IO;
  r->checks[r->n_checks++] = (nvl_check){"load", true, st == NVL_LOAD_OK};
  if (d) {
    nvl_graph *g = nvl_graph_new(d, &r->diags);
    nvl_analysis a;
    if (g && nvl_analysis_run(d, g, &a, &r->diags) == 0)
      r->n_checks += nvl_analysis_check(d, &a, &r->diags, r->checks + r->n_checks);
    nvl_graph_free(g);
    nvl_design_free(d);
  }
  r->valid = r->diags.errors == 0 && !(strict && r->diags.warnings);
}

typedef struct {
  out_format fmt;
  bool strict;
  size_t max_endpoints;
  nvl_cli_failures fail;
} validate_opts;

static int parse_format(void *field, const char *v, const char *opt, const char *cmd) {
  static const char *const names[] = {"text", "json", "junit"};
  int f = nvl_names_find(names, 3, v, false);
  if (f < 0)
    return nvl_cli_usage_error(cmd, "%s must be text, json or junit", opt);
  *(out_format *)field = (out_format)f;
  return 0;
}

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, validate_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, validate_opts, field, fn, help)
static const nvl_option options[] = {
    C(0, "format", "FORMAT", fmt, parse_format,
      "text, json or junit (default text; json and junit go to stdout)"),
    O(NVL_OPT_FLAG, 0, "strict", NULL, strict,
      "warnings (unused ports, asymmetric planes) fail the file"),
    O(NVL_OPT_COUNT, 0, "max-endpoints", "N", max_endpoints,
      "refuse designs with more than N devices (default 100000)"),
    NVL_OPT_FAILURES_(validate_opts, fail),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_validate = {
    "validate", "nvlsim validate [options] FILE...",
    "Checks each design: JSON syntax (file:line:col), unknown keys, quantities, references,\n"
    "port budgets and link types (JSON pointer), graph connectivity and the `expect` block.\n"
    "All errors of a file are reported, in document order, then a summary line.\n"
    "Examples:\n"
    "  nvlsim validate builtin:gb200-nvl72\n"
    "  nvlsim validate --strict --format junit topologies/gb200-nvl72.json "
    "topologies/nvl576.json\n",
    options,
    "exit status: 0 all valid, 1 some design invalid, 2 usage or I/O error (missing file,\n"
    "directory, unreadable)\n"};

int nvl_cmd_validate(const nvl_model_ctx *ctx, int argc, char **argv) {
  (void)ctx; /* needs no model */
  validate_opts o = {FMT_TEXT, false, 0, {{0}, 0}};
  char **files = nvl_xcalloc((size_t)argc + 1, sizeof *files);
  int nf = 0, rc;
  if (!nvl_options_accept(&nvl_doc_validate, argc, argv, &o, files, argc, &nf, &rc)) {
    free(files);
    return rc;
  }
  if (nf == 0) {
    free(files);
    return nvl_cli_usage_error("validate", "no design file given");
  }
  out_format fmt = o.fmt;
  bool strict = o.strict;
  nvl_load_opts opts = {.max_endpoints = o.max_endpoints,
                        .failures = o.fail.n ? o.fail.specs : NULL};
  file_result *rs = nvl_xcalloc((size_t)nf, sizeof *rs);
  size_t n_valid = 0, n_err = 0, n_warn = 0;
  for (int i = 0; i < nf; i++) {
    file_result *r = &rs[i];
    r->file = files[i];
    validate_one(files[i], &opts, strict, r);
    n_valid += r->valid;
    n_err += r->diags.errors;
    n_warn += r->diags.warnings;
    if (r->io_error)
      rc = NVL_EXIT_USAGE;
    else if (!r->valid && rc == NVL_EXIT_OK)
      rc = NVL_EXIT_FAIL;
    if (fmt == FMT_TEXT) {
      nvl_cli_print_diags(&r->diags, r->file, stderr);
      fflush(stderr);
      printf("%s: %s (%zu error%s, %zu warning%s)\n", r->file,
             r->valid                               ? "valid"
             : r->diags.errors == 0 && !r->io_error ? "invalid under --strict"
                                                    : "invalid",
             r->diags.errors, r->diags.errors == 1 ? "" : "s", r->diags.warnings,
             r->diags.warnings == 1 ? "" : "s");
      fflush(stdout);
    }
  }
  if (fmt == FMT_TEXT && nf > 1)
    printf("%d files: %zu valid, %zu invalid (%zu errors, %zu warnings)\n", nf, n_valid,
           (size_t)nf - n_valid, n_err, n_warn);
  else if (fmt == FMT_JSON)
    nvl_report_write_json(rs, (size_t)nf, stdout);
  else if (fmt == FMT_JUNIT)
    nvl_report_write_junit(rs, (size_t)nf, stdout);
  for (int i = 0; i < nf; i++)
    nvl_diags_release(&rs[i].diags);
  free(rs);
  free(files);
  return rc;
}
