/*
 * profile: see profile.h.
 */
#include "models/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/units.h"
#include "base/xalloc.h"

#define N_COLS 18
static const char *const cols[N_COLS] = {
    "kind",     "dtype",   "M",       "N",        "K",
    "batch",    "seq",     "heads_q", "heads_kv", "head_dim",
    "ctx",      "tokens",  "width",   "experts",  "tokens_per_expert",
    "backward", "seconds", "bytes"};
enum {
  C_KIND,
  C_DTYPE,
  C_M,
  C_N,
  C_K,
  C_BATCH,
  C_SEQ,
  C_HQ,
  C_HKV,
  C_HD,
  C_CTX,
  C_TOK,
  C_W,
  C_EXP,
  C_TPE,
  C_BWD,
  C_SEC,
  C_BYTES
};

typedef struct {
  const nvl_csv_reader *r;
  const int *at; /* column index per cols[] (-1: absent) */
  char *err;
  size_t len;
  bool failed;
} row_reader;

static const char *field(const row_reader *rr, int c) {
  int i = rr->at[c];
  return i >= 0 && (size_t)i < rr->r->n_fields ? rr->r->fields[i] : "";
}

/* A positive size of at most 1e12 in column c (whole where `whole`). */
static double size_of(row_reader *rr, int c, bool whole) {
  const char *s = field(rr, c);
  double x = 0, hi = c == C_BYTES ? 1e15 : 1e12;
  if (!rr->failed &&
      (nvl_parse_decimal(s, &x) != 0 || !(x >= 1 && x <= hi) || (whole && x != floor(x)))) {
    snprintf(rr->err, rr->len, "line %d: %s \"%.40s\" is not a %snumber from 1 to %g", rr->r->line,
             cols[c], s, whole ? "whole " : "", hi);
    rr->failed = true;
  }
  return rr->failed ? 1 : x;
}

static nvl_kop gemm_op(nvl_kprec p, double m, double n, double k, double groups, bool loop) {
  nvl_kop o = {
      .kind = NVL_KOP_GEMM, .prec = p, .m = m, .n = n, .k = k, .groups = groups, .loop = loop};
  return o;
}

static nvl_kop mem_op(nvl_mem_class c, double bytes) {
  nvl_kop o = {.kind = NVL_KOP_MEM, .mem = c, .bytes = bytes};
  return o;
}

