/*
 * cmd_sweep: `nvlsim sweep SPEC -o OUT [-j N] [--shard i/N]` and `nvlsim sweep --merge -o OUT
 * IN...`.
 *
 * Every point runs in a child process of its own (SimGrid allows one engine per process), at most
 * -j at a time. Rows are kept sorted by point, so the CSV does not depend on -j or on timing, and
 * OUT is rewritten atomically (temporary file + rename) after each point: a killed sweep leaves the
 * points done so far, and rerunning the same command skips them (resume). A point whose design is
 * invalid is recorded with status "invalid" and its first error; the sweep goes on. Sweep CSVs
 * are read back (resume, merge) with the one CSV reader, so quoted fields with commas or line
 * breaks survive.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/file.h"
#include "base/xalloc.h"
#include "cli/argvals.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/sweep.h"
#include "output/plot.h"
#include "cli/sweep_csv.h"
#include "cli/sweep_guard.h"
#include "output/results.h"

typedef struct {
  const char *out, *plot;
  bool merge;
  size_t jobs;
  nvl_cli_shard shard;
} sweep_opts;

static int parse_jobs(void *field, const char *v, const char *opt, const char *cmd) {
  int n, rc = nvl_arg_positive(&n, v, opt, cmd);
  if (rc)
    return rc;
  if (n > 256)
    return nvl_cli_usage_error(cmd, "%s takes 1 to 256", opt);
  *(size_t *)field = (size_t)n;
  return 0;
}

static const nvl_option options[] = {
    NVL_OPT_(NVL_OPT_STRING, 0, "plot", "OUT", sweep_opts, plot,
             "the first axis against busbw (an LLM sweep: tokens/s), one\nline per value of the "
             "second axis: OUT.png, .svg or .pdf"),
    NVL_OPT_(NVL_OPT_STRING, 'o', "output", "OUT", sweep_opts, out,
             "the CSV: one row per point and size, rewritten atomically"),
    NVL_OPT_CALL_('j', "jobs", "N", sweep_opts, jobs, parse_jobs,
                  "points simulated at once (default: the number of cores)"),
    NVL_OPT_CALL_(0, "shard", "i/N", sweep_opts, shard, nvl_arg_shard,
                  "run only the points p with p mod N = i"),
    NVL_OPT_(NVL_OPT_FLAG, 0, "merge", NULL, sweep_opts, merge,
             "join the shard CSVs given as operands into -o OUT (or into\nthe first operand when "
             "-o is not given: --merge OUT IN...)"),
    NVL_OPT_QUIET_,
    NVL_OPT_END_};

const nvl_cmd_doc nvl_doc_sweep = {
    "sweep",
    "nvlsim sweep SPEC -o OUT.csv [-j N] [--shard i/N]\nnvlsim sweep --merge -o OUT.csv "
    "SHARD.csv... (or --merge OUT.csv SHARD.csv...)",
    "SPEC names a base design, a workload and axes (JSON pointers into the design, or the\n"
    "parameters size, collective, algo, model, fail_switches); see README. Every point is\n"
    "validated and simulated in its own process, -j at a time. OUT gets one row per point and\n"
    "size: point, one column per axis, status (ok, invalid, failed), the run columns,\n"
    "error, sweep_id. Running the same command again skips the points OUT holds (resume);\n"
    "rows of an edited spec, base design or model file are refused. One sweep writes OUT at\n"
    "a time (OUT.lock). SIGINT/SIGTERM stop the children and keep the points done.\n"
    "Examples:\n"
    "  nvlsim sweep tools/studies/fusion-asics.json -o fusion.csv -j 2\n"
    "  nvlsim sweep tools/studies/fusion-asics.json -o fusion2.csv --plot fusion.png\n",
    options, NULL};

typedef struct {
  size_t point, from, k; /* row k of the nvl_sweep_rowset came from input `from` */
} row_ref;

static int cmp_ref(const void *a, const void *b) {
  const row_ref *x = a, *y = b;
  if (x->point != y->point)
    return x->point < y->point ? -1 : 1;
  if (x->from != y->from)
    return x->from < y->from ? -1 : 1;
  return x->k < y->k ? -1 : x->k > y->k;
}

