// The run configs: every shipped config parses, a config survives its own
// JSON, and unknown keys, wrong types and bad values are refused by key path.

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "train/classification_config.h"
#include "train/config_checks.h"
#include "train/translation_config.h"

namespace qkv::train {
namespace {

std::string error_of(auto&& parse) {
  try {
    parse();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RunConfigs, EveryShippedConfigParses) {
  int n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(QKV_SOURCE_DIR) + "/configs")) {
    const std::string path = entry.path().string();
    const std::string task = config_task(path);
    if (task == "translation") {
      const auto c = load_translation_config(path);
      EXPECT_EQ(parse_translation_config(to_json_text(c), "round trip").model.d_model,
                c.model.d_model);
    } else {
      ASSERT_EQ(task, "classification") << path;
      const auto c = load_classification_config(path);
      EXPECT_EQ(to_json_text(parse_classification_config(to_json_text(c), "round trip")),
                to_json_text(c));
    }
    ++n;
  }
  EXPECT_GE(n, 4);
}

TEST(RunConfigs, ClassificationErrorsNameTheKey) {
  const auto parse = [](const std::string& text) {
    return error_of([&] { parse_classification_config(text, "c.json"); });
  };
  EXPECT_EQ(parse(R"({"task": "classification", "model": {"dept": 3}})"),
            "c.json: unknown key 'model.dept'");
  EXPECT_NE(parse(R"({"task": "classification", "model": {"patch_size": 5}})")
                .find("model.patch_size = 5 is invalid; expected a positive divisor of "
                      "model.image_size"),
            std::string::npos);
  EXPECT_NE(parse(R"({"task": "classification", "data": {"classes": ["a", "b"]}})")
                .find("data.classes (count) = 2 is invalid"),
            std::string::npos);
  EXPECT_NE(parse(R"({"task": "classification", "training": {"lr": "fast"}})").find("c.json: "),
            std::string::npos);
  EXPECT_NE(parse(R"({"task": "classification", "training": {"batch_size": 0}})")
                .find("training.batch_size = 0"),
            std::string::npos);
  EXPECT_NE(parse(R"({"task": "translation"})").find("task = translation is invalid"),
            std::string::npos);
  EXPECT_NE(parse("[1, 2]").find("c.json: expected a JSON object"), std::string::npos);
  EXPECT_NE(parse("{").find("c.json: not valid JSON"), std::string::npos);
}

TEST(RunConfigs, ClassNamesDefaultToNumbers) {
  ClassificationConfig c;
  EXPECT_EQ(class_name(c, 7), "7");
  c.data.classes = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  EXPECT_EQ(class_name(c, 7), "h");
  const auto vit = vit_config(c);
  EXPECT_EQ(vit.num_patches(), 49);
  EXPECT_EQ(vit.patch_dim(), 16);
}

}  // namespace
}  // namespace qkv::train
