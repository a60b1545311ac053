/*
 * design: the in-memory model of a cluster design, and its JSON loader.
 *
 * A design file declares reusable types (link, endpoint, switch), each either complete or
 * based on a catalog entry with local overrides; hierarchical groups (tray, rack, pod) whose
 * instances are created by count; wiring rules evaluated inside each group instance; explicit
 * links; and an `expect` block of assertions for CI. The loader expands all of it into a flat
 * list of devices (named prefix + global index: gpu0 .. gpu71) and link bundles (k parallel links
 * of one type between two devices), checking everything it can without a graph: syntax, unknown
 * keys, quantities, references, duplicates, limits, port budgets, link types and self-loops.
 * Graph-level checks (reachability, hops, bisection, expect) live in graph/analysis.h.
 *
 * Failures (the file's `failures` list, --fail and --degrade) are a transform: the loader
 * records them as specs and returns the damaged copy, which keeps the intact design in
 * `intact`, so comparisons with the intact design need no second load.
 *
 * The design is built once by the loader and is read-only afterwards. Expansion is O(devices +
 * links x rule scope) time and memory. The files of sim/design/: model.c (look-ups, copy), load.c
 * (entry points) and the loader's passes (loader.h).
 */
#ifndef NVL_DESIGN_H
#define NVL_DESIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "models/profile.h"

#define NVL_NAME_MAX 64
#define NVL_SOURCE_MAX 256
#define NVL_MAX_LINK_TYPES 64 /* catalog + design link types */

typedef enum { NVL_KIND_GPU, NVL_KIND_CPU, NVL_KIND_ASIC, NVL_KIND_NIC, NVL_KIND_SWITCH } nvl_kind;

const char *nvl_kind_name(nvl_kind kind);
/* True for kinds that run collectives (GPUs and third-party accelerators). */
bool nvl_kind_is_accelerator(nvl_kind kind);

/* What a link is: NVLink (the scale-up fabric), a chip-to-chip link (C2C), PCIe (a NIC to its
 * host), or a scale-out network link (InfiniBand, Ethernet: NICs and their switches). */
typedef enum { NVL_MEDIUM_NVLINK, NVL_MEDIUM_C2C, NVL_MEDIUM_PCIE, NVL_MEDIUM_NETWORK } nvl_medium;
const char *nvl_medium_name(nvl_medium m);

typedef struct {
  char name[NVL_NAME_MAX];
  nvl_medium medium;
  double bw_Bps;     /* payload bandwidth per direction */
  double lat_s;      /* propagation + SerDes latency of one link */
  double efficiency; /* fraction of bw_Bps usable by data, (0, 1] */
  int generation;    /* NVLink generation, 0 for C2C and custom links */
  int family;        /* port family: the link type at the root of its `base` chain (itself if
                        none); a link fits any port of its family ("nvlink5-long" in "nvlink5") */
  bool from_catalog;
  char source[NVL_SOURCE_MAX];
} nvl_link_type;

/* Number formats of dense tensor-core math, as the catalog names them. */
typedef enum { NVL_PREC_BF16, NVL_PREC_FP8, NVL_PREC_FP4, NVL_PREC__COUNT } nvl_precision;
const char *nvl_precision_name(nvl_precision p);
int nvl_precision_parse(const char *name, nvl_precision *out);
/* Bytes of one weight or activation element in precision p (FP4: half a byte). */
double nvl_precision_bytes(nvl_precision p);

/* An endpoint's compute and memory (the catalog's `compute` object): peaks as the vendor
 * publishes them, dense (no sparsity); 0 where the part has none or it is unknown. */
typedef struct {
  double flops[NVL_PREC__COUNT]; /* peak dense FLOP/s per precision */
  double hbm_bytes;              /* HBM capacity */
  double hbm_Bps;                /* HBM bandwidth */
  double power_W;                /* board power (TDP) */
  /* the compute model (models/kernels.h): its architecture in models/compute.json ("" for
   * generic), SM count and clock (0: the architecture's), efficiencies overriding the
   * architecture's (0: none), and its measured operation table (1 + index into the design's
   * profiles, 0: none) */
  char arch[32];
  int sms;
  double clock_hz;
  double gemm_eff[NVL_PREC__COUNT], attn_eff, hbm_eff;
  int profile;
  char source[512];
} nvl_compute;

/* Architectures a type may name (models/compute.json defines each). */
extern const char *const nvl_compute_archs[];

typedef struct {
  char name[NVL_NAME_MAX];
  nvl_kind kind;
  char vendor[NVL_NAME_MAX];
  int ports[NVL_MAX_LINK_TYPES]; /* ports per link type index */
  double op_overhead_s;          /* fixed per-operation cost (launch, sync) */
  nvl_compute compute;
  bool from_catalog;
  char source[NVL_SOURCE_MAX];
} nvl_endpoint_type;

