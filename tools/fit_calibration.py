#!/usr/bin/env python3
"""Refit the default model's fitted parameters and print them (or write them back).

Every fitted value of models/calibration.json is fitted here, to the rows named in its "source"
text, in this order (each fit holds the others fixed; the whole sequence runs until no value moves
by more than 1e-4 relative):

  device_launch              T07  8 x H200 NVLS all_reduce 2 MiB (models/measured-h200-torch.csv)
  generations.3.simple_efficiency   A1   HGX A100 ring 16 GiB
  generations.3.simple_sync_share   A3   HGX A100 ring 128 MiB
  generations.3.p2p_efficiency      A6   8 x A100 sendrecv 512 MiB
  generations.4.simple_efficiency   H2   HGX H200 ring 16 GiB
  generations.4.nvls_*              H1 + T16  HGX H200 NVLS 16 GiB and 1 GiB
  generations.5.simple_efficiency   G2   GB200 NVL72 72-rank ring (GTC25)
  generations.5.nvls_*              G1 + G3   GB200 NVL72 72-rank NVLS (GTC25), 8-GPU slice
  generations.6.*                   copies of generation 5 (no NVLink 6 measurement exists)
  simple_sync_share of 4-6          NVLink 3's (no medium-size ring measurement for them)
  p2p_efficiency of 4-6             NVLink 3's ratio to the Simple efficiency (no P2P measurement)

Everything else in measured-collectives.csv and measured-h200-torch.csv is a prediction.

  python3 tools/fit_calibration.py [--nvlsim build/nvlsim] [--write]

Runs nvlsim validate-model with NVLSIM_CALIBRATION pointing at a temporary copy of the file.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAL = os.path.join(ROOT, "models", "calibration.json")
MEASURED = os.path.join(ROOT, "models", "measured-collectives.csv")
H200 = os.path.join(ROOT, "models", "measured-h200-torch.csv")


def rows_of(path, cases):
    with open(path) as f:
        lines = f.read().splitlines()
    keep = [lines[0]] + [l for l in lines[1:] if l.split(",")[0] in cases]
    return "\n".join(keep) + "\n"


class Model:
    def __init__(self, nvlsim, cal):
        self.nvlsim, self.cal = nvlsim, cal
        self.tmp = tempfile.mkdtemp(prefix="nvlsim-fit-")

    def simulate(self, csv_text):
        """measured and simulated value of every row: {case: (measured, simulated)}"""
        cal_path = os.path.join(self.tmp, "cal.json")
        csv_path = os.path.join(self.tmp, "rows.csv")
        with open(cal_path, "w") as f:
            json.dump(self.cal, f)
        with open(csv_path, "w") as f:
            f.write(csv_text)
        env = dict(os.environ, NVLSIM_CALIBRATION=cal_path)
        out = subprocess.run([self.nvlsim, "validate-model", "--tolerance", "100%", csv_path],
                             env=env, capture_output=True, text=True)
        res = {}
        for line in out.stdout.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            f = line.split()
            # case system... measured simulated error verdict: take the two numbers before the error
            err_i = next(i for i, x in enumerate(f) if x.endswith("%"))
            res[f[0]] = (float(f[err_i - 2]), float(f[err_i - 1]))
        if not res:
            sys.exit("fit: validate-model printed no rows:\n" + out.stderr)
        return res


def get(cal, path):
    for k in path[:-1]:
        cal = cal[k]
    return cal[path[-1]]


def put(cal, path, v):
    for k in path[:-1]:
        cal = cal[k]
    cal[path[-1]] = v


def fit1(model, path, csv_text, case, lo, hi, fmt=None, increasing=True):
    """bisect one parameter in [lo, hi] so that the row's simulated value meets the measured one"""
    def err(v):
        put(model.cal, path, fmt(v) if fmt else v)
        m, s = model.simulate(csv_text)[case]
        return (s - m) / m
    a, b = lo, hi
    ea, eb = err(a), err(b)
    if ea * eb > 0:
        sys.exit(f"fit: {'.'.join(path)} cannot meet {case} in [{lo}, {hi}] ({ea:+.3f}, {eb:+.3f})")
    for _ in range(40):
        mid = (a + b) / 2
        em = err(mid)
        if (em < 0) == (ea < 0):
            a, ea = mid, em
        else:
            b, eb = mid, em
        if abs(b - a) < 1e-6 * max(1, abs(mid)):
            break
    v = (a + b) / 2
    put(model.cal, path, fmt(v) if fmt else v)
    return get(model.cal, path)


