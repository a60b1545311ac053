/*
 * phase: see phase.h.
 */
#include "platform/phase.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

typedef struct {
  double key;
  int link;
} heap_item;

typedef struct {
  double rem, rate;
  uint32_t e0, e1; /* its links: lk[e0 .. e1) */
  uint8_t state;   /* 0 waiting for its delay, 1 moving, 2 ended */
  uint8_t frozen;  /* its rate is set in this solve */
} flow_rt;

struct nvl_phase {
  /* links */
  double *cap;
  size_t n_links, cap_links;
  /* flows: their links in compressed rows (off[f] .. off[f + 1]) */
  double *bytes, *delay;
  size_t *off;
  int *lk;
  double *w;
  size_t n_flows, cap_flows, n_el, cap_el;
  /* run state */
  flow_rt *fl; /* each flow's state, together: a solve touches each moving flow once */
  double *end;
  double *left, *wsum;
  uint8_t *sat;
  size_t *lf_off, *lf_flow; /* each moving flow's links by link, compressed rows (rebuilt as */
  double *lf_w;             /* flows end: lf_n flows in them) */
  size_t lf_n;
  size_t *mv, n_mv; /* the moving flows */
  heap_item *heap;
  size_t n_heap, cap_heap;
};

nvl_phase *nvl_phase_new(void) { return nvl_xcalloc(1, sizeof(nvl_phase)); }

static void run_arrays_free(nvl_phase *ph) {
  free(ph->fl);
  free(ph->end);
  free(ph->left);
  free(ph->wsum);
  free(ph->sat);
  free(ph->lf_off);
  free(ph->lf_flow);
  free(ph->lf_w);
  free(ph->mv);
  ph->mv = NULL;
  ph->fl = NULL;
  ph->end = ph->left = ph->wsum = ph->lf_w = NULL;
  ph->sat = NULL;
  ph->lf_off = ph->lf_flow = NULL;
}

void nvl_phase_free(nvl_phase *ph) {
  if (!ph)
    return;
  run_arrays_free(ph);
  free(ph->cap);
  free(ph->bytes);
  free(ph->delay);
  free(ph->off);
  free(ph->lk);
  free(ph->w);
  free(ph->heap);
  free(ph);
}

void nvl_phase_clear(nvl_phase *ph) {
  run_arrays_free(ph);
  ph->n_links = ph->n_flows = ph->n_el = 0;
}

static void grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return;
  size_t c = *cap ? *cap : 64;
  while (c < need)
    c *= 2;
  *p = nvl_xrealloc(*p, c * size);
  *cap = c;
}

int nvl_phase_link(nvl_phase *ph, double capacity) {
  grow((void **)&ph->cap, &ph->cap_links, ph->n_links + 1, sizeof(double));
  ph->cap[ph->n_links] = capacity;
  return (int)ph->n_links++;
}

size_t nvl_phase_flow(nvl_phase *ph, double bytes, double delay, double bound, const int *links,
                      const double *w, int n) {
  size_t f = ph->n_flows;
  if (f + 2 > ph->cap_flows) {
    size_t c = ph->cap_flows ? 2 * ph->cap_flows : 64;
    ph->bytes = nvl_xrealloc(ph->bytes, c * sizeof(double));
    ph->delay = nvl_xrealloc(ph->delay, c * sizeof(double));
    ph->off = nvl_xrealloc(ph->off, c * sizeof(size_t));
    ph->cap_flows = c;
  }
  if (f == 0)
    ph->off[0] = 0;
  int extra = bound > 0 ? 1 : 0; /* a rate bound is a link of its own */
  if (ph->n_el + (size_t)n + 1 > ph->cap_el) {
    size_t c = ph->cap_el ? 2 * ph->cap_el : 256;
    while (c < ph->n_el + (size_t)n + 1)
      c *= 2;
    ph->lk = nvl_xrealloc(ph->lk, c * sizeof(int));
    ph->w = nvl_xrealloc(ph->w, c * sizeof(double));
    ph->cap_el = c;
  }
  for (int k = 0; k < n; k++) {
    ph->lk[ph->n_el] = links[k];
    ph->w[ph->n_el++] = w ? w[k] : 1.0;
  }
  if (extra) {
    int b = nvl_phase_link(ph, bound);
    ph->lk[ph->n_el] = b;
    ph->w[ph->n_el++] = 1.0;
  }
  ph->bytes[f] = bytes;
  ph->delay[f] = delay;
  ph->off[f + 1] = ph->n_el;
  ph->n_flows++;
  return f;
}

size_t nvl_phase_flows(const nvl_phase *ph) { return ph->n_flows; }

size_t nvl_phase_links(const nvl_phase *ph) { return ph->n_links; }

/* A binary min-heap of links by level (ties: the lower link first, for the same answer on every
 * machine). */
static void heap_push(nvl_phase *ph, double key, int link) {
  grow((void **)&ph->heap, &ph->cap_heap, ph->n_heap + 1, sizeof(heap_item));
  size_t i = ph->n_heap++;
  heap_item it = {key, link};
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (ph->heap[p].key < key || (ph->heap[p].key == key && ph->heap[p].link <= link))
      break;
    ph->heap[i] = ph->heap[p];
    i = p;
  }
  ph->heap[i] = it;
}

