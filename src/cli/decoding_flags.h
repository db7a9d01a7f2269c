#pragma once
// The decoding options shared by translate, eval and attention, declared once.

#include <CLI/CLI.hpp>

#include "decode/options.h"

namespace qkv::cli {

struct DecodingFlags {
  std::int64_t beam = 1;
  double length_penalty = 1.0;
  std::int64_t max_length = 128;

  void add_to(CLI::App& cmd) {
    cmd.add_option("--beam", beam, "Beam size; 1 is greedy search")->capture_default_str();
    cmd.add_option("--length-penalty", length_penalty, "Beams are ranked by log P / length^this")
        ->capture_default_str();
    cmd.add_option("--max-length", max_length, "Generated tokens at most")->capture_default_str();
  }
  decode::DecodingOptions options() const {
    decode::DecodingOptions o;
    o.beam_size = beam;
    o.length_penalty = length_penalty;
    o.max_length = max_length;
    return o;
  }
};

}  // namespace qkv::cli
