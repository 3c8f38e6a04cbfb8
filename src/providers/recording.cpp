#include "llmbench/providers/recording.hpp"

#include <fmt/format.h>

#include "json.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::providers {

namespace {

// The `data:` of a stored event ("event: X\ndata: a\ndata: b" -> "a\nb").
std::string event_data(std::string_view text) {
  std::string data;
  bool first = true;
  for (const auto& line : util::split(text, '\n')) {
    if (line.starts_with("data:")) {
      std::string_view v = std::string_view(line).substr(5);
      if (v.starts_with(' ')) {
        v.remove_prefix(1);
      }
      if (!first) {
        data += '\n';
      }
      data += v;
      first = false;
    }
  }
  return data;
}

struct StreamIdentity {
  std::string id;
  std::string model;
  std::optional<std::string> system_fingerprint;
  std::int64_t created = 0;
};

StreamIdentity identity(std::string_view provider, const std::vector<RecordedEvent>& events) {
  StreamIdentity out;
  for (const auto& e : events) {
    const std::string data = event_data(e.text);
    simdjson::dom::element doc;
    if (data.empty() || data == "[DONE]" ||
        detail::parse_json(data).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      continue;
    }
    if (provider == "anthropic" || provider == "openai-responses") {
      auto message = detail::member(doc, provider == "anthropic" ? "message" : "response");
      if (!message || !message->is_object()) {
        continue;  // only message_start (response.created) names the message (response)
      }
      doc = *message;
    }
    out.id = std::string(detail::str(doc, "id").value_or(""));
    out.model = std::string(detail::str(doc, "model").value_or(""));
    if (auto fp = detail::str(doc, "system_fingerprint")) {
      out.system_fingerprint = std::string(*fp);
    }
    out.created =
        detail::int64(doc, provider == "openai-responses" ? "created_at" : "created").value_or(0);
    break;
  }
  return out;
}

void field(std::string& out, std::string_view name) {
  if (out.back() != '{') {
    out += ',';
  }
  util::append_json_string(out, name);
  out += ':';
}

void optional_int(std::string& out, std::string_view name, std::optional<std::int64_t> v) {
  field(out, name);
  out += v ? std::to_string(*v) : "null";
}

}  // namespace

std::string assemble_body(std::string_view provider, const Response& r,
                          const std::vector<RecordedEvent>& events,
                          std::string_view fallback_model) {
  const StreamIdentity who = identity(provider, events);
  const std::string_view model = who.model.empty() ? fallback_model : who.model;
  std::string out = "{";
  if (provider == "anthropic") {
    field(out, "id");
    util::append_json_string(out, who.id);
    field(out, "type");
    out += R"("message")";
    field(out, "role");
    out += R"("assistant")";
    field(out, "model");
    util::append_json_string(out, model);
    field(out, "content");
    out += R"([{"type":"text","text":)";
    util::append_json_string(out, r.text);
    out += "}]";
    field(out, "stop_reason");
    out += r.finish_reason ? util::json_string(*r.finish_reason) : "null";
    field(out, "stop_sequence");
    out += "null";
    field(out, "usage");
    out += '{';
    optional_int(out, "input_tokens", r.input_tokens);
    optional_int(out, "output_tokens", r.output_tokens);
    out += "}}";
    return out;
  }
  if (provider == "openai-responses") {
    const bool completed = !r.finish_reason || *r.finish_reason == "completed";
    field(out, "id");
    util::append_json_string(out, who.id);
    field(out, "object");
    out += R"("response")";
    field(out, "created_at");
    out += std::to_string(who.created);
    field(out, "status");
    out += completed ? R"("completed")" : R"("incomplete")";
    field(out, "incomplete_details");
    out += completed ? "null" : R"({"reason":)" + util::json_string(*r.finish_reason) + "}";
    field(out, "model");
    util::append_json_string(out, model);
    field(out, "output");
    out +=
        R"([{"type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","annotations":[],"text":)";
    util::append_json_string(out, r.text);
    out += "}]}]";
    field(out, "usage");
    out += '{';
    optional_int(out, "input_tokens", r.input_tokens);
    optional_int(out, "output_tokens", r.output_tokens);
    out += "}}";
    return out;
  }
  field(out, "id");
  util::append_json_string(out, who.id);
  field(out, "object");
  out += R"("chat.completion")";
  field(out, "created");
  out += std::to_string(who.created);
  field(out, "model");
  util::append_json_string(out, model);
  if (who.system_fingerprint) {
    field(out, "system_fingerprint");
    util::append_json_string(out, *who.system_fingerprint);
  }
  field(out, "choices");
  out += R"([{"index":0,"message":{"role":"assistant","content":)";
  util::append_json_string(out, r.text);
  out += R"(},"finish_reason":)";
  out += r.finish_reason ? util::json_string(*r.finish_reason) : "null";
  out += "}]";
  field(out, "usage");
  out += '{';
  optional_int(out, "prompt_tokens", r.input_tokens);
  optional_int(out, "completion_tokens", r.output_tokens);
  std::optional<std::int64_t> total;
  if (r.input_tokens && r.output_tokens) {
    total = *r.input_tokens + *r.output_tokens;
  }
  optional_int(out, "total_tokens", total);
  out += "}}";
  return out;
}

