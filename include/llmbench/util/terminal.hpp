#pragma once

#include <cstdio>
#include <string>

namespace llmbench::util {

bool is_tty(std::FILE* stream);
// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
bool use_color(std::FILE* stream, bool disabled_by_flag);

}  // namespace llmbench::util
