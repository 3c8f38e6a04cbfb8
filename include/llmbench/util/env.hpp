#pragma once

#include <optional>
#include <string>

namespace llmbench::util {

std::optional<std::string> getenv_str(const char* name);
std::string hostname();
// The short commit of the git work tree holding `dir`, or nullopt outside one.
std::optional<std::string> git_commit_of(const std::string& dir);

}  // namespace llmbench::util
