#!/usr/bin/python3
"""Writes topologies/nvlsim-design.schema.json (JSON Schema draft 2020-12). The loader is the
authority; keep both in step (tests/check_schema.py checks the schema against the designs and the
invalid corpus)."""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'topologies', 'nvlsim-design.schema.json')
num = r"\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? ?"
bw_units = "B/s|KB/s|MB/s|GB/s|TB/s|KiB/s|MiB/s|GiB/s|b/s|Kb/s|Mb/s|Gb/s|Tb/s"
time_units = "ps|ns|us|\u00b5s|ms|s"
size_units = "B|KB|MB|GB|TB|KiB|MiB|GiB|TiB"
flops_units = "FLOP/s|GFLOP/s|TFLOP/s|PFLOP/s|EFLOP/s"
power_units = "W|kW|MW"
name = "^[A-Za-z][A-Za-z0-9._-]*$"
common = {
  "base": {"type": "string", "description": "catalog entry this type starts from; other fields override it"},
  "source": {"type": "string", "description": "where the numbers come from"},
  "estimates": {"type": "array", "items": {"type": "string"}, "description": "fields with no public source"},
  "note": {"type": "string"},
}
def obj(props, required=None, desc=None):
    o = {"type": "object", "properties": props, "additionalProperties": False}
    if required: o["required"] = required
    if desc: o["description"] = desc
    return o
