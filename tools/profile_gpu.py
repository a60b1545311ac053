#!/usr/bin/env python3
"""Measure a GPU's operation table for nvlsim (the CSV form of models/h200-operations.csv).

Runs on a machine with a CUDA GPU and PyTorch (nothing else is needed; nothing else in nvlsim
needs PyTorch). Every operation runs the way the table's rows were measured: eager PyTorch, one
operation repeated back to back on one stream, timed with CUDA events, the mean of the timed
repetitions after warm-ups. Give the result to a design's endpoint type:

    "compute": {"base": ..., "profile": "my-gpu.csv"}      (a path relative to the design)

and check it with `nvlsim validate-model --ops my-gpu.csv --design my-design.json`.

    python3 tools/profile_gpu.py -o my-gpu.csv [--quick] [--no-fp8]

--quick measures a third of the shapes (about a minute on an H200); the full table takes a few
minutes. Shapes: the GEMMs of Llama 3 8B / 70B (TP 8) / 405B (TP 8) layers and DeepSeek-V3's
expert at 7 token counts in BF16 and FP8, causal flash attention forward and forward + backward,
decode attention, the memory-bound operations, fused AdamW, the LM head with cross-entropy, and
MoE expert GEMMs looped and grouped.
"""
import argparse
import csv
import sys

COLUMNS = ["kind", "dtype", "M", "N", "K", "batch", "seq", "heads_q", "heads_kv", "head_dim", "ctx",
           "tokens", "width", "experts", "tokens_per_expert", "backward", "seconds", "flop",
           "bytes", "note"]

GEMM_SHAPES = [  # (name, N, K): x[M, K] @ w[K, N]
    ("l8b_qkv", 6144, 4096), ("l8b_o", 4096, 4096), ("l8b_gateup", 28672, 4096),
    ("l8b_down", 4096, 14336), ("l70b_tp8_qkv", 1280, 8192), ("l70b_tp8_o", 8192, 1024),
    ("l70b_tp8_gateup", 7168, 8192), ("l70b_tp8_down", 8192, 3584),
    ("l405b_tp8_qkv", 2304, 16384), ("l405b_tp8_gateup", 13312, 16384),
    ("l405b_tp8_down", 16384, 6656), ("dsv3_expert_gateup", 4096, 7168),
    ("dsv3_expert_down", 7168, 2048), ("sq8192", 8192, 8192)]
TOKENS = [1, 16, 64, 256, 1024, 4096, 16384]


def timed(torch, fn, reps, warm=3):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1e3 / reps


def reps_for(seconds_guess):
    return max(5, min(20, int(0.05 / max(seconds_guess, 1e-6))))


def row(**kw):
    r = {c: "" for c in COLUMNS}
    r.update({k: v for k, v in kw.items() if v is not None})
    return r


def gemms(torch, rows, quick, fp8):
    dev = "cuda"
    shapes = GEMM_SHAPES[::3] if quick else GEMM_SHAPES
    for name, n, k in shapes:
        w = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
        for m in TOKENS:
            x = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
            t = timed(torch, lambda: x @ w, 10)
            rows.append(row(kind="gemm", dtype="bf16", M=m, N=n, K=k, seconds=t,
                            flop=2 * m * n * k, bytes=(m * k + k * n) * 2 + m * n * 2,
                            note=f"shape of {name}"))
            if fp8 and m >= 16:
                x8 = x.to(torch.float8_e4m3fn)
                w8 = w.t().contiguous().to(torch.float8_e4m3fn).t()  # column-major, as cuBLASLt wants
                one = torch.ones((), device=dev)
                t = timed(torch, lambda: torch._scaled_mm(x8, w8, scale_a=one, scale_b=one,
                                                          out_dtype=torch.bfloat16), 10)
                rows.append(row(kind="gemm", dtype="fp8", M=m, N=n, K=k, seconds=t,
                                flop=2 * m * n * k, bytes=(m * k + k * n) + m * n * 2,
                                note=f"shape of {name}"))


