#include "train/classification_trainer.h"

#include <cmath>
#include <cstdio>
#include <optional>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/error.h"
#include "data/image_augment.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/plot.h"
#include "models/vision_transformer.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "optim/clip.h"
#include "train/classifier_eval.h"
#include "train/progress.h"
#include "train/run_directory.h"
#include "train/training_state.h"

namespace qkv::train {

namespace {

void plot_curves(const RunPaths& paths, const std::vector<double>& steps,
                 const std::vector<double>& losses,
                 const std::vector<ClassificationEpoch>& epochs) {
  if (steps.empty()) return;
  std::vector<double> at, valid_loss, train_acc, valid_acc;
  for (const auto& e : epochs) {
    at.push_back(double(e.step));
    train_acc.push_back(100 * e.train_accuracy);
    if (e.valid_loss >= 0) {
      valid_loss.push_back(e.valid_loss);
      valid_acc.push_back(100 * e.valid_accuracy);
    }
  }
  plot::LinePlot loss;
  loss.title("Image classification training").x_label("step").y_label("cross-entropy");
  loss.line("train (label-smoothed, per log interval)", steps, losses);
  if (!valid_loss.empty())
    loss.add({"validation", at, valid_loss, plot::Draw::markers, std::nullopt});
  loss.save(paths.loss_plot.string(), 900, 520);
  if (at.empty()) return;
  plot::LinePlot acc;
  acc.title("Accuracy per epoch").x_label("step").y_label("accuracy (%)");
  acc.line("train (augmented)", at, train_acc);
  if (!valid_acc.empty()) acc.line("validation", at, valid_acc);
  acc.save(paths.accuracy_plot.string(), 900, 520);
}

}  // namespace

ClassificationResult train_image_classifier(const ClassificationConfig& c,
                                            const TrainOptions& options) {
  namespace fs = std::filesystem;
  auto print = [&](const std::string& line) {
    if (options.print) options.print(line);
  };
  const RunPaths paths(options.out);
  const std::string config_json = to_json_text(c);
  std::optional<SafetensorsFile> checkpoint = open_run_directory(paths, options.resume);
  if (checkpoint)
    check_resumed_config(
        resume_key(parse_classification_config(saved_config(*checkpoint, paths.checkpoint),
                                               paths.checkpoint.string())) == resume_key(c),
        paths);

  const data::ImageSet set = read_image_split(c, c.data.train, c.data.train_limit);
  check(set.count > c.data.valid_size, "train: ", set.count, " training images of ", c.data.dataset,
        " leave none to train on after data.valid_size = ", c.data.valid_size);
  const std::int64_t n_train = set.count - c.data.valid_size;
  std::vector<std::int64_t> valid;
  for (std::int64_t i = n_train; i < set.count; ++i) valid.push_back(i);
  print(format_line("data: %lld training images, %lld held out for validation (%s, %lld x %lld)",
                    static_cast<long long>(n_train), static_cast<long long>(valid.size()),
                    c.data.dataset.c_str(), static_cast<long long>(set.rows),
                    static_cast<long long>(set.cols)));
  write_file_atomically(paths.config, [&](AtomicFileOutput& f) { f.write(config_json); });

  Generator gen(c.training.seed);
  models::VisionTransformer model(vit_config(c), gen);
  model.train();
  auto opt = make_optimizer(optimizer_settings(c), model.parameters());
  const std::int64_t bs = c.training.batch_size;
  const std::int64_t per_epoch = (n_train + bs - 1) / bs;
  std::int64_t total = per_epoch * c.training.epochs;
  if (c.training.max_steps > 0) total = std::min(total, c.training.max_steps);
  auto lr_of = make_schedule(optimizer_settings(c), total);

  TrainingPosition pos;
  if (options.resume) {
    pos = load_training_state(*checkpoint, paths.checkpoint, model, *opt, gen);
    checkpoint.reset();
    print(format_line("resumed from %s at step %lld (epoch %lld, batch %lld)",
                      paths.checkpoint.string().c_str(), static_cast<long long>(pos.step),
                      static_cast<long long>(pos.epoch + 1), static_cast<long long>(pos.batch)));
  }
  MetricsLog metrics(paths.metrics.string(), options.resume, pos.step);
  print(format_line("model: %lld parameters; %lld batches of %lld per epoch, %lld steps in all",
                    static_cast<long long>(model.num_parameters()),
                    static_cast<long long>(per_epoch), static_cast<long long>(bs),
                    static_cast<long long>(total)));

  const data::AugmentOptions augment{c.data.max_shift, c.data.hflip, c.data.mean, c.data.std};
  CrossEntropyOptions ce;
  ce.label_smoothing = c.training.label_smoothing;
  ClassificationResult result;
  std::vector<double> plot_steps, plot_losses;
  RateMeter rate;
  double interval_loss = 0;
  std::int64_t interval_steps = 0;
  for (; pos.epoch < c.training.epochs && pos.step < total; ++pos.epoch, pos.batch = 0) {
    const auto order = data::epoch_order(n_train, c.training.seed, pos.epoch);
    double epoch_loss = 0;
    std::int64_t epoch_batches = 0, seen = 0, right = 0;
    for (; pos.batch < per_epoch && pos.step < total; ++pos.batch) {
      const auto first = order.begin() + pos.batch * bs;
      const std::vector<std::int64_t> idx(first, first + std::min(bs, n_train - pos.batch * bs));
      Generator draws = data::batch_generator(c.training.seed, pos.epoch, pos.batch);
      const Tensor images = data::augmented_images(set, idx, augment, draws);
      std::vector<std::int64_t> labels;
      for (auto i : idx) labels.push_back(set.labels[i]);
      const double lr = lr_of->lr(pos.step + 1);
      opt->set_lr(lr);
      opt->zero_grad();
      const Tensor logits = model.forward(images);
      const Tensor loss =
          cross_entropy(logits, from_vector(labels, {std::int64_t(labels.size())}), ce);
      const double l = loss.item<double>();
      check(std::isfinite(l), "train: the loss is ", l, " at step ", pos.step + 1, " (epoch ",
            pos.epoch + 1, ", batch ", pos.batch, "); ", paths.checkpoint.filename().string(),
            " keeps the last good state");
      autograd::backward(loss);
      if (c.training.clip_norm > 0) optim::clip_grad_norm(model.parameters(), c.training.clip_norm);
      opt->step();
      ++pos.step;
      const auto pred = argmax(logits, 1).to_vector<std::int64_t>();
      for (std::size_t i = 0; i < pred.size(); ++i) right += pred[i] == labels[i];
      seen += std::int64_t(idx.size());
      rate.add(double(idx.size()));
      result.step_losses.push_back(l);
      epoch_loss += l;
      ++epoch_batches;
      interval_loss += l;
      ++interval_steps;
      if (pos.step % c.training.log_every == 0 || pos.step == total) {
        const double mean = interval_loss / double(interval_steps);
        const double eta = rate.seconds_per_step() * double(total - pos.step);
        print(
            format_line("epoch %lld/%lld step %lld/%lld  loss %.4f  acc %.2f%%  lr %.2e  %.0f "
                        "images/s  ETA %s",
                        static_cast<long long>(pos.epoch + 1),
                        static_cast<long long>(c.training.epochs), static_cast<long long>(pos.step),
                        static_cast<long long>(total), mean, 100.0 * double(right) / double(seen),
                        lr, rate.units_per_second(), format_duration(eta).c_str()));
        metrics.write({{"step", pos.step},
                       {"epoch", pos.epoch + 1},
                       {"loss", mean},
                       {"train_accuracy", double(right) / double(seen)},
                       {"lr", lr},
                       {"images_per_second", rate.units_per_second()},
                       {"eta_seconds", eta}});
        plot_steps.push_back(double(pos.step));
        plot_losses.push_back(mean);
        interval_loss = 0;
        interval_steps = 0;
      }
      if (c.training.checkpoint_every > 0 && pos.step % c.training.checkpoint_every == 0) {
        TrainingPosition next = pos;
        ++next.batch;
        save_training_state(paths.checkpoint, model, *opt, gen, next, config_json);
      }
    }
    if (pos.batch < per_epoch) {
      // max_steps reached inside the epoch: keep the place for a later --resume.
      save_training_state(paths.checkpoint, model, *opt, gen, pos, config_json);
      break;
    }
    ClassificationEpoch e{pos.epoch + 1, pos.step,
                          epoch_batches ? epoch_loss / double(epoch_batches) : 0,
                          seen ? double(right) / double(seen) : 0};
    nlohmann::json record = {{"step", pos.step},
                             {"epoch", e.epoch},
                             {"train_loss", e.train_loss},
                             {"train_accuracy", e.train_accuracy}};
    double score = -e.train_loss;
    std::string line =
        format_line("epoch %lld done: train loss %.4f  train acc %.2f%%",
                    static_cast<long long>(e.epoch), e.train_loss, 100 * e.train_accuracy);
    if (!valid.empty()) {
      const ClassifierScore v = evaluate_classifier(model, set, valid, c);
      e.valid_loss = v.loss;
      e.valid_accuracy = v.accuracy;
      record["valid_loss"] = v.loss;
      record["valid_accuracy"] = v.accuracy;
      score = v.accuracy;
      line += format_line("  valid loss %.4f  valid acc %.2f%%", v.loss, 100 * v.accuracy);
    }
    result.epochs.push_back(e);
    print(line);
    metrics.write(record);
    if (score > pos.best) {
      pos.best = score;
      save_checkpoint(paths.model, model.state_dict(),
                      {{"epoch", std::to_string(e.epoch)}, {"config", config_json}});
      print(format_line("best so far: %s", paths.model.string().c_str()));
    }
    keep_epoch_model(paths, model.state_dict(), e.epoch, c.training.keep_epochs, config_json);
    TrainingPosition next = pos;
    ++next.epoch;
    next.batch = 0;
    save_training_state(paths.checkpoint, model, *opt, gen, next, config_json);
  }
  if (!fs::exists(paths.model))
    save_checkpoint(paths.model, model.state_dict(), {{"config", config_json}});
  plot_curves(paths, plot_steps, plot_losses, result.epochs);
  result.steps = pos.step;
  result.files = {paths.model.string(), paths.checkpoint.string(), paths.metrics.string()};
  for (const auto& p : {paths.loss_plot, paths.accuracy_plot})
    if (fs::exists(p)) result.files.push_back(p.string());
  return result;
}

}  // namespace qkv::train
