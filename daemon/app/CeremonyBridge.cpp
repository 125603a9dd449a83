// The video bridge's side of the ceremony: the WHEP sessions the control API opens, the
// viewers' statistics fed to the connection points' health, and what the API shows of them.

#include <spdlog/spdlog.h>

#include <cmath>

#include "app/Ceremony.h"

namespace ceremony {

using nlohmann::json;

health::BridgeSignals* Ceremony::bridgeSignals() {
  return points_ ? &points_->bridge() : nullptr;
}

bool Ceremony::startBridge() {
  if (!config_.bridge.enabled) return true;
  media::BridgeSettings settings;
  settings.maxViewers = static_cast<std::size_t>(config_.bridge.maxViewers);
  settings.opusBitrateKbps = config_.bridge.audioBitrateKbps;
  settings.h264Profile = config_.format.h264Profile;
  settings.address = config_.bridge.address;
  settings.minPort = config_.bridge.udpPortMin;
  settings.maxPort = config_.bridge.udpPortMax;
  for (auto [text, into] : {std::pair{&config_.bridge.relayVideo, &settings.relayVideo},
                            std::pair{&config_.bridge.relayAudio, &settings.relayAudio}})
    if (const auto a = parseListenAddress(*text)) *into = {a->host, a->port};
  auto* mixer = mixer_.get();
  bridge_ = std::make_unique<media::WebRtcBridge>(settings, io_, *this,
                                                  [mixer] { mixer->requestKeyframe(); });
  std::string error;
  auto clock = mixer_->clock();
  if (!bridge_->start(clock.get(), mixer_->baseTime(), &error)) {
    // The programme goes on without the bridge: Facebook and the recording matter more.
    spdlog::error("Cầu truyền hình không khởi động được: {}", error);
    logEvent("bridge", "Cầu truyền hình không khởi động được: " + error);
    bridge_.reset();
    return false;
  }
  mixer_->addSink(std::shared_ptr<media::EncodedSink>(bridge_.get(), [](media::EncodedSink*) {}));
  spdlog::info("Cầu truyền hình sẵn sàng: các điểm cầu xem tại /diem-cau/<mã điểm>");
  if (!config_.bridge.srtListen.empty()) {
    const auto at = parseListenAddress(config_.bridge.srtListen);
    srt_ = std::make_unique<media::SrtListener>(io_, *this);
    if (!at || !srt_->start(at->host, at->port, config_.bridge.srtLatencyMs, &error)) {
      spdlog::error("Cầu truyền hình SRT không khởi động được: {}", error);
      logEvent("bridge", "Cầu truyền hình SRT không khởi động được: " + error);
      srt_.reset();
    } else {
      mixer_->addSink(std::shared_ptr<media::EncodedSink>(srt_.get(), [](media::EncodedSink*) {}));
      spdlog::info("Cầu truyền hình SRT: đầu thu gọi srt://{} (streamid #!::u=<mã điểm>,s=<mã>)",
                   config_.bridge.srtListen);
    }
  }
  return true;
}

void Ceremony::onCallerJoined(const std::string& sessionId, const std::string& pointId,
                              const std::string& peer) {
  auto* signals = bridgeSignals();
  if (!signals) return;
  health::BridgeSession s;
  s.id = sessionId;
  s.pointId = pointId;
  s.transport = "srt";
  s.peer = peer;
  s.connected = true;
  s.since = clock_.now();
  s.lastReport = s.since;
  signals->update(s);
  logEvent("bridge", "Điểm cầu «" + pointId + "» đang xem qua SRT (" + sessionId + ") từ " + peer,
           {{"point", pointId}, {"session", sessionId}, {"what", "joined"}, {"transport", "srt"}});
  publishPoints();
}

void Ceremony::onCallerLeft(const std::string& sessionId) {
  onViewerGone(sessionId, "the SRT caller left");
}

void Ceremony::onCallerStats(const media::SrtCallerStats& stats) {
  auto* signals = bridgeSignals();
  health::BridgeSession* s = signals ? signals->find(stats.sessionId) : nullptr;
  if (!s) return;
  s->sent(stats.bytesSent);
  // libsrt acknowledges continuously and drops a silent caller after its peer-idle timeout:
  // while the caller is listed, it is heard.
  s->lastReport = clock_.now();
  if (stats.rttMs) s->rttMs = stats.rttMs;
  if (stats.lossPercent) s->lossPercent = stats.lossPercent;
}

void Ceremony::keepBridgeSessions(const std::vector<health::BridgeSession>& sessions) {
  auto* signals = bridgeSignals();
  for (const auto& s : sessions) {
    const bool known = signals && points_->monitor().point(s.pointId).has_value();
    if (known) {
      signals->update(s);
    } else if (bridge_) {
      bridge_->removeViewer(s.id, "the point is no longer in the configuration");
    }
  }
}

bool Ceremony::pointTokenValid(const std::string& pointId, const std::string& token) {
  return points_ && points_->tokenValid(pointId, token);
}

api::WhepStart Ceremony::whepOffer(const std::string& pointId, const std::string& sdp,
                                   const std::string& remote, api::WhepAnswer answer) {
  if (!bridge_) return {404, "the video bridge is off", {}};
  int status = 0;
  std::string error;
  auto id = bridge_->addViewer(sdp, std::move(answer), &status, &error);
  if (!id) {
    if (status >= 500)
      logEvent("bridge", "Điểm cầu «" + pointId + "» không vào được cầu truyền hình: " + error,
               {{"point", pointId}});
    return {status, error, {}};
  }
  if (auto* signals = bridgeSignals()) {
    health::BridgeSession session;
    session.id = *id;
    session.pointId = pointId;
    session.transport = "webrtc";
    session.peer = remote;
    session.since = clock_.now();
    signals->update(session);
  }
  logEvent("bridge", "Điểm cầu «" + pointId + "» mở phiên xem " + *id + " (WebRTC) từ " + remote,
           {{"point", pointId}, {"session", *id}});
  return {0, {}, *id};
}

bool Ceremony::whepEnd(const std::string& pointId, const std::string& sessionId) {
  auto* signals = bridgeSignals();
  if (!bridge_ || !signals) return false;
  for (const auto& s : signals->sessions())
    if (s.id == sessionId && s.pointId == pointId)
      return bridge_->removeViewer(sessionId, "closed by the viewer");
  return false;
}

json Ceremony::bridgeSessions() {
  json out = json::array();
  auto* signals = bridgeSignals();
  if (!signals) return out;
  for (const auto& s : signals->sessions()) {
    json j = bridgeJson(s.pointId);
    if (j.is_null() || j.value("session", "") != s.id) {
      // Not the point's best session: described on its own.
      j = json{{"session", s.id},
               {"connected", s.connected},
               {"transport", s.transport},
               {"peer", s.peer},
               {"since", timeText(s.since)}};
    }
    j["point"] = s.pointId;
    out.push_back(std::move(j));
  }
  return out;
}

CommandResult Ceremony::endBridgeSession(const std::string& sessionId) {
  if (!bridge_ || !bridge_->removeViewer(sessionId, "ended by an operator"))
    return CommandResult::refused(CommandError::UnknownItem,
                                  "no bridge session «" + sessionId + "»");
  logEvent("operator", "kết thúc phiên cầu truyền hình " + sessionId, {{"session", sessionId}});
  return CommandResult::done();
}

std::optional<json> Ceremony::bridgeLinks() {
  if (!bridge_ || !points_) return std::nullopt;
  json out = json::array();
  for (const auto& [id, token] : points_->pointTokens()) {
    const auto p = points_->monitor().point(id);
    out.push_back(
        {{"id", id}, {"name", p ? p->name : id}, {"path", "/diem-cau/" + id + "?token=" + token}});
  }
  return out;
}

json Ceremony::bridgeJson(const std::string& pointId) const {
  if (!points_) return nullptr;
  const auto s = points_->bridge().best(pointId);
  if (!s) return nullptr;
  json j{{"session", s->id},          {"transport", s->transport},
         {"connected", s->connected}, {"since", timeText(s->since)},
         {"peer", s->peer},           {"kbps", std::lround(s->kbps)}};
  if (s->rttMs) j["rtt_ms"] = std::lround(*s->rttMs);
  if (s->lossPercent) j["loss_percent"] = std::round(*s->lossPercent * 10) / 10;
  if (s->jitterMs) j["jitter_ms"] = std::lround(*s->jitterMs);
  if (s->lastReport) j["last_report"] = timeText(*s->lastReport);
  return j;
}

void Ceremony::bridgeMetrics(std::string& out) const {
  if (!bridge_ || !points_) return;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  line("# HELP ceremonyd_bridge_viewers Viewers of the video bridge (WebRTC and SRT).");
  line("# TYPE ceremonyd_bridge_viewers gauge");
  line("ceremonyd_bridge_viewers " + std::to_string(points_->bridge().viewers()));
  line("# HELP ceremonyd_bridge_rtt_seconds Round trip to the point's viewer (RTCP).");
  line("# TYPE ceremonyd_bridge_rtt_seconds gauge");
  line("# HELP ceremonyd_bridge_loss_ratio Fraction of packets the point's viewer lost.");
  line("# TYPE ceremonyd_bridge_loss_ratio gauge");
  const auto relays = bridge_->relays();
  if (!relays.empty()) {
    line("# HELP ceremonyd_bridge_relay_packets_total RTP packets relayed to the media server.");
    line("# TYPE ceremonyd_bridge_relay_packets_total counter");
    for (const auto& r : relays)
      line("ceremonyd_bridge_relay_packets_total{media=\"" + r.media + "\"} " +
           std::to_string(r.packets));
    line("# HELP ceremonyd_bridge_relay_dropped_total RTP packets the relay's socket refused.");
    line("# TYPE ceremonyd_bridge_relay_dropped_total counter");
    for (const auto& r : relays)
      line("ceremonyd_bridge_relay_dropped_total{media=\"" + r.media + "\"} " +
           std::to_string(r.dropped));
  }
  std::set<std::string> seen;
  for (const auto& s : points_->bridge().sessions()) {
    if (!seen.insert(s.pointId).second) continue;
    const auto best = points_->bridge().best(s.pointId);
    const std::string label = "{point=\"" + s.pointId + "\"} ";
    if (best && best->rttMs)
      line("ceremonyd_bridge_rtt_seconds" + label + std::to_string(*best->rttMs / 1000));
    if (best && best->lossPercent)
      line("ceremonyd_bridge_loss_ratio" + label + std::to_string(*best->lossPercent / 100));
  }
}

void Ceremony::onViewerConnected(const std::string& sessionId) {
  auto* signals = bridgeSignals();
  if (!signals) return;
  for (auto s : signals->sessions())
    if (s.id == sessionId) {
      s.connected = true;
      s.lastReport = clock_.now();  // reports are due from now on
      signals->update(s);
      steerPointsMix();
      logEvent("bridge",
               "Điểm cầu «" + s.pointId + "» đang xem qua cầu truyền hình (" + sessionId + ")",
               {{"point", s.pointId},
                {"session", sessionId},
                {"what", "joined"},
                {"transport", s.transport}});
      publishPoints();
    }
}

void Ceremony::onViewerGone(const std::string& sessionId, const std::string& reason) {
  auto* signals = bridgeSignals();
  if (!signals) return;
  for (const auto& s : signals->sessions())
    if (s.id == sessionId) {
      signals->remove(sessionId);
      logEvent("bridge",
               "Điểm cầu «" + s.pointId + "» rời cầu truyền hình (" + sessionId + "): " + reason,
               {{"point", s.pointId},
                {"session", sessionId},
                {"what", "left"},
                {"transport", s.transport},
                {"reason", reason}});
      publishPoints();
    }
}

void Ceremony::onViewerStats(const media::ViewerStats& stats) {
  auto* signals = bridgeSignals();
  health::BridgeSession* s = signals ? signals->find(stats.sessionId) : nullptr;
  if (!s) return;
  s->sent(stats.bytesSent);
  s->packetsSent = stats.packetsSent;
  s->connected = stats.connected;
  if (stats.freshReport) s->lastReport = clock_.now();
  if (stats.rttMs) s->rttMs = stats.rttMs;
  if (stats.lossPercent) s->lossPercent = stats.lossPercent;
  if (stats.jitterMs) s->jitterMs = stats.jitterMs;
}

}  // namespace ceremony
