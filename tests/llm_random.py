#!/usr/bin/env python3
"""A seeded random campaign over `nvlsim llm` (issue 27): model files (valid ones, dense and MoE,
MLA or not, and ones with a field made hostile: 0, negative, huge, a fraction, a string, heads
above hidden, kv_heads that do not divide, top_k above the experts) and layouts (mode, precision,
tp, ep, pp, dp, batch, seq, micro-batches, ZeRO, sp, skew, redundant experts, -g) on small
designs, each run under a wall-clock and a memory limit. Every run must end by itself (no
signal, no time or memory limit reached) with exit 0, 1 or 2; an exit 0 must write a CSV whose
figures are all finite, whose layout has no part of size 0 and whose step has positive time,
compute and tokens/s; an exit 1 or 2 must say why on stderr.
usage: llm_random.py NVLSIM [SEED] [RUNS]   (RUNS default 300; a sanitizer build takes fewer)"""
import csv, json, math, os, random, subprocess, sys, tempfile

bin_ = sys.argv[1]
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
# the layouts' and models' newer options, drawn apart so that the cases above stay the same
rng2 = random.Random(1000 + (int(sys.argv[2]) if len(sys.argv) > 2 else 1))
sanitized = b'__asan_init' in subprocess.run(['nm', '-D', bin_], capture_output=True).stdout
runs = int(sys.argv[3]) if len(sys.argv) > 3 else (60 if sanitized else 300)
designs = [('builtin:hgx-h100', 8), ('builtin:hgx-b200', 8), ('builtin:hgx-a100', 8),
           ('builtin:gb200-nvl72', 16)]
tmp = tempfile.mkdtemp()


def model():
    hidden = rng.choice([256, 512, 1024, 2048, 4096])
    heads = rng.choice([4, 8, 16, 32])
    m = {'name': 'rand', 'layers': rng.randint(1, 6), 'hidden': hidden,
         'ffn': hidden * rng.choice([2, 4]), 'heads': heads,
         'kv_heads': rng.choice([h for h in (1, 2, 4, 8) if heads % h == 0]),
         'vocab': rng.choice([1000, 32000, 128256]),
         'precision': 'fp8' if rng.random() < 0.15 else 'bf16'}
    if rng.random() < 0.3:
        m['mlp'] = 'gelu'
    if rng.random() < 0.4:
        m['moe'] = {'experts': rng.choice([4, 8, 16, 64]), 'top_k': rng.choice([1, 2, 4]),
                    'expert_ffn': hidden, 'shared_experts': rng.choice([0, 1]),
                    'first_dense_layers': rng.choice([0, 1])}
    if rng.random() < 0.15:
        m['mla'] = {'q_lora_rank': 256, 'kv_lora_rank': 128, 'qk_nope_head_dim': 32,
                    'qk_rope_head_dim': 16, 'v_head_dim': 32}
    if rng2.random() < 0.2:
        m['window'] = {'tokens': rng2.choice([16, 128, 100000]), 'every': rng2.choice([1, 2]),
                       'first': rng2.choice([0, 1])}
    for key in ('parallel_block', 'tied_embeddings'):
        if rng2.random() < 0.15:
            m[key] = True
    if rng2.random() < 0.15:
        m['mtp_layers'] = rng2.choice([1, 2])
    if rng.random() < 0.25:  # one hostile field
        where, key = rng.choice([(m, 'layers'), (m, 'hidden'), (m, 'heads'), (m, 'kv_heads'),
                                 (m, 'ffn'), (m, 'vocab'), (m, 'head_dim')] +
                                ([(m['moe'], 'experts'), (m['moe'], 'top_k'),
                                  (m['moe'], 'expert_ffn')] if 'moe' in m else []))
        where[key] = rng.choice([0, -1, 1, 3, 2**14, 2**20, 2**22, 10**9, 2**31, 2**63 - 1, 1.5, '8',
                                 None, 1e300,
                                 hidden * 4])
    return m


def divisors(k):
    return [d for d in (1, 2, 4, 8, 16) if k % d == 0]


def fits(k, x):
    return isinstance(x, int) and x > 0 and x % k == 0


