/*
 * units: see units.h. The number is scanned by hand (not strtod) so that "nan", "inf", hex
 * floats and locale decimal commas are all rejected the same way, then converted with strtod
 * on the validated span.
 */
#include "base/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  double factor;
} unit_def;

static const unit_def bw_units[] = {
    {"B/s", 1.0},       {"KB/s", 1e3},     {"MB/s", 1e6},        {"GB/s", 1e9},
    {"TB/s", 1e12},     {"KiB/s", 1024.0}, {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0},
    {"b/s", 0.125},     {"Kb/s", 1e3 / 8}, {"Mb/s", 1e6 / 8},    {"Gb/s", 1e9 / 8},
    {"Tb/s", 1e12 / 8}, {NULL, 0}};
static const unit_def time_units[] = {
    {"ps", 1e-12}, {"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6},
    {"ms", 1e-3},  {"s", 1.0},   {NULL, 0}};
static const unit_def size_units[] = {
    {"B", 1.0},         {"KB", 1e3},           {"MB", 1e6},
    {"GB", 1e9},        {"TB", 1e12},          {"KiB", 1024.0},
    {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
    {NULL, 0}};
static const unit_def flops_units[] = {{"FLOP/s", 1.0},   {"GFLOP/s", 1e9},  {"TFLOP/s", 1e12},
                                       {"PFLOP/s", 1e15}, {"EFLOP/s", 1e18}, {NULL, 0}};
static const unit_def power_units[] = {{"W", 1.0}, {"kW", 1e3}, {"MW", 1e6}, {NULL, 0}};

static const char *kind_name(nvl_qty_kind kind) {
  switch (kind) {
  case NVL_QTY_BANDWIDTH: return "bandwidth";
  case NVL_QTY_TIME: return "time";
  case NVL_QTY_FLOPS: return "FLOP rate";
  case NVL_QTY_POWER: return "power";
  default: return "size";
  }
}

static const char *kind_example(nvl_qty_kind kind) {
  switch (kind) {
  case NVL_QTY_BANDWIDTH: return "\"50 GB/s\" or \"400 Gb/s\"";
  case NVL_QTY_TIME: return "\"100 ns\" or \"0.6 us\"";
  case NVL_QTY_FLOPS: return "\"2.25 PFLOP/s\" or \"989 TFLOP/s\"";
  case NVL_QTY_POWER: return "\"1000 W\" or \"1.2 kW\"";
  default: return "\"64 MiB\" or \"1 GB\"";
  }
}

/* Scans [digits][.digits][(e|E)[+-]digits]; returns length or 0 if not a number. */
static size_t scan_number(const char *s) {
  size_t i = 0, digits = 0;
  while (s[i] >= '0' && s[i] <= '9')
    i++, digits++;
  if (s[i] == '.') {
    i++;
    while (s[i] >= '0' && s[i] <= '9')
      i++, digits++;
  }
  if (digits == 0)
    return 0;
  if (s[i] == 'e' || s[i] == 'E') {
    size_t j = i + 1;
    if (s[j] == '+' || s[j] == '-')
      j++;
    size_t exp_digits = 0;
    while (s[j] >= '0' && s[j] <= '9')
      j++, exp_digits++;
    if (exp_digits == 0)
      return 0;
    i = j;
  }
  return i;
}

int nvl_parse_decimal(const char *text, double *out) {
  const char *s = text[0] == '-' ? text + 1 : text;
  size_t n = scan_number(s);
  if (n == 0 || s[n] || n > 400)
    return -1;
  double v = strtod(text, NULL);
  if (!isfinite(v))
    return -1;
  *out = v;
  return 0;
}

int nvl_parse_uint(const char *text, uint64_t *out) {
  uint64_t v = 0;
  if (!*text)
    return -1;
  for (const char *c = text; *c; c++) {
    if (*c < '0' || *c > '9')
      return -1;
    unsigned d = (unsigned)(*c - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -2;
    v = 10 * v + d;
  }
  *out = v;
  return 0;
}

int nvl_parse_fraction(const char *text, double *out) {
  size_t n = strlen(text);
  bool pct = n > 0 && text[n - 1] == '%';
  char num[64];
  if (n - pct >= sizeof num)
    return -1;
  memcpy(num, text, n - pct);
  num[n - pct] = 0;
  if (nvl_parse_decimal(num, out) != 0)
    return -1;
  if (pct)
    *out /= 100;
  return 0;
}

static int parse(const char *text, nvl_qty_kind kind, int allow_zero, double *out, char *err,
                 size_t errlen) {
  const unit_def *units = kind == NVL_QTY_BANDWIDTH ? bw_units
                          : kind == NVL_QTY_TIME    ? time_units
                          : kind == NVL_QTY_FLOPS   ? flops_units
                          : kind == NVL_QTY_POWER   ? power_units
                                                    : size_units;
  if (!text || !*text) {
    snprintf(err, errlen, "empty %s; write e.g. %s", kind_name(kind), kind_example(kind));
    return -1;
  }
  if (text[0] == '-') {
    snprintf(err, errlen, "negative %s \"%.40s\"", kind_name(kind), text);
    return -1;
  }
  const char *s = text[0] == '+' ? text + 1 : text;
  size_t n = scan_number(s);
  if (n == 0 || n > 64) {
    snprintf(err, errlen, "\"%.40s\" is not a %s; write e.g. %s", text, kind_name(kind),
             kind_example(kind));
    return -1;
  }
  char num[72];
  memcpy(num, s, n);
  num[n] = '\0';
  double v = strtod(num, NULL);
  const char *u = s + n;
  if (*u == ' ')
    u++;
  if (!*u) {
    snprintf(err, errlen, "%s \"%.40s\" has no unit; write e.g. %s", kind_name(kind), text,
             kind_example(kind));
    return -1;
  }
  const unit_def *hit = NULL;
  for (const unit_def *d = units; d->name; d++)
    if (strcmp(u, d->name) == 0)
      hit = d;
  if (!hit) {
    snprintf(err, errlen, "unknown %s unit \"%.20s\" in \"%.40s\"", kind_name(kind), u, text);
    return -1;
  }
  v *= hit->factor;
  if (!isfinite(v)) {
    snprintf(err, errlen, "%s \"%.40s\" is out of range", kind_name(kind), text);
    return -1;
  }
  if (v == 0.0 && !allow_zero) {
    snprintf(err, errlen, "%s \"%.40s\" must be greater than zero", kind_name(kind), text);
    return -1;
  }
  if (kind == NVL_QTY_SIZE) {
    if (v > 9.0e18) {
      snprintf(err, errlen, "size \"%.40s\" is out of range", text);
      return -1;
    }
    if (v != floor(v)) {
      snprintf(err, errlen, "size \"%.40s\" is not a whole number of bytes", text);
      return -1;
    }
  }
  *out = v;
  return 0;
}

int nvl_units_parse(const char *text, nvl_qty_kind kind, double *out, char *err, size_t errlen) {
  return parse(text, kind, 0, out, err, errlen);
}

int nvl_units_parse_time0(const char *text, double *out, char *err, size_t errlen) {
  return parse(text, NVL_QTY_TIME, 1, out, err, errlen);
}

int nvl_units_parse_cli_size(const char *text, bool allow_zero, uint64_t *out, char *err,
                             size_t errlen) {
  size_t n = text ? scan_number(text) : 0;
  double v;
  if (n > 0 && n <= 30 && strchr(text, '.') == NULL && strpbrk(text, "eE") == NULL) {
    static const struct {
      const char *suffix;
      double factor;
    } nccl[] = {
        {"", 1.0}, {"K", 1024.0}, {"M", 1048576.0}, {"G", 1073741824.0}, {"T", 1099511627776.0}};
    for (size_t i = 0; i < sizeof nccl / sizeof nccl[0]; i++) {
      if (strcmp(text + n, nccl[i].suffix) == 0) {
        char num[32];
        memcpy(num, text, n);
        num[n] = '\0';
        v = strtod(num, NULL) * nccl[i].factor;
        if (v < (allow_zero ? 0 : 1) || v > 9.0e18) {
          snprintf(err, errlen, "size \"%.40s\" must be between %s and 8 EiB", text,
                   allow_zero ? "0" : "1 byte");
          return -1;
        }
        *out = (uint64_t)v;
        return 0;
      }
    }
  }
  if (parse(text, NVL_QTY_SIZE, allow_zero, &v, err, errlen) != 0)
    return -1;
  *out = (uint64_t)v;
  return 0;
}

static void fmt_scaled(double v, const char *const *names, double step, char *buf, size_t len) {
  int i = 0;
  while (fabs(v) >= step && names[i + 1]) {
    v /= step;
    i++;
  }
  char num[32];
  snprintf(num, sizeof num, "%.4g", v);
  snprintf(buf, len, "%s %s", num, names[i]);
}

void nvl_units_fmt_bw(double bw_Bps, char *buf, size_t len) {
  static const char *const names[] = {"B/s", "KB/s", "MB/s", "GB/s", "TB/s", "PB/s", NULL};
  fmt_scaled(bw_Bps, names, 1000.0, buf, len);
}

void nvl_units_fmt_size(double bytes, char *buf, size_t len) {
  static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", NULL};
  fmt_scaled(bytes, names, 1024.0, buf, len);
}

void nvl_units_fmt_time(double seconds, char *buf, size_t len) {
  if (seconds < 1e-6)
    snprintf(buf, len, "%.4g ns", seconds * 1e9);
  else if (seconds < 1e-3)
    snprintf(buf, len, "%.4g us", seconds * 1e6);
  else if (seconds < 1.0)
    snprintf(buf, len, "%.4g ms", seconds * 1e3);
  else
    snprintf(buf, len, "%.4g s", seconds);
}
