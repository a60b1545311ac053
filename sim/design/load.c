/*
 * load: the loader's entry points (see loader.h for its passes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/builtin.h"
#include "base/file.h"
#include "base/json.h"
#include "design/loader.h"

static json_t *parse_json(loader *L, const char *text, size_t len) {
  if (len == 0) {
    nvl_diag_syntax(L->diags, 1, 1, "empty file; a design is a JSON object");
    return NULL;
  }
  json_t *root = nvl_json_load_user(text, len, L->diags);
  if (!root)
    return NULL;
  if (!json_is_object(root)) {
    nvl_ld_err(L, NVL_DIAG_SCHEMA, "", "a design must be a JSON object, got %s",
               nvl_json_type_name(root));
    json_decref(root);
    return NULL;
  }
  return root;
}

static void load_catalog(loader *L) {
  json_t *cat = json_loadb(nvl_catalog_json, nvl_catalog_json_len, JSON_REJECT_DUPLICATES, NULL);
  if (!cat) {
    fprintf(stderr, "nvlsim: internal error: built-in catalog does not parse\n");
    abort();
  }
  nvl_diags cd = NVL_DIAGS_INIT;
  nvl_diags *saved = L->diags;
  L->diags = &cd;
  L->in_catalog = true;
  nvl_ld_parse_types(L, cat);
  L->in_catalog = false;
  L->diags = saved;
  if (cd.errors) {
    char line[512];
    nvl_diag_format(&cd.items[0], "catalog", line, sizeof line);
    fprintf(stderr, "nvlsim: internal error: %s\n", line);
    abort();
  }
  nvl_diags_release(&cd);
  json_decref(cat);
}

/* The group templates of /groups, by name (expanded later, from /system down). */
static void parse_templates(loader *L, json_t *root) {
  json_t *groups = nvl_ld_get_typed(L, root, "", "groups", JSON_OBJECT, false);
  const char *gname;
  json_t *gv;
  json_object_foreach(groups, gname, gv) {
    char p[NVL_DIAG_PTR_MAX];
    nvl_ptr_join(p, sizeof p, "/groups", gname);
    if (!nvl_ld_valid_name(gname)) {
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "invalid group name \"%.60s\": " NVL_LD_NAME_RULE, gname);
      continue;
    }
    if (!json_is_object(gv)) {
      nvl_ld_err(L, NVL_DIAG_SCHEMA, p, "expected an object, got %s", nvl_json_type_name(gv));
      continue;
    }
    L->tmpls = nvl_xrealloc(L->tmpls, (L->n_tmpls + 1) * sizeof *L->tmpls);
    group_tmpl *g = &L->tmpls[L->n_tmpls++];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", gname);
    snprintf(g->ptr, sizeof g->ptr, "%s", p);
    g->body = gv;
  }
}

/* With failure specs, the damaged copy (which keeps the intact design); then the whole-design
 * checks on what will be returned. Returns the design to hand out, or NULL on errors. */
static nvl_design *finish(loader *L, size_t errors_before) {
  nvl_design *d = L->d;
  if (d->n_fail_specs) {
    nvl_design *damaged = nvl_design_damage(d, NULL, 0, L->diags);
    if (!damaged)
      return NULL;
    d = damaged;
  }
  if (L->diags->errors == errors_before)
    nvl_design_check_wiring(d, L->diags);
  return d;
}

