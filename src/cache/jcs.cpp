#include "llmbench/cache/jcs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <vector>

#include "llmbench/util/json_writer.hpp"

namespace llmbench::cache {

namespace {

constexpr int k_max_depth = 512;

struct Value;
using Member = std::pair<std::string, std::unique_ptr<Value>>;

struct Value {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<std::unique_ptr<Value>> items;
  std::vector<Member> members;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : m_t(text) {}

  std::unique_ptr<Value> parse_document() {
    auto v = value(0);
    skip_ws();
    if (m_error.empty() && m_pos != m_t.size()) {
      fail("unexpected text after the JSON value");
    }
    return v;
  }
  const std::string& error() const { return m_error; }

 private:
  void fail(const std::string& why) {
    if (m_error.empty()) {
      m_error = fmt::format("{} at byte {}", why, m_pos);
    }
  }
  void skip_ws() {
    while (m_pos < m_t.size() &&
           (m_t[m_pos] == ' ' || m_t[m_pos] == '\t' || m_t[m_pos] == '\n' || m_t[m_pos] == '\r')) {
      ++m_pos;
    }
  }
  bool literal(std::string_view word) {
    if (m_t.substr(m_pos, word.size()) == word) {
      m_pos += word.size();
      return true;
    }
    return false;
  }

  std::unique_ptr<Value> value(int depth) {
    auto v = std::make_unique<Value>();
    if (depth > k_max_depth) {
      fail("nesting deeper than 512 levels");
      return v;
    }
    skip_ws();
    if (m_pos >= m_t.size()) {
      fail("unexpected end of input");
      return v;
    }
    const char c = m_t[m_pos];
    if (c == '{') {
      v->kind = Value::Kind::object;
      ++m_pos;
      skip_ws();
      if (m_pos < m_t.size() && m_t[m_pos] == '}') {
        ++m_pos;
        return v;
      }
      for (;;) {
        skip_ws();
        if (m_pos >= m_t.size() || m_t[m_pos] != '"') {
          fail("expected a member name");
          return v;
        }
        std::string name = string();
        skip_ws();
        if (m_pos >= m_t.size() || m_t[m_pos] != ':') {
          fail("expected ':'");
          return v;
        }
        ++m_pos;
        auto member = value(depth + 1);
        if (!m_error.empty()) {
          return v;
        }
        for (const auto& [k, unused] : v->members) {
          if (k == name) {
            fail(fmt::format("duplicate member name \"{}\"", name));
            return v;
          }
        }
        v->members.emplace_back(std::move(name), std::move(member));
        skip_ws();
        if (m_pos < m_t.size() && m_t[m_pos] == ',') {
          ++m_pos;
          continue;
        }
        if (m_pos < m_t.size() && m_t[m_pos] == '}') {
          ++m_pos;
          return v;
        }
        fail("expected ',' or '}'");
        return v;
      }
    }
    if (c == '[') {
      v->kind = Value::Kind::array;
      ++m_pos;
      skip_ws();
      if (m_pos < m_t.size() && m_t[m_pos] == ']') {
        ++m_pos;
        return v;
      }
      for (;;) {
        v->items.push_back(value(depth + 1));
        if (!m_error.empty()) {
          return v;
        }
        skip_ws();
        if (m_pos < m_t.size() && m_t[m_pos] == ',') {
          ++m_pos;
          continue;
        }
        if (m_pos < m_t.size() && m_t[m_pos] == ']') {
          ++m_pos;
          return v;
        }
        fail("expected ',' or ']'");
        return v;
      }
    }
    if (c == '"') {
      v->kind = Value::Kind::string;
      v->s = string();
      return v;
    }
    if (literal("true")) {
      v->kind = Value::Kind::boolean;
      v->b = true;
      return v;
    }
    if (literal("false")) {
      v->kind = Value::Kind::boolean;
      return v;
    }
    if (literal("null")) {
      return v;
    }
    v->kind = Value::Kind::number;
    v->n = number();
    return v;
  }

