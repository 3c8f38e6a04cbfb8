#include "mock_events.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "llmbench/util/json_writer.hpp"

namespace llmbench::server::mock {

namespace {

constexpr std::array<std::string_view, 16> k_words = {
    " the", " quick", " brown", " fox",    " jumps",  " over",  " a",     " lazy",
    " dog", " while", " seven", " models", " stream", " their", " words", " back"};

}  // namespace

Result<ChatInput> read_chat(const std::string& body, Protocol protocol, bool count_only) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(body);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return Result<ChatInput>::failure("the request body is not a JSON object");
  }
  ChatInput in;
  std::string_view model;
  if (doc["model"].get_string().get(model) != simdjson::SUCCESS) {
    return Result<ChatInput>::failure("`model` is required");
  }
  in.model = std::string(model);
  std::int64_t max_tokens = 0;
  if (doc["max_completion_tokens"].get_int64().get(max_tokens) == simdjson::SUCCESS ||
      doc["max_tokens"].get_int64().get(max_tokens) == simdjson::SUCCESS ||
      doc["max_output_tokens"].get_int64().get(max_tokens) == simdjson::SUCCESS) {
    in.max_tokens = max_tokens;
  } else if (protocol == Protocol::anthropic && !count_only) {
    return Result<ChatInput>::failure("max_tokens: Field required");
  }
  bool stream = false;
  if (doc["stream"].get_bool().get(stream) == simdjson::SUCCESS) {
    in.stream = stream;
  }
  bool usage = false;
  if (doc.at_pointer("/stream_options/include_usage").get_bool().get(usage) == simdjson::SUCCESS) {
    in.include_usage = usage;
  }
  std::size_t chars = 0;
  std::string_view text;
  simdjson::dom::element content_of_system;
  // Text of a message's content: a string, or parts with `text` (or a tool's `output`).
  const auto count = [&](simdjson::dom::element content) {
    if (content.get_string().get(text) == simdjson::SUCCESS) {
      chars += text.size();
    } else if (content.is_array()) {
      for (simdjson::dom::element part : content.get_array()) {
        if (part["text"].get_string().get(text) == simdjson::SUCCESS) {
          chars += text.size();
        }
      }
    }
  };
  simdjson::dom::array messages;
  bool has_messages = true;
  if (protocol == Protocol::responses) {
    // `input` is a string or a list of items (messages, tool calls and their outputs).
    simdjson::dom::element input;
    if (doc["input"].get(input) != simdjson::SUCCESS || (!input.is_string() && !input.is_array())) {
      return Result<ChatInput>::failure("`input` must be a string or an array");
    }
    if (doc["instructions"].get_string().get(text) == simdjson::SUCCESS) {
      chars += text.size();
    }
    if (input.get_string().get(text) == simdjson::SUCCESS) {
      chars += text.size();
      has_messages = false;  // (a default array must not be walked)
    } else {
      messages = input.get_array();
    }
  } else if (doc["messages"].get_array().get(messages) != simdjson::SUCCESS) {
    return Result<ChatInput>::failure("`messages` must be an array");
  }
  if (doc["system"].get(content_of_system) == simdjson::SUCCESS) {
    count(content_of_system);
  }
  if (has_messages) {
    for (simdjson::dom::element m : messages) {
      simdjson::dom::element content;
      if (m["content"].get(content) == simdjson::SUCCESS) {
        count(content);
      } else if (m["output"].get(content) == simdjson::SUCCESS ||
                 m["arguments"].get(content) == simdjson::SUCCESS) {
        count(content);
      }
    }
  }

  in.input_tokens = std::max<std::int64_t>(1, static_cast<std::int64_t>((chars + 3) / 4));
  return in;
}