/* Fills row's operations from its kind and shape. */
static void row_ops(row_reader *rr, nvl_profile_row *row, nvl_kprec p, bool bwd) {
  const char *k = row->kind;
  if (strcmp(k, "gemm") == 0) {
    row->ops[row->n_ops++] = gemm_op(p, size_of(rr, C_M, true), size_of(rr, C_N, true),
                                     size_of(rr, C_K, true), 1, false);
  } else if (strcmp(k, "moe_gemm_loop") == 0 || strcmp(k, "moe_gemm_grouped") == 0) {
    row->ops[row->n_ops++] =
        gemm_op(p, size_of(rr, C_TPE, true), size_of(rr, C_N, true), size_of(rr, C_K, true),
                size_of(rr, C_EXP, true), strcmp(k, "moe_gemm_loop") == 0);
  } else if (strcmp(k, "attention_causal") == 0 || strcmp(k, "attention_decode") == 0) {
    bool dec = k[10] == 'd';
    double d = size_of(rr, C_HD, true);
    nvl_kop o = {.kind = dec ? NVL_KOP_ATTN_DECODE : NVL_KOP_ATTN,
                 .prec = p,
                 .batch = size_of(rr, C_BATCH, true),
                 .heads_q = size_of(rr, C_HQ, true),
                 .heads_kv = size_of(rr, C_HKV, true),
                 .dim_qk = d,
                 .dim_v = d,
                 .causal = !dec};
    o.seq = dec ? 1 : size_of(rr, C_SEQ, true);
    o.ctx = dec ? size_of(rr, C_CTX, true) : o.seq;
    o.kv_bytes = 2 * o.heads_kv * d * (p == NVL_KP_BF16 ? 2 : 1);
    row->ops[row->n_ops++] = o;
    if (bwd && !dec) {
      o.kind = NVL_KOP_ATTN_BWD;
      row->ops[row->n_ops++] = o;
    }
  } else if (strcmp(k, "lm_head_cross_entropy") == 0) {
    double t = size_of(rr, C_TOK, true), h = size_of(rr, C_W, true), v = size_of(rr, C_N, true);
    row->ops[row->n_ops++] = gemm_op(p, t, v, h, 1, false);
    row->ops[row->n_ops++] = gemm_op(p, t, h, v, 1, false); /* dgrad */
    row->ops[row->n_ops++] = gemm_op(p, h, v, t, 1, false); /* wgrad */
    row->ops[row->n_ops++] = mem_op(NVL_MEM_CROSS_ENTROPY, 4 * t * v);
  } else if (strcmp(k, "adamw_fused") == 0) {
    row->ops[row->n_ops++] = mem_op(NVL_MEM_ADAMW, 28 * size_of(rr, C_W, true));
  } else {
    static const struct {
      const char *kind;
      nvl_mem_class fwd, bwd;
      double fwd_bytes, bwd_bytes; /* per element of tokens x width */
    } mems[] = {{"hbm_copy", NVL_MEM_COPY, NVL_MEM_COPY, 0, 0},
                {"rmsnorm", NVL_MEM_RMSNORM, NVL_MEM_RMSNORM_BWD, 4, 6},
                {"silu_mul", NVL_MEM_SILU_MUL, NVL_MEM_SILU_MUL_BWD, 6, 10},
                {"add", NVL_MEM_ADD, NVL_MEM_ADD, 4, 4}};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++) {
      if (strcmp(k, mems[i].kind) != 0)
        continue;
      if (mems[i].fwd == NVL_MEM_COPY) { /* its bytes (read + written) are its shape */
        row->ops[row->n_ops++] = mem_op(NVL_MEM_COPY, size_of(rr, C_BYTES, true));
        return;
      }
      double tw = size_of(rr, C_TOK, true) * size_of(rr, C_W, true);
      row->ops[row->n_ops++] = mem_op(mems[i].fwd, mems[i].fwd_bytes * tw);
      if (bwd && mems[i].fwd != NVL_MEM_ADD)
        row->ops[row->n_ops++] = mem_op(mems[i].bwd, mems[i].bwd_bytes * tw);
      return;
    }
    if (!rr->failed) {
      snprintf(rr->err, rr->len, "line %d: unknown kind \"%.40s\"", rr->r->line, k);
      rr->failed = true;
    }
  }
}

static int parse_row(row_reader *rr, nvl_profile_row *row) {
  memset(row, 0, sizeof *row);
  row->line = rr->r->line;
  snprintf(row->kind, sizeof row->kind, "%s", field(rr, C_KIND));
  const char *dt = field(rr, C_DTYPE);
  nvl_kprec p = NVL_KP_BF16;
  if (strcmp(dt, "fp8") == 0)
    p = NVL_KP_FP8;
  else if (strcmp(dt, "fp4") == 0)
    p = NVL_KP_FP4;
  else if (*dt && strcmp(dt, "bf16") != 0 && strcmp(dt, "fp32") != 0) {
    snprintf(rr->err, rr->len, "line %d: dtype \"%.20s\" is not bf16, fp8, fp4 or fp32", row->line,
             dt);
    return -1;
  }
  const char *b = field(rr, C_BWD);
  if (*b && strcmp(b, "0") != 0 && strcmp(b, "1") != 0) {
    snprintf(rr->err, rr->len, "line %d: backward \"%.20s\" is not 0 or 1", row->line, b);
    return -1;
  }
  row_ops(rr, row, p, strcmp(b, "1") == 0);
  if (rr->failed)
    return -1;
  const char *s = field(rr, C_SEC);
  row->seconds = 0;
  if (nvl_parse_decimal(s, &row->seconds) != 0 || !(row->seconds >= 1e-7 && row->seconds <= 1e4)) {
    snprintf(rr->err, rr->len, "line %d: seconds \"%.40s\" is not a time from 1e-7 to 1e4",
             row->line, s);
    return -1;
  }
  return 0;
}

