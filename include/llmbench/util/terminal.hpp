#pragma once

#include <cstdio>
#include <string>

namespace llmbench::util {

bool is_tty(std::FILE* stream);
// Colour only on a terminal, and never when NO_COLOR is set to a non-empty value
// (https://no-color.org: an empty NO_COLOR does not count), TERM is dumb, or --no-color.
bool use_color(std::FILE* stream, bool disabled_by_flag);

}  // namespace llmbench::util
