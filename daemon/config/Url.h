#pragma once
// One reading of scheme://userinfo@host:port/path?query#fragment, for the secret scrubber and
// for whatever needs a URL's host and port (the reconnect's knock on an ingest's port).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ceremony {

// The parts of a URL, as views into it. Not a validator: it only cuts where the separators
// are, so that text that is almost a URL is still cut the same way every time.
struct UrlParts {
  std::string scheme;  // lower case
  std::string_view userinfo;
  std::string_view host;  // host[:port], an IPv6 address in brackets
  std::string_view path;
  std::string_view query;     // without '?'
  std::string_view fragment;  // without '#'
  bool hasQuery = false;
  bool hasFragment = false;
};

// nullopt when there is no "scheme://".
std::optional<UrlParts> splitUrl(std::string_view url);

struct HostPort {
  std::string host;  // an IPv6 address without its brackets
  std::uint16_t port = 0;
};

// The host a URL names and its port, or `defaultPort` when it says none. nullopt when it is
// not a URL, names no host, or its port is not a number from 1 to 65535.
std::optional<HostPort> hostPortOf(std::string_view url, std::uint16_t defaultPort);

}  // namespace ceremony
