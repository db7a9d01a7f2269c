"""What the side-by-side scripts share: PyTorch set up to run at its best on this
machine, with the same threads as qkv; a median timer for the PyTorch side; and
qkv's medians read from its benchmark binary.

Debian's OpenBLAS 0.3.21, which Debian's PyTorch calls for GEMM, picks slow
generic kernels on CPUs it does not recognise and reads OPENBLAS_CORETYPE only
when it loads. The kernel set qkv chose for this CPU (`qkv info`) is given to
PyTorch's OpenBLAS too, so both sides get the same GEMM (SkylakeX on AVX-512
machines, Haswell on AVX2 ones)."""

import json
import os
import statistics
import subprocess
import time


def blas_core_type(build):
    """The OpenBLAS kernel set qkv uses here, as `qkv info` prints it."""
    out = subprocess.run([os.path.join(build, "qkv"), "info"], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith("blas kernels"):
            return line.split()[-1]
    return ""


def import_torch(build, threads):
    """torch, loaded with OPENBLAS_CORETYPE set (unless the user set it) and
    `threads` intra-op threads."""
    core = os.environ.get("OPENBLAS_CORETYPE") or blas_core_type(build)
    if core:
        os.environ["OPENBLAS_CORETYPE"] = core
    import torch
    torch.set_num_threads(threads)
    return torch


def median_ms(fn, reps):
    """The median of `reps` timed calls of fn, in ms, after one untimed warm-up."""
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def qkv_medians(build, bench_filter, reps, threads):
    """Median real time in ms of each qkv_bench case matching the filter, by its
    name without the /real_time suffix."""
    cmd = [os.path.join(build, "bench", "qkv_bench"), f"--benchmark_filter={bench_filter}",
           "--benchmark_format=json", f"--benchmark_repetitions={reps}",
           "--benchmark_report_aggregates_only=true"]
    env = dict(os.environ, QKV_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    return {b["run_name"].split("/real_time")[0]: b["real_time"] * scale[b["time_unit"]]
            for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}