/* Whether two inputs hold different rows for one point (shards are disjoint; the same point in
 * two files must be the same rows, in the same order, as when a shard is merged twice). */
static bool merge_conflict(const nvl_sweep_rowset *rs, const size_t *from, char **inputs) {
  row_ref *r = nvl_xmalloc((rs->n + 1) * sizeof *r);
  for (size_t k = 0; k < rs->n; k++)
    r[k] = (row_ref){rs->rows[k].point, from[k], k};
  qsort(r, rs->n, sizeof *r, cmp_ref);
  bool bad = false;
  for (size_t i = 0; i < rs->n && !bad;) {
    size_t end = i, first_len;
    while (end < rs->n && r[end].point == r[i].point)
      end++;
    first_len = 0;
    while (i + first_len < end && r[i + first_len].from == r[i].from)
      first_len++;
    for (size_t j = i + first_len; j < end && !bad;) { /* each further input's run */
      size_t len = 0;
      while (j + len < end && r[j + len].from == r[j].from)
        len++;
      bad = len != first_len;
      for (size_t m = 0; m < len && !bad; m++)
        bad = strcmp(rs->rows[r[i + m].k].line, rs->rows[r[j + m].k].line) != 0;
      if (bad)
        fprintf(stderr,
                "nvlsim sweep: point %zu is in %s and in %s with different rows: not shards of "
                "one sweep\n",
                r[i].point, inputs[r[i].from], inputs[r[j].from]);
      j += len;
    }
    i = end;
  }
  free(r);
  return bad;
}

/* Whether the rows come from sweeps of different ids (their last column). */
static bool mixed_ids(const nvl_sweep_rowset *rs, const size_t *from, char **inputs) {
  for (size_t k = 1; k < rs->n; k++) {
    const char *a = strrchr(rs->rows[0].line, ','), *b = strrchr(rs->rows[k].line, ',');
    if (a && b && strcmp(a, b) != 0) {
      fprintf(stderr,
              "nvlsim sweep: %s and %s are of different sweeps (sweep_id %s and %s): merge "
              "shards of one spec\n",
              inputs[from[0]], inputs[from[k]], a + 1, b + 1);
      return true;
    }
  }
  return false;
}

static int merge(const char *out, char **inputs, int n) {
  if (n < 2)
    return nvl_cli_usage_error("sweep",
                               "--merge joins two or more shard CSVs (got %d): one file "
                               "is already a sweep CSV",
                               n);
  nvl_sweep_rowset rs = {0};
  char *header = NULL;
  size_t *from = NULL; /* [row]: the input it came from */
  for (int i = 0; i < n; i++) {
    size_t before = rs.n;
    int got = nvl_sweep_read_rows(inputs[i], header, &header, &rs, false, NULL);
    if (got != 0) {
      free(header);
      nvl_sweep_free_rows(&rs);
      free(from);
      return got == -2 ? NVL_EXIT_USAGE : NVL_EXIT_FAIL; /* unreadable, or not a sweep CSV */
    }
    from = nvl_xrealloc(from, (rs.n + 1) * sizeof *from);
    for (size_t k = before; k < rs.n; k++)
      from[k] = (size_t)i;
  }
  if (merge_conflict(&rs, from, inputs) || mixed_ids(&rs, from, inputs)) {
    free(header);
    nvl_sweep_free_rows(&rs);
    free(from);
    return NVL_EXIT_FAIL;
  }
  free(from);
  /* shards are disjoint; the same point twice keeps the first file's rows */
  nvl_sweep_sort_rows(&rs);
  nvl_sweep_rowset uniq = {0};
  for (size_t i = 0; i < rs.n; i++) {
    bool dup = false;
    for (size_t k = 0; k < uniq.n && !dup; k++)
      dup =
          uniq.rows[k].point == rs.rows[i].point && strcmp(uniq.rows[k].line, rs.rows[i].line) == 0;
    if (!dup)
      nvl_sweep_add_row(&uniq, rs.rows[i].point, rs.rows[i].line);
  }
  int rc = header && nvl_sweep_write_rows(out, header, &uniq) == 0 ? NVL_EXIT_OK : NVL_EXIT_USAGE;
  fprintf(stderr, "sweep: merged %d files into %s (%zu rows)\n", n, out, uniq.n);
  free(header);
  nvl_sweep_free_rows(&rs);
  nvl_sweep_free_rows(&uniq);
  return rc;
}

