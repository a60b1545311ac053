/*
 * phase: see phase.h.
 */
#include "platform/phase.h"

#include <float.h>
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
  /* the run as it goes (nvl_phase_begin .. nvl_phase_advance) */
  size_t run_f, run_l, run_e; /* flows, links and elements the run arrays hold */
  double t, t_ref, window;    /* now; the latest instant flows joined; the window's share */
  bool valid;                 /* rates and the next event are solved for the state now */
  double next_t, thr;         /* the next event, and the seconds of its rate a flow may lack */
  double *act;                /* [flow]: the instant it moves (its delay paid) */
  size_t *pend, n_pend;       /* flows still waiting */
  size_t *ended, n_ended;     /* flows ended, not yet taken */
  size_t solves;
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
  free(ph->act);
  free(ph->pend);
  free(ph->ended);
  ph->act = NULL;
  ph->pend = ph->ended = NULL;
  ph->run_f = ph->run_l = ph->run_e = 0;
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

/* Grows an array of n elements of `size` to m, the new ones zero. */
static void *grow_zero(void *p, size_t n, size_t m, size_t size) {
  p = nvl_xrealloc(p, (m + 1) * size);
  memset((char *)p + n * size, 0, (m + 1 - n) * size);
  return p;
}

/* The run arrays sized for every flow, link and element so far (new flows: not yet started). */
static void ensure_run(nvl_phase *ph) {
  size_t F = ph->n_flows, L = ph->n_links, E = ph->n_el;
  if (F > ph->run_f || !ph->fl) {
    size_t n = ph->fl ? ph->run_f : 0;
    ph->fl = grow_zero(ph->fl, n, F, sizeof(flow_rt));
    ph->end = grow_zero(ph->end, n, F, sizeof(double));
    ph->act = grow_zero(ph->act, n, F, sizeof(double));
    ph->mv = grow_zero(ph->mv, n, F, sizeof(size_t));
    ph->pend = grow_zero(ph->pend, n, F, sizeof(size_t));
    ph->ended = grow_zero(ph->ended, n, F, sizeof(size_t));
    ph->run_f = F;
  }
  if (L > ph->run_l || !ph->left) {
    size_t n = ph->left ? ph->run_l : 0;
    ph->left = grow_zero(ph->left, n, L, sizeof(double));
    ph->wsum = grow_zero(ph->wsum, n, L, sizeof(double));
    ph->sat = grow_zero(ph->sat, n, L, 1);
    ph->lf_off = grow_zero(ph->lf_off, n ? n + 1 : 0, L + 1, sizeof(size_t));
    ph->run_l = L;
  }
  if (E > ph->run_e || !ph->lf_flow) {
    size_t n = ph->lf_flow ? ph->run_e : 0;
    ph->lf_flow = grow_zero(ph->lf_flow, n, E, sizeof(size_t));
    ph->lf_w = grow_zero(ph->lf_w, n, E, sizeof(double));
    ph->run_e = E;
  }
}

