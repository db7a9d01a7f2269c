#include "train/progress.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"

namespace qkv::train {

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return buf;
}

void RateMeter::reset() {
  start_ = std::chrono::steady_clock::now();
  units_ = 0;
  steps_ = 0;
}

void RateMeter::add(double units) {
  units_ += units;
  ++steps_;
}

double RateMeter::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double RateMeter::units_per_second() const {
  const double t = elapsed();
  return t > 0 ? units_ / t : 0;
}

double RateMeter::seconds_per_step() const { return steps_ ? elapsed() / double(steps_) : 0; }

MetricsLog::MetricsLog(const std::string& path, bool resume, std::int64_t keep_until_step)
    : path_(path) {
  std::vector<std::string> kept;
  if (resume) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value("step", std::int64_t{0}) <= keep_until_step)
        kept.push_back(line);
    }
  }
  write_file_atomically(path, [&](AtomicFileOutput& f) {
    for (const auto& line : kept) f.write(line + "\n");
  });
  out_.open(path, std::ios::app);
  check(out_.good(), "cannot append to '", path, "'");
}

void MetricsLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  check(out_.good(), "cannot append to '", path_, "'");
}

}  // namespace qkv::train
