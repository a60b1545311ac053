/*
 * resolve: a spec's jobs against a design and its platform: participants from selectors,
 * reachability (a ring needs only a ring order whose hops are reachable), algorithms that apply,
 * traffic matrices.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/algorithms.h"
#include "base/csv.h"
#include "base/file.h"
#include "base/xalloc.h"
#include "platform/rings.h"
#include "workload/comm.h"
#include "workload/workload.h"

/* A traffic matrix file is at most this large (a 4,096-rank matrix of 12-digit counts fits). */
#define MATRIX_MAX_BYTES (256u << 20)
/* byte counts: per pair, and per row (a rank's whole send, exact as a double) */
#define MATRIX_MAX_PAIR 1125899906842624.0 /* 2^50 */
#define MATRIX_MAX_ROW 9007199254740992.0  /* 2^53 */

/* A whole non-negative byte count, surrounding blanks allowed. */
static bool parse_count(const char *f, double *v) {
  char *end;
  *v = strtod(f, &end);
  while (*end == ' ' || *end == '\t')
    end++;
  return end != f && !*end && isfinite(*v) && *v >= 0 && *v == floor(*v);
}

/* The job's n x n matrix (row = source rank) from a CSV file: one record per rank, n whole byte
 * counts each; records starting with '#' and empty lines are skipped. */
static int load_matrix(nvl_job *j, nvl_diags *diags) {
  char *text;
  size_t len;
  nvl_diags io = NVL_DIAGS_INIT;
  if (nvl_file_read(j->matrix_file, "traffic matrix", MATRIX_MAX_BYTES, &text, &len, &io) != 0) {
    for (size_t k = 0; k < io.count; k++) /* the message names the matrix, not the design */
      nvl_diag_add(diags, io.items[k].severity, io.items[k].code, NULL, "traffic matrix %s: %s",
                   j->matrix_file, io.items[k].message);
    nvl_diags_release(&io);
    return -1;
  }
  int n = j->n, row = 0, rc = 0;
  free(j->matrix);
  j->matrix = nvl_xcalloc((size_t)n * n, sizeof(double));
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int got;
  while (rc == 0 && (got = nvl_csv_read(&r, err, sizeof err)) != 0) {
    if (got < 0) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL, "%s:%d:%d: %s", j->matrix_file,
                   r.line, r.column, err);
      rc = -1;
    } else if ((r.n_fields == 1 && !r.fields[0][0]) || r.fields[0][0] == '#') {
      continue;
    } else if (row >= n) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL,
                   "%s:%d: more than %d rows (one per rank)", j->matrix_file, r.line, n);
      rc = -1;
    } else if (r.n_fields != (size_t)n) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL,
                   "%s:%d: %zu value%s in the row, expected %d (one per rank)", j->matrix_file,
                   r.line, r.n_fields, r.n_fields == 1 ? "" : "s", n);
      rc = -1;
    } else {
      double sum = 0;
      for (int col = 0; col < n && rc == 0; col++) {
        double *v = &j->matrix[(size_t)row * n + col];
        if (!parse_count(r.fields[col], v)) {
          nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SYNTAX, NULL,
                       "%s:%d: column %d: \"%s\" is not a whole non-negative byte count",
                       j->matrix_file, r.line, col + 1, r.fields[col]);
          rc = -1;
        } else if (*v > MATRIX_MAX_PAIR || (sum += *v) > MATRIX_MAX_ROW) {
          nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_QUANTITY, NULL,
                       "%s:%d: column %d: %s bytes: at most 2^50 (1 PiB) per pair and 2^53 per "
                       "row are simulated",
                       j->matrix_file, r.line, col + 1, r.fields[col]);
          rc = -1;
        }
      }
      row++;
    }
  }
  nvl_csv_reader_release(&r);
  free(text);
  if (rc == 0 && row != n) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_SCHEMA, NULL, "%s: %d rows for %d ranks",
                 j->matrix_file, row, n);
    rc = -1;
  }
  return rc;
}

/* The first n of a selection of several endpoint types (-g on a mixed rack): a warning saying
 * which it took. */
static void say_mixed(const nvl_design *d, const nvl_job *j, size_t n, nvl_diags *diags) {
  int t0 = d->devices[j->devs[0]].type, other = -1;
  size_t n0 = 0;
  for (size_t i = 0; i < n; i++) {
    int t = d->devices[j->devs[i]].type;
    n0 += t == t0;
    if (t != t0 && other < 0)
      other = j->devs[i];
  }
  if (other >= 0)
    nvl_diag_add(diags, NVL_SEV_WARNING, NVL_DIAG_REFERENCE, NULL,
                 "job %s: -g %d takes endpoints of more than one type: %zu %s, then %s (%s) "
                 "and %zu other%s (choose them with --ranks)",
                 j->name, j->n_limit, n0, nvl_device_type_name(d, j->devs[0]),
                 d->devices[other].name, nvl_device_type_name(d, other), n - n0 - 1,
                 n - n0 - 1 == 1 ? "" : "s");
}

/* Errors for a forced algorithm the job's collective or ranks cannot take. */
/* Whether SHARP runs between the job's nodes (as many ranks in each, SHARP's trees between
 * them) and, for NVLS, NVLSTree's nodes inside. */
static bool sharp_ok(const nvl_job *j, const nvl_platform *p, bool nvls) {
  int *node = nvl_xmalloc(((size_t)j->n + 1) * sizeof(int)), *leaf, *host, *parent, m;
  int nodes = nvl_workload_nodes(p, j->devs, j->n, node);
  bool ok = (!nvls || nvl_workload_nvlstree_ok(p, j->devs, j->n)) &&
            nvl_comm_even_nodes(node, j->n, nodes) &&
            nvl_comm_sharp_trees(p, j->devs, j->n, node, nodes, &leaf, &host, &parent, &m);
  if (ok)
    free(leaf), free(host), free(parent);
  free(node);
  return ok;
}

