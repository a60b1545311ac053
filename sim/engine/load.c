/*
 * load: the platform handed to SimGrid. By default through s4u (sg_shim's zone, whose routes are
 * computed when SimGrid asks: nothing to write, parse or store per pair of hosts). With
 * --dump-platform (or NVLSIM_PLATFORM_XML in the environment) as XML with every route through a
 * memfd, so that the file written is exactly what SimGrid loads; a test checks both ways give
 * identical results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <simgrid/engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/runtime.h"

static void zone_host(void *z, int host, const char *name) {
  (void)host;
  nvl_zone_host(z, name);
}

static void zone_link(void *z, int index, const nvl_plink *l) {
  (void)index;
  nvl_zone_link(z, l->bw_Bps, l->lat_s, l->fatpipe);
}

/* SimGrid asks for routes here: the platform's, or a running shifted task's (shift.c) */
static int zone_route(void *e, int from, int to, int *links, int *dirs, int max) {
  return nvl_rt_route(e, from, to, links, dirs, max);
}

static void load_direct(nvl_engine *e) {
  static const nvl_platform_sink sink = {zone_host, zone_link, NULL};
  nvl_zone *z = nvl_zone_begin("nvlsim", zone_route, e);
  nvl_platform_emit(e->p, &sink, z);
  nvl_zone_end(z);
}

/* Copies the XML SimGrid reads to `dump`, atomically (a temporary file renamed into place). */
static int copy_dump(FILE *f, const char *dump) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", dump);
  int out = mkstemp(tmp);
  FILE *o = out >= 0 ? fdopen(out, "w") : NULL;
  bool bad = !o;
  if (o) {
    rewind(f);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
      bad |= fwrite(buf, 1, k, o) != k;
    bad |= fclose(o) != 0;
    bad |= chmod(tmp, 0644) != 0;
    bad |= !bad && rename(tmp, dump) != 0;
  }
  if (bad && out >= 0)
    unlink(tmp);
  return bad ? -1 : 0;
}

static int load_xml(nvl_engine *e) {
  const char *dump = e->g->dump_platform;
  int fd = memfd_create("nvlsim-platform.xml", 0);
  FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
  if (!f || nvl_platform_write_xml(e->p, f) != 0 || fflush(f) != 0) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL,
                 "cannot hand the platform to SimGrid: %s", strerror(errno));
    if (f)
      fclose(f);
    else if (fd >= 0)
      close(fd);
    return -1;
  }
  if (dump && copy_dump(f, dump) != 0) {
    nvl_diag_add(e->diags, NVL_SEV_ERROR, NVL_DIAG_IO, NULL, "cannot write %s: %s", dump,
                 strerror(errno));
    fclose(f);
    return -1;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  simgrid_load_platform(path);
  fclose(f);
  return 0;
}

int nvl_rt_load_platform(nvl_engine *e) {
  if (e->g->dump_platform || e->g->platform_xml)
    return load_xml(e);
  load_direct(e);
  return 0;
}
