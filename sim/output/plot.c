/*
 * plot: see plot.h.
 */
#include "output/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/exit.h"
#include "base/outfile.h"
#include "base/xalloc.h"
#include "output/results.h"

nvl_plot_series *nvl_plot_series_of(nvl_plot *p, const char *name) {
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->s[i].name, name) == 0)
      return &p->s[i];
  if (p->n == NVL_PLOT_MAX_SERIES)
    return NULL;
  nvl_plot_series *s = &p->s[p->n++];
  memset(s, 0, sizeof *s);
  s->name = nvl_xstrdup(name);
  return s;
}

bool nvl_plot_results(nvl_plot *p, const nvl_results *r, const char *prefix) {
  p->xlabel = "size_bytes";
  p->ylabel = "busbw_GBps";
  p->logx = true;
  for (size_t i = 0; i < r->n; i++) {
    const nvl_result_row *row = &r->rows[i];
    if (row->size_bytes == 0 || !isfinite(row->busbw_GBps))
      continue;
    char name[256];
    snprintf(name, sizeof name, "%s%s", prefix, row->job[0] ? row->job : row->collective);
    nvl_plot_series *s = nvl_plot_series_of(p, name);
    if (!s)
      return false;
    nvl_plot_add(s, (double)row->size_bytes, row->busbw_GBps);
  }
  return true;
}

void nvl_plot_add(nvl_plot_series *s, double x, double y) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->x = nvl_xrealloc(s->x, s->cap * sizeof *s->x);
    s->y = nvl_xrealloc(s->y, s->cap * sizeof *s->y);
  }
  s->x[s->n] = x;
  s->y[s->n++] = y;
  s->kept = true;
}

void nvl_plot_release(nvl_plot *p) {
  for (int i = 0; i < p->n; i++) {
    free(p->s[i].name);
    free(p->s[i].x);
    free(p->s[i].y);
  }
  p->n = 0;
}

/* A gnuplot single-quoted string ('' for a quote). */
static void gp_string(FILE *g, const char *s) {
  fputc('\'', g);
  for (; *s; s++) {
    if (*s == '\'')
      fputc('\'', g);
    fputc(*s, g);
  }
  fputc('\'', g);
}

static int cmp_point(const void *a, const void *b) {
  const double *p = a, *q = b;
  return (p[0] > q[0]) - (p[0] < q[0]);
}

/* The points of a series by X (stable for equal X: by Y). */
static void sort_points(nvl_plot_series *s) {
  double *xy = nvl_xmalloc((2 * s->n + 1) * sizeof *xy);
  for (size_t i = 0; i < s->n; i++)
    xy[2 * i] = s->x[i], xy[2 * i + 1] = s->y[i];
  qsort(xy, s->n, 2 * sizeof *xy, cmp_point);
  for (size_t i = 0; i < s->n; i++)
    s->x[i] = xy[2 * i], s->y[i] = xy[2 * i + 1];
  free(xy);
}

