#pragma once
// SHA-256 (OpenSSL) of concatenated parts, as lowercase hex: suite hashes, request hashes.

#include <string>
#include <vector>

namespace llmbench::util {

std::string sha256_hex(const std::vector<std::string>& parts);

}  // namespace llmbench::util
