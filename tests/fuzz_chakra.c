/*
 * libFuzzer target: the Chakra trace reader and the graph built from it (sim/workload/chakra.h).
 * An input is up to 4 NPUs' traces: a first byte n (1 + byte mod 4), then n chunks, each a
 * 2-byte little-endian length and that many bytes of one NPU's file (a chunk cut by the end of
 * the input is what is left). Seeds: tests/fuzz/chakra/ (tools/fuzz.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workload/chakra.h"

#include "nvl_ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int n = 1 + data[0] % 4;
  size_t pos = 1;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_ct_trace t[4];
  nvl_chakra c = {.npus = t, .n = 0};
  int ok = 1;
  for (int i = 0; i < n && ok; i++) {
    size_t len = 0;
    if (pos + 2 <= size) {
      len = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
      pos += 2;
    }
    if (len > size - pos)
      len = size - pos;
    char name[16];
    memcpy(name, "npu.0.et", 9);
    name[4] = (char)('0' + i);
    nvl_ct_budget b = {NVL_CT_BUDGET_DEFAULT, 0, 0};
    ok = nvl_chakra_parse(data + pos, len, name, &b, &t[c.n], &diags) == 0;
    c.n++;
    pos += len;
  }
  if (ok) {
    int devs[4] = {0, 1, 2, 3};
    nvl_job *jobs = calloc(1, sizeof *jobs);
    jobs[0].n = n;
    jobs[0].devs = malloc(sizeof devs);
    memcpy(jobs[0].devs, devs, sizeof devs);
    nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .jobs = jobs, .n_jobs = 1};
    nvl_wgraph g = NVL_WGRAPH_INIT;
    nvl_ct_map map;
    if (nvl_chakra_graph(&c, &spec, &g, &map, &diags) == 0) {
      nvl_wgraph_release(&g);
      nvl_ct_map_release(&map);
    }
    nvl_workload_spec_release(&spec);
  }
  for (size_t i = 0; i < c.n; i++) {
    free(t[i].nodes);
    free(t[i].deps);
  }
  nvl_diags_release(&diags);
  return 0;
}
