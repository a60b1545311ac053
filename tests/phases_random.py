#!/usr/bin/env python3
"""Phases against per-flow simulation over a class of inputs (platform/phase.h): random MoE steps
(DeepSeek-V3 decode and prefill; training of a small MoE of the same form; EP 4 to 16 with TP, PP and DP beside it, so that other
traffic meets the phases; a random routing seed) on three designs (NVL72, HGX H100, and the Fusion
rack whose ASICs force explicit planes: striped transfers), each run twice: with phases (down to
batches of 16 transfers, so that these small steps use them) and with --exact-flows (every
transfer its own SimGrid flow: the per-flow answer). Every figure of the step must agree within
0.5 % of itself or 0.01 % of the step time, whichever is larger; every link direction's bytes
exactly (1e-9), its peak utilisation within 0.5 % (absolute).
usage: phases_random.py NVLSIM SOURCE_DIR [SEED] [RUNS]"""
import csv, os, random, subprocess, sys, tempfile

bin_, src = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 22
designs = [(src + '/topologies/gb200-nvl72.json', 72), (src + '/topologies/hgx-h100.json', 8),
           (src + '/topologies/fusion-gpu-asic.json', 72)]
# then steps on NVL576 with the job's ranks half in one rack and half in the next: streams on
# racks of their own run their exchanges as phases side by side (sg_phase.cpp)
racks = (src + '/topologies/nvl576.json', 144)
n_racks = int(sys.argv[5]) if len(sys.argv) > 5 else 8
figures = ['step_time_us', 'compute_us', 'comm_us', 'exposed_comm_us', 'bubble_us', 'tp_comm_us',
           'ep_comm_us', 'pp_comm_us', 'dp_comm_us', 'ep_dispatch_us', 'ep_combine_us']
tmp = tempfile.mkdtemp()
small = os.path.join(tmp, 'small-moe.json')  # DeepSeek-V3's form at a size a test can train
with open(small, 'w') as fh:
    fh.write('{"name": "small-moe", "source": "a test model", "layers": 6, "hidden": 2048, '
             '"ffn": 8192, "heads": 16, "kv_heads": 16, "head_dim": 128, "vocab": 32000, '
             '"precision": "bf16", "moe": {"experts": 64, "shared_experts": 1, "top_k": 6, '
             '"expert_ffn": 1024, "first_dense_layers": 1}}')
failures = compared = 0
worst = (0.0, '-')  # the largest relative difference of a figure above 0.01 % of its step
for it in range(runs + n_racks):
    design, n = rng.choice(designs) if it < runs else racks
    mode = rng.choice(['decode', 'decode', 'prefill', 'train'])
    ep = rng.choice([e for e in (4, 8, 16) if e <= n])
    tp = rng.choice([1, 1, 2]) if ep * 2 <= n else 1
    pp = rng.choice([1, 2]) if mode == 'train' and ep * tp * 2 <= n else 1
    dp = rng.choice([1, 2]) if ep * tp * pp * 2 <= n else 1
    args = ['llm', design, '--llm', small if mode == 'train' else 'builtin:deepseek-v3', '--mode', mode, '--ep', str(ep),
            '--tp', str(tp), '--pp', str(pp), '--dp', str(ep * dp), '--seed', str(rng.randint(1, 1000)),
            '-q']
    k = ep * tp * pp * dp
    args += (['--ranks', 'gpu[0:%d],gpu[72:%d]' % (k // 2, 72 + k // 2)] if n == 144
             else ['-g', str(k)])
    if mode == 'decode':
        args += ['--batch', str(ep * tp * pp * dp * rng.choice([8, 32, 64]))]
    else:
        args += ['--seq', str(rng.choice([256, 1024])),
                 '--batch', str(ep * dp * pp * rng.choice([1, 2]))]
    out = []
    for i, extra in enumerate((['--phase-min', '16'], ['--exact-flows'])):
        f, lf = os.path.join(tmp, 'o%d.csv' % i), os.path.join(tmp, 'l%d.csv' % i)
        r = subprocess.run([bin_] + args + extra + ['--csv', f, '--link-stats', lf],
                           capture_output=True, text=True)
        out.append((r.returncode, r.stderr.strip(), f, lf))
    (ra, ea, fa, la), (rb, eb, fb, lb) = out
    if ra != rb:
        print('FAIL: exit %d with phases, %d without: %s %s' % (ra, rb, ea[-200:], ' '.join(args)))
        failures += 1
        continue
    if ra != 0:  # refused alike (memory, a layout that does not fit): nothing to compare
        if os.environ.get('PHASES_VERBOSE'):
            print('refused: %s: %s' % (ea[-150:], ' '.join(args)))
        continue
    compared += 1
    a, b = next(csv.DictReader(open(fa))), next(csv.DictReader(open(fb)))
    step = float(b['step_time_us'])
    for k in figures:
        x, y = float(a[k]), float(b[k])
        if y != 0 and abs(x - y) / abs(y) > worst[0] and abs(x - y) > 1e-4 * step:
            worst = (abs(x - y) / abs(y), k)
        if abs(x - y) > max(0.005 * abs(y), 1e-4 * step):
            print('FAIL: %s %.6g with phases, %.6g per flow: %s' % (k, x, y, ' '.join(args)))
            failures += 1
            break
    for p, q in zip(csv.DictReader(open(la)), csv.DictReader(open(lb))):
        if p['link'] != q['link'] or p['direction'] != q['direction']:
            print('FAIL: link rows differ: %s' % ' '.join(args))
            failures += 1
            break
        bx, by = float(p['bytes']), float(q['bytes'])
        if abs(bx - by) > 1e-9 * max(bx, by, 1.0) or \
           abs(float(p['peak_utilization']) - float(q['peak_utilization'])) > 0.005:
            print('FAIL: link %s %s: bytes %s / %s, peak %s / %s: %s'
                  % (p['link'], p['direction'], p['bytes'], q['bytes'], p['peak_utilization'],
                     q['peak_utilization'], ' '.join(args)))
            failures += 1
            break
print('%d steps, %d compared, %d failed; largest difference %.3f %% (%s)'
      % (runs + n_racks, compared, failures, 100 * worst[0], worst[1]))
sys.exit(1 if failures or compared < (runs + n_racks) // 2 else 0)