/* One point in a child process. */
typedef struct {
  pid_t pid;
  size_t point;
  char tmp[256];
} child;

typedef struct {
  const nvl_model_ctx *ctx;
  const nvl_sweep *s;
  const sweep_opts *o;
  const char *header;
  nvl_sweep_rowset rs;
  bool *done;                     /* [point]: already in OUT */
  size_t todo, finished, bad, np; /* points to run, run, invalid or failed, in the sweep */
  child *kids;
  size_t running, next;
  int lock_fd; /* OUT.lock, held by this process alone (children close their copy) */
} sweep_run;

/* Starts the next point of this shard not done yet. Returns 0, 1 when none is left, or an exit
 * status. */
static int start_point(sweep_run *sr) {
  size_t p = sr->next;
  while (p < sr->np && (p % sr->o->shard.n != sr->o->shard.i || sr->done[p]))
    p++;
  sr->next = p + 1;
  if (p >= sr->np)
    return 1;
  size_t slot = 0;
  while (sr->kids[slot].pid != 0)
    slot++;
  child *c = &sr->kids[slot];
  int fd = nvl_cli_tmpfile(c->tmp, sizeof c->tmp, "nvlsim-sweep");
  if (fd < 0) {
    fprintf(stderr, "nvlsim sweep: cannot create a temporary file in %s: %s\n", c->tmp,
            strerror(errno));
    return NVL_EXIT_USAGE;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    nvl_sweep_child_signals();
    if (sr->lock_fd >= 0) /* an orphaned child must not keep the output locked */
      close(sr->lock_fd);
    FILE *f = fdopen(fd, "w");
    int r = nvl_sweep_run_point(sr->ctx, sr->s, p, f);
    fclose(f);
    _exit(r == 0 ? 0 : 1);
  }
  close(fd);
  if (pid < 0) {
    fprintf(stderr, "nvlsim sweep: cannot start a process: %s\n", strerror(errno));
    unlink(c->tmp);
    return NVL_EXIT_MEMORY;
  }
  c->pid = pid;
  nvl_sweep_track_child(slot, pid);
  c->point = p;
  sr->running++;
  return 0;
}

/* The point and axis columns of a point's rows. */
static char *point_prefix(const nvl_sweep *s, size_t point) {
  char *pre = NULL;
  size_t plen = 0;
  FILE *m = nvl_xmemstream(&pre, &plen);
  fprintf(m, "%zu", point);
  for (size_t a = 0; a < nvl_sweep_axes(s); a++) {
    char *v = nvl_sweep_axis_value(s, point, a);
    fputc(',', m);
    nvl_csv_field(m, v);
    free(v);
  }
  fclose(m);
  return pre;
}

/* A point's row: its point and axis columns, the child's `status,...,error`, the sweep id. */
static void add_point_row(sweep_run *sr, size_t point, const char *pre, const char *body) {
  const char *id = nvl_sweep_id(sr->s);
  char *full = nvl_xmalloc(strlen(pre) + strlen(body) + strlen(id) + 3);
  sprintf(full, "%s,%s,%s", pre, body, id);
  nvl_sweep_add_row(&sr->rs, point, full);
  free(full);
}

/* A child has ended: its slot is free. */
static void forget(sweep_run *sr, child *c) {
  unlink(c->tmp);
  nvl_sweep_track_child((size_t)(c - sr->kids), 0);
  c->pid = 0;
  sr->running--;
}