typedef struct {
  char name[NVL_NAME_MAX];
  int ports;
  int port_link;  /* link type index of its ports */
  double lat_s;   /* port-to-port traversal latency */
  bool reduction; /* in-switch reduction (NVLink SHARP / NVLS) */
  bool from_catalog;
  char source[NVL_SOURCE_MAX];
} nvl_switch_type;

typedef struct {
  char name[NVL_NAME_MAX];
  bool is_switch;
  int type;   /* index into endpoint_types or switch_types */
  int prefix; /* index into prefixes */
  int group;  /* index into groups (the innermost group instance), -1 for none */
} nvl_device;

/* `count` parallel links of one type between devices a and b (full duplex). */
typedef struct {
  int a, b;
  int type;
  int count;
  int origin;   /* index into origins: the JSON pointer of the rule or link that made it */
  double scale; /* remaining share of the bandwidth: 1, or less when degraded by a failure */
} nvl_link;

/* A failure to inject, as asked for. */
typedef struct {
  char kind[16];                     /* "switch" or "link" */
  char target[2 * NVL_NAME_MAX + 2]; /* "sw4", "gpu3-sw7" */
  double share;                      /* 1: failed; in (0, 1): the bandwidth share left */
  char ptr[NVL_DIAG_PTR_MAX];        /* its JSON pointer, "" for the command line */
} nvl_failure_spec;

/* An injected failure, as applied (for reports). */
typedef struct {
  char what[2 * NVL_NAME_MAX + 32]; /* "switch sw4", "link gpu3-sw7", "link gpu3-sw7 at 50%" */
  int links;                        /* physical links removed or degraded */
} nvl_failure;

typedef struct {
  char name[NVL_NAME_MAX];
  bool is_switch;
  int *members; /* device indices in creation order; owned */
  size_t n_members;
} nvl_prefix;

/* A group instance, e.g. rack 0 or tray 17 (parent = -1 for the system). */
typedef struct {
  char template_name[NVL_NAME_MAX];
  int instance;
  int parent;
} nvl_group;

typedef struct {
  bool has_all_reachable, all_reachable;
  bool has_max_switch_hops;
  int max_switch_hops;
  bool has_min_bisection;
  double min_bisection_Bps;
  bool has_min_injection;
  double min_injection_Bps;
  bool has_min_path_diversity;
  int min_path_diversity;
  bool has_no_port_over_budget;
  bool has_max_oversubscription; /* a switch's down bandwidth per up bandwidth, at most */
  double max_oversubscription;
  /* warnings the design declares expected, with the reason (empty: not declared) */
  char why_unused_ports[256], why_asymmetric_planes[256];
} nvl_expect;

typedef struct nvl_design {
  char name[NVL_NAME_MAX * 2];
  char description[2048];
  char file[512]; /* as given by the user, for messages */

  nvl_link_type *link_types;
  size_t n_link_types;
  nvl_endpoint_type *endpoint_types;
  size_t n_endpoint_types;
  nvl_switch_type *switch_types;
  size_t n_switch_types;

  nvl_device *devices;
  size_t n_devices;
  nvl_link *links;
  size_t n_links;
  nvl_prefix *prefixes;
  size_t n_prefixes;
  nvl_group *groups;
  size_t n_groups;
  char (*origins)[NVL_DIAG_PTR_MAX];
  size_t n_origins;

  nvl_expect expect;
  nvl_failure_spec *fail_specs; /* asked for (kept by the damaged copy too) */
  size_t n_fail_specs;
  nvl_failure *failures; /* applied: set on a damaged design */
  size_t n_failures;
  bool *failed;              /* per device: a failed switch (no links left, not reported as
                                unused); NULL on an intact design */
  struct nvl_design *intact; /* on a damaged design: the intact one it was made from (owned) */
  nvl_profile *profiles;     /* measured operation tables of the types (compute.profile) */
  size_t n_profiles;
} nvl_design;

typedef struct {
  size_t max_endpoints; /* refuse designs with more devices plus group instances than this;
                           0 = NVL_DEFAULT_MAX_ENDPOINTS */
  /* failures added on the command line, NULL-terminated: "switch:sw4", "link:gpu3-sw7",
   * "link:gpu3-sw7=50%" (degrade to 50 % of its bandwidth) */
  const char *const *failures;
} nvl_load_opts;

#define NVL_DEFAULT_MAX_ENDPOINTS 100000
#define NVL_MAX_FILE_BYTES (64u << 20)

typedef enum { NVL_LOAD_OK = 0, NVL_LOAD_INVALID = 1, NVL_LOAD_IO = 2 } nvl_load_status;

/* Loads a design from a file. On NVL_LOAD_OK *out receives a new design (free with
 * nvl_design_free), damaged when failures were asked for; otherwise *out is NULL and diags says
 * why. Warnings may be added either way. */
nvl_load_status nvl_design_load_file(const char *path, const nvl_load_opts *opts, nvl_design **out,
                                     nvl_diags *diags);
/* A file, or a built-in design named "builtin:NAME" (base/builtin.h); an unknown built-in name
 * is an I/O error that lists the built-in designs. */
