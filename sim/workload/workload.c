/*
 * workload: see workload.h.
 */
#include "workload/workload.h"

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "platform/rings.h"
#include "models/tuner.h"
#include "base/units.h"
#include "base/xalloc.h"

static const char *const pattern_names[] = {"none",    "pair",   "bidir", "pairs", "permutation",
                                            "uniform", "incast", "shift", "matrix"};

const char *nvl_pattern_name(nvl_pattern p) { return p <= NVL_PAT_MATRIX ? pattern_names[p] : "?"; }

int nvl_pattern_parse(const char *name, nvl_pattern *out) {
  for (int i = 1; i <= NVL_PAT_MATRIX; i++)
    if (strcmp(name, pattern_names[i]) == 0) {
      *out = (nvl_pattern)i;
      return 0;
    }
  if (strcmp(name, "hotspot") == 0) {
    *out = NVL_PAT_INCAST;
    return 0;
  }
  return -1;
}

int nvl_workload_sizes(uint64_t min, uint64_t max, double factor, uint64_t step, uint64_t **out,
                       size_t *n, char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  if (min == 0 || max < min) {
    snprintf(err, errlen, "sizes must satisfy 0 < min (-b) <= max (-e)");
    return -1;
  }
  if (factor == 0 && step == 0) {
    snprintf(err, errlen, "give a factor (-f) > 1 or a step (-i) > 0");
    return -1;
  }
  if (factor != 0 && !(factor > 1.0)) {
    snprintf(err, errlen, "factor (-f) must be greater than 1");
    return -1;
  }
  size_t cap = 16, cnt = 0;
  uint64_t *v = malloc(cap * sizeof *v);
  for (double s = (double)min; s <= (double)max * (1 + 1e-12);) {
    if (cnt == 100000) {
      free(v);
      snprintf(err, errlen, "more than 100000 sizes in the sweep");
      return -1;
    }
    if (cnt == cap)
      v = realloc(v, (cap *= 2) * sizeof *v);
    v[cnt++] = (uint64_t)s;
    s = factor != 0 ? s * factor : s + (double)step;
  }
  *out = v;
  *n = cnt;
  return 0;
}

void nvl_workload_spec_release(nvl_workload_spec *spec) {
  for (size_t i = 0; i < spec->n_jobs; i++) {
    free(spec->jobs[i].devs);
    free(spec->jobs[i].matrix);
  }
  free(spec->jobs);
  free(spec->sizes);
  memset(spec, 0, sizeof *spec);
}

/* ---------------------------------------------------------------------------------------- */
/* Workload files                                                                            */

static nvl_job *add_job(nvl_workload_spec *spec) {
  spec->jobs = realloc(spec->jobs, (spec->n_jobs + 1) * sizeof *spec->jobs);
  nvl_job *j = &spec->jobs[spec->n_jobs++];
  memset(j, 0, sizeof *j);
  j->algo = NVL_ALGO_AUTO;
  j->proto = -1;
  return j;
}

static bool str_field(json_t *o, const char *key, const char *ptr, char *out, size_t len,
                      nvl_diags *diags) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return false;
  char p[NVL_DIAG_PTR_MAX];
  nvl_ptr_join(p, sizeof p, ptr, key);
  if (!json_is_string(v) || json_string_length(v) >= len) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, p, "expected a string of at most %zu bytes",
                 len - 1);
    return false;
  }
  snprintf(out, len, "%s", json_string_value(v));
  return true;
}

