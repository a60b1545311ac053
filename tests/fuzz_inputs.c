/*
 * libFuzzer target: the other inputs a user hands nvlsim, read and resolved as `run` and `sweep`
 * do: workload files, traffic matrices and sweep specs (tools/fuzz.sh). The first byte picks the
 * kind (byte mod 3: 0 workload JSON, 1 traffic matrix CSV for 8 ranks, 2 sweep spec JSON), the
 * rest is the file. Workloads and matrices are resolved on the HGX H100 board (8 GPUs); a sweep
 * spec's points have their axis values taken (simulating them is the engine's part). Seeds:
 * tests/fuzz/inputs/.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/sweep.h"
#include "design/design.h"
#include "platform/platform.h"
#include "workload/workload.h"

#include "nvl_ctx.h"

static nvl_design *board;
static nvl_platform *plat;

static void resolve(nvl_workload_spec *spec) {
  nvl_diags diags = NVL_DIAGS_INIT;
  (void)nvl_workload_resolve(spec, board, plat, &diags);
  nvl_diags_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (!board) {
    nvl_diags diags = NVL_DIAGS_INIT;
    if (nvl_design_load("builtin:hgx-h100", NULL, &board, &diags) != NVL_LOAD_OK)
      abort();
    plat = nvl_platform_new(board, NULL, &diags);
    nvl_diags_release(&diags);
  }
  int fd = memfd_create("input", 0); /* a regular file, as nvlsim's readers require */
  if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
    abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_workload_spec spec = {.ctx = nvl_test_ctx(), .seed = 1};
  switch (data[0] % 3) {
  case 0:
    if (nvl_workload_load_file(path, &spec, &diags) == 0)
      resolve(&spec);
    break;
  case 1:
    spec.jobs = calloc(1, sizeof *spec.jobs);
    spec.n_jobs = 1;
    spec.jobs[0].pattern = NVL_PAT_MATRIX;
    spec.jobs[0].proto = -1;
    snprintf(spec.jobs[0].name, sizeof spec.jobs[0].name, "job0");
    snprintf(spec.jobs[0].matrix_file, sizeof spec.jobs[0].matrix_file, "%s", path);
    resolve(&spec);
    break;
  default: {
    nvl_sweep *s = nvl_sweep_load(path, &diags);
    for (size_t p = 0; s && p < nvl_sweep_points(s) && p < 16; p++)
      for (size_t a = 0; a < nvl_sweep_axes(s); a++)
        free(nvl_sweep_axis_value(s, p, a));
    nvl_sweep_free(s);
  }
  }
  nvl_workload_spec_release(&spec);
  nvl_diags_release(&diags);
  close(fd);
  return 0;
}
