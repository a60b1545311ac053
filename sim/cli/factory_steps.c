/*
 * factory_steps: see factory_steps.h. A line: key TAB fits (1 or 0) TAB step_s TAB tokens/s TAB
 * tokens/J TAB KV bytes TAB weights bytes TAB HBM bytes TAB reason, newline; tabs and newlines in
 * a key or reason become spaces. A line of another form (an older build's) is not taken.
 */
#include "cli/factory_steps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "base/exit.h"
#include "base/file.h"
#include "base/xalloc.h"
#include "cli/llm_sim.h"

#define MAX_LOG_BYTES (256u << 20)

static uint64_t key_hash(const char *key) {
  uint64_t h = nvl_fnv1a(NVL_FNV1A_BASIS, key, strlen(key));
  return h == UINT64_MAX ? 0 : h; /* the map's reserved key */
}

static void append(nvl_factory_steps *s, const nvl_fs_entry *e) {
  nvl_u64map_get_or_add(&s->index, key_hash(e->key), (uint32_t)s->n, NULL);
  if (s->n == s->cap)
    s->e = nvl_xrealloc(s->e, (s->cap = 2 * s->cap + 32) * sizeof *s->e);
  nvl_fs_entry *d = &s->e[s->n++];
  *d = *e;
  d->key = nvl_xstrdup(e->key);
  d->reason = nvl_xstrdup(e->reason ? e->reason : "");
}

/* One whole line (its newline removed) into e, its strings pointing into line; false for a
 * malformed one. */
static bool parse(char *line, nvl_fs_entry *e) {
  char *f[9];
  int k = 0;
  for (char *p = line; k < 9; k++) {
    f[k] = p;
    char *t = strchr(p, '\t');
    if (!t)
      break;
    *t = '\0';
    p = t + 1;
  }
  if (k != 8 || (strcmp(f[1], "1") != 0 && strcmp(f[1], "0") != 0))
    return false;
  char *end;
  double v[6];
  for (int i = 0; i < 6; i++) {
    v[i] = strtod(f[2 + i], &end);
    if (end == f[2 + i] || *end)
      return false;
  }
  *e = (nvl_fs_entry){f[0], f[1][0] == '1', v[0], v[1], v[2], v[3], v[4], v[5], f[8]};
  return true;
}

int nvl_factory_steps_open(nvl_factory_steps *s, const char *path, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  struct stat sb;
  char *text = NULL;
  size_t len = 0;
  if (stat(path, &sb) == 0) { /* an existing log: a regular file, read bounded */
    nvl_diags diags = NVL_DIAGS_INIT;
    if (nvl_file_read(path, "steps log", MAX_LOG_BYTES, &text, &len, &diags) != 0) {
      snprintf(err, errlen, "%s: %s", path, diags.count ? diags.items[0].message : "unreadable");
      nvl_diags_release(&diags);
      return -1;
    }
    nvl_diags_release(&diags);
  } else if (errno != ENOENT) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  bool torn = len > 0 && text[len - 1] != '\n'; /* the last line has no newline */
  for (char *line = text, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
    *nl = '\0'; /* whole lines only: one an interruption cut short has none */
    nvl_fs_entry e;
    if (parse(line, &e) && !nvl_factory_steps_find(s, e.key))
      append(s, &e);
  }
  free(text);
  s->fp = fopen(path, "a");
  if (!s->fp) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    nvl_factory_steps_close(s);
    return -1;
  }
  if (torn) /* a line an interruption cut short ends here: the next one starts on its own */
    fputc('\n', s->fp);
  return 0;
}

const nvl_fs_entry *nvl_factory_steps_find(const nvl_factory_steps *s, const char *key) {
  uint32_t i = nvl_u64map_find(&s->index, key_hash(key));
  return i != UINT32_MAX && strcmp(s->e[i].key, key) == 0 ? &s->e[i] : NULL;
}

/* s without tabs or newlines, into out. */
static void flat(const char *s, char *out, size_t len) {
  snprintf(out, len, "%s", s ? s : "");
  for (char *p = out; *p; p++)
    if (*p == '\t' || *p == '\n' || *p == '\r')
      *p = ' ';
}

void nvl_factory_steps_add(nvl_factory_steps *s, const nvl_fs_entry *e) {
  char key[1024], reason[1024];
  flat(e->key, key, sizeof key);
  flat(e->reason, reason, sizeof reason);
  nvl_fs_entry f = *e;
  f.key = key;
  f.reason = reason;
  append(s, &f);
  if (s->fp) {
    fprintf(s->fp, "%s\t%d\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%s\n", key, e->fits ? 1 : 0,
            e->step_s, e->tokens_per_s, e->tokens_per_joule, e->kv_bytes, e->weights_bytes,
            e->capacity_bytes, reason);
    fflush(s->fp);
  }
}

void nvl_factory_steps_close(nvl_factory_steps *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->e[i].key);
    free(s->e[i].reason);
  }
  free(s->e);
  nvl_u64map_release(&s->index);
  if (s->fp)
    fclose(s->fp);
  memset(s, 0, sizeof *s);
}

