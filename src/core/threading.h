#pragma once
// One thread count for the whole process. qkv's kernels use OpenMP and load the
// OpenMP build of OpenBLAS, so GEMM and every other kernel share a single pool
// and never compete for cores.
//
// The count comes from, in order: set_num_threads(), QKV_NUM_THREADS,
// OMP_NUM_THREADS, the number of cores.

namespace qkv {

int num_threads();
void set_num_threads(int n);

}  // namespace qkv
