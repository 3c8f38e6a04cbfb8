#pragma once
// A valid TraceBeacon v1 with every field set, for tests to alter.

#include <string>

#include "llmbench/beacon/beacon.hpp"

namespace llmbench::testing {

inline beacon::Beacon sample_beacon() {
  beacon::Beacon b;
  b.ts = "2026-11-27T03:04:05.678Z";
  b.install_id = "72d7ea54-7a6b-47fa-985f-c05217fd32ac";
  b.install_hmac = std::string(64, 'a');
  b.model = "gpt-4o-mini";
  b.provider = "openai";
  b.region = "eu-west-1";
  b.status_code = 200;
  b.latency_ms_to_first_token = 210;
  b.latency_ms_total = 900;
  b.input_tokens = 12;
  b.output_tokens = 64;
  b.cost_usd_estimate = 0.0000123;
  return b;
}

}  // namespace llmbench::testing
