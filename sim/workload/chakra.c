/*
 * chakra: reading the trace files (see chakra.h); the graph is built in chakra_graph.c.
 */
#include "workload/chakra.h"

#include <chakra.pb-c.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/xalloc.h"

#define MAX_FILE_BYTES (1024ull * 1024 * 1024) /* per NPU */
#define MAX_MESSAGE_BYTES (64u * 1024 * 1024)
/* nodes and dependencies of the whole trace, whatever the budget (chakra.h): a node can be 3 bytes
 * on disk */
#define MAX_NODES (8u * 1024 * 1024)
#define MAX_DEPS (32u * 1024 * 1024)

/* What n nodes and d dependencies may need (chakra.h). */
static uint64_t need_bytes(uint64_t n, uint64_t d) {
  return n * NVL_CT_NODE_BYTES + d * NVL_CT_DEP_BYTES;
}

static void over_budget(nvl_diags *diags, const char *file, uint64_t nodes, uint64_t deps,
                        uint64_t budget) {
  nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
               "%s: the trace exceeds its memory budget of %.1f MiB (%" PRIu64
               " bytes; --memory-limit sets it, default 4 GiB) at %" PRIu64 " nodes and %" PRIu64
               " dependencies, which could need %" PRIu64 " bytes when they run (%u per node "
               "running at the same time as all others, %u per dependency)",
               file, (double)budget / 1048576.0, budget, nodes, deps, need_bytes(nodes, deps),
               NVL_CT_NODE_BYTES, NVL_CT_DEP_BYTES);
}

/* A varint at *pos (at most 10 bytes, at most 2^64 - 1); returns 0, -1 if the file ends inside
 * it, or -2 if it is longer or larger than that (corrupt). */
static int read_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= len)
      return -1;
    uint8_t b = buf[(*pos)++];
    if (shift == 63 && (b & 0x7e))
      return -2;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -2;
}

/* An attribute's value as an integer (any of protobuf's integer kinds, or a bool). */
static bool attr_int(const ChakraProtoMsg__AttributeProto *a, int64_t *out) {
  switch (a->value_case) {
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_INT32_VAL: *out = a->int32_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_INT64_VAL: *out = a->int64_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_UINT32_VAL: *out = a->uint32_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_UINT64_VAL:
    *out = (int64_t)a->uint64_val;
    return a->uint64_val <= INT64_MAX;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_SINT32_VAL: *out = a->sint32_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_SINT64_VAL: *out = a->sint64_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_FIXED32_VAL: *out = a->fixed32_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_FIXED64_VAL:
    *out = (int64_t)a->fixed64_val;
    return a->fixed64_val <= INT64_MAX;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_SFIXED32_VAL: *out = a->sfixed32_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_SFIXED64_VAL: *out = a->sfixed64_val; return true;
  case CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_BOOL_VAL: *out = a->bool_val; return true;
  default: return false;
  }
}

/* The attributes nvlsim reads; others are ignored. */
static int node_attrs(const ChakraProtoMsg__Node *m, nvl_ct_node *n, const char *file,
                      nvl_diags *diags) {
  static const char *const ints[] = {"comm_type", "comm_size", "comm_src",    "comm_dst",
                                     "comm_tag",  "num_ops",   "tensor_size", NULL};
  for (size_t i = 0; i < m->n_attr; i++) {
    const ChakraProtoMsg__AttributeProto *a = m->attr[i];
    if (!a->name)
      continue;
    if (strcmp(a->name, "pg_name") == 0) {
      if (a->value_case != CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_STRING_VAL)
        continue;
      if (strlen(a->string_val) >= sizeof n->pg) { /* cut, two groups could merge */
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                     "%s: node %" PRIu64 ": process group name of %zu bytes (at most %zu)", file,
                     n->id, strlen(a->string_val), sizeof n->pg - 1);
        return -1;
      }
      snprintf(n->pg, sizeof n->pg, "%s", a->string_val);
      continue;
    }
    int k = 0;
    while (ints[k] && strcmp(ints[k], a->name) != 0)
      k++;
    if (!ints[k])
      continue;
    int64_t v;
    if (!attr_int(a, &v) || v < 0) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                   "%s: node %" PRIu64 ": attribute %s is not a non-negative integer", file, n->id,
                   a->name);
      return -1;
    }
    switch (k) {
    case 0: n->comm_type = v, n->has_comm_type = true; break;
    case 1: n->comm_size = (uint64_t)v, n->has_comm_size = true; break;
    case 2: n->comm_src = v, n->has_src = true; break;
    case 3: n->comm_dst = v, n->has_dst = true; break;
    case 4: n->comm_tag = v; break;
    case 5: n->num_ops = (uint64_t)v; break;
    default: n->tensor_size = (uint64_t)v, n->has_tensor_size = true; break;
    }
  }
  return 0;
}

