#include "llmbench/cache/traces.hpp"

// Unicode normalization comes from ICU (Debian's libicu-dev), an addition to DESIGN.md's
// dependency list: NFKC needs the Unicode character database, which is not ours to rewrite.
#include <fmt/format.h>
#include <simdjson.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "llmbench/cache/jcs.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::cache {

namespace {

using simdjson::dom::element;

// Parses JSON text; integers beyond 64 bits (which canonical text may hold) are read as the
// doubles they stand for instead of failing.
simdjson::error_code parse_doc(simdjson::dom::parser& parser, std::string_view text, element& doc) {
  auto err = parser.parse(simdjson::padded_string(text)).get(doc);
  if (err == simdjson::NUMBER_ERROR) {
    err = parser.parse(simdjson::padded_string(widen_big_integers(text))).get(doc);
  }
  return err;
}

std::optional<std::string> get_str(element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) {
    return std::string(v);
  }
  return std::nullopt;
}

std::optional<double> get_num(element e, std::string_view key) {
  double v = 0;
  if (e[key].get_double().get(v) == simdjson::SUCCESS) {
    return v;
  }
  return std::nullopt;
}

// Text parts of a content array joined (OpenAI {"type":"text","text"} and Anthropic blocks).
std::string joined_text(simdjson::dom::array parts) {
  std::string out;
  for (element part : parts) {
    std::string_view text;
    if (part["text"].get_string().get(text) == simdjson::SUCCESS) {
      out += text;
    }
  }
  return out;
}

Result<TraceRow> read_request(std::string_view provider, element doc) {
  using R = Result<TraceRow>;
  if (!doc.is_object()) {
    return R::failure("the request is not a JSON object");
  }
  TraceRow row;
  auto& p = row.params;
  p.model = get_str(doc, "model");
  for (const std::string_view key : {"max_tokens", "max_completion_tokens"}) {
    double number = 0;
    if (doc[key].get_double().get(number) != simdjson::SUCCESS) {
      continue;
    }
    // A whole number of tokens that fits the suite's own limit; anything else (1e300, -1,
    // 2.5) is refused here rather than cast out of range.
    if (!(number >= 1 && number <= suite::k_max_tokens_limit) || number != std::floor(number)) {
      return R::failure(fmt::format("`{}` is {}; it must be a whole number from 1 to {}", key,
                                    number, suite::k_max_tokens_limit));
    }
    p.max_tokens = static_cast<std::int64_t>(number);
    break;
  }
  p.temperature = get_num(doc, "temperature");
  p.top_p = get_num(doc, "top_p");
  element stop;
  if (doc["stop"].get(stop) == simdjson::SUCCESS ||
      doc["stop_sequences"].get(stop) == simdjson::SUCCESS) {
    std::vector<std::string> stops;
    std::string_view one;
    simdjson::dom::array many;
    if (stop.get_string().get(one) == simdjson::SUCCESS) {
      stops.emplace_back(one);
    } else if (stop.get_array().get(many) == simdjson::SUCCESS) {
      for (element s : many) {
        if (s.get_string().get(one) == simdjson::SUCCESS) {
          stops.emplace_back(one);
        }
      }
    }
    if (!stops.empty()) {
      p.stop = std::move(stops);
    }
  }
  if (provider == "anthropic") {
    element system;
    std::string_view text;
    simdjson::dom::array blocks;
    if (doc["system"].get(system) == simdjson::SUCCESS) {
      if (system.get_string().get(text) == simdjson::SUCCESS) {
        p.system = std::string(text);
      } else if (system.get_array().get(blocks) == simdjson::SUCCESS) {
        p.system = joined_text(blocks);
      }
    }
  }
  simdjson::dom::array messages;
  if (doc["messages"].get_array().get(messages) != simdjson::SUCCESS) {
    return R::failure("the request has no `messages` array");
  }
  for (element m : messages) {
    suite::Message msg;
    std::string_view role;
    if (m["role"].get_string().get(role) != simdjson::SUCCESS) {
      return R::failure("a message has no `role`");
    }
    msg.role = std::string(role);
    std::string_view text;
    simdjson::dom::array parts;
    if (m["content"].get_string().get(text) == simdjson::SUCCESS) {
      msg.text = std::string(text);
    } else if (m["content"].get_array().get(parts) == simdjson::SUCCESS) {
      msg.text = joined_text(parts);
      msg.content_json = simdjson::minify(m["content"]);
    } else {
      msg.text = "";  // e.g. an assistant turn with tool calls only
    }
    row.messages.push_back(std::move(msg));
  }
  return row;
}

