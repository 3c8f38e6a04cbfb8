#pragma once
// Sends one fuzz input to one of our servers over a real loopback socket, as a client would,
// and reads what comes back until the server closes or a deadline passes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
  std::string out;
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {  // NOLINT
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

// The server still answers a plain request.
inline bool healthy(std::uint16_t port, std::string_view path) {
  const std::string request =
      "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  return exchange(port, request, std::chrono::seconds(10)).starts_with("HTTP/1.1 200");
}

}  // namespace llmbench::fuzz
