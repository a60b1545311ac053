/*
 * cmd_info: `nvlsim info [FILE]`, the figures an architect asks for first (see analysis.h).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/analysis.h"
#include "base/builtin.h"
#include "base/json.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/commands.h"
#include "graph/graph.h"
#include "output/results.h"
#include "base/units.h"

/* Device counts grouped by (kind, vendor, type), in order of first appearance. */
typedef struct {
  nvl_kind kind;
  const char *vendor, *type;
  size_t count;
} device_row;

static size_t device_rows(const nvl_design *d, device_row *rows, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < d->n_devices; i++) {
    nvl_kind k = nvl_device_kind(d, (int)i);
    const char *vendor =
        d->devices[i].is_switch ? "NVIDIA" : d->endpoint_types[d->devices[i].type].vendor;
    const char *type = nvl_device_type_name(d, (int)i);
    size_t r = 0;
    while (r < n && !(rows[r].kind == k && strcmp(rows[r].type, type) == 0))
      r++;
    if (r == n) {
      if (n == max)
        continue;
      rows[n++] = (device_row){k, vendor, type, 0};
    }
    rows[r].count++;
  }
  return n;
}

static void link_counts(const nvl_design *d, size_t *per_type) {
  memset(per_type, 0, d->n_link_types * sizeof *per_type);
  for (size_t k = 0; k < d->n_links; k++)
    per_type[d->links[k].type] += (size_t)d->links[k].count;
}

/* "(-5.6 % with failures)" when a baseline exists and the figure moved. */
static void delta(char *buf, size_t len, double now, double before, const nvl_analysis *base) {
  buf[0] = '\0';
  if (base && before > 0 && fabs(now - before) >= 5e-4 * before)
    snprintf(buf, len, " (%+.1f %% with failures)", (now - before) / before * 100);
}

static void print_text(const nvl_design *d, const nvl_graph *g, const nvl_analysis *a,
                       const nvl_analysis *base) {
  char dl[64];
  const char *who = nvl_graph_has_accelerators(g) ? "accelerator" : "endpoint";
  char b1[48], b2[48];
  printf("design       %s (%s)\n", d->name, d->file);
  for (size_t f = 0; f < d->n_failures; f++)
    printf("%-12s %s (%d link%s)\n", f == 0 ? "failures" : "", d->failures[f].what,
           d->failures[f].links, d->failures[f].links == 1 ? "" : "s");
  device_row rows[64];
  size_t nr = device_rows(d, rows, 64);
  for (size_t r = 0; r < nr; r++)
    printf("%-12s %zu x %s (%s, %s)\n", r == 0 ? "devices" : "", rows[r].count,
           nvl_kind_name(rows[r].kind), rows[r].type, rows[r].vendor);
  size_t per_type[NVL_MAX_LINK_TYPES];
  link_counts(d, per_type);
  bool first = true;
  for (size_t t = 0; t < d->n_link_types; t++) {
    if (!per_type[t])
      continue;
    nvl_units_fmt_bw(d->link_types[t].bw_Bps, b1, sizeof b1);
    printf("%-12s %zu x %s (%s per direction)\n", first ? "links" : "", per_type[t],
           d->link_types[t].name, b1);
    first = false;
  }
  if (a->participants) {
    nvl_units_fmt_bw(a->inject_min_Bps, b1, sizeof b1);
    nvl_units_fmt_bw(a->inject_max_Bps, b2, sizeof b2);
    delta(dl, sizeof dl, a->inject_min_Bps, base ? base->inject_min_Bps : 0, base);
    if (a->inject_min_Bps == a->inject_max_Bps)
      printf("injection    %s per %s per direction%s\n", b1, who, dl);
    else
      printf("injection    %s to %s per %s per direction (lowest: %s)%s\n", b1, b2, who,
             d->devices[a->inject_min_dev].name, dl);
    double c2c = 0, net_lo = -1, net_hi = 0;
    size_t np;
    const int *parts = nvl_graph_participants(g, &np);
    for (size_t i = 0; i < np; i++) {
      double n = nvl_graph_network_Bps(g, parts[i]);
      if (nvl_graph_c2c_Bps(g, parts[i]) > c2c)
        c2c = nvl_graph_c2c_Bps(g, parts[i]);
      net_lo = net_lo < 0 || n < net_lo ? n : net_lo;
      net_hi = n > net_hi ? n : net_hi;
    }
    if (c2c > 0) {
      nvl_units_fmt_bw(c2c, b1, sizeof b1);
      printf("c2c          %s per accelerator per direction to its CPU\n",
             b1); /* accelerators only */
    }
    if (net_hi > 0) {
      nvl_units_fmt_bw(net_lo, b1, sizeof b1);
      nvl_units_fmt_bw(net_hi, b2, sizeof b2);
      if (net_lo == net_hi)
        printf("network      %s per %s per direction (through its NICs)\n", b1, who);
      else
        printf("network      %s to %s per %s per direction (through its NICs)\n", b1, b2, who);
      size_t lo, hi, nn = nvl_graph_domains(g, &lo, &hi);
      if (lo == hi)
        printf("nodes        %zu scale-up domains of %zu %ss (NCCL's nodes)\n", nn, lo, who);
      else
        printf("nodes        %zu scale-up domains of %zu to %zu %ss (NCCL's nodes)\n", nn, lo, hi,
               who);
    }
    nvl_units_fmt_bw(a->fabric_bidir_Bps, b1, sizeof b1);
    delta(dl, sizeof dl, a->fabric_bidir_Bps, base ? base->fabric_bidir_Bps : 0, base);
    printf("fabric       %s total bidirectional (%zu %ss)%s\n", b1, a->participants, who, dl);
  }
  if (a->has_bisection) {
    nvl_units_fmt_bw(a->bisection.bw_Bps, b1, sizeof b1);
    delta(dl, sizeof dl, a->bisection.bw_Bps, base ? base->bisection.bw_Bps : 0, base);
    printf(
        "bisection    %s per direction (max-flow %s..%s | %s..%s: halves in declaration order)%s\n",
        b1, d->devices[a->bisection.a_first].name, d->devices[a->bisection.a_last].name,
        d->devices[a->bisection.b_first].name, d->devices[a->bisection.b_last].name, dl);
  }
  if (a->oversub.dev >= 0)
    printf("oversub      %.3g:1 at most (%s: %s down per %s up; tiers from the endpoints)\n",
           a->oversub.ratio, d->devices[a->oversub.dev].name,
           (nvl_units_fmt_bw(a->oversub.down_Bps, b1, sizeof b1), b1),
           (nvl_units_fmt_bw(a->oversub.up_Bps, dl, sizeof dl), dl));
  if (a->hops.max_switch_hops >= 0)
    printf("diameter     %d switch hop%s between %ss\n", a->hops.max_switch_hops,
           a->hops.max_switch_hops == 1 ? "" : "s", who);
  if (a->hops.unreachable)
    printf("unreachable  %zu %s pairs (e.g. %s -> %s)\n", a->hops.unreachable, who,
           d->devices[a->hops.first_a].name, d->devices[a->hops.first_b].name);
  if (a->diversity.min_paths >= 0) {
    dl[0] = '\0';
    if (base && base->diversity.min_paths != a->diversity.min_paths)
      snprintf(dl, sizeof dl, " (%d without failures)", base->diversity.min_paths);
    printf("paths        %d link-disjoint paths per %s pair (minimum over %s: %zu class%s of "
           "equivalent pairs)%s\n",
           a->diversity.min_paths, who, a->diversity.sampled ? "a sample" : "all pairs",
           a->diversity.pairs, a->diversity.pairs == 1 ? "" : "es", dl);
  }
}