static heap_item heap_pop(nvl_phase *ph) {
  heap_item top = ph->heap[0];
  heap_item last = ph->heap[--ph->n_heap];
  size_t i = 0, n = ph->n_heap;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n &&
        (ph->heap[c + 1].key < ph->heap[c].key ||
         (ph->heap[c + 1].key == ph->heap[c].key && ph->heap[c + 1].link < ph->heap[c].link)))
      c++;
    if (last.key < ph->heap[c].key ||
        (last.key == ph->heap[c].key && last.link <= ph->heap[c].link))
      break;
    ph->heap[i] = ph->heap[c];
    i = c;
  }
  if (n > 0)
    ph->heap[i] = last;
  return top;
}

static void run_arrays(nvl_phase *ph) {
  run_arrays_free(ph);
  size_t F = ph->n_flows, L = ph->n_links;
  ph->fl = nvl_xcalloc(F + 1, sizeof(flow_rt));
  ph->end = nvl_xmalloc((F + 1) * sizeof(double));
  ph->left = nvl_xmalloc((L + 1) * sizeof(double));
  ph->wsum = nvl_xmalloc((L + 1) * sizeof(double));
  ph->sat = nvl_xcalloc(L + 1, 1);
  ph->lf_off = nvl_xcalloc(L + 2, sizeof(size_t));
  ph->lf_flow = nvl_xmalloc((ph->n_el + 1) * sizeof(size_t));
  ph->lf_w = nvl_xmalloc((ph->n_el + 1) * sizeof(double));
  ph->mv = nvl_xmalloc((F + 1) * sizeof(size_t));
  ph->n_mv = ph->lf_n = 0;
  for (size_t f = 0; f < F; f++) {
    ph->fl[f].rem = ph->bytes[f];
    ph->fl[f].e0 = (uint32_t)ph->off[f];
    ph->fl[f].e1 = (uint32_t)ph->off[f + 1];
    ph->end[f] = -1;
  }
}

/* The links' lists of the moving flows, compressed rows (a counting sort by link). */
static void rebuild_lists(nvl_phase *ph) {
  size_t L = ph->n_links;
  memset(ph->lf_off, 0, (L + 2) * sizeof(size_t));
  for (size_t k = 0; k < ph->n_mv; k++)
    for (size_t e = ph->off[ph->mv[k]]; e < ph->off[ph->mv[k] + 1]; e++)
      ph->lf_off[ph->lk[e] + 2]++;
  for (size_t l = 0; l < L; l++)
    ph->lf_off[l + 2] += ph->lf_off[l + 1];
  for (size_t k = 0; k < ph->n_mv; k++) {
    size_t f = ph->mv[k];
    for (size_t e = ph->off[f]; e < ph->off[f + 1]; e++) {
      size_t at = ph->lf_off[ph->lk[e] + 1]++;
      ph->lf_flow[at] = f;
      ph->lf_w[at] = ph->w[e];
    }
  }
  ph->lf_n = ph->n_mv;
}

/* Progressive filling over the moving flows: every rate rises together until a link saturates;
 * the flows through it keep that rate; the others go on rising. */
static double solve(nvl_phase *ph, double *peaks) {
  size_t L = ph->n_links;
  double dt = INFINITY; /* until the first moving flow ends at these rates */
  if (ph->n_mv < ph->lf_n / 2 || ph->lf_n == 0)
    rebuild_lists(ph);
  /* the next link to saturate, from a heap of levels. A link's level only rises as flows
   * through it freeze elsewhere (each takes less than the link's share): an entry whose level
   * has risen since it was pushed is pushed again when it comes up, instead of on every change */
  ph->n_heap = 0;
  for (size_t l = 0; l < L; l++)
    if (ph->wsum[l] > 0)
      heap_push(ph, ph->left[l] / ph->wsum[l], (int)l);
  while (ph->n_heap > 0) {
    heap_item it = heap_pop(ph);
    int l = it.link;
    if (ph->sat[l] || ph->wsum[l] <= 1e-12)
      continue;
    double now_level = (ph->left[l] > 0 ? ph->left[l] : 0) / ph->wsum[l];
    if (now_level > it.key * (1 + 1e-12) + 1e-300) {
      heap_push(ph, now_level, l);
      continue;
    }
    double level = ph->left[l] > 0 ? ph->left[l] / ph->wsum[l] : 0;
    ph->sat[l] = 1; /* full: its own count no longer matters (and is not updated below) */
    ph->left[l] = 0;
    ph->wsum[l] = 0;
    for (size_t at = ph->lf_off[l]; at < ph->lf_off[l + 1]; at++) {
      size_t f = ph->lf_flow[at];
      if (ph->fl[f].state != 1 || ph->fl[f].frozen)
        continue;
      ph->fl[f].frozen = 1;
      ph->fl[f].rate = level;
      if (level > 0 && ph->fl[f].rem < dt * level)
        dt = ph->fl[f].rem / level;
      for (size_t e = ph->fl[f].e0; e < ph->fl[f].e1; e++) {
        int l2 = ph->lk[e];
        if (l2 == l)
          continue;
        ph->left[l2] -= ph->w[e] * level;
        ph->wsum[l2] -= ph->w[e];
      }
    }
  }
  if (peaks)
    for (size_t l = 0; l < L; l++) {
      double load = ph->cap[l] - (ph->left[l] > 0 ? ph->left[l] : 0);
      if (ph->wsum[l] != 0 || ph->sat[l]) /* a link some flow crossed */
        if (load > peaks[l])
          peaks[l] = load;
    }
  return dt;
}