int nvl_workload_load_file(const char *path, nvl_workload_spec *spec, nvl_diags *diags) {
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (je.line <= 0 && je.position == 0)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "%s", je.text);
    else
      nvl_diag_syntax(diags, je.line, je.column, "%s", je.text);
    return -1;
  }
  size_t before = diags->errors;
  json_t *jobs = json_object_get(root, "jobs");
  if (!json_is_object(root) || !json_is_array(jobs) || json_array_size(jobs) == 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, "/jobs",
                 "a workload is an object with a non-empty \"jobs\" array");
    json_decref(root);
    return -1;
  }
  const char *key;
  json_t *val;
  json_object_foreach(root, key, val) if (strcmp(key, "jobs") != 0 && strcmp(key, "note") != 0) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "", key);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%s\"", key);
  }
  size_t i;
  json_t *it;
  json_array_foreach(jobs, i, it) {
    char ptr[NVL_DIAG_PTR_MAX], p[NVL_DIAG_PTR_MAX];
    nvl_ptr_index(ptr, sizeof ptr, "/jobs", i);
    if (!json_is_object(it)) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr, "expected an object");
      continue;
    }
    static const char *const keys[] = {"name", "collective", "pattern", "algo", "ranks",
                                       "size", "shift",      "matrix",  "note", NULL};
    json_object_foreach(it, key, val) {
      bool ok = false;
      for (const char *const *k = keys; *k; k++)
        ok |= strcmp(*k, key) == 0;
      if (!ok) {
        nvl_ptr_join(p, sizeof p, ptr, key);
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_UNKNOWN_KEY, p, "unknown key \"%s\"", key);
      }
    }
    nvl_job *j = add_job(spec);
    snprintf(j->name, sizeof j->name, "job%zu", i);
    str_field(it, "name", ptr, j->name, sizeof j->name, diags);
    char buf[64];
    bool has_coll = str_field(it, "collective", ptr, buf, sizeof buf, diags);
    if (has_coll && nvl_coll_parse(buf, &j->coll) != 0) {
      nvl_ptr_join(p, sizeof p, ptr, "collective");
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown collective \"%s\"", buf);
    }
    bool has_pat = str_field(it, "pattern", ptr, buf, sizeof buf, diags);
    if (has_pat && nvl_pattern_parse(buf, &j->pattern) != 0) {
      nvl_ptr_join(p, sizeof p, ptr, "pattern");
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p, "unknown traffic pattern \"%s\"",
                   buf);
    }
    if (has_coll == has_pat)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr,
                   "a job has exactly one of \"collective\" and \"pattern\"");
    if (str_field(it, "algo", ptr, buf, sizeof buf, diags) && nvl_algo_parse(buf, &j->algo) != 0) {
      nvl_ptr_join(p, sizeof p, ptr, "algo");
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, p,
                   "unknown algorithm \"%s\"; expected ring, tree, nvls or auto", buf);
    }
    str_field(it, "ranks", ptr, j->ranks_sel, sizeof j->ranks_sel, diags);
    str_field(it, "matrix", ptr, j->matrix_file, sizeof j->matrix_file, diags);
    if (str_field(it, "size", ptr, buf, sizeof buf, diags)) {
      double v;
      char e[160];
      nvl_ptr_join(p, sizeof p, ptr, "size");
      if (nvl_units_parse(buf, NVL_QTY_SIZE, &v, e, sizeof e) != 0)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p, "%s", e);
      else
        j->size_bytes = (uint64_t)v;
    } else {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, ptr, "missing required key \"size\"");
    }
    json_t *sh = json_object_get(it, "shift");
    if (sh) {
      if (!json_is_integer(sh) || json_integer_value(sh) < 1 || json_integer_value(sh) > 1000000) {
        nvl_ptr_join(p, sizeof p, ptr, "shift");
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, p,
                     "shift must be a positive integer");
      } else {
        j->shift = (int)json_integer_value(sh);
      }
    }
  }
  json_decref(root);
  return diags->errors > before ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Resolution                                                                                */

int nvl_workload_nvls_host(const nvl_platform *p, const int *devs, int n) {
  int host = -1;
  for (int i = 0; i < n; i++) {
    int h = nvl_platform_nvls_host(p, devs[i]);
    if (h < 0 || (host >= 0 && h != host))
      return -1;
    host = h;
  }
  return host;
}

static int load_matrix(nvl_job *j, nvl_diags *diags) {
  FILE *f = fopen(j->matrix_file, "r");
  if (!f) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot read traffic matrix %s",
                 j->matrix_file);
    return -1;
  }
  int n = j->n;
  j->matrix = calloc((size_t)n * n, sizeof(double));
  char *line = NULL;
  size_t cap = 0;
  int row = 0, lineno = 0, rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n')
      continue;
    if (row >= n) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL,
                   "%s:%d: more than %d rows (one per rank)", j->matrix_file, lineno, n);
      rc = -1;
      break;
    }
    char *p = line;
    for (int col = 0; col < n; col++) {
      char *end;
      double v = strtod(p, &end);
      if (end == p || !isfinite(v) || v < 0 || v != floor(v)) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL,
                     "%s:%d:%d: expected %d whole non-negative byte counts per row", j->matrix_file,
                     lineno, (int)(p - line) + 1, n);
        rc = -1;
        break;
      }
      j->matrix[(size_t)row * n + col] = v;
      p = end;
      while (*p == ' ')
        p++;
      if (col < n - 1) {
        if (*p != ',') {
          nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL,
                       "%s:%d:%d: expected ',' after column %d", j->matrix_file, lineno,
                       (int)(p - line) + 1, col + 1);
          rc = -1;
          break;
        }
        p++;
      }
    }
    row++;
  }
  free(line);
  fclose(f);
  if (rc == 0 && row != n) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL, "%s: %d rows for %d ranks",
                 j->matrix_file, row, n);
    rc = -1;
  }
  return rc;
}

/* The collectives that run as rings (with NCCL's ring pipeline and searched ring orders). */
static bool ring_collective(nvl_coll c) {
  return c == NVL_COLL_ALL_REDUCE || c == NVL_COLL_REDUCE_SCATTER || c == NVL_COLL_ALL_GATHER;
}