schema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://nvlsim.invalid/nvlsim-design.schema.json",
  "title": "nvlsim cluster design",
  "description": "An NVLink-style cluster: reusable link, endpoint and switch types (optionally based on the built-in catalog), hierarchical groups instantiated by count, wiring rules, explicit links and CI expectations. See docs/design-format.md.",
  "$defs": {
    "bandwidth": {"type": "string", "pattern": f"^{num}({bw_units})$", "description": "per direction, e.g. \"50 GB/s\" or \"400 Gb/s\" (B = byte, b = bit); must be > 0"},
    "time": {"type": "string", "pattern": f"^{num}({time_units})$", "description": "e.g. \"100 ns\", \"0.6 us\""},
    "size": {"type": "string", "pattern": f"^{num}({size_units})$", "description": "e.g. \"64 MiB\", \"1 GB\""},
    "flops": {"type": "string", "pattern": f"^{num}({flops_units})$", "description": "peak dense rate, e.g. \"2.25 PFLOP/s\""},
    "power": {"type": "string", "pattern": f"^{num}({power_units})$", "description": "e.g. \"1000 W\", \"1.2 kW\""},
    "name": {"type": "string", "pattern": name, "maxLength": 51},
    "count": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    "link_type": obj({**common,
        "bandwidth": {"$ref": "#/$defs/bandwidth"},
        "latency": {"$ref": "#/$defs/time"},
        "efficiency": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "usable fraction of bandwidth (default 1)"},
        "generation": {"type": "integer", "minimum": 0, "maximum": 99},
        "medium": {"enum": ["nvlink", "c2c", "pcie", "network"],
                   "description": "what the link is (default nvlink): network links (InfiniBand, Ethernet) join NICs and scale-out switches, PCIe links join a NIC to its GPU or CPU"}},
        desc="A link: bandwidth per direction and latency. Without base, bandwidth and latency are required."),
    "endpoint_type": obj({**common,
        "kind": {"enum": ["gpu", "cpu", "asic", "nic"]},
        "vendor": {"type": "string"},
        "ports": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 4096},
                  "description": "ports per link type name, e.g. {\"nvlink5\": 18, \"nvlink-c2c\": 1}"},
        "op_overhead": {"$ref": "#/$defs/time"},
        "compute": obj({"bf16": {"$ref": "#/$defs/flops"}, "fp8": {"$ref": "#/$defs/flops"},
                        "fp4": {"$ref": "#/$defs/flops"}, "hbm": {"$ref": "#/$defs/size"},
                        "hbm_bandwidth": {"$ref": "#/$defs/bandwidth"}, "power": {"$ref": "#/$defs/power"},
                        "arch": {"enum": ["ampere", "hopper", "blackwell", "blackwell-ultra", "generic"],
                                 "description": "the compute model's parameter set (models/compute.json)"},
                        "sms": {"type": "integer", "minimum": 1, "maximum": 4096},
                        "clock_mhz": {"type": "number", "minimum": 100, "maximum": 10000},
                        "gemm_efficiency": {"type": "object",
                                            "properties": {p: {"type": "number", "minimum": 0.01, "maximum": 1}
                                                           for p in ("bf16", "fp8", "fp4")},
                                            "additionalProperties": False,
                                            "description": "efficiency of large GEMMs per precision"},
                        "attention_efficiency": {"type": "number", "minimum": 0.01, "maximum": 1},
                        "hbm_efficiency": {"type": "number", "minimum": 0.05, "maximum": 1},
                        "profile": {"type": "string", "maxLength": 400,
                                    "description": "builtin:h200 or a measured operation table (CSV) relative to the design"},
                        "source": {"type": "string"}, "estimates": {"type": "array", "items": {"type": "string"}},
                        "note": {"type": "string"}},
                       desc="peak dense FLOP/s per precision, HBM capacity and bandwidth, board power, and the compute model's architecture, efficiencies and measured profile (nvlsim llm); each field overrides the base's")},
        desc="A GPU, CPU, ASIC or NIC. Without base, kind and ports are required."),
    "switch_type": obj({**common,
        "ports": {"type": "integer", "minimum": 1, "maximum": 65536},
        "port_link": {"type": "string", "description": "link type of every port"},
        "latency": {"$ref": "#/$defs/time"},
        "in_switch_reduction": {"type": "boolean"}},
        desc="A switch chip. Without base, ports, port_link and latency are required."),
    "device_decl": obj({
        "name": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9._-]*[A-Za-z._-]$", "maxLength": 51,
                 "description": "prefix; instances are numbered globally: gpu0, gpu1, ..."},
        "type": {"type": "string"}, "count": {"$ref": "#/$defs/count"}, "note": {"type": "string"}},
        required=["name", "type"]),
    "include": obj({"group": {"type": "string"}, "count": {"$ref": "#/$defs/count"}, "note": {"type": "string"}},
                   required=["group"]),
    "rule": obj({
        "rule": {"enum": ["full", "block", "one_to_one", "plane"],
                 "description": "full: every from-device to every to-device; block: from[i] to the i-th equal block of to; one_to_one: from[i] to to[i]; plane: devices in the same plane (index mod planes)"},
        "from": {"type": "string", "description": "device name prefix in this group, optionally sliced: \"gpu\", \"sw[0:12]\""},
        "to": {"type": "string"},
        "link": {"type": "string", "description": "link type name"},
        "links": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 4096},
                            {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4096}}],
                  "description": "links per connected pair (default 1); with rule full, a list gives one count per to-device"},
        "planes": {"type": "integer", "minimum": 1},
        "note": {"type": "string"}},
        required=["rule", "from", "to", "link"]),
    "group": obj({
        "description": {"type": "string"},
        "endpoints": {"type": "array", "items": {"$ref": "#/$defs/device_decl"}},
        "switches": {"type": "array", "items": {"$ref": "#/$defs/device_decl"}},
        "include": {"type": "array", "items": {"$ref": "#/$defs/include"}},
        "wiring": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
        "note": {"type": "string"}}),
    "link": obj({"a": {"type": "string"}, "b": {"type": "string"}, "link": {"type": "string"},
                 "count": {"type": "integer", "minimum": 1, "maximum": 4096}, "note": {"type": "string"}},
                required=["a", "b", "link"]),
    "failure": {"type": "object", "additionalProperties": False,
        "description": "a failed switch, a failed NIC, a failed link bundle (every link between two devices) or a degraded one",
        "properties": {"switch": {"type": "string"}, "nic": {"type": "string"},
                       "link": {"type": "string", "description": "DEVICE-DEVICE, e.g. gpu3-sw7"},
                       "degrade": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?%$", "description": "remaining bandwidth, e.g. 50%"},
                       "note": {"type": "string"}},
        "oneOf": [{"required": [k], "not": {"anyOf": [{"required": [o]} for o in ("switch", "nic", "link") if o != k]}}
                  for k in ("switch", "nic", "link")]},
    "expect": obj({
        "all_reachable": {"type": "boolean"},
        "max_switch_hops": {"type": "integer", "minimum": 0, "maximum": 1000},
        "min_bisection_bandwidth": {"$ref": "#/$defs/bandwidth"},
        "min_injection_bandwidth": {"$ref": "#/$defs/bandwidth"},
        "min_path_diversity": {"type": "integer", "minimum": 1},
        "no_port_over_budget": {"const": True},
        "unused_ports": {"type": "string", "minLength": 1,
                         "description": "the unused-ports warning is expected: why"},
        "asymmetric_planes": {"type": "string", "minLength": 1,
                              "description": "the asymmetric-planes warning is expected: why"},
        "note": {"type": "string"}},
        desc="Assertions checked by nvlsim validate."),
  },
  "type": "object",
  "required": ["name", "system"],
  "additionalProperties": False,
  "properties": {
    "$schema": {"type": "string"},
    "nvlsim": {"const": 1, "description": "format version"},
    "name": {"type": "string", "maxLength": 127},
    "description": {"type": "string", "maxLength": 2047},
    "note": {"type": "string"},
    "link_types": {"type": "object", "propertyNames": {"pattern": name}, "additionalProperties": {"$ref": "#/$defs/link_type"}},
    "endpoint_types": {"type": "object", "propertyNames": {"pattern": name}, "additionalProperties": {"$ref": "#/$defs/endpoint_type"}},
    "switch_types": {"type": "object", "propertyNames": {"pattern": name}, "additionalProperties": {"$ref": "#/$defs/switch_type"}},
    "groups": {"type": "object", "propertyNames": {"pattern": name}, "additionalProperties": {"$ref": "#/$defs/group"}},
    "system": {"$ref": "#/$defs/group"},
    "links": {"type": "array", "items": {"$ref": "#/$defs/link"}},
    "failures": {"type": "array", "items": {"$ref": "#/$defs/failure"}},
    "expect": {"$ref": "#/$defs/expect"},
  },
}
with open(OUT, 'w') as f:
    json.dump(schema, f, indent=2, ensure_ascii=False)
    f.write('\n')