static void add_node(nvl_ct_trace *t, const ChakraProtoMsg__Node *m, nvl_ct_node *n) {
  n->id = m->id;
  n->type = (int)m->type;
  n->duration_us = m->duration_micros;
  n->dep_at = t->n_deps;
  n->n_deps = m->n_data_deps + m->n_ctrl_deps;
  if (t->n_deps + n->n_deps > t->cap_deps) {
    t->cap_deps = 2 * (t->n_deps + n->n_deps) + 4;
    t->deps = nvl_xrealloc(t->deps, t->cap_deps * sizeof *t->deps);
  }
  for (size_t i = 0; i < m->n_data_deps; i++)
    t->deps[t->n_deps++] = m->data_deps[i];
  for (size_t i = 0; i < m->n_ctrl_deps; i++)
    t->deps[t->n_deps++] = m->ctrl_deps[i];
  if (t->n_nodes == t->cap_nodes) {
    t->cap_nodes = t->cap_nodes ? 2 * t->cap_nodes : 4;
    t->nodes = nvl_xrealloc(t->nodes, t->cap_nodes * sizeof *t->nodes);
  }
  t->nodes[t->n_nodes++] = *n;
}

/* Versions whose meaning nvlsim knows: 0.0.4 (ASTRA-sim 2.0's examples) and 1.x. */
static bool known_version(const char *v) {
  return strcmp(v, "0.0.4") == 0 || strcmp(v, "1") == 0 || strncmp(v, "1.", 2) == 0;
}

static int metadata(const uint8_t *msg, size_t len, nvl_ct_trace *out, nvl_diags *diags) {
  ChakraProtoMsg__GlobalMetadata *g = chakra_proto_msg__global_metadata__unpack(NULL, len, msg);
  if (!g) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                 "%s: the first message is not Chakra's GlobalMetadata (corrupt, or not a "
                 "Chakra trace)",
                 out->file);
    return -1;
  }
  snprintf(out->version, sizeof out->version, "%s", g->version ? g->version : "");
  chakra_proto_msg__global_metadata__free_unpacked(g, NULL);
  if (!known_version(out->version)) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                 "%s: Chakra schema version \"%s\" is not one nvlsim reads (0.0.4 and 1.x)",
                 out->file, out->version);
    return -1;
  }
  return 0;
}

int nvl_chakra_parse(const uint8_t *buf, size_t len, const char *file, const nvl_ct_budget *budget,
                     nvl_ct_trace *out, nvl_diags *diags) {
  memset(out, 0, sizeof *out);
  snprintf(out->file, sizeof out->file, "%s", file);
  size_t pos = 0;
  for (size_t k = 0; pos < len; k++) {
    uint64_t n = 0;
    size_t at = pos;
    int vr = read_varint(buf, len, &pos, &n);
    if (vr == -2) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                   "%s: message %zu at byte %zu: its length is not a varint of at most 10 bytes "
                   "(corrupt)",
                   file, k, at);
      return -1;
    }
    if (vr != 0 || n > MAX_MESSAGE_BYTES || n > len - pos) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                   n > MAX_MESSAGE_BYTES && vr == 0
                       ? "%s: message %zu at byte %zu claims %" PRIu64 " bytes (corrupt)"
                       : "%s: truncated: message %zu at byte %zu ends past the end of the file",
                   file, k, at, n);
      return -1;
    }
    const uint8_t *msg = buf + pos;
    pos += n;
    if (k == 0) {
      if (metadata(msg, (size_t)n, out, diags) != 0)
        return -1;
      continue;
    }
    ChakraProtoMsg__Node *m = chakra_proto_msg__node__unpack(NULL, (size_t)n, msg);
    if (!m) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                   "%s: message %zu at byte %zu is not a valid Chakra node (corrupt)", file, k, at);
      return -1;
    }
    uint64_t more = m->n_data_deps + m->n_ctrl_deps;
    uint64_t all_nodes = budget->nodes + out->n_nodes + 1,
             all_deps = budget->deps + out->n_deps + more;
    if (need_bytes(all_nodes, all_deps) > budget->bytes) {
      over_budget(diags, file, all_nodes, all_deps, budget->bytes);
      chakra_proto_msg__node__free_unpacked(m, NULL);
      return -1;
    }
    if (out->n_nodes >= MAX_NODES || out->n_deps + more > MAX_DEPS) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                   "%s: more than %u nodes or %u dependencies; nvlsim reads at most that many",
                   file, MAX_NODES, MAX_DEPS);
      chakra_proto_msg__node__free_unpacked(m, NULL);
      return -1;
    }
    nvl_ct_node node;
    memset(&node, 0, sizeof node);
    node.id = m->id;
    int rc = 0;
    if (!((int)m->type >= NVL_CT_METADATA &&
          (int)m->type <= NVL_CT_COLL)) { /* INVALID or unknown */
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                   "%s: node %" PRIu64 ": type %d is not a Chakra node type nvlsim runs (1 "
                   "metadata .. 7 collective)",
                   file, m->id, (int)m->type);
      rc = -1;
    }
    if (rc == 0)
      rc = node_attrs(m, &node, file, diags);
    if (rc == 0)
      add_node(out, m, &node);
    chakra_proto_msg__node__free_unpacked(m, NULL);
    if (rc != 0)
      return -1;
  }
  if (pos == 0) {
    nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                 "%s: empty: a Chakra trace starts with its GlobalMetadata", file);
    return -1;
  }
  return 0;
}

