#include "train/classification_config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/config_checks.h"

namespace qkv::train {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClassificationData, dataset, train, test,
                                                train_limit, valid_size, mean, std, max_shift,
                                                hflip, classes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClassificationModel, image_size, channels,
                                                patch_size, d_model, depth, num_heads, num_kv_heads,
                                                mlp_ratio, dropout, attention_dropout, num_classes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClassificationTraining, epochs, max_steps,
                                                batch_size, optimizer, lr, beta1, beta2, eps,
                                                weight_decay, schedule, warmup, label_smoothing,
                                                clip_norm, seed, log_every, checkpoint_every,
                                                keep_epochs, eval_batch)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClassificationConfig, task, data, model, training)

namespace {

void validate(const ClassificationConfig& c, const std::string& where) {
  require(c.task == "classification", where, "task", c.task, "\"classification\"");
  const auto& d = c.data;
  require(d.train_limit >= 0, where, "data.train_limit", d.train_limit, ">= 0");
  require(d.valid_size >= 0, where, "data.valid_size", d.valid_size, ">= 0");
  require(d.std > 0, where, "data.std", d.std, "> 0");
  require(d.max_shift >= 0 && d.max_shift < c.model.image_size, where, "data.max_shift",
          d.max_shift, "in [0, model.image_size)");
  require(d.classes.empty() || std::int64_t(d.classes.size()) == c.model.num_classes, where,
          "data.classes (count)", d.classes.size(), "one name per class (model.num_classes)");
  const auto& m = c.model;
  require(m.channels == 1, where, "model.channels", m.channels, "1 (IDX images are grey)");
  require(m.patch_size > 0 && m.image_size % m.patch_size == 0, where, "model.patch_size",
          m.patch_size, "a positive divisor of model.image_size");
  require(m.d_model > 0 && m.num_heads > 0 && m.d_model % m.num_heads == 0, where,
          "model.num_heads", m.num_heads, "a positive divisor of model.d_model");
  require(m.depth >= 1, where, "model.depth", m.depth, ">= 1");
  require(m.mlp_ratio > 0, where, "model.mlp_ratio", m.mlp_ratio, "> 0");
  require(m.dropout >= 0 && m.dropout < 1, where, "model.dropout", m.dropout, "in [0, 1)");
  require(m.attention_dropout >= 0 && m.attention_dropout < 1, where, "model.attention_dropout",
          m.attention_dropout, "in [0, 1)");
  require(m.num_classes >= 2, where, "model.num_classes", m.num_classes, ">= 2");
  const auto& t = c.training;
  require_training_fields(t, where);
  require(t.batch_size >= 1, where, "training.batch_size", t.batch_size, ">= 1");
  require(t.eval_batch >= 1, where, "training.eval_batch", t.eval_batch, ">= 1");
}

}  // namespace

ClassificationConfig parse_classification_config(const std::string& json_text,
                                                 const std::string& where) {
  const auto j = parse_config_object(json_text, nlohmann::json(ClassificationConfig{}), where);
  const auto c = config_from_json<ClassificationConfig>(j, where);
  validate(c, where);
  return c;
}

ClassificationConfig load_classification_config(const std::string& path) {
  return parse_classification_config(read_config_file(path), path);
}

std::string to_json_text(const ClassificationConfig& config) {
  return nlohmann::json(config).dump(2) + "\n";
}

models::VisionTransformerConfig vit_config(const ClassificationConfig& c) {
  const auto& m = c.model;
  return {.image_size = m.image_size,
          .channels = m.channels,
          .patch_size = m.patch_size,
          .d_model = m.d_model,
          .depth = m.depth,
          .num_heads = m.num_heads,
          .num_kv_heads = m.num_kv_heads,
          .mlp_ratio = m.mlp_ratio,
          .dropout = m.dropout,
          .attention_dropout = m.attention_dropout,
          .num_classes = m.num_classes};
}

std::string class_name(const ClassificationConfig& c, std::int64_t k) {
  if (k >= 0 && k < std::int64_t(c.data.classes.size())) return c.data.classes[k];
  return std::to_string(k);
}

}  // namespace qkv::train
