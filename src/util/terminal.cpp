#include "llmbench/util/terminal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace llmbench::util {

bool is_tty(std::FILE* stream) {
  return isatty(fileno(stream)) == 1;
}

bool use_color(std::FILE* stream, bool disabled_by_flag) {
  const char* no_color = std::getenv("NO_COLOR");
  if (disabled_by_flag || (no_color != nullptr && no_color[0] != '\0')) {
    return false;
  }
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") {
    return false;
  }
  return is_tty(stream);
}

}  // namespace llmbench::util