nvl_load_status nvl_design_load_buffer(const char *text, size_t len, const char *label,
                                       const nvl_load_opts *opts, nvl_design **out,
                                       nvl_diags *diags) {
  *out = NULL;
  size_t errors_before = diags->errors;
  loader L = {.diags = diags, .opts = opts};
  L.d = nvl_xcalloc(1, sizeof *L.d);
  nvl_design *d = L.d;
  snprintf(d->file, sizeof d->file, "%s", label);
  json_t *root = parse_json(&L, text, len);
  if (!root)
    goto fail;
  static const char *const top_keys[] = {
      "$schema", "nvlsim", "name",  "description", "link_types", "endpoint_types", "switch_types",
      "groups",  "system", "links", "failures",    "expect",     "note",           NULL};
  nvl_ld_check_keys(&L, root, "", top_keys);
  json_t *ver = json_object_get(root, "nvlsim");
  if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1)) {
    nvl_ld_err(&L, NVL_DIAG_SCHEMA, "/nvlsim",
               "unsupported format version; this nvlsim reads \"nvlsim\": 1");
    goto fail_root;
  }
  nvl_ld_get_string(&L, root, "", "name", true, d->name, sizeof d->name);
  nvl_ld_get_string(&L, root, "", "description", false, d->description, sizeof d->description);
  load_catalog(&L);
  nvl_ld_parse_types(&L, root);
  if (diags->errors > errors_before)
    goto fail_root; /* types are needed for everything below */

  parse_templates(&L, root);
  json_t *system = nvl_ld_get_typed(&L, root, "", "system", JSON_OBJECT, true);
  if (!system)
    goto fail_root;
  uint64_t n_dev = nvl_ld_size_group(&L, system, "/system", 0);
  if (n_dev == UINT64_MAX)
    goto fail_root;
  if (n_dev > nvl_ld_cap_devices(&L)) {
    nvl_ld_err(&L, NVL_DIAG_LIMIT, "/system",
               "design has %llu devices and group instances; the limit is %llu (raise it with "
               "--max-endpoints)",
               (unsigned long long)n_dev, (unsigned long long)nvl_ld_cap_devices(&L));
    goto fail_root;
  }
  size_t errors_sizing = diags->errors;
  nvl_ld_expand_group(&L, system, "/system", "system", 0, -1, 0);
  if (d->n_devices == 0) {
    if (diags->errors == errors_sizing)
      nvl_ld_err(&L, NVL_DIAG_SCHEMA, "/system", "the system declares no devices");
    goto fail_root;
  }
  nvl_ld_parse_links(&L, root);
  nvl_ld_parse_failures(&L, root);
  nvl_ld_parse_expect(&L, root);
  json_decref(root);
  nvl_design *result = finish(&L, errors_before);
  free(L.tmpls);
  free(L.used);
  free(L.mark);
  free(L.bad_names);
  if (!result || diags->errors > errors_before) {
    nvl_design_free(result ? result : d);
    return NVL_LOAD_INVALID;
  }
  *out = result;
  return NVL_LOAD_OK;
fail_root:
  json_decref(root);
fail:
  free(L.tmpls);
  free(L.used);
  free(L.mark);
  free(L.bad_names);
  nvl_design_free(d);
  return NVL_LOAD_INVALID;
}

nvl_load_status nvl_design_load_file(const char *path, const nvl_load_opts *opts, nvl_design **out,
                                     nvl_diags *diags) {
  *out = NULL;
  char *buf;
  size_t len;
  size_t before = diags->errors;
  if (nvl_file_read(path, "design", NVL_MAX_FILE_BYTES, &buf, &len, diags) != 0)
    return diags->count && diags->items[diags->count - 1].code == NVL_DIAG_LIMIT &&
                   diags->errors > before
               ? NVL_LOAD_INVALID
               : NVL_LOAD_IO;
  nvl_load_status rc = nvl_design_load_buffer(buf, len, path, opts, out, diags);
  free(buf);
  return rc;
}

nvl_design *nvl_design_load_default(void) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_design *d = NULL;
  if (nvl_design_load_buffer(nvl_default_design_json, nvl_default_design_json_len,
                             NVL_DEFAULT_DESIGN_NAME, NULL, &d, &diags) != NVL_LOAD_OK) {
    fprintf(stderr, "nvlsim: internal error: built-in design does not load\n");
    abort();
  }
  nvl_diags_release(&diags);
  return d;
}

nvl_load_status nvl_design_load(const char *path, const nvl_load_opts *opts, nvl_design **out,
                                nvl_diags *diags) {
  const nvl_builtin *b;
  char names[1024];
  switch (nvl_builtin_resolve(path, &b, names, sizeof names)) {
  case 1: return nvl_design_load_buffer(b->data, b->len, path, opts, out, diags);
  case 0: return nvl_design_load_file(path, opts, out, diags);
  default:
    *out = NULL;
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL,
                 "no built-in design of that name; built-in designs: %s", names);
    return NVL_LOAD_IO;
  }
}
