#pragma once
// Fatal errors carry the process exit code they map to (DESIGN.md, "Exit codes"), so the one
// catch at the top of llmbench::main can print them and exit correctly.

#include <stdexcept>
#include <string>

namespace llmbench {

enum class ExitCode : int {
  ok = 0,
  gate_failed = 1,  // a regression, SLO or error-budget gate failed
  usage = 2,        // bad flag, bad suite, unknown run: the user can fix the input
  run_failed = 3,   // the run could not proceed (no target reachable, database locked)
  interrupted = 130,
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}
  ExitCode code() const { return m_code; }

 private:
  ExitCode m_code;
};

// Bad input from the user: a flag, a file, a run id. Exit code 2.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ExitCode::usage, message) {}
};

// The environment keeps the work from proceeding (locked database, unreachable target). Exit 3.
class RunError : public Error {
 public:
  explicit RunError(const std::string& message) : Error(ExitCode::run_failed, message) {}
};

}  // namespace llmbench