std::string event_text(std::int64_t event, std::int64_t tokens_per_chunk, std::int64_t total) {
  std::string text;
  const std::int64_t first = event * tokens_per_chunk;
  const std::int64_t last = std::min(total, first + tokens_per_chunk);
  for (std::int64_t t = first; t < last; ++t) {
    text += k_words[static_cast<std::size_t>(t) % k_words.size()];
  }
  return text;
}

std::string error_body(Protocol protocol, std::string_view type, std::string_view message) {
  std::string out;
  if (protocol != Protocol::anthropic) {
    out = R"({"error":{"message":)";
    util::append_json_string(out, message);
    out += R"(,"type":)";
    util::append_json_string(out, type);
    out += R"(,"param":null,"code":null}})";
  } else {
    out = R"({"type":"error","error":{"type":)";
    util::append_json_string(out, type);
    out += R"(,"message":)";
    util::append_json_string(out, message);
    out += "}}";
  }
  return out;
}

std::string llamacpp_timings(const MockScript& script, std::int64_t prompt_n, Nanos skew) {
  const double prompt_ms = static_cast<double>((script.ttft + skew).count()) / 1e6;
  Nanos decode{0};
  for (const auto gap : script.gaps) {
    decode += gap;
  }
  const double predicted_ms = static_cast<double>(decode.count()) / 1e6;
  const std::int64_t predicted_n = script.output_tokens;
  const auto per = [](double ms, std::int64_t n) {
    return n > 0 ? ms / static_cast<double>(n) : 0;
  };
  const auto rate = [](double ms, std::int64_t n) {
    return ms > 0 ? 1e3 / ms * static_cast<double>(n) : 0;
  };
  return fmt::format(
      ",\"timings\":{{\"cache_n\":0,\"prompt_n\":{},\"prompt_ms\":{},\"prompt_per_token_ms\":{},"
      "\"prompt_per_second\":{},\"predicted_n\":{},\"predicted_ms\":{},"
      "\"predicted_per_token_ms\":{},\"predicted_per_second\":{}}}",
      prompt_n, prompt_ms, per(prompt_ms, prompt_n), rate(prompt_ms, prompt_n), predicted_n,
      predicted_ms, per(predicted_ms, predicted_n), rate(predicted_ms, predicted_n));
}

EventWriter::EventWriter(Protocol protocol, const ChatInput& in, const MockScript& script,
                         std::uint64_t index, std::string timings)
    : m_protocol(protocol), m_in(in), m_script(script), m_timings(std::move(timings)) {
  switch (protocol) {
    case Protocol::openai:
      m_id = fmt::format("chatcmpl-mock{:016x}", index);
      break;
    case Protocol::anthropic:
      m_id = fmt::format("msg_mock{:016x}", index);
      break;
    case Protocol::responses:
      m_id = fmt::format("resp_mock{:016x}", index);
      m_item_id = fmt::format("msg_mock{:016x}", index);
      break;
  }
  m_created = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  util::append_json_string(m_model, in.model);
}

void EventWriter::preamble(std::string& out) const {
  switch (m_protocol) {
    case Protocol::openai:
      openai_chunk(out, R"({"role":"assistant","content":"","refusal":null})", "null");
      break;
    case Protocol::anthropic:
      out += "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"";
      out += m_id;
      out += "\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": ";
      out += m_model;
      out += fmt::format(
          ", \"stop_reason\": null, \"stop_sequence\": null, \"usage\": {{\"input_tokens\": {}, "
          "\"output_tokens\": 1}}}}}}\n\n",
          m_in.input_tokens);
      out +=
          "event: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": 0, "
          "\"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n";
      out += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
      break;
    case Protocol::responses:
      responses_event(out, "response.created",
                      "\"response\":" + response_object("in_progress", {}));
      responses_event(out, "response.in_progress",
                      "\"response\":" + response_object("in_progress", {}));
      responses_event(out, "response.output_item.added",
                      "\"output_index\":0,\"item\":{\"id\":\"" + m_item_id +
                          "\",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],"
                          "\"role\":\"assistant\"}");
      responses_event(out, "response.content_part.added",
                      "\"item_id\":\"" + m_item_id +
                          "\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":"
                          "\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":\"\"}");
      break;
  }
}