static void algo_fits(const nvl_job *j, const nvl_platform *p, bool collnet, nvl_diags *diags) {
  if (j->algo != NVL_ALGO_AUTO && !nvl_algo_runs(j->algo, j->coll)) {
    char colls[160];
    nvl_coll_list(nvl_algorithm_get(j->algo)->colls, colls, sizeof colls);
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "job %s: algorithm %s applies to %s only", j->name, nvl_algo_name(j->algo), colls);
  }
  bool multi = nvl_workload_nodes(p, j->devs, j->n, NULL) > 1;
  if (j->algo == NVL_ALGO_NVLS && !multi && nvl_workload_nvls_host(p, j->devs, j->n) < 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "job %s: nvls needs every rank on one switch tier whose switches all do "
                 "in-switch reduction (NVSwitch gen 3 or 4)",
                 j->name);
  bool cn = j->algo == NVL_ALGO_COLLNET_DIRECT || j->algo == NVL_ALGO_COLLNET_CHAIN;
  if (cn && (!collnet || !sharp_ok(j, p, false)))
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "job %s: %s reduces between nodes in the network (SHARP): %s", j->name,
                 nvl_algo_name(j->algo),
                 !collnet ? "it needs --collnet (NCCL_COLLNET_ENABLE=1)"
                          : "it needs ranks in two or more nodes, as many in each, and every "
                            "rank's NIC under network switches that reduce (SHARP: Quantum-2, "
                            "Quantum-X800) up to a common root");
  if (j->algo == NVL_ALGO_NVLS && multi && (!collnet || !sharp_ok(j, p, true)))
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "job %s: nvls across nodes runs NVLS inside each node and SHARP between them: "
                 "%s",
                 j->name,
                 !collnet ? "it needs --collnet (NCCL_COLLNET_ENABLE=1); without it, nvlstree "
                            "runs NVLS inside each node and a tree between them"
                          : "it needs as many ranks in each node (more than 4) on switches that "
                            "do in-switch reduction, and every rank's NIC under network switches "
                            "that do (SHARP: Quantum-2, Quantum-X800) up to a common root");
  if (j->algo == NVL_ALGO_PAT && nvl_workload_nodes(p, j->devs, j->n, NULL) != j->n)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "job %s: pat needs one rank per node (scale-up domain), as NCCL runs it", j->name);
  if (j->algo == NVL_ALGO_NVLSTREE && !nvl_workload_nvlstree_ok(p, j->devs, j->n))
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                 "job %s: nvlstree needs ranks in two or more nodes (scale-up domains), as "
                 "many in each, and each node's ranks (more than 4) on switches that do "
                 "in-switch reduction",
                 j->name);
}

int nvl_workload_resolve(nvl_workload_spec *spec, const nvl_design *d, const nvl_platform *p,
                         nvl_diags *diags) {
  size_t before = diags->errors;
  for (size_t k = 0; k < spec->n_jobs; k++) {
    nvl_job *j = &spec->jobs[k];
    char err[256];
    size_t n = 0;
    free(j->devs); /* resolving again starts afresh */
    j->devs = NULL;
    if (j->ranks_sel[0]) {
      if (nvl_design_select(d, j->ranks_sel, &j->devs, &n, err, sizeof err) != 0) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, NULL, "job %s: %s", j->name, err);
        continue;
      }
    } else { /* every accelerator; in a design without any, every endpoint */
      j->devs = nvl_xmalloc(d->n_devices * sizeof(int));
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
      say_mixed(d, j, n, diags);
    }
    j->n = (int)n;
    for (size_t i = 0; i < n; i++)
      if (d->devices[j->devs[i]].is_switch) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_REFERENCE, NULL,
                     "job %s: %s is a switch; ranks are endpoints", j->name,
                     d->devices[j->devs[i]].name);
        n = 0;
      }
    if (n < 2 && !(n == 1 && spec->one_rank_ok && j->pattern == NVL_PAT_NONE)) {
      if (n == 1 || j->n == 0)
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                     "job %s: needs at least 2 ranks, has %d%s", j->name, j->n,
                     j->pattern != NVL_PAT_NONE ? " (a traffic pattern moves between ranks)" : "");
      continue;
    }
    /* Every pair of ranks must be reachable (SimGrid would abort on a missing route), except for
     * ring collectives, which need only a ring order whose every hop is reachable: a mesh with a
     * failed direct link still runs rings around it. */
    bool ring_only = j->pattern == NVL_PAT_NONE && nvl_coll_is_ring(j->coll) &&
                     (j->algo == NVL_ALGO_AUTO || j->algo == NVL_ALGO_RING);
    int ua, ub;
    bool ok = nvl_platform_all_reachable(p, j->devs, j->n, &ua, &ub);
    if (!ok && ring_only) {
      int *orders = nvl_xmalloc((size_t)j->n * sizeof(int));
      ok = nvl_rings_find(p, j->devs, j->n, 1, orders) > 0;
      free(orders);
    }
    if (!ok)
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_DISCONNECTED, NULL,
                   "job %s: %s cannot reach %s%s", j->name, d->devices[j->devs[ua]].name,
                   d->devices[j->devs[ub]].name,
                   ring_only ? ", and no ring order avoids the unreachable pairs" : "");
    if (!ok)
      continue;
    if (j->pattern == NVL_PAT_NONE) {
      algo_fits(j, p, spec->collnet, diags);
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
