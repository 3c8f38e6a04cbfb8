#pragma once
// A blocking libcurl exchange for tests that need the raw bytes of one response.

#include <curl/curl.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace llmbench::testing {

struct RawResponse {
  long status = 0;
  std::string headers;  // as received, status line included
  std::string body;     // de-chunked by curl, otherwise untouched
  CURLcode code = CURLE_OK;
};

// The value of header `name` (lower case) in a response, empty if it has none.
inline std::string header_value(const RawResponse& r, const std::string& name) {
  std::string lower = r.headers;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  const auto at = lower.find("\n" + name + ": ");
  if (at == std::string::npos) {
    return "";
  }
  const auto start = at + name.size() + 3;
  return r.headers.substr(start, r.headers.find('\r', start) - start);
}

inline RawResponse http_exchange(const std::string& method, const std::string& url,
                                 const std::string& body = "",
                                 const std::vector<std::string>& headers = {}) {
  RawResponse r;
  CURL* curl = curl_easy_init();
  const auto append = +[](char* p, std::size_t, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, n);
    return n;
  };
  curl_slist* list = nullptr;
  for (const auto& h : headers) {
    list = curl_slist_append(list, h.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

}  // namespace llmbench::testing
