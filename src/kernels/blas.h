#pragma once
// The BLAS library, loaded at first use. Debian's OpenBLAS 0.3.21 picks its
// slow generic kernels on CPUs it does not know (measured here: 47-76 GFLOP/s
// instead of 160-220 for sgemm), and it reads its core type only while it
// initialises. So qkv sets OPENBLAS_CORETYPE from the CPU's features, unless the
// user set it, and only then loads the library. QKV_OPENBLAS_LIBRARY overrides
// the library path found at build time.

#include <string>

namespace qkv::kernels::blas {

// CBLAS enum values, fixed by the CBLAS standard.
enum Layout { kRowMajor = 101 };
enum Trans { kNoTrans = 111, kTrans = 112 };

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                         float, float*, int);
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*,
                         int, double, double*, int);
using SgemvFn = void (*)(int, int, int, int, float, const float*, int, const float*, int, float,
                         float*, int);
using DgemvFn = void (*)(int, int, int, int, double, const double*, int, const double*, int,
                         double, double*, int);

struct Library {
  SgemmFn sgemm;
  DgemmFn dgemm;
  SgemvFn sgemv;
  DgemvFn dgemv;
  std::string path;
  std::string core_name;  // OpenBLAS's kernel set, e.g. "SkylakeX"
  std::string config;     // OpenBLAS's build description
};

// Loads on first call; throws qkv::Error naming the path if the library cannot be loaded.
const Library& library();

// The OpenBLAS core type qkv asks for on this CPU, or "" to leave the choice to OpenBLAS.
std::string preferred_core_type();

}  // namespace qkv::kernels::blas
