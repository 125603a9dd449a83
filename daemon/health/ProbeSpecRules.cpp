#include "health/ProbeSpecRules.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace ceremony::health {

namespace {

bool startsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// A URL with the given scheme and a non-empty host part.
std::string checkUrl(const ProbeSpec& s, std::string_view scheme) {
  if (s.url.empty())
    return "phép thử " + s.kind + " cần địa chỉ url (missing url), ví dụ " + std::string(scheme) +
           "10.55.1.2/health";
  if (!startsWith(s.url, scheme) || s.url.size() == scheme.size() || s.url[scheme.size()] == '/')
    return "url \"" + s.url + "\" phải bắt đầu bằng " + std::string(scheme) +
           " và có tên máy (bad url)";
  for (char c : s.url)
    if (static_cast<unsigned char>(c) <= 0x20)
      return "url \"" + s.url + "\" chứa khoảng trắng hoặc ký tự điều khiển (bad url)";
  if (s.expectStatus != 0 && (s.expectStatus < 100 || s.expectStatus > 599))
    return "mã HTTP mong đợi " + std::to_string(s.expectStatus) +
           " không hợp lệ (expect_status must be 100–599, or 0 for any 2xx/3xx)";
  return {};
}

std::string checkTimeouts(const ProbeSpec& s) {
  if (s.connectTimeout.count() <= 0 || s.timeout.count() <= 0)
    return "thời gian chờ phải lớn hơn 0 (timeouts must be positive)";
  if (s.connectTimeout > s.timeout)
    return "connect_timeout (" + std::to_string(s.connectTimeout.count()) +
           " ms) lớn hơn timeout (" + std::to_string(s.timeout.count()) + " ms)";
  return {};
}

std::string checkHttp(const ProbeSpec& s) {
  auto e = checkUrl(s, "http://");
  return e.empty() ? checkTimeouts(s) : e;
}
std::string checkHttps(const ProbeSpec& s) {
  auto e = checkUrl(s, "https://");
  return e.empty() ? checkTimeouts(s) : e;
}

std::string checkTcp(const ProbeSpec& s) {
  if (s.host.empty()) return "phép thử tcp cần tên máy (missing host), ví dụ 10.55.1.2:8080";
  if (s.port <= 0 || s.port > 65535)
    return "cổng " + std::to_string(s.port) + " không hợp lệ (port must be 1–65535)";
  return checkTimeouts(s);
}

std::string checkHeartbeat(const ProbeSpec& s) {
  if (s.heartbeatTimeout.count() <= 0) return "heartbeat_timeout phải lớn hơn 0 (must be positive)";
  return {};
}

std::string checkBridge(const ProbeSpec& s) {
  if (s.tokenFile.empty())
    return "phép thử bridge cần token_file: mã riêng của điểm cầu, có trong liên kết xem "
           "(missing token_file)";
  if (s.heartbeatTimeout.count() <= 0) return "heartbeat_timeout phải lớn hơn 0 (must be positive)";
  return {};
}

std::string urlTarget(std::string_view t, ProbeSpec& s) {
  s.url = std::string(t);
  return {};
}

// "host:port" or "[v6]:port".
std::string hostPortTarget(std::string_view t, ProbeSpec& s) {
  auto colon = t.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "\"" + std::string(t) + "\" phải có dạng máy:cổng (expected host:port)";
  auto host = t.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto portText = t.substr(colon + 1);
  int port = 0;
  auto [p, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (ec != std::errc() || p != portText.data() + portText.size() || port <= 0 || port > 65535)
    return "cổng \"" + std::string(portText) + "\" không hợp lệ (port must be 1–65535)";
  s.host = std::string(host);
  s.port = port;
  return {};
}

// Heartbeat points push to us; a target column, if filled, names the token file.
std::string heartbeatTarget(std::string_view t, ProbeSpec& s) {
  if (!t.empty()) s.tokenFile = std::string(t);
  return {};
}

constexpr std::array kRules{
    ProbeSpecRule{"http", checkHttp, urlTarget},
    ProbeSpecRule{"https", checkHttps, urlTarget},
    ProbeSpecRule{"tcp", checkTcp, hostPortTarget},
    ProbeSpecRule{"heartbeat", checkHeartbeat, heartbeatTarget},
    ProbeSpecRule{"bridge", checkBridge, heartbeatTarget},
};

}  // namespace

std::vector<std::string_view> probeKinds() {
  std::vector<std::string_view> kinds;
  for (const auto& r : kRules) kinds.push_back(r.kind);
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

bool probeKindExists(std::string_view kind) {
  return findProbeSpecRule(kind) != nullptr;
}

std::string probeKindList() {
  std::string out;
  for (const auto& k : probeKinds()) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

const ProbeSpecRule* findProbeSpecRule(std::string_view kind) {
  for (const auto& r : kRules)
    if (r.kind == kind) return &r;
  return nullptr;
}

std::string readProbeTarget(std::string_view target, ProbeSpec& spec) {
  if (const auto* rule = findProbeSpecRule(spec.kind)) return rule->fromTarget(target, spec);
  return urlTarget(target, spec);
}

std::string checkProbeSpec(const ProbeSpec& spec) {
  if (!probeKindExists(spec.kind))
    return "loại phép thử \"" + spec.kind +
           "\" không có (unknown probe kind); dùng một trong: " + probeKindList();
  if (const auto* rule = findProbeSpecRule(spec.kind)) return rule->check(spec);
  return checkTimeouts(spec);
}

}  // namespace ceremony::health
