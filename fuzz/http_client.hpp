#pragma once
// Sends one fuzz input to one of our servers over a real loopback socket, as a client would,
// and reads what comes back until the server closes or a deadline passes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmbench::fuzz {

// Connects to 127.0.0.1:port, sends `bytes`, closes its sending side, reads for at most
// `limit`; returns what arrived (empty if nothing could connect).
inline std::string exchange(std::uint16_t port, std::string_view bytes,
                            std::chrono::milliseconds limit) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Thousands of short connections a second leave as many in TIME_WAIT; from one source
  // address they would use up the ephemeral ports within a minute and every connect would
  // fail. Each connection comes from another address of 127.0.0.0/8 instead.
  static std::atomic<std::uint32_t> next{0};
  const std::uint32_t k = next.fetch_add(1) % (254u * 65536u);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl((127u << 24) | ((1u + k / 65536u) << 16) | (k % 65536u));
  std::string out;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||  // NOLINT
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {         // NOLINT
    if (fd >= 0) {
      ::close(fd);
    }
    return out;
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  const auto until = std::chrono::steady_clock::now() + limit;
  char buf[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The server still answers a plain request (a few tries: a connection the server had to
// refuse at its cap is not a finding; one that never gets an answer is).
inline bool healthy(std::uint16_t port, std::string_view path) {
  const std::string request =
      "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 5; ++i) {
    if (exchange(port, request, std::chrono::seconds(10)).starts_with("HTTP/1.1 200")) {
      return true;
    }
    ::usleep(200'000);
  }
  return false;
}

}  // namespace llmbench::fuzz
