/*
 * cmd_export: `nvlsim export --format dot|graphml [-o OUT] [FILE]` through igraph's writers.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "graph/graph.h"

int nvl_cmd_export(int argc, char **argv) {
  const char *format = NULL, *out = NULL, *file = NULL;
  nvl_load_opts opts = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int fo = nvl_cli_failure_option("export", argc, argv, &i, &opts);
    if (fo == NVL_EXIT_USAGE)
      return fo;
    if (fo == 1)
      continue;
    if (strcmp(a, "--format") == 0 || strcmp(a, "-o") == 0) {
      if (i + 1 >= argc)
        return nvl_cli_usage_error("export", "%s needs a value", a);
      if (a[1] == 'o')
        out = argv[++i];
      else
        format = argv[++i];
    } else if (strncmp(a, "--format=", 9) == 0) {
      format = a + 9;
    } else if (a[0] == '-' && a[1]) {
      return nvl_cli_usage_error("export", "unknown option \"%s\"", a);
    } else if (file) {
      return nvl_cli_usage_error("export", "one design at a time");
    } else {
      file = a;
    }
  }
  if (!format)
    return nvl_cli_usage_error("export", "--format dot|graphml is required");
  if (strcmp(format, "dot") != 0 && strcmp(format, "graphml") != 0)
    return nvl_cli_usage_error("export", "unknown format \"%s\"; use dot or graphml", format);
  nvl_design *d;
  int rc = nvl_cli_load(file, &opts, false, &d);
  if (rc != NVL_EXIT_OK)
    return rc;
  nvl_outfile o;
  if (nvl_outfile_open(&o, out, "export") != 0) {
    nvl_design_free(d);
    return NVL_EXIT_USAGE;
  }
  if (nvl_graph_export(d, format, o.fp) != 0) {
    nvl_outfile_abort(&o);
    fprintf(stderr, "nvlsim export: writing %s failed\n", out ? out : "stdout");
    rc = NVL_EXIT_FAIL;
  } else if (nvl_outfile_commit(&o, "export") != 0) {
    rc = NVL_EXIT_USAGE;
  }
  nvl_design_free(d);
  return rc;
}
