/*
 * classes: switches that are interchangeable become one logical switch (see platform.h), found
 * by colour refinement (1-dimensional Weisfeiler-Leman): a switch's signature is its type and,
 * per neighbour colour and link type, its link count (degraded links by their remaining share),
 * normalised by the gcd of its counts; switches keep one colour while their signatures agree.
 * Costs: O(iterations x E log E) over the switches' link ends (at most 64 iterations; in
 * practice 2 or 3).
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "platform/internal.h"

typedef struct {
  long long key; /* neighbour: class colour (>= 0) or -1 - endpoint device */
  int lt;
  long long count;
} sig_item;

typedef struct {
  int sw;
  long long color;
  sig_item *items;
  size_t n;
} sig;

static int cmp_item(const void *a, const void *b) {
  const sig_item *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  if (x->lt != y->lt)
    return x->lt < y->lt ? -1 : 1;
  return 0;
}

static int cmp_sig(const void *a, const void *b) {
  const sig *x = a, *y = b;
  if (x->color != y->color)
    return x->color < y->color ? -1 : 1;
  size_t n = x->n < y->n ? x->n : y->n;
  for (size_t i = 0; i < n; i++) {
    const sig_item *p = &x->items[i], *q = &y->items[i];
    if (p->key != q->key)
      return p->key < q->key ? -1 : 1;
    if (p->lt != q->lt)
      return p->lt < q->lt ? -1 : 1;
    if (p->count != q->count)
      return p->count < q->count ? -1 : 1;
  }
  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  return x->sw - y->sw;
}

static bool same_sig(const sig *x, const sig *y) {
  if (x->color != y->color || x->n != y->n)
    return false;
  for (size_t i = 0; i < x->n; i++)
    if (x->items[i].key != y->items[i].key || x->items[i].lt != y->items[i].lt ||
        x->items[i].count != y->items[i].count)
      return false;
  return true;
}

static long long gcd(long long a, long long b) {
  while (b) {
    long long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* A switch of the fabric: not a PCIe switch (which joins endpoints to their NICs: no class). */
static bool fabric_switch(const nvl_design *d, int dev) {
  return d->devices[dev].is_switch && !nvl_device_is_pcie_switch(d, dev);
}

size_t nvl_pf_refine_classes(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nd = d->n_devices;
  /* per bundle end: (neighbour, link type, count), in the order of the device's links */
  const int *start = p->dev_link_start;
  sig_item *adj = nvl_xmalloc(((size_t)start[nd] + 1) * sizeof *adj);
  for (size_t i = 0; i < nd; i++)
    for (int j = start[i]; j < start[i + 1]; j++) {
      const nvl_link *l = &d->links[p->dev_links[j]];
      /* degraded links weigh by their remaining share (in millionths) */
      long long w = (long long)l->count * (long long)(l->scale * 1000000 + 0.5);
      adj[j] = (sig_item){nvl_pf_peer(d, p->dev_links[j], (int)i), l->type, w};
    }
  long long *color = nvl_xmalloc(nd * sizeof *color);
  size_t nsw = 0;
  for (size_t i = 0; i < nd; i++) {
    color[i] = fabric_switch(d, (int)i) ? d->devices[i].type : -1;
    nsw += fabric_switch(d, (int)i);
  }
  sig *sigs = nvl_xcalloc(nsw, sizeof *sigs);
  size_t n_colors = 0, prev = (size_t)-1;
  for (int iter = 0; iter < 64 && n_colors != prev; iter++) {
    prev = n_colors;
    size_t s = 0;
    for (size_t i = 0; i < nd; i++) {
      if (!fabric_switch(d, (int)i))
        continue;
      sig *g = &sigs[s++];
      g->sw = (int)i;
      g->color = color[i];
      g->n = (size_t)(start[i + 1] - start[i]);
      g->items = nvl_xrealloc(g->items, (g->n ? g->n : 1) * sizeof(sig_item));
      for (int j = 0; j < (int)g->n; j++) {
        sig_item it = adj[start[i] + j];
        int nb = (int)it.key;
        it.key = fabric_switch(d, nb) ? color[nb] : -1 - (long long)nb;
        g->items[j] = it;
      }
      qsort(g->items, g->n, sizeof(sig_item), cmp_item);
      size_t m = 0; /* merge equal (key, lt) */
      for (size_t j = 0; j < g->n; j++) {
        if (m > 0 && g->items[m - 1].key == g->items[j].key && g->items[m - 1].lt == g->items[j].lt)
          g->items[m - 1].count += g->items[j].count;
        else
          g->items[m++] = g->items[j];
      }
      g->n = m;
      long long gg = 0;
      for (size_t j = 0; j < m; j++)
        gg = gcd(gg, g->items[j].count);
      for (size_t j = 0; j < m && gg > 1; j++)
        g->items[j].count /= gg;
    }
    qsort(sigs, nsw, sizeof *sigs, cmp_sig);
    n_colors = 0;
    for (size_t j = 0; j < nsw; j++) {
      if (j == 0 || !same_sig(&sigs[j], &sigs[j - 1]))
        n_colors++;
      color[sigs[j].sw] = (long long)n_colors - 1;
    }
  }
  /* number classes by first member in device order */
  long long *renum = nvl_xmalloc((n_colors ? n_colors : 1) * sizeof *renum);
  for (size_t c = 0; c < n_colors; c++)
    renum[c] = -1;
  size_t nc = 0;
  for (size_t i = 0; i < nd; i++) {
    if (!fabric_switch(d, (int)i)) {
      p->cls[i] = -1;
      continue;
    }
    if (renum[color[i]] < 0)
      renum[color[i]] = (long long)nc++;
    p->cls[i] = (int)renum[color[i]];
  }
  for (size_t j = 0; j < nsw; j++)
    free(sigs[j].items);
  free(sigs);
  free(renum);
  free(color);
  free(adj);
  return nc;
}

/* Once, in one pass over the devices. */
void nvl_pf_name_classes(nvl_platform *p) {
  const nvl_design *d = p->d;
  size_t nc = p->n_classes;
  int *last = nvl_xmalloc((nc ? nc : 1) * sizeof(int));
  for (size_t i = 0; i < d->n_devices; i++)
    if (p->cls[i] >= 0)
      last[p->cls[i]] = (int)i;
  p->class_names = nvl_xmalloc((nc ? nc : 1) * sizeof *p->class_names);
  for (size_t c = 0; c < nc; c++) {
    const char *f = d->devices[p->class_first[c]].name, *l = d->devices[last[c]].name;
    /* "sw0..sw17" when the class holds every device in between, else "sw0..sw17[17]" */
    bool contiguous = last[c] - p->class_first[c] + 1 == p->class_size[c];
    int w = p->class_first[c] == last[c]
                ? snprintf(p->class_names[c], sizeof p->class_names[c], "%s", f)
            : contiguous ? snprintf(p->class_names[c], sizeof p->class_names[c], "%s..%s", f, l)
                         : snprintf(p->class_names[c], sizeof p->class_names[c], "%s..%s[%d]", f, l,
                                    p->class_size[c]);
    if (w >= (int)sizeof p->class_names[c])
      p->class_names[c][sizeof p->class_names[c] - 1] = '\0';
  }
  free(last);
}
