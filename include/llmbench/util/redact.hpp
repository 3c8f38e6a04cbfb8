#pragma once
// Masks secrets in text that came from a server before it is stored or printed. A server
// may echo the key it refused ("Incorrect API key provided: gsk_..."), so the client masks
// the key it actually sent, and its obvious encodings (percent-encoded, base64, JSON-escaped),
// wherever they appear. Error messages also get `mask_key_shaped`.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmbench::util {

class Redactor {
 public:
  static constexpr std::string_view k_mask = "***";

  Redactor() = default;
  // Secrets shorter than 8 characters are not masked (they would mask ordinary words).
  explicit Redactor(const std::vector<std::string>& secrets);
  // The API key, and the values of request headers that carry credentials (Authorization,
  // x-api-key, api-key, Cookie ...), with and without their scheme ("Bearer ").
  static Redactor for_credentials(const std::string& api_key,
                                  const std::vector<std::pair<std::string, std::string>>& headers);

  // `text` with every secret replaced by k_mask.
  std::string redact(std::string_view text) const;
  // In place; returns whether anything changed.
  bool redact_in_place(std::string& text) const;
  bool empty() const { return m_needles.empty(); }

 private:
  std::vector<std::string> m_needles;  // longest first
};

// Masks words that start with a well-known key prefix ("sk-", "gsk_", "xai-", ...):
// "sk-abc123" -> "sk-***". For error messages only: model output may say "sk-learn".
std::string mask_key_shaped(std::string_view text);

}  // namespace llmbench::util
