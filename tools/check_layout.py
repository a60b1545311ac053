#!/usr/bin/env python3
"""Checks the source layout rules of README's Layout section; exit 1 with one line per breach.

  - no source file directly in sim/: every module sits in its stage folder;
  - data flows one way: a stage includes only earlier stages (and models/), in the order
    base, design, graph, platform, engine, workload, output, cli; models/ includes only
    sim/base/ and models/;
  - files of at most 600 lines, functions of at most 100 (from the opening line of a definition
    at column 0 to its closing brace at column 0, as clang-format lays them out).

  python3 tools/check_layout.py [ROOT]
"""
import glob
import os
import re
import sys

STAGES = ["base", "design", "graph", "platform", "engine", "workload", "output", "cli"]
MAX_FILE, MAX_FUNC = 600, 100


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bad = []
    for p in sorted(glob.glob(os.path.join(root, "sim", "*.*"))):
        bad.append(f"{os.path.relpath(p, root)}: a source file directly in sim/; put it in its stage folder")
    files = sorted(glob.glob(os.path.join(root, "sim", "*", "*.[ch]")) +
                   glob.glob(os.path.join(root, "sim", "*", "*.cpp")) +
                   glob.glob(os.path.join(root, "models", "*.[ch]")))
    for p in files:
        rel = os.path.relpath(p, root)
        parts = rel.split(os.sep)
        stage = parts[1] if parts[0] == "sim" else "models"
        if parts[0] == "sim" and stage not in STAGES:
            bad.append(f"{rel}: unknown stage folder sim/{stage}/")
            continue
        lines = open(p, encoding="utf-8").read().split("\n")
        if len(lines) - 1 > MAX_FILE:
            bad.append(f"{rel}: {len(lines) - 1} lines (at most {MAX_FILE})")
        for i, line in enumerate(lines, 1):
            m = re.match(r'#include "([^"]+)"', line)
            if not m:
                continue
            inc = m.group(1)
            top = inc.split("/")[0]
            if top == "models":
                continue  # every stage may use the behaviour models
            if top not in STAGES:
                bad.append(f"{rel}:{i}: include \"{inc}\" names no stage (write \"base/diag.h\", ...)")
                continue
            if stage == "models":
                if top != "base":
                    bad.append(f"{rel}:{i}: models/ may include only sim/base/, not \"{inc}\"")
            elif STAGES.index(top) > STAGES.index(stage):
                bad.append(f"{rel}:{i}: stage {stage} includes the later stage {top} (\"{inc}\")")
        start = None
        for i, line in enumerate(lines, 1):
            if start is None and re.match(r"[A-Za-z_][^;(]*\([^;]*$", line) and not line.startswith(("typedef", "struct", "#")):
                # a definition opens at column 0 and ends its header with "{" (maybe lines later)
                j = i
                while j <= len(lines) and not lines[j - 1].rstrip().endswith(("{", ";")):
                    j += 1
                if j <= len(lines) and lines[j - 1].rstrip().endswith("{"):
                    start = (i, line)
            elif start is not None and line.startswith("}"):
                n = i - start[0] + 1
                if n > MAX_FUNC:
                    name = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", start[1])
                    bad.append(f"{rel}:{start[0]}: function {name[0] if name else '?'} is {n} lines (at most {MAX_FUNC})")
                start = None
    for b in bad:
        print(b)
    if bad:
        print(f"check_layout: {len(bad)} breach{'es' if len(bad) != 1 else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
