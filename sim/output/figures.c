/*
 * figures: see figures.h.
 */
#include "output/figures.h"

#include <math.h>

/* a billionth: SimGrid's times are exact to about 1e-10 s, a step lasts microseconds or more */
#define RESOLUTION 1e-9

double nvl_fig_top(const double *v, size_t n) {
  double top = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i]))
      top = fmax(top, fabs(v[i]));
  return top;
}

double nvl_fig_shown(double v, double top) { return fabs(v) <= RESOLUTION * top ? 0.0 : v; }

bool nvl_fig_ratio_ok(double base, double top) {
  return isfinite(base) && base != 0 && fabs(base) > RESOLUTION * top;
}
