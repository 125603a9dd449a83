#pragma once
// A blocking HTTP call with libcurl, for tests (and test tools: tests/tools/bridge_viewer)
// that talk to the daemon's API, WHEP, or a peer's HTTP API.

#include <curl/curl.h>

#include <chrono>
#include <string>

namespace ceremony::testing {

struct HttpReply {
  long status = 0;  // 0: no answer within the timeout
  std::string body;
  std::string location;  // the Location header (WHEP's session URL), if any
};

// `token` (if any) goes in "Authorization: Bearer …"; `body` is sent for POST, as
// `contentType` when one is given.
inline HttpReply httpCall(const std::string& method, const std::string& url,
                          const std::string& token = {}, const std::string& body = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(5),
                          const std::string& contentType = {}) {
  HttpReply r;
  CURL* c = curl_easy_init();
  if (!c) return r;
  curl_slist* headers = nullptr;
  const std::string auth = "Authorization: Bearer " + token;
  if (!token.empty()) headers = curl_slist_append(headers, auth.c_str());
  const std::string type = "Content-Type: " + contentType;
  if (!contentType.empty()) headers = curl_slist_append(headers, type.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* d, std::size_t s, std::size_t n, void* out) {
        static_cast<std::string*>(out)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(
      c, CURLOPT_HEADERFUNCTION, +[](char* d, std::size_t s, std::size_t n, void* out) {
        std::string line(d, s * n);
        if (line.size() > 9 &&
            (line.compare(0, 9, "Location:") == 0 || line.compare(0, 9, "location:") == 0)) {
          line.erase(0, 9);
          while (!line.empty() && line.front() == ' ') line.erase(0, 1);
          while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
          *static_cast<std::string*>(out) = line;
        }
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.location);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

}  // namespace ceremony::testing