std::optional<std::string> read_output(element doc) {
  std::string_view text;
  if (doc.get_string().get(text) == simdjson::SUCCESS) {
    return std::string(text);
  }
  simdjson::dom::array choices;
  if (doc["choices"].get_array().get(choices) == simdjson::SUCCESS) {
    for (element choice : choices) {
      element content;
      if (choice["message"]["content"].get(content) != simdjson::SUCCESS || content.is_null()) {
        return std::string();
      }
      simdjson::dom::array parts;
      if (content.get_string().get(text) == simdjson::SUCCESS) {
        return std::string(text);
      }
      if (content.get_array().get(parts) == simdjson::SUCCESS) {
        return joined_text(parts);
      }
      return std::nullopt;
    }
    return std::string();
  }
  simdjson::dom::array blocks;
  if (doc["content"].get_array().get(blocks) == simdjson::SUCCESS) {
    std::string out;
    for (element block : blocks) {
      if (get_str(block, "type") == std::optional<std::string>("text")) {
        out += get_str(block, "text").value_or("");
      }
    }
    return out;
  }
  return std::nullopt;
}

// Where two strings first differ, with a little of each side for the note.
std::string first_difference(std::string_view a, std::string_view b, std::string_view unit) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    ++i;
  }
  const auto clip = [&](std::string_view s) {
    std::string out(s.substr(i, 24));
    for (auto& c : out) {
      c = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    return out;
  };
  return fmt::format("differs at {} {} (recorded \"{}\", new \"{}\")", unit, i, clip(a), clip(b));
}

}  // namespace

Result<TraceRow> trace_from_request(std::string_view provider, std::string_view body) {
  simdjson::dom::parser parser;
  element doc;
  if (parse_doc(parser, body, doc) != simdjson::SUCCESS) {
    return Result<TraceRow>::failure("the request body is not JSON");
  }
  return read_request(provider, doc);
}

std::optional<std::string> output_text(std::string_view body) {
  simdjson::dom::parser parser;
  element doc;
  if (parse_doc(parser, body, doc) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return read_output(doc);
}

std::vector<TraceRow> traces_from_cache(CacheStore& store, std::vector<Unreadable>* unreadable) {
  std::vector<TraceRow> rows;
  simdjson::dom::parser parser;
  auto entries = store.list();
  std::reverse(entries.begin(), entries.end());  // oldest first
  for (const auto& entry : entries) {
    const auto cached = store.peek(entry.fingerprint);
    element doc;
    element body;
    if (!cached || parse_doc(parser, cached->canonical_request, doc) != simdjson::SUCCESS ||
        doc["body"].get(body) != simdjson::SUCCESS) {
      if (unreadable != nullptr) {
        unreadable->push_back({entry.fingerprint, "its request is not JSON with a `body`"});
        continue;
      }
      throw InputError(fmt::format("cache entry {} is unreadable (run `llmbench cache verify`)",
                                   entry.fingerprint));
    }
    auto row = read_request(cached->provider, body);
    if (!row) {
      if (unreadable != nullptr) {
        unreadable->push_back({entry.fingerprint, row.error()});
        continue;
      }
      throw InputError(
          fmt::format("cache entry {}: {}", entry.fingerprint.substr(0, 16), row.error()));
    }
    row->id = entry.fingerprint.substr(0, 16);
    row->recorded_output = output_text(cached->body).value_or("");
    row->recorded_ms = static_cast<double>(cached->duration_ms);
    row->recorded_ttft_ms = static_cast<double>(cached->ttft_ms);
    rows.push_back(std::move(*row));
  }
  return rows;
}

std::vector<TraceRow> traces_from_run(store::Database& db, const std::string& run_id) {
  auto st = db.prepare(
      "SELECT r.target, r.prompt_id, r.seq, t.provider, r.request_body, "
      "COALESCE(r.response_text, ''), r.t_send_ns, r.t_first_token_ns, r.t_done_ns "
      "FROM requests r JOIN run_targets t ON t.run_id = r.run_id AND t.target = r.target "
      "WHERE r.run_id = ? AND r.warmup = 0 AND r.error_class IS NULL "
      "AND r.request_body IS NOT NULL ORDER BY r.seq");
  st.bind(1, run_id);
  std::vector<TraceRow> rows;
  while (st.step()) {
    const std::string provider = st.text(3) == "anthropic" ? "anthropic" : "openai";
    auto row = trace_from_request(provider, st.text(4));
    if (!row) {
      continue;  // not a chat body we can read: nothing to replay
    }
    row->id = fmt::format("{}/{}#{}", st.text(0), st.text(1), st.int64(2));
    row->recorded_output = st.text(5);
    if (!st.is_null(6) && !st.is_null(8)) {
      row->recorded_ms = static_cast<double>(st.int64(8) - st.int64(6)) / 1e6;
    }
    if (!st.is_null(6) && !st.is_null(7)) {
      row->recorded_ttft_ms = static_cast<double>(st.int64(7) - st.int64(6)) / 1e6;
    }
    rows.push_back(std::move(*row));
  }
  if (rows.empty()) {
    throw InputError(
        fmt::format("run {} kept no request and response text to replay (run the suite with "
                    "store_content = true in [suite])",
                    run_id));
  }
  return rows;
}

std::vector<TraceRow> read_trace_bundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("cannot read {} (check the path)", path));
  }
  std::vector<TraceRow> rows;
  simdjson::dom::parser parser;
  std::string line;
  std::int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") {
      continue;
    }
    const auto bad = [&](std::string_view why) {
      return InputError(
          fmt::format("{}:{}: {} (rows are f3dx trace rows {{\"prompt\", \"output\", ...}} or "
                      "{{\"request\": {{...}}, \"response\": {{...}}}})",
                      path, line_no, why));
    };
    element doc;
    if (parse_doc(parser, line, doc) != simdjson::SUCCESS || !doc.is_object()) {
      throw bad("not a JSON object");
    }
    TraceRow row;
    element request;
    if (doc["request"].get(request) == simdjson::SUCCESS) {
      auto read = read_request("openai", request);
      if (!read) {
        throw bad(read.error());
      }
      row = std::move(*read);
      element response;
      if (doc["response"].get(response) != simdjson::SUCCESS) {
        throw bad("`response` is missing");
      }
      auto out = read_output(response);
      if (!out) {
        throw bad("`response` is not a chat.completion, an Anthropic message or a string");
      }
      row.recorded_output = std::move(*out);
    } else {
      const auto prompt = get_str(doc, "prompt");
      const auto output = get_str(doc, "output");
      if (!prompt || !output) {
        throw bad("the row has neither `request` nor `prompt` and `output` strings");
      }
      row.params.model = get_str(doc, "model");
      if (auto system = get_str(doc, "system_prompt"); system && !system->empty()) {
        row.messages.push_back({"system", *system, ""});
      }
      row.messages.push_back({"user", *prompt, ""});
      row.recorded_output = *output;
    }
    row.id = get_str(doc, "trace_id").value_or(get_str(doc, "id").value_or(""));
    if (row.id.empty()) {
      row.id = fmt::format("line {}", line_no);
    }
    row.recorded_ms = get_num(doc, "latency_ms");
    row.recorded_ttft_ms = get_num(doc, "ttft_ms");
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    throw InputError(fmt::format("{} has no rows", path));
  }
  return rows;
}

