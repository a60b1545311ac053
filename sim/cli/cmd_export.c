/*
 * cmd_export: `nvlsim export --format dot|graphml [-o OUT] [FILE]` through igraph's writers.
 */
#include <string.h>

#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/commands.h"
#include "graph/graph.h"

typedef struct {
  const char *format, *out;
  nvl_cli_failures fail;
} export_opts;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, export_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, export_opts, field, fn, help)
static const nvl_option options[] = {
    O(NVL_OPT_STRING, 0, "format", "FORMAT", format, "dot (Graphviz) or graphml (Gephi); required"),
    O(NVL_OPT_STRING, 'o', "output", "OUT", out, "write here, atomically (default: stdout)"),
    NVL_OPT_FAILURES_(export_opts, fail), NVL_OPT_QUIET_, NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_export = {
    "export", "nvlsim export --format dot|graphml [-o OUT] [options] [FILE]",
    "Writes one vertex per device (name, kind, type) and one edge per link bundle (link_type,\n"
    "links, bandwidth_GBps) through igraph's writers. Without -o, writes to stdout.\n"
    "Examples:\n"
    "  nvlsim export --format dot -o nvl72.dot builtin:gb200-nvl72\n",
    options, NULL};

int nvl_cmd_export(const nvl_model_ctx *ctx, int argc, char **argv) {
  (void)ctx; /* needs no model */
  export_opts o = {0};
  char *operands[1];
  int n = 0, status;
  if (!nvl_options_accept(&nvl_doc_export, argc, argv, &o, operands, 1, &n, &status))
    return status;
  const char *format = o.format, *out = o.out, *file = n ? operands[0] : NULL;
  nvl_load_opts opts = {.failures = o.fail.n ? o.fail.specs : NULL};
  if (!format)
    return nvl_cli_usage_error("export", "--format dot|graphml is required");
  if (strcmp(format, "dot") != 0 && strcmp(format, "graphml") != 0)
    return nvl_cli_usage_error("export", "unknown format \"%s\"; use dot or graphml", format);
  nvl_design *d;
  int rc = nvl_cli_load(file, &opts, false, &d);
  if (rc != NVL_EXIT_OK)
    return rc;
  nvl_outfile f;
  if (nvl_cli_output_open(&f, out, "export") != 0) {
    nvl_design_free(d);
    return NVL_EXIT_USAGE;
  }
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_graph_export(d, format, f.fp, &diags) != 0) {
    bool io = ferror(f.fp) != 0; /* a full disk or /dev/full: an I/O error, exit 2 */
    nvl_outfile_abort(&f);
    nvl_cli_print_diags(&diags, out ? out : "stdout", stderr);
    rc = io ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
  } else if (nvl_cli_output_commit(&f, "export") != 0) {
    rc = NVL_EXIT_USAGE;
  }
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
