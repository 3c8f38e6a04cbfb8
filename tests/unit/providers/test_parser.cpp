#include "llmbench/providers/parser.hpp"

#include <gtest/gtest.h>

#include "support/stream_fixtures.hpp"

using namespace llmbench;
using llmbench::net::ErrorClass;

TEST(ResponseParser, TransportFailuresKeepTheirClassAndWhatArrived) {
  auto parser = providers::openai_codec().parser({});
  parser->on_status(200, 10);
  parser->on_body("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n", 20);
  bool done = false;
  parser->set_on_done([&](providers::ResponseParser& p) {
    done = true;
    EXPECT_EQ(&p, parser.get());
  });
  net::TransferResult result;
  result.error = ErrorClass::timeout_total;
  result.message = "no complete response within 100 ms";
  result.status_code = 200;
  result.t_send_ns = 1;
  result.t_done_ns = 99;
  parser->on_complete(result);
  EXPECT_TRUE(done);
  const auto& r = parser->response();
  EXPECT_EQ(r.error, ErrorClass::timeout_total);
  EXPECT_EQ(r.error_message, "no complete response within 100 ms");
  EXPECT_EQ(r.t_first_byte_ns, 10);
  EXPECT_EQ(r.t_first_token_ns, 20);
  EXPECT_EQ(r.t_done_ns, 99);
  EXPECT_EQ(r.text_events, 1);
}

TEST(ResponseParser, OversizedLineStopsTheTransferAsProtocol) {
  providers::ParserOptions options;
  options.max_line = 64;
  auto parser = providers::openai_codec().parser(options);
  parser->on_status(200, 0);
  EXPECT_FALSE(parser->on_body("data: " + std::string(100, 'x'), 1));
  parser->on_complete({});
  EXPECT_EQ(parser->response().error, ErrorClass::protocol);
  EXPECT_NE(parser->response().error_message.find("64 bytes"), std::string::npos);
}

TEST(ResponseParser, BodiesAreBounded) {
  providers::ParserOptions options;
  options.stream = false;
  options.max_body = 16;
  auto parser = providers::openai_codec().parser(options);
  parser->on_status(200, 0);
  EXPECT_TRUE(parser->on_body(std::string(40, ' '), 1));
  net::TransferResult result;
  result.status_code = 200;
  parser->on_complete(result);
  EXPECT_EQ(parser->response().error, ErrorClass::protocol);
  EXPECT_NE(parser->response().error_message.find("16 bytes"), std::string::npos);
}

TEST(ResponseParser, HeadersAreKeptOnlyWhenAsked) {
  auto quiet = providers::openai_codec().parser({});
  quiet->on_header("x-mock-ttft-ns", "5");
  EXPECT_TRUE(quiet->response().headers.empty());
  providers::ParserOptions options;
  options.keep_headers = true;
  auto keeping = providers::openai_codec().parser(options);
  keeping->on_header("X-Mock-TTFT-ns", "5");
  EXPECT_EQ(keeping->response().header("x-mock-ttft-ns"), "5");
  EXPECT_FALSE(keeping->response().header("x-other"));
}

TEST(ResponseParser, TokenSourceNames) {
  EXPECT_EQ(providers::to_string(providers::TokenSource::usage), "usage");
  EXPECT_EQ(providers::to_string(providers::TokenSource::estimated), "estimated");
}
