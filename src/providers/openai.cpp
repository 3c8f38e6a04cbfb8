#include "llmbench/providers/openai.hpp"

#include <fmt/format.h>

#include "body_writer.hpp"
#include "json.hpp"
#include "server_timings.hpp"

namespace llmbench::providers {

namespace {

void read_usage(detail::Fields& f, simdjson::dom::element usage, Response& r) {
  r.input_tokens = f.count(usage, "prompt_tokens");
  r.output_tokens = f.count(usage, "completion_tokens");
  if (auto details = f.object(usage, "prompt_tokens_details")) {
    r.cached_input_tokens = f.count(*details, "cached_tokens");
  }
  if (auto details = f.object(usage, "completion_tokens_details")) {
    r.reasoning_tokens = f.count(*details, "reasoning_tokens");
  }
}

// Reads each of `choices[]`: its `part` (the stream's `delta` or a whole `message`) gives
// reasoning (`reasoning_content`, or `reasoning` on some servers), text and tool-call
// argument output to `emit`, then its finish_reason; then the document's usage. Returns
// whether the document had a `choices` array or a `usage` object; a field of the wrong type
// is left in `f.error()`.
struct Seen {
  bool choices = false;
  bool usage = false;
  bool finish = false;  // a choice's finish_reason
};
template <typename Emit>
Seen read_choices(detail::Fields& f, simdjson::dom::element doc, std::string_view part, Response& r,
                  Emit&& emit) {
  Seen seen;
  if (const auto choices = f.array(doc, "choices")) {
    seen.choices = true;
    for (simdjson::dom::element choice : *choices) {
      if (!f.is_object(choice, "choices[]")) {
        break;
      }
      if (auto m = f.object(choice, part)) {
        std::optional<std::string_view> reasoning = f.str(*m, "reasoning_content");
        if (!reasoning) {
          reasoning = f.str(*m, "reasoning");
        }
        if (reasoning && !reasoning->empty()) {
          emit(ContentKind::reasoning, *reasoning);
        }
        if (auto text = f.str(*m, "content"); text && !text->empty()) {
          emit(ContentKind::text, *text);
        }
        if (auto calls = f.array(*m, "tool_calls")) {
          for (simdjson::dom::element call : *calls) {
            if (!f.is_object(call, "tool_calls[]")) {
              break;
            }
            if (auto fn = f.object(call, "function")) {
              if (auto args = f.str(*fn, "arguments"); args && !args->empty()) {
                emit(ContentKind::tool_args, *args);
              }
            }
          }
        }
      }
      if (auto reason = f.str(choice, "finish_reason")) {
        r.finish_reason = std::string(*reason);
        seen.finish = true;
      }
    }
  }
  if (auto usage = f.object(doc, "usage")) {
    seen.usage = true;
    read_usage(f, *usage, r);
  }
  return seen;
}

}  // namespace

std::string OpenAiCodec::body(const ChatRequest& request) const {
  const suite::RequestParams& p = request.params;
  detail::BodyWriter w(p);
  w.string_field("model", p.model.value_or(""));
  if (w.key("messages")) {
    std::string& out = w.out();
    out += '[';
    bool first = true;
    if (p.system) {
      out += R"({"role":"system","content":)";
      util::append_json_string(out, *p.system);
      out += '}';
      first = false;
    }
    for (const auto& m : request.messages) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += R"({"role":)";
      util::append_json_string(out, m.role);
      out += R"(,"content":)";
      detail::append_content(out, m);
      out += '}';
    }
    out += ']';
  }
  if (p.max_tokens) {
    w.number_field("max_tokens", static_cast<double>(*p.max_tokens));
  }
  if (p.temperature) {
    w.number_field("temperature", *p.temperature);
  }
  if (p.top_p) {
    w.number_field("top_p", *p.top_p);
  }
  if (p.stop) {
    w.string_array_field("stop", *p.stop);
  }
  w.raw_field("stream", request.stream ? "true" : "false");
  if (request.stream) {
    w.raw_field("stream_options", R"({"include_usage":true})");
  }
  return w.finish();
}

net::HttpRequest OpenAiCodec::build(const ChatRequest& request) const {
  std::vector<std::pair<std::string, std::string>> auth;
  if (!request.api_key.empty()) {
    auth.emplace_back("Authorization", "Bearer " + request.api_key);
  }
  return detail::json_post(request, "/chat/completions", body(request), std::move(auth));
}

std::unique_ptr<ResponseParser> OpenAiCodec::parser(const ParserOptions& options) const {
  return std::make_unique<OpenAiParser>(options);
}

bool OpenAiParser::on_event(const net::SseEvent& event, std::int64_t t_ns) {
  if (event.data == "[DONE]") {
    response().terminated = true;
    return true;
  }
  simdjson::dom::element doc;
  if (const auto bad = detail::parse_object(event.data, "a stream event", doc)) {
    fail(net::ErrorClass::protocol, *bad);
    return false;
  }
  if (detail::member(doc, "error")) {
    fail_from_error_json(event.data, 0);
    return false;
  }
  detail::Fields f;
  const Seen seen =
      read_choices(f, doc, "delta", response(),
                   [&](ContentKind kind, std::string_view text) { content(kind, text, t_ns); });
  if (f.error()) {
    fail(net::ErrorClass::protocol, fmt::format("a malformed stream event: {}", *f.error()));
    return false;
  }
  if (!seen.choices && !seen.usage) {
    fail(net::ErrorClass::protocol, "a stream event with neither `choices` nor `usage`");
    return false;
  }
  // Servers put their own timings in the last chunks (the finish or the usage chunk); a
  // server that repeats them on every chunk ends with the final figures there too, so the
  // chunks in between are not searched (this is the hot path).
  if (seen.finish || seen.usage) {
    detail::read_server_timings(doc, response().server);
  }
  return true;
}

void OpenAiParser::on_json_body(std::string_view body, std::int64_t t_ns) {
  simdjson::dom::element doc;
  if (const auto bad = detail::parse_object(body, "the response body", doc)) {
    fail(net::ErrorClass::protocol, *bad);
    return;
  }
  if (detail::member(doc, "error")) {
    fail_from_error_json(body, 0);
    return;
  }
  detail::Fields f;
  const Seen seen =
      read_choices(f, doc, "message", response(),
                   [&](ContentKind kind, std::string_view text) { content(kind, text, t_ns); });
  if (f.error()) {
    fail(net::ErrorClass::protocol, fmt::format("a malformed response body: {}", *f.error()));
    return;
  }
  if (!seen.choices) {
    fail(net::ErrorClass::protocol, "the response has no `choices`");
    return;
  }
  detail::read_server_timings(doc, response().server);
  response().terminated = true;
}

net::ErrorClass OpenAiParser::error_class_for_type(std::string_view type, long status) const {
  if (status != 0) {
    return net::error_class_for_status(status);
  }
  // Mid-stream error objects carry no status; their type or code says what happened.
  if (type == "rate_limit_exceeded" || type == "rate_limit_error" || type == "429" ||
      type == "tokens" || type == "requests") {
    return net::ErrorClass::rate_limited;
  }
  if (type == "invalid_request_error" || type == "authentication_error" ||
      type == "permission_error" || type == "not_found_error" ||
      type == "context_length_exceeded") {
    return net::ErrorClass::http_4xx;
  }
  return net::ErrorClass::http_5xx;  // server_error, overloaded, or anything unnamed
}

}  // namespace llmbench::providers