int nvl_workload_resolve(nvl_workload_spec *spec, const nvl_design *d, const nvl_platform *p,
                         nvl_diags *diags) {
  size_t before = diags->errors;
  for (size_t k = 0; k < spec->n_jobs; k++) {
    nvl_job *j = &spec->jobs[k];
    char err[256];
    size_t n = 0;
    if (j->ranks_sel[0]) {
      if (nvl_design_select(d, j->ranks_sel, &j->devs, &n, err, sizeof err) != 0) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, NULL, "job %s: %s", j->name, err);
        continue;
      }
    } else { /* every accelerator; in a design without any, every endpoint */
      j->devs = malloc(d->n_devices * sizeof(int));
      for (size_t i = 0; i < d->n_devices; i++)
        if (!d->devices[i].is_switch && nvl_kind_is_accelerator(nvl_device_kind(d, (int)i)))
          j->devs[n++] = (int)i;
      if (n == 0)
        for (size_t i = 0; i < d->n_devices; i++)
          if (!d->devices[i].is_switch)
            j->devs[n++] = (int)i;
    }
    if (j->n_limit > 0) {
      if ((size_t)j->n_limit > n) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "job %s: -g %d asks for more ranks than the %zu selected", j->name, j->n_limit,
                     n);
        continue;
      }
      n = (size_t)j->n_limit;
    }
    j->n = (int)n;
    for (size_t i = 0; i < n; i++)
      if (d->devices[j->devs[i]].is_switch) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, NULL,
                     "job %s: %s is a switch; ranks are endpoints", j->name,
                     d->devices[j->devs[i]].name);
        n = 0;
      }
    if (n < 2) {
      if (n == 1 || j->n == 0)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "job %s: needs at least 2 ranks, has %d", j->name, j->n);
      continue;
    }
    /* Every pair of ranks must be reachable (SimGrid would abort on a missing route), except for
     * ring collectives, which need only a ring order whose every hop is reachable: a mesh with a
     * failed direct link still runs rings around it. */
    nvl_stripe st[NVL_MAX_STRIPES];
    bool ok = true, ring_only = j->pattern == NVL_PAT_NONE && j->algo != NVL_ALGO_TREE &&
                                j->algo != NVL_ALGO_NVLS && ring_collective(j->coll);
    bool ring_checked = false; /* a ring order exists: unreachable pairs do not matter */
    for (int a = 0; a < j->n && ok && !ring_checked; a++)
      for (int b = 0; b < j->n && ok && !ring_checked; b++)
        if (a != b && nvl_platform_stripes(p, j->devs[a], j->devs[b], st) == 0) {
          if (ring_only) {
            int *orders = nvl_xmalloc((size_t)j->n * sizeof(int));
            ring_checked = ok = nvl_rings_find(p, j->devs, j->n, 1, orders) > 0;
            free(orders);
            if (ok)
              continue;
          }
          nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_DISCONNECTED, NULL,
                       "job %s: %s cannot reach %s%s", j->name, d->devices[j->devs[a]].name,
                       d->devices[j->devs[b]].name,
                       ring_only ? ", and no ring order avoids the unreachable pairs" : "");
          ok = false;
        }
    if (!ok)
      continue;
    if (j->pattern == NVL_PAT_NONE) {
      if ((j->algo == NVL_ALGO_TREE || j->algo == NVL_ALGO_NVLS) && j->coll != NVL_COLL_ALL_REDUCE)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "job %s: algorithm %s applies to all_reduce only", j->name,
                     nvl_algo_name(j->algo));
      if (j->algo == NVL_ALGO_NVLS && nvl_workload_nvls_host(p, j->devs, j->n) < 0)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "job %s: nvls needs every rank on one switch tier whose switches all do "
                     "in-switch reduction (NVSwitch gen 3 or 4)",
                     j->name);
    } else if (j->pattern == NVL_PAT_MATRIX) {
      if (!j->matrix_file[0])
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL,
                     "job %s: pattern matrix needs a traffic matrix file (--matrix FILE)", j->name);
      else
        load_matrix(j, diags);
    }
  }
  return diags->errors > before ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Programs                                                                                  */

struct nvl_workload_run {
  const nvl_workload_spec *spec;
  const nvl_design *d;
  const nvl_platform *p;
  size_t n_steps;
  bool pairs_mode;      /* single job, pattern pairs: step = pair x size */
  nvl_algo *algo;       /* [step * n_jobs + job] resolved algorithm */
  nvl_proto *proto;     /* [step * n_jobs + job] protocol (default model) */
  int *gen;             /* per job: NVLink generation of the first rank's fabric links */
  double *bw;           /* per job: its per-direction fabric bandwidth */
  nvl_tuner_comm *comm; /* per job: the communicator as NCCL sees it */
  double *hop_phys;     /* per job: physical latency between its first two ranks */
  int **rings;          /* per job: ring orders of its ring collectives (NULL: not a ring job) */
  int *n_rings;
  uint64_t *bytes;          /* [step * n_jobs + job] operation size */
  int *pair_src, *pair_dst; /* per step in pairs mode */
  double **overhead;        /* per job, per rank (default model) */
  gsl_rng *rng;
  int *pair_devs; /* two devices for pairs mode */
};

