/*
 * cmd_route: `nvlsim route [DESIGN] A B`: how the platform carries one transfer from endpoint A
 * to endpoint B. A transfer is split into stripes, one per plane both endpoints reach (or their
 * direct link), in proportion to capacity (platform.h); each stripe follows one route of logical
 * links (a merged class of switch chips is one logical switch, its links the summed physical
 * ones). Printed per stripe: its share of the bytes, its hosts, every hop (link, kind, direction,
 * physical links, bandwidth, latency), its latency and bottleneck; then what the transfer gets
 * alone on the fabric: the latency of its slowest stripe and the rate min(bottleneck / share).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/builtin.h"
#include "base/json.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "platform/platform.h"

typedef struct {
  bool json, explicit_planes, ecmp;
  unsigned long seed;
  nvl_model model;
  size_t max_endpoints;
  nvl_cli_failures fail;
} route_opts;

#define O(kind, s, l, arg, field, help) NVL_OPT_(kind, s, l, arg, route_opts, field, help)
#define C(s, l, arg, field, fn, help) NVL_OPT_CALL_(s, l, arg, route_opts, field, fn, help)
static const nvl_option options[] = {
    O(NVL_OPT_FLAG, 0, "json", NULL, json, "print the stripes and hops as JSON"),
    C('m', "model", "NAME", model, nvl_arg_model, "default or ideal (link latencies differ)"),
    O(NVL_OPT_FLAG, 0, "explicit-planes", NULL, explicit_planes,
      "every switch chip its own class (no merging), as run --explicit-planes"),
    O(NVL_OPT_FLAG, 0, "ecmp", NULL, ecmp,
      "each hop picks one of its equal-cost next switches by a hash\nof the route's ends and "
      "--seed (ECMP), as run --ecmp"),
    C(0, "seed", "N", seed, nvl_arg_seed, "the ECMP hash's seed (default 1)"),
    O(NVL_OPT_COUNT, 0, "max-endpoints", "N", max_endpoints,
      "refuse designs with more than N devices (default 100000)"),
    NVL_OPT_FAILURES_(route_opts, fail),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};
#undef O
#undef C

const nvl_cmd_doc nvl_doc_route = {
    "route", "nvlsim route [options] [DESIGN] A B",
    "Shows how one transfer from endpoint A to endpoint B is carried: its stripes (one per\n"
    "plane both reach, or their direct link, weighted by capacity), each stripe's route hop by\n"
    "hop (logical link, kind, direction, physical links, bandwidth, latency), and what the\n"
    "transfer gets alone on the fabric. Without DESIGN, the built-in GB200 NVL72.\n"
    "Examples:\n"
    "  nvlsim route builtin:nvl576 gpu0 gpu100\n",
    options, NULL};

typedef struct {
  int links[256], dirs[256], n;
  double lat_s, bottleneck_Bps;
} stripe_route;

static void trace_stripe(const nvl_platform *p, const nvl_stripe *s, stripe_route *r) {
  r->n = nvl_platform_route(p, s->from_host, s->to_host, r->links, r->dirs, 256);
  r->lat_s = 0;
  r->bottleneck_Bps = 0;
  for (int h = 0; h < r->n; h++) {
    const nvl_plink *k = nvl_platform_link(p, r->links[h]);
    r->lat_s += k->lat_s;
    if (!k->fatpipe && (r->bottleneck_Bps == 0 || k->bw_Bps < r->bottleneck_Bps))
      r->bottleneck_Bps = k->bw_Bps;
  }
}

static void print_text(const nvl_platform *p, const char *label, const char *a, const char *b,
                       const nvl_stripe *st, const stripe_route *r, int ns, double rate,
                       double lat) {
  printf("# nvlsim route: design %s, %s -> %s, %d stripe%s\n", label, a, b, ns, ns == 1 ? "" : "s");
  for (int s = 0; s < ns; s++) {
    printf("#\n# stripe %d: %.2f %% of the bytes, %s -> %s, %d link%s, latency %.3f us, "
           "bottleneck %.3f GB/s\n",
           s + 1, st[s].weight * 100, nvl_platform_host_name(p, st[s].from_host),
           nvl_platform_host_name(p, st[s].to_host), r[s].n, r[s].n == 1 ? "" : "s",
           r[s].lat_s * 1e6, r[s].bottleneck_Bps / 1e9);
    printf("#  hop  %-40s %-6s %-4s %8s %14s %12s\n", "link", "kind", "dir", "physical",
           "bw (GB/s)", "latency (us)");
    for (int h = 0; h < r[s].n; h++) {
      const nvl_plink *k = nvl_platform_link(p, r[s].links[h]);
      printf("   %3d  %-40s %-6s %-4s %8d %14.3f %12.3f\n", h + 1, k->name, k->kind,
             r[s].dirs[h] > 0 ? "up" : "down", k->physical, k->fatpipe ? 0 : k->bw_Bps / 1e9,
             k->lat_s * 1e6);
    }
  }
  printf("#\n# alone on the fabric: latency %.3f us (slowest stripe), up to %.3f GB/s\n", lat * 1e6,
         rate / 1e9);
}

static void print_json(const nvl_platform *p, const char *label, const char *a, const char *b,
                       const nvl_stripe *st, const stripe_route *r, int ns, double rate,
                       double lat) {
  json_t *o = json_object(), *stripes = json_array();
  json_object_set_new(o, "design", nvl_json_text(label));
  json_object_set_new(o, "from", nvl_json_text(a));
  json_object_set_new(o, "to", nvl_json_text(b));
  for (int s = 0; s < ns; s++) {
    json_t *js = json_object(), *hops = json_array();
    json_object_set_new(js, "share", json_real(st[s].weight));
    json_object_set_new(js, "from_host", nvl_json_text(nvl_platform_host_name(p, st[s].from_host)));
    json_object_set_new(js, "to_host", nvl_json_text(nvl_platform_host_name(p, st[s].to_host)));
    json_object_set_new(js, "latency_us", json_real(r[s].lat_s * 1e6));
    json_object_set_new(js, "bottleneck_GBps", json_real(r[s].bottleneck_Bps / 1e9));
    for (int h = 0; h < r[s].n; h++) {
      const nvl_plink *k = nvl_platform_link(p, r[s].links[h]);
      json_t *jh = json_object();
      json_object_set_new(jh, "link", nvl_json_text(k->name));
      json_object_set_new(jh, "kind", json_string(k->kind));
      json_object_set_new(jh, "direction", json_string(r[s].dirs[h] > 0 ? "up" : "down"));
      json_object_set_new(jh, "physical_links", json_integer(k->physical));
      json_object_set_new(jh, "bandwidth_GBps",
                          k->fatpipe ? json_null() : json_real(k->bw_Bps / 1e9));
      json_object_set_new(jh, "latency_us", json_real(k->lat_s * 1e6));
      json_array_append_new(hops, jh);
    }
    json_object_set_new(js, "hops", hops);
    json_array_append_new(stripes, js);
  }
  json_object_set_new(o, "stripes", stripes);
  json_object_set_new(o, "latency_us", json_real(lat * 1e6));
  json_object_set_new(o, "rate_GBps", json_real(rate / 1e9));
  json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
  putchar('\n');
  json_decref(o);
}

/* An endpoint by name: a device of the design that is not a switch. Returns its index or -1. */
static int endpoint(const nvl_design *d, const char *name, const char *label) {
  int i = nvl_design_find_device(d, name);
  if (i < 0)
    fprintf(stderr, "error: %s: no device \"%s\" (names as in the design: gpu0, cpu3, ...)\n",
            label, name);
  else if (d->devices[i].is_switch)
    fprintf(stderr, "error: %s: \"%s\" is a switch; a route joins two endpoints\n", label, name);
  return i >= 0 && !d->devices[i].is_switch ? i : -1;
}

