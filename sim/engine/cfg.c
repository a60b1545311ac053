/*
 * cfg: see cfg.h.
 */
#include "engine/cfg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CFG_REAL, CFG_INT, CFG_WORD } cfg_kind;
static const struct {
  const char *key;
  cfg_kind kind;
  double min, max;   /* CFG_REAL, CFG_INT: inclusive range */
  const char *words; /* CFG_WORD: accepted values, comma-separated */
  const char *why;   /* shown when the value is refused */
} cfg_opts[] = {
    {"maxmin/precision", CFG_REAL, 1e-15, 0.1, NULL, "a precision in (0, 0.1]; 1 aborts"},
    {"maxmin/concurrency-limit", CFG_INT, -1, 1e9, NULL,
     "-1 (no limit) or a positive count; 0 deadlocks"},
    {"surf/precision", CFG_REAL, 1e-15, 1e-3, NULL, "seconds in (0, 1 ms]; 0 never advances"},
    {"network/maxmin-selective-update", CFG_WORD, 0, 0, "yes,on,true,1",
     "yes: the CM02 model runs with lazy updates, which need it"},
    {"network/solver", CFG_WORD, 0, 0, "maxmin,fairbottleneck,bmf",
     "maxmin, fairbottleneck or bmf"},
    {"network/loopback-bw", CFG_REAL, 1e-9, 1e18, NULL, "bytes per second above 0"},
    {"network/loopback-lat", CFG_REAL, 0, 1e3, NULL, "seconds, 0 or more"},
};

static bool cfg_value_ok(size_t i, const char *v) {
  if (cfg_opts[i].kind == CFG_WORD) {
    size_t n = strlen(v);
    for (const char *w = cfg_opts[i].words; *w;) {
      const char *e = strchr(w, ',');
      size_t len = e ? (size_t)(e - w) : strlen(w);
      if (len == n && strncmp(w, v, n) == 0)
        return true;
      w += len + (e ? 1 : 0);
    }
    return false;
  }
  char *end = NULL;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || !(d >= cfg_opts[i].min && d <= cfg_opts[i].max))
    return false;
  if (cfg_opts[i].kind == CFG_INT && (d != (double)(long)d || (cfg_opts[i].min < 0 && d == 0)))
    return false; /* whole numbers; where -1 means "no limit", 0 is not a limit either */
  return true;
}

int nvl_engine_check_cfg(const char *arg, char *err, size_t len) {
  const char *kv = strncmp(arg, "--cfg=", 6) == 0 ? arg + 6 : arg;
  const char *colon = strchr(kv, ':');
  if (!colon || colon == kv || !colon[1]) {
    snprintf(err, len, "\"%s\": write --cfg=KEY:VALUE", arg);
    return -1;
  }
  size_t klen = (size_t)(colon - kv);
  for (size_t i = 0; i < sizeof cfg_opts / sizeof cfg_opts[0]; i++)
    if (strlen(cfg_opts[i].key) == klen && strncmp(cfg_opts[i].key, kv, klen) == 0) {
      if (cfg_value_ok(i, colon + 1))
        return 0;
      snprintf(err, len, "SimGrid option %s: \"%s\" is not accepted; give %s", cfg_opts[i].key,
               colon + 1, cfg_opts[i].why);
      return -1;
    }
  char keys[600] = "";
  for (size_t i = 0; i < sizeof cfg_opts / sizeof cfg_opts[0]; i++)
    snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? ", " : "",
             cfg_opts[i].key);
  snprintf(err, len, "SimGrid key \"%.*s\" is not one nvlsim passes on; allowed: %s", (int)klen, kv,
           keys);
  return -1;
}
