#!/usr/bin/env python3
"""Refit the compute model's Hopper parameters to the H200 operation table and print them (or
write them back into models/compute.json).

What is fitted, and to what (every row of models/h200-operations.csv is an operation measured on
one H200; nothing here sees a layer or a step):

  architectures.hopper.gemm.*                the 182 GEMM rows (BF16 and FP8, 14 layer shapes x
                                               7 token counts) and the MoE expert GEMMs
  architectures.hopper.decode_efficiency     the decode-attention rows
  architectures.hopper.attention.eager       the causal attention forward rows (SDPA flash)
  architectures.hopper.attention.backward_eager   their forward + backward rows
  memory_ops.{rmsnorm,rmsnorm_bwd,silu_mul,add,adamw,cross_entropy}.eager
                                             their rows (traffic factor; kernel counts are kept)

Not fitted here: host.launch and host.fp8_gemm_launch are the medians of the table's BF16 and FP8
GEMM rows whose kernels are far below them (M <= 64 and under 60 MB moved: 15.4 and 16.5 us),
hbm_efficiency is the 2 GiB copy's own rate (4.28 TB/s of 4.8: 0.89), and
kernel_floor (the GPU-side cost of a kernel) stays an estimate: in the table every operation
small enough to show it is hidden under the eager host floor.

The objective is the mechanism's error alone (`nvlsim validate-model --ops`, column mechanism_s:
the model without the table's correction), as the mean squared log error per kind of row, each
kind weighing the same, so that the 182 GEMM rows do not drown the rest. Coordinate descent over
the logarithm of each parameter until no parameter moves by more than 0.2 %.

  python3 tools/fit_compute.py [--nvlsim build/nvlsim] [--write]

Runs nvlsim validate-model --ops with NVLSIM_COMPUTE pointing at a temporary copy of the file.
"""
import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPUTE = os.path.join(ROOT, "models", "compute.json")

# (path, lo, hi): numbers, or times as "<x> us" strings
PARAMS = [
    ("architectures.hopper.decode_efficiency", 0.5, 1.0),
    ("architectures.hopper.gemm.efficiency.bf16", 0.4, 1.0),
    ("architectures.hopper.gemm.efficiency.fp8", 0.4, 1.0),
    ("architectures.hopper.gemm.k_ramp", 1, 2000),
    ("architectures.hopper.gemm.wave_quantization", 0.01, 1),
    ("architectures.hopper.gemm.tiles.1.2", 0.5, 1.3),
    ("architectures.hopper.gemm.tiles.2.2", 0.4, 1.3),
    ("architectures.hopper.attention.eager", 0.1, 1.0),
    ("architectures.hopper.attention.backward_eager", 0.1, 1.0),
    ("memory_ops.rmsnorm.eager.0", 0.6, 5),
    ("memory_ops.rmsnorm_bwd.eager.0", 0.6, 10),
    ("memory_ops.silu_mul.eager.0", 0.6, 5),
    ("memory_ops.add.eager.0", 0.6, 5),
    ("memory_ops.adamw.eager.0", 0.6, 5),
    ("memory_ops.cross_entropy.eager.0", 0.6, 40),
]


def get(doc, path):
    for k in path.split("."):
        doc = doc[int(k)] if isinstance(doc, list) else doc[k]
    return doc


def put(doc, path, v):
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc[int(k)] if isinstance(doc, list) else doc[k]
    last = int(keys[-1]) if isinstance(doc, list) else keys[-1]
    doc[last] = v


def as_number(v):
    if isinstance(v, str):  # "12.5 us"
        x, unit = v.split()
        return float(x) * {"us": 1e-6, "ns": 1e-9, "ms": 1e-3, "s": 1.0}[unit]
    return float(v)


def as_stored(old, x):
    if isinstance(old, str):
        return f"{x * 1e6:.3g} us"
    return float(f"{x:.4g}")