/* Links as the next solve wants them: whole, unsaturated, no flow counted yet. */
static void links_reset(nvl_phase *ph) {
  for (size_t l = 0; l < ph->n_links; l++) {
    ph->left[l] = ph->cap[l];
    ph->wsum[l] = 0;
    ph->sat[l] = 0;
  }
}

/* Flow f moves in the next solve: counted on its links. */
static void count(nvl_phase *ph, size_t f) {
  ph->fl[f].frozen = 0;
  for (size_t e = ph->fl[f].e0; e < ph->fl[f].e1; e++)
    ph->wsum[ph->lk[e]] += ph->w[e];
}

/* Flows whose delay has run out by time t start moving (the ones without bytes end there). */
static size_t activate(nvl_phase *ph, const size_t *order, size_t next, double t0, double t) {
  size_t F = ph->n_flows;
  while (next < F && t0 + ph->delay[order[next]] <= t) {
    size_t f = order[next++];
    if (ph->bytes[f] > 0) {
      ph->fl[f].state = 1;
      ph->mv[ph->n_mv++] = f;
      ph->lf_n = 0; /* a new moving flow: the lists are rebuilt */
      count(ph, f);
    } else {
      ph->fl[f].state = 2;
      ph->end[f] = t0 + ph->delay[f];
    }
  }
  return next;
}

static const nvl_phase *sort_ph;
static int by_delay(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  double dx = sort_ph->delay[x], dy = sort_ph->delay[y];
  return dx < dy ? -1 : dx > dy ? 1 : x < y ? -1 : x > y;
}

size_t nvl_phase_run(nvl_phase *ph, double t0, double window, double stop, double *peaks) {
  run_arrays(ph);
  size_t F = ph->n_flows, solves = 0;
  size_t *order = nvl_xmalloc((F + 1) * sizeof(size_t));
  for (size_t f = 0; f < F; f++)
    order[f] = f;
  sort_ph = ph;
  qsort(order, F, sizeof *order, by_delay);
  double t = t0;
  links_reset(ph);
  size_t next = activate(ph, order, 0, t0, t);
  for (;;) {
    if (stop > 0 && t >= stop)
      break;
    if (ph->n_mv == 0) {
      if (next >= F)
        break;
      double ta = t0 + ph->delay[order[next]];
      if (stop > 0 && ta > stop) {
        t = stop;
        break;
      }
      t = ta;
      next = activate(ph, order, next, t0, t);
      continue;
    }
    double dt = solve(ph, peaks);
    solves++;
    if (next < F && t0 + ph->delay[order[next]] - t < dt)
      dt = t0 + ph->delay[order[next]] - t;
    if (!(dt < INFINITY)) /* nothing can move: a link of capacity 0 */
      break;
    bool stopped = stop > 0 && t + dt >= stop;
    if (stopped)
      dt = stop - t;
    /* the flows due within the window from the first end, [t + dt, t + dt + win], all end in
     * its middle: each at most win / 2 early or late (not past a flow's activation or the stop) */
    double win = stopped ? 0 : window * (t + dt - t0), half = win / 2;
    if (half > 0 && !(next < F && t0 + ph->delay[order[next]] < t + dt + half) &&
        !(stop > 0 && t + dt + half >= stop))
      dt += half;
    else
      half = win;
    double tn = t + dt;
    links_reset(ph);
    for (size_t k = 0; k < ph->n_mv; k++) { /* the flows move; those that end leave the list */
      size_t f = ph->mv[k];
      ph->fl[f].rem -= ph->fl[f].rate * dt;
      if (!stopped &&
          (ph->fl[f].rem <= ph->fl[f].rate * half || ph->fl[f].rem <= 1e-12 * ph->bytes[f])) {
        ph->fl[f].rem = 0;
        ph->fl[f].state = 2;
        ph->end[f] = tn;
        ph->mv[k--] = ph->mv[--ph->n_mv]; /* order of the moving list does not matter */
      } else {
        count(ph, f);
      }
    }
    t = tn;
    if (stopped)
      break;
    next = activate(ph, order, next, t0, t);
  }
  free(order);
  return solves;
}

double nvl_phase_end(const nvl_phase *ph, size_t f) { return ph->end[f]; }

double nvl_phase_left(const nvl_phase *ph, size_t f, bool *waiting) {
  if (waiting)
    *waiting = ph->fl[f].state == 0;
  return ph->fl[f].state == 2 ? 0 : ph->fl[f].rem > 0 ? ph->fl[f].rem : 0;
}
