// The connection points' return feeds: a point's camera and microphone sent back to the
// province over WHIP (pipelines/bridge/ReturnFeed), shown wherever a `point` source is on
// the programme, and the operators' cut to a point.

#include <spdlog/spdlog.h>

#include <cmath>

#include "app/Ceremony.h"

namespace ceremony {

using nlohmann::json;

// A point sends one picture: a new session (the commune reloaded its page, its encoder called
// again, over WHIP or SRT) replaces the one before it.
void Ceremony::replaceReturn(const std::string& pointId) {
  auto it = returns_.find(pointId);
  if (it == returns_.end()) return;
  auto old = std::move(it->second.feed);
  returns_.erase(it);
  old->stop("replaced by a new session");
  logEvent("bridge",
           "Điểm cầu «" + pointId + "» mở lại phiên gửi hình (" + old->sessionId() +
               " thay bằng phiên mới)",
           {{"point", pointId}, {"session", old->sessionId()}, {"what", "return-replaced"}});
}

std::string Ceremony::pointName(const std::string& pointId) const {
  for (const auto& p : config_.health.points)
    if (p.id == pointId) return p.name.empty() ? p.id : p.name;
  return pointId;
}

// Where a new return feed's frames go: its `point` source's channel and watch, or (no source
// shows the point: only a mosaic's tile may) a channel and watch of its own session.
media::LiveTarget Ceremony::returnDestination(const std::string& pointId, bool* shownBySource) {
  auto target = mixer_->returnTarget(pointId);
  if (shownBySource) *shownBySource = target.has_value();
  if (target) return std::move(*target);
  media::LiveTarget own;
  own.channel = "ceremonyd-return-" + std::to_string(returnCount_) + "-" + pointId;
  own.watch = std::make_shared<media::InputWatch>();
  own.watch->id = pointId;
  own.watch->watchPicture = false;
  return own;
}

api::WhepStart Ceremony::whipOffer(const std::string& pointId, const std::string& sdp,
                                   const std::string& remote, api::WhepAnswer answer) {
  if (!bridge_ || !mixer_) return {404, "the video bridge is off", {}};
  replaceReturn(pointId);
  media::ReturnFeedStart start;
  start.pointId = pointId;
  start.sessionId = "r" + std::to_string(++returnCount_);
  start.offerSdp = sdp;
  start.address = config_.bridge.address;
  start.minPort = config_.bridge.udpPortMin;
  start.maxPort = config_.bridge.udpPortMax;
  start.maxKbps = config_.bridge.returnBitrateKbps;
  start.format = config_.format;
  // Decoded only while something shows it (steerReturnFeeds, right after it is added).
  start.decode = false;
  start.name = pointName(pointId);
  start.target = returnDestination(pointId);
  auto feed = std::make_shared<media::ReturnFeed>(io_, *this, std::move(start));
  int status = 0;
  std::string error;
  if (!feed->start(std::move(answer), &status, &error)) {
    if (status >= 500)
      logEvent("bridge", "Điểm cầu «" + pointId + "» không gửi được hình về: " + error,
               {{"point", pointId}});
    return {status, error, {}};
  }
  ReturnSession session;
  session.feed = media::returnHandle(feed);
  session.remote = remote;
  session.since = clock_.now();
  returns_.emplace(pointId, std::move(session));
  steerReturnFeeds();
  logEvent("bridge",
           "Điểm cầu «" + pointId + "» mở phiên gửi hình " + feed->sessionId() + " từ " + remote,
           {{"point", pointId}, {"session", feed->sessionId()}, {"what", "return-opened"}});
  publishPoints(pointId);
  return {0, {}, feed->sessionId()};
}

bool Ceremony::whipEnd(const std::string& pointId, const std::string& sessionId) {
  auto it = returns_.find(pointId);
  if (it == returns_.end() || it->second.feed->sessionId() != sessionId) return false;
  onReturnEnded(pointId, sessionId, "closed by the point");
  return true;
}

void Ceremony::onReturnConnected(const std::string& pointId, const std::string& sessionId) {
  auto it = returns_.find(pointId);
  if (it == returns_.end() || it->second.feed->sessionId() != sessionId) return;
  it->second.connected = true;
  steerReturnFeeds();  // a mosaic of the points sending has one more
  logEvent("bridge", "Điểm cầu «" + pointId + "» đang gửi hình về tỉnh (" + sessionId + ")",
           {{"point", pointId}, {"session", sessionId}, {"what", "return-connected"}});
  publishPoints(pointId);
}

void Ceremony::onReturnEnded(const std::string& pointId, const std::string& sessionId,
                             const std::string& reason) {
  auto it = returns_.find(pointId);
  if (it == returns_.end() || it->second.feed->sessionId() != sessionId) return;
  returnEndAlarm(pointId, sessionId, reason);  // before it leaves the programme
  auto feed = std::move(it->second.feed);
  returns_.erase(it);
  feed->stop("điểm cầu ngừng gửi hình (" + reason + ")");
  steerReturnFeeds();  // its mosaic tile goes to the next point sending
  logEvent(
      "bridge", "Điểm cầu «" + pointId + "» ngừng gửi hình về tỉnh (" + sessionId + "): " + reason,
      {{"point", pointId}, {"session", sessionId}, {"what", "return-ended"}, {"reason", reason}});
  publishPoints(pointId);
}

void Ceremony::onReturnStats(const std::string& pointId, const std::string& sessionId,
                             const media::ReturnFeedStats& stats) {
  auto it = returns_.find(pointId);
  if (it != returns_.end() && it->second.feed->sessionId() == sessionId) {
    it->second.stats = stats;
    watchReturn(pointId, sessionId, stats.bytesReceived);
  }
}

namespace {
// Why a session ended (ReturnFeed's words, and ours), for the operators.
const std::string kEndedByThePoint = "closed by the point";
const std::string kFlooded = "đã ngắt: gửi quá băng thông được cấp";
const std::string kMediaError = "media error: ";
std::string endReasonVi(const std::string& reason) {
  if (reason == "ICE/DTLS failed") return "mất kết nối ICE/DTLS";
  if (reason == "the point closed the connection") return "điểm cầu đóng kết nối";
  if (reason == kEndedByThePoint) return "điểm cầu kết thúc phiên";
  if (reason.rfind(kMediaError, 0) == 0) return reason.substr(kMediaError.size());
  if (reason.rfind("offer not answered", 0) == 0) return "không trả lời được lời mời kết nối";
  return reason;
}
}  // namespace

// Once a second per session: is it still sending, is its picture moving, does it keep to
// the bandwidth it was given? A flood is cut off here, alone: its session ends (the card
// shows in its place), the programme and the other points go on.
void Ceremony::watchReturn(const std::string& pointId, const std::string& sessionId,
                           std::uint64_t bytesReceived) {
  ReturnAlarms::Settings settings;
  settings.capKbps = config_.bridge.returnBitrateKbps;
  settings.floodFactor = config_.bridge.returnFloodFactor;
  returnAlarms_.setSettings(settings);
  ReturnAlarms::Sample sample;
  sample.bytes = bytesReceived;
  sample.at = std::chrono::steady_clock::now();
  if (mixer_)
    if (auto target = mixer_->returnTarget(pointId); target && target->watch)
      sample.frozen = target->watch->frozen && !target->watch->idle;  // idle: not decoded
  bool cut = false;
  tellReturnAlerts(returnAlarms_.sample(pointId, sessionId, sample, &cut));
  if (cut) onReturnEnded(pointId, sessionId, kFlooded);
}

void Ceremony::returnEndAlarm(const std::string& pointId, const std::string& sessionId,
                              const std::string& reason) {
  ReturnAlarms::End end;
  end.byThePoint = reason == kEndedByThePoint;
  end.flooded = reason == kFlooded;
  end.mediaFailed = reason.rfind(kMediaError, 0) == 0;
  end.onProgramme = mixer_ && mixer_->returnTarget(pointId).has_value();
  end.onAir = mixer_ && mixer_->pointsOnAir().count(pointId) > 0;
  end.reason = endReasonVi(reason);
  tellReturnAlerts(returnAlarms_.ended(pointId, sessionId, end));
}

// Each alert: the operators' events, and the webhook the points' own alerts go to.
void Ceremony::tellReturnAlerts(const std::vector<ReturnAlarms::Alert>& alerts) {
  for (const auto& a : alerts) {
    const health::PointConfig* p = points_ ? points_->monitor().findPoint(a.pointId) : nullptr;
    const std::string text = "Điểm cầu " + (p ? p->name : a.pointId) + ": " + a.what;
    if (a.active)
      spdlog::warn("{}", text);
    else
      spdlog::info("{}", text);
    json extra{
        {"point", a.pointId}, {"what", "return-alert"}, {"alert", a.cause}, {"active", a.active}};
    if (a.kbps) extra["kbps"] = a.kbps;
    logEvent("bridge", text, extra);
    if (!points_) continue;
    json body{{"type", "return_feed"},
              {"time", timeText(clock_.now())},
              {"alert", a.cause},
              {"active", a.active},
              {"text", text}};
    body["point"] = p ? json{{"id", p->id},
                             {"name", p->name},
                             {"kind", p->kind},
                             {"contact_name", p->contactName},
                             {"contact_phone", p->contactPhone}}
                      : json{{"id", a.pointId}};
    if (a.kbps) {
      body["kbps"] = a.kbps;
      body["cap_kbps"] = config_.bridge.returnBitrateKbps;
    }
    points_->sendAlert(std::move(body));
  }
}

void Ceremony::startSrtPublish() {
  if (!bridge_ || config_.bridge.srtPublishPort == 0) return;
  // The listener's address: srt_listen's, else the one the points are told, else every one.
  std::string host = config_.bridge.address.empty() ? "0.0.0.0" : config_.bridge.address;
  if (const auto at = parseListenAddress(config_.bridge.srtListen)) host = at->host;
  srtPublish_ = std::make_unique<media::SrtPublishListener>(io_, *this);
  setSrtPublishTokens();
  std::string error;
  const auto port = static_cast<std::uint16_t>(config_.bridge.srtPublishPort);
  if (!srtPublish_->start(host, port, config_.bridge.srtLatencyMs, &error)) {
    spdlog::error("Cổng SRT nhận hình các điểm cầu không mở được: {}", error);
    logEvent("bridge", "Cổng SRT nhận hình các điểm cầu không mở được: " + error);
    srtPublish_.reset();
    return;
  }
  spdlog::info(
      "Điểm cầu gửi hình về qua SRT: srt://{}:{} (streamid #!::r=<mã điểm>,m=publish, "
      "passphrase = mã của điểm)",
      host, port);
}

void Ceremony::setSrtPublishTokens() {
  if (!srtPublish_ || !points_) return;
  const auto tokens = points_->pointTokens();
  srtPublish_->setTokens({tokens.begin(), tokens.end()});
}

// An encoder whose passphrase was the point's token: its feed, as a WHIP session's.
void Ceremony::onSrtPublisher(media::SrtPublisher publisher) {
  if (!mixer_ || stopping_) return;  // dropping it closes the connection
  const std::string pointId = publisher.pointId, peer = publisher.peer;
  replaceReturn(pointId);
  media::SrtReturnFeedStart start;
  start.pointId = pointId;
  start.sessionId = "r" + std::to_string(++returnCount_);
  start.publisher = std::move(publisher);
  start.format = config_.format;
  // Decoded once something shows it (steerReturnFeeds, right after it is added); from its
  // first datagram if a `point` source shows it (its first keyframe is its first picture,
  // and the sender cannot be asked for another).
  start.name = pointName(pointId);
  start.target = returnDestination(pointId, &start.shownBySource);
  start.decode = start.shownBySource;
  auto feed = std::make_shared<media::SrtReturnFeed>(io_, *this, std::move(start));
  std::string error;
  if (!feed->start(&error)) {
    logEvent("bridge", "Điểm cầu «" + pointId + "» không gửi được hình về qua SRT: " + error,
             {{"point", pointId}, {"transport", "srt"}});
    return;
  }
  ReturnSession session;
  session.feed = feed;
  session.remote = peer.substr(0, peer.rfind(':'));
  session.since = clock_.now();
  returns_.emplace(pointId, std::move(session));
  steerReturnFeeds();
  logEvent(
      "bridge",
      "Điểm cầu «" + pointId + "» gửi hình về qua SRT, phiên " + feed->sessionId() + " từ " + peer,
      {{"point", pointId},
       {"session", feed->sessionId()},
       {"what", "return-opened"},
       {"transport", "srt"}});
  publishPoints(pointId);
}

void Ceremony::stopReturns() {
  if (srtPublish_) srtPublish_->stop();  // no new publisher, no datagram pushed any more
  auto returns = std::move(returns_);
  returns_.clear();
  for (auto& [id, r] : returns) r.feed->stop("");
}

json Ceremony::returnJson(const std::string& pointId) const {
  auto it = returns_.find(pointId);
  if (it == returns_.end()) return nullptr;
  const ReturnSession& r = it->second;
  json j{{"session", r.feed->sessionId()},
         {"transport", r.feed->transport()},
         {"connected", r.connected},
         {"since", timeText(r.since)},
         {"peer", r.remote},
         {"bytes_received", r.stats.bytesReceived},
         {"packets_lost", r.stats.packetsLost}};
  if (r.stats.jitterMs) j["jitter_ms"] = std::lround(*r.stats.jitterMs);
  j["on_programme"] = mixer_ && mixer_->returnTarget(pointId).has_value();
  j["on_air"] = mixer_ && mixer_->pointsOnAir().count(pointId) > 0;
  j["decoding"] = r.feed->decoding();
  if (const auto tile = r.feed->tile())
    j["tile"] = tile->channel.substr(tile->channel.rfind('-') + 1);
  return j;
}

void Ceremony::steerPointsMix() {
  auto* signals = bridgeSignals();
  if (!bridge_ || !mixer_ || !signals) return;
  const auto onAir = mixer_->pointsOnAir();
  for (const auto& s : signals->sessions())
    if (s.transport == "webrtc") bridge_->hearPointsMix(s.id, onAir.count(s.pointId) > 0);
}

// `cut point:<id>`: the point's `point` source full screen (a scene made once per point).
const SceneConfig* Ceremony::pointScene(const std::string& sceneId, std::string* error) {
  const std::string pointId = sceneId.substr(std::string("point:").size());
  for (const auto& s : config_.sources)
    if (s.kind == SourceKind::Point && s.point == pointId) {
      SceneConfig& scene = pointScenes_[sceneId];
      scene.id = sceneId;
      scene.kind = SceneKind::Source;
      scene.source = s.id;
      return &scene;
    }
  *error = "no source shows point «" + pointId +
           "»: add [sources.<id>] kind = \"point\", point = \"" + pointId + "\"";
  return nullptr;
}

}  // namespace ceremony
