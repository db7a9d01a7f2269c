#include "cli/translation_attention.h"

#include <algorithm>
#include <filesystem>

#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/error.h"
#include "core/view.h"
#include "data/batching.h"
#include "decode/translator.h"
#include "io/attention_plot.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv::cli {

namespace {

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

}  // namespace

TranslationAttention draw_translation_attention(const models::Seq2SeqTransformer& model,
                                                const data::BpeTokenizer& tok,
                                                const std::string& text,
                                                const decode::DecodingOptions& decoding,
                                                const std::string& out) {
  namespace fs = std::filesystem;
  check(!text.empty(), "attention: the source text is empty");
  decode::TranslateOptions options;
  options.decoding = decoding;
  const std::string translation = decode::translate(model, tok, {text}, options)[0];

  autograd::NoGradGuard no_grad;
  data::BatchingOptions pad;
  pad.max_length = model.config().max_len;
  std::vector<std::int64_t> src_ids = tok.encode(text);
  const Tensor src = data::pad_sources({src_ids}, pad);
  src_ids.push_back(data::kEosId);
  // Teacher-force the translation to read the weights of every position.
  std::vector<std::int64_t> tgt_ids = tok.encode(translation);
  // A translation cut at the model's length limit is drawn over the positions it has.
  tgt_ids.resize(std::min<std::size_t>(tgt_ids.size(), std::size_t(pad.max_length - 1)));
  std::vector<std::int64_t> tgt_in = {data::kBosId};
  tgt_in.insert(tgt_in.end(), tgt_ids.begin(), tgt_ids.end());
  tgt_ids.push_back(data::kEosId);
  std::vector<Tensor> enc;
  const Tensor memory = model.encode(src, &enc);
  nn::DecoderWeights dec;
  model.decode(from_vector(tgt_in, {1, static_cast<std::int64_t>(tgt_in.size())}), memory, src,
               nullptr, &dec);

  std::error_code ec;
  fs::create_directories(out, ec);
  check(!ec && fs::is_directory(out), "attention: cannot create '", out, "'");
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
        (fs::path(out) / ("cross-attention-layer" + std::to_string(l) + ".png")).string();
    plot::save_attention_maps(path, w, tgt_labels, src_labels, po);
    written.push_back(path);
  }
  plot::AttentionPlotOptions avg;
  avg.title = "Decoder cross-attention, mean over heads and layers";
  avg.range = std::nullopt;
  const std::string avg_path = (fs::path(out) / "cross-attention-average.png").string();
  plot::save_attention_maps(avg_path, sum * (1.0 / double(dec.cross.size())), tgt_labels,
                            src_labels, avg);
  written.push_back(avg_path);
  for (std::size_t l = 0; l < enc.size(); ++l) {
    plot::AttentionPlotOptions po;
    po.title = "Encoder self-attention, layer " + std::to_string(l);
    const std::string path =
        (fs::path(out) / ("encoder-self-attention-layer" + std::to_string(l) + ".png")).string();
    plot::save_attention_maps(path, view::select(enc[l], 0, 0), src_labels, src_labels, po);
    written.push_back(path);
  }
  TranslationAttention result;
  result.translation = translation;
  result.average = avg_path;
  result.files = std::move(written);
  return result;
}

}  // namespace qkv::cli
