#pragma once

#include <optional>
#include <string>

namespace llmbench::util {

std::optional<std::string> getenv_str(const char* name);
std::string hostname();
// The short commit of the git work tree holding `dir`, or nullopt outside one.
std::optional<std::string> git_commit_of(const std::string& dir);

// The git work tree holding `dir`: its branch ("HEAD" when detached), short commit, and
// whether tracked files have uncommitted changes. All unset outside a work tree.
struct GitState {
  std::optional<std::string> branch;
  std::optional<std::string> commit;
  std::optional<bool> dirty;
};
GitState git_state_of(const std::string& dir);

}  // namespace llmbench::util
