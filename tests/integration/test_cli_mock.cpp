// `llmbench mock` as a user runs it: a separate process on a port it picks.

#include <gtest/gtest.h>

#include <regex>

#include "support/background_process.hpp"
#include "support/http_client.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::BackgroundProcess;
using llmbench::testing::http_exchange;
using llmbench::testing::run_llmbench;

TEST(CliMock, PortZeroPrintsThePortAndServesBothProtocols) {
  BackgroundProcess mock({"mock", "--port", "0", "--ttft", "1ms", "--itl", "0ms", "--output-tokens",
                          "3", "--threads", "1"});
  const std::string line = mock.first_line();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+) )")))
      << line;
  const std::string base = "http://127.0.0.1:" + m[1].str();
  const auto openai =
      http_exchange("POST", base + "/v1/chat/completions",
                    R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true})");
  EXPECT_EQ(openai.status, 200);
  EXPECT_NE(openai.body.find("data: [DONE]"), std::string::npos);
  const auto anthropic = http_exchange(
      "POST", base + "/v1/messages", R"({"model":"m","max_tokens":9,"messages":[],"stream":true})");
  EXPECT_NE(anthropic.body.find("event: message_stop"), std::string::npos);
  const auto [code, out] = mock.stop(SIGTERM);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("script:    ttft 1ms, itl 0s, output 3 tokens"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped after 2 requests"), std::string::npos) << out;
}

TEST(CliMock, ProfileFileAndFlagsTogether) {
  llmbench::testing::TempDir dir;
  const auto profile = dir.write("p.toml",
                                 "[mock]\nttft = \"2ms\"\nmodel = \"from-file\"\n"
                                 "[mock.faults]\nunavailable = 1.0\n");
  BackgroundProcess mock({"mock", "--port", "0", "--profile", profile, "--itl", "0ms"});
  std::smatch m;
  const std::string line = mock.first_line();
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+) )"))) << line;
  const std::string base = "http://127.0.0.1:" + m[1].str();
  EXPECT_NE(http_exchange("GET", base + "/v1/models").body.find("from-file"), std::string::npos);
  EXPECT_EQ(
      http_exchange("POST", base + "/v1/chat/completions", R"({"model":"m","messages":[]})").status,
      503);
  EXPECT_EQ(mock.stop(SIGINT).first, 0);
}

TEST(CliMock, BadScriptsAreUsageErrors) {
  const auto ttft = run_llmbench({"mock", "--ttft", "fast"});
  EXPECT_EQ(ttft.exit_code, 2);
  EXPECT_NE(ttft.err.find("llmbench: error: --ttft \"fast\""), std::string::npos) << ttft.err;
  const auto fault = run_llmbench({"mock", "--fault", "explode=0.1"});
  EXPECT_EQ(fault.exit_code, 2);
  EXPECT_NE(fault.err.find("NAME=PROBABILITY"), std::string::npos) << fault.err;
  const auto sum = run_llmbench({"mock", "--fault", "reset=0.6", "--fault", "stall=0.6"});
  EXPECT_EQ(sum.exit_code, 2);
  EXPECT_NE(sum.err.find("more than 1"), std::string::npos) << sum.err;
  EXPECT_EQ(run_llmbench({"mock", "--profile", "/nonexistent/p.toml"}).exit_code, 2);
  EXPECT_EQ(run_llmbench({"mock", "--port", "70000"}).exit_code, 2);
  // NaN compares false both ways and used to be accepted as a probability.
  for (const std::string bad : {"reset=nan", "reset=inf", "reset=-0.1", "reset"}) {
    const auto r = run_llmbench({"mock", "--fault", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--fault"), std::string::npos) << r.err;
  }
  const auto slow = run_llmbench({"mock", "--idle-timeout", "soon"});
  EXPECT_EQ(slow.exit_code, 2);
  EXPECT_NE(slow.err.find("--idle-timeout \"soon\""), std::string::npos) << slow.err;
}

TEST(CliMock, APortInUseIsARunError) {
  BackgroundProcess first({"mock", "--port", "0"});
  std::smatch m;
  const std::string line = first.first_line();
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+) )"))) << line;
  const auto second = run_llmbench({"mock", "--port", m[1].str()});
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.err.find("cannot listen on 127.0.0.1:" + m[1].str()), std::string::npos)
      << second.err;
}
