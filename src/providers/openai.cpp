#include "llmbench/providers/openai.hpp"

#include <fmt/format.h>

#include "body_writer.hpp"
#include "json.hpp"

namespace llmbench::providers {

namespace {

void read_usage(simdjson::dom::element usage, Response& r) {
  r.input_tokens = detail::int64(usage, "prompt_tokens");
  r.output_tokens = detail::int64(usage, "completion_tokens");
  if (auto details = detail::member(usage, "prompt_tokens_details")) {
    r.cached_input_tokens = detail::int64(*details, "cached_tokens");
  }
  if (auto details = detail::member(usage, "completion_tokens_details")) {
    r.reasoning_tokens = detail::int64(*details, "reasoning_tokens");
  }
}

// Reads each of `choices[]`: its `part` (the stream's `delta` or a whole `message`) gives
// reasoning (`reasoning_content`, or `reasoning` on some servers), text and tool-call
// argument output to `emit`, then its finish_reason; then the document's usage. False when
// there is no `choices` array.
template <typename Emit>
bool read_choices(simdjson::dom::element doc, std::string_view part, Response& r, Emit&& emit) {
  simdjson::dom::array choices;
  const bool has_choices = doc["choices"].get_array().get(choices) == simdjson::SUCCESS;
  for (simdjson::dom::element choice : choices) {
    if (auto m = detail::member(choice, part)) {
      std::optional<std::string_view> reasoning = detail::str(*m, "reasoning_content");
      if (!reasoning) {
        reasoning = detail::str(*m, "reasoning");
      }
      if (reasoning && !reasoning->empty()) {
        emit(ContentKind::reasoning, *reasoning);
      }
      if (auto text = detail::str(*m, "content"); text && !text->empty()) {
        emit(ContentKind::text, *text);
      }
      simdjson::dom::array calls;
      if ((*m)["tool_calls"].get_array().get(calls) == simdjson::SUCCESS) {
        for (simdjson::dom::element call : calls) {
          if (auto fn = detail::member(call, "function")) {
            if (auto args = detail::str(*fn, "arguments"); args && !args->empty()) {
              emit(ContentKind::tool_args, *args);
            }
          }
        }
      }
    }
    if (auto reason = detail::str(choice, "finish_reason")) {
      r.finish_reason = std::string(*reason);
    }
  }
  if (auto usage = detail::member(doc, "usage"); usage && usage->is_object()) {
    read_usage(*usage, r);
  }
  return has_choices;
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
  if (const auto err = detail::parse_json(event.data).get(doc); err != simdjson::SUCCESS) {
    fail(net::ErrorClass::protocol,
         fmt::format("malformed JSON in a stream event ({})", simdjson::error_message(err)));
    return false;
  }
  if (auto error = detail::member(doc, "error")) {
    fail_from_error_json(event.data, 0);
    return false;
  }
  read_choices(doc, "delta", response(),
               [&](ContentKind kind, std::string_view text) { content(kind, text, t_ns); });
  return true;
}

void OpenAiParser::on_json_body(std::string_view body, std::int64_t t_ns) {
  simdjson::dom::element doc;
  if (const auto err = detail::parse_json(body).get(doc); err != simdjson::SUCCESS) {
    fail(net::ErrorClass::protocol,
         fmt::format("malformed JSON response body ({})", simdjson::error_message(err)));
    return;
  }
  if (detail::member(doc, "error")) {
    fail_from_error_json(body, 0);
    return;
  }
  if (!read_choices(doc, "message", response(),
                    [&](ContentKind kind, std::string_view text) { content(kind, text, t_ns); })) {
    fail(net::ErrorClass::protocol, "the response has no `choices`");
    return;
  }
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
