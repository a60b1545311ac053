/*
 * figures: one rule for figures at their resolution, in every renderer that sets figures side by
 * side (compare's table and CSV): a figure below a billionth of the largest of its row is the
 * rounding of a difference of simulated times (8.67e-13 us of bubble), shown as 0, and a ratio to
 * such a figure (or to 0) is no ratio ("-" in a table, an empty CSV cell).
 */
#ifndef NVL_FIGURES_H
#define NVL_FIGURES_H

#include <stdbool.h>
#include <stddef.h>

/* The largest magnitude of a row's n figures. */
double nvl_fig_top(const double *v, size_t n);
/* v as shown beside figures whose largest magnitude is top. */
double nvl_fig_shown(double v, double top);
/* Whether a ratio to `base` means something beside figures whose largest magnitude is top. */
bool nvl_fig_ratio_ok(double base, double top);

#endif