static uint64_t job_bytes(const nvl_workload_run *wr, const nvl_job *j, size_t size_idx) {
  if (j->pattern == NVL_PAT_MATRIX) { /* the busiest rank's total */
    double best = 0;
    for (int a = 0; a < j->n; a++) {
      double row = 0;
      for (int b = 0; b < j->n; b++)
        row += j->matrix[(size_t)a * j->n + b];
      if (row > best)
        best = row;
    }
    return (uint64_t)best;
  }
  uint64_t s = j->size_bytes ? j->size_bytes : wr->spec->sizes[size_idx];
  return j->pattern == NVL_PAT_NONE ? nvl_coll_round_size(j->coll, j->n, s) : s;
}

/* Protocol parameters of one job at one size (neutral under the ideal model). */
typedef struct {
  double scale, step_delay, start_delay, host_interval;
  nvl_ring_pipeline ring; /* rings of the default model; zero otherwise */
  int nvls_heads;         /* NVLS: NCCL's head ranks (both models: it is the algorithm) */
  uint64_t nvls_steps;    /* NVLS steps (default model) */
  double nvls_spread;     /* NVLS: seconds the slowest rank lags (default model) */
  double p2p_channel_Bps; /* wire bytes per second of one point-to-point channel */
} proto_params;

static bool is_p2p(const nvl_job *j) {
  return j->pattern != NVL_PAT_NONE || j->coll == NVL_COLL_ALLTOALL || j->coll == NVL_COLL_SENDRECV;
}

/* NVLS as NCCL runs it: its steps, and how long the slowest of n ranks lags after them. A step of
 * one (channel, head) pipeline moves channels x heads x chunk bytes over the heads' links (H + 1
 * shares of H); each rank's time through N steps varies with coefficient `spread` per step, and
 * the operation ends with the slowest of n: about spread x step x sqrt(2 N ln n) later (the
 * expected maximum of n independent Gaussian walks). */
static void nvls_params(proto_params *pp, const nvl_calibration *c, const nvl_tuner_comm *m,
                        uint64_t bytes, double bw_Bps) {
  const nvl_generation *g = nvl_calibration_gen(c, m->generation);
  int h = pp->nvls_heads;
  uint64_t chunk = nvl_tuner_nvls_chunk(c, m, bytes);
  pp->nvls_steps = nvl_tuner_nvls_steps(c, m, bytes);
  double step_bytes = (double)g->nvls_channels * h * (double)chunk;
  if (step_bytes > (double)bytes)
    step_bytes = (double)bytes;
  double t_step = step_bytes * (h + 1.0) / h * pp->scale / bw_Bps;
  pp->nvls_spread =
      m->n > 1 ? g->nvls_spread * t_step * sqrt(2.0 * (double)pp->nvls_steps * log((double)m->n))
               : 0;
}

static proto_params protocol_params(const nvl_workload_run *wr, size_t step, size_t job) {
  proto_params pp = {.scale = 1.0};
  const nvl_calibration *c = nvl_calibration_get();
  size_t nj = wr->spec->n_jobs;
  const nvl_job *j = &wr->spec->jobs[job];
  nvl_algo al = wr->algo[step * nj + job];
  const nvl_tuner_comm *m = &wr->comm[job];
  if (al == NVL_ALGO_NVLS && !is_p2p(j))
    pp.nvls_heads = nvl_tuner_nvls_heads(c, j->n);
  if (wr->spec->model == NVL_MODEL_IDEAL)
    return pp;
  const nvl_generation *g = nvl_calibration_gen(c, wr->gen[job]);
  nvl_proto pr = wr->proto[step * nj + job];
  uint64_t S = wr->bytes[step * nj + job];
  pp.host_interval = c->host_interval_s;
  if (is_p2p(j)) { /* NCCL's P2P: its own efficiency, channels capped at what a block moves */
    pp.scale = 1.0 / (g->p2p_eff * c->payload[pr]);
    pp.start_delay = c->device_launch_s + c->base_s[pr];
    pp.p2p_channel_Bps = c->nccl.p2p_channel_Bps * pp.scale;
    return pp;
  }
  pp.scale = 1.0 / (g->simple_eff * c->payload[pr]);
  if (al == NVL_ALGO_NVLS) {
    pp.scale /= g->nvls_eff;
    pp.start_delay = c->device_launch_s + c->nccl.nvls_latency_s;
    nvls_params(&pp, c, m, S, wr->bw[job]);
    return pp;
  }
  double hop = al == NVL_ALGO_TREE ? c->tree_hop_s[pr] : c->ring_hop_s[pr];
  pp.step_delay =
      hop > wr->hop_phys[job] ? hop - wr->hop_phys[job] : 0; /* NCCL's hop includes the wire */
  pp.start_delay = c->device_launch_s + c->base_s[pr];
  if (al == NVL_ALGO_RING && ring_collective(j->coll)) {
    pp.ring = nvl_calibration_ring(c, wr->gen[job], pr, nvl_tuner_ring_channels(c, m), wr->bw[job]);
    pp.scale = pp.ring.scale;
  }
  return pp;
}