static void print_json(const nvl_design *d, const nvl_graph *g, const nvl_analysis *a) {
  json_t *o = json_object();
  json_object_set_new(o, "design", nvl_json_text(d->name));
  json_object_set_new(o, "file", nvl_json_text(d->file));
  json_t *fl = json_array();
  for (size_t f = 0; f < d->n_failures; f++)
    json_array_append_new(fl, nvl_json_text(d->failures[f].what));
  json_object_set_new(o, "failures", fl);
  json_t *devs = json_array();
  device_row rows[64];
  size_t nr = device_rows(d, rows, 64);
  for (size_t r = 0; r < nr; r++) {
    json_t *x = json_object();
    json_object_set_new(x, "kind", nvl_json_text(nvl_kind_name(rows[r].kind)));
    json_object_set_new(x, "type", nvl_json_text(rows[r].type));
    json_object_set_new(x, "vendor", nvl_json_text(rows[r].vendor));
    json_object_set_new(x, "count", json_integer((json_int_t)rows[r].count));
    json_array_append_new(devs, x);
  }
  json_object_set_new(o, "devices", devs);
  json_t *links = json_array();
  size_t per_type[NVL_MAX_LINK_TYPES];
  link_counts(d, per_type);
  for (size_t t = 0; t < d->n_link_types; t++) {
    if (!per_type[t])
      continue;
    json_t *x = json_object();
    json_object_set_new(x, "type", nvl_json_text(d->link_types[t].name));
    json_object_set_new(x, "count", json_integer((json_int_t)per_type[t]));
    json_object_set_new(x, "bandwidth_GBps", json_real(d->link_types[t].bw_Bps / 1e9));
    json_array_append_new(links, x);
  }
  json_object_set_new(o, "links", links);
  json_object_set_new(o, "accelerators", json_integer((json_int_t)a->participants));
  json_object_set_new(o, "injection_min_GBps", json_real(a->inject_min_Bps / 1e9));
  json_object_set_new(o, "injection_max_GBps", json_real(a->inject_max_Bps / 1e9));
  json_object_set_new(o, "fabric_bidir_TBps", json_real(a->fabric_bidir_Bps / 1e12));
  size_t np, fewest, most;
  const int *parts = nvl_graph_participants(g, &np);
  double net = 0;
  for (size_t i = 0; i < np; i++)
    net = nvl_graph_network_Bps(g, parts[i]) > net ? nvl_graph_network_Bps(g, parts[i]) : net;
  if (net > 0) { /* designs with a scale-out network: its bandwidth and NCCL's nodes */
    json_object_set_new(o, "network_max_GBps", json_real(net / 1e9));
    json_object_set_new(o, "scaleup_domains",
                        json_integer((json_int_t)nvl_graph_domains(g, &fewest, &most)));
  }
  if (a->has_bisection) {
    json_object_set_new(o, "bisection_TBps", json_real(a->bisection.bw_Bps / 1e12));
    json_object_set_new(o, "bisection_halves",
                        json_sprintf("%s..%s | %s..%s", d->devices[a->bisection.a_first].name,
                                     d->devices[a->bisection.a_last].name,
                                     d->devices[a->bisection.b_first].name,
                                     d->devices[a->bisection.b_last].name));
  }
  json_object_set_new(o, "diameter_switch_hops", json_integer(a->hops.max_switch_hops));
  json_object_set_new(o, "oversubscription_max", json_real(a->oversub.ratio));
  json_object_set_new(o, "unreachable_pairs", json_integer((json_int_t)a->hops.unreachable));
  json_object_set_new(o, "path_diversity_min", json_integer(a->diversity.min_paths));
  json_object_set_new(o, "path_diversity_pair_classes",
                      json_integer((json_int_t)a->diversity.pairs));
  json_object_set_new(o, "path_diversity_sampled", json_boolean(a->diversity.sampled));
  json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
  putchar('\n');
  json_decref(o);
}

