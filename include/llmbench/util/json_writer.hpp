#pragma once
// Minimal JSON text building for bodies and reports: escaping and numbers, nothing more.

#include <string>
#include <string_view>

namespace llmbench::util {

// Appends `text` as a JSON string literal (quotes included). Invalid UTF-8 is passed through.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);
// Shortest round-trip spelling of a double; non-finite values become null.
void append_json_number(std::string& out, double value);

}  // namespace llmbench::util
