#!/usr/bin/python3
"""qkv next to PyTorch on the same machine, in the same run, with the same threads.

Runs qkv's Google Benchmark binary (softmax, log-softmax, layer norm and
cross-entropy ops, forward and forward + backward, and the GEMM benchmarks),
times the same operations in PyTorch, and prints one table: median time of
each, and the ratio PyTorch time / qkv time (above 1: qkv is faster). A second
table compares qkv's GEMM kernel with the BLAS library it calls.

    /usr/bin/python3 bench/compare_pytorch.py --build build [--markdown out.md]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch_setup

# (qkv benchmark, operation as printed, [(rows, cols)], kind of PyTorch call)
ROW_OPS = [
    ("BM_Softmax", "softmax forward", [(8192, 1024), (64 * 256, 8000)], "softmax"),
    ("BM_SoftmaxForwardBackward", "softmax forward+backward", [(8192, 1024), (64 * 256, 8000)],
     "softmax_fb"),
    ("BM_LogSoftmax", "log_softmax forward", [(8192, 1024), (64 * 256, 8000)], "log_softmax"),
    ("BM_LogSoftmaxForwardBackward", "log_softmax forward+backward",
     [(8192, 1024), (64 * 256, 8000)], "log_softmax_fb"),
    ("BM_LayerNorm", "layer_norm forward", [(8192, 1024), (64 * 256, 8000), (64 * 256, 512)],
     "layer_norm"),
    ("BM_LayerNormForwardBackward", "layer_norm forward+backward",
     [(8192, 1024), (64 * 256, 8000), (64 * 256, 512)], "layer_norm_fb"),
    ("BM_CrossEntropyForwardBackward", "cross_entropy forward+backward",
     [(8192, 1024), (64 * 256, 8000)], "cross_entropy_fb"),
]
GEMM_SIZES = [256, 1024, 2048]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build", help="CMake build directory (default: build)")
    p.add_argument("--threads", type=int,
                   default=int(os.environ.get("QKV_NUM_THREADS") or os.cpu_count()),
                   help="threads for both (default: QKV_NUM_THREADS, else the core count)")
    p.add_argument("--repetitions", type=int, default=5, help="timed repetitions (median kept)")
    p.add_argument("--min-time", type=float, default=0.2,
                   help="seconds each repetition runs at least")
    p.add_argument("--markdown", help="also write the tables as markdown to this file")
    return p.parse_args()


def run_qkv(args):
    """Median real time (ms) and counters of each qkv benchmark, by run name."""
    binary = os.path.join(args.build, "bench", "qkv_bench")
    if not os.path.exists(binary):
        sys.exit(f"compare_pytorch: {binary} not found; build first (make build)")
    names = "|".join(b for b, _, _, _ in ROW_OPS)
    gemm = "|".join(f"BM_(BlasSgemm|KernelGemm|Matmul)/{n}/" for n in GEMM_SIZES)
    cmd = [binary, f"--benchmark_filter=^({names})/.*|^({gemm})",
           "--benchmark_format=json", f"--benchmark_repetitions={args.repetitions}",
           "--benchmark_report_aggregates_only=true", f"--benchmark_min_time={args.min_time}"]
    env = dict(os.environ, QKV_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    results = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        results[b["run_name"]] = {"ms": b["real_time"] * scale,
                                  "gflops": b.get("GFLOP/s"), "label": b.get("label", "")}
    return results


def torch_median_ms(fn, repetitions, min_time):
    """Median over repetitions of the mean time per call, each repetition >= min_time."""
    fn()  # warm-up
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(min_time / once))
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e3)
    return statistics.median(samples)


def run_torch(args):
    torch = torch_setup.import_torch(args.build, args.threads)
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(0)
    results = {}
    for _, name, sizes, kind in ROW_OPS:
        for rows, cols in sizes:
            x = torch.randn(rows, cols, generator=gen)
            if kind == "softmax":
                def fn():
                    torch.softmax(x, -1)
            elif kind == "softmax_fb":
                x.requires_grad_(True)
                dy = torch.randn(rows, cols, generator=gen)

                def fn():
                    torch.softmax(x, -1).backward(dy)
                    x.grad = None
            elif kind == "log_softmax":
                def fn():
                    torch.log_softmax(x, -1)
            elif kind == "log_softmax_fb":
                x.requires_grad_(True)
                dy = torch.randn(rows, cols, generator=gen)

                def fn():
                    torch.log_softmax(x, -1).backward(dy)
                    x.grad = None
            elif kind == "layer_norm":
                w, b = torch.ones(cols), torch.zeros(cols)

                def fn():
                    F.layer_norm(x, (cols,), w, b)
            elif kind == "layer_norm_fb":
                x.requires_grad_(True)
                w = torch.ones(cols, requires_grad=True)
                b = torch.zeros(cols, requires_grad=True)
                dy = torch.randn(rows, cols, generator=gen)

                def fn():
                    F.layer_norm(x, (cols,), w, b).backward(dy)
                    x.grad = w.grad = b.grad = None
            else:
                x.requires_grad_(True)
                t = (torch.arange(rows) * 7919) % cols

                def fn():
                    F.cross_entropy(x, t).backward()
                    x.grad = None
            results[(name, rows, cols)] = torch_median_ms(fn, args.repetitions, args.min_time)
            del x, fn
    return results, torch.__version__


def tables(args, qkv, torch_ms, torch_version):
    lines = [f"qkv vs PyTorch {torch_version}, {args.threads} threads, median of "
             f"{args.repetitions} repetitions; ratio = PyTorch time / qkv time "
             "(above 1: qkv is faster)", "",
             "| operation | size | qkv ms | PyTorch ms | ratio |", "|---|---|---:|---:|---:|"]
    for bench, name, sizes, _ in ROW_OPS:
        for rows, cols in sizes:
            q = qkv[f"{bench}/{rows}/{cols}/real_time"]["ms"]
            t = torch_ms[(name, rows, cols)]
            lines.append(f"| {name} | [{rows} x {cols}] | {q:.2f} | {t:.2f} | {t / q:.2f} |")
    lines += ["", "GEMM (float32, n x n times n x n): qkv's kernel and matmul op against the "
              "BLAS library called directly", "",
              "| n | BLAS GFLOP/s | qkv kernel GFLOP/s | kernel / BLAS | qkv matmul GFLOP/s |",
              "|---:|---:|---:|---:|---:|"]
    for n in GEMM_SIZES:
        blas = qkv[f"BM_BlasSgemm/{n}/real_time"]
        kern = qkv[f"BM_KernelGemm/{n}/real_time"]["gflops"]
        op = qkv[f"BM_Matmul/{n}/real_time"]["gflops"]
        lines.append(f"| {n} | {blas['gflops']:.1f} | {kern:.1f} | {kern / blas['gflops']:.2f} "
                     f"| {op:.1f} |")
    core = qkv[f"BM_BlasSgemm/{GEMM_SIZES[0]}/real_time"]["label"]
    if core:
        lines += ["", f"BLAS kernel set: {core}"]
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    start = time.time()
    qkv = run_qkv(args)
    torch_ms, version = run_torch(args)
    text = tables(args, qkv, torch_ms, version)
    print(text)
    print(f"(took {time.time() - start:.0f} s)")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
