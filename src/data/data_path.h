#pragma once
// Where data sets are found: one search path for every reader and command.
// The roots are, in order, each directory of $QKV_DATA (colon-separated, as
// PATH), then ./data, then ../shared/data; a data set is a folder under a root
// (multi30k/, mnist/, ...). Data sets are read where they lie, never copied.

#include <string>
#include <vector>

namespace qkv::data {

// The roots in search order, as written (relative roots stay relative).
std::vector<std::string> data_search_path();

// The folder `name` under the first root that holds every one of `files`
// (paths relative to that folder); returns root/name. When no root has them
// all, throws qkv::Error naming the files wanted and each place looked, e.g.
//   data set multi30k: need train.de, train.en; looked in $QKV_DATA (unset),
//   ./data/multi30k (missing), ../shared/data/multi30k (lacks train.de)
std::string find_data_set(const std::string& name, const std::vector<std::string>& files);

}  // namespace qkv::data
