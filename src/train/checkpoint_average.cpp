#include "train/checkpoint_average.h"

#include "core/error.h"
#include "io/checkpoint.h"

namespace qkv::train {

namespace {

Tensor from_doubles(const std::vector<double>& v, const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  const auto n = v.size();
  switch (dtype) {
    case DType::f32:
      for (std::size_t i = 0; i < n; ++i) t.data<float>()[i] = static_cast<float>(v[i]);
      break;
    case DType::f64:
      for (std::size_t i = 0; i < n; ++i) t.data<double>()[i] = v[i];
      break;
    case DType::bf16:
      for (std::size_t i = 0; i < n; ++i)
        t.data<bf16>()[i] = bf16::from_float(static_cast<float>(v[i]));
      break;
    case DType::i64:
      fail("from_doubles: int64 tensors are not averaged");
  }
  return t;
}

}  // namespace

std::map<std::string, Tensor> average_checkpoints(const std::vector<std::filesystem::path>& files) {
  check(!files.empty(), "average: no checkpoints to average");
  const SafetensorsFile first = load_checkpoint(files.front());
  check(!first.tensors.empty(), "average: ", files.front().string(), " holds no tensors");
  std::map<std::string, std::vector<double>> sums;
  for (const auto& [name, t] : first.tensors)
    if (t.dtype() != DType::i64) sums[name] = t.to_vector<double>();
  for (std::size_t k = 1; k < files.size(); ++k) {
    const std::string file = files[k].string();
    const SafetensorsFile f = load_checkpoint(files[k]);
    for (const auto& [name, t] : first.tensors)
      check(f.tensors.count(name) != 0, "average: ", file, " lacks tensor '", name, "' that ",
            files.front().string(), " holds");
    for (const auto& [name, t] : f.tensors) {
      const auto it = first.tensors.find(name);
      check(it != first.tensors.end(), "average: ", file, " holds tensor '", name, "' that ",
            files.front().string(), " lacks");
      const Tensor& ref = it->second;
      check(t.dtype() == ref.dtype() && t.shape() == ref.shape(), "average: ", file, ": tensor '",
            name, "' is ", dtype_name(t.dtype()), " ", t.shape(), " but ", dtype_name(ref.dtype()),
            " ", ref.shape(), " in ", files.front().string());
      if (t.dtype() == DType::i64) {
        check(t.to_vector<std::int64_t>() == ref.to_vector<std::int64_t>(), "average: ", file,
              ": integer tensor '", name, "' differs from ", files.front().string());
        continue;
      }
      const std::vector<double> v = t.to_vector<double>();
      std::vector<double>& sum = sums[name];
      for (std::size_t i = 0; i < v.size(); ++i) sum[i] += v[i];
    }
  }
  std::map<std::string, Tensor> out;
  const double scale = 1.0 / static_cast<double>(files.size());
  for (const auto& [name, t] : first.tensors) {
    if (t.dtype() == DType::i64) {
      out.emplace(name, t);
      continue;
    }
    std::vector<double>& sum = sums[name];
    for (double& x : sum) x *= scale;
    out.emplace(name, from_doubles(sum, t.shape(), t.dtype()));
  }
  return out;
}

}  // namespace qkv::train
