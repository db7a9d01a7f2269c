#pragma once
// The qkv subcommands. Each lives in its own file and adds itself to the app:
// its options, its help text and the function that runs it. To add one, write
// cli/<name>.cpp with an add_<name>_command and list it in main.cpp.

#include <CLI/CLI.hpp>

namespace qkv::cli {

void add_attention_command(CLI::App& app);
void add_average_command(CLI::App& app);
void add_classify_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_kernel_regression_command(CLI::App& app);
void add_self_attention_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_translate_command(CLI::App& app);

}  // namespace qkv::cli
