"""What the side-by-side scripts share: PyTorch set up to run at its best on this
machine, with the same threads as qkv.

Debian's OpenBLAS 0.3.21, which Debian's PyTorch calls for GEMM, picks slow
generic kernels on CPUs it does not recognise and reads OPENBLAS_CORETYPE only
when it loads. The kernel set qkv chose for this CPU (`qkv info`) is given to
PyTorch's OpenBLAS too, so both sides get the same GEMM (SkylakeX on AVX-512
machines, Haswell on AVX2 ones)."""

import os
import subprocess


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