def attention(torch, rows, quick):
    import torch.nn.functional as F
    dev = "cuda"
    cases = [(1, 8192, 32, 8), (4, 4096, 32, 8), (1, 32768, 32, 8), (1, 8192, 8, 1), (8, 4096, 8, 1)]
    if quick:
        cases = cases[:2]
    d = 128
    for b, s, hq, hkv in cases:
        q = torch.randn(b, hq, s, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        kk = torch.randn(b, hkv, s, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        v = torch.randn(b, hkv, s, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        fwd = lambda: F.scaled_dot_product_attention(q, kk, v, is_causal=True, enable_gqa=True)
        flop = 2 * 2 * b * hq * s * s * d // 2
        note = ("SDPA flash backend; flop = 2*2*B*Hq*S*S*D/2 causal, backward counted as 2.5x "
                "forward (so forward+backward = 3.5x)")
        with torch.no_grad():
            t = timed(torch, fwd, 10)
        rows.append(row(kind="attention_causal", dtype="bf16", batch=b, seq=s, heads_q=hq,
                        heads_kv=hkv, head_dim=d, backward=0, seconds=t, flop=flop, note=note))
        out = fwd()
        g = torch.randn_like(out)

        def fb():
            o = fwd()
            o.backward(g)
        t = timed(torch, fb, 5)
        rows.append(row(kind="attention_causal", dtype="bf16", batch=b, seq=s, heads_q=hq,
                        heads_kv=hkv, head_dim=d, backward=1, seconds=t, flop=int(3.5 * flop),
                        note=note))
    for b, ctx, hq, hkv in [(1, 4096, 32, 8), (64, 4096, 32, 8), (256, 4096, 32, 8), (64, 8192, 8, 1)]:
        q = torch.randn(b, hq, 1, d, device=dev, dtype=torch.bfloat16)
        kk = torch.randn(b, hkv, ctx, d, device=dev, dtype=torch.bfloat16)
        v = torch.randn(b, hkv, ctx, d, device=dev, dtype=torch.bfloat16)
        t = timed(torch, lambda: F.scaled_dot_product_attention(q, kk, v, enable_gqa=True), 10)
        rows.append(row(kind="attention_decode", dtype="bf16", batch=b, heads_q=hq, heads_kv=hkv,
                        head_dim=d, ctx=ctx, seconds=t, bytes=2 * b * ctx * hkv * d * 2,
                        note="one query token per sequence against a BF16 KV cache of ctx tokens; "
                             "bytes = K and V read once"))


def memory_ops(torch, rows, quick):
    dev = "cuda"
    n = 1 << 30
    a = torch.empty(n, device=dev, dtype=torch.uint8)
    b = torch.empty_like(a)
    rows.append(row(kind="hbm_copy", seconds=timed(torch, lambda: b.copy_(a), 10), bytes=2 * n,
                    note="device-to-device copy of 1 GiB; bytes = read + written"))
    tokens = [1024, 8192] if quick else [1024, 8192, 32768]
    for t_ in tokens:
        for w in (4096, 8192):
            x = torch.randn(t_, w, device=dev, dtype=torch.bfloat16, requires_grad=True)
            norm = torch.nn.RMSNorm(w, device=dev, dtype=torch.bfloat16)
            with torch.no_grad():
                t = timed(torch, lambda: norm(x), 10)
            rows.append(row(kind="rmsnorm", dtype="bf16", tokens=t_, width=w, seconds=t,
                            bytes=4 * t_ * w,
                            note="torch.nn.RMSNorm forward; bytes = input read + output written"))
            g = torch.randn_like(x)

            def fb():
                norm(x).backward(g)
            rows.append(row(kind="rmsnorm", dtype="bf16", tokens=t_, width=w, backward=1,
                            seconds=timed(torch, fb, 10), note="forward+backward (autograd, eager)"))
            gt = torch.randn(t_, 3 * w, device=dev, dtype=torch.bfloat16)
            up = torch.randn_like(gt)
            rows.append(row(kind="silu_mul", dtype="bf16", tokens=t_, width=3 * w,
                            seconds=timed(torch, lambda: torch.nn.functional.silu(gt) * up, 10),
                            bytes=6 * t_ * 3 * w,
                            note="silu(g)*u, eager (two kernels); bytes = g, u read + result written"))
            y = x.detach()
            rows.append(row(kind="add", dtype="bf16", tokens=t_, width=w,
                            seconds=timed(torch, lambda: y + y, 10), bytes=4 * t_ * w,
                            note="x + x (one tensor read, one written)"))
    params = 250_000_000 if quick else 1_000_000_000
    p = torch.nn.Parameter(torch.zeros(params, device=dev))
    p.grad = torch.zeros_like(p)
    opt = torch.optim.AdamW([p], fused=True)
    rows.append(row(kind="adamw_fused", dtype="fp32", width=params, seconds=timed(torch, opt.step, 5),
                    bytes=28 * params,
                    note="torch.optim.AdamW(fused=True) step over fp32 params with fp32 grads and "
                         "states: width = parameters; bytes = 16 read + 12 written per parameter"))


def lm_head(torch, rows, quick):
    dev = "cuda"
    vocab = 128256
    for h in ((4096,) if quick else (4096, 8192)):
        x = torch.randn(8192, h, device=dev, dtype=torch.bfloat16, requires_grad=True)
        w = torch.randn(vocab, h, device=dev, dtype=torch.bfloat16, requires_grad=True)
        tgt = torch.randint(0, vocab, (8192,), device=dev)

        def fb():
            logits = x @ w.t()
            torch.nn.functional.cross_entropy(logits.float(), tgt).backward()
        rows.append(row(kind="lm_head_cross_entropy", dtype="bf16", N=vocab, tokens=8192, width=h,
                        backward=1, seconds=timed(torch, fb, 5), flop=3 * 2 * 8192 * vocab * h,
                        note=f"logits = x @ W^T (vocab {vocab}), fp32 cross-entropy, forward+backward"))


def moe(torch, rows, quick):
    dev = "cuda"
    n, k = 4096, 7168
    for e, tpe in ([(32, 128), (4, 16)] if quick else [(32, 128), (32, 512), (8, 2048), (4, 16)]):
        xs = [torch.randn(tpe, k, device=dev, dtype=torch.bfloat16) for _ in range(e)]
        ws = [torch.randn(k, n, device=dev, dtype=torch.bfloat16) for _ in range(e)]
        flop = 2 * e * tpe * n * k
        rows.append(row(kind="moe_gemm_loop", dtype="bf16", N=n, K=k, experts=e, tokens_per_expert=tpe,
                        seconds=timed(torch, lambda: [a @ b for a, b in zip(xs, ws)], 10), flop=flop,
                        note="one matmul per local expert (python loop)"))
        if hasattr(torch, "_grouped_mm"):
            x = torch.cat(xs)
            w = torch.stack([wi.t().contiguous() for wi in ws]).transpose(1, 2)
            offs = torch.arange(tpe, tpe * e + 1, tpe, device=dev, dtype=torch.int32)
            rows.append(row(kind="moe_gemm_grouped", dtype="bf16", N=n, K=k, experts=e,
                            tokens_per_expert=tpe,
                            seconds=timed(torch, lambda: torch._grouped_mm(x, w, offs=offs), 10),
                            flop=flop, note="torch._grouped_mm over the local experts"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True, help="the CSV to write")
    ap.add_argument("--quick", action="store_true", help="a third of the shapes")
    ap.add_argument("--no-fp8", action="store_true", help="no FP8 GEMMs (a GPU without them)")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("profile_gpu: needs PyTorch (pip install torch) on a machine with a CUDA GPU")
    if not torch.cuda.is_available():
        sys.exit("profile_gpu: no CUDA GPU visible")
    torch.backends.cuda.matmul.allow_tf32 = False
    fp8 = not args.no_fp8 and torch.cuda.get_device_capability() >= (8, 9)
    rows = []
    print(f"profile_gpu: {torch.cuda.get_device_name()}, torch {torch.__version__}", file=sys.stderr)
    for part in (gemms, attention, memory_ops, lm_head, moe):
        if part is gemms:
            part(torch, rows, args.quick, fp8)
        else:
            part(torch, rows, args.quick)
        print(f"profile_gpu: {part.__name__} done ({len(rows)} rows)", file=sys.stderr)
    with open(args.output, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=COLUMNS)
        wr.writeheader()
        for r in rows:
            wr.writerow(r)
    print(f"profile_gpu: wrote {len(rows)} rows to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
