#pragma once
// A one-thread HTTP server on 127.0.0.1 for tests that need a server to break rules or
// answer with a fixed status: it reads a request (headers and a Content-Length body), writes
// the raw bytes `respond(n)` returns for the n-th request (0-based), and closes. "RESET"
// resets the connection instead.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>

namespace llmbench::testing {

class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<std::string(int n)> respond)
      : m_respond(std::move(respond)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(m_fd, 64);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ~ScriptedServer() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    m_thread.join();
  }
  std::uint16_t port() const { return m_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  int served() const { return m_served; }

  // A complete response with `status` and a JSON body.
  static std::string json_response(int status, std::string_view reason, std::string_view body) {
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
           "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  }
  // A short, complete OpenAI chat stream.
  static std::string openai_stream() {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
           "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
           "data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\ndata: [DONE]\n\n";
  }

 private:
  void serve() {
    while (!m_stop) {
      const int c = ::accept(m_fd, nullptr, nullptr);
      if (c < 0) {
        return;
      }
      std::string req;
      char buf[4096];
      std::size_t want = std::string::npos;
      while (want == std::string::npos || req.size() < want) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) {
          break;
        }
        req.append(buf, static_cast<std::size_t>(n));
        const auto end = req.find("\r\n\r\n");
        if (want == std::string::npos && end != std::string::npos) {
          std::smatch m;
          const std::string head = req.substr(0, end);
          const bool has =
              std::regex_search(head, m, std::regex("Content-Length: (\\d+)", std::regex::icase));
          want = end + 4 + (has ? std::stoul(m[1].str()) : 0);
        }
      }
      const std::string response = m_respond(m_served);
      ++m_served;
      if (response == "RESET") {
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      } else {
        std::string_view out = response;
        while (!out.empty()) {
          const ssize_t n = ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
          if (n <= 0) {
            break;
          }
          out.remove_prefix(static_cast<std::size_t>(n));
        }
      }
      ::close(c);
    }
  }

  std::function<std::string(int)> m_respond;
  int m_fd = -1;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_served{0};
  std::thread m_thread;
};

}  // namespace llmbench::testing