/* Channels of one point-to-point transfer of `bytes` in this job (0: uncapped, ideal model). */
static int p2p_channels(const nvl_workload_run *wr, const nvl_job *j, double bytes) {
  if (wr->spec->model == NVL_MODEL_IDEAL)
    return 0;
  return nvl_tuner_p2p_channels(nvl_calibration_get(), j->n, (uint64_t)bytes);
}

static void pattern_program(nvl_workload_run *wr, const nvl_job *j, uint64_t S, nvl_program *p,
                            const proto_params *pp) {
  int n = j->n;
  double scale = pp->scale, start_delay = pp->start_delay;
  p->channel_Bps = pp->p2p_channel_Bps;
  int *lane = malloc((size_t)n * sizeof(int));
  for (int r = 0; r < n; r++) {
    lane[r] = nvl_program_lane(p, r, -1);
    if (start_delay > 0)
      nvl_program_op(p, lane[r], NVL_OP_DELAY, 0, start_delay);
  }
  int *dst = malloc((size_t)n * sizeof(int));
  for (int r = 0; r < n; r++)
    dst[r] = -1;
  switch (j->pattern) {
  case NVL_PAT_PAIR: dst[0] = 1; break;
  case NVL_PAT_BIDIR: dst[0] = 1, dst[1] = 0; break;
  case NVL_PAT_SHIFT: {
    int k = j->shift ? j->shift % n : n / 2;
    for (int r = 0; r < n && k; r++)
      dst[r] = (r + k) % n;
    break;
  }
  case NVL_PAT_INCAST:
    for (int r = 1; r < n; r++)
      dst[r] = 0;
    break;
  case NVL_PAT_PERMUTATION: {
    /* a random cyclic order is a derangement: order[i] sends to order[i+1] */
    int *order = malloc((size_t)n * sizeof(int));
    for (int r = 0; r < n; r++)
      order[r] = r;
    for (int i = n - 1; i > 0; i--) {
      int k = (int)gsl_rng_uniform_int(wr->rng, (unsigned long)i + 1);
      int t = order[i];
      order[i] = order[k];
      order[k] = t;
    }
    for (int i = 0; i < n; i++)
      dst[order[i]] = order[(i + 1) % n];
    free(order);
    break;
  }
  case NVL_PAT_UNIFORM:
    for (int r = 0; r < n; r++) {
      int k = (int)gsl_rng_uniform_int(wr->rng, (unsigned long)n - 1);
      dst[r] = k >= r ? k + 1 : k;
    }
    break;
  default: break;
  }
  if (j->pattern == NVL_PAT_MATRIX) {
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++)
        if (a != b && j->matrix[(size_t)a * n + b] > 0)
          nvl_program_send(p, lane[a], lane[b], floor(j->matrix[(size_t)a * n + b] * scale),
                           p2p_channels(wr, j, j->matrix[(size_t)a * n + b]));
    for (int b = 0; b < n; b++)
      for (int a = 0; a < n; a++)
        if (a != b && j->matrix[(size_t)a * n + b] > 0)
          nvl_program_op(p, lane[b], NVL_OP_RECV, lane[a], 0);
  } else {
    for (int r = 0; r < n; r++)
      if (dst[r] >= 0)
        nvl_program_send(p, lane[r], lane[dst[r]], floor((double)S * scale),
                         p2p_channels(wr, j, (double)S));
    for (int r = 0; r < n; r++)
      for (int s = 0; s < n; s++)
        if (dst[s] == r)
          nvl_program_op(p, lane[r], NVL_OP_RECV, lane[s], 0);
  }
  free(dst);
  free(lane);
  nvl_program_floor(p, pp->host_interval);
}