/* Flow f joins the run now: it moves after its delay. */
static void join(nvl_phase *ph, size_t f) {
  ph->fl[f] =
      (flow_rt){.rem = ph->bytes[f], .e0 = (uint32_t)ph->off[f], .e1 = (uint32_t)ph->off[f + 1]};
  ph->end[f] = -1;
  ph->act[f] = ph->t + ph->delay[f];
  ph->pend[ph->n_pend++] = f;
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
      /* every fixed flow's share was taken from `left` (wsum is back to 0 once all are fixed, so it
       * cannot tell a link crossed: an unsaturated trunk's peak was lost that way) */
      double load = ph->cap[l] - (ph->left[l] > 0 ? ph->left[l] : 0);
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

/* Flows whose delay has run out by now start moving (the ones without bytes end there). */
static void activate(nvl_phase *ph) {
  for (size_t k = 0; k < ph->n_pend; k++) {
    size_t f = ph->pend[k];
    if (ph->act[f] > ph->t)
      continue;
    ph->pend[k--] = ph->pend[--ph->n_pend];
    ph->valid = false;
    if (ph->bytes[f] > 0) {
      ph->fl[f].state = 1;
      ph->mv[ph->n_mv++] = f;
      ph->lf_n = 0; /* a new moving flow: the lists are rebuilt */
    } else {
      ph->fl[f].state = 2;
      ph->end[f] = ph->act[f];
      ph->ended[ph->n_ended++] = f;
    }
  }
}

void nvl_phase_set_window(nvl_phase *ph, double window) {
  ph->window = window;
  ph->valid = false; /* the next event, planned with the old window, is planned again */
}

void nvl_phase_begin(nvl_phase *ph, double t0, double window) {
  run_arrays_free(ph);
  ensure_run(ph);
  ph->n_mv = ph->lf_n = ph->n_pend = ph->n_ended = ph->solves = 0;
  ph->t = ph->t_ref = t0;
  ph->window = window;
  ph->valid = false;
  for (size_t f = 0; f < ph->n_flows; f++)
    join(ph, f);
  activate(ph);
}

double nvl_phase_next(nvl_phase *ph, double *peaks) {
  if (ph->valid)
    return ph->next_t;
  double ta = INFINITY; /* until the next flow starts moving */
  for (size_t k = 0; k < ph->n_pend; k++)
    if (ph->act[ph->pend[k]] - ph->t < ta)
      ta = ph->act[ph->pend[k]] - ph->t;
  ph->valid = true;
  ph->thr = 0;
  if (ph->n_mv == 0)
    return ph->next_t = ph->t + ta;
  links_reset(ph);
  for (size_t k = 0; k < ph->n_mv; k++)
    count(ph, ph->mv[k]);
  double dt = solve(ph, peaks);
  ph->solves++;
  if (ta <= dt) {
    ph->thr = ph->window * (ph->t + ta - ph->t_ref);
    return ph->next_t = ph->t + ta;
  }
  /* the flows due within the window from the first end, [t + dt, t + dt + win], all end in its
   * middle: each at most win / 2 early or late (not past a flow's start) */
  double win = ph->window * (ph->t + dt - ph->t_ref), half = win / 2;
  if (half > 0 && !(ta < dt + half)) {
    ph->thr = half;
    return ph->next_t = ph->t + dt + half;
  }
  ph->thr = win;
  return ph->next_t = ph->t + dt;
}

static void move_to(nvl_phase *ph, double t, bool event) {
  if (t < ph->t) /* never back: the phase may be a little past an instant a caller names */
    t = ph->t;
  double dt = t - ph->t;
  for (size_t k = 0; k < ph->n_mv; k++) { /* the flows move; those that end leave the list */
    size_t f = ph->mv[k];
    flow_rt *x = &ph->fl[f];
    x->rem -= x->rate * dt;
    /* a flow due within the event's window ends, and so does one whose rest would take less
     * than the clock can tell apart from now (else the next event would be now, for ever) */
    if (event && (x->rem <= x->rate * (ph->thr + 8 * DBL_EPSILON * fabs(t)) ||
                  x->rem <= 1e-12 * ph->bytes[f])) {
      x->rem = 0;
      x->state = 2;
      ph->end[f] = t;
      ph->ended[ph->n_ended++] = f;
      ph->mv[k--] = ph->mv[--ph->n_mv]; /* order of the moving list does not matter */
      ph->valid = false;
    }
  }
  ph->t = t;
  activate(ph);
}

void nvl_phase_advance(nvl_phase *ph, double t) { move_to(ph, t, ph->valid && t >= ph->next_t); }

static int by_index(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

const size_t *nvl_phase_take_ended(nvl_phase *ph, size_t *n) {
  qsort(ph->ended, ph->n_ended, sizeof *ph->ended, by_index); /* the flows' order, not the list's */
  *n = ph->n_ended;
  ph->n_ended = 0;
  return ph->ended;
}

size_t nvl_phase_run(nvl_phase *ph, double t0, double window, double stop, double *peaks) {
  nvl_phase_begin(ph, t0, window);
  for (;;) {
    double nt = nvl_phase_next(ph, peaks);
    if (!(nt < INFINITY)) /* every flow ended, or nothing can move: a link of capacity 0 */
      break;
    if (stop > 0 && nt >= stop) {
      move_to(ph, stop, false);
      break;
    }
    nvl_phase_advance(ph, nt);
  }
  ph->n_ended = 0;
  return ph->solves;
}

double nvl_phase_end(const nvl_phase *ph, size_t f) { return ph->end[f]; }

double nvl_phase_starts(const nvl_phase *ph, size_t f) { return ph->act[f]; }

double nvl_phase_left(const nvl_phase *ph, size_t f, bool *waiting) {
  if (waiting)
    *waiting = ph->fl[f].state == 0;
  return ph->fl[f].state == 2 ? 0 : ph->fl[f].rem > 0 ? ph->fl[f].rem : 0;
}