int nvl_profile_parse(nvl_profile *p, const char *name, const char *text, size_t len, char *err,
                      size_t errlen) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  if (errlen)
    err[0] = 0;
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  int at[N_COLS], rc = -1;
  size_t cap = 0;
  if (nvl_csv_header(&r, err, errlen) != 1) {
    if (!err[0])
      snprintf(err, errlen, "empty: no header row");
    goto done;
  }
  for (int c = 0; c < N_COLS; c++) {
    at[c] = nvl_csv_find(&r, cols[c]);
    if (at[c] < 0 && (c == C_KIND || c == C_SEC)) {
      snprintf(err, errlen, "line 1: missing column \"%s\"", cols[c]);
      goto done;
    }
  }
  row_reader rr = {.r = &r, .at = at, .err = err, .len = errlen};
  int got;
  while ((got = nvl_csv_read(&r, err, errlen)) == 1) {
    if (r.n_fields == 1 && !r.fields[0][0])
      continue; /* a blank line */
    if (p->n == 100000) {
      snprintf(err, errlen, "line %d: more than 100000 rows", r.line);
      goto done;
    }
    if (p->n == cap) {
      cap = cap ? 2 * cap : 256;
      p->rows = nvl_xrealloc(p->rows, cap * sizeof *p->rows);
    }
    if (parse_row(&rr, &p->rows[p->n]) != 0)
      goto done;
    p->n++;
  }
  if (got < 0) {
    char e2[200];
    snprintf(e2, sizeof e2, "line %d: %s", r.line, err);
    snprintf(err, errlen, "%s", e2);
    goto done;
  }
  if (p->n == 0) {
    snprintf(err, errlen, "no rows");
    goto done;
  }
  rc = 0;
done:
  nvl_csv_reader_release(&r);
  if (rc != 0)
    nvl_profile_release(p);
  return rc;
}

void nvl_profile_release(nvl_profile *p) {
  free(p->rows);
  memset(p, 0, sizeof *p);
}

void nvl_profile_copy(nvl_profile *dst, const nvl_profile *src) {
  *dst = *src;
  dst->rows = nvl_xmalloc((src->n + 1) * sizeof *dst->rows);
  memcpy(dst->rows, src->rows, src->n * sizeof *dst->rows);
}

/* ---- the correction ---- */

enum { GIVES_NONE, GIVES_KERNEL, GIVES_HOST }; /* what a row's ratio corrects */

/* The class key and the shape's features (logarithms) of an operation; returns the count. */
static int features(const nvl_kop *op, int *cls, double *f) {
  *cls = op->kind * 64 + op->prec * 16 + (op->kind == NVL_KOP_MEM ? (int)op->mem : op->loop);
  switch (op->kind) {
  case NVL_KOP_GEMM:
    f[0] = log(op->m), f[1] = log(op->n), f[2] = log(op->k), f[3] = log(op->groups);
    return 4;
  case NVL_KOP_ATTN:
  case NVL_KOP_ATTN_BWD:
  case NVL_KOP_ATTN_DECODE:
    f[0] = log(op->batch), f[1] = log(op->kind == NVL_KOP_ATTN_DECODE ? op->ctx : op->seq);
    f[2] = log(op->heads_q), f[3] = log(op->heads_kv), f[4] = log(op->dim_qk + op->dim_v);
    return 5;
  default: f[0] = log(op->bytes); return 1;
  }
}

/* The ratio interpolated at op from the rows that give one of this kind (kernel or host). */
static double interpolate(const nvl_profile_fit *fit, const nvl_kop *op, unsigned char kind) {
  int cls;
  double f[5];
  int n = features(op, &cls, f);
  double wsum = 0, lsum = 0, dmin2 = INFINITY, exact = 0;
  int n_exact = 0;
  for (size_t i = 0; i < fit->p->n; i++) {
    if (fit->gives[i] != kind || fit->cls[i] != cls)
      continue;
    double d2 = 0;
    for (int j = 0; j < n; j++)
      d2 += (f[j] - fit->feat[i][j]) * (f[j] - fit->feat[i][j]);
    if (d2 < 1e-12) {
      exact += fit->log_ratio[i];
      n_exact++;
      continue;
    }
    dmin2 = fmin(dmin2, d2);
    double w = 1 / (d2 * d2);
    wsum += w;
    lsum += w * fit->log_ratio[i];
  }
  if (n_exact)
    return exp(exact / n_exact);
  if (wsum <= 0)
    return 1;
  double dmin = sqrt(dmin2), fade = dmin <= 1.5 ? 1 : dmin >= 3 ? 0 : (3 - dmin) / 1.5;
  return exp(fade * lsum / wsum);
}

