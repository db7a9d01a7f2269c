// The qkv command line: one binary, one subcommand per task.

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"qkv: Transformer models and attention, trained and run on the CPU"};
  app.set_version_flag("--version", std::string("qkv ") + QKV_VERSION);
  app.require_subcommand(1);
  qkv::cli::add_attention_command(app);
  qkv::cli::add_average_command(app);
  qkv::cli::add_classify_command(app);
  qkv::cli::add_demo_command(app);
  qkv::cli::add_eval_command(app);
  qkv::cli::add_info_command(app);
  qkv::cli::add_kernel_regression_command(app);
  qkv::cli::add_self_attention_command(app);
  qkv::cli::add_train_command(app);
  qkv::cli::add_translate_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const qkv::Error& e) {
    std::fprintf(stderr, "qkv: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qkv: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