void EventWriter::content(std::string& out, std::string_view text) const {
  switch (m_protocol) {
    case Protocol::openai: {
      std::string delta = R"({"content":)";
      util::append_json_string(delta, text);
      delta += '}';
      openai_chunk(out, delta, "null");
      break;
    }
    case Protocol::anthropic:
      out +=
          "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, "
          "\"delta\": {\"type\": \"text_delta\", \"text\": ";
      util::append_json_string(out, text);
      out += "}}\n\n";
      break;
    case Protocol::responses: {
      std::string fields =
          "\"item_id\":\"" + m_item_id + "\",\"output_index\":0,\"content_index\":0,\"delta\":";
      util::append_json_string(fields, text);
      fields += ",\"logprobs\":[]";
      responses_event(out, "response.output_text.delta", fields);
      break;
    }
  }
}

void EventWriter::malformed(std::string& out) const {
  switch (m_protocol) {
    case Protocol::openai:
      out +=
          "data: {\"id\":\"" + m_id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\n\n";
      break;
    case Protocol::anthropic:
      out += "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"ind\n\n";
      break;
    case Protocol::responses:
      out += "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.del\n\n";
      break;
  }
}

void EventWriter::finish(std::string& out, bool terminator) const {
  switch (m_protocol) {
    case Protocol::openai:
      // llama-server puts its timings in the last chunk: the usage chunk when there is one.
      openai_chunk(out, "{}", capped() ? "\"length\"" : "\"stop\"",
                   m_in.include_usage ? std::string_view() : m_timings);
      if (m_in.include_usage) {
        out += "data: {\"id\":\"" + m_id +
               "\",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(m_created) +
               ",\"model\":" + m_model + ",\"system_fingerprint\":\"fp_mock\",\"choices\":[]," +
               usage_json() + m_timings + "}\n\n";
      }
      if (terminator) {
        out += "data: [DONE]\n\n";
      }
      break;
    case Protocol::anthropic:
      out +=
          "event: content_block_stop\ndata: {\"type\": \"content_block_stop\", \"index\": 0}\n\n";
      out += fmt::format(
          "event: message_delta\ndata: {{\"type\": \"message_delta\", \"delta\": "
          "{{\"stop_reason\": "
          "\"{}\", \"stop_sequence\":null}}, \"usage\": {{\"output_tokens\": {}}}}}\n\n",
          capped() ? "max_tokens" : "end_turn", m_script.output_tokens);
      if (terminator) {
        out += "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n";
      }
      break;
    case Protocol::responses: {
      std::string text;
      for (std::int64_t e = 0; e < m_script.events(); ++e) {
        text += event_text(e, m_script.tokens_per_chunk, m_script.output_tokens);
      }
      std::string json_text;
      util::append_json_string(json_text, text);
      responses_event(out, "response.output_text.done",
                      "\"item_id\":\"" + m_item_id +
                          "\",\"output_index\":0,\"content_index\":0,\"text\":" + json_text +
                          ",\"logprobs\":[]");
      responses_event(out, "response.content_part.done",
                      "\"item_id\":\"" + m_item_id +
                          "\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":"
                          "\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":" +
                          json_text + "}");
      responses_event(out, "response.output_item.done",
                      "\"output_index\":0,\"item\":{\"id\":\"" + m_item_id +
                          "\",\"type\":\"message\",\"status\":\"completed\",\"content\":[{"
                          "\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":" +
                          json_text + "}],\"role\":\"assistant\"}");
      if (terminator) {
        const bool incomplete = capped();
        responses_event(
            out, incomplete ? "response.incomplete" : "response.completed",
            "\"response\":" + response_object(incomplete ? "incomplete" : "completed", text));
      }
      break;
    }
  }
}

