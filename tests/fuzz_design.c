/*
 * libFuzzer target: the design loader and everything validate runs on what it accepts (graph
 * analyses, expect checks), plus platform aggregation. Built by -DNVL_FUZZ=ON with clang
 * (tools/fuzz.sh). Inputs are capped at 2,000 devices so that each execution stays fast.
 */
#include <stddef.h>
#include <stdint.h>

#include "graph/analysis.h"
#include "design/design.h"
#include "graph/graph.h"
#include "platform/platform.h"

/* diagnostics of the graph calls (igraph failures would land here) */
static nvl_diags g_diags = NVL_DIAGS_INIT;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  nvl_load_opts opts = {.max_endpoints = 2000};
  if (nvl_design_load_buffer((const char *)data, size, "fuzz", &opts, &d, &diags) == NVL_LOAD_OK) {
    nvl_graph *g = nvl_graph_new(d, &g_diags);
    nvl_analysis a;
    if (nvl_analysis_run(d, g, &a, &g_diags) == 0) {
      nvl_check checks[NVL_CHECK_MAX];
      nvl_analysis_check(d, &a, &diags, checks);
    }
    nvl_platform *p = nvl_platform_new(d, NULL, &diags);
    if (p) {
      nvl_stripe st[NVL_MAX_STRIPES];
      size_t n;
      const int *parts = nvl_graph_participants(g, &n);
      if (n >= 2)
        nvl_platform_stripes(p, parts[0], parts[n - 1], st);
    }
    nvl_platform_free(p);
    nvl_graph_free(g);
    nvl_design_free(d);
  }
  nvl_diags_release(&diags);
  return 0;
}
