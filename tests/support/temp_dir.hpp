#pragma once
// A fresh directory under the system temp folder, removed with everything in it at scope end.

#include <filesystem>
#include <fstream>
#include <string>

#include "llmbench/util/uuid.hpp"

namespace llmbench::testing {

class TempDir {
 public:
  TempDir()
      : m_path(std::filesystem::temp_directory_path() / ("llmbench-test-" + util::uuid_v7())) {
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(m_path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::string file(const std::string& name) const { return (m_path / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = m_path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace llmbench::testing