/* A child has ended with status st: its rows (or a "failed" row) join the set. */
static void collect(sweep_run *sr, child *c, int st) {
  char *pre = point_prefix(sr->s, c->point);
  size_t got = 0;
  char **recs = nvl_sweep_read_records(c->tmp, &got); /* records, not lines: quoted breaks */
  for (size_t k = 0; k < got; k++) {
    add_point_row(sr, c->point, pre, recs[k]);
    free(recs[k]);
  }
  free(recs);
  if (got == 0 || !WIFEXITED(st)) { /* the child died without a word */
    char why[80], *body = NULL;
    size_t blen = 0;
    snprintf(why, sizeof why, "simulation process ended (%s %d)",
             WIFSIGNALED(st) ? "signal" : "status",
             WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    FILE *m = nvl_xmemstream(&body, &blen);
    nvl_sweep_error_row(m, nvl_sweep_result_columns(sr->s), "failed", why);
    fclose(m);
    body[strcspn(body, "\n")] = '\0';
    add_point_row(sr, c->point, pre, body);
    free(body);
  }
  sr->bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  free(pre);
  forget(sr, c);
  sr->finished++;
}

/* After a stop signal: the children are stopped (not recorded: their points are still to do). */
static void stop_children(sweep_run *sr) {
  for (size_t k = 0; k < sr->o->jobs; k++)
    if (sr->kids[k].pid > 0) {
      if (nvl_sweep_stopped())
        kill(sr->kids[k].pid, SIGTERM);
      while (waitpid(sr->kids[k].pid, NULL, 0) < 0 && errno == EINTR) {
      }
      forget(sr, &sr->kids[k]);
    }
}

static void show_progress(const sweep_run *sr) {
  int w = 30, fill = (int)(w * sr->finished / (sr->todo ? sr->todo : 1));
  fprintf(stderr, "\rsweep [%.*s%*s] %zu/%zu points", fill, "##############################",
          w - fill, "", sr->finished, sr->todo);
}

static int run_points(sweep_run *sr) {
  bool tty = isatty(2);
  int rc = NVL_EXIT_OK;
  while (sr->finished < sr->todo && rc == NVL_EXIT_OK && !nvl_sweep_stopped()) {
    int st = 0;
    while (sr->running < sr->o->jobs && (st = start_point(sr)) == 0) {
    }
    if (st > 1) {
      rc = st;
      break;
    }
    if (sr->running == 0)
      break;
    pid_t pid = wait(&st);
    if (pid < 0 && errno == EINTR)
      continue;
    if (pid < 0)
      break;
    bool stopped = nvl_sweep_stopped() && WIFSIGNALED(st); /* not a failed point: still to do */
    for (size_t k = 0; k < sr->o->jobs; k++)
      if (sr->kids[k].pid == pid && stopped) {
        forget(sr, &sr->kids[k]);
      } else if (sr->kids[k].pid == pid) {
        collect(sr, &sr->kids[k], st);
        if (nvl_sweep_write_rows(sr->o->out, sr->header, &sr->rs) != 0)
          rc = NVL_EXIT_USAGE;
        if (tty)
          show_progress(sr);
      }
  }
  stop_children(sr); /* on an error above, the others finish cleanly */
  if (tty)
    fputc('\n', stderr);
  return rc;
}

static int sweep(const nvl_model_ctx *ctx, const sweep_opts *o, const char *spec_path) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_sweep *s = nvl_sweep_load(spec_path, &diags);
  if (!s) {
    nvl_cli_print_diags(&diags, spec_path, stderr);
    int rc = diags.count && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
    nvl_diags_release(&diags);
    return rc;
  }
  nvl_diags_release(&diags);
  nvl_sweep_print_base_warnings(s);
  char *header = nvl_sweep_make_header(s);
  sweep_run sr = {.ctx = ctx, .s = s, .o = o, .header = header, .np = nvl_sweep_points(s)};
  int rc = NVL_EXIT_OK;
  char lock[4200];
  int lock_fd = nvl_sweep_lock(o->out, lock, sizeof lock);
  if (lock_fd == -1) {
    rc = NVL_EXIT_USAGE;
    goto cleanup;
  }
  sr.lock_fd = lock_fd;
  nvl_sweep_catch_stop();
  if (nvl_sweep_read_rows(o->out, header, NULL, &sr.rs, true, s) != 0) { /* resume */
    rc = NVL_EXIT_USAGE;
    goto cleanup;
  }
  sr.done = nvl_xcalloc(sr.np + 1, 1);
  for (size_t i = 0; i < sr.rs.n; i++)
    if (sr.rs.rows[i].point < sr.np)
      sr.done[sr.rs.rows[i].point] = true;
  size_t resumed = 0;
  for (size_t p = 0; p < sr.np; p++)
    if (p % o->shard.n == o->shard.i)
      resumed += sr.done[p], sr.todo += !sr.done[p];
  if (resumed)
    fprintf(stderr, "sweep: %zu points already in %s, %zu to run\n", resumed, o->out, sr.todo);
  sr.kids = nvl_xcalloc(o->jobs, sizeof *sr.kids);
  rc = run_points(&sr);
  if (rc == NVL_EXIT_OK && sr.todo == 0 && sr.rs.n == 0 &&
      nvl_sweep_write_rows(o->out, header, &sr.rs) != 0)
    rc = NVL_EXIT_USAGE;
  if (nvl_sweep_stopped())
    fprintf(stderr,
            "sweep: stopped by signal %d: %zu points run, %zu rows in %s; the same command "
            "resumes it\n",
            nvl_sweep_stopped(), sr.finished, sr.rs.n, o->out);
  else
    fprintf(stderr, "sweep: %zu points run, %zu invalid or failed, %zu rows in %s\n", sr.finished,
            sr.bad, sr.rs.n, o->out);
cleanup:
  nvl_sweep_unlock(lock_fd, lock);
  free(sr.kids);
  free(sr.done);
  free(header);
  nvl_sweep_free_rows(&sr.rs);
  nvl_sweep_free(s);
  if (nvl_sweep_stopped())
    nvl_sweep_die_by(nvl_sweep_stopped());
  return rc;
}

