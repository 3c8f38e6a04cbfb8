// The web UI in a real browser: headless Chromium (Debian `chromium`) driven by playwright-core
// (npm, installed into tests/browser/ by scripts/setup) through tests/browser/serve_ui.mjs.
// Skipped, saying why, where either is missing. LLMBENCH_SCREENSHOTS=DIR keeps the screenshots.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "llmbench/server/serve_server.hpp"
#include "support/http_client.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;
using namespace std::chrono_literals;

namespace {

std::string ui_suite(const std::string& name, int requests, const std::string& ttft) {
  return "[suite]\nname = \"" + name +
         "\"\n[load]\nmode = \"concurrency\"\nconcurrency = 2\nrequests = " +
         std::to_string(requests) +
         "\n[[targets]]\nname = \"m\"\nprovider = \"mock\"\nmock = { ttft = \"" + ttft +
         "\", itl = \"1ms\", output_tokens = 6 }\n"
         "[[prompts]]\nid = \"a\"\nmessages = [{ role = \"user\", content = \"hi\" }]\n";
}

std::string id_of(const std::string& body) {
  const auto at = body.find("\"id\":\"");
  return at == std::string::npos ? "" : body.substr(at + 6, body.find('"', at + 6) - at - 6);
}

}  // namespace

TEST(ServeBrowser, ListRunAndCompareInHeadlessChromium) {
  const std::string chromium = "/usr/bin/chromium";
  const std::string dir = std::string(LLMBENCH_SOURCE_DIR) + "/tests/browser";
  if (!std::filesystem::exists(chromium)) {
    GTEST_SKIP() << "no " << chromium << " (scripts/setup installs Debian's chromium)";
  }
  if (std::system("node --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no node (scripts/setup installs nodejs)";
  }
  if (!std::filesystem::exists(dir + "/node_modules/playwright-core")) {
    GTEST_SKIP() << "no playwright-core in tests/browser/node_modules (scripts/setup runs npm "
                    "ci there; it needs the npm registry)";
  }
  lt::TempDir tmp;
  server::ServeOptions o;
  o.db_path = tmp.file("ui.db");
  o.port = 0;
  o.threads = 2;
  o.max_concurrent_runs = 2;
  server::ServeServer serve(o);
  serve.start();
  const auto post = [&](const std::string& toml) {
    const auto r = lt::http_exchange("POST", serve.base_url() + "/api/v1/runs", toml,
                                     {"Content-Type: application/toml"});
    EXPECT_EQ(r.status, 202) << r.body;
    return id_of(r.body);
  };
  const std::string a = post(ui_suite("ui-base", 40, "4ms"));
  const std::string b = post(ui_suite("ui-cand", 40, "6ms"));
  for (const auto& id : {a, b}) {
    for (int i = 0; i < 1000; ++i) {
      if (lt::http_exchange("GET", serve.base_url() + "/api/v1/runs/" + id + "/progress")
              .body.find("\"completed\"") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  // Running while the browser looks at it: about 8 s at 2 in flight.
  const std::string live = post(ui_suite("ui-live", 800, "15ms"));
  const char* keep = std::getenv("LLMBENCH_SCREENSHOTS");
  const std::string shots = keep != nullptr ? keep : tmp.file("shots");
  std::filesystem::create_directories(shots);
  const std::string cmd = "cd " + lt::shell_quote(dir) + " && node serve_ui.mjs " +
                          lt::shell_quote(serve.base_url()) + " " + lt::shell_quote(shots) + " " +
                          live + " > " + lt::shell_quote(tmp.file("browser.log")) + " 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string log = [&] {
    std::ifstream in(tmp.file("browser.log"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  EXPECT_EQ(status, 0) << log;
  EXPECT_NE(log.find("ok: no request left the service's origin"), std::string::npos) << log;
  for (const char* shot : {"list.png", "run.png", "compare.png", "live.png"}) {
    EXPECT_GT(std::filesystem::file_size(shots + "/" + shot), 10'000u) << shot;
  }
  std::cout << log;
}