double nvl_profile_ratio(const nvl_profile_fit *f, const nvl_kop *op) {
  if (!f)
    return 1;
  double r = interpolate(f, op, GIVES_KERNEL);
  if (!(isfinite(r) && r > 0))
    r = 1;
  /* a row of this very shape whose kernel hid under the host floor bounds it */
  int cls;
  double q[5];
  int n = features(op, &cls, q);
  for (size_t i = 0; i < f->p->n; i++) {
    if (f->gives[i] != GIVES_HOST || f->cls[i] != cls)
      continue;
    double d2 = 0;
    for (int j = 0; j < n; j++)
      d2 += (q[j] - f->feat[i][j]) * (q[j] - f->feat[i][j]);
    if (d2 < 1e-12)
      r = fmin(r, exp(f->log_bound[i]));
  }
  return r;
}

double nvl_profile_host_ratio(const nvl_profile_fit *f, const nvl_kop *op) {
  if (!f)
    return 1;
  double r = interpolate(f, op, GIVES_HOST);
  return isfinite(r) && r > 0 ? r : 1;
}

/* One operation as the profiler runs it: eager, max(kernel, host). */
static double eager_time(const nvl_kernel_params *kp, const nvl_chip *c, const nvl_kop *op,
                         bool mechanism) {
  nvl_kop_time t = mechanism ? nvl_kop_mechanism(kp, c, NVL_RT_EAGER, op)
                             : nvl_kop_price(kp, c, NVL_RT_EAGER, op);
  return nvl_kernels_total(t.kernel_s, t.host_s);
}

double nvl_profile_row_model(const nvl_kernel_params *kp, const nvl_chip *c,
                             const nvl_profile_row *row, bool mechanism) {
  double t = 0;
  for (int i = 0; i < row->n_ops; i++)
    t += eager_time(kp, c, &row->ops[i], mechanism);
  return t;
}

/* Rows of one operation first, then rows whose last operation is what remains once the others
 * (corrected by the first pass) are taken away: a forward + backward row gives the backward. */
nvl_profile_fit *nvl_profile_fit_new(const nvl_profile *p, const nvl_kernel_params *kp,
                                     const nvl_chip *c) {
  nvl_profile_fit *f = nvl_xcalloc(1, sizeof *f);
  f->p = p;
  f->log_ratio = nvl_xcalloc(p->n + 1, sizeof *f->log_ratio);
  f->log_bound = nvl_xcalloc(p->n + 1, sizeof *f->log_bound);
  f->gives = nvl_xcalloc(p->n + 1, sizeof *f->gives); /* none until a pass gives one */
  f->cls = nvl_xcalloc(p->n + 1, sizeof *f->cls);
  f->feat = nvl_xcalloc(p->n + 1, sizeof *f->feat);
  for (size_t i = 0; i < p->n; i++)
    features(&p->rows[i].ops[p->rows[i].n_ops - 1], &f->cls[i], f->feat[i]);
  nvl_chip bare = *c;
  bare.profile = f; /* a second-pass row's earlier operations take the first pass's ratios */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < p->n; i++) {
      const nvl_profile_row *row = &p->rows[i];
      if ((row->n_ops == 1) != (pass == 0))
        continue;
      double left = row->seconds;
      for (int k = 0; k + 1 < row->n_ops; k++)
        left -= eager_time(kp, &bare, &row->ops[k], false);
      nvl_kop_time t = nvl_kop_mechanism(kp, &bare, NVL_RT_EAGER, &row->ops[row->n_ops - 1]);
      if (!(t.kernel_s > 0 && isfinite(t.kernel_s) && t.host_s > 0) || !(left > 0))
        continue; /* no work, a precision the chip lacks, or nothing left of the row */
      /* the kernel shows when the row is well above the host floor, or below the kernel */
      bool kernel = left > 1.5 * t.host_s || t.kernel_s > left;
      f->gives[i] = kernel ? GIVES_KERNEL : GIVES_HOST;
      f->log_ratio[i] = log(left / (kernel ? t.kernel_s : t.host_s));
      f->log_bound[i] = log(left / t.kernel_s);
    }
  return f;
}

void nvl_profile_fit_free(nvl_profile_fit *f) {
  if (!f)
    return;
  free(f->log_ratio);
  free(f->log_bound);
  free(f->gives);
  free(f->cls);
  free(f->feat);
  free(f);
}