static void trace_release(nvl_ct_trace *t) {
  free(t->nodes);
  free(t->deps);
  memset(t, 0, sizeof *t);
}

/* The lowest number above `after` of a file PREFIX.<number>.et in the prefix's folder, or -1. */
static long later_file(const char *prefix, size_t after) {
  const char *slash = strrchr(prefix, '/');
  char *dir = slash ? strndup(prefix, (size_t)(slash - prefix) + (slash == prefix)) : strdup(".");
  const char *base = slash ? slash + 1 : prefix;
  size_t bl = strlen(base);
  long best = -1;
  DIR *d = dir ? opendir(dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, base, bl) != 0 || e->d_name[bl] != '.')
      continue;
    char *end;
    unsigned long k = strtoul(e->d_name + bl + 1, &end, 10);
    if (end != e->d_name + bl + 1 && strcmp(end, ".et") == 0 && k > after &&
        (best < 0 || k < (unsigned long)best) && k < (unsigned long)LONG_MAX)
      best = (long)k;
  }
  if (d)
    closedir(d);
  free(dir);
  return best;
}

int nvl_chakra_load(const char *prefix, size_t max_npus, uint64_t budget, nvl_chakra *out,
                    nvl_diags *diags) {
  memset(out, 0, sizeof *out);
  size_t cap = 0, nodes = 0, deps = 0;
  size_t plen = strlen(prefix) + 32;
  char *path = nvl_xmalloc(plen); /* any prefix, held whole */
  for (size_t i = 0; i < max_npus + 1; i++) {
    snprintf(path, plen, "%s.%zu.et", prefix, i);
    struct stat st; /* not open(): a FIFO would block */
    if (i > 0 && stat(path, &st) != 0) {
      long later = later_file(prefix, i);
      if (later >= 0) {
        nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                     "%s is missing, but %s.%ld.et exists: a trace's files are numbered "
                     "without gaps",
                     path, prefix, later);
        free(path);
        nvl_chakra_release(out);
        return -1;
      }
      break;
    }
    if (i == max_npus) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_TRACE, NULL,
                   "%s exists: the trace has more NPUs than the %zu participants (choose them "
                   "with --ranks)",
                   path, max_npus);
      free(path);
      nvl_chakra_release(out);
      return -1;
    }
    char *text = NULL;
    size_t len = 0;
    nvl_diags sub = NVL_DIAGS_INIT;
    if (nvl_file_read(path, "Chakra trace", MAX_FILE_BYTES, &text, &len, &sub) != 0) {
      nvl_diag_add(diags, NVL_SEV_ERROR, sub.items[0].code, NULL, "%s: %s%s", path,
                   sub.items[0].message,
                   i == 0 ? " (a trace is PREFIX.0.et, PREFIX.1.et, ...: one file per NPU)" : "");
      nvl_diags_release(&sub);
      free(path);
      nvl_chakra_release(out);
      return -1;
    }
    nvl_diags_release(&sub);
    if (out->n == cap) {
      cap = cap ? 2 * cap : 16;
      out->npus = nvl_xrealloc(out->npus, cap * sizeof *out->npus);
    }
    nvl_ct_budget b = {budget ? budget : NVL_CT_BUDGET_DEFAULT, nodes, deps};
    int rc = nvl_chakra_parse((const uint8_t *)text, len, path, &b, &out->npus[out->n], diags);
    free(text);
    nodes += out->npus[out->n].n_nodes;
    deps += out->npus[out->n].n_deps;
    out->n++;
    if (rc == 0 && (nodes > MAX_NODES || deps > MAX_DEPS)) {
      nvl_diag_add(diags, NVL_SEV_ERROR, NVL_DIAG_LIMIT, NULL,
                   "%s: the trace has more than %u nodes or %u dependencies up to here; nvlsim "
                   "reads at most that many",
                   path, MAX_NODES, MAX_DEPS);
      rc = -1;
    }
    if (rc != 0) {
      free(path);
      nvl_chakra_release(out);
      return -1;
    }
  }
  free(path);
  return 0;
}

void nvl_chakra_drop_nodes(nvl_chakra *c) {
  for (size_t i = 0; i < c->n; i++) {
    nvl_ct_trace *t = &c->npus[i];
    free(t->nodes);
    free(t->deps);
    t->nodes = NULL;
    t->deps = NULL;
    t->n_nodes = t->cap_nodes = t->n_deps = t->cap_deps = 0;
  }
}

void nvl_chakra_release(nvl_chakra *c) {
  for (size_t i = 0; i < c->n; i++)
    trace_release(&c->npus[i]);
  free(c->npus);
  memset(c, 0, sizeof *c);
}