std::string EventWriter::whole_body(std::string_view text) const {
  std::string out;
  switch (m_protocol) {
    case Protocol::openai:
      out = "{\"id\":\"" + m_id +
            "\",\"object\":\"chat.completion\",\"created\":" + std::to_string(m_created) +
            ",\"model\":" + m_model +
            ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
      util::append_json_string(out, text);
      out += ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":";
      out += capped() ? "\"length\"" : "\"stop\"";
      out += "}]," + usage_json() + ",\"system_fingerprint\":\"fp_mock\"" + m_timings + "}";
      break;
    case Protocol::anthropic:
      out = "{\"content\":[{\"text\":";
      util::append_json_string(out, text);
      out += ",\"type\":\"text\"}],\"id\":\"" + m_id + "\",\"model\":" + m_model +
             ",\"role\":\"assistant\",\"stop_reason\":";
      out += capped() ? "\"max_tokens\"" : "\"end_turn\"";
      out += fmt::format(
          ",\"stop_sequence\":null,\"type\":\"message\",\"usage\":{{\"input_tokens\":{},"
          "\"output_tokens\":{}}}}}",
          m_in.input_tokens, m_script.output_tokens);
      break;
    case Protocol::responses:
      out = response_object(capped() ? "incomplete" : "completed", text);
      break;
  }
  return out;
}

void EventWriter::openai_chunk(std::string& out, std::string_view delta, std::string_view finish,
                               std::string_view extra) const {
  out += "data: {\"id\":\"";
  out += m_id;
  out += "\",\"object\":\"chat.completion.chunk\",\"created\":";
  out += std::to_string(m_created);
  out += ",\"model\":";
  out += m_model;
  out += ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":";
  out += delta;
  out += ",\"logprobs\":null,\"finish_reason\":";
  out += finish;
  out += "}]";
  if (m_in.include_usage) {
    out += ",\"usage\":null";
  }
  out += extra;
  out += "}\n\n";
}

void EventWriter::responses_event(std::string& out, std::string_view type,
                                  std::string_view fields) const {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",\"sequence_number\":";
  out += std::to_string(m_sequence++);
  out += ',';
  out += fields;
  out += "}\n\n";
}

std::string EventWriter::response_object(std::string_view status, std::string_view text) const {
  const bool done = status != "in_progress";
  std::string out = "{\"id\":\"" + m_id +
                    "\",\"object\":\"response\",\"created_at\":" + std::to_string(m_created) +
                    ",\"status\":\"" + std::string(status) + "\",\"error\":null,";
  out += status == "incomplete" ? R"("incomplete_details":{"reason":"max_output_tokens"},)"
                                : R"("incomplete_details":null,)";
  out += "\"model\":" + m_model + ",\"output\":[";
  if (done) {
    out += "{\"id\":\"" + m_item_id +
           "\",\"type\":\"message\",\"status\":\"completed\",\"content\":[{\"type\":"
           "\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":";
    util::append_json_string(out, text);
    out += "}],\"role\":\"assistant\"}";
  }
  out += "],\"usage\":";
  if (done) {
    out += fmt::format(
        "{{\"input_tokens\":{},\"input_tokens_details\":{{\"cached_tokens\":0}},"
        "\"output_tokens\":{},\"output_tokens_details\":{{\"reasoning_tokens\":0}},"
        "\"total_tokens\":{}}}",
        m_in.input_tokens, m_script.output_tokens, m_in.input_tokens + m_script.output_tokens);
  } else {
    out += "null";
  }
  out += ",\"metadata\":{}}";
  return out;
}

std::string EventWriter::usage_json() const {
  return fmt::format(
      "\"usage\":{{\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{},"
      "\"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},"
      "\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,"
      "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}}",
      m_in.input_tokens, m_script.output_tokens, m_in.input_tokens + m_script.output_tokens);
}

}  // namespace llmbench::server::mock
