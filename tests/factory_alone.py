#!/usr/bin/env python3
"""Every frontier point of `nvlsim factory`, run alone, gives that point's parts: its decode step
is `nvlsim llm --mode decode` at its layout and batch (the mean context isl + osl/2), and its
prompt-token price `nvlsim llm --mode prefill`'s step (one isl-token sequence per data-parallel
rank) over its tokens; the point's figures then follow from those by serving.h's closed forms.
Checked on a dense model (TP, and TP x PP layouts), an MoE model (EP with attention DP,
redundant experts; and attention TP 8) and a rack of unlike accelerators (each point's first
replica, on the GPUs).
Usage: factory_alone.py NVLSIM"""
import csv
import math
import os
import subprocess
import sys
import tempfile

NV = sys.argv[1]


def run(args):
    r = subprocess.run([NV] + args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(args), r.stderr))
    return r.stdout


def step_us(out, label):
    for line in out.splitlines():
        if line.startswith(label):
            return float(line.split()[len(label.split())])
    sys.exit("no %r in llm's output" % label)


CASES = [("builtin:hgx-h100", "builtin:llama3.1-8b", ["--isl", "1024", "--osl", "256",
                                                        "--gpus", "1,8", "--batch", "1,64"]),
         ("builtin:gb200-nvl72", "builtin:deepseek-v3", ["--isl", "2048", "--osl", "512",
                                                          "--gpus", "16,72", "--batch", "4"]),
         ("builtin:hgx-h100", "builtin:llama3.1-70b", ["--isl", "1024", "--osl", "256",
                                                        "--gpus", "8", "--tp", "4,8",
                                                        "--batch", "1,16"]),
         ("builtin:gb200-nvl72", "builtin:deepseek-v3", ["--isl", "1024", "--osl", "256",
                                                          "--gpus", "16", "--tp", "8",
                                                          "--batch", "8"])]
checked = 0
with tempfile.TemporaryDirectory() as tmp:
    for design, llm, args in CASES:
        path = os.path.join(tmp, "f.csv")
        run(["factory", design, "--llm", llm, "--csv", path] + args)
        rows = list(csv.DictReader(open(path)))
        isl, osl = int(rows[0]["isl"]), int(rows[0]["osl"])
        for row in rows:
            if row["frontier"] != "1" and "--tp" not in args:  # layouts: every point
                continue
            g, tp, ep, dp, pp, batch = (int(row[k]) for k in ("gpus_per_replica", "tp", "ep",
                                                              "dp", "pp", "batch"))
            lay = ["--tp", str(tp), "--ep", str(ep), "--dp", str(dp), "--pp", str(pp), "-g",
                   str(g)]
            if ep > 1:
                lay += ["--redundant-experts", str((-256) % ep)]  # DeepSeek-V3's 256 experts
            dec = step_us(run(["llm", design, "--llm", llm, "--mode", "decode", "--batch",
                               str(batch), "--seq", str(isl + osl // 2)] + lay), "token time")
            pre = step_us(run(["llm", design, "--llm", llm, "--mode", "prefill", "--batch",
                               str(dp), "--seq", str(isl)] + lay), "prefill time")
            want_dec, want_tok = float(row["decode_step_us"]), float(row["prefill_token_us"])
            assert abs(dec - want_dec) <= 1e-4 * want_dec + 0.05, (row, dec)
            assert abs(pre / (dp * isl) - want_tok) <= 1e-4 * want_tok, (row, pre)
            it = want_dec + batch * isl / osl * want_tok
            assert abs(float(row["iteration_us"]) - it) <= 1e-4 * it, row
            assert abs(float(row["tokens_per_s_user"]) - 1e6 / it) <= 1e-4 * 1e6 / it, row
            checked += 1
assert checked >= 3, checked
print("factory_alone: %d points run alone agree" % checked)
