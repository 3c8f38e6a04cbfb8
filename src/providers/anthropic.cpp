#include "llmbench/providers/anthropic.hpp"

#include <fmt/format.h>

#include "body_writer.hpp"
#include "json.hpp"

namespace llmbench::providers {

namespace {

// Anthropic requires max_tokens; a suite that leaves it unset gets this.
constexpr std::int64_t k_default_max_tokens = 1024;

// input_tokens excludes cache reads and writes; ours counts every prompt token.
void read_input_usage(detail::Fields& f, simdjson::dom::element usage, Response& r) {
  const auto uncached = f.count(usage, "input_tokens");
  const auto created = f.count(usage, "cache_creation_input_tokens").value_or(0);
  const auto read = f.count(usage, "cache_read_input_tokens").value_or(0);
  if (uncached) {
    r.input_tokens = *uncached + created + read;
    r.cached_input_tokens = read;
  }
}

// Reads one stream event's content and usage; a field of the wrong type is left in
// `f.error()`.
template <typename Emit>
void read_event(detail::Fields& f, std::string_view name, simdjson::dom::element doc, Response& r,
                Emit&& emit) {
  if (name == "content_block_delta") {
    const auto delta = f.object(doc, "delta");
    if (!delta) {
      return;
    }
    const std::string_view type = f.str(*delta, "type").value_or("");
    if (type == "text_delta") {
      if (auto text = f.str(*delta, "text"); text && !text->empty()) {
        emit(ContentKind::text, *text);
      }
    } else if (type == "thinking_delta") {
      if (auto text = f.str(*delta, "thinking"); text && !text->empty()) {
        emit(ContentKind::reasoning, *text);
      }
    } else if (type == "input_json_delta") {
      if (auto json = f.str(*delta, "partial_json"); json && !json->empty()) {
        emit(ContentKind::tool_args, *json);
      }
    }
    // signature_delta and types yet to come carry no output.
  } else if (name == "message_start") {
    if (auto message = f.object(doc, "message")) {
      if (auto usage = f.object(*message, "usage")) {
        read_input_usage(f, *usage, r);
      }
    }
  } else if (name == "message_delta") {
    if (auto delta = f.object(doc, "delta")) {
      if (auto reason = f.str(*delta, "stop_reason")) {
        r.finish_reason = std::string(*reason);
      }
    }
    if (auto usage = f.object(doc, "usage")) {
      if (auto out = f.count(*usage, "output_tokens")) {
        r.output_tokens = out;  // cumulative: the last one is the total
      }
      if (f.count(*usage, "input_tokens")) {
        read_input_usage(f, *usage, r);
      }
    }
  }
}

}  // namespace

std::string AnthropicCodec::body(const ChatRequest& request) const {
  const suite::RequestParams& p = request.params;
  detail::BodyWriter w(p);
  w.string_field("model", p.model.value_or(""));
  w.number_field("max_tokens", static_cast<double>(p.max_tokens.value_or(k_default_max_tokens)));
  // System text goes in its own field: the suite's `system`, then any system-role messages.
  std::string system = p.system.value_or("");
  for (const auto& m : request.messages) {
    if (m.role == "system" || m.role == "developer") {
      if (!system.empty()) {
        system += "\n\n";
      }
      system += m.text;
    }
  }
  if (!system.empty()) {
    w.string_field("system", system);
  }
  if (w.key("messages")) {
    std::string& out = w.out();
    out += '[';
    bool first = true;
    for (const auto& m : request.messages) {
      if (m.role == "system" || m.role == "developer") {
        continue;
      }
      if (!first) {
        out += ',';
      }
      first = false;
      out += R"({"role":)";
      util::append_json_string(out, m.role == "assistant" ? "assistant" : "user");
      out += R"(,"content":)";
      detail::append_content(out, m);
      out += '}';
    }
    out += ']';
  }
  if (p.temperature) {
    w.number_field("temperature", *p.temperature);
  }
  if (p.top_p) {
    w.number_field("top_p", *p.top_p);
  }
  if (p.stop) {
    w.string_array_field("stop_sequences", *p.stop);
  }
  w.raw_field("stream", request.stream ? "true" : "false");
  return w.finish();
}

net::HttpRequest AnthropicCodec::build(const ChatRequest& request) const {
  std::vector<std::pair<std::string, std::string>> auth = {
      {"anthropic-version", std::string(k_anthropic_version)}};
  if (!request.api_key.empty()) {
    auth.emplace_back("x-api-key", request.api_key);
  }
  return detail::json_post(request, "/messages", body(request), std::move(auth));
}

std::unique_ptr<ResponseParser> AnthropicCodec::parser(const ParserOptions& options) const {
  return std::make_unique<AnthropicParser>(options);
}

bool AnthropicParser::on_event(const net::SseEvent& event, std::int64_t t_ns) {
  const std::string_view name = event.event;
  if (name == "ping" || name == "content_block_stop" || name == "content_block_start") {
    // content_block_start carries an empty text or tool shell, not output.
    return true;
  }
  if (name == "message_stop") {
    response().terminated = true;
    return true;
  }
  if (name == "error") {
    fail_from_error_json(event.data, 0);
    return false;
  }
  simdjson::dom::element doc;
  if (const auto err = detail::parse_json(event.data).get(doc); err != simdjson::SUCCESS) {
    fail(net::ErrorClass::protocol,
         fmt::format("malformed JSON in a `{}` event ({})", name, simdjson::error_message(err)));
    return false;
  }
  if (!doc.is_object()) {
    fail(net::ErrorClass::protocol, fmt::format("a `{}` event is not a JSON object", name));
    return false;
  }
  detail::Fields f;
  read_event(f, name, doc, response(),
             [&](ContentKind kind, std::string_view text) { content(kind, text, t_ns); });
  if (f.error()) {
    fail(net::ErrorClass::protocol, fmt::format("a malformed `{}` event: {}", name, *f.error()));
    return false;
  }
  if (name == "content_block_delta" && !f.object(doc, "delta")) {
    fail(net::ErrorClass::protocol, "a content_block_delta event without `delta`");
    return false;
  }
  return true;  // unknown events are allowed by the API's versioning policy
}

void AnthropicParser::on_json_body(std::string_view body, std::int64_t t_ns) {
  simdjson::dom::element doc;
  if (const auto bad = detail::parse_object(body, "the response body", doc)) {
    fail(net::ErrorClass::protocol, *bad);
    return;
  }
  if (detail::str(doc, "type") == std::optional<std::string_view>("error")) {
    fail_from_error_json(body, 0);
    return;
  }
  detail::Fields f;
  const auto blocks = f.array(doc, "content");
  if (!blocks) {
    fail(net::ErrorClass::protocol, f.error()
                                        ? fmt::format("a malformed response body: {}", *f.error())
                                        : "the response has no `content`");
    return;
  }
  for (simdjson::dom::element block : *blocks) {
    if (!f.is_object(block, "content[]")) {
      break;
    }
    const std::string_view type = f.str(block, "type").value_or("");
    if (type == "text") {
      content(ContentKind::text, f.str(block, "text").value_or(""), t_ns);
    } else if (type == "thinking") {
      content(ContentKind::reasoning, f.str(block, "thinking").value_or(""), t_ns);
    } else if (type == "tool_use") {
      const auto input = f.object(block, "input");
      if (!input) {
        fail(net::ErrorClass::protocol,
             f.error() ? fmt::format("a malformed response body: {}", *f.error())
                       : "a `tool_use` block without `input`");
        return;
      }
      content(ContentKind::tool_args, simdjson::minify(*input), t_ns);
    }
  }
  if (auto reason = f.str(doc, "stop_reason")) {
    response().finish_reason = std::string(*reason);
  }
  if (auto usage = f.object(doc, "usage")) {
    read_input_usage(f, *usage, response());
    response().output_tokens = f.count(*usage, "output_tokens");
  }
  if (f.error()) {
    fail(net::ErrorClass::protocol, fmt::format("a malformed response body: {}", *f.error()));
    return;
  }
  response().terminated = true;
}

net::ErrorClass AnthropicParser::error_class_for_type(std::string_view type, long status) const {
  if (type == "rate_limit_error") {
    return net::ErrorClass::rate_limited;
  }
  if (type == "overloaded_error" || type == "api_error" || type == "timeout_error") {
    return net::ErrorClass::http_5xx;
  }
  if (status != 0) {
    return net::error_class_for_status(status);
  }
  if (type == "invalid_request_error" || type == "authentication_error" ||
      type == "permission_error" || type == "not_found_error" || type == "request_too_large" ||
      type == "billing_error") {
    return net::ErrorClass::http_4xx;
  }
  return net::ErrorClass::http_5xx;
}

}  // namespace llmbench::providers
