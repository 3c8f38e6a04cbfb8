#include "llmbench/providers/mock.hpp"

#include <gtest/gtest.h>

using namespace llmbench;

TEST(MockProvider, ScriptTravelsAsHeadersInNanoseconds) {
  suite::MockScript script;
  script.ttft = std::chrono::milliseconds(20);
  script.itl = std::chrono::microseconds(1500);
  script.output_tokens = 48;
  script.seed = 3;
  const auto headers = providers::mock_script_headers(script);
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"x-mock-ttft", "20000000ns"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"x-mock-itl", "1500000ns"}));
  EXPECT_EQ(headers[2], (std::pair<std::string, std::string>{"x-mock-output-tokens", "48"}));
  EXPECT_EQ(headers[3], (std::pair<std::string, std::string>{"x-mock-seed", "3"}));
}

TEST(MockProvider, MeasurementErrorAgainstTheScript) {
  providers::Response r;
  r.headers = {{"x-mock-ttft-ns", "50000000"}, {"x-mock-itl-ns", "10000000,10000000"}};
  r.t_send_ns = 1'000;
  r.t_first_token_ns = 1'000 + 50'100'000;
  r.content_times_ns = {r.t_first_token_ns, r.t_first_token_ns + 10'050'000,
                        r.t_first_token_ns + 19'990'000};
  const auto e = providers::measurement_error(r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ttft_ns, 100'000);
  EXPECT_EQ(e->gap_ns, (std::vector<std::int64_t>{50'000, -60'000}));

  providers::Response bare;
  EXPECT_FALSE(providers::scripted_times(bare));
  bare.headers = {{"x-mock-ttft-ns", "x"}, {"x-mock-itl-ns", ""}};
  EXPECT_FALSE(providers::scripted_times(bare));
  bare.headers = {{"x-mock-ttft-ns", "5"}, {"x-mock-itl-ns", ""}};
  ASSERT_TRUE(providers::scripted_times(bare));
  EXPECT_TRUE(providers::scripted_times(bare)->gaps.empty());
}

TEST(MockProvider, AttributedErrorSplitsClientFromMock) {
  // Engine epoch at 1,000,000 ns of the steady clock; the client sent at 1,000 (engine time).
  const std::int64_t epoch = 1'000'000;
  providers::Response r;
  r.headers = {{"x-mock-ttft-ns", "50000000"},
               {"x-mock-itl-ns", "10000000,10000000"},
               {"x-mock-read-ns", "1201000"}};  // read 200 us after the send
  r.t_send_ns = 1'000;
  // Scripted instants (mock clock): 51,201,000 then +10 ms, +10 ms. The mock wrote the first
  // 30 us late and the last two together; the client saw each 40 us after the write.
  r.sse_comments = "OPENROUTER PROCESSING\nmock-write-ns 51231000,61201000,71301000\n";
  r.content_times_ns = {51'231'000 + 40'000 - epoch, 61'201'000 + 40'000 - epoch,
                        71'301'000 + 40'000 - epoch};
  r.t_first_token_ns = r.content_times_ns[0];
  const auto e = providers::attributed_error(r, epoch);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->send_lag_ns, 200'000);
  EXPECT_EQ(e->client_ns, (std::vector<std::int64_t>{40'000, 40'000, 40'000}));
  EXPECT_EQ(e->mock_late_ns, (std::vector<std::int64_t>{30'000, 0, 100'000}));
  // The total TTFT error is the send lag, the mock's lateness and the client's error.
  EXPECT_EQ(e->ttft_ns, 200'000 + 30'000 + 40'000);

  providers::Response without = r;
  without.sse_comments.clear();
  EXPECT_FALSE(providers::attributed_error(without, epoch));
  without = r;
  without.headers.pop_back();
  EXPECT_FALSE(providers::attributed_error(without, epoch));
  without = r;
  without.sse_comments = "mock-write-ns 1,x\n";
  EXPECT_FALSE(providers::attributed_error(without, epoch));
}