typedef struct {
  bool json;
  size_t max_endpoints;
  nvl_cli_failures fail;
} info_opts;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, info_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, info_opts, field, fn, help)
static const nvl_option options[] = {
    O(NVL_OPT_FLAG, 0, "json", NULL, json,
      "print the same figures as JSON (bandwidths in GB/s per direction)"),
    O(NVL_OPT_COUNT, 0, "max-endpoints", "N", max_endpoints,
      "refuse designs with more than N devices (default 100000)"),
    NVL_OPT_FAILURES_(info_opts, fail), NVL_OPT_QUIET_, NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_info = {
    "info", "nvlsim info [options] [FILE]",
    "Prints device counts by kind and vendor, links by type, per-endpoint injection bandwidth,\n"
    "total bidirectional fabric bandwidth, bisection bandwidth (igraph max-flow between the\n"
    "first and second half of the accelerators in declaration order), the diameter in switch\n"
    "hops and the path diversity (link-disjoint paths per accelerator pair). Without FILE,\n"
    "describes the built-in GB200 NVL72. With failures, the figures of the damaged design and\n"
    "what the failures cost against the intact one.\n"
    "Examples:\n"
    "  nvlsim info builtin:nvl576\n"
    "  nvlsim info --json --fail switch:sw4 builtin:gb200-nvl72 > info.json\n",
    options, NULL};

int nvl_cmd_info(const nvl_model_ctx *ctx, int argc, char **argv) {
  (void)ctx; /* needs no model */
  info_opts o = {0};
  char *operands[1];
  int n = 0, status;
  if (!nvl_options_accept(&nvl_doc_info, argc, argv, &o, operands, 1, &n, &status))
    return status;
  const char *file = n ? operands[0] : NULL;
  bool as_json = o.json;
  nvl_load_opts opts = {.max_endpoints = o.max_endpoints,
                        .failures = o.fail.n ? o.fail.specs : NULL};
  nvl_design *d;
  int rc = nvl_cli_load(file, &opts, false, &d);
  if (rc != NVL_EXIT_OK)
    return rc;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_graph *g = nvl_graph_new(d, &diags);
  nvl_analysis a, base_a;
  bool has_base = false;
  if (d->intact) { /* the same design intact, to show what the failures cost */
    nvl_graph *bg = nvl_graph_new(d->intact, &diags);
    has_base = bg && nvl_analysis_run(d->intact, bg, &base_a, &diags) == 0;
    nvl_graph_free(bg);
  }
  if (!g || nvl_analysis_run(d, g, &a, &diags) != 0) {
    nvl_cli_print_diags(&diags, file ? file : NVL_DEFAULT_DESIGN_NAME, stderr);
    rc = NVL_EXIT_FAIL;
  } else if (as_json) {
    print_json(d, g, &a);
  } else {
    print_text(d, g, &a, has_base ? &base_a : NULL);
  }
  nvl_graph_free(g);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}
