#!/usr/bin/env python3
"""Folding against explicit runs over a class of inputs (workload/fold.h): random workload files of
equal jobs that partition a design's GPUs (one collective each, ring or NCCL's choice), most with a
job over all of them and some with a shift pattern, on six designs (racks on a spine, NVL72,
HGX H100, and across nodes: 4 nodes of the H100 pod, 2 racks of gb200-nvl72-x16, 4 nodes whose
NICs share their leaf's uplinks), under both models. Every job's time must equal the --explicit-ranks run's to 1e-6
relative (whether or not the workload folds; the designs are chosen so that most do).
usage: fold_random.py NVLSIM SOURCE_DIR [SEED] [RUNS]"""
import csv, json, os, random, subprocess, sys, tempfile

bin_, src = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 24
designs = [(src + '/tests/designs/racks-4x8.json', 32), (src + '/topologies/gb200-nvl72.json', 72),
           (src + '/topologies/hgx-h100.json', 8), (src + '/topologies/h100-pod-256.json', 32),
           (src + '/topologies/gb200-nvl72-x16.json', 144),
           (src + '/tests/designs/hgx-h100-shared-leaves.json', 32)]
tmp = tempfile.mkdtemp()
failures = 0
for it in range(runs):
    design, n = rng.choice(designs)
    g = rng.choice([x for x in (2, 4, 8, 9, 18, 36) if n % x == 0 and x < n])
    coll = rng.choice(['all_reduce', 'all_gather', 'reduce_scatter', 'alltoall'])
    size = rng.choice(['1 MiB', '16 MiB'])
    jobs = []
    for k in range(n // g):
        j = {'name': 'g%d' % k, 'collective': coll, 'ranks': 'gpu[%d:%d]' % (k * g, (k + 1) * g),
             'size': size}
        if coll != 'alltoall':
            j['algo'] = rng.choice(['ring', 'auto'])
        jobs.append(j)
    if rng.random() < 0.7:
        c2 = rng.choice(['all_reduce', 'all_gather', 'alltoall', 'sendrecv'])
        j = {'name': 'all', 'collective': c2, 'ranks': 'gpu[0:%d]' % n, 'size': '8 MiB'}
        if c2 in ('all_reduce', 'all_gather'):
            j['algo'] = 'ring'
        jobs.append(j)
    if rng.random() < 0.3:
        jobs.append({'name': 'p', 'pattern': 'shift', 'ranks': 'gpu[0:%d]' % n, 'size': '4 MiB'})
    wf = os.path.join(tmp, 'w.json')
    json.dump({'jobs': jobs}, open(wf, 'w'))
    model = rng.choice(['ideal', 'default'])
    rows = []
    for i, extra in enumerate(([], ['--explicit-ranks'])):
        out = os.path.join(tmp, 'o%d.csv' % i)
        r = subprocess.run([bin_, 'run', design, '--workload', wf, '--model', model, '--csv', out,
                            '--cfg', 'surf/precision:1e-10'] + extra, capture_output=True, text=True)
        if r.returncode != 0:
            print('FAIL: exit %d: %s %s' % (r.returncode, r.stderr.strip()[-200:], json.dumps(jobs)))
            failures += 1
            break
        rows.append(list(csv.DictReader(open(out))))
    if len(rows) < 2:
        continue
    for a, b in zip(rows[0], rows[1]):
        ta, tb = float(a['time_us']), float(b['time_us'])
        if abs(ta - tb) > 1e-6 * max(ta, tb):
            print('FAIL: %s %s job %s: %.9g us folded, %.9g explicit; %s'
                  % (os.path.basename(design), model, a['job'], ta, tb, json.dumps(jobs)))
            failures += 1
            break
print('%d workloads, %d failed' % (runs, failures))
sys.exit(1 if failures else 0)
