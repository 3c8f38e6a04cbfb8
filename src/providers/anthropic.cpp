#include "llmbench/providers/anthropic.hpp"

#include <fmt/format.h>

#include "body_writer.hpp"
#include "json.hpp"

namespace llmbench::providers {

namespace {

// Anthropic requires max_tokens; a suite that leaves it unset gets this.
constexpr std::int64_t k_default_max_tokens = 1024;

// input_tokens excludes cache reads and writes; ours counts every prompt token.
void read_input_usage(simdjson::dom::element usage, Response& r) {
  const auto uncached = detail::int64(usage, "input_tokens");
  const auto created = detail::int64(usage, "cache_creation_input_tokens").value_or(0);
  const auto read = detail::int64(usage, "cache_read_input_tokens").value_or(0);
  if (uncached) {
    r.input_tokens = *uncached + created + read;
    r.cached_input_tokens = read;
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
  if (name == "content_block_delta") {
    const auto delta = detail::member(doc, "delta");
    if (!delta) {
      fail(net::ErrorClass::protocol, "a content_block_delta event without `delta`");
      return false;
    }
    const std::string_view type = detail::str(*delta, "type").value_or("");
    if (type == "text_delta") {
      if (auto text = detail::str(*delta, "text"); text && !text->empty()) {
        content(ContentKind::text, *text, t_ns);
      }
    } else if (type == "thinking_delta") {
      if (auto text = detail::str(*delta, "thinking"); text && !text->empty()) {
        content(ContentKind::reasoning, *text, t_ns);
      }
    } else if (type == "input_json_delta") {
      if (auto json = detail::str(*delta, "partial_json"); json && !json->empty()) {
        content(ContentKind::tool_args, *json, t_ns);
      }
    }
    // signature_delta and types yet to come carry no output.
    return true;
  }
  if (name == "message_start") {
    if (auto message = detail::member(doc, "message")) {
      if (auto usage = detail::member(*message, "usage")) {
        read_input_usage(*usage, response());
      }
    }
    return true;
  }
  if (name == "message_delta") {
    if (auto delta = detail::member(doc, "delta")) {
      if (auto reason = detail::str(*delta, "stop_reason")) {
        response().finish_reason = std::string(*reason);
      }
    }
    if (auto usage = detail::member(doc, "usage")) {
      if (auto out = detail::int64(*usage, "output_tokens")) {
        response().output_tokens = out;  // cumulative: the last one is the total
      }
      if (detail::int64(*usage, "input_tokens")) {
        read_input_usage(*usage, response());
      }
    }
    return true;
  }
  return true;  // unknown events are allowed by the API's versioning policy
}

void AnthropicParser::on_json_body(std::string_view body, std::int64_t t_ns) {
  simdjson::dom::element doc;
  if (const auto err = detail::parse_json(body).get(doc); err != simdjson::SUCCESS) {
    fail(net::ErrorClass::protocol,
         fmt::format("malformed JSON response body ({})", simdjson::error_message(err)));
    return;
  }
  if (detail::str(doc, "type") == std::optional<std::string_view>("error")) {
    fail_from_error_json(body, 0);
    return;
  }
  simdjson::dom::array blocks;
  if (doc["content"].get_array().get(blocks) != simdjson::SUCCESS) {
    fail(net::ErrorClass::protocol, "the response has no `content`");
    return;
  }
  for (simdjson::dom::element block : blocks) {
    const std::string_view type = detail::str(block, "type").value_or("");
    if (type == "text") {
      content(ContentKind::text, detail::str(block, "text").value_or(""), t_ns);
    } else if (type == "thinking") {
      content(ContentKind::reasoning, detail::str(block, "thinking").value_or(""), t_ns);
    } else if (type == "tool_use") {
      content(ContentKind::tool_args, simdjson::minify(block["input"]), t_ns);
    }
  }
  if (auto reason = detail::str(doc, "stop_reason")) {
    response().finish_reason = std::string(*reason);
  }
  if (auto usage = detail::member(doc, "usage")) {
    read_input_usage(*usage, response());
    response().output_tokens = detail::int64(*usage, "output_tokens");
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