nvl_load_status nvl_design_load(const char *path, const nvl_load_opts *opts, nvl_design **out,
                                nvl_diags *diags);
/* Same from memory; `label` names the source in messages. */
nvl_load_status nvl_design_load_buffer(const char *text, size_t len, const char *label,
                                       const nvl_load_opts *opts, nvl_design **out,
                                       nvl_diags *diags);
/* Loads the built-in default design (GB200 NVL72); aborts only if the build is broken. */
nvl_design *nvl_design_load_default(void);
/* Frees a design (and the intact design a damaged one keeps). */
void nvl_design_free(nvl_design *d);
/* A deep copy (without `intact`). */
nvl_design *nvl_design_copy(const nvl_design *d);

/* Applies intact->fail_specs and then `extra` to a copy of `intact`. Returns the damaged design,
 * which owns `intact` from then on (as ->intact); or NULL, with FAILURE diagnostics, when a spec
 * names nothing (intact is then still the caller's). */
nvl_design *nvl_design_damage(nvl_design *intact, const nvl_failure_spec *extra, size_t n_extra,
                              nvl_diags *diags);
/* nvl_design_damage with k distinct switch chips failed, drawn with GSL's mt19937 from seed
 * (the same seed, the same chips), then the wiring checks. NULL with the reason in err when the
 * design has fewer than k switches, or as nvl_design_damage. */
nvl_design *nvl_design_fail_random_switches(nvl_design *intact, size_t k, unsigned long seed,
                                            char *err, size_t errlen, nvl_diags *diags);
/* The whole-design checks: disconnected devices (errors for endpoints), unused ports and unequal
 * switches (warnings). The loader runs them; call them again after nvl_design_damage. */
void nvl_design_check_wiring(const nvl_design *d, nvl_diags *diags);

/* Look-ups; return -1 when absent. */
int nvl_design_find_device(const nvl_design *d, const char *name);
int nvl_design_find_link_type(const nvl_design *d, const char *name);

/* Resolves a comma-separated list of selectors over the whole design: a device name ("gpu3"),
 * a name prefix ("gpu": all of them) or a slice of one ("gpu[8:16]"). Devices come out in list
 * order, each once. On error returns -1 with a message in err. *out is malloc'ed. */
int nvl_design_select(const nvl_design *d, const char *list, int **out, size_t *n, char *err,
                      size_t errlen);

/* Properties of a device. */
nvl_kind nvl_device_kind(const nvl_design *d, int dev);
/* Whether a device forwards traffic between others: a switch, or a NIC (between its host's PCIe
 * link and the network). Other endpoints never forward. */
bool nvl_device_forwards(const nvl_design *d, int dev);
const char *nvl_device_type_name(const nvl_design *d, int dev);
/* Ports a device has for links of type lt (ports of lt's family). */
int nvl_device_ports(const nvl_design *d, int dev, int lt);

/* Bandwidth per direction of a bundle (count x type bandwidth x remaining share). */
double nvl_link_bw(const nvl_design *d, const nvl_link *l);

/* PCIe paths from endpoints to NICs (design/pcie.c): over a PCIe link of the NIC's own, or
 * through PCIe switches (switches whose ports are PCIe), the fewest switches first. Per endpoint
 * (not a NIC, not a switch) paths[start[e] .. start[e + 1]): the NIC, the endpoint's link on the
 * path and the NIC's own PCIe link (design link indices; the same link when direct), the
 * switches crossed, the least bandwidth on the way (parallel direct links summed) and the
 * latency (links and switches). */
typedef struct {
  int nic, first, last, switches;
  int narrow; /* the path's narrowest link (its type's efficiency applies to cap_Bps) */
  double cap_Bps, lat_s;
} nvl_pcie_path;
typedef struct {
  int *start; /* n_devices + 1 */
  nvl_pcie_path *paths;
} nvl_pcie_paths;
nvl_pcie_paths nvl_design_pcie_paths(const nvl_design *d);
void nvl_pcie_paths_release(nvl_pcie_paths *pp);
/* Whether dev is a PCIe switch (a switch whose ports are PCIe): no fabric switch, it joins
 * endpoints to their NICs. */
bool nvl_device_is_pcie_switch(const nvl_design *d, int dev);

/* Twin sets (design/twins.c): endpoints whose links to switches are the same bundles (links to
 * other endpoints left out) get the same number in twin[] (numbered by first member in device
 * order; -1 for switches). With through_nics, an endpoint's NICs count too, as their links to
 * switches (GPUs whose NICs reach the same switches alike are twins): alike across the network
 * as well; without, alike in the NVLink fabric. Returns the number of sets. twin has n_devices
 * entries. */
size_t nvl_design_twins(const nvl_design *d, bool through_nics, int *twin);

/* NVLink domains (design/twins.c): devices joined by NVLink links (through NVLink switches, or
 * directly) share dom[] (the lowest device index of the domain); C2C, PCIe and the network do not
 * join. dom has n_devices entries. */
void nvl_design_nvlink_domains(const nvl_design *d, int *dom);

#endif
