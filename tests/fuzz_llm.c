/*
 * libFuzzer target: the LLM inputs (tools/fuzz.sh). The first byte picks the kind (byte mod 3):
 *   0  a model description and a layout: 12 bytes of layout (mode, tp, ep, pp, dp, batch, seq,
 *      micro-batches, ZeRO, sequence parallelism with the reader and cp and vp in its bits,
 *      skew, redundant experts), then the model's JSON; the model is read as `--llm FILE` (or,
 *      with bit 1 of byte 9, `--llm hf:FILE`: a Hugging Face config) reads it and its step
 *      built on the HGX H100 board
 *      (8 GPUs) as `nvlsim llm` builds it: layout, memory, operations (simulating it is the
 *      engine's part);
 *   1  a table of `validate-model --llm`, read with every row's ask (no simulation);
 *   2  an operation table (`validate-model --ops`, a design's compute.profile), and the same text
 *      read as a measurement table of `validate-model`: header, rows, plain decimals.
 * Seeds: tests/fuzz/llm/.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/units.h"
#include "cli/llm_sim.h"
#include "cli/validate_llm.h"
#include "design/design.h"
#include "models/profile.h"

#include "nvl_ctx.h"

static nvl_design *board;

/* The layout from 12 bytes (0 is a size's default, as an option left out). */
static nvl_llm_ask layout(const uint8_t *b) {
  nvl_llm_ask a = NVL_LLM_ASK_INIT;
  a.mode = (nvl_llm_mode)(b[0] % 3);
  a.tp = b[1] % 5 ? 1u << (b[1] % 5 - 1) : 0;
  a.ep = b[2] % 5 ? 1u << (b[2] % 5 - 1) : 0;
  a.pp = b[3] % 4 ? 1u << (b[3] % 4 - 1) : 0;
  a.dp = b[4] % 3 ? 1u << (b[4] % 3 - 1) : 0;
  a.batch = b[5] % 65;
  a.seq = (size_t)(b[6] % 9) * 256;
  a.microbatches = b[7] % 5;
  a.zero = b[8] % 3 == 2 ? 3 : b[8] % 3;
  a.sp = b[9] & 1;
  a.cp = (b[9] >> 2) % 3 ? 1u << ((b[9] >> 2) % 3 - 1) : 0;
  a.vp = (b[9] >> 4) % 3;
  a.skew = (double)(b[10] % 11);
  a.redundant = b[11] % 9;
  return a;
}

static void model_and_layout(const uint8_t *data, size_t size) {
  if (size < 12)
    return;
  int fd = memfd_create("model", 0); /* a regular file, as nvlsim's readers require */
  if (fd < 0 || write(fd, data + 12, size - 12) != (ssize_t)(size - 12))
    abort();
  char path[64];
  snprintf(path, sizeof path, "%s/proc/self/fd/%d", data[9] & 2 ? "hf:" : "", fd);
  nvl_llm m;
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_llm_load(path, &m, &diags) == 0) {
    nvl_llm_ask a = layout(data);
    char err[160];
    if (nvl_llm_ask_check(&a, err, sizeof err) == 0) {
      nvl_llm_sim x;
      (void)nvl_llm_build(board, &m, &a, nvl_test_ctx(), &x, &diags);
      nvl_llm_sim_release(&x);
    }
  }
  nvl_diags_release(&diags);
  close(fd);
}

/* A measurement table as validate-model reads one: its header, then rows of that width whose
 * numbers are plain decimals. */
static void measurement_table(const char *text, size_t len) {
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int got = nvl_csv_header(&r, err, sizeof err);
  while (got > 0 && (got = nvl_csv_read(&r, err, sizeof err)) > 0)
    for (size_t i = 0; i < r.n_fields; i++) {
      double v;
      (void)nvl_parse_decimal(r.fields[i], &v);
    }
  nvl_csv_reader_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (!board) {
    nvl_diags diags = NVL_DIAGS_INIT;
    if (nvl_design_load("builtin:hgx-h100", NULL, &board, &diags) != NVL_LOAD_OK)
      abort();
    nvl_diags_release(&diags);
  }
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 3) {
  case 0: model_and_layout(data + 1, size - 1); break;
  case 1: (void)nvl_validate_llm_read(text, len); break;
  default: {
    nvl_profile p;
    char err[320];
    if (nvl_profile_parse(&p, "fuzz", text, len, err, sizeof err) == 0)
      nvl_profile_release(&p);
    measurement_table(text, len);
  }
  }
  return 0;
}