/* The picture of a sweep's CSV: its first axis (the column after "point") against busbw_GBps, or
 * tokens_per_s for an LLM sweep, one line per value of the second axis if there is one. */
static int plot_sweep(const char *csv, const char *out) {
  FILE *f = fopen(csv, "r");
  char head[8192] = "";
  if (!f || !fgets(head, sizeof head, f)) {
    if (f)
      fclose(f);
    fprintf(stderr, "nvlsim sweep: --plot: %s cannot be read\n", csv);
    return NVL_EXIT_USAGE;
  }
  fclose(f);
  head[strcspn(head, "\r\n")] = '\0';
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, head, strlen(head));
  char err[160], x[256] = "", series[256] = "";
  bool llm = false;
  if (nvl_csv_read(&r, err, sizeof err) > 0 && r.n_fields > 2 && strcmp(r.fields[1], "status")) {
    snprintf(x, sizeof x, "%s", r.fields[1]);
    if (strcmp(r.fields[2], "status") != 0)
      snprintf(series, sizeof series, "%s", r.fields[2]);
    llm = nvl_csv_find(&r, "tokens_per_s") >= 0;
  }
  nvl_csv_reader_release(&r);
  if (!x[0]) {
    fprintf(stderr, "nvlsim sweep: --plot: %s has no axis column\n", csv);
    return NVL_EXIT_FAIL;
  }
  return nvl_cli_plot_csv(csv, x, llm ? "tokens_per_s" : "busbw_GBps", series[0] ? series : NULL,
                          false, NULL, out, "sweep");
}

int nvl_cmd_sweep(const nvl_model_ctx *ctx, int argc, char **argv) {
  sweep_opts o = {.jobs = (size_t)sysconf(_SC_NPROCESSORS_ONLN), .shard = {0, 1}};
  char **operands = nvl_xcalloc((size_t)argc + 1, sizeof *operands);
  int n = 0, rc;
  if (!nvl_options_accept(&nvl_doc_sweep, argc, argv, &o, operands, argc, &n, &rc))
    ;
  else if (o.merge && o.out)
    rc = merge(o.out, operands, n);
  else if (o.merge) /* --merge OUT IN... */
    rc = n > 0 ? merge(operands[0], operands + 1, n - 1)
               : nvl_cli_usage_error("sweep", "--merge -o OUT IN... (or --merge OUT IN...)");
  else if (n > 1)
    rc = nvl_cli_usage_error("sweep", "one spec at a time");
  else if (n == 0 || !o.out)
    rc = nvl_cli_usage_error("sweep", "usage: nvlsim sweep SPEC -o OUT.csv [-j N] [--shard i/N]");
  else if (o.plot && nvl_plot_check(o.plot, "sweep") != NVL_EXIT_OK)
    rc = NVL_EXIT_USAGE;
  else if ((rc = sweep(ctx, &o, operands[0])) != NVL_EXIT_USAGE && o.plot) {
    int prc = plot_sweep(o.out, o.plot);
    rc = prc != NVL_EXIT_OK ? prc : rc;
  }
  free(operands);
  return rc;
}
