#include "train/translation_config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/config_checks.h"

namespace qkv::train {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TranslationData, dataset, source, target, train,
                                                valid, test, train_limit, valid_limit, vocab_size)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TranslationModel, d_model, num_heads, num_kv_heads,
                                                encoder_layers, decoder_layers, d_ff, dropout,
                                                attention_dropout, activation, norm_first,
                                                positions, shared_embeddings, tie_output, max_len)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TranslationTraining, epochs, max_steps, max_tokens,
                                                optimizer, lr, beta1, beta2, eps, weight_decay,
                                                schedule, warmup, label_smoothing, clip_norm, seed,
                                                log_every, checkpoint_every, keep_epochs,
                                                valid_bleu, valid_batch)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TranslationConfig, task, data, model, training)

namespace {

void validate(const TranslationConfig& c, const std::string& where) {
  require(c.task == "translation", where, "task", c.task, "\"translation\"");
  const auto& d = c.data;
  require(d.vocab_size >= 300, where, "data.vocab_size", d.vocab_size,
          "at least 300 (256 bytes, 4 special tokens, some merges)");
  require(d.train_limit >= 0, where, "data.train_limit", d.train_limit, ">= 0");
  require(d.valid_limit >= 0, where, "data.valid_limit", d.valid_limit, ">= 0");
  const auto& m = c.model;
  require(m.d_model > 0 && m.num_heads > 0 && m.d_model % m.num_heads == 0, where,
          "model.num_heads", m.num_heads, "a positive divisor of model.d_model");
  require(m.activation == "relu" || m.activation == "gelu", where, "model.activation", m.activation,
          "relu or gelu");
  require(m.positions == "sinusoidal" || m.positions == "learned", where, "model.positions",
          m.positions, "sinusoidal or learned");
  require(m.dropout >= 0 && m.dropout < 1, where, "model.dropout", m.dropout, "in [0, 1)");
  require(m.attention_dropout >= 0 && m.attention_dropout < 1, where, "model.attention_dropout",
          m.attention_dropout, "in [0, 1)");
  const auto& t = c.training;
  require_training_fields(t, where);
  require(t.max_tokens >= 16, where, "training.max_tokens", t.max_tokens, ">= 16");
  require(t.valid_batch >= 1, where, "training.valid_batch", t.valid_batch, ">= 1");
}

}  // namespace

TranslationConfig parse_translation_config(const std::string& json_text, const std::string& where) {
  const auto j = parse_config_object(json_text, nlohmann::json(TranslationConfig{}), where);
  const auto c = config_from_json<TranslationConfig>(j, where);
  validate(c, where);
  return c;
}

TranslationConfig load_translation_config(const std::string& path) {
  return parse_translation_config(read_config_file(path), path);
}

std::string to_json_text(const TranslationConfig& config) {
  return nlohmann::json(config).dump(2) + "\n";
}

models::Seq2SeqConfig seq2seq_config(const TranslationConfig& c, std::int64_t vocab_size) {
  const auto& m = c.model;
  return {.src_vocab = vocab_size,
          .tgt_vocab = vocab_size,
          .d_model = m.d_model,
          .num_heads = m.num_heads,
          .num_kv_heads = m.num_kv_heads,
          .encoder_layers = m.encoder_layers,
          .decoder_layers = m.decoder_layers,
          .d_ff = m.d_ff,
          .dropout = m.dropout,
          .attention_dropout = m.attention_dropout,
          .activation = m.activation == "gelu" ? nn::Activation::gelu : nn::Activation::relu,
          .norm_first = m.norm_first,
          .final_norm = true,
          .positions = m.positions == "learned" ? models::PositionKind::learned
                                                : models::PositionKind::sinusoidal,
          .shared_embeddings = m.shared_embeddings,
          .tie_output = m.tie_output,
          .max_len = m.max_len,
          .pad_id = 0};
}

}  // namespace qkv::train
