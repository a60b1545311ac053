/*
 * cmd_sweep: `nvlsim sweep SPEC -o OUT [-j N] [--shard i/N]` and `nvlsim sweep --merge OUT IN...`.
 *
 * Every point runs in a child process of its own (SimGrid allows one engine per process), at most
 * -j at a time. Rows are kept sorted by point, so the CSV does not depend on -j or on timing, and
 * OUT is rewritten atomically (temporary file + rename) after each point: a killed sweep leaves the
 * points done so far, and rerunning the same command skips them (resume). A point whose design is
 * invalid is recorded with status "invalid" and its first error; the sweep goes on.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "output/results.h"
#include "cli/sweep.h"

typedef struct {
  size_t point;
  char *line; /* the whole CSV line, without its end */
} row;

typedef struct {
  row *rows;
  size_t n, cap;
} rowset;

static void add_row(rowset *rs, size_t point, const char *line) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? 2 * rs->cap : 64;
    rs->rows = realloc(rs->rows, rs->cap * sizeof *rs->rows);
  }
  rs->rows[rs->n++] = (row){point, strdup(line)};
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
  if (nvl_outfile_open(&o, path, "sweep") != 0)
    return -1;
  fprintf(o.fp, "%s\n", header);
  for (size_t i = 0; i < rs->n; i++)
    fprintf(o.fp, "%s\n", rs->rows[i].line);
  return nvl_outfile_commit(&o, "sweep");
}

/* Reads a sweep CSV: checks its header, adds its rows. Returns 0, -1 on a mismatch/IO error. */
static int read_rows(const char *path, const char *want_header, rowset *rs, bool missing_ok) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (missing_ok && errno == ENOENT)
      return 0;
    fprintf(stderr, "nvlsim sweep: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = 0, lineno = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    if (++lineno == 1) {
      if (want_header && strcmp(line, want_header) != 0) {
        fprintf(stderr,
                "nvlsim sweep: %s has other columns than this sweep; remove it or choose "
                "another output\n",
                path);
        rc = -1;
        break;
      }
      continue;
    }
    char *end;
    unsigned long long pt = strtoull(line, &end, 10);
    if (end == line || *end != ',') {
      fprintf(stderr, "nvlsim sweep: %s:%d: not a sweep row\n", path, lineno);
      rc = -1;
      break;
    }
    add_row(rs, (size_t)pt, line);
  }
  free(line);
  fclose(f);
  return rc;
}

static void csv_field(FILE *out, const char *v) {
  if (strpbrk(v, ",\"\n")) {
    fputc('"', out);
    for (const char *p = v; *p; p++) {
      if (*p == '"')
        fputc('"', out);
      fputc(*p, out);
    }
    fputc('"', out);
  } else {
    fputs(v, out);
  }
}

static char *make_header(const nvl_sweep *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  fputs("point", m);
  for (size_t a = 0; a < nvl_sweep_axes(s); a++) {
    fputc(',', m);
    csv_field(m, nvl_sweep_axis_name(s, a));
  }
  fputs(",status,", m);
  nvl_results_csv_header(m);
  fputs(",error", m);
  fclose(m);
  return buf;
}

static int merge(int argc, char **argv) {
  if (argc < 3)
    return nvl_cli_usage_error("sweep", "--merge OUT IN...");
  const char *out = argv[1];
  rowset rs = {0};
  char *header = NULL;
  for (int i = 2; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    char *h = NULL;
    size_t cap = 0;
    if (!f || getline(&h, &cap, f) <= 0) {
      fprintf(stderr, "nvlsim sweep: cannot read %s\n", argv[i]);
      if (f)
        fclose(f);
      free(h);
      free(header);
      free_rows(&rs);
      return NVL_EXIT_USAGE;
    }
    fclose(f);
    h[strcspn(h, "\r\n")] = '\0';
    if (!header)
      header = h;
    else
      free(h);
    if (read_rows(argv[i], header, &rs, false) != 0) {
      free(header);
      free_rows(&rs);
      return NVL_EXIT_FAIL;
    }
  }
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
  int rc = write_rows(out, header, &uniq) == 0 ? NVL_EXIT_OK : NVL_EXIT_USAGE;
  fprintf(stderr, "sweep: merged %d files into %s (%zu rows)\n", argc - 2, out, uniq.n);
  free(header);
  free_rows(&rs);
  free_rows(&uniq);
  return rc;
}