static int route(const route_opts *o, const char *file, const char *a, const char *b) {
  const char *label = file ? file : NVL_DEFAULT_DESIGN_NAME;
  nvl_load_opts lo = {.max_endpoints = o->max_endpoints,
                      .failures = o->fail.n ? o->fail.specs : NULL};
  nvl_design *d;
  int rc = nvl_cli_load(file, &lo, false, &d);
  if (rc != NVL_EXIT_OK)
    return rc;
  int ia = endpoint(d, a, label), ib = ia >= 0 ? endpoint(d, b, label) : -1;
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_platform_opts po = {.model = o->model,
                          .explicit_planes = o->explicit_planes,
                          .ecmp = o->ecmp,
                          .ecmp_seed = o->seed};
  nvl_platform *p = ib >= 0 ? nvl_platform_new(d, &po, &diags) : NULL;
  nvl_stripe st[NVL_MAX_STRIPES];
  static stripe_route r[NVL_MAX_STRIPES];
  int ns = p && ia != ib ? nvl_platform_stripes(p, ia, ib, st) : 0;
  if (ib >= 0 && !p) {
    nvl_cli_print_diags(&diags, label, stderr);
  } else if (p && ia == ib) {
    fprintf(stderr, "error: %s: %s to itself is not a transfer on the fabric\n", label, a);
  } else if (p && ns == 0) {
    fprintf(stderr, "error: %s: %s cannot reach %s (no plane both reach, no direct link)\n", label,
            a, b);
  }
  rc = ns > 0 ? NVL_EXIT_OK : NVL_EXIT_FAIL;
  double rate = 0, lat = 0;
  for (int s = 0; s < ns; s++) {
    trace_stripe(p, &st[s], &r[s]);
    double rs = st[s].weight > 0 ? r[s].bottleneck_Bps / st[s].weight : 0;
    rate = s == 0 || rs < rate ? rs : rate;
    lat = r[s].lat_s > lat ? r[s].lat_s : lat;
  }
  if (ns > 0 && o->json)
    print_json(p, label, a, b, st, r, ns, rate, lat);
  else if (ns > 0)
    print_text(p, label, a, b, st, r, ns, rate, lat);
  nvl_platform_free(p);
  nvl_design_free(d);
  nvl_diags_release(&diags);
  return rc;
}

int nvl_cmd_route(const nvl_model_ctx *ctx, int argc, char **argv) {
  (void)ctx; /* needs no model */
  route_opts o = {.model = NVL_MODEL_DEFAULT, .seed = 1};
  char *operands[3];
  int n = 0, status;
  if (!nvl_options_accept(&nvl_doc_route, argc, argv, &o, operands, 3, &n, &status))
    return status;
  if (n < 2)
    return nvl_cli_usage_error("route", "two endpoints: nvlsim route [DESIGN] A B");
  return route(&o, n == 3 ? operands[0] : NULL, operands[n - 2], operands[n - 1]);
}
