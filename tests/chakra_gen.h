/*
 * Writing Chakra execution traces for the tests (protobuf-c, the schema in
 * sim/workload/chakra.proto): one file per NPU, a GlobalMetadata then nodes, each message
 * preceded by its length as a varint, as Chakra's encodeMessage writes them. Attributes are
 * written with the value kinds Chakra's tools use (comm_src, comm_dst and comm_tag as int32,
 * tensor_size as uint64, pg_name as a string, the others as int64).
 */
#ifndef NVL_CHAKRA_GEN_H
#define NVL_CHAKRA_GEN_H

#include <chakra.pb-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  int64_t value;
  const char *text; /* pg_name */
} ctw_attr;

static inline void ctw_varint(FILE *f, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    fputc(b | (v ? 0x80 : 0), f);
  } while (v);
}

static inline void ctw_message(FILE *f, const ProtobufCMessage *m) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(n + 1);
  protobuf_c_message_pack(m, buf);
  ctw_varint(f, n);
  fwrite(buf, 1, n, f);
  free(buf);
}

/* PREFIX.npu.et, its GlobalMetadata written. */
static inline FILE *ctw_open(const char *prefix, int npu, const char *version) {
  size_t len = strlen(prefix) + 32; /* any prefix, held whole */
  char *path = malloc(len);
  if (!path)
    return NULL;
  snprintf(path, len, "%s.%d.et", prefix, npu);
  FILE *f = fopen(path, "wb");
  free(path);
  if (!f)
    return NULL;
  ChakraProtoMsg__GlobalMetadata g = CHAKRA_PROTO_MSG__GLOBAL_METADATA__INIT;
  g.version = (char *)version;
  ctw_message(f, &g.base);
  return f;
}

/* A node; deps are data dependencies, ctrl control dependencies (either may be NULL). */
static inline void ctw_node(FILE *f, uint64_t id, int type, const uint64_t *deps, size_t n_deps,
                            const uint64_t *ctrl, size_t n_ctrl, uint64_t duration_us,
                            const ctw_attr *attrs, size_t n_attrs) {
  ChakraProtoMsg__Node m = CHAKRA_PROTO_MSG__NODE__INIT;
  m.id = id;
  m.name = (char *)"node";
  m.type = (ChakraProtoMsg__NodeType)type;
  m.data_deps = (uint64_t *)deps;
  m.n_data_deps = n_deps;
  m.ctrl_deps = (uint64_t *)ctrl;
  m.n_ctrl_deps = n_ctrl;
  m.duration_micros = duration_us;
  ChakraProtoMsg__AttributeProto a[16], *ap[16];
  for (size_t i = 0; i < n_attrs && i < 16; i++) {
    chakra_proto_msg__attribute_proto__init(&a[i]);
    a[i].name = (char *)attrs[i].name;
    const char *nm = attrs[i].name;
    if (attrs[i].text) {
      a[i].value_case = CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_STRING_VAL;
      a[i].string_val = (char *)attrs[i].text;
    } else if (!strcmp(nm, "comm_src") || !strcmp(nm, "comm_dst") || !strcmp(nm, "comm_tag")) {
      a[i].value_case = CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_INT32_VAL;
      a[i].int32_val = (int32_t)attrs[i].value;
    } else if (!strcmp(nm, "tensor_size")) {
      a[i].value_case = CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_UINT64_VAL;
      a[i].uint64_val = (uint64_t)attrs[i].value;
    } else {
      a[i].value_case = CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_INT64_VAL;
      a[i].int64_val = attrs[i].value;
    }
    ap[i] = &a[i];
  }
  m.attr = ap;
  m.n_attr = n_attrs;
  ctw_message(f, &m.base);
}

/* Shorthands: a compute node; a collective (pg NULL: every NPU); a send; a receive. */
static inline void ctw_comp(FILE *f, uint64_t id, uint64_t us, const uint64_t *deps, size_t n) {
  ctw_node(f, id, 4, deps, n, NULL, 0, us, NULL, 0);
}
static inline void ctw_coll(FILE *f, uint64_t id, int comm_type, uint64_t bytes, const char *pg,
                            const uint64_t *deps, size_t n) {
  ctw_attr at[3] = {
      {"comm_type", comm_type, NULL}, {"comm_size", (int64_t)bytes, NULL}, {"pg_name", 0, pg}};
  ctw_node(f, id, 7, deps, n, NULL, 0, 0, at, pg ? 3 : 2);
}
static inline void ctw_send(FILE *f, uint64_t id, int dst, int tag, uint64_t bytes,
                            const uint64_t *deps, size_t n) {
  ctw_attr at[3] = {
      {"comm_dst", dst, NULL}, {"comm_tag", tag, NULL}, {"comm_size", (int64_t)bytes, NULL}};
  ctw_node(f, id, 5, deps, n, NULL, 0, 0, at, 3);
}
static inline void ctw_recv(FILE *f, uint64_t id, int src, int tag, const uint64_t *deps,
                            size_t n) {
  ctw_attr at[2] = {{"comm_src", src, NULL}, {"comm_tag", tag, NULL}};
  ctw_node(f, id, 6, deps, n, NULL, 0, 0, at, 2);
}

#endif
