#pragma once
// Runs the real llmbench binary in the background (a server, say), reads its first line of
// output, and stops it with a signal.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace llmbench::testing {

class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& args) {
    int out[2];
    if (pipe(out) != 0) {
      throw std::runtime_error("pipe failed");
    }
    m_pid = fork();
    if (m_pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(out[1], STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      static std::string binary = LLMBENCH_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    m_out = out[0];
  }
  ~BackgroundProcess() {
    if (m_pid > 0) {
      kill(m_pid, SIGKILL);
      waitpid(m_pid, nullptr, 0);
    }
    close(m_out);
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Output up to and including the first newline (or what came before the deadline).
  std::string first_line(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (m_seen.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
      read_some(50);
    }
    return m_seen.substr(0, m_seen.find('\n') + 1);
  }

  // Everything printed so far, once it contains `needle` (or the deadline passed).
  std::string output_until(const std::string& needle,
                           std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (m_seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < until) {
      read_some(50);
    }
    return m_seen;
  }

  pid_t pid() const { return m_pid; }

  // Sends `sig`, waits for the exit, returns (exit code, everything printed).
  std::pair<int, std::string> stop(int sig = SIGTERM) {
    kill(m_pid, sig);
    int status = 0;
    while (read_some(100)) {
    }
    waitpid(m_pid, &status, 0);
    m_pid = -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, m_seen};
  }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{m_out, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      return false;
    }
    char buf[4096];
    const ssize_t n = read(m_out, buf, sizeof buf);
    if (n <= 0) {
      return false;
    }
    m_seen.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t m_pid = -1;
  int m_out = -1;
  std::string m_seen;
};

}  // namespace llmbench::testing
