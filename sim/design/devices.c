/*
 * devices: device prefixes and instances, link bundles, and the port tally that checks budgets
 * and link types as links are added.
 */
#include <stdio.h>
#include <string.h>

#include "design/loader.h"

int nvl_ld_prefix(loader *L, const char *name, bool is_switch, const char *ptr) {
  nvl_design *d = L->d;
  for (size_t i = 0; i < d->n_prefixes; i++)
    if (strcmp(d->prefixes[i].name, name) == 0) {
      if (d->prefixes[i].is_switch != is_switch) {
        nvl_ld_err(L, NVL_DIAG_DUPLICATE, ptr,
                   "name \"%s\" is used for both endpoints and switches", name);
        return -1;
      }
      return (int)i;
    }
  GROW(d->prefixes, d->n_prefixes, L->cap_prefixes);
  nvl_prefix *p = &d->prefixes[d->n_prefixes];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->is_switch = is_switch;
  return (int)d->n_prefixes++;
}

void nvl_ld_add_device(loader *L, int prefix, bool is_switch, int type, int group) {
  nvl_design *d = L->d;
  nvl_prefix *p = &d->prefixes[prefix];
  GROW(d->devices, d->n_devices, L->cap_devices);
  nvl_device *dev = &d->devices[d->n_devices];
  /* prefixes are at most NVL_NAME_MAX - 13 characters, so the number always fits */
  if (snprintf(dev->name, sizeof dev->name, "%s%zu", p->name, p->n_members) >= NVL_NAME_MAX)
    dev->name[NVL_NAME_MAX - 1] = '\0';
  dev->is_switch = is_switch;
  dev->type = type;
  dev->prefix = prefix;
  dev->group = group;
  p->members = nvl_xrealloc(p->members, (p->n_members + 1) * sizeof(int));
  p->members[p->n_members++] = (int)d->n_devices;
  d->n_devices++;
}

int nvl_ld_add_origin(loader *L, const char *ptr) {
  nvl_design *d = L->d;
  GROW(d->origins, d->n_origins, L->cap_origins);
  snprintf(d->origins[d->n_origins], NVL_DIAG_PTR_MAX, "%s", ptr);
  return (int)d->n_origins++;
}

void nvl_ld_ensure_used(loader *L) {
  size_t need = L->d->n_devices * (L->d->n_link_types ? L->d->n_link_types : 1);
  if (need > L->used_cap) {
    L->used = nvl_xrealloc(L->used, need * sizeof(int));
    memset(L->used + L->used_cap, 0, (need - L->used_cap) * sizeof(int));
    L->used_cap = need;
  }
  if (L->d->n_devices > L->mark_cap) {
    L->mark = nvl_xrealloc(L->mark, L->d->n_devices * sizeof(int));
    memset(L->mark + L->mark_cap, 0, (L->d->n_devices - L->mark_cap) * sizeof(int));
    L->mark_cap = L->d->n_devices;
  }
}

static void account_port(loader *L, int dev, int lt, int count, port_tally *t) {
  nvl_design *d = L->d;
  int avail = nvl_device_ports(d, dev, lt);
  int *u = &L->used[(size_t)dev * d->n_link_types + d->link_types[lt].family];
  if (avail == 0) {
    if (L->mark[dev] != t->origin + 1) {
      L->mark[dev] = t->origin + 1;
      if (t->mismatch_n++ == 0)
        t->mismatch_first = dev;
    }
    return;
  }
  bool was_ok = *u <= avail;
  *u += count;
  if (was_ok && *u > avail) {
    if (t->budget_n++ == 0) {
      t->budget_first = dev;
      t->budget_used = *u;
      t->budget_avail = avail;
    }
  }
}

void nvl_ld_report_tally(loader *L, const port_tally *t, int lt, const char *ptr) {
  nvl_design *d = L->d;
  const char *ltn = d->link_types[lt].name;
  char more[64] = "";
  if (t->mismatch_n) {
    int dev = t->mismatch_first;
    if (t->mismatch_n > 1)
      snprintf(more, sizeof more, " (and %d more)", t->mismatch_n - 1);
    if (d->devices[dev].is_switch)
      nvl_ld_err(L, NVL_DIAG_LINK_TYPE, ptr, "link type mismatch: %s (%s) has %s ports, not %s%s",
                 d->devices[dev].name, nvl_device_type_name(d, dev),
                 d->link_types[d->switch_types[d->devices[dev].type].port_link].name, ltn, more);
    else
      nvl_ld_err(L, NVL_DIAG_LINK_TYPE, ptr, "link type mismatch: %s (%s) has no %s ports%s",
                 d->devices[dev].name, nvl_device_type_name(d, dev), ltn, more);
  }
  if (t->budget_n) {
    more[0] = '\0';
    if (t->budget_n > 1)
      snprintf(more, sizeof more, " (and %d more devices)", t->budget_n - 1);
    /* what the rules ask of the device by now (the tally saw it pass the budget on the way) */
    int asked = L->used[(size_t)t->budget_first * d->n_link_types + d->link_types[lt].family];
    nvl_ld_err(L, NVL_DIAG_PORTS, ptr,
               "ports over budget: %s (%s) is asked for %d of its %d %s ports%s",
               d->devices[t->budget_first].name, nvl_device_type_name(d, t->budget_first),
               asked > t->budget_used ? asked : t->budget_used, t->budget_avail, ltn, more);
  }
}

void nvl_ld_add_link(loader *L, int a, int b, int lt, int count, int origin, port_tally *t) {
  nvl_design *d = L->d;
  GROW(d->links, d->n_links, L->cap_links);
  d->links[d->n_links++] = (nvl_link){a, b, lt, count, origin, 1.0};
  account_port(L, a, lt, count, t);
  account_port(L, b, lt, count, t);
}
