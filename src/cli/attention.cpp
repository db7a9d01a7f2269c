// `qkv attention --model DIR --text "..."`: translates one sentence and draws
// where the model looked (SPEC section 8): the decoder's cross-attention
// (target tokens x source tokens; the alignment of the translation) and the
// encoder's self-attention, one image per layer with a panel per head, plus the
// cross-attention averaged over heads and layers.

#include <cstdio>
#include <filesystem>

#include "autograd/grad_mode.h"
#include "cli/commands.h"
#include "cli/decoding_flags.h"
#include "core/creation.h"
#include "core/error.h"
#include "core/view.h"
#include "data/batching.h"
#include "decode/translator.h"
#include "io/attention_plot.h"
#include "ops/arith.h"
#include "ops/reduce.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct AttentionCommand {
  std::string model, text, out = "out/attention";
  DecodingFlags decoding;
};

// How a token reads on an axis: its bytes, the leading space of a word shown as "_".
std::string label(const data::BpeTokenizer& tok, std::int64_t id) {
  std::string s = tok.token_bytes(id);
  if (!s.empty() && s[0] == ' ') s[0] = '_';
  return s;
}

std::vector<std::string> labels(const data::BpeTokenizer& tok,
                                const std::vector<std::int64_t>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(label(tok, id));
  return out;
}

void run(const AttentionCommand& cmd) {
  namespace fs = std::filesystem;
  check(!cmd.text.empty(), "attention: --text is empty");
  const auto files = train::load_translation_model(cmd.model);
  const auto& model = *files.model;
  const auto& tok = files.tokenizer;
  decode::TranslateOptions options;
  options.decoding = cmd.decoding.options();
  const std::string translation = decode::translate(model, tok, {cmd.text}, options)[0];
  std::printf("source:      %s\ntranslation: %s\n", cmd.text.c_str(), translation.c_str());

  autograd::NoGradGuard no_grad;
  data::BatchingOptions pad;
  pad.max_length = model.config().max_len;
  std::vector<std::int64_t> src_ids = tok.encode(cmd.text);
  const Tensor src = data::pad_sources({src_ids}, pad);
  src_ids.push_back(data::kEosId);
  // Teacher-force the translation to read the weights of every position.
  std::vector<std::int64_t> tgt_ids = tok.encode(translation);
  std::vector<std::int64_t> tgt_in = {data::kBosId};
  tgt_in.insert(tgt_in.end(), tgt_ids.begin(), tgt_ids.end());
  tgt_ids.push_back(data::kEosId);
  std::vector<Tensor> enc;
  const Tensor memory = model.encode(src, &enc);
  nn::DecoderWeights dec;
  model.decode(from_vector(tgt_in, {1, static_cast<std::int64_t>(tgt_in.size())}), memory, src,
               nullptr, &dec);

  std::error_code ec;
  fs::create_directories(cmd.out, ec);
  check(!ec && fs::is_directory(cmd.out), "attention: cannot create '", cmd.out, "'");
  const auto src_labels = labels(tok, src_ids);
  const auto tgt_labels = labels(tok, tgt_ids);
  std::vector<std::string> written;
  Tensor sum;
  for (std::size_t l = 0; l < dec.cross.size(); ++l) {
    const Tensor w = view::select(dec.cross[l], 0, 0);  // [h, T, S]
    sum = l == 0 ? mean(w, {0}) : sum + mean(w, {0});
    plot::AttentionPlotOptions po;
    po.title = "Decoder cross-attention, layer " + std::to_string(l) + " (target x source)";
    const std::string path =
        (fs::path(cmd.out) / ("cross-attention-layer" + std::to_string(l) + ".png")).string();
    plot::save_attention_maps(path, w, tgt_labels, src_labels, po);
    written.push_back(path);
  }
  plot::AttentionPlotOptions avg;
  avg.title = "Decoder cross-attention, mean over heads and layers";
  avg.range = std::nullopt;
  const std::string avg_path = (fs::path(cmd.out) / "cross-attention-average.png").string();
  plot::save_attention_maps(avg_path, sum * (1.0 / double(dec.cross.size())), tgt_labels,
                            src_labels, avg);
  written.push_back(avg_path);
  for (std::size_t l = 0; l < enc.size(); ++l) {
    plot::AttentionPlotOptions po;
    po.title = "Encoder self-attention, layer " + std::to_string(l);
    const std::string path =
        (fs::path(cmd.out) / ("encoder-self-attention-layer" + std::to_string(l) + ".png"))
            .string();
    plot::save_attention_maps(path, view::select(enc[l], 0, 0), src_labels, src_labels, po);
    written.push_back(path);
  }
  for (const auto& f : written) std::printf("wrote %s\n", f.c_str());
}

}  // namespace

void add_attention_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "attention", "Translate one sentence and draw the model's attention weights as heat maps");
  auto c = std::make_shared<AttentionCommand>();
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("--text", c->text, "The source sentence")->required();
  cmd->add_option("--out", c->out, "Directory for the images")->capture_default_str();
  c->decoding.add_to(*cmd);
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
