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

// A server that echoes the key it refused must not get it stored (issue 11): the parser
// masks the actual key in any form, not only words starting with "sk-".
TEST(ResponseParser, MasksTheRequestsKeyInWhatTheServerSendsBack) {
  const std::string key = "gsk_live_0123456789abcdefXYZ";
  const auto redactor = util::Redactor::for_credentials(key, {});
  providers::ParserOptions options;
  options.redactor = &redactor;
  const auto error_of = [&](long status, const std::string& body) {
    return llmbench::testing::feed(providers::openai_codec(), status, body, {}, {}, options)
        .r()
        .error_message;
  };
  const std::string plain =
      error_of(401, R"({"error":{"message":"Incorrect API key provided: Bearer )" + key + R"("}})");
  EXPECT_EQ(plain.find(key), std::string::npos) << plain;
  EXPECT_NE(plain.find("***"), std::string::npos) << plain;
  // Not JSON, with the key across the 300-character cut of a shown body.
  const std::string cut = error_of(502, std::string(290, 'x') + " " + key + " tail");
  EXPECT_EQ(cut.find("gsk_live"), std::string::npos) << cut;
  EXPECT_EQ(cut.find("0123456789"), std::string::npos) << cut;
  // Percent-encoded and base64 forms.
  const std::string encoded = error_of(400,
                                       "bad key in url: key=gsk_live_0123456789abcdefXYZ%20 and "
                                       "basic Z3NrX2xpdmVfMDEyMzQ1Njc4OWFiY2RlZlhZWg==");
  EXPECT_EQ(encoded.find("Z3NrX2xpdmVfMDEyMzQ1Njc4OWFiY2RlZlhZWg"), std::string::npos) << encoded;
  EXPECT_EQ(encoded.find(key), std::string::npos) << encoded;
  // Mid-stream error events and kept output text too.
  auto streamed = llmbench::testing::feed(
      providers::openai_codec(), 200,
      "data: {\"choices\":[{\"delta\":{\"content\":\"your key is " + key +
          "\"}}]}\n\ndata: {\"error\":{\"message\":\"revoked: " + key + "\"}}\n\n",
      {}, {}, options);
  EXPECT_EQ(streamed.r().text.find(key), std::string::npos) << streamed.r().text;
  EXPECT_EQ(streamed.r().error_message.find(key), std::string::npos) << streamed.r().error_message;
}
