// `qkv demo`: runs the showcase jobs one after another into one directory and
// lists what they wrote. Each step is a job that also has its own subcommand.

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/kernel_regression.h"
#include "cli/self_attention.h"
#include "cli/translation_demo.h"

namespace qkv::cli {

namespace {

struct DemoStep {
  const char* title;
  // Runs the step with its outputs in `out`; returns the files written.
  std::function<std::vector<std::string>(const std::string& out)> run;
};

std::vector<DemoStep> demo_steps(const TranslationDemoOptions& translation) {
  return {
      {"attention pooling: Nadaraya-Watson kernel regression",
       [](const std::string& out) {
         KernelRegressionOptions options;
         options.out = out;
         return run_kernel_regression(options).files;
       }},
      {"self-attention: multi-head attention over a Multi30k sentence",
       [](const std::string& out) {
         SelfAttentionOptions options;
         options.out = out;
         return run_self_attention(options).files;
       }},
      {"translation: a Transformer trained on Multi30k German -> English",
       [translation](const std::string& out) {
         TranslationDemoOptions options = translation;
         options.out = out;
         return run_translation_demo(options).files;
       }},
  };
}

void run_demo(const std::string& out, const TranslationDemoOptions& translation) {
  const auto steps = demo_steps(translation);
  std::vector<std::string> written;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::printf("\n== step %zu/%zu: %s ==\n", i + 1, steps.size(), steps[i].title);
    std::fflush(stdout);
    for (auto& f : steps[i].run(out)) written.push_back(std::move(f));
  }
  std::printf("\nqkv demo done; %zu files in %s:\n", written.size(), out.c_str());
  for (const auto& f : written) std::printf("  %s\n", f.c_str());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the showcase jobs and write their images");
  auto out = std::make_shared<std::string>("out/demo");
  auto translation = std::make_shared<TranslationDemoOptions>();
  cmd->add_option("--out", *out, "Directory for everything the demo writes")->capture_default_str();
  cmd->add_option("--translation-epochs", translation->epochs,
                  "Epochs of the translation step's training")
      ->capture_default_str();
  cmd->add_option("--translation-config", translation->config,
                  "Train the translation step from this config instead (qkv train's format)");
  cmd->callback([out, translation] { run_demo(*out, *translation); });
}

}  // namespace qkv::cli
