// `llmbench proxy`'s HTTP request handling: arbitrary bytes sent over loopback to a running
// proxy (anonymous requests allowed, so bodies reach the JSON reading and the model rewrite)
// in front of a running mock, one of each per fuzzing process. Neither may crash, and the
// proxy keeps answering a real client (checked every 64 inputs).

#include <unistd.h>

#include <cstdint>
#include <string>

#include "fuzz.hpp"
#include "http_client.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/server/proxy_server.hpp"

using namespace llmbench;
using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Both live as long as the process.
  static server::MockServer* mock = [] {
    server::MockProfile profile;
    profile.ttft = server::Distribution::fixed(0);
    profile.itl = server::Distribution::fixed(0);
    profile.output_tokens = server::Distribution::fixed(4);
    server::MockServerOptions mo;
    mo.threads = 1;
    auto* m = new server::MockServer(profile, mo);
    m->start();
    return m;
  }();
  static server::ProxyServer* proxy = [] {
    const std::string config =
        "[proxy]\nmax_body = \"256KiB\"\ntimeout = \"2s\"\n"
        "[[models]]\nalias = \"m\"\nprovider = \"mock\"\nbase_url = \"" +
        mock->base_url() +
        "\"\n[[models]]\nalias = \"a\"\nprovider = \"anthropic\"\n"
        "base_url = \"" +
        mock->base_url() + "\"\n";
    server::ProxyServerOptions po;
    po.config = *session::load_config_text(config, "fuzz.toml").config;
    po.db_path = "/tmp/llmbench-fuzz-proxy-" + std::to_string(getpid()) + ".db";
    po.port = 0;
    po.threads = 2;
    po.allow_anonymous = true;
    auto* p = new server::ProxyServer(po);
    p->start();
    return p;
  }();
  static std::uint64_t n = 0;
  fuzz::exchange(proxy->port(), fuzz::text(data, size), 300ms);
  if (++n % 64 == 0 && !fuzz::healthy(proxy->port(), "/health")) {
    fuzz::broken("the proxy stopped answering");
  }
  return 0;
}
