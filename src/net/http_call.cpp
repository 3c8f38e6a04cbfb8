#include "llmbench/net/http_call.hpp"

#include <string_view>

#include "llmbench/util/strings.hpp"

namespace llmbench::net {

namespace {

class Collect final : public ResponseHandler {
 public:
  explicit Collect(HttpReply& reply) : m_reply(reply) {}
  void on_status(long status, std::int64_t /*t_ns*/) override { m_reply.status = status; }
  void on_header(std::string_view name, std::string_view value) override {
    if (util::equals_ci(name, "retry-after")) {
      m_reply.retry_after = std::string(value);
    }
  }
  bool on_body(std::string_view bytes, std::int64_t /*t_ns*/) override {
    if (m_reply.body.size() < (1u << 20)) {
      m_reply.body.append(bytes);
    }
    return true;
  }
  bool first_token_seen() const override { return true; }
  void on_complete(const TransferResult& result) override {
    m_reply.error = result.error;
    m_reply.message = result.message;
    if (result.status_code != 0) {
      m_reply.status = result.status_code;
    }
    m_done = true;
  }
  bool done() const { return m_done; }

 private:
  HttpReply& m_reply;
  bool m_done = false;
};

}  // namespace

HttpReply http_call(const HttpRequest& request) {
  HttpReply reply;
  Collect handler(reply);
  Engine engine;
  engine.start(request, handler);
  while (!handler.done()) {
    engine.poll(std::chrono::milliseconds(100));
  }
  return reply;
}

}  // namespace llmbench::net
