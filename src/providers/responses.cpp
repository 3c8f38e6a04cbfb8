#include "llmbench/providers/responses.hpp"

#include <fmt/format.h>

#include "body_writer.hpp"
#include "json.hpp"

namespace llmbench::providers {

namespace {

// `response.usage` of a final event, or of a whole body.
void read_usage(detail::Fields& f, simdjson::dom::element response, Response& r) {
  const auto usage = f.object(response, "usage");
  if (!usage) {
    return;
  }
  r.input_tokens = f.count(*usage, "input_tokens");
  r.output_tokens = f.count(*usage, "output_tokens");
  if (auto details = f.object(*usage, "input_tokens_details")) {
    r.cached_input_tokens = f.count(*details, "cached_tokens");
  }
  if (auto details = f.object(*usage, "output_tokens_details")) {
    r.reasoning_tokens = f.count(*details, "reasoning_tokens");
  }
}

// The content kind of a delta event, or nothing for an event that carries no output.
std::optional<ContentKind> delta_kind(std::string_view type) {
  if (type == "response.output_text.delta" || type == "response.refusal.delta") {
    return ContentKind::text;
  }
  if (type == "response.reasoning_summary_text.delta" || type == "response.reasoning_text.delta") {
    return ContentKind::reasoning;
  }
  if (type == "response.function_call_arguments.delta" ||
      type == "response.custom_tool_call_input.delta") {
    return ContentKind::tool_args;
  }
  return std::nullopt;
}

}  // namespace

const Codec& responses_codec() {
  static const ResponsesCodec codec;
  return codec;
}

std::string ResponsesCodec::body(const ChatRequest& request) const {
  const suite::RequestParams& p = request.params;
  detail::BodyWriter w(p);
  w.string_field("model", p.model.value_or(""));
  if (p.system) {
    w.string_field("instructions", *p.system);
  }
  if (w.key("input")) {
    std::string& out = w.out();
    out += '[';
    for (std::size_t i = 0; i < request.messages.size(); ++i) {
      const auto& m = request.messages[i];
      out += i == 0 ? R"({"role":)" : R"(,{"role":)";
      util::append_json_string(out, m.role);
      out += R"(,"content":)";
      detail::append_content(out, m);
      out += '}';
    }
    out += ']';
  }
  if (p.max_tokens) {
    w.number_field("max_output_tokens", static_cast<double>(*p.max_tokens));
  }
  if (p.temperature) {
    w.number_field("temperature", *p.temperature);
  }
  if (p.top_p) {
    w.number_field("top_p", *p.top_p);
  }
  w.raw_field("stream", request.stream ? "true" : "false");
  return w.finish();
}

net::HttpRequest ResponsesCodec::build(const ChatRequest& request) const {
  std::vector<std::pair<std::string, std::string>> auth;
  if (!request.api_key.empty()) {
    auth.emplace_back("Authorization", "Bearer " + request.api_key);
  }
  return detail::json_post(request, "/responses", body(request), std::move(auth));
}

std::unique_ptr<ResponseParser> ResponsesCodec::parser(const ParserOptions& options) const {
  return std::make_unique<ResponsesParser>(options);
}

bool ResponsesParser::on_event(const net::SseEvent& event, std::int64_t t_ns) {
  if (event.data == "[DONE]") {  // some compatible servers add one; OpenAI does not
    return true;
  }
  simdjson::dom::element doc;
  if (const auto bad = detail::parse_object(event.data, "a stream event", doc)) {
    fail(net::ErrorClass::protocol, *bad);
    return false;
  }
  detail::Fields f;
  // The SSE `event:` line repeats the payload's `type`; the payload is what counts.
  const std::string_view type = f.str(doc, "type").value_or(event.event);
  if (type == "error") {
    // {"type": "error", "code", "message", "param"}: its `type` names the event, so the class
    // comes from the code.
    const std::string code(detail::str(doc, "code").value_or(""));
    const std::string message(detail::str(doc, "message").value_or("(no message)"));
    fail(error_class_for_type(code, 0), code.empty()
                                            ? fmt::format("error event: {}", message)
                                            : fmt::format("error event ({}): {}", code, message));
    return false;
  }
  if (const auto kind = delta_kind(type)) {
    const auto delta = f.str(doc, "delta");
    if (f.error() || !delta) {
      fail(net::ErrorClass::protocol, fmt::format("a `{}` event without a string `delta`", type));
      return false;
    }
    if (!delta->empty()) {
      content(*kind, *delta, t_ns);
    }
    return true;
  }
  if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
    const auto response_obj = f.object(doc, "response");
    if (!response_obj) {
      fail(net::ErrorClass::protocol,
           f.error() ? fmt::format("a malformed `{}` event: {}", type, *f.error())
                     : fmt::format("a `{}` event without `response`", type));
      return false;
    }
    read_usage(f, *response_obj, response());
    if (f.error()) {
      fail(net::ErrorClass::protocol, fmt::format("a malformed `{}` event: {}", type, *f.error()));
      return false;
    }
    if (type == "response.failed") {
      if (const auto error = detail::member(*response_obj, "error")) {
        fail_from_error_json(simdjson::minify(*error), 0);
      } else {
        fail(net::ErrorClass::http_5xx, "the response failed (`response.failed`, no error given)");
      }
      return false;
    }
    if (type == "response.incomplete") {
      std::string reason = "incomplete";
      if (auto details = detail::member(*response_obj, "incomplete_details")) {
        if (auto r = detail::str(*details, "reason")) {
          reason = std::string(*r);
        }
      }
      response().finish_reason = reason;
    } else {
      response().finish_reason = "completed";
    }
    response().terminated = true;
    return true;
  }
  return true;  // lifecycle, item and part events carry no output of their own
}