/* A text's hash, for the keys. */
static uint64_t fnv(const char *s) { return nvl_fnv1a(NVL_FNV1A_BASIS, s, strlen(s)); }

/* The ask's key in the log: the design, the model and every field the step depends on. */
static void step_key(const nvl_factory_stepper *st, const nvl_llm_ask *a, char *key, size_t len) {
  int w =
      snprintf(key, len, "%s|%016llx|p%d|m%d|g%d|tp%zu|ep%zu|dp%zu|r%zu|b%zu|s%zu|mtp%ld|a%.6g",
               st->design_key, (unsigned long long)fnv(a->llm), a->precision, (int)a->mode, a->g,
               a->tp, a->ep, a->dp, a->redundant, a->batch, a->seq, a->mtp, a->mtp_accept);
  if (a->ranks && w > 0 && (size_t)w < len) /* a replica placed past the first */
    w += snprintf(key + w, len - (size_t)w, "|R%016llx", (unsigned long long)fnv(a->ranks));
  if (a->kv_precision >= 0 && w > 0 && (size_t)w < len) /* a KV cache precision asked for */
    w += snprintf(key + w, len - (size_t)w, "|kv%d", a->kv_precision);
  if (a->pp > 1 && w > 0 && (size_t)w < len) /* pipeline stages */
    snprintf(key + w, len - (size_t)w, "|pp%zu", a->pp);
}

int nvl_factory_step(nvl_factory_stepper *st, const nvl_design *d, const nvl_llm *m,
                     const nvl_llm_ask *a, const nvl_model_ctx *ctx, const char *label,
                     nvl_llm_result *r, nvl_llm_memory *mem) {
  char key[1024], bad[160];
  if (nvl_llm_ask_check(a, bad, sizeof bad) != 0) { /* a size past what a step takes */
    if (!st->misfit[0])
      snprintf(st->misfit, sizeof st->misfit, "%d per replica, batch %zu: --%s", a->g, a->batch,
               bad);
    return -1;
  }
  step_key(st, a, key, sizeof key);
  const nvl_fs_entry *had = st->log ? nvl_factory_steps_find(st->log, key) : NULL;
  if (had && !had->fits) {
    if (!st->misfit[0])
      snprintf(st->misfit, sizeof st->misfit, "%s", had->reason);
    return -1;
  }
  if (had) { /* simulated before: the log's figures */
    memset(r, 0, sizeof *r);
    r->step_s = had->step_s;
    r->tokens_per_s = had->tokens_per_s;
    r->tokens_per_joule = had->tokens_per_joule;
    if (mem)
      *mem = (nvl_llm_memory){.kv_cache = had->kv_bytes,
                              .weights = had->weights_bytes,
                              .capacity = had->capacity_bytes};
    return 0;
  }
  nvl_llm_sim x;
  memset(&x, 0, sizeof x);
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_llm_sim_opts so = {.ctx = ctx, .forked = true}; /* the engine again for the next */
  int rc = nvl_llm_simulate(d, m, a, &so, &x, &diags);
  bool misfit = false; /* the model cannot take the layout, or it does not fit in memory */
  for (size_t i = 0; i < diags.count && rc != NVL_EXIT_OK; i++)
    misfit |= diags.items[i].severity == NVL_SEV_ERROR && diags.items[i].code == NVL_DIAG_LIMIT;
  if (rc != NVL_EXIT_OK && (x.layout_error || misfit)) {
    rc = -1;
    char why[512] = "";
    for (size_t i = 0; i < diags.count && !why[0]; i++) /* the first reason, for the error */
      if (diags.items[i].severity == NVL_SEV_ERROR)
        snprintf(why, sizeof why, "%d per replica, batch %zu: %s", a->g, a->batch,
                 diags.items[i].message);
    if (!st->misfit[0])
      snprintf(st->misfit, sizeof st->misfit, "%s", why);
    if (st->log)
      nvl_factory_steps_add(st->log, &(nvl_fs_entry){.key = key, .reason = why});
  } else if (rc != NVL_EXIT_OK)
    nvl_cli_llm_print_failure(&x, &diags, "factory", label, NULL);
  else {
    *r = x.r;
    const nvl_llm_memory *mm = &x.st.mem;
    if (mem) /* one rank's: its share of its sequences' KV cache */
      *mem = (nvl_llm_memory){
          .kv_cache = mm->kv_cache, .weights = mm->weights, .capacity = mm->capacity};
    if (st->log)
      nvl_factory_steps_add(st->log, &(nvl_fs_entry){key, true, x.r.step_s, x.r.tokens_per_s,
                                                     x.r.tokens_per_joule, mm->kv_cache,
                                                     mm->weights, mm->capacity, ""});
  }
  nvl_llm_sim_release(&x);
  nvl_diags_release(&diags);
  return rc;
}

void nvl_factory_stepper_design(nvl_factory_stepper *st, const char *label, size_t devices,
                                size_t links) {
  /* fixed length: a long path cannot cut the key short */
  snprintf(st->design_key, sizeof st->design_key, "%016llx|%zu|%zu", (unsigned long long)fnv(label),
           devices, links);
  st->misfit[0] = '\0';
}
