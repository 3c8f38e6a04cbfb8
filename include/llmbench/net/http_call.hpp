#pragma once
// One blocking HTTP exchange on the engine, for the few places that want a plain answer
// rather than a stream (the beacon sender, `beacon forget`). Never for measured requests.

#include <string>

#include "llmbench/net/engine.hpp"

namespace llmbench::net {

struct HttpReply {
  long status = 0;  // 0: no response
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
  ErrorClass error = ErrorClass::none;
  std::string message;  // the transport's words for a failure
};

HttpReply http_call(const HttpRequest& request);

}  // namespace llmbench::net