Recorder::Recorder(ResponseParser& parser, std::string provider, std::string model)
    : m_parser(parser), m_provider(std::move(provider)), m_model(std::move(model)) {
  m_parser.set_on_sse_event([this](const net::SseEvent& e, std::int64_t t_ns) {
    std::string text;
    if (!e.event.empty()) {
      text = fmt::format("event: {}\n", e.event);
    }
    for (const auto& line : util::split(e.data, '\n')) {
      text += "data: ";
      text += line;
      text += '\n';
    }
    text.pop_back();
    m_events.emplace_back(t_ns, std::move(text));
  });
}

std::optional<Recording> Recorder::take() {
  const Response& r = m_parser.response();
  if (!r.ok() || !r.terminated) {
    return std::nullopt;
  }
  Recording rec;
  rec.status = r.status_code;
  rec.stream = m_parser.is_sse();
  const auto us = [&](std::int64_t t_ns) { return (t_ns - r.t_send_ns) / 1000; };
  for (auto& [t, text] : m_events) {
    rec.events.push_back({us(t), std::move(text)});
  }
  m_events.clear();
  rec.body = rec.stream ? assemble_body(m_provider, r, rec.events, m_model) : m_parser.body();
  const StreamIdentity who = identity(m_provider, rec.events);
  rec.model = who.model.empty() ? m_model : who.model;
  rec.system_fingerprint = who.system_fingerprint;
  if (!rec.stream) {
    simdjson::dom::element doc;
    if (detail::parse_json(rec.body).get(doc) == simdjson::SUCCESS && doc.is_object()) {
      if (auto model = detail::str(doc, "model")) {
        rec.model = std::string(*model);
      }
      if (auto fp = detail::str(doc, "system_fingerprint")) {
        rec.system_fingerprint = std::string(*fp);
      }
    }
  }
  rec.ttft_us = r.t_first_token_ns >= 0 ? us(r.t_first_token_ns) : -1;
  rec.duration_us = us(r.t_done_ns);
  // What the server sent is stored: the request's key never is, even when echoed.
  if (const util::Redactor* redactor = m_parser.options().redactor) {
    redactor->redact_in_place(rec.body);
    for (auto& event : rec.events) {
      redactor->redact_in_place(event.text);
    }
  }
  return rec;
}

void replay_start(net::ResponseHandler& handler, const Recording& recording, std::int64_t t_ns) {
  handler.on_status(recording.status, t_ns);
  handler.on_header("content-type", recording.stream ? "text/event-stream" : "application/json");
  handler.on_header("x-llmbench-replay", "1");
}

bool replay_event(net::ResponseHandler& handler, const RecordedEvent& event, std::int64_t t_ns) {
  return handler.on_body(sse_frame(event.text), t_ns);
}

bool replay_body(net::ResponseHandler& handler, const Recording& recording, std::int64_t t_ns) {
  return handler.on_body(recording.body, t_ns);
}

void replay_complete(net::ResponseHandler& handler, const Recording& recording,
                     std::int64_t t_send_ns, std::int64_t t_first_byte_ns, std::int64_t t_done_ns) {
  net::TransferResult result;
  result.status_code = recording.status;
  result.t_send_ns = t_send_ns;
  result.t_first_byte_ns = t_first_byte_ns;
  result.t_done_ns = t_done_ns;
  handler.on_complete(result);
}

std::string sse_frame(std::string_view event_text) {
  std::string frame;
  frame.reserve(event_text.size() + 2);
  frame.append(event_text);
  frame += "\n\n";
  return frame;
}

}  // namespace llmbench::providers
