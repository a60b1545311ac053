/*
 * plot: pictures of figures by gnuplot (PNG, SVG or PDF by the output's extension), written
 * atomically: `nvlsim plot` (cli/cmd_plot.c) from CSVs, and `--plot` of run and compare from
 * their own rows. One line per series, its points in X order.
 */
#ifndef NVL_PLOT_H
#define NVL_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "output/results.h"

#define NVL_PLOT_MAX_SERIES 64

typedef struct {
  char *name;
  double *x, *y;
  size_t n, cap;
  bool kept; /* a point survived the caller's filters */
} nvl_plot_series;

typedef struct {
  const char *xlabel, *ylabel, *title; /* title NULL: "Y vs X" */
  const char *series_label;            /* "design=": before each series' name, or NULL */
  bool logx, logy;                     /* logx: binary (sizes) */
  bool scatter;                        /* points only, no lines */
  bool diagonal;                       /* y = x drawn (simulated against measured) */
  nvl_plot_series s[NVL_PLOT_MAX_SERIES];
  int n;
} nvl_plot;

/* busbw over message size of result rows (sizes above 0), one series per job (or collective)
 * named with `prefix` before it ("" none): a collective sweep's curve. Returns false past
 * NVL_PLOT_MAX_SERIES. */
bool nvl_plot_results(nvl_plot *p, const nvl_results *r, const char *prefix);

/* The series of that name, made on first use; NULL past NVL_PLOT_MAX_SERIES. */
nvl_plot_series *nvl_plot_series_of(nvl_plot *p, const char *name);
void nvl_plot_add(nvl_plot_series *s, double x, double y);
void nvl_plot_release(nvl_plot *p);
/* Whether `out` can be drawn: a .png, .svg or .pdf name and gnuplot on PATH. Returns an exit
 * status, the reason printed as "nvlsim CMD: ...". Call before the work whose picture it is. */
int nvl_plot_check(const char *out, const char *cmd);
/* Draws p into out, atomically. Returns an exit status (1: nothing to draw), messages printed. */
int nvl_plot_write(nvl_plot *p, const char *out, const char *cmd);

#endif