void ResponsesParser::on_json_body(std::string_view body, std::int64_t t_ns) {
  simdjson::dom::element doc;
  if (const auto bad = detail::parse_object(body, "the response body", doc)) {
    fail(net::ErrorClass::protocol, *bad);
    return;
  }
  if (const auto error = detail::member(doc, "error")) {
    fail_from_error_json(simdjson::minify(*error), 0);
    return;
  }
  detail::Fields f;
  const auto output = f.array(doc, "output");
  if (!output) {
    fail(net::ErrorClass::protocol, f.error()
                                        ? fmt::format("a malformed response body: {}", *f.error())
                                        : "the response has no `output`");
    return;
  }
  for (simdjson::dom::element item : *output) {
    if (!f.is_object(item, "output[]")) {
      break;
    }
    const std::string_view type = f.str(item, "type").value_or("");
    if (type == "function_call") {
      if (auto args = f.str(item, "arguments"); args && !args->empty()) {
        content(ContentKind::tool_args, *args, t_ns);
      }
      continue;
    }
    const auto parts = f.array(item, type == "reasoning" ? "summary" : "content");
    if (!parts) {
      continue;
    }
    for (simdjson::dom::element part : *parts) {
      if (!f.is_object(part, "content[]")) {
        break;
      }
      const std::string_view part_type = f.str(part, "type").value_or("");
      const auto text = f.str(part, part_type == "refusal" ? "refusal" : "text");
      if (text && !text->empty()) {
        content(type == "reasoning" ? ContentKind::reasoning : ContentKind::text, *text, t_ns);
      }
    }
  }
  read_usage(f, doc, response());
  if (f.error()) {
    fail(net::ErrorClass::protocol, fmt::format("a malformed response body: {}", *f.error()));
    return;
  }
  std::string finish(detail::str(doc, "status").value_or("completed"));
  if (finish == "incomplete") {
    if (auto details = detail::member(doc, "incomplete_details")) {
      finish = std::string(detail::str(*details, "reason").value_or("incomplete"));
    }
  }
  response().finish_reason = finish;
  response().terminated = true;
}

net::ErrorClass ResponsesParser::error_class_for_type(std::string_view type, long status) const {
  if (status != 0) {
    return net::error_class_for_status(status);
  }
  if (type == "rate_limit_exceeded" || type == "rate_limit_error" || type == "requests" ||
      type == "tokens") {
    return net::ErrorClass::rate_limited;
  }
  if (type == "invalid_request_error" || type == "invalid_prompt" ||
      type == "context_length_exceeded" || type == "authentication_error" ||
      type == "permission_error" || type == "not_found_error") {
    return net::ErrorClass::http_4xx;
  }
  return net::ErrorClass::http_5xx;
}

}  // namespace llmbench::providers