  double number() {
    const std::size_t start = m_pos;
    if (m_pos < m_t.size() && m_t[m_pos] == '-') {
      ++m_pos;
    }
    const auto digits = [&] {
      const std::size_t from = m_pos;
      while (m_pos < m_t.size() && m_t[m_pos] >= '0' && m_t[m_pos] <= '9') {
        ++m_pos;
      }
      return m_pos - from;
    };
    const std::size_t int_start = m_pos;
    const std::size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && m_t[int_start] == '0')) {
      fail("invalid number");
      return 0;
    }
    if (m_pos < m_t.size() && m_t[m_pos] == '.') {
      ++m_pos;
      if (digits() == 0) {
        fail("invalid number");
        return 0;
      }
    }
    if (m_pos < m_t.size() && (m_t[m_pos] == 'e' || m_t[m_pos] == 'E')) {
      ++m_pos;
      if (m_pos < m_t.size() && (m_t[m_pos] == '+' || m_t[m_pos] == '-')) {
        ++m_pos;
      }
      if (digits() == 0) {
        fail("invalid number");
        return 0;
      }
    }
    double v = 0;
    const char* first = m_t.data() + start;
    const auto [ptr, ec] = std::from_chars(first, m_t.data() + m_pos, v);
    if (ec == std::errc::result_out_of_range) {
      // Too small rounds to zero, as ECMAScript does; too large has no I-JSON value.
      const std::string_view literal(first, static_cast<std::size_t>(m_t.data() + m_pos - first));
      if (literal.find("e-") != std::string_view::npos ||
          literal.find("E-") != std::string_view::npos) {
        return 0;
      }
      fail("a number outside the range of IEEE-754 doubles");
      return 0;
    }
    if (ec != std::errc() || ptr != m_t.data() + m_pos) {
      fail("invalid number");
    }
    return v;
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(std::uint32_t& out) {
    if (m_pos + 4 > m_t.size()) {
      return false;
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = m_t[m_pos++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  // A string literal, decoded to UTF-8; validates raw UTF-8 and surrogate pairs.
  std::string string() {
    std::string out;
    ++m_pos;  // the opening quote
    while (m_pos < m_t.size()) {
      // Fast path: a run of plain ASCII goes over in one append.
      std::size_t run = m_pos;
      while (run < m_t.size()) {
        const auto b = static_cast<unsigned char>(m_t[run]);
        if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') {
          break;
        }
        ++run;
      }
      if (run > m_pos) {
        out.append(m_t.substr(m_pos, run - m_pos));
        m_pos = run;
        if (m_pos >= m_t.size()) {
          break;
        }
      }
      const auto c = static_cast<unsigned char>(m_t[m_pos]);
      if (c == '"') {
        ++m_pos;
        return out;
      }
      if (c < 0x20) {
        fail("an unescaped control character in a string");
        return out;
      }
      if (c == '\\') {
        ++m_pos;
        if (m_pos >= m_t.size()) {
          break;
        }
        const char e = m_t[m_pos++];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            std::uint32_t cp = 0;
            if (!hex4(cp)) {
              fail("a bad \\u escape");
              return out;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              std::uint32_t lo = 0;
              if (m_t.substr(m_pos, 2) != "\\u" || (m_pos += 2, !hex4(lo)) || lo < 0xDC00 ||
                  lo > 0xDFFF) {
                fail("a lone surrogate");
                return out;
              }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              fail("a lone surrogate");
              return out;
            }
            put_utf8(out, cp);
            break;
          }
          default:
            fail("a bad escape");
            return out;
        }
        continue;
      }
      // Raw UTF-8: copy a whole, valid sequence.
      int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      if (len == 0 || m_pos + static_cast<std::size_t>(len) > m_t.size()) {
        fail("invalid UTF-8");
        return out;
      }
      std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
      for (int i = 1; i < len; ++i) {
        const auto cc = static_cast<unsigned char>(m_t[m_pos + static_cast<std::size_t>(i)]);
        if ((cc & 0xC0) != 0x80) {
          fail("invalid UTF-8");
          return out;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      const bool overlong =
          (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        fail("invalid UTF-8");
        return out;
      }
      out.append(m_t.substr(m_pos, static_cast<std::size_t>(len)));
      m_pos += static_cast<std::size_t>(len);
    }
    fail("an unterminated string");
    return out;
  }

  std::string_view m_t;
  std::size_t m_pos = 0;
  std::string m_error;
};

std::u16string utf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    i += static_cast<std::size_t>(len);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

void write(std::string& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::null:
      out += "null";
      break;
    case Value::Kind::boolean:
      out += v.b ? "true" : "false";
      break;
    case Value::Kind::number:
      out += es_number(v.n);
      break;
    case Value::Kind::string:
      util::append_json_string(out, v.s);
      break;
    case Value::Kind::array:
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) {
          out += ',';
        }
        write(out, *v.items[i]);
      }
      out += ']';
      break;
    case Value::Kind::object: {
      // Sort by UTF-16 code units. For ASCII names that is plain byte order; only names with
      // other characters pay for a UTF-16 conversion.
      std::vector<std::pair<std::u16string, const Member*>> sorted;
      sorted.reserve(v.members.size());
      bool ascii = true;
      for (const auto& m : v.members) {
        ascii &= std::all_of(m.first.begin(), m.first.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      }
      for (const auto& m : v.members) {
        sorted.emplace_back(ascii ? std::u16string() : utf16(m.first), &m);
      }
      if (ascii) {
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto& a, const auto& b) { return a.second->first < b.second->first; });
      } else {
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      out += '{';
      for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (i > 0) {
          out += ',';
        }
        util::append_json_string(out, sorted[i].second->first);
        out += ':';
        write(out, *sorted[i].second->second);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string es_number(double value) {
  if (value == 0) {
    return "0";  // -0 too
  }
  if (value < 0) {
    return "-" + es_number(-value);
  }
  // The shortest round-trip digits and their decimal exponent, from to_chars.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const auto e_at = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e_at)) {
    if (c != '.') {
      digits += c;
    }
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_at + 1 + (sci[e_at + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits x 10^n
  if (k <= n && n <= 21) {
    return digits + std::string(static_cast<std::size_t>(n - k), '0');
  }
  if (0 < n && n <= 21) {
    return digits.substr(0, static_cast<std::size_t>(n)) + "." +
           digits.substr(static_cast<std::size_t>(n));
  }
  if (-6 < n && n <= 0) {
    return "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  }
  const int e = n - 1;
  std::string out = digits.substr(0, 1);
  if (k > 1) {
    out += "." + digits.substr(1);
  }
  out += e >= 0 ? "e+" : "e-";
  out += std::to_string(std::abs(e));
  return out;
}

std::string widen_big_integers(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 8);
  std::size_t i = 0;
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {  // copy a string whole, escapes included
      const std::size_t start = i++;
      while (i < json.size() && json[i] != '"') {
        i += json[i] == '\\' ? 2 : 1;
      }
      i = std::min(i + 1, json.size());
      out.append(json.substr(start, i - start));
      continue;
    }
    if (c != '-' && !is_digit(c)) {
      out.push_back(c);
      ++i;
      continue;
    }
    const std::size_t start = i;
    const bool negative = c == '-';
    i += negative ? 1 : 0;
    const std::size_t digits_at = i;
    while (i < json.size() && is_digit(json[i])) {
      ++i;
    }
    const std::string_view digits = json.substr(digits_at, i - digits_at);
    const bool integer = i >= json.size() || (json[i] != '.' && json[i] != 'e' && json[i] != 'E');
    // The rest of the number (fraction, exponent) is part of this token, not another one.
    while (i < json.size() && (is_digit(json[i]) || json[i] == '.' || json[i] == 'e' ||
                               json[i] == 'E' || json[i] == '+' || json[i] == '-')) {
      ++i;
    }
    out.append(json.substr(start, i - start));
    // Same length: compare as text. Longer: too big.
    const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
    if (integer &&
        (digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit))) {
      out += ".0";
    }
  }
  return out;
}

Result<std::string> canonicalize(std::string_view json, std::span<const std::string_view> drop) {
  Parser parser(json);
  const auto root = parser.parse_document();
  if (!parser.error().empty()) {
    return Result<std::string>::failure(parser.error());
  }
  if (!drop.empty() && root->kind == Value::Kind::object) {
    std::erase_if(root->members, [&](const Member& m) {
      return std::find(drop.begin(), drop.end(), m.first) != drop.end();
    });
  }
  std::string out;
  out.reserve(json.size());
  write(out, *root);
  return out;
}

}  // namespace llmbench::cache
