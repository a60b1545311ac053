/*
 * cfg: the SimGrid options nvlsim passes on (`--cfg=KEY:VALUE`), with the values SimGrid 3.32
 * survives: outside these it aborts, crashes, hangs (surf/precision 0) or deadlocks (concurrency
 * limit 0). One table holds each key's kind, range and the reason shown when a value is refused.
 */
#ifndef NVL_CFG_H
#define NVL_CFG_H

#include <stddef.h>

/* Checks a "--cfg=KEY:VALUE" (or "KEY:VALUE") argument. Returns 0, or -1 with a message. */
int nvl_engine_check_cfg(const char *arg, char *err, size_t len);

#endif
