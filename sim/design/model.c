/*
 * model: look-ups on the design model, copying and freeing it (see design.h).
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "design/design.h"

const char *nvl_kind_name(nvl_kind kind) {
  static const char *const names[] = {"gpu", "cpu", "asic", "nic", "switch"};
  return kind <= NVL_KIND_SWITCH ? names[kind] : "?";
}

const char *nvl_medium_name(nvl_medium m) {
  static const char *const names[] = {"nvlink", "c2c", "pcie", "network"};
  return (unsigned)m < 4 ? names[m] : "?";
}

bool nvl_kind_is_accelerator(nvl_kind kind) {
  return kind == NVL_KIND_GPU || kind == NVL_KIND_ASIC;
}

bool nvl_device_forwards(const nvl_design *d, int dev) {
  const nvl_device *x = &d->devices[dev];
  return x->is_switch || d->endpoint_types[x->type].kind == NVL_KIND_NIC;
}

nvl_kind nvl_device_kind(const nvl_design *d, int dev) {
  const nvl_device *x = &d->devices[dev];
  return x->is_switch ? NVL_KIND_SWITCH : d->endpoint_types[x->type].kind;
}

const char *nvl_device_type_name(const nvl_design *d, int dev) {
  const nvl_device *x = &d->devices[dev];
  return x->is_switch ? d->switch_types[x->type].name : d->endpoint_types[x->type].name;
}

int nvl_device_ports(const nvl_design *d, int dev, int lt) {
  const nvl_device *x = &d->devices[dev];
  int fam = d->link_types[lt].family;
  if (x->is_switch) {
    const nvl_switch_type *s = &d->switch_types[x->type];
    return s->port_link >= 0 && d->link_types[s->port_link].family == fam ? s->ports : 0;
  }
  const nvl_endpoint_type *e = &d->endpoint_types[x->type];
  int n = 0;
  for (size_t k = 0; k < d->n_link_types; k++)
    if (d->link_types[k].family == fam)
      n += e->ports[k];
  return n;
}

double nvl_link_bw(const nvl_design *d, const nvl_link *l) {
  return l->count * d->link_types[l->type].bw_Bps * l->scale;
}

int nvl_design_find_link_type(const nvl_design *d, const char *name) {
  for (size_t i = d->n_link_types; i-- > 0;)
    if (strcmp(d->link_types[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* A copy of n elements (NULL for none). */
static void *dup_array(const void *src, size_t n, size_t size) {
  if (!src || n == 0)
    return NULL;
  return memcpy(nvl_xmalloc(n * size), src, n * size);
}

nvl_design *nvl_design_copy(const nvl_design *s) {
  nvl_design *d = nvl_xmalloc(sizeof *d);
  *d = *s;
  d->link_types = dup_array(s->link_types, s->n_link_types, sizeof *s->link_types);
  d->endpoint_types = dup_array(s->endpoint_types, s->n_endpoint_types, sizeof *s->endpoint_types);
  d->switch_types = dup_array(s->switch_types, s->n_switch_types, sizeof *s->switch_types);
  d->devices = dup_array(s->devices, s->n_devices, sizeof *s->devices);
  d->links = dup_array(s->links, s->n_links, sizeof *s->links);
  d->prefixes = dup_array(s->prefixes, s->n_prefixes, sizeof *s->prefixes);
  for (size_t i = 0; i < d->n_prefixes; i++)
    d->prefixes[i].members =
        dup_array(s->prefixes[i].members, s->prefixes[i].n_members, sizeof(int));
  d->groups = dup_array(s->groups, s->n_groups, sizeof *s->groups);
  d->origins = dup_array(s->origins, s->n_origins, sizeof *s->origins);
  d->fail_specs = dup_array(s->fail_specs, s->n_fail_specs, sizeof *s->fail_specs);
  d->failures = dup_array(s->failures, s->n_failures, sizeof *s->failures);
  d->failed = dup_array(s->failed, s->failed ? s->n_devices : 0, sizeof *s->failed);
  d->intact = NULL;
  d->profiles = dup_array(s->profiles, s->n_profiles, sizeof *s->profiles);
  for (size_t i = 0; i < d->n_profiles; i++)
    nvl_profile_copy(&d->profiles[i], &s->profiles[i]);
  return d;
}

void nvl_design_free(nvl_design *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->n_prefixes; i++)
    free(d->prefixes[i].members);
  for (size_t i = 0; i < d->n_profiles; i++)
    nvl_profile_release(&d->profiles[i]);
  free(d->profiles);
  void *owned[] = {d->link_types, d->endpoint_types, d->switch_types, d->devices,
                   d->links,      d->prefixes,       d->groups,       d->origins,
                   d->fail_specs, d->failures,       d->failed};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
    free(owned[i]);
  nvl_design_free(d->intact);
  free(d);
}
