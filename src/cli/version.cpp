#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <unicode/uvernum.h>
#include <zlib.h>
#include <CLI/Version.hpp>
#include <boost/version.hpp>

#include <toml++/toml.h>

#include "commands.hpp"
#include "llmbench/util/build_info.hpp"

namespace llmbench::cli {

std::string version_text() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  const bool http2 = (curl->features & CURL_VERSION_HTTP2) != 0;
  std::string out;
  out += fmt::format("llmbench {} (commit {})\n", build_info::k_version, build_info::k_git_commit);
  out += fmt::format("compiler: {}\n",
#if defined(__clang__)
                     "clang " __clang_version__
#elif defined(__GNUC__)
                     "g++ " __VERSION__
#else
                     "unknown"
#endif
  );
  out += "dependencies:\n";
  out += fmt::format("  libcurl {} ({}{})\n", curl->version,
                     curl->ssl_version != nullptr ? curl->ssl_version : "no TLS",
                     http2 ? ", HTTP/2" : "");
  out += fmt::format("  OpenSSL {}\n", OpenSSL_version(OPENSSL_VERSION_STRING));
  out += fmt::format("  SQLite {}\n", sqlite3_libversion());
  out += fmt::format("  simdjson {}.{}.{}\n", static_cast<int>(simdjson::SIMDJSON_VERSION_MAJOR),
                     static_cast<int>(simdjson::SIMDJSON_VERSION_MINOR),
                     static_cast<int>(simdjson::SIMDJSON_VERSION_REVISION));
  out += fmt::format("  toml++ {}.{}.{}\n", TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH);
  out += fmt::format("  fmt {}.{}.{}\n", FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                     FMT_VERSION % 100);
  out += fmt::format("  CLI11 {}\n", CLI11_VERSION);
  out += fmt::format("  Boost {}.{}.{}\n", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                     BOOST_VERSION % 100);
  out += fmt::format("  zlib {}\n", zlibVersion());
  out += fmt::format("  ICU {}\n", U_ICU_VERSION);
  return out;
}

}  // namespace llmbench::cli
