#include "llmbench/util/sha256.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>

namespace llmbench::util {

std::string sha256_hex(const std::vector<std::string>& parts) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& part : parts) {
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest.data(), &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  return hex;
}

}  // namespace llmbench::util
