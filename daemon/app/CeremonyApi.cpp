// The control API's server: its tokens, address and TLS, and the live push of the
// dashboard's topics (status, timeline, events, points). The api::Backend answers are in the
// files named for what they serve: CeremonyStatus, CeremonyCommands, CeremonyPoints,
// CeremonyOutputs, CeremonyMetrics, CeremonyBridge. On the io_context thread.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "app/Ceremony.h"
#include "config/Secrets.h"
#include "config/TimeSpec.h"
#include "health/HealthEvents.h"
#include "health/PointState.h"

namespace ceremony {

namespace {

using nlohmann::json;

// JSON as sent to clients; text that is not UTF-8 (a config typo) is replaced, never thrown on.
std::string text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::optional<std::string> Ceremony::previewJpeg() {
  if (!mixer_) return std::nullopt;
  return mixer_->previewJpeg();
}

// ---- live push ---------------------------------------------------------------------------

void Ceremony::publishStatus() {
  refreshStatusBody();
  feed_.publish("status", statusBody_);
}

void Ceremony::refreshStatusBody() {
  statusBody_ = text(status());
  statusBodyAt_ = std::chrono::steady_clock::now();
}

std::string Ceremony::statusBody() {
  // Every change publishes (and so rebuilds) the status at once; between changes only the
  // clock and countdowns move, so a copy up to 100 ms old is as good and far cheaper under
  // load (a dashboard wall, a script polling).
  if (statusBody_.empty() ||
      std::chrono::steady_clock::now() - statusBodyAt_ > std::chrono::milliseconds(100))
    refreshStatusBody();
  return statusBody_;
}

void Ceremony::publishTimeline() {
  feed_.publish("timeline", text(timeline()));
}

void Ceremony::publishEvents() {
  feed_.publish("events", text(events(50)));
}

void Ceremony::publishPoints(const std::string& pointId) {
  if (pointId.empty())
    pointsAllChanged_ = true;
  else if (!pointsAllChanged_)
    pointsChanged_.insert(pointId);
  // Point changes come in bursts (an uplink drop moves 60 at once): send at most 4 a second.
  if (pointsDirty_) return;
  pointsDirty_ = true;
  pointsFlush_.expires_after(std::chrono::milliseconds(250));
  pointsFlush_.async_wait([this](const boost::system::error_code& ec) {
    pointsDirty_ = false;
    if (ec || stopping_) return;
    if (pointsAllChanged_)
      publishPointsNow();
    else
      publishPointsChanged();
    publishEvents();
    publishStatus();
  });
}

namespace {

// A point as the feed carries it, and what counts as its change.
api::LiveFeed::Item pointItem(json& p) {
  api::LiveFeed::Item item{p.value("id", std::string()), text(p), {}};
  // What moves at every probe is no change of the point: it rides along with the next one.
  p.erase("latency_ms");
  if (auto pr = p.find("probes"); pr != p.end() && pr->is_array())
    for (auto& one : *pr)
      for (const char* k : {"at", "latency_ms", "connect_ms", "tls_ms", "first_byte_ms"})
        one.erase(k);
  if (auto b = p.find("bridge"); b != p.end() && b->is_object())
    for (const char* k : {"kbps", "rtt_ms", "jitter_ms", "last_report"}) b->erase(k);
  if (auto r = p.find("return"); r != p.end() && r->is_object())
    for (const char* k : {"bytes_received", "packets_lost", "jitter_ms"}) r->erase(k);
  item.key = text(p);
  return item;
}

}  // namespace

void Ceremony::publishPointsChanged() {
  std::set<std::string> ids;
  ids.swap(pointsChanged_);
  if (!points_) return;
  json summary = points_->monitor().summaryJson();
  std::vector<api::LiveFeed::Item> items;
  items.reserve(ids.size());
  for (const auto& id : ids) {
    auto p = point(id);
    if (!p) continue;
    p->erase("history");
    items.push_back(pointItem(*p));
  }
  if (!feed_.updateItems("points", text(summary), std::move(items))) publishPointsNow();
}

void Ceremony::publishPointsNow() {
  // The topic "points": the whole list once to each client, then only the points that
  // changed ("points-changed", LiveFeed), with the counts, the uplink alarm and the counts of
  // each group (province) in every message.
  pointsAllChanged_ = false;
  pointsChanged_.clear();
  json j = points(false);
  std::vector<api::LiveFeed::Item> items;
  items.reserve(j["points"].size());
  for (auto& p : j["points"]) items.push_back(pointItem(p));
  j.erase("points");
  // The groups' counts are the health watch's (HealthMonitor::groupsJson); no watch, no groups.
  if (!j.contains("groups")) j["groups"] = json::array();
  feed_.publishList("points", "points", text(j), std::move(items));
}

// ---- the server --------------------------------------------------------------------------

bool Ceremony::startApi() {
  api::ApiTokens tokens;
  struct Source {
    const char* role;
    std::string file, credential;
    std::string* into;
  };
  const std::vector<Source> sources = {
      {"viewer",
       options_.viewerTokenFile.empty() ? config_.api.viewerTokenFile : options_.viewerTokenFile,
       options_.viewerTokenFile.empty() ? config_.api.viewerTokenCredential : std::string(),
       &tokens.viewer},
      {"operator",
       options_.operatorTokenFile.empty() ? config_.api.operatorTokenFile
                                          : options_.operatorTokenFile,
       options_.operatorTokenFile.empty() ? config_.api.operatorTokenCredential : std::string(),
       &tokens.operator_},
  };
  for (const auto& s : sources) {
    if (s.file.empty() && s.credential.empty()) continue;
    std::string whyNot;
    auto token = readSecret(s.file, s.credential, std::string(s.role) + " token", &whyNot);
    if (!token) {
      // Running with the wrong access rules is worse than not starting: say why and stop.
      spdlog::critical("API: không đọc được mã {}: {}", s.role, whyNot);
      return false;
    }
    rememberSecret(*token);
    *s.into = std::move(*token);
  }
  if (tokens.operator_.empty())
    spdlog::warn(
        "API: không có mã kỹ thuật viên (operator token): chỉ xem được, không điều khiển được");
  if (!tokens.operator_.empty() && tokens.operator_ == tokens.viewer) {
    spdlog::critical("API: mã xem và mã kỹ thuật viên trùng nhau; hãy dùng hai mã khác nhau");
    return false;
  }

  const std::string listen = options_.listen.empty() ? config_.api.listen : options_.listen;
  const auto where = parseListenAddress(listen);  // checked already where it was read
  if (!where) {
    spdlog::critical("API: «{}» is not ADDRESS:PORT", listen);
    return false;
  }

  // Beyond this machine tokens and contacts would cross the province's network: in clear
  // only when said out loud, and never with reads open to anyone.
  boost::system::error_code notIp;
  const auto address = boost::asio::ip::make_address(where->host, notIp);
  const bool beyondLoopback = notIp || !address.is_loopback();
  if (beyondLoopback && tokens.viewer.empty()) {
    spdlog::critical(
        "API: nghe trên {} (ngoài máy này) mà không có mã xem (viewer token): ai cũng đọc được "
        "danh bạ điểm cầu; đặt [api] viewer_token_file hoặc --viewer-token-file",
        where->host);
    return false;
  }
  if (beyondLoopback && !config_.api.tls()) {
    if (!options_.insecure) {
      spdlog::critical(
          "API: nghe trên {} (ngoài máy này) cần HTTPS: đặt [api] tls_certificate_file và "
          "tls_key_file (hoặc *_credential); --insecure để chấp nhận HTTP không mã hoá",
          where->host);
      return false;
    }
    spdlog::warn(
        "API: --insecure: HTTP không mã hoá trên {}; mã và danh bạ đi qua mạng không được bảo vệ",
        where->host);
  }
  api_ = std::make_unique<api::ControlApi>(*this, std::move(tokens));
  api::HttpLimits limits;
  limits.maxConnections = static_cast<std::size_t>(config_.api.maxConnections);
  limits.maxPerAddress = static_cast<std::size_t>(config_.api.maxConnectionsPerAddress);
  limits.maxStreams = static_cast<std::size_t>(config_.api.maxStreams);
  limits.maxStreamsPerAddress = static_cast<std::size_t>(config_.api.maxStreamsPerAddress);
  limits.serverNames = config_.api.serverNames;
  http_ = std::make_unique<api::HttpServer>(
      io_, [this](const api::HttpRequest& r) { return api_->handle(r); }, limits);
  if (config_.api.tls() && !loadTls(config_.api, true)) return false;
  std::string error;
  if (!http_->listen(where->host, where->port, &error)) {
    spdlog::critical("API: {}", error);
    return false;
  }
  publishTimeline();
  publishStatus();
  publishEvents();
  publishPointsNow();
  spdlog::info("Bảng điều khiển và API: {}://{}/", http_->tls() ? "https" : "http",
               http_->endpoint());
  return true;
}

bool Ceremony::loadTls(const ApiConfig& api, bool atStart) {
  std::string whyNot;
  const auto chain =
      readPem(api.tlsCertificateFile, api.tlsCertificateCredential, "TLS certificate", &whyNot);
  std::optional<std::string> key;
  if (chain) key = readPem(api.tlsKeyFile, api.tlsKeyCredential, "TLS key", &whyNot);
  api::TlsIdentity id;
  const bool ok = chain && key && http_->setTls(*chain, *key, &id, &whyNot);
  if (key) std::fill(key->begin(), key->end(), '\0');
  if (!ok) {
    spdlog::log(atStart ? spdlog::level::critical : spdlog::level::err, "API: HTTPS: {}", whyNot);
    return false;
  }
  spdlog::info("API: HTTPS với chứng chỉ {} (SHA-256 {}), hết hạn {}", id.subject, id.sha256,
               id.notAfter);
  if (id.secondsLeft <= 0)
    spdlog::error("API: chứng chỉ HTTPS đã hết hạn từ {}: trình duyệt của các điểm cầu sẽ từ chối",
                  id.notAfter);
  else if (id.secondsLeft < 14 * 86400)
    spdlog::warn("API: chứng chỉ HTTPS hết hạn trong {} ngày ({}); hãy gia hạn rồi gửi SIGHUP",
                 id.secondsLeft / 86400, id.notAfter);
  return true;
}

}  // namespace ceremony
