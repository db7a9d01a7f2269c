// `qkv info`: what this build runs on (version, BLAS kernels, threads).

#include <cstdio>

#include "cli/commands.h"
#include "core/threading.h"
#include "kernels/blas.h"

namespace qkv::cli {

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show the version, the BLAS library and thread count");
  cmd->callback([] {
    const auto& blas = kernels::blas::library();
    std::printf("qkv %s\n", QKV_VERSION);
    std::printf("threads      %d (QKV_NUM_THREADS or OMP_NUM_THREADS to change)\n", num_threads());
    std::printf("blas         %s\n", blas.path.c_str());
    std::printf("blas kernels %s\n", blas.core_name.c_str());
    std::printf("blas config  %s\n", blas.config.c_str());
  });
}

}  // namespace qkv::cli
