#include "kernels/blas.h"

#include <dlfcn.h>

#include <cstdlib>

#include "core/error.h"
#include "core/threading.h"

namespace qkv::kernels::blas {

std::string preferred_core_type() {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  // Cooperlake adds bf16 GEMM kernels to SkylakeX's; same sgemm.
  if (avx512) return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

namespace {

template <class Fn>
Fn symbol(void* handle, const char* name, const std::string& path) {
  void* p = dlsym(handle, name);
  check(p != nullptr, "BLAS library ", path, " has no symbol ", name);
  return reinterpret_cast<Fn>(p);
}

Library load() {
  std::string path = QKV_OPENBLAS_PATH;
  if (const char* env = std::getenv("QKV_OPENBLAS_LIBRARY"); env && *env) path = env;
  if (const char* core = std::getenv("OPENBLAS_CORETYPE"); !core || !*core) {
    std::string preferred = preferred_core_type();
    if (!preferred.empty()) setenv("OPENBLAS_CORETYPE", preferred.c_str(), 1);
  }
  num_threads();  // the OpenMP build of OpenBLAS sizes its pool from OpenMP's setting
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  check(handle != nullptr, "cannot load the BLAS library ", path, ": ", dlerror());
  Library lib;
  lib.path = path;
  lib.sgemm = symbol<SgemmFn>(handle, "cblas_sgemm", path);
  lib.dgemm = symbol<DgemmFn>(handle, "cblas_dgemm", path);
  lib.sgemv = symbol<SgemvFn>(handle, "cblas_sgemv", path);
  lib.dgemv = symbol<DgemvFn>(handle, "cblas_dgemv", path);
  if (void* p = dlsym(handle, "openblas_get_corename"))
    lib.core_name = reinterpret_cast<char* (*)()>(p)();
  if (void* p = dlsym(handle, "openblas_get_config"))
    lib.config = reinterpret_cast<char* (*)()>(p)();
  return lib;
}

}  // namespace

const Library& library() {
  static const Library lib = load();
  return lib;
}

}  // namespace qkv::kernels::blas