class Model:
    def __init__(self, nvlsim, doc):
        self.nvlsim, self.doc = nvlsim, doc
        self.tmp = tempfile.mkdtemp(prefix="nvlsim-fit-compute-")

    def rows(self):
        path = os.path.join(self.tmp, "compute.json")
        with open(path, "w") as f:
            json.dump(self.doc, f)
        env = dict(os.environ, NVLSIM_COMPUTE=path)
        out = os.path.join(self.tmp, "ops.csv")
        subprocess.run([self.nvlsim, "validate-model", "--ops", "--csv", out], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return list(csv.DictReader(f))

    def error(self):
        groups = {}
        for r in self.rows():
            key = r["kind"] + (" bwd" if "+" in r["shape"] else "")
            m, t = float(r["mechanism_s"]), float(r["measured_s"])
            groups.setdefault(key, []).append(math.log(m / t) ** 2)
        return sum(sum(v) / len(v) for v in groups.values()) / len(groups)


def fit(model):
    best = model.error()
    for sweep in range(12):
        moved = 0.0
        for path, lo, hi in PARAMS:
            old = get(model.doc, path)
            x0 = as_number(old)
            # golden-section search on log x within a factor of 2 (and the bounds)
            a, b = math.log(max(lo, x0 / 2)), math.log(min(hi, x0 * 2))
            g = (math.sqrt(5) - 1) / 2

            def err(lx):
                put(model.doc, path, as_stored(old, math.exp(lx)))
                return model.error()

            c, d = b - g * (b - a), a + g * (b - a)
            fc, fd = err(c), err(d)
            for _ in range(14):
                if fc < fd:
                    b, d, fd = d, c, fc
                    c = b - g * (b - a)
                    fc = err(c)
                else:
                    a, c, fc = c, d, fd
                    d = a + g * (b - a)
                    fd = err(d)
            lx = c if fc < fd else d
            e = min(fc, fd)
            if e < best:
                best = e
                put(model.doc, path, as_stored(old, math.exp(lx)))
                moved = max(moved, abs(math.exp(lx) / x0 - 1))
            else:
                put(model.doc, path, old)
        print(f"sweep {sweep + 1}: error {best:.5f}, largest move {moved * 100:.2f} %",
              file=sys.stderr)
        if moved < 0.002:
            break
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nvlsim", default=os.path.join(ROOT, "build", "nvlsim"))
    ap.add_argument("--write", action="store_true", help="write the values into compute.json")
    args = ap.parse_args()
    with open(COMPUTE) as f:
        text = f.read()
    doc = json.loads(text)
    model = Model(args.nvlsim, doc)
    fit(model)
    for path, _, _ in PARAMS:
        print(f"{path} = {get(doc, path)}")
    if args.write:
        # rewrite each value in place in the hand-formatted file
        new = text
        for path, _, _ in PARAMS:
            new = replace_value(new, path, get(doc, path))
        assert json.loads(new) == doc, "the in-place rewrite differs from the fitted values"
        with open(COMPUTE, "w") as f:
            f.write(new)


def replace_value(text, path, value):
    """Replaces one value in the formatted JSON text, found by walking its keys in order."""
    keys = path.split(".")
    pos = 0
    for k in keys:
        if k.isdigit():  # a list element: skip to the k-th element after '['
            pos = text.index("[", pos) + 1
            for _ in range(int(k)):
                pos = next_element(text, pos)
        else:
            pos = text.index(f'"{k}"', pos) + len(k) + 2
            pos = text.index(":", pos) + 1
    while text[pos] == " ":
        pos += 1
    end = next_element(text, pos) - 1 if False else value_end(text, pos)
    return text[:pos] + json.dumps(value) + text[end:]


def value_end(text, pos):
    if text[pos] == '"':
        return text.index('"', pos + 1) + 1
    end = pos
    while text[end] not in ",]}":
        end += 1
    while text[end - 1] == " ":
        end -= 1
    return end


def next_element(text, pos):
    depth = 0
    while True:
        ch = text[pos]
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            return pos + 1
        elif ch == '"':
            pos = text.index('"', pos + 1)
        pos += 1


if __name__ == "__main__":
    main()
