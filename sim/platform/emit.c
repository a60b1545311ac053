/*
 * emit: the platform in order (hosts, links, then routes) for whoever builds it in SimGrid: the
 * engine's zone (routes computed when asked) or the XML writer (every route).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "platform/internal.h"

static void emit_route(const nvl_platform *p, const nvl_platform_sink *s, void *ctx, int a, int b) {
  int links[64], dirs[64];
  int n = nvl_platform_route(p, a, b, links, dirs, 64);
  if (n > 0)
    s->route(ctx, a, b, links, dirs, n);
}

/* Between an endpoint's first scale-up host and the hosts of a network plane it has no host in
 * (its NIC failed): PXN both ways, as the stripes take them. */
static void pxn_routes(const nvl_platform *p, const nvl_platform_sink *s, void *ctx) {
  size_t nd = p->d->n_devices;
  for (size_t i = 0; i < nd; i++) {
    int h = -1;
    for (int a = p->ph_start[i]; a < p->ph_start[i + 1] && h < 0; a++)
      if (!(p->ph[a].via >= 0))
        h = p->ph[a].host;
    for (size_t pl = 0; h >= 0 && pl < p->n_planes; pl++) {
      bool has = false;
      for (int k = p->ph_start[i]; k < p->ph_start[i + 1]; k++)
        has |= p->ph[k].plane == (int)pl;
      for (size_t j = 0; p->plane_net[pl] && !has && j < nd; j++)
        for (int b = p->ph_start[j]; b < p->ph_start[j + 1]; b++)
          if (i != j && p->ph[b].plane == (int)pl) {
            emit_route(p, s, ctx, h, p->ph[b].host);
            emit_route(p, s, ctx, p->ph[b].host, h);
          }
    }
  }
}

void nvl_platform_emit(const nvl_platform *p, const nvl_platform_sink *s, void *ctx) {
  for (size_t h = 0; h < p->n_hosts; h++)
    s->host(ctx, (int)h, p->host_names[h]);
  for (size_t l = 0; l < p->n_links; l++)
    s->link(ctx, (int)l, &p->links[l]);
  if (!s->route)
    return;
  size_t nd = p->d->n_devices;
  /* plane routes: every pair of hosts of one plane */
  for (size_t pl = 0; pl < p->n_planes; pl++) {
    for (size_t i = 0; i < nd; i++)
      for (int a = p->ph_start[i]; a < p->ph_start[i + 1]; a++) {
        if (p->ph[a].plane != (int)pl)
          continue;
        for (size_t j = 0; j < nd; j++)
          for (int b = p->ph_start[j]; b < p->ph_start[j + 1]; b++)
            if (i != j && p->ph[b].plane == (int)pl)
              emit_route(p, s, ctx, p->ph[a].host, p->ph[b].host);
      }
  }
  pxn_routes(p, s, ctx);
  /* direct links */
  for (size_t i = 0; i < nd; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++)
      if (p->att[j].cls < 0)
        emit_route(p, s, ctx, p->direct_host[i], p->direct_host[p->att[j].peer]);
  /* endpoint <-> in-switch reduction hosts */
  for (size_t i = 0; i < nd; i++)
    for (int j = p->att_start[i]; j < p->att_start[i + 1]; j++) {
      int c = p->att[j].cls;
      if (c < 0 || p->class_nvls_host[c] < 0 || p->att[j].nvls_link < 0)
        continue;
      for (int k = p->ph_start[i]; k < p->ph_start[i + 1]; k++)
        if (p->ph[k].plane == p->class_plane[c]) {
          emit_route(p, s, ctx, p->ph[k].host, p->class_nvls_host[c]);
          emit_route(p, s, ctx, p->class_nvls_host[c], p->ph[k].host);
        }
    }
  /* SHARP engines: with every network host of their plane, and with each other */
  for (size_t c = 0; c < p->n_classes; c++) {
    int e = p->class_nvls_host[c];
    if (p->class_engine_link[c] < 0)
      continue;
    for (size_t h = 0; h < p->n_hosts; h++)
      if (p->host_plane[h] == p->class_plane[c] || (p->host_plane[h] == -3 && (int)h > e)) {
        emit_route(p, s, ctx, (int)h, e);
        emit_route(p, s, ctx, e, (int)h);
      }
  }
}

typedef struct {
  const nvl_platform *p;
  FILE *out;
} xml_ctx;

static void xml_host(void *ctx, int host, const char *name) {
  (void)host;
  fprintf(((xml_ctx *)ctx)->out, "    <host id=\"%s\" speed=\"1Gf\"/>\n", name);
}

static void xml_link(void *ctx, int index, const nvl_plink *k) {
  fprintf(((xml_ctx *)ctx)->out,
          "    <link id=\"l%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
          "sharing_policy=\"%s\"><prop id=\"name\" value=\"%s\"/></link>\n",
          index, k->bw_Bps, k->lat_s, k->fatpipe ? "FATPIPE" : "SPLITDUPLEX", k->name);
}

static void xml_route(void *ctx, int a, int b, const int *links, const int *dirs, int n) {
  xml_ctx *x = ctx;
  fprintf(x->out, "    <route src=\"%s\" dst=\"%s\" symmetrical=\"NO\">", x->p->host_names[a],
          x->p->host_names[b]);
  for (int i = 0; i < n; i++) {
    if (x->p->links[links[i]].fatpipe)
      fprintf(x->out, "<link_ctn id=\"l%d\"/>", links[i]);
    else
      fprintf(x->out, "<link_ctn id=\"l%d\" direction=\"%s\"/>", links[i],
              dirs[i] > 0 ? "UP" : "DOWN");
  }
  fputs("</route>\n", x->out);
}

/* A design name as XML comment text may hold it: letters, digits and plain punctuation kept,
 * anything else (markup, quotes, controls, bytes past ASCII) and a '-' after a '-' as '_' (a
 * comment may not contain "--" nor end with '-'). */
static void comment_text(const char *in, char *out, size_t len) {
  size_t j = 0;
  for (const char *c = in; *c && j + 2 < len; c++) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr(" _.,:;/+()[]=", *c) || (*c == '-' && (j == 0 || out[j - 1] != '-'));
    out[j++] = ok ? *c : '_';
  }
  if (j > 0 && out[j - 1] == '-')
    out[j - 1] = '_';
  out[j] = '\0';
}

int nvl_platform_write_xml(const nvl_platform *p, FILE *out) {
  char name[2 * NVL_NAME_MAX + 1];
  comment_text(p->d->name, name, sizeof name);
  fprintf(out,
          "<?xml version='1.0'?>\n"
          "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
          "<!-- nvlsim platform of design %s: %zu switch classes, %zu planes -->\n"
          "<platform version=\"4.1\">\n  <zone id=\"nvlsim\" routing=\"Full\">\n",
          name, p->n_classes, p->n_planes);
  static const nvl_platform_sink xml = {xml_host, xml_link, xml_route};
  xml_ctx x = {p, out};
  nvl_platform_emit(p, &xml, &x);
  fputs("  </zone>\n</platform>\n", out);
  return ferror(out) ? -1 : 0;
}