/* Whether an executable `name` is on PATH. */
static bool on_path(const char *name) {
  const char *path = getenv("PATH");
  if (!path || !*path)
    return false;
  char *p = nvl_xstrdup(path), *save = NULL;
  bool found = false;
  for (char *d = strtok_r(p, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", *d ? d : ".", name);
    found = access(full, X_OK) == 0;
  }
  free(p);
  return found;
}

/* The gnuplot terminal of out's extension, or NULL. */
static const char *terminal(const char *out) {
  const char *dot = strrchr(out, '.');
  if (!dot)
    return NULL;
  if (strcmp(dot, ".png") == 0)
    return "pngcairo size 900,560 font ',11' noenhanced";
  if (strcmp(dot, ".svg") == 0)
    return "svg size 900,560 noenhanced";
  if (strcmp(dot, ".pdf") == 0)
    return "pdfcairo size 9in,5.6in noenhanced";
  return NULL;
}

int nvl_plot_check(const char *out, const char *cmd) {
  if (!terminal(out)) {
    fprintf(stderr, "nvlsim %s: %s: a picture is OUT.png, OUT.svg or OUT.pdf\n", cmd, out);
    return NVL_EXIT_USAGE;
  }
  if (!on_path("gnuplot")) {
    fprintf(stderr, "nvlsim %s: gnuplot is not installed (Debian: apt-get install gnuplot-nox)\n",
            cmd);
    return NVL_EXIT_USAGE;
  }
  return NVL_EXIT_OK;
}

/* gnuplot draws p into path. Returns 0, or -1 (gnuplot said why on stderr). */
static int draw(const nvl_plot *p, const char *term, const char *path) {
  FILE *g = popen("gnuplot", "w");
  if (!g)
    return -1;
  fprintf(g, "set terminal %s\nset output ", term);
  gp_string(g, path);
  fputs("\nset xlabel ", g);
  gp_string(g, p->xlabel);
  fputs("\nset ylabel ", g);
  gp_string(g, p->ylabel);
  fputs("\nset title ", g);
  char t[512];
  if (!p->title)
    snprintf(t, sizeof t, "%s vs %s", p->ylabel, p->xlabel);
  gp_string(g, p->title ? p->title : t);
  fputs("\nset key outside right top\nset grid\n", g);
  if (p->logx && p->scatter)
    fputs("set logscale x 10\n", g);
  else if (p->logx)
    fputs("set logscale x 2\nset format x '%.0b%B'\n", g);
  if (p->logy)
    fputs("set logscale y 10\n", g);
  for (int i = 0; i < p->n; i++) {
    if (!p->s[i].n)
      continue;
    fprintf(g, "$s%d << EOD\n", i);
    for (size_t k = 0; k < p->s[i].n; k++)
      fprintf(g, "%.17g %.17g\n", p->s[i].x[k], p->s[i].y[k]);
    fputs("EOD\n", g);
  }
  fputs("plot ", g);
  bool first = true;
  for (int i = 0; i < p->n; i++) {
    if (!p->s[i].n)
      continue;
    fprintf(g, "%s$s%d using 1:2 with %s title ", first ? "" : ", ", i,
            p->scatter ? "points pt 7 ps 1.2" : "linespoints lw 2 pt 7");
    snprintf(t, sizeof t, "%s%s", p->series_label ? p->series_label : "", p->s[i].name);
    gp_string(g, t);
    first = false;
  }
  if (p->diagonal)
    fputs(", x with lines lw 1 dt 2 lc 'gray' title 'simulated = measured'", g);
  fputs("\n", g);
  return pclose(g) == 0 ? 0 : -1;
}

int nvl_plot_write(nvl_plot *p, const char *out, const char *cmd) {
  int rc = nvl_plot_check(out, cmd);
  if (rc != NVL_EXIT_OK)
    return rc;
  size_t points = 0;
  for (int i = 0; i < p->n; i++) {
    points += p->s[i].n;
    sort_points(&p->s[i]);
  }
  if (points == 0) {
    fprintf(stderr, "nvlsim %s: no rows to plot\n", cmd);
    return NVL_EXIT_FAIL;
  }
  nvl_outfile f = {0};
  nvl_diags diags = NVL_DIAGS_INIT;
  if (nvl_outfile_open(&f, out, &diags) != 0) {
    fprintf(stderr, "nvlsim %s: %s: %s\n", cmd, out,
            diags.count ? diags.items[0].message : "cannot be written");
    nvl_diags_release(&diags);
    return NVL_EXIT_USAGE;
  }
  fflush(f.fp);
  if (draw(p, terminal(out), f.tmp) != 0) {
    fprintf(stderr, "nvlsim %s: gnuplot failed (its message is above); %s not written\n", cmd, out);
    rc = NVL_EXIT_USAGE;
  } else if (nvl_outfile_commit(&f, &diags) != 0) {
    fprintf(stderr, "nvlsim %s: %s: %s\n", cmd, out,
            diags.count ? diags.items[0].message : "cannot be written");
    rc = NVL_EXIT_USAGE;
  } else {
    printf("wrote %s (%zu points, %d series)\n", out, points, p->n);
  }
  nvl_outfile_abort(&f);
  nvl_diags_release(&diags);
  return rc;
}
