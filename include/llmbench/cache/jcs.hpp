#pragma once
// RFC 8785 JSON Canonicalization Scheme: object members sorted by their names' UTF-16 code
// units, numbers in ECMAScript's Number-to-String form, strings escaped as JSON.stringify
// does, no whitespace. Duplicate member names, lone surrogates, invalid UTF-8, NaN and
// Infinity are rejected (the RFC's I-JSON requirements). Checked against the RFC's reference
// files and 25,000 number cases in ../shared/testdata/jcs/.

#include <span>
#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::cache {

// The canonical form of `json`, or why it has none. Members of the top-level object named in
// `drop` are left out (the cache fingerprint ignores stream settings).
Result<std::string> canonicalize(std::string_view json,
                                 std::span<const std::string_view> drop = {});

// `json` with each integer literal that a 64-bit reader cannot hold (above 2^64 - 1 or below
// -2^63; canonical text has them up to 1e21) given a ".0", so simdjson reads it as the double
// it stands for, as RFC 8785 means it. Other text is unchanged.
std::string widen_big_integers(std::string_view json);

// ECMAScript Number::toString for a finite double ("1e+21", "0.002", "-0" -> "0").
std::string es_number(double value);

}  // namespace llmbench::cache
