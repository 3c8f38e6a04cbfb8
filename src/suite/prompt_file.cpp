#include "llmbench/suite/prompt_file.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::suite {

const std::vector<std::string_view> k_prompt_line_keys = {
    "id", "messages", "prompt", "system", "max_tokens", "temperature", "top_p", "stop", "extra"};

namespace {

constexpr std::string_view k_roles[] = {"system", "developer", "user", "assistant", "tool"};

// Column of `"key"` in the line, so a key's problem points at the key.
std::uint32_t column_of_key(std::string_view line, std::string_view key) {
  const std::string quoted = fmt::format("\"{}\"", key);
  const std::size_t at = line.find(quoted);
  return at == std::string_view::npos ? 1 : static_cast<std::uint32_t>(at + 1);
}

bool read_messages(simdjson::dom::element messages, const SourcePos& at, Prompt& out,
                   Diagnostics& diags) {
  simdjson::dom::array array;
  if (messages.get_array().get(array) != simdjson::SUCCESS) {
    diags.error(at, "\"messages\" must be an array of {\"role\", \"content\"} objects");
    return false;
  }
  std::size_t index = 0;
  for (simdjson::dom::element m : array) {
    ++index;
    std::string_view role;
    simdjson::dom::element content;
    if (!m.is_object() || m["role"].get_string().get(role) != simdjson::SUCCESS ||
        m["content"].get(content) != simdjson::SUCCESS) {
      diags.error(at, fmt::format("message {} needs a string \"role\" and a \"content\"", index));
      return false;
    }
    if (std::find(std::begin(k_roles), std::end(k_roles), role) == std::end(k_roles)) {
      diags.error(at, fmt::format("message {} has unknown role \"{}\" (one of: system, developer, "
                                  "user, assistant, tool)",
                                  index, role));
      return false;
    }
    Message msg;
    msg.role = std::string(role);
    if (content.is_string()) {
      msg.text = std::string(content.get_string().value());
    } else if (content.is_array()) {
      msg.content_json = simdjson::minify(content);
      for (simdjson::dom::element part : content.get_array()) {
        std::string_view text;
        if (part.is_object() && part["text"].get_string().get(text) == simdjson::SUCCESS) {
          msg.text += text;
        }
      }
    } else {
      diags.error(at,
                  fmt::format("message {} content must be a string or an array of parts", index));
      return false;
    }
    out.messages.push_back(std::move(msg));
  }
  if (out.messages.empty()) {
    diags.error(at, "\"messages\" is empty");
    return false;
  }
  return true;
}

}  // namespace

bool parse_prompt_line(std::string_view line, const SourcePos& pos, const std::string& default_id,
                       Prompt& out, Diagnostics& diags) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(line);
  if (const auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    diags.error(pos, fmt::format("malformed JSON: {}", simdjson::error_message(err)));
    return false;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    diags.error(pos, "each line must be a JSON object such as {\"id\": ..., \"messages\": [...]}");
    return false;
  }
  const auto at = [&](std::string_view key) {
    return SourcePos{pos.file, pos.line, column_of_key(line, key)};
  };
  bool ok = true;
  out.pos = pos;
  out.id = default_id;
  bool have_messages = false;
  for (const auto field : obj) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    if (key == "id") {
      if (value.is_string()) {
        out.id = std::string(value.get_string().value());
      } else if (value.is_int64()) {
        out.id = std::to_string(value.get_int64().value());
      } else {
        diags.error(at(key), "\"id\" must be a string or an integer");
        ok = false;
      }
    } else if (key == "messages") {
      ok = read_messages(value, at(key), out, diags) && ok;
      have_messages = true;
    } else if (key == "prompt") {
      if (!value.is_string()) {
        diags.error(at(key), "\"prompt\" must be a string");
        ok = false;
      } else {
        out.messages.push_back({"user", std::string(value.get_string().value()), ""});
        have_messages = true;
      }
    } else if (key == "system") {
      if (!value.is_string()) {
        diags.error(at(key), "\"system\" must be a string");
        ok = false;
      } else {
        out.params.system = std::string(value.get_string().value());
      }
    } else if (key == "max_tokens") {
      if (!value.is_int64() || value.get_int64().value() < 1 ||
          value.get_int64().value() > k_max_tokens_limit) {
        diags.error(at(key), fmt::format("\"max_tokens\" must be a whole number from 1 to {}",
                                         k_max_tokens_limit));
        ok = false;
      } else {
        out.params.max_tokens = value.get_int64().value();
      }
    } else if (key == "temperature" || key == "top_p") {
      double v = 0;
      if (value.get_double().get(v) != simdjson::SUCCESS || v < 0 || v > 2) {
        diags.error(at(key), fmt::format("\"{}\" must be a number between 0 and 2", key));
        ok = false;
      } else {
        (key == "temperature" ? out.params.temperature : out.params.top_p) = v;
      }
    } else if (key == "stop") {
      std::vector<std::string> stops;
      if (value.is_string()) {
        stops.emplace_back(value.get_string().value());
      } else if (value.is_array()) {
        for (simdjson::dom::element s : value.get_array()) {
          if (!s.is_string()) {
            ok = false;
            break;
          }
          stops.emplace_back(s.get_string().value());
        }
      } else {
        ok = false;
      }
      if (!ok) {
        diags.error(at(key), "\"stop\" must be a string or an array of strings");
      } else {
        out.params.stop = std::move(stops);
      }
    } else if (key == "extra") {
      simdjson::dom::object extra;
      if (value.get_object().get(extra) != simdjson::SUCCESS) {
        diags.error(at(key), "\"extra\" must be an object of body fields");
        ok = false;
      } else {
        for (const auto kv : extra) {
          out.params.extra.emplace_back(std::string(kv.key), simdjson::minify(kv.value));
        }
      }
    } else {
      const auto near = util::closest_match(key, k_prompt_line_keys);
      diags.error(at(key), fmt::format("unknown key \"{}\"{}", key,
                                       near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
      ok = false;
    }
  }
  if (!have_messages && ok) {
    diags.error(pos, "the line has no \"messages\" (or \"prompt\")");
    ok = false;
  }
  return ok;
}

std::vector<Prompt> read_prompt_file(const std::string& path, const SourcePos& referenced_at,
                                     Diagnostics& diags, std::string& content) {
  std::vector<Prompt> prompts;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error(referenced_at, fmt::format("prompt file {} is a directory", path));
    return prompts;
  }
  // A device or pipe (/dev/zero) would be read forever.
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    diags.error(referenced_at, fmt::format("prompt file {} is not a regular file", path));
    return prompts;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(
        referenced_at,
        fmt::format("cannot read prompt file {} (paths are relative to the suite file)", path));
    return prompts;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  content = buf.str();
  const std::string stem = std::filesystem::path(path).stem().string();
  const std::size_t errors_before = diags.error_count();
  std::uint32_t line_no = 0;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) {
      end = content.size();
    }
    ++line_no;
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (util::trim(line).empty()) {
      continue;
    }
    Prompt p;
    if (parse_prompt_line(line, SourcePos{path, line_no, 1}, fmt::format("{}:{}", stem, line_no), p,
                          diags)) {
      prompts.push_back(std::move(p));
    }
  }
  if (prompts.empty() && diags.error_count() == errors_before) {
    diags.error(referenced_at, fmt::format("prompt file {} has no prompts", path));
  }
  return prompts;
}

}  // namespace llmbench::suite