def layout(n, m):
    a = ['--mode', rng.choice(['train', 'prefill', 'decode'])]
    if rng.random() < 0.6:  # a layout that fits the job and the model: most of these run
        tp = rng.choice([d for d in divisors(n) if fits(d, m.get('heads')) and
                         fits(d, m.get('kv_heads', m.get('heads')))] or [1])
        moe = m.get('moe', {})
        ep = rng.choice([d for d in divisors(n // tp) if fits(d, moe.get('experts'))] or [1])
        pp = rng.choice([d for d in divisors(n // tp // ep) if fits(d, m.get('layers'))] or [1])
        a += ['--tp', str(tp), '--ep', str(ep), '--pp', str(pp),
              '--batch', str(rng.choice([1, 2, 4]) * n), '--seq', str(rng.choice([128, 512]))]
        if rng.random() < 0.3:
            a += ['--microbatches', str(rng.choice([1, 2, 4]))]
    else:  # anything
        for opt in ('--tp', '--ep', '--pp', '--dp'):
            if rng.random() < 0.5:
                a += [opt, str(rng.choice([1, 2, 4, 8, 3, 16, 536870912]))]
        for opt, vals in (('--batch', [1, 2, 8, 64, 1000]), ('--seq', [1, 128, 2048, 100000]),
                          ('--microbatches', [1, 2, 4, 7])):
            if rng.random() < 0.3:
                a += [opt, str(rng.choice(vals))]
        if rng.random() < 0.3:
            a += ['-g', str(rng.choice([1, 2, 4, n]))]
    for opt, vals in (('--zero', ['1', '3']), ('--precision', ['bf16', 'fp8', 'fp4']),
                      ('--skew', ['0', '1.5', '10']), ('--redundant-experts', ['1', '4', '60'])):
        if rng.random() < 0.2:
            a += [opt, str(rng.choice(vals))]
    if rng.random() < 0.2:
        a.append('--sp')
    for opt, vals in (('--cp', ['2', '4', '3']), ('--vp', ['2', '3']), ('--etp', ['1', '2']),
                      ('--order', ['tp-cp-ep-dp-pp', 'dp-tp-cp-ep-pp', 'pp-tp-cp-ep-dp', 'tp-xx']),
                      ('--mtp', ['0', '1', '2']), ('--mtp-accept', ['0', '0.5', '1']),
                      ('--capacity-factor', ['0', '1', '1.25']), ('--cp-comm', ['p2p', 'a2a']),
                      ('--first-stage-layers', ['1', '2']), ('--last-stage-layers', ['1'])):
        if rng2.random() < 0.1:
            a += [opt, rng2.choice(vals)]
    for flag in ('--two-batch-overlap', '--shared-expert-overlap'):
        if rng2.random() < 0.1:
            a.append(flag)
    return a


failures = []
for it in range(runs):
    design, n = rng.choice(designs)
    mf = os.path.join(tmp, 'm%d.json' % it)
    m = model()
    json.dump(m, open(mf, 'w'))
    out = os.path.join(tmp, 'o%d.csv' % it)
    args = [bin_, 'llm', design, '--llm', mf, '--csv', out, '--time-limit', '60s',
            '--memory-limit', '1GiB', '--seed', str(rng.randint(0, 2**64 - 1))] + layout(n, m)
    try:
        p = subprocess.run(args, capture_output=True, timeout=300,
                           env=dict(os.environ, NVLSIM_NO_HUGEPAGES='1'))
    except subprocess.TimeoutExpired:
        failures.append('hang: ' + ' '.join(args[1:]))
        continue
    why = p.stderr.decode(errors='replace').strip()
    if p.returncode not in (0, 1, 2):
        failures.append('exit %d: %s\n  %s' % (p.returncode, ' '.join(args[1:]), why[-300:]))
        continue
    if p.returncode != 0:
        if not why:
            failures.append('exit %d without a reason: %s' % (p.returncode, ' '.join(args[1:])))
        if os.path.exists(out):
            failures.append('exit %d left a CSV: %s' % (p.returncode, ' '.join(args[1:])))
        continue
    rows = list(csv.DictReader(open(out)))
    if len(rows) != 1:
        failures.append('%d CSV rows: %s' % (len(rows), ' '.join(args[1:])))
        continue
    r = rows[0]
    text = ('design', 'llm', 'mode', 'precision', 'attn_precision', 'kv_precision', 'runtime',
            'attention_kernel', 'ep_kernel', 'cp_comm', 'order', 'sp', 'shared_expert_overlap', 'two_batch_overlap',
            'recompute')
    bad = [k for k, v in r.items() if k not in text and not (v and math.isfinite(float(v)))]
    zero = [k for k in ('tp', 'ep', 'pp', 'dp', 'microbatches', 'batch', 'seq', 'step_time_us',
                        'tokens_per_s', 'compute_us', 'memory_gb') if not bad and float(r[k]) <= 0]
    if bad or zero:
        failures.append('exit 0 with %s%s: %s' % ('non-finite ' + ','.join(bad) if bad else '',
                                                 'zero ' + ','.join(zero) if zero else '',
                                                 ' '.join(args[1:])))
for f in failures:
    print('FAIL:', f)
print('llm_random: %d runs, %d failed' % (runs, len(failures)))
sys.exit(1 if failures else 0)