int nvl_cmd_sweep(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--merge") == 0)
    return merge(argc - 1, argv + 1);
  const char *spec_path = NULL, *out = NULL;
  size_t jobs = (size_t)sysconf(_SC_NPROCESSORS_ONLN), shard_i = 0, shard_n = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if ((strcmp(a, "-o") == 0 || strcmp(a, "-j") == 0 || strcmp(a, "--shard") == 0) &&
        i + 1 >= argc)
      return nvl_cli_usage_error("sweep", "%s needs a value", a);
    if (strcmp(a, "-o") == 0) {
      out = argv[++i];
    } else if (strcmp(a, "-j") == 0) {
      if (!nvl_cli_parse_size_t("sweep", a, argv[++i], &jobs) || jobs == 0 || jobs > 256)
        return nvl_cli_usage_error("sweep", "-j takes 1 to 256");
    } else if (strcmp(a, "--shard") == 0) {
      char *end;
      const char *v = argv[++i];
      shard_i = strtoul(v, &end, 10);
      if (*end != '/' || (shard_n = strtoul(end + 1, &end, 10)) == 0 || *end || shard_i >= shard_n)
        return nvl_cli_usage_error("sweep", "--shard takes i/N with 0 <= i < N");
    } else if (a[0] == '-' && a[1]) {
      return nvl_cli_usage_error("sweep", "unknown option \"%s\"", a);
    } else if (spec_path) {
      return nvl_cli_usage_error("sweep", "one spec at a time");
    } else {
      spec_path = a;
    }
  }
  if (!spec_path || !out)
    return nvl_cli_usage_error("sweep", "usage: nvlsim sweep SPEC -o OUT.csv [-j N] [--shard i/N]");
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
  rowset rs = {0};
  if (read_rows(out, header, &rs, true) != 0) { /* resume */
    free(header);
    nvl_sweep_free(s);
    return NVL_EXIT_USAGE;
  }
  size_t np = nvl_sweep_points(s);
  bool *done = calloc(np + 1, 1);
  for (size_t i = 0; i < rs.n; i++)
    if (rs.rows[i].point < np)
      done[rs.rows[i].point] = true;
  size_t todo = 0, finished = 0, bad = 0, resumed = 0;
  for (size_t p = 0; p < np; p++)
    if (p % shard_n == shard_i) {
      if (done[p])
        resumed++;
      else
        todo++;
    }
  bool tty = isatty(2);
  if (resumed)
    fprintf(stderr, "sweep: %zu points already in %s, %zu to run\n", resumed, out, todo);
  struct child {
    pid_t pid;
    size_t point;
    char tmp[64];
  } *kids = calloc(jobs, sizeof *kids);
  size_t running = 0, next = 0;
  int rc = NVL_EXIT_OK;
  while (finished < todo && rc == NVL_EXIT_OK) {
    while (running < jobs && next < np) {
      size_t p = next++;
      if (p % shard_n != shard_i || done[p])
        continue;
      struct child *c = NULL;
      for (size_t k = 0; k < jobs; k++)
        if (kids[k].pid == 0)
          c = &kids[k];
      snprintf(c->tmp, sizeof c->tmp, "/tmp/nvlsim-sweep-XXXXXX");
      int fd = mkstemp(c->tmp);
      if (fd < 0) {
        fprintf(stderr, "nvlsim sweep: cannot create a temporary file: %s\n", strerror(errno));
        rc = NVL_EXIT_USAGE;
        break;
      }
      fflush(NULL);
      pid_t pid = fork();
      if (pid == 0) {
        FILE *f = fdopen(fd, "w");
        int r = nvl_sweep_run_point(s, p, f);
        fclose(f);
        _exit(r == 0 ? 0 : 1);
      }
      close(fd);
      c->pid = pid;
      c->point = p;
      running++;
    }
    if (running == 0)
      break;
    int st;
    pid_t pid = wait(&st);
    if (pid < 0)
      break;
    for (size_t k = 0; k < jobs; k++) {
      struct child *c = &kids[k];
      if (c->pid != pid)
        continue;
      FILE *f = fopen(c->tmp, "r");
      char *line = NULL, axes[4096];
      size_t cap = 0;
      ssize_t n;
      size_t got = 0;
      /* the point and axis columns, then the child's rows */
      char *pre = NULL;
      size_t plen = 0;
      FILE *m = open_memstream(&pre, &plen);
      fprintf(m, "%zu", c->point);
      for (size_t a = 0; a < nvl_sweep_axes(s); a++) {
        nvl_sweep_axis_value(s, c->point, a, axes, sizeof axes);
        fputc(',', m);
        csv_field(m, axes);
      }
      fclose(m);
      while (f && (n = getline(&line, &cap, f)) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *full = malloc(plen + (size_t)n + 2);
        sprintf(full, "%s,%s", pre, line);
        add_row(&rs, c->point, full);
        free(full);
        got++;
      }
      if (got == 0 || !WIFEXITED(st)) { /* the child died without a word */
        char *full = malloc(plen + 200);
        sprintf(full, "%s,failed,,,,,,,,,,,,,,,,,,,,,,,\"simulation process ended (%s %d)\"", pre,
                WIFSIGNALED(st) ? "signal" : "status",
                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        add_row(&rs, c->point, full);
        free(full);
      }
      bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
      free(pre);
      free(line);
      if (f)
        fclose(f);
      unlink(c->tmp);
      c->pid = 0;
      running--;
      finished++;
      if (write_rows(out, header, &rs) != 0)
        rc = NVL_EXIT_USAGE;
      if (tty) {
        int w = 30, fill = (int)(w * finished / (todo ? todo : 1));
        fprintf(stderr, "\rsweep [%.*s%*s] %zu/%zu points", fill, "##############################",
                w - fill, "", finished, todo);
      }
    }
  }
  for (size_t k = 0; k < jobs; k++) /* on an error above, let the others finish cleanly */
    if (kids[k].pid > 0) {
      waitpid(kids[k].pid, NULL, 0);
      unlink(kids[k].tmp);
    }
  if (tty)
    fputc('\n', stderr);
  if (rc == NVL_EXIT_OK && todo == 0 && rs.n == 0 && write_rows(out, header, &rs) != 0)
    rc = NVL_EXIT_USAGE;
  fprintf(stderr, "sweep: %zu points run, %zu invalid or failed, %zu rows in %s\n", finished, bad,
          rs.n, out);
  free(kids);
  free(done);
  free(header);
  free_rows(&rs);
  nvl_sweep_free(s);
  return rc;
}
