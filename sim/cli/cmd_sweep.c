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
#include "output/results.h"

/* A sweep CSV is at most this large when read back. */
#define SWEEP_CSV_MAX_BYTES (1u << 30)

typedef struct {
  size_t point;
  char *line; /* the whole CSV record, without its end */
} row;

typedef struct {
  row *rows;
  size_t n, cap;
} rowset;

static void add_row(rowset *rs, size_t point, const char *line) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? 2 * rs->cap : 64;
    rs->rows = nvl_xrealloc(rs->rows, rs->cap * sizeof *rs->rows);
  }
  rs->rows[rs->n++] = (row){point, nvl_xstrdup(line)};
}

static int cmp_row(const void *a, const void *b) {
  const row *x = a, *y = b;
  if (x->point != y->point)
    return x->point < y->point ? -1 : 1;
  return x < y ? -1 : x > y; /* stable within a point: insertion order */
}

static void free_rows(rowset *rs) {
  for (size_t i = 0; i < rs->n; i++)
    free(rs->rows[i].line);
  free(rs->rows);
  memset(rs, 0, sizeof *rs);
}

static int write_rows(const char *path, const char *header, rowset *rs) {
  if (rs->n) /* never hand qsort a NULL array */
    qsort(rs->rows, rs->n, sizeof *rs->rows, cmp_row);
  nvl_outfile o;
  if (nvl_cli_output_open(&o, path, "sweep") != 0)
    return -1;
  fprintf(o.fp, "%s\n", header);
  for (size_t i = 0; i < rs->n; i++)
    fprintf(o.fp, "%s\n", rs->rows[i].line);
  return nvl_cli_output_commit(&o, "sweep");
}

/* The current record of r written back as one CSV line (malloc'ed). */
static char *record_text(const nvl_csv_reader *r) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = nvl_xmemstream(&buf, &len);
  nvl_csv_record(m, (const char *const *)r->fields, r->n_fields);
  fclose(m);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return buf;
}

/* Reads a sweep CSV: checks its header (when want_header is given; else returns it in *header),
 * adds its rows. Returns 0, or -1 on a mismatch, malformed row or I/O error (printed). */
/* Whether a resumed row is of this sweep: its point exists and its axis columns hold what the
 * spec gives that point (a spec edited since the rows were written has other values). */
static bool row_of_sweep(const nvl_sweep *s, const nvl_csv_reader *r, unsigned long long pt,
                         const char *path) {
  size_t na = nvl_sweep_axes(s);
  if (pt >= nvl_sweep_points(s)) {
    fprintf(stderr,
            "nvlsim sweep: %s:%d: a row for point %llu, but this sweep has %zu point%s: the file "
            "is of another sweep; remove it or choose another output\n",
            path, r->line, pt, nvl_sweep_points(s), nvl_sweep_points(s) == 1 ? "" : "s");
    return false;
  }
  for (size_t a = 0; a < na && a + 1 < r->n_fields; a++) {
    char want[512];
    nvl_sweep_axis_value(s, (size_t)pt, a, want, sizeof want);
    if (strcmp(want, r->fields[a + 1]) != 0) {
      fprintf(stderr,
              "nvlsim sweep: %s:%d: point %llu has %s = %s in the file but %s in the spec: the "
              "spec changed since; remove the file or choose another output\n",
              path, r->line, pt, nvl_sweep_axis_name(s, a), r->fields[a + 1], want);
      return false;
    }
  }
  return true;
}

