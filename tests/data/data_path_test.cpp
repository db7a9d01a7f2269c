#include "data/data_path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace qkv::data {
namespace {

namespace fs = std::filesystem;

// Sets QKV_DATA for one test and restores it after.
class ScopedDataEnv {
 public:
  explicit ScopedDataEnv(const char* value) {
    if (const char* old = std::getenv("QKV_DATA")) {
      old_ = old;
      had_ = true;
    }
    if (value)
      setenv("QKV_DATA", value, 1);
    else
      unsetenv("QKV_DATA");
  }
  ~ScopedDataEnv() {
    if (had_)
      setenv("QKV_DATA", old_.c_str(), 1);
    else
      unsetenv("QKV_DATA");
  }

 private:
  std::string old_;
  bool had_ = false;
};

fs::path make_set(const fs::path& root, const std::string& name,
                  const std::vector<std::string>& files) {
  fs::create_directories(root / name);
  for (const auto& f : files) std::ofstream(root / name / f) << "x\n";
  return root / name;
}

TEST(DataPath, QkvDataRootsComeFirstInOrder) {
  ScopedDataEnv env("/first:/second::");
  const auto roots = data_search_path();
  EXPECT_EQ(roots, (std::vector<std::string>{"/first", "/second", "./data", "../shared/data"}));
}

TEST(DataPath, FindsTheFirstRootHoldingEveryFile) {
  const fs::path tmp = fs::temp_directory_path() / "qkv_data_path_test";
  fs::remove_all(tmp);
  make_set(tmp / "a", "toy", {"train.en"});  // lacks train.de
  const fs::path want = make_set(tmp / "b", "toy", {"train.en", "train.de"});
  make_set(tmp / "c", "toy", {"train.en", "train.de"});
  const std::string roots =
      (tmp / "a").string() + ":" + (tmp / "b").string() + ":" + (tmp / "c").string();
  ScopedDataEnv env(roots.c_str());
  EXPECT_EQ(find_data_set("toy", {"train.en", "train.de"}), want.string());
  fs::remove_all(tmp);
}

TEST(DataPath, MissingDataSetSaysWhatAndWhere) {
  const fs::path tmp = fs::temp_directory_path() / "qkv_data_path_missing";
  fs::remove_all(tmp);
  make_set(tmp, "toy", {"train.en"});
  ScopedDataEnv env(tmp.string().c_str());
  try {
    find_data_set("toy", {"train.en", "train.de"});
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("data set toy: need train.en, train.de; looked in "), std::string::npos) << m;
    EXPECT_NE(m.find((tmp / "toy").string() + " (lacks train.de)"), std::string::npos) << m;
    EXPECT_NE(m.find("./data/toy (missing)"), std::string::npos) << m;
    EXPECT_NE(m.find("Set QKV_DATA"), std::string::npos) << m;
  }
  ScopedDataEnv unset(nullptr);
  try {
    find_data_set("no-such-set", {"x"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("$QKV_DATA (unset)"), std::string::npos) << e.what();
  }
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace qkv::data