static int build(void *ctx, size_t step, size_t job, nvl_program *prog, const int **devs) {
  nvl_workload_run *wr = ctx;
  const nvl_job *j = &wr->spec->jobs[job];
  size_t nj = wr->spec->n_jobs;
  uint64_t S = wr->bytes[step * nj + job];
  proto_params pp = protocol_params(wr, step, job);
  prog->n_ranks = j->n;
  if (wr->pairs_mode) {
    wr->pair_devs[0] = j->devs[wr->pair_src[step]];
    wr->pair_devs[1] = j->devs[wr->pair_dst[step]];
    *devs = wr->pair_devs;
    prog->n_ranks = 2;
    prog->channel_Bps = pp.p2p_channel_Bps;
    int a = nvl_program_lane(prog, 0, -1), b = nvl_program_lane(prog, 1, -1);
    if (pp.start_delay > 0)
      nvl_program_op(prog, a, NVL_OP_DELAY, 0, pp.start_delay);
    nvl_program_send(prog, a, b, floor((double)S * pp.scale), p2p_channels(wr, j, (double)S));
    nvl_program_op(prog, b, NVL_OP_RECV, a, 0);
    nvl_program_floor(prog, pp.host_interval);
    return 0;
  }
  *devs = j->devs;
  if (j->pattern != NVL_PAT_NONE) {
    pattern_program(wr, j, S, prog, &pp);
    return 0;
  }
  double per_peer = j->coll == NVL_COLL_ALLTOALL ? (double)S / j->n : (double)S;
  nvl_coll_spec cs = {.coll = j->coll,
                      .algo = wr->algo[step * nj + job],
                      .n = j->n,
                      .bytes = S,
                      .chunk_bytes = wr->spec->chunk_bytes,
                      .nvls_host = nvl_workload_nvls_host(wr->p, j->devs, j->n),
                      .nvls_heads = pp.nvls_heads,
                      .nvls_steps = pp.nvls_steps,
                      .nvls_spread_s = pp.nvls_spread,
                      .p2p_channels = is_p2p(j) ? p2p_channels(wr, j, per_peer) : 0,
                      .p2p_channel_Bps = pp.p2p_channel_Bps,
                      .host_interval_s = pp.host_interval,
                      .overhead_s = wr->overhead[job],
                      .byte_scale = pp.scale,
                      .step_delay_s = pp.step_delay,
                      .start_delay_s = pp.start_delay,
                      .ring_channels = pp.ring.channels,
                      .ring_chunk_bytes = pp.ring.chunk,
                      .ring_slices = pp.ring.slices,
                      .slice_delay_s = pp.ring.slice_s,
                      .ring_orders = wr->rings[job],
                      .n_ring_orders = wr->n_rings[job]};
  return nvl_coll_build(&cs, prog);
}

/* Per-direction fabric bandwidth of an endpoint type (NVLink links, not C2C) and the NVLink
 * generation carrying most of it. */
static void fabric_of(const nvl_design *d, int dev, double *bw, int *gen, double *nccl_Bps) {
  const nvl_endpoint_type *t = &d->endpoint_types[d->devices[dev].type];
  const nvl_calibration *c = nvl_calibration_get();
  double best = 0;
  *bw = 0;
  *gen = 0;
  *nccl_Bps = 0;
  for (size_t lt = 0; lt < d->n_link_types; lt++) {
    const nvl_link_type *l = &d->link_types[lt];
    double b = t->ports[lt] * l->bw_Bps;
    if (b <= 0 || l->generation < 1)
      continue;
    *bw += b;
    *nccl_Bps += t->ports[lt] * nvl_calibration_gen(c, l->generation)->nccl_link_Bps;
    if (b > best)
      best = b, *gen = l->generation;
  }
  if (*nccl_Bps <= 0) /* no NVLink ports: NCCL's share of line rate, as for NVLink */
    *nccl_Bps = 0.8 * *bw;
  if (*bw <= 0) { /* no NVLink ports (a CPU on C2C): use whatever it has */
    for (size_t lt = 0; lt < d->n_link_types; lt++)
      *bw += t->ports[lt] * d->link_types[lt].bw_Bps;
    *nccl_Bps = 0.8 * *bw;
  }
}

static void reset_rng(void *ctx) {
  nvl_workload_run *wr = ctx;
  gsl_rng_set(wr->rng, wr->spec->seed);
}

