#include "llmbench/util/env.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace llmbench::util {

std::optional<std::string> getenv_str(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

std::string hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) {
    return "unknown";
  }
  return std::string(buf.data());
}

namespace {

// What `git -C DIR ARGS` prints (trailing newlines cut), or nullopt when it fails.
std::optional<std::string> git_output(const std::string& dir, std::string_view args) {
  // Quote the directory for the shell; single quotes inside it are closed and escaped.
  std::string quoted = "'";
  for (const char c : dir) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  quoted += "'";
  const std::string cmd = "git -C " + quoted + " " + std::string(args) + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    return std::nullopt;
  }
  std::array<char, 256> buf{};
  std::string out;
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) {
    out += buf.data();
  }
  const int rc = pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  if (rc != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<std::string> git_commit_of(const std::string& dir) {
  auto out = git_output(dir, "rev-parse --short=12 HEAD");
  if (!out || out->empty()) {
    return std::nullopt;
  }
  return out;
}

GitState git_state_of(const std::string& dir) {
  GitState g;
  g.commit = git_commit_of(dir);
  if (!g.commit) {
    return g;
  }
  if (auto branch = git_output(dir, "rev-parse --abbrev-ref HEAD"); branch && !branch->empty()) {
    g.branch = *branch;  // "HEAD" when detached
  }
  if (auto status = git_output(dir, "status --porcelain --untracked-files=no")) {
    g.dirty = !status->empty();
  }
  return g;
}

}  // namespace llmbench::util
