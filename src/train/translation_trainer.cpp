#include "train/translation_trainer.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/rng.h"
#include "core/view.h"
#include "data/batching.h"
#include "data/bpe.h"
#include "data/data_path.h"
#include "data/parallel_text.h"
#include "decode/translator.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/plot.h"
#include "metrics/bleu.h"
#include "models/seq2seq.h"
#include "ops/loss.h"
#include "ops/shape.h"
#include "optim/clip.h"
#include "train/progress.h"
#include "train/run_directory.h"
#include "train/training_state.h"

namespace qkv::train {

namespace {

struct Corpus {
  data::ParallelText train, valid;
};

Corpus read_corpus(const TranslationData& d) {
  const std::string dir =
      data::find_data_set(d.dataset, {d.train + "." + d.source, d.train + "." + d.target,
                                      d.valid + "." + d.source, d.valid + "." + d.target});
  auto path = [&](const std::string& split, const std::string& lang) {
    return dir + "/" + split + "." + lang;
  };
  return {
      data::read_parallel_text(path(d.train, d.source), path(d.train, d.target), d.train_limit),
      data::read_parallel_text(path(d.valid, d.source), path(d.valid, d.target), d.valid_limit)};
}

std::vector<data::Example> encode(const data::BpeTokenizer& tok, const data::ParallelText& text) {
  const auto src = tok.encode_batch(text.source), tgt = tok.encode_batch(text.target);
  std::vector<data::Example> out(src.size());
  for (std::size_t i = 0; i < src.size(); ++i) out[i] = {src[i], tgt[i]};
  return out;
}

Tensor batch_loss(const models::Seq2SeqTransformer& model, const data::Batch& b, double smoothing) {
  const Tensor logits = model.forward(b.source, b.target_in);
  CrossEntropyOptions ce;
  ce.ignore_index = model.config().pad_id;
  ce.label_smoothing = smoothing;
  return cross_entropy(reshape(logits, {-1, logits.size(2)}), reshape(b.target_out, {-1}), ce);
}

struct Validation {
  double loss = 0, bleu = -1, bleu_lower = -1;
};

Validation validate(models::Seq2SeqTransformer& model, const data::BpeTokenizer& tok,
                    const data::ParallelText& valid, const std::vector<data::Example>& examples,
                    const TranslationConfig& c) {
  autograd::NoGradGuard no_grad;
  model.eval();
  data::BatchingOptions bo;
  bo.max_tokens = c.training.max_tokens;
  bo.max_length = c.model.max_len;
  bo.shuffle = false;
  double total = 0;
  std::int64_t tokens = 0;
  for (const auto& b : data::make_batches(examples, bo, 0)) {
    total += batch_loss(model, b, 0).item<double>() * double(b.target_tokens);
    tokens += b.target_tokens;
  }
  Validation v;
  v.loss = total / double(tokens);
  if (c.training.valid_bleu) {
    decode::TranslateOptions to;
    to.batch_size = c.training.valid_batch;
    const auto hyps = decode::translate(model, tok, valid.source, to);
    v.bleu = metrics::corpus_bleu(hyps, {valid.target}).score;
    metrics::BleuOptions lc;
    lc.lowercase = true;
    v.bleu_lower = metrics::corpus_bleu(hyps, {valid.target}, lc).score;
  }
  model.train();
  return v;
}

void plot_losses(const RunPaths& paths, const std::vector<double>& steps,
                 const std::vector<double>& losses, const std::vector<double>& epoch_steps,
                 const std::vector<double>& valid) {
  if (steps.empty()) return;
  plot::LinePlot p;
  p.title("Translation training").x_label("step").y_label("cross-entropy (label-smoothed, train)");
  p.line("train (per log interval)", steps, losses);
  if (!valid.empty()) p.add({"validation", epoch_steps, valid, plot::Draw::markers, std::nullopt});
  p.save(paths.loss_plot.string(), 900, 520);
}

}  // namespace

TrainResult train_translation(const TranslationConfig& c, const TrainOptions& options) {
  namespace fs = std::filesystem;
  auto print = [&](const std::string& line) {
    if (options.print) options.print(line);
  };
  const RunPaths paths(options.out);
  const std::string config_json = to_json_text(c);
  std::optional<SafetensorsFile> checkpoint = open_run_directory(paths, options.resume);
  if (checkpoint)
    check_resumed_config(
        resume_key(parse_translation_config(saved_config(*checkpoint, paths.checkpoint),
                                            paths.checkpoint.string())) == resume_key(c),
        paths);

  const Corpus corpus = read_corpus(c.data);
  print(format_line("data: %zu training pairs, %zu validation pairs (%s, %s -> %s)",
                    corpus.train.source.size(), corpus.valid.source.size(), c.data.dataset.c_str(),
                    c.data.source.c_str(), c.data.target.c_str()));

  data::BpeTokenizer tok;
  if (options.resume) {
    tok = data::BpeTokenizer::load(paths.tokenizer);
  } else {
    RateMeter t;
    std::vector<std::string> lines = corpus.train.source;
    lines.insert(lines.end(), corpus.train.target.begin(), corpus.train.target.end());
    tok = data::BpeTokenizer::train(lines, static_cast<std::size_t>(c.data.vocab_size));
    tok.save(paths.tokenizer);
    print(format_line("tokenizer: byte-level BPE, %zu tokens, trained in %.1f s -> %s",
                      tok.vocab_size(), t.elapsed(), paths.tokenizer.string().c_str()));
  }
  write_file_atomically(paths.config, [&](AtomicFileOutput& f) { f.write(config_json); });
  const auto train_examples = encode(tok, corpus.train);
  const auto valid_examples = encode(tok, corpus.valid);

  Generator gen(c.training.seed);
  models::Seq2SeqTransformer model(seq2seq_config(c, static_cast<std::int64_t>(tok.vocab_size())),
                                   gen);
  model.train();
  auto opt = make_optimizer(optimizer_settings(c), model.parameters());

  data::BatchingOptions bo;
  bo.max_tokens = c.training.max_tokens;
  bo.max_length = c.model.max_len;
  bo.seed = c.training.seed;
  const std::int64_t per_epoch =
      static_cast<std::int64_t>(data::make_batches(train_examples, bo, 0).size());
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
  print(format_line("model: %lld parameters; %lld batches per epoch, %lld steps in all",
                    static_cast<long long>(model.num_parameters()),
                    static_cast<long long>(per_epoch), static_cast<long long>(total)));

  TrainResult result;
  std::vector<double> plot_steps, plot_losses_v, epoch_steps, epoch_valid;
  RateMeter rate;
  double interval_loss = 0;
  std::int64_t interval_steps = 0;
  for (; pos.epoch < c.training.epochs && pos.step < total; ++pos.epoch, pos.batch = 0) {
    const auto batches = data::make_batches(train_examples, bo, pos.epoch);
    double epoch_loss = 0;
    std::int64_t epoch_batches = 0;
    for (; pos.batch < static_cast<std::int64_t>(batches.size()) && pos.step < total; ++pos.batch) {
      const data::Batch& b = batches[pos.batch];
      const double lr = lr_of->lr(pos.step + 1);
      opt->set_lr(lr);
      opt->zero_grad();
      const Tensor loss = batch_loss(model, b, c.training.label_smoothing);
      const double l = loss.item<double>();
      check(std::isfinite(l), "train: the loss is ", l, " at step ", pos.step + 1, " (epoch ",
            pos.epoch + 1, ", batch ", pos.batch, "); ", paths.checkpoint.filename().string(),
            " keeps the last good state");
      autograd::backward(loss);
      if (c.training.clip_norm > 0) optim::clip_grad_norm(model.parameters(), c.training.clip_norm);
      opt->step();
      ++pos.step;
      rate.add(double(b.target_tokens));
      result.step_losses.push_back(l);
      epoch_loss += l;
      ++epoch_batches;
      interval_loss += l;
      ++interval_steps;
      if (pos.step % c.training.log_every == 0 || pos.step == total) {
        const double mean = interval_loss / double(interval_steps);
        const double eta = rate.seconds_per_step() * double(total - pos.step);
        print(format_line("epoch %lld/%lld step %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %s",
                          static_cast<long long>(pos.epoch + 1),
                          static_cast<long long>(c.training.epochs),
                          static_cast<long long>(pos.step), static_cast<long long>(total), mean, lr,
                          rate.units_per_second(), format_duration(eta).c_str()));
        metrics.write({{"step", pos.step},
                       {"epoch", pos.epoch + 1},
                       {"loss", mean},
                       {"lr", lr},
                       {"tokens_per_second", rate.units_per_second()},
                       {"eta_seconds", eta}});
        plot_steps.push_back(double(pos.step));
        plot_losses_v.push_back(mean);
        interval_loss = 0;
        interval_steps = 0;
      }
      if (c.training.checkpoint_every > 0 && pos.step % c.training.checkpoint_every == 0) {
        TrainingPosition next = pos;
        ++next.batch;
        save_training_state(paths.checkpoint, model, *opt, gen, next, config_json);
      }
    }
    if (pos.batch < static_cast<std::int64_t>(batches.size())) {
      // max_steps reached inside the epoch: keep the place for a later --resume.
      save_training_state(paths.checkpoint, model, *opt, gen, pos, config_json);
      break;
    }
    const Validation v = validate(model, tok, corpus.valid, valid_examples, c);
    EpochResult e{pos.epoch + 1, pos.step, epoch_batches ? epoch_loss / double(epoch_batches) : 0,
                  v.loss,        v.bleu,   v.bleu_lower};
    result.epochs.push_back(e);
    print(format_line(
        "epoch %lld done: train loss %.4f  valid loss %.4f%s", static_cast<long long>(e.epoch),
        e.train_loss, e.valid_loss,
        v.bleu >= 0
            ? format_line("  valid BLEU %.2f (lowercased %.2f)", v.bleu, v.bleu_lower).c_str()
            : ""));
    nlohmann::json record = {{"step", pos.step},
                             {"epoch", e.epoch},
                             {"train_loss", e.train_loss},
                             {"valid_loss", e.valid_loss}};
    if (v.bleu >= 0) {
      record["valid_bleu"] = v.bleu;
      record["valid_bleu_lowercase"] = v.bleu_lower;
    }
    metrics.write(record);
    epoch_steps.push_back(double(pos.step));
    epoch_valid.push_back(v.loss);
    const double score = v.bleu >= 0 ? v.bleu : -v.loss;
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
  plot_losses(paths, plot_steps, plot_losses_v, epoch_steps, epoch_valid);
  result.steps = pos.step;
  result.files = {paths.model.string(), paths.checkpoint.string(), paths.tokenizer.string(),
                  paths.metrics.string()};
  if (fs::exists(paths.loss_plot)) result.files.push_back(paths.loss_plot.string());
  return result;
}

}  // namespace qkv::train
