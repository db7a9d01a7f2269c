#!/usr/bin/python3
"""Attention side by side with PyTorch 1.13.

At B = 1, h = 8, dh = 64, self-attention of length T, forward and forward +
backward, with and without the causal mask, this times
  - torch ops:  softmax(q k^T / sqrt(dh)) v written with torch operators,
  - torch sdpa: torch.nn.functional._scaled_dot_product_attention,
  - qkv:        the tiled kernel and the reference (build/bench/qkv_bench,
                the Attention benchmarks, run in the same invocation),
and prints one table with the ratios PyTorch time / qkv time. PyTorch's
forward runs under no_grad. Each PyTorch measurement runs in a process of its
own, so the peak resident memory printed is its own; so does qkv's T = 16384
memory check (BM_FlashPeakMemory).

    /usr/bin/python3 bench/attention_pytorch.py [--build build] [--reps 3]

Both sides use 2 threads and the same OpenBLAS kernel set (torch_setup.py).
PyTorch at T = 8192 forward + backward takes about 9 GB and seconds, so it runs
once, for torch ops without the causal mask.
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

import torch_setup

HEADS, HEAD_DIM, THREADS = 8, 64, 2
SIZES = [512, 1024, 2048, 4096, 8192]


def worker(impl, mode, causal, t, reps):
    """Times one PyTorch configuration in this process; prints JSON."""
    import math

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)

    def attend(q, k, v):
        if impl == "sdpa":
            return F._scaled_dot_product_attention(q, k, v, None, 0.0, False, causal)[0]
        s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if causal:
            hidden = torch.ones(t, t, dtype=torch.bool).triu(1)
            s = s.masked_fill(hidden, float("-inf"))
        return torch.softmax(s, dim=-1) @ v

    shape = (1, HEADS, t, HEAD_DIM)
    q, k, v, dout = (torch.randn(shape) for _ in range(4))
    if mode == "fwdbwd":
        for x in (q, k, v):
            x.requires_grad_(True)

    def once():
        if mode == "fwd":
            with torch.no_grad():
                attend(q, k, v)
        else:
            for x in (q, k, v):
                x.grad = None
            attend(q, k, v).backward(dout)

    if reps > 1:
        once()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ms": 1e3 * statistics.median(times), "peak_mib": peak_mib}))


def run_torch(impl, mode, causal, t, reps):
    out = subprocess.run(
        [sys.executable, __file__, "--worker", impl, mode, str(int(causal)), str(t), str(reps)],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_qkv(binary, bench_filter, reps):
    """Medians of qkv's benchmarks, by run name."""
    cmd = [binary, f"--benchmark_filter={bench_filter}", "--benchmark_format=json"]
    if reps > 1:
        cmd += [f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true"]
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    results = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if reps > 1 and b.get("aggregate_name") != "median":
            continue
        name = re.sub(r"/(iterations:\d+|real_time)", "", b["run_name"])
        results[name] = {
            "ms": b["real_time"] * scale[b["time_unit"]],
            "gflops": b.get("GFLOP/s", 0),
            "peak_mib": b.get("peak_MiB", 0),
            "label": b.get("label", ""),
        }
    return results


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build", help="CMake build folder")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (medians are shown)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="sequence lengths")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, mode, causal, t, reps = args.worker
        worker(impl, mode, causal == "1", int(t), int(reps))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    binary = os.path.join(args.build, "bench", "qkv_bench")
    # The PyTorch workers inherit the OpenBLAS kernel set qkv uses (torch_setup.py).
    os.environ["OPENBLAS_CORETYPE"] = (os.environ.get("OPENBLAS_CORETYPE")
                                       or torch_setup.blas_core_type(args.build))
    print(f"qkv: {binary} (2 threads), {args.reps} repetitions; "
          f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}", flush=True)
    lengths = "|".join(map(str, sizes))
    ours = run_qkv(binary, f"Attention.*/T:({lengths})/|BM_BlasSgemm/2048", args.reps)
    sgemm = ours["BM_BlasSgemm/2048"]
    memory = run_qkv(binary, "FlashPeakMemory", 1)["BM_FlashPeakMemory/16384"]

    rows = []
    for mode in ("fwd", "fwdbwd"):
        for causal in (False, True):
            for t in sizes:
                torch = {}
                for impl in ("ops", "sdpa"):
                    big = mode == "fwdbwd" and t >= 8192
                    if big and (impl != "ops" or causal):
                        torch[impl] = None
                        continue
                    print(f"torch {impl} {mode} T={t}{' causal' if causal else ''}", flush=True)
                    torch[impl] = run_torch(impl, mode, causal, t, 1 if t >= 8192 else args.reps)
                kind = "Forward" if mode == "fwd" else "ForwardBackward"
                key = f"T:{t}/causal:{int(causal)}"
                tiled = ours.get(f"BM_AttentionTiled{kind}/{key}")
                ref = ours.get(f"BM_AttentionReference{kind}/{key}")
                rows.append((mode, causal, t, torch, tiled, ref))

    print()
    print(f"B = 1, h = {HEADS}, dh = {HEAD_DIM}, {THREADS} threads; times in ms (medians); "
          "ratio = PyTorch time / qkv tiled time")
    header = (f"{'pass':<7} {'causal':<6} {'T':>5} | {'torch ops':>9} {'torch sdpa':>10} "
              f"{'qkv tiled':>9} {'qkv ref':>9} | {'ops/tiled':>9} {'sdpa/tiled':>10} | "
              f"{'GFLOP/s':>7} {'% sgemm':>7} | {'qkv MiB':>7} {'torch MiB':>9}")
    print(header)
    print("-" * len(header))
    for mode, causal, t, torch, tiled, ref in rows:
        ms = {impl: (r["ms"] if r else None) for impl, r in torch.items()}
        ours_ms = tiled["ms"] if tiled else None
        ratio = {impl: (m / ours_ms if m and ours_ms else None) for impl, m in ms.items()}
        rate = tiled["gflops"] if tiled else None
        peaks = [r["peak_mib"] for r in torch.values() if r]
        print(f"{'fwd' if mode == 'fwd' else 'fwd+bwd':<7} {'yes' if causal else 'no':<6} {t:>5} | "
              f"{fmt(ms['ops']):>9} {fmt(ms['sdpa']):>10} {fmt(ours_ms):>9} "
              f"{fmt(ref['ms'] if ref else None):>9} | {fmt(ratio['ops'], '.2f'):>9} "
              f"{fmt(ratio['sdpa'], '.2f'):>10} | {fmt(rate):>7} "
              f"{fmt(100 * rate / sgemm['gflops'] if rate and mode == 'fwd' else None, '.0f'):>7} | "
              f"{fmt(tiled['peak_mib'] if tiled else None, '.0f'):>7} "
              f"{fmt(max(peaks) if peaks else None, '.0f'):>9}")
    print()
    print(f"sgemm 2048^3 in the same run: {sgemm['gflops']:.1f} GFLOP/s ({sgemm['label']})")
    print(f"qkv tiled forward + backward at T = 16384 (own process): {memory['ms'] / 1e3:.1f} s, "
          f"peak RSS {memory['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
