#pragma once
// Escaping text for HTML, SVG and XML (the HTML report, its charts, JUnit files).

#include <string>
#include <string_view>

namespace llmbench::util {

// Replaces & < > " with their entities.
std::string xml_escape(std::string_view text);

}  // namespace llmbench::util
