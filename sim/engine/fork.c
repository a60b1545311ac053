/*
 * fork: a simulation in a child process (SimGrid allows one per process, and dies on some
 * errors). The child runs nvl_engine_run and writes the result and its diagnostics to a pipe; the
 * parent reads them back, or reports how the child ended.
 */
#include "engine/engine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/exit.h"
#include "base/outfile.h"
#include "base/xalloc.h"

/* Moves all n bytes through fd, retrying after signals: write when `out`, else read. */
static int move_all(int fd, void *buf, size_t n, bool out) {
  char *p = buf;
  while (n > 0) {
    ssize_t k = out ? write(fd, p, n) : read(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int write_all(int fd, const void *buf, size_t n) {
  return move_all(fd, (void *)buf, n, true);
}
static int read_all(int fd, void *buf, size_t n) { return move_all(fd, buf, n, false); }

int nvl_engine_run_forked(const nvl_platform *p, const nvl_task_graph *g, nvl_engine_result *res,
                          nvl_diags *diags) {
  memset(res, 0, sizeof *res);
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    close(fds[0]);
    nvl_engine_result r;
    nvl_diags cd = NVL_DIAGS_INIT;
    int rc = nvl_engine_run(p, g, &r, &cd);
    int32_t status = rc;
    uint64_t hdr[4] = {r.n_tasks, r.n_links, r.n_flows, cd.count};
    bool bad = write_all(fds[1], &status, sizeof status) || write_all(fds[1], hdr, sizeof hdr) ||
               write_all(fds[1], &r.end_s, sizeof r.end_s) ||
               write_all(fds[1], r.start_s, r.n_tasks * sizeof(double)) ||
               write_all(fds[1], r.time_s, r.n_tasks * sizeof(double)) ||
               write_all(fds[1], r.finished, r.n_tasks) ||
               write_all(fds[1], r.link_bytes, 2 * r.n_links * sizeof(double)) ||
               write_all(fds[1], r.link_peak_Bps, 2 * r.n_links * sizeof(double)) ||
               write_all(fds[1], r.flows, r.n_flows * sizeof(nvl_flow)) ||
               write_all(fds[1], cd.items, cd.count * sizeof(nvl_diag));
    _exit(bad ? 3 : 0);
  }
  close(fds[1]);
  int32_t status = -1;
  uint64_t hdr[4] = {0};
  int rc = -1;
  if (read_all(fds[0], &status, sizeof status) == 0 && read_all(fds[0], hdr, sizeof hdr) == 0) {
    res->n_tasks = hdr[0];
    res->n_links = hdr[1];
    res->n_flows = hdr[2];
    res->start_s = nvl_xcalloc(hdr[0] + 1, sizeof(double));
    res->time_s = nvl_xcalloc(hdr[0] + 1, sizeof(double));
    res->finished = nvl_xcalloc(hdr[0] + 1, 1);
    res->link_bytes = nvl_xcalloc(2 * hdr[1] + 1, sizeof(double));
    res->link_peak_Bps = nvl_xcalloc(2 * hdr[1] + 1, sizeof(double));
    res->flows = nvl_xcalloc(hdr[2] + 1, sizeof(nvl_flow));
    nvl_diag *dg = nvl_xcalloc(hdr[3] + 1, sizeof *dg);
    if (read_all(fds[0], &res->end_s, sizeof res->end_s) == 0 &&
        read_all(fds[0], res->start_s, hdr[0] * sizeof(double)) == 0 &&
        read_all(fds[0], res->time_s, hdr[0] * sizeof(double)) == 0 &&
        read_all(fds[0], res->finished, hdr[0]) == 0 &&
        read_all(fds[0], res->link_bytes, 2 * hdr[1] * sizeof(double)) == 0 &&
        read_all(fds[0], res->link_peak_Bps, 2 * hdr[1] * sizeof(double)) == 0 &&
        read_all(fds[0], res->flows, hdr[2] * sizeof(nvl_flow)) == 0 &&
        read_all(fds[0], dg, hdr[3] * sizeof *dg) == 0) {
      for (uint64_t i = 0; i < hdr[3]; i++)
        nvl_diag_add(diags, dg[i].severity, dg[i].code, dg[i].pointer, "%s", dg[i].message);
      rc = status;
    }
    free(dg);
  }
  close(fds[0]);
  int wst;
  while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
  }
  if (rc == -1 && WIFEXITED(wst) && WEXITSTATUS(wst) == NVL_EXIT_NOMEM) {
    nvl_outfile_remove_unfinished(); /* the child said so; this process ends the same way */
    fprintf(stderr, "nvlsim: out of memory (in the simulation process)\n");
    exit(NVL_EXIT_NOMEM);
  }
  if (rc == -1 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0) && diags->errors == 0)
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL, "simulation process failed (%s %d)",
                 WIFSIGNALED(wst) ? "signal" : "exit status",
                 WIFSIGNALED(wst) ? WTERMSIG(wst) : WEXITSTATUS(wst));
  return rc;
}
