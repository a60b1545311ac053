/*
 * commands: the subcommand table (git's builtin/ style). `nvlsim --help` and `nvlsim help CMD`
 * print from here, so help and dispatch cannot drift apart.
 */
#include "cli/cli.h"
#include "cli/commands.h"

const nvl_command nvl_commands[] = {
    {"validate", nvl_cmd_validate, "check designs (the CI gate)",
     "usage: nvlsim validate [options] FILE...\n"
     "\n"
     "Checks each design: JSON syntax (file:line:col), unknown keys, quantities, references,\n"
     "port budgets and link types (JSON pointer), graph connectivity and the `expect` block.\n"
     "All errors of a file are reported, in document order, then a summary line.\n"
     "\n"
     "  --format text|json|junit   output format (default text; json and junit go to stdout)\n"
     "  --strict                   warnings (unused ports, asymmetric planes) fail the file\n"
     "  --max-endpoints N          refuse designs with more than N devices (default 100000)\n"
     "  --fail SPEC, --degrade SPEC  inject failures: switch:sw4, link:gpu3-sw7, link:A-B=50%\n"
     "\n"
     "exit status: 0 all valid, 1 some design invalid, 2 usage or I/O error (missing file,\n"
     "directory, unreadable)\n",
     false},
    {"info", nvl_cmd_info, "describe a design: counts, bandwidths, bisection, hops, paths",
     "usage: nvlsim info [--json] [--max-endpoints N] [--fail SPEC] [--degrade SPEC] [FILE]\n"
     "\n"
     "Prints device counts by kind and vendor, links by type, per-endpoint injection bandwidth,\n"
     "total bidirectional fabric bandwidth, bisection bandwidth (igraph max-flow between the "
     "first\n"
     "and second half of the accelerators in declaration order), the diameter in switch hops and\n"
     "the path diversity (link-disjoint paths per accelerator pair). Without FILE, describes the\n"
     "built-in GB200 NVL72.\n"
     "\n"
     "  --json   print the same figures as JSON (bandwidths in GB/s per direction)\n"
     "  --fail switch:sw4 | link:gpu3-sw7   --degrade link:gpu3-sw7=50%   figures with failures,\n"
     "           and what they cost against the intact design\n",
     false},
    {"export", nvl_cmd_export, "write the topology graph for Graphviz (dot) or Gephi (graphml)",
     "usage: nvlsim export --format dot|graphml [-o OUT] [--fail SPEC] [--degrade SPEC] [FILE]\n"
     "\n"
     "Writes one vertex per device (name, kind, type) and one edge per link bundle (link_type,\n"
     "links, bandwidth_GBps) through igraph's writers. Without -o, writes to stdout.\n",
     false},
    {"run", nvl_cmd_run, "simulate a workload on a design (SimGrid, flow level)",
     "usage: nvlsim run [options] [FILE]\n"
     "\n"
     "Simulates a collective (nccl-tests flags), a traffic pattern or a workload file on the\n"
     "design (default: the built-in GB200 NVL72 all_reduce sweep 8 B .. 8 GiB). See README.\n"
     "\n"
     "workload\n"
     "  -c, --collective NAME   all_reduce, reduce_scatter, all_gather, broadcast, reduce,\n"
     "                          alltoall, sendrecv (aliases: allreduce, allgather, ...)\n"
     "  -p, --pattern NAME      pair, bidir, pairs, permutation, uniform, incast, shift, matrix\n"
     "  -b SIZE  -e SIZE        minimum and maximum size (default 8 B and 8 GiB; nccl-tests "
     "K/M/G)\n"
     "  -f FACTOR | -i STEP     multiply (default 2) or add between sizes\n"
     "  -g N                    the first N participants (default: all accelerators)\n"
     "  --ranks LIST            participants: gpu, gpu[0:8], asic, cpu0,gpu0\n"
     "  --algo ring|tree|nvls|auto   algorithm (default auto: NCCL's predicted-time choice)\n"
     "  --proto LL|LL128|Simple|auto force NCCL's protocol (default auto)\n"
     "  --shift K  --matrix FILE     for the shift and matrix patterns\n"
     "  --chunk SIZE            pipeline chunk of chains, trees (and ideal NVLS; default 512 KiB)\n"
     "  --workload FILE         concurrent jobs from a JSON file\n"
     "  --seed N                random seed (echoed in every output; default 1)\n"
     "model\n"
     "  --model default|ideal   default: NCCL protocols and latencies, calibrated efficiencies;\n"
     "                          ideal: line rate, link and switch latency only\n"
     "  --fail SPEC  --degrade SPEC   switch:sw4, link:gpu3-sw7, link:gpu3-sw7=50% (repeatable)\n"
     "  --explicit-planes       no switch aggregation (verification)\n"
     "  --cfg=KEY:VALUE         a SimGrid option (precision, solver, contexts)\n"
     "output\n"
     "  --csv FILE  --json FILE tidy results (one row per size), written atomically\n"
     "  --link-stats FILE       per link direction: bytes, busy time, utilization, peak\n"
     "  --dump-platform FILE    the SimGrid platform XML exactly as loaded\n"
     "  -v, --verbose           SimGrid's own logging\n"
     "limits\n"
     "  --time-limit TIME       stop after this wall-clock time (exit 4), e.g. 10s\n"
     "  --memory-limit SIZE     stop when resident memory exceeds SIZE (exit 5), e.g. 2GiB\n"
     "  --sim-time-limit TIME   stop when the simulated time exceeds TIME (exit 1)\n"
     "  --max-endpoints N       refuse designs with more devices (default 100000)\n"
     "\n"
     "exit status: 0 done, 1 invalid design or failed simulation, 2 usage or I/O error,\n"
     "3 out of memory, 4 time limit, 5 memory limit\n"
     "\n"
     "environment: NVLSIM_NO_HUGEPAGES=1 keeps the normal heap (run, sweep, compare and\n"
     "validate-model otherwise restart once with glibc's huge-page heap, see README)\n",
     true},
    {"validate-model", nvl_cmd_validate_model,
     "compare simulated collectives with measured nccl-tests results",
     "usage: nvlsim validate-model [--tolerance 5%] [--csv OUT] [CSV]\n"
     "\n"
     "Simulates every row of a table of measured nccl-tests results (default: the built-in copy "
     "of\n"
     "models/measured-collectives.csv) on the reference design of its system under the default\n"
     "model and prints measured vs simulated with the relative error. Columns: case, system,\n"
     "gpus, collective, algorithm, size_bytes and any of time_us, algbw_GBps, busbw_GBps (empty\n"
     "cells are not compared). Systems: HGX A100 -> hgx-a100, HGX H100/H200 -> hgx-h100 (same\n"
     "NVLink 4 fabric), HGX B200 -> hgx-b200, GB200/GB300 NVL72 -> gb200/gb300-nvl72.\n"
     "\n"
     "exit status: 0 every row within tolerance, 1 otherwise, 2 usage or I/O error\n",
     true},
    {"sweep", nvl_cmd_sweep, "what-if study: simulate every point of a sweep spec into one CSV",
     "usage: nvlsim sweep SPEC -o OUT.csv [-j N] [--shard i/N]\n"
     "       nvlsim sweep --merge OUT.csv SHARD.csv...\n"
     "\n"
     "SPEC names a base design, a workload and axes (JSON pointers into the design, or the\n"
     "parameters size, collective, algorithm, model, fail_switches); see README. Every point is\n"
     "validated and simulated in its own process, -j at a time (default: the number of cores).\n"
     "OUT gets one row per point and size: point, one column per axis, status (ok, invalid,\n"
     "failed), the run columns and error. OUT is rewritten atomically after every point; running\n"
     "the same command again skips the points it holds (resume). --shard i/N runs the points p\n"
     "with p mod N = i; --merge joins shard files.\n",
     true},
    {"compare", nvl_cmd_compare,
     "two designs side by side: figures and simulated busbw, with ratios",
     "usage: nvlsim compare A B [-c COLL] [-b MIN -e MAX -f FACTOR] [-g N] [--ranks LIST]\n"
     "                      [--algo ALGO] [--model default|ideal] [--csv OUT]\n"
     "\n"
     "Prints the info figures of A and B (accelerators, injection, fabric, bisection, diameter,\n"
     "path diversity) and, per size of the sweep (default all_reduce 1 MiB .. 1 GiB, factor 4),\n"
     "simulated time and busbw, each with the ratio B/A. --csv writes metric,size_bytes,a,b,\n"
     "ratio_b_over_a.\n",
     true},
    {"help", nvl_cmd_help, "show help for a command", "usage: nvlsim help [COMMAND]\n", false},
    {NULL, NULL, NULL, NULL, false}};
