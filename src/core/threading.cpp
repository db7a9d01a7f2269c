#include "core/threading.h"

#include <omp.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace qkv {

namespace {

int initial_threads() {
  for (const char* var : {"QKV_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* v = std::getenv(var); v && *v) {
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      check(*end == '\0' && n > 0, var, "=", v, " is not a positive thread count");
      return static_cast<int>(n);
    }
  }
  return omp_get_num_procs();
}

int& thread_count() {
  static int n = [] {
    int t = initial_threads();
    omp_set_num_threads(t);
    return t;
  }();
  return n;
}

}  // namespace

int num_threads() { return thread_count(); }

void set_num_threads(int n) {
  check(n > 0, "set_num_threads: ", n, " is not a positive thread count");
  thread_count() = n;
  omp_set_num_threads(n);
}

}  // namespace qkv

namespace qkv {
namespace {
// Applies the count when the library loads, before any parallel region runs.
[[maybe_unused]] const int kInitialThreads = num_threads();
}  // namespace
}  // namespace qkv