nvl_workload_run *nvl_workload_run_new(const nvl_workload_spec *spec, const nvl_design *d,
                                       const nvl_platform *p, nvl_workload *out) {
  nvl_workload_run *wr = calloc(1, sizeof *wr);
  wr->spec = spec;
  wr->d = d;
  wr->p = p;
  size_t nj = spec->n_jobs;
  bool fixed = true;
  /* a matrix carries its own byte counts: it runs once, whatever the sweep sizes */
  for (size_t k = 0; k < nj; k++)
    fixed &= spec->jobs[k].size_bytes > 0 || spec->jobs[k].pattern == NVL_PAT_MATRIX;
  size_t n_sizes = fixed ? 1 : spec->n_sizes;
  wr->pairs_mode = nj == 1 && spec->jobs[0].pattern == NVL_PAT_PAIRS;
  size_t n_pairs = wr->pairs_mode ? (size_t)spec->jobs[0].n * (spec->jobs[0].n - 1) : 1;
  wr->n_steps = n_sizes * n_pairs;
  wr->algo = calloc(wr->n_steps * nj, sizeof *wr->algo);
  wr->bytes = calloc(wr->n_steps * nj, sizeof *wr->bytes);
  wr->proto = calloc(wr->n_steps * nj, sizeof *wr->proto);
  wr->gen = calloc(nj, sizeof(int));
  wr->bw = calloc(nj, sizeof(double));
  wr->hop_phys = calloc(nj, sizeof(double));
  wr->comm = calloc(nj, sizeof *wr->comm);
  for (size_t k = 0; k < nj; k++) {
    const nvl_job *j = &spec->jobs[k];
    fabric_of(d, j->devs[0], &wr->bw[k], &wr->gen[k], &wr->comm[k].nvlink_Bps);
    wr->comm[k].n = j->n;
    wr->comm[k].generation = wr->gen[k];
    wr->comm[k].nvls = nvl_workload_nvls_host(p, j->devs, j->n) >= 0;
    nvl_stripe st[NVL_MAX_STRIPES];
    if (j->n >= 2 && nvl_platform_stripes(p, j->devs[0], j->devs[1], st) > 0)
      wr->hop_phys[k] = nvl_platform_route_latency(p, st[0].from_host, st[0].to_host);
  }
  /* ring orders: one per job, whatever the size (the search depends on the fabric only) */
  wr->rings = calloc(nj, sizeof *wr->rings);
  wr->n_rings = calloc(nj, sizeof *wr->n_rings);
  for (size_t k = 0; k < nj; k++) {
    const nvl_job *j = &spec->jobs[k];
    if (j->pattern != NVL_PAT_NONE || !ring_collective(j->coll) || j->n < 3)
      continue;
    int channels = nvl_tuner_ring_channels(nvl_calibration_get(), &wr->comm[k]);
    wr->rings[k] = nvl_xmalloc((size_t)channels * (size_t)j->n * sizeof(int));
    wr->n_rings[k] = nvl_rings_find(p, j->devs, j->n, channels, wr->rings[k]);
  }
  wr->pair_src = calloc(wr->n_steps, sizeof(int));
  wr->pair_dst = calloc(wr->n_steps, sizeof(int));
  wr->pair_devs = calloc(2, sizeof(int));
  for (size_t s = 0; s < wr->n_steps; s++) {
    size_t size_idx = s % n_sizes, pair = s / n_sizes;
    if (wr->pairs_mode) {
      int n = spec->jobs[0].n, a = (int)(pair / (size_t)(n - 1)), b = (int)(pair % (size_t)(n - 1));
      wr->pair_src[s] = a;
      wr->pair_dst[s] = b >= a ? b + 1 : b;
    }
    for (size_t k = 0; k < nj; k++) {
      const nvl_job *j = &spec->jobs[k];
      uint64_t S = job_bytes(wr, j, size_idx);
      wr->bytes[s * nj + k] = S;
      const nvl_calibration *cal = nvl_calibration_get();
      nvl_algo al = j->pattern != NVL_PAT_NONE ? NVL_ALGO_RING
                    : j->algo == NVL_ALGO_AUTO ? nvl_tuner_algo(cal, &wr->comm[k], j->coll, S)
                                               : j->algo;
      wr->algo[s * nj + k] = al;
      nvl_proto pr;
      if (j->proto >= 0 && al != NVL_ALGO_NVLS)
        pr = (nvl_proto)j->proto;
      else if (j->pattern != NVL_PAT_NONE)
        pr = nvl_tuner_p2p_proto(cal, j->n, S);
      else
        pr = nvl_tuner_proto(cal, &wr->comm[k], j->coll, al, S);
      wr->proto[s * nj + k] = pr;
    }
  }
  wr->overhead = calloc(nj, sizeof *wr->overhead);
  if (spec->model != NVL_MODEL_IDEAL)
    for (size_t k = 0; k < nj; k++) {
      const nvl_job *j = &spec->jobs[k];
      wr->overhead[k] = calloc((size_t)j->n, sizeof(double));
      for (int r = 0; r < j->n; r++)
        wr->overhead[k][r] = d->endpoint_types[d->devices[j->devs[r]].type].op_overhead_s;
    }
  wr->rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(wr->rng, spec->seed);
  memset(out, 0, sizeof *out);
  out->reset = reset_rng;
  out->n_steps = wr->n_steps;
  out->n_jobs = nj;
  out->build = build;
  out->ctx = wr;
  for (size_t k = 0; k < nj; k++)
    out->record_flows |= spec->jobs[k].pattern != NVL_PAT_NONE;
  return wr;
}

void nvl_workload_run_free(nvl_workload_run *wr) {
  if (!wr)
    return;
  for (size_t k = 0; k < wr->spec->n_jobs; k++)
    free(wr->overhead[k]);
  free(wr->overhead);
  free(wr->algo);
  free(wr->proto);
  free(wr->gen);
  free(wr->bw);
  free(wr->comm);
  free(wr->hop_phys);
  for (size_t k = 0; wr->rings && k < wr->spec->n_jobs; k++)
    free(wr->rings[k]);
  free(wr->rings);
  free(wr->n_rings);
  free(wr->bytes);
  free(wr->pair_src);
  free(wr->pair_dst);
  free(wr->pair_devs);
  gsl_rng_free(wr->rng);
  free(wr);
}

