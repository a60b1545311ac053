/*
 * nvlsim: entry point. Dispatches to the subcommand named by argv[1] (see commands.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/env.h"
#include "engine/engine.h"
#include "platform/sg_shim.h"

/* Large simulations allocate hundreds of MB in small pieces (SimGrid's communications, actions and
 * solver variables: about 2.3 KB per flow), and a fifth of their time went to page faults. glibc
 * can back its heap with transparent huge pages, but only through a tunable read at process
 * start. So the simulating commands re-execute themselves once with it, and with a 64 MiB heap
 * growth step (NVL576 alltoall, 331,200 flows: 4.9 s -> 4.0 s). Not when the user set
 * GLIBC_TUNABLES or NVLSIM_NO_HUGEPAGES, and not under valgrind (which preloads itself and would
 * lose the process). If exec fails nothing changes. */
static void reexec_with_huge_pages(char **argv) {
  const char *pre = getenv("LD_PRELOAD");
  if (getenv("GLIBC_TUNABLES") || getenv("NVLSIM_NO_HUGEPAGES") ||
      (pre && strstr(pre, "vgpreload")))
    return;
  if (setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864", 1) != 0)
    return;
  fflush(NULL);
  execv("/proc/self/exe", argv);
  unsetenv("GLIBC_TUNABLES");
}

/* Like git's run_builtin: a command whose output could not be written has failed, whatever it
 * returned (a full disk, a closed pipe, /dev/full). */
static int finish_stdout(int rc) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "nvlsim: write error on standard output: %s\n", strerror(errno));
    return rc == NVL_EXIT_OK ? NVL_EXIT_USAGE : rc;
  }
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    nvl_print_overview(stderr);
    return NVL_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    nvl_print_overview(stdout);
    return finish_stdout(NVL_EXIT_OK);
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("nvlsim %s\n", NVL_VERSION);
    return finish_stdout(NVL_EXIT_OK);
  }
  const nvl_command *c = nvl_cli_find(argv[1]);
  if (!c) {
    fprintf(stderr, "nvlsim: unknown command \"%s\" (see 'nvlsim --help')\n", argv[1]);
    return NVL_EXIT_USAGE;
  }
  bool help = false; /* help needs no huge pages (the command's parser prints it) */
  for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
    help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
  if (c->simulates && !help)
    reexec_with_huge_pages(argv);
  nvl_outfile_install_signal_cleanup();
  nvl_sg_exit_on_bad_alloc(); /* C++ allocations (SimGrid, igraph) fail as ours do: exit 3 */
  static nvl_model_ctx ctx;   /* large: not on the stack */
  if (c->simulates && !help) {
    int erc = nvl_cli_env_context(&ctx);
    if (erc != NVL_EXIT_OK)
      return erc;
  }
  int rc = finish_stdout(c->fn(c->simulates && !help ? &ctx : NULL, argc - 1, argv + 1));
  /* a simulation stopped in this process (run's --sim-time-limit) left SimGrid's actors alive:
   * their guarded stacks, inside heap blocks, would fault LeakSanitizer's scan at exit, and
   * nothing is left to release (the command closed its outputs) */
  if (nvl_engine_stopped_here()) {
    fflush(NULL);
    _exit(rc);
  }
  return rc;
}