static int read_rows(const char *path, const char *want_header, char **header, rowset *rs,
                     bool missing_ok, const nvl_sweep *check) {
  char *text;
  size_t len;
  nvl_diags diags = NVL_DIAGS_INIT;
  if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
    return 0;
  if (nvl_file_read(path, "sweep CSV", SWEEP_CSV_MAX_BYTES, &text, &len, &diags) != 0) {
    nvl_cli_print_diags(&diags, path, stderr);
    nvl_diags_release(&diags);
    return -1;
  }
  nvl_csv_reader r;
  nvl_csv_reader_init(&r, text, len);
  char err[160];
  int got, rc = 0;
  for (int n = 0; rc == 0 && (got = nvl_csv_read(&r, err, sizeof err)) != 0; n++) {
    char *line = got > 0 ? record_text(&r) : NULL;
    char *end;
    unsigned long long pt = got > 0 && n > 0 ? strtoull(r.fields[0], &end, 10) : 0;
    if (got < 0) {
      fprintf(stderr, "nvlsim sweep: %s:%d:%d: %s\n", path, r.line, r.column, err);
      rc = -1;
    } else if (n == 0 && want_header && strcmp(line, want_header) != 0) {
      fprintf(stderr,
              "nvlsim sweep: %s has other columns than this sweep; remove it or choose "
              "another output\n",
              path);
      rc = -1;
    } else if (n == 0 && !want_header) {
      *header = line;
      line = NULL;
    } else if (n > 0 && (end == r.fields[0] || *end)) {
      fprintf(stderr, "nvlsim sweep: %s:%d: not a sweep row\n", path, r.line);
      rc = -1;
    } else if (n > 0 && check && !row_of_sweep(check, &r, pt, path)) {
      rc = -1;
    } else if (n > 0) {
      add_row(rs, (size_t)pt, line);
    }
    free(line);
  }
  nvl_csv_reader_release(&r);
  free(text);
  return rc;
}

static char *make_header(const nvl_sweep *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = nvl_xmemstream(&buf, &len);
  fputs("point", m);
  for (size_t a = 0; a < nvl_sweep_axes(s); a++) {
    fputc(',', m);
    nvl_csv_field(m, nvl_sweep_axis_name(s, a));
  }
  fputs(",status,", m);
  nvl_sweep_result_header(s, m);
  fputs(",error", m);
  fclose(m);
  return buf;
}

/* Run the points p with p mod n = i. */
typedef struct {
  size_t i, n;
} shard_spec;