void nvl_workload_rows(const nvl_workload_run *wr, const nvl_engine_result *res,
                       nvl_results *rows) {
  const nvl_workload_spec *spec = wr->spec;
  size_t nj = spec->n_jobs;
  double *ft = malloc((res->n_flows + 1) * sizeof(double));
  for (size_t s = 0; s < wr->n_steps; s++)
    for (size_t k = 0; k < nj; k++) {
      const nvl_job *j = &spec->jobs[k];
      nvl_result_row *r = nvl_results_add(rows);
      snprintf(r->design, sizeof r->design, "%s", wr->d->name);
      if (nj > 1)
        snprintf(r->job, sizeof r->job, "%s", j->name);
      if (wr->pairs_mode)
        snprintf(r->pair, sizeof r->pair, "%s->%s", wr->d->devices[j->devs[wr->pair_src[s]]].name,
                 wr->d->devices[j->devs[wr->pair_dst[s]]].name);
      bool coll = j->pattern == NVL_PAT_NONE;
      snprintf(r->collective, sizeof r->collective, "%s",
               coll ? nvl_coll_name(j->coll) : nvl_pattern_name(j->pattern));
      bool p2p = coll && (j->coll == NVL_COLL_ALLTOALL || j->coll == NVL_COLL_SENDRECV);
      snprintf(r->algorithm, sizeof r->algorithm, "%s",
               !coll ? "-"
               : p2p ? "p2p"
                     : nvl_algo_name(wr->algo[s * nj + k]));
      snprintf(r->model, sizeof r->model, "%s",
               spec->model == NVL_MODEL_IDEAL ? "ideal" : "default");
      snprintf(r->protocol, sizeof r->protocol, "%s",
               spec->model == NVL_MODEL_IDEAL ? "-" : nvl_proto_name(wr->proto[s * nj + k]));
      r->ranks = wr->pairs_mode ? 2 : j->n;
      r->size_bytes = wr->bytes[s * nj + k];
      r->count = r->size_bytes / 4;
      r->redop = coll && nvl_coll_reduces(j->coll) ? "sum" : "none";
      r->root = coll && (j->coll == NVL_COLL_BROADCAST || j->coll == NVL_COLL_REDUCE) ? 0 : -1;
      double t = res->time_s[s * nj + k];
      r->time_us = t * 1e6;
      r->algbw_GBps = t > 0 ? (double)r->size_bytes / t / 1e9 : 0;
      r->busbw_GBps = r->algbw_GBps * (coll ? nvl_coll_busbw_factor(j->coll, j->n) : 1.0);
      r->seed = spec->seed;
      if (!coll) {
        size_t nf = 0;
        for (size_t f = 0; f < res->n_flows; f++)
          if (res->flows[f].step == s && res->flows[f].job == k)
            ft[nf++] = res->flows[f].time_s;
        if (nf > 0) {
          gsl_sort(ft, 1, nf);
          r->flow_p50_us = gsl_stats_quantile_from_sorted_data(ft, 1, nf, 0.5) * 1e6;
          r->flow_p99_us = gsl_stats_quantile_from_sorted_data(ft, 1, nf, 0.99) * 1e6;
          r->flow_max_us = ft[nf - 1] * 1e6;
          double p50 = gsl_stats_quantile_from_sorted_data(ft, 1, nf, 0.5);
          r->flow_bw_p50_GBps = p50 > 0 ? (double)r->size_bytes / p50 / 1e9 : 0;
        }
      }
    }
  free(ft);
}

int nvl_workload_simulate(const nvl_design *d, nvl_workload_spec *spec, const nvl_simulate_opts *o,
                          nvl_results *rows, nvl_diags *diags) {
  int rc = -1;
  nvl_platform_opts po = {.model = spec->model, .explicit_planes = o && o->explicit_planes};
  nvl_platform *p = nvl_platform_new(d, &po, diags);
  nvl_workload_run *wr = NULL;
  nvl_engine_result res = {0};
  if (!p || nvl_workload_resolve(spec, d, p, diags) != 0)
    goto out;
  nvl_workload w;
  wr = nvl_workload_run_new(spec, d, p, &w);
  w.sg_cfg = o ? o->sg_cfg : NULL;
  if ((o && o->forked ? nvl_engine_run_forked(p, &w, &res, diags)
                      : nvl_engine_run(p, &w, &res, diags)) != 0)
    goto out;
  nvl_workload_rows(wr, &res, rows);
  rc = 0;
out:
  nvl_engine_result_release(&res);
  nvl_workload_run_free(wr);
  nvl_platform_free(p);
  return rc;
}
