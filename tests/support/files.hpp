#pragma once
// Reading a whole file in tests.

#include <fstream>
#include <sstream>
#include <string>

namespace llmbench::testing {

// The file's bytes ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace llmbench::testing