typedef struct {
  const char *out;
  bool merge;
  size_t jobs;
  shard_spec shard;
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

static int parse_shard(void *field, const char *v, const char *opt, const char *cmd) {
  shard_spec *sh = field;
  char *end, *slash = strchr(v, '/');
  bool digits = slash && slash > v && slash[1];
  for (const char *c = v; digits && *c; c++)
    digits = c == slash || (*c >= '0' && *c <= '9');
  errno = 0;
  unsigned long i = digits ? strtoul(v, &end, 10) : 0,
                n = digits ? strtoul(slash + 1, &end, 10) : 0;
  if (!digits || errno || n == 0 || n > 1000000 || i >= n)
    return nvl_cli_usage_error(cmd, "%s takes i/N, whole numbers with 0 <= i < N <= 1000000", opt);
  sh->i = i;
  sh->n = n;
  return 0;
}

static const nvl_option options[] = {
    NVL_OPT_(NVL_OPT_STRING, 'o', "output", "OUT", sweep_opts, out,
             "the CSV: one row per point and size, rewritten atomically"),
    NVL_OPT_CALL_('j', "jobs", "N", sweep_opts, jobs, parse_jobs,
                  "points simulated at once (default: the number of cores)"),
    NVL_OPT_CALL_(0, "shard", "i/N", sweep_opts, shard, parse_shard,
                  "run only the points p with p mod N = i"),
    NVL_OPT_(NVL_OPT_FLAG, 0, "merge", NULL, sweep_opts, merge,
             "join the shard CSVs given as operands into -o OUT (or into\nthe first operand when "
             "-o is not given: --merge OUT IN...)"),
    NVL_OPT_END_};

const nvl_cmd_doc nvl_doc_sweep = {
    "sweep",
    "nvlsim sweep SPEC -o OUT.csv [-j N] [--shard i/N]\nnvlsim sweep --merge -o OUT.csv "
    "SHARD.csv... (or --merge OUT.csv SHARD.csv...)",
    "SPEC names a base design, a workload and axes (JSON pointers into the design, or the\n"
    "parameters size, collective, algorithm, model, fail_switches); see README. Every point is\n"
    "validated and simulated in its own process, -j at a time. OUT gets one row per point and\n"
    "size: point, one column per axis, status (ok, invalid, failed), the run columns and\n"
    "error. Running the same command again skips the points OUT holds (resume).\n",
    options, NULL};

typedef struct {
  size_t point, from, k; /* row k of the rowset came from input `from` */
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
static bool merge_conflict(const rowset *rs, const size_t *from, char **inputs) {
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

static int merge(const char *out, char **inputs, int n) {
  if (n < 2)
    return nvl_cli_usage_error("sweep",
                               "--merge joins two or more shard CSVs (got %d): one file "
                               "is already a sweep CSV",
                               n);
  rowset rs = {0};
  char *header = NULL;
  size_t *from = NULL; /* [row]: the input it came from */
  for (int i = 0; i < n; i++) {
    size_t before = rs.n;
    if (read_rows(inputs[i], header, &header, &rs, false, NULL) != 0) {
      free(header);
      free_rows(&rs);
      free(from);
      return NVL_EXIT_FAIL;
    }
    from = nvl_xrealloc(from, (rs.n + 1) * sizeof *from);
    for (size_t k = before; k < rs.n; k++)
      from[k] = (size_t)i;
  }
  if (merge_conflict(&rs, from, inputs)) {
    free(header);
    free_rows(&rs);
    free(from);
    return NVL_EXIT_FAIL;
  }
  free(from);
  /* shards are disjoint; the same point twice keeps the first file's rows */
  if (rs.n)
    qsort(rs.rows, rs.n, sizeof *rs.rows, cmp_row);
  rowset uniq = {0};
  for (size_t i = 0; i < rs.n; i++) {
    bool dup = false;
    for (size_t k = 0; k < uniq.n && !dup; k++)
      dup =
          uniq.rows[k].point == rs.rows[i].point && strcmp(uniq.rows[k].line, rs.rows[i].line) == 0;
    if (!dup)
      add_row(&uniq, rs.rows[i].point, rs.rows[i].line);
  }
  int rc = header && write_rows(out, header, &uniq) == 0 ? NVL_EXIT_OK : NVL_EXIT_USAGE;
  fprintf(stderr, "sweep: merged %d files into %s (%zu rows)\n", n, out, uniq.n);
  free(header);
  free_rows(&rs);
  free_rows(&uniq);
  return rc;
}

/* One point in a child process. */
typedef struct {
  pid_t pid;
  size_t point;
  char tmp[64];
} child;

typedef struct {
  const nvl_sweep *s;
  const sweep_opts *o;
  const char *header;
  rowset rs;
  bool *done;                     /* [point]: already in OUT */
  size_t todo, finished, bad, np; /* points to run, run, invalid or failed, in the sweep */
  child *kids;
  size_t running, next;
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
  child *c = NULL;
  for (size_t k = 0; k < sr->o->jobs; k++)
    if (sr->kids[k].pid == 0)
      c = &sr->kids[k];
  snprintf(c->tmp, sizeof c->tmp, "/tmp/nvlsim-sweep-XXXXXX");
  int fd = mkstemp(c->tmp);
  if (fd < 0) {
    fprintf(stderr, "nvlsim sweep: cannot create a temporary file: %s\n", strerror(errno));
    return NVL_EXIT_USAGE;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    FILE *f = fdopen(fd, "w");
    int r = nvl_sweep_run_point(sr->s, p, f);
    fclose(f);
    _exit(r == 0 ? 0 : 1);
  }
  close(fd);
  c->pid = pid;
  c->point = p;
  sr->running++;
  return 0;
}

/* The point and axis columns of a point's rows. */
static char *point_prefix(const nvl_sweep *s, size_t point) {
  char *pre = NULL, axes[4096];
  size_t plen = 0;
  FILE *m = nvl_xmemstream(&pre, &plen);
  fprintf(m, "%zu", point);
  for (size_t a = 0; a < nvl_sweep_axes(s); a++) {
    nvl_sweep_axis_value(s, point, a, axes, sizeof axes);
    fputc(',', m);
    nvl_csv_field(m, axes);
  }
  fclose(m);
  return pre;
}

/* A child has ended with status st: its rows (or a "failed" row) join the set. */
static void collect(sweep_run *sr, child *c, int st) {
  char *pre = point_prefix(sr->s, c->point), *line = NULL;
  size_t cap = 0, got = 0;
  ssize_t n;
  FILE *f = fopen(c->tmp, "r");
  while (f && (n = getline(&line, &cap, f)) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *full = nvl_xmalloc(strlen(pre) + (size_t)n + 2);
    sprintf(full, "%s,%s", pre, line);
    add_row(&sr->rs, c->point, full);
    free(full);
    got++;
  }
  if (got == 0 || !WIFEXITED(st)) { /* the child died without a word */
    char why[80], *full = NULL;
    size_t flen = 0;
    snprintf(why, sizeof why, "simulation process ended (%s %d)",
             WIFSIGNALED(st) ? "signal" : "status",
             WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    FILE *m = nvl_xmemstream(&full, &flen);
    fprintf(m, "%s,", pre);
    nvl_sweep_error_row(m, nvl_sweep_result_columns(sr->s), "failed", why);
    fclose(m);
    full[strcspn(full, "\n")] = '\0';
    add_row(&sr->rs, c->point, full);
    free(full);
  }
  sr->bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  free(pre);
  free(line);
  if (f)
    fclose(f);
  unlink(c->tmp);
  c->pid = 0;
  sr->running--;
  sr->finished++;
}

static int run_points(sweep_run *sr) {
  bool tty = isatty(2);
  int rc = NVL_EXIT_OK;
  while (sr->finished < sr->todo && rc == NVL_EXIT_OK) {
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
    if (pid < 0)
      break;
    for (size_t k = 0; k < sr->o->jobs; k++)
      if (sr->kids[k].pid == pid) {
        collect(sr, &sr->kids[k], st);
        if (write_rows(sr->o->out, sr->header, &sr->rs) != 0)
          rc = NVL_EXIT_USAGE;
        if (tty) {
          int w = 30, fill = (int)(w * sr->finished / (sr->todo ? sr->todo : 1));
          fprintf(stderr, "\rsweep [%.*s%*s] %zu/%zu points", fill,
                  "##############################", w - fill, "", sr->finished, sr->todo);
        }
      }
  }
  for (size_t k = 0; k < sr->o->jobs; k++) /* on an error above, let the others finish cleanly */
    if (sr->kids[k].pid > 0) {
      waitpid(sr->kids[k].pid, NULL, 0);
      unlink(sr->kids[k].tmp);
    }
  if (tty)
    fputc('\n', stderr);
  return rc;
}

static int sweep(const sweep_opts *o, const char *spec_path) {
  nvl_diags diags = NVL_DIAGS_INIT;
  nvl_sweep *s = nvl_sweep_load(spec_path, &diags);
  if (!s) {
    nvl_cli_print_diags(&diags, spec_path, stderr);
    int rc = diags.count && diags.items[0].code == NVL_DIAG_IO ? NVL_EXIT_USAGE : NVL_EXIT_FAIL;
    nvl_diags_release(&diags);
    return rc;
  }
  nvl_diags_release(&diags);
  char *header = make_header(s);
  sweep_run sr = {.s = s, .o = o, .header = header, .np = nvl_sweep_points(s)};
  int rc = NVL_EXIT_OK;
  if (read_rows(o->out, header, NULL, &sr.rs, true, s) != 0) { /* resume */
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
  if (rc == NVL_EXIT_OK && sr.todo == 0 && sr.rs.n == 0 && write_rows(o->out, header, &sr.rs) != 0)
    rc = NVL_EXIT_USAGE;
  fprintf(stderr, "sweep: %zu points run, %zu invalid or failed, %zu rows in %s\n", sr.finished,
          sr.bad, sr.rs.n, o->out);
cleanup:
  free(sr.kids);
  free(sr.done);
  free(header);
  free_rows(&sr.rs);
  nvl_sweep_free(s);
  return rc;
}

int nvl_cmd_sweep(int argc, char **argv) {
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
  else
    rc = sweep(&o, operands[0]);
  free(operands);
  return rc;
}
