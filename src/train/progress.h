#pragma once
// What long jobs report as they run: a rate and an ETA for the progress line,
// and the machine-readable twin of that line, one JSON object per line.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace qkv::train {

// printf into a string: one line of progress output.
std::string format_line(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// "42s", "12m05s", "3h07m".
std::string format_duration(double seconds);

// Work done per second since the last reset, and the time the rest will take.
class RateMeter {
 public:
  RateMeter() { reset(); }
  void reset();
  // Adds `units` of work (tokens, images) and one step.
  void add(double units);
  double units_per_second() const;
  double seconds_per_step() const;
  double elapsed() const;

 private:
  std::chrono::steady_clock::time_point start_;
  double units_ = 0;
  std::int64_t steps_ = 0;
};

// metrics.jsonl: each write() appends one line and flushes it, so a killed
// run loses nothing it reported.
class MetricsLog {
 public:
  // Starts the file afresh, or (resume) keeps the records whose "step" is at
  // most keep_until_step and drops those an interrupted run wrote after its
  // last checkpoint.
  MetricsLog(const std::string& path, bool resume, std::int64_t keep_until_step);
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace qkv::train
