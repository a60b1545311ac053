/*
 * commands: the subcommand table (git's builtin/ style). Each command's options and help live in
 * its own cmd_<name>.c (an nvl_cmd_doc); `nvlsim --help` lists the summaries here, `nvlsim help
 * CMD` and `nvlsim CMD --help` print the command's doc, so help and parsing cannot drift apart.
 */
#include "cli/commands.h"

#include "cli/cli.h"

const nvl_command nvl_commands[] = {
    {"validate", nvl_cmd_validate, "check designs (the CI gate)", &nvl_doc_validate, false},
    {"info", nvl_cmd_info, "describe a design: counts, bandwidths, bisection, hops, paths",
     &nvl_doc_info, false},
    {"export", nvl_cmd_export, "write the topology graph for Graphviz (dot) or Gephi (graphml)",
     &nvl_doc_export, false},
    {"run", nvl_cmd_run, "simulate a workload on a design (SimGrid, flow level)", &nvl_doc_run,
     true},
    {"llm", nvl_cmd_llm,
     "an LLM training, prefill or decode step: time, tokens/s, breakdown, memory", &nvl_doc_llm,
     true},
    {"validate-model", nvl_cmd_validate_model,
     "compare simulated collectives with measured nccl-tests results", &nvl_doc_validate_model,
     true},
    {"sweep", nvl_cmd_sweep, "what-if study: simulate every point of a sweep spec into one CSV",
     &nvl_doc_sweep, true},
    {"factory", nvl_cmd_factory,
     "the AI-factory frontier: tokens/s per GPU against tokens/s per user, serving a model",
     &nvl_doc_factory, true},
    {"compare", nvl_cmd_compare,
     "two designs side by side: figures and simulated busbw, with ratios", &nvl_doc_compare, true},
    {"plot", nvl_cmd_plot, "draw columns of nvlsim's CSVs with gnuplot (PNG, SVG, PDF)",
     &nvl_doc_plot, false},
    {"route", nvl_cmd_route, "how one transfer from A to B is striped and routed, hop by hop",
     &nvl_doc_route, false},
    {"help", nvl_cmd_help, "show help for a command", &nvl_doc_help, false},
    {NULL, NULL, NULL, NULL, false}};