std::optional<DiffMode> diff_mode_from_string(std::string_view s) {
  if (s == "bytes") {
    return DiffMode::bytes;
  }
  if (s == "structured") {
    return DiffMode::structured;
  }
  if (s == "text") {
    return DiffMode::text;
  }
  return std::nullopt;
}

std::string normalize_text(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
  icu::UnicodeString normalized = U_SUCCESS(status) ? nfkc->normalize(in, status) : in;
  if (U_FAILURE(status)) {
    normalized = in;
  }
  icu::UnicodeString collapsed;
  bool space = false;
  for (std::int32_t i = 0; i < normalized.length();) {
    const UChar32 c = normalized.char32At(i);
    i += U16_LENGTH(c);
    if (u_isUWhiteSpace(c)) {
      space = !collapsed.isEmpty();
      continue;
    }
    if (space) {
      collapsed.append(static_cast<UChar32>(' '));
      space = false;
    }
    collapsed.append(c);
  }
  std::string out;
  collapsed.toUTF8String(out);
  return out;
}

Verdict compare_outputs(DiffMode mode, std::string_view recorded, std::string_view fresh) {
  switch (mode) {
    case DiffMode::bytes:
      if (recorded == fresh) {
        return {true, ""};
      }
      return {false, first_difference(recorded, fresh, "byte")};
    case DiffMode::structured: {
      const auto a = canonicalize(recorded);
      const auto b = canonicalize(fresh);
      if (!a || !b) {
        return {false, !a && !b ? "neither output is JSON"
                       : !a     ? "the recorded output is not JSON"
                                : "the new output is not JSON"};
      }
      if (*a == *b) {
        return {true, ""};
      }
      return {false, first_difference(*a, *b, "canonical byte")};
    }
    case DiffMode::text: {
      const std::string a = normalize_text(recorded);
      const std::string b = normalize_text(fresh);
      if (a == b) {
        return {true, ""};
      }
      return {false, first_difference(a, b, "normalized byte")};
    }
  }
  return {false, "unknown diff mode"};
}

}  // namespace llmbench::cache
