#!/usr/bin/python3
"""Writes docs/catalog.md from models/catalog.json (the single source of truth).
Usage: tools/catalog_md.py [--check]   (--check: exit 1 if docs/catalog.md is stale)"""
import json
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
cat = json.load(open(os.path.join(root, "models", "catalog.json")))
est = lambda e, f: " (estimate)" if f in e.get("estimates", []) else ""
out = ["# Component catalog", "",
       "Generated from `models/catalog.json` by `tools/catalog_md.py`; do not edit by hand.",
       "Bandwidths are payload rates per direction (1 GB = 1e9 B). \"(estimate)\" marks numbers",
       "without a public source: override them in a design (`base` plus the field). A link's",
       "efficiency is the share of its line rate data gets under the default model (NVLink's protocol",
       "efficiencies are NCCL's and the calibration's: `models/calibration.json`).", "",
       "## Link types", "", "| name | medium | bandwidth per direction | efficiency | latency | source |",
       "|---|---|---|---|---|---|"]
for n, e in cat["link_types"].items():
    b = cat["link_types"][e["base"]] if "base" in e else {}
    f = lambda k, dflt: (e.get(k, b.get(k, dflt)), est(e, k))
    (bw, ebw), (lat, elat), (eff, eeff) = f("bandwidth", "-"), f("latency", "-"), f("efficiency", 1)
    med = e.get("medium", b.get("medium", "nvlink"))
    based = f" (as `{e['base']}`)" if b else ""
    out.append(f"| `{n}`{based} | {med} | {bw}{ebw} | {eff}{eeff} | {lat}{elat} | {e['source']} |")
out += ["", "## Switch types", "", "| name | ports | port link | latency | in-switch reduction | source |",
        "|---|---|---|---|---|---|"]
for n, e in cat["switch_types"].items():
    out.append(f"| `{n}` | {e['ports']}{est(e, 'ports')} | `{e['port_link']}` | {e['latency']}{est(e, 'latency')} | "
               f"{'yes' if e['in_switch_reduction'] else 'no'} | {e['source']} |")
out += ["", "## Endpoint types", "", "| name | kind | vendor | ports | per-operation overhead | source |",
        "|---|---|---|---|---|---|"]
for n, e in cat["endpoint_types"].items():
    ports = ", ".join(f"{v} x `{k}`" for k, v in e["ports"].items())
    out.append(f"| `{n}` | {e['kind']} | {e['vendor']} | {ports}{est(e, 'ports')} | "
               f"{e['op_overhead']}{est(e, 'op_overhead')} | {e['source']} |")
out += ["", "## Compute and memory of endpoint types (`nvlsim llm`)", "",
        "Peak dense rates (no sparsity) as published; \"-\" where the part has none.", "",
        "| name | BF16 | FP8 | FP4 | memory | memory bandwidth | power | source |",
        "|---|---|---|---|---|---|---|---|"]
for n, e in cat["endpoint_types"].items():
    c = e.get("compute")
    if not c:
        continue
    f = lambda k: (c[k] + est(c, k)) if k in c else "-"
    out.append(f"| `{n}` | {f('bf16')} | {f('fp8')} | {f('fp4')} | {f('hbm')} | {f('hbm_bandwidth')} | "
               f"{f('power')} | {c['source']} |")
out += ["", "The compute model (models/kernels.h) of each part: its architecture's parameters in",
        "`models/compute.json`, and where given its own SM clock, GEMM efficiencies (large GEMMs,",
        "per precision) or measured operation table (`profile`).", "",
        "| name | architecture | clock | GEMM efficiency | profile |", "|---|---|---|---|---|"]
for n, e in cat["endpoint_types"].items():
    c = e.get("compute") or {}
    if "bf16" not in c:
        continue
    ge = c.get("gemm_efficiency")
    ges = ", ".join(f"{k} {v}" for k, v in ge.items()) if ge else "the architecture's"
    clk = f"{c['clock_mhz']} MHz" if "clock_mhz" in c else "the architecture's"
    out.append(f"| `{n}` | {c.get('arch', 'generic')} | {clk} | {ges} | {c.get('profile', '-')} |")
text = "\n".join(out) + "\n"
path = os.path.join(root, "docs", "catalog.md")
if "--check" in sys.argv:
    ok = os.path.exists(path) and open(path).read() == text
    print("1 passed, 0 failed" if ok else "docs/catalog.md is stale: run tools/catalog_md.py\n0 passed, 1 failed")
    sys.exit(0 if ok else 1)
open(path, "w").write(text)
