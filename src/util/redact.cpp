#include "llmbench/util/redact.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "llmbench/util/base64.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::util {

namespace {

using std::string_view_literals::operator""sv;

// Prefixes of provider keys (OpenAI, Anthropic, Groq, xAI, Google, Hugging Face, GitHub).
// A word that starts with one is masked whatever its value.
constexpr std::array k_key_prefixes = {"sk-"sv, "gsk_"sv, "xai-"sv,       "AIza"sv,
                                       "hf_"sv, "ghp_"sv, "github_pat_"sv};
constexpr std::size_t k_min_secret = 8;

bool is_word_break(char c) {
  return c == ' ' || c == '"' || c == ':' || c == '\'' || c == '=' || c == ',' || c == '\n' ||
         c == '\t' || c == '(' || c == '[' || c == '{' || c == '<' || c == '`';
}

bool ends_key(char c) {
  return c == ' ' || c == '"' || c == '\'' || c == ',' || c == '.' || c == '\n' || c == '\t' ||
         c == ')' || c == ']' || c == '}' || c == '<' || c == '`' || c == '\\';
}

std::string json_escape_slashes(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '/' || c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

std::string base64_of(std::string_view s) {
  return base64_encode(
      std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));  // NOLINT
}

}  // namespace

std::string mask_key_shaped(std::string_view text) {
  if (std::none_of(k_key_prefixes.begin(), k_key_prefixes.end(),
                   [&](std::string_view p) { return text.find(p) != std::string_view::npos; })) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (i == 0 || is_word_break(text[i - 1])) {
      const auto prefix =
          std::find_if(k_key_prefixes.begin(), k_key_prefixes.end(),
                       [&](std::string_view p) { return text.substr(i).starts_with(p); });
      if (prefix != k_key_prefixes.end()) {
        std::size_t end = i + prefix->size();
        while (end < text.size() && !ends_key(text[end])) {
          ++end;
        }
        if (end - i > prefix->size()) {  // a prefix alone ("sk-" in prose) is left as is
          out += *prefix;
          out += Redactor::k_mask;
          i = end;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

Redactor::Redactor(const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < k_min_secret) {
      continue;
    }
    for (std::string form :
         {secret, util::percent_encode(secret), json_escape_slashes(secret), base64_of(secret)}) {
      if (std::find(m_needles.begin(), m_needles.end(), form) == m_needles.end()) {
        m_needles.push_back(std::move(form));
      }
    }
    // Base64 without its padding, as in a URL-safe token or a trimmed header.
    std::string unpadded = base64_of(secret);
    while (!unpadded.empty() && unpadded.back() == '=') {
      unpadded.pop_back();
    }
    if (std::find(m_needles.begin(), m_needles.end(), unpadded) == m_needles.end()) {
      m_needles.push_back(std::move(unpadded));
    }
  }
  std::sort(m_needles.begin(), m_needles.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

Redactor Redactor::for_credentials(
    const std::string& api_key, const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::string> secrets;
  if (!api_key.empty()) {
    secrets.push_back(api_key);
  }
  for (const auto& [name, value] : headers) {
    const std::string lower = to_lower(name);
    if (lower != "authorization" && lower != "proxy-authorization" && lower != "x-api-key" &&
        lower != "api-key" && lower != "x-goog-api-key" && lower != "cookie") {
      continue;
    }
    secrets.push_back(value);
    if (const auto space = value.find(' '); space != std::string::npos) {
      secrets.push_back(std::string(trim(std::string_view(value).substr(space + 1))));
    }
  }
  return Redactor(secrets);
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  redact_in_place(out);
  return out;
}

bool Redactor::redact_in_place(std::string& text) const {
  bool changed = false;
  for (const auto& needle : m_needles) {
    std::size_t at = text.find(needle);
    while (at != std::string::npos) {
      text.replace(at, needle.size(), k_mask);
      changed = true;
      at = text.find(needle, at + k_mask.size());
    }
  }
  return changed;
}

}  // namespace llmbench::util