def fit_nvls(model, g, csv_text, big, small):
    """nvls_spread so that the ratio of the two rows is met, then nvls_efficiency for the big one"""
    eff = ["generations", g, "nvls_efficiency"]
    spread = ["generations", g, "nvls_spread"]

    def ratio_err(v):
        put(model.cal, spread, v)
        r = model.simulate(csv_text)
        (mb, sb), (ms, ss) = r[big], r[small]
        return (sb / ss) / (mb / ms) - 1
    a, b = 0.0, 4.0
    ea = ratio_err(a)
    for _ in range(40):
        mid = (a + b) / 2
        em = ratio_err(mid)
        if (em < 0) == (ea < 0):
            a, ea = mid, em
        else:
            b = mid
        if b - a < 1e-5:
            break
    put(model.cal, spread, round((a + b) / 2, 4))
    fit1(model, eff, rows_of(MEASURED, {big}) if big[0] != "T" else rows_of(H200, {big}), big,
         0.3, 1.0, fmt=lambda v: round(v, 4))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--nvlsim", default=os.path.join(ROOT, "build", "nvlsim"))
    ap.add_argument("--write", action="store_true", help="write the values into models/calibration.json")
    a = ap.parse_args()
    with open(CAL) as f:
        cal = json.load(f)
    model = Model(a.nvlsim, copy.deepcopy(cal))
    r4 = lambda v: round(v, 4)
    us = lambda v: f"{v:.2f} us"
    for rnd in range(6):
        before = json.dumps(model.cal, sort_keys=True)
        fit1(model, ["device_launch"], rows_of(H200, {"T07"}), "T07", 0.0, 40.0,
             fmt=us, increasing=False)
        fit1(model, ["generations", "3", "simple_efficiency"], rows_of(MEASURED, {"A1"}), "A1", 0.5, 1.0, fmt=r4)
        fit1(model, ["generations", "3", "simple_sync_share"], rows_of(MEASURED, {"A3"}), "A3", 0.0, 0.5, fmt=r4)
        fit1(model, ["generations", "3", "p2p_efficiency"], rows_of(MEASURED, {"A6"}), "A6", 0.3, 1.0, fmt=r4)
        fit1(model, ["generations", "4", "simple_efficiency"], rows_of(MEASURED, {"H2"}), "H2", 0.5, 1.0, fmt=r4)
        h = rows_of(MEASURED, {"H1"}) + rows_of(H200, {"T16"}).split("\n", 1)[1]
        fit_nvls(model, "4", h, "H1", "T16")
        fit1(model, ["generations", "5", "simple_efficiency"], rows_of(MEASURED, {"G2"}), "G2", 0.5, 1.0, fmt=r4)
        fit_nvls(model, "5", rows_of(MEASURED, {"G1", "G3"}), "G1", "G3")
        for k in ("simple_efficiency", "nvls_efficiency", "nvls_spread", "p2p_efficiency"):
            model.cal["generations"]["6"][k] = model.cal["generations"]["5"][k]
        # the Simple synchronisation share: measured on NVLink 3 only, assumed for the others
        for g in ("4", "5", "6"):
            model.cal["generations"][g]["simple_sync_share"] = model.cal["generations"]["3"]["simple_sync_share"]
        # P2P of NVLink 4 and 5: no measurement; keep NVLink 3's ratio to the Simple efficiency
        ratio = model.cal["generations"]["3"]["p2p_efficiency"] / model.cal["generations"]["3"]["simple_efficiency"]
        for g in ("4", "5", "6"):
            model.cal["generations"][g]["p2p_efficiency"] = r4(ratio * model.cal["generations"][g]["simple_efficiency"])
        if json.dumps(model.cal, sort_keys=True) == before:
            break
    print(f"device_launch {model.cal['device_launch']}")
    for g in ("3", "4", "5", "6"):
        x = model.cal["generations"][g]
        print(f"generation {g}: simple_efficiency {x['simple_efficiency']} simple_sync_share {x['simple_sync_share']} "
              f"nvls_efficiency {x['nvls_efficiency']} nvls_spread {x['nvls_spread']} p2p_efficiency {x['p2p_efficiency']}")
    if a.write:
        text = open(CAL).read()
        for path in [["device_launch"]] + [["generations", g, k] for g in ("3", "4", "5", "6")
                                           for k in ("simple_efficiency", "simple_sync_share", "nvls_efficiency",
                                                     "nvls_spread", "p2p_efficiency")]:
            old, new = get(cal, path), get(model.cal, path)
            if old != new:
                text = replace_value(text, path, old, new)
        with open(CAL, "w") as f:
            f.write(text)
        print(f"written to {CAL}")


def replace_value(text, path, old, new):
    """replace one value in the hand-formatted JSON, keeping its layout"""
    key = '"' + path[-1] + '": '
    anchor = text.index('\n  "' + path[0] + '"')  # a top-level key (two spaces deep)
    for p in path[1:-1]:
        anchor = text.index('"' + p + '"', anchor)
    i = text.index(key, anchor) + len(key)
    j = i
    while text[j] not in ",}\n":
        j += 1
    new_s = json.dumps(new)
    return text[:i] + new_s + text[j:]


if __name__ == "__main__":
    main()
