// The running ceremony as the control API sees it (api::Backend): JSON views of the
// run-of-show, outputs and points, and the operators' commands. Everything here runs on the
// io_context thread; the shapes are documented in daemon/api/README.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "app/Ceremony.h"
#include "config/Secrets.h"
#include "config/TimeSpec.h"
#include "health/HealthEvents.h"
#include "health/PointState.h"

namespace ceremony {

namespace {

using nlohmann::json;
constexpr std::size_t kLogCapacity = 500;
constexpr Millis kOperatorLead{200};

std::string offsetText(int minutes) {
  char buf[16];
  const int a = minutes < 0 ? -minutes : minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

// JSON as sent to clients; text that is not UTF-8 (a config typo) is replaced, never thrown on.
std::string text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ms(const std::optional<Millis>& m) {
  return m ? json(m->count()) : json(nullptr);
}

const char* sourceKindName(SourceKind k) {
  switch (k) {
    case SourceKind::Test:
      return "test";
    case SourceKind::Uri:
      return "uri";
    case SourceKind::Image:
      return "image";
    case SourceKind::Launch:
      return "launch";
  }
  return "?";
}

}  // namespace

std::string Ceremony::timeText(WallTime t) const {
  return health::formatTime(t, config_.event.utcOffsetMinutes);
}

json Ceremony::itemJson(const ItemStatus& item) const {
  const int off = config_.event.utcOffsetMinutes;
  auto at = [&](const std::optional<WallTime>& t) -> json {
    return t ? json(timeText(*t)) : json(nullptr);
  };
  auto clock = [&](const std::optional<WallTime>& t) -> json {
    return t ? json(clockText(*t, off, false)) : json(nullptr);
  };
  json j{{"index", item.index},
         {"number", item.index + 1},
         {"id", item.id},
         {"title", item.title},
         {"scene", item.scene},
         {"cue", toString(item.cue)},
         {"state", toString(item.state)},
         {"planned_start", timeText(item.plannedStart)},
         {"planned_end", at(item.plannedEnd)},
         {"start", at(item.actualStart ? item.actualStart : item.projectedStart)},
         {"end", at(item.actualEnd ? item.actualEnd : item.projectedEnd)},
         {"actual_start", at(item.actualStart)},
         {"actual_end", at(item.actualEnd)},
         {"planned_start_clock", clockText(item.plannedStart, off, false)},
         {"planned_end_clock", clock(item.plannedEnd)},
         {"start_clock", clock(item.actualStart ? item.actualStart : item.projectedStart)},
         {"end_clock", clock(item.actualEnd ? item.actualEnd : item.projectedEnd)},
         {"slip_ms", ms(item.slip)}};
  if (!item.lowerThird.empty())
    j["lower_third"] = {{"name", item.lowerThird.name}, {"role", item.lowerThird.role}};
  else
    j["lower_third"] = nullptr;
  return j;
}

json Ceremony::status() {
  const WallTime now = clock_.now();
  json j;
  j["event"] = {{"title", config_.event.title},
                {"date", config_.event.date},
                {"venue", config_.event.venue},
                {"timezone", offsetText(config_.event.utcOffsetMinutes)}};
  j["now"] = timeText(now);
  j["clock"] = clockText(now, config_.event.utcOffsetMinutes, true);
  j["rehearsal"] = rehearsal_ ? json{{"speed", rehearsal_->speed()}} : json(nullptr);
  j["on_air_scene"] = mixer_ ? mixer_->onAirScene() : std::string();

  const auto destinations = outputs_.status();
  j["live"] = media::OutputSupervisor::anyLive(destinations);
  j["outputs"] = outputsJson(destinations);

  if (timeline_) {
    const TimelineNow tn = timeline_->status(now);
    j["phase"] = toString(tn.phase);
    j["item_count"] = timeline_->size();
    j["current"] = tn.current ? itemJson(timeline_->item(*tn.current, now)) : json(nullptr);
    j["next"] = tn.next ? itemJson(timeline_->item(*tn.next, now)) : json(nullptr);
    j["next_starts_by_itself"] = tn.nextStartsByItself;
    j["remaining_ms"] = ms(tn.remaining);
    j["countdown_ms"] = ms(tn.countdown);
  } else {
    j["phase"] = "starting";
    j["item_count"] = config_.timeline.size();
    j["current"] = nullptr;
    j["next"] = nullptr;
  }

  json inputs = json::array();
  const auto watched = mixer_ ? mixer_->inputs() : std::vector<media::InputStatus>{};
  for (const auto& s : config_.sources) {
    json in{{"id", s.id}, {"label", s.label}, {"kind", sourceKindName(s.kind)}};
    auto st = std::find_if(watched.begin(), watched.end(),
                           [&](const media::InputStatus& i) { return i.id == s.id; });
    if (st == watched.end()) {
      in["state"] = "starting";
    } else {
      // A generated source (test pattern, still image) cannot lose its signal.
      in["state"] = st->watched ? media::toString(st->state) : "generated";
      in["watched"] = st->watched;
      in["losses"] = st->losses;
      in["restarts"] = st->restarts;
      in["last_reason"] = scrubSecrets(st->lastReason);
      in["since"] = timeText(st->since);
    }
    inputs.push_back(std::move(in));
  }
  j["inputs"] = std::move(inputs);

  json pts;
  if (points_) {
    const auto c = points_->monitor().counts();
    for (auto st : health::kAllStatuses) pts[std::string(health::statusName(st))] = c.of(st);
    pts["total"] = c.total();
    pts["uplink_alarm"] = points_->monitor().uplinkAlarm();
  }
  j["points"] = std::move(pts);
  return j;
}

json Ceremony::timeline() {
  const WallTime now = clock_.now();
  json items = json::array();
  json notes = json::array();
  if (timeline_) {
    for (const auto& it : timeline_->items(now)) items.push_back(itemJson(it));
    for (const auto& n : timeline_->planNotes()) notes.push_back(n);
  }
  json scenes = json::array();
  for (const auto& sc : config_.scenes)
    scenes.push_back({{"id", sc.id}, {"label", sc.label.empty() ? sc.id : sc.label}});
  json cues = json::array();
  for (const auto& item : config_.timeline)
    if (item.cue == CueMode::Manual) cues.push_back({{"name", item.id}, {"title", item.title}});
  return {{"items", items}, {"scenes", scenes}, {"cues", cues}, {"notes", notes}};
}

CommandResult Ceremony::operatorCommand(const std::string& what, const CommandResult& result) {
  if (result.ok()) {
    spdlog::info("Lệnh của kỹ thuật viên: {}", what);
    logEvent("operator", what);
  } else {
    spdlog::warn("Lệnh của kỹ thuật viên bị từ chối: {}: {}", what, result.message);
  }
  publishTimeline();
  publishStatus();
  return result;
}

CommandResult Ceremony::recorded(const CommandResult& result, const std::string& op,
                                 const std::string& arg, Millis by) {
  if (result.ok() && runner_) record({runner_->lastCommandAt(), op, arg, by});
  return result;
}

CommandResult Ceremony::next() {
  if (!runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  return recorded(operatorCommand("tiếp (next)", runner_->next()), "next");
}

CommandResult Ceremony::hold() {
  if (!runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  return recorded(operatorCommand("giữ (hold)", runner_->hold()), "hold");
}

CommandResult Ceremony::resume() {
  if (!runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  return recorded(operatorCommand("tiếp tục (resume)", runner_->resume()), "resume");
}

CommandResult Ceremony::goTo(const std::string& itemId) {
  if (!runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  return recorded(operatorCommand("chuyển tới mục «" + itemId + "» (goto)", runner_->goTo(itemId)),
                  "goto", itemId);
}

CommandResult Ceremony::extend(Millis by) {
  if (!runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  return recorded(operatorCommand("kéo dài " + spanText(by) + " (extend)", runner_->extend(by)),
                  "extend", {}, by);
}

CommandResult Ceremony::cut(const std::string& sceneId) {
  const SceneConfig* scene = config_.findScene(sceneId);
  if (!scene)
    return CommandResult::refused(CommandError::UnknownItem, "no scene «" + sceneId + "»");
  if (scene->kind == SceneKind::Clip)
    return CommandResult::refused(
        CommandError::BadValue,
        "scene «" + sceneId + "» is a clip: clips play as timeline items (use goto)");
  if (!mixer_) return CommandResult::refused(CommandError::NotNow, "the programme is not running");
  mixer_->take("cut-" + std::to_string(++cutCount_), sceneId, *scene, LowerThird{},
               clock_.now() + kOperatorLead);
  return operatorCommand("cắt sang cảnh «" + sceneId + "» (cut)", CommandResult::done());
}

CommandResult Ceremony::cue(const std::string& name) {
  if (!timeline_ || !runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  const auto index = timeline_->find(name);
  if (!index)
    return CommandResult::refused(CommandError::UnknownItem,
                                  "no cue «" + name + "»: a cue is the id of a manual item");
  const ItemStatus item = timeline_->item(*index, clock_.now());
  if (item.cue != CueMode::Manual)
    return CommandResult::refused(CommandError::BadValue,
                                  "item «" + name + "» is not a manual cue (use goto)");
  if (item.state != ItemState::Pending)
    return CommandResult::refused(
        CommandError::NotNow,
        "cue «" + name + "» was already given (the item is " + toString(item.state) + ")");
  return recorded(operatorCommand("hiệu lệnh «" + name + "» (cue)", runner_->goTo(name)), "goto",
                  name);
}

json Ceremony::points(bool notUpOnly) {
  if (!points_) return {{"counts", json::object()}, {"points", json::array()}};
  json j = points_->monitor().pointsJson();
  json kept = json::array();
  for (auto& p : j["points"]) {
    if (notUpOnly && p["state"] == "up") continue;
    p.erase("history");  // GET /api/points/{id} has it
    if (bridge_) p["bridge"] = bridgeJson(p.value("id", ""));
    kept.push_back(std::move(p));
  }
  j["points"] = std::move(kept);
  return j;
}

std::optional<json> Ceremony::point(const std::string& id) {
  if (!points_) return std::nullopt;
  auto p = points_->monitor().point(id);
  if (!p) return std::nullopt;
  json j = points_->monitor().toJson(*p);
  if (bridge_) j["bridge"] = bridgeJson(id);
  return j;
}

CommandResult Ceremony::maintenance(const std::string& id, bool on, const std::string& reason) {
  if (!points_ || !points_->monitor().setMaintenance(id, on, clock_.now(), reason))
    return CommandResult::refused(CommandError::UnknownItem, "no connection point «" + id + "»");
  logEvent("operator", std::string(on ? "bảo trì điểm cầu «" : "hết bảo trì điểm cầu «") + id + "»",
           {{"point", id}});
  publishPoints();
  return CommandResult::done();
}

api::HeartbeatOutcome Ceremony::heartbeat(const std::string& id, const std::string& token) {
  if (!points_) return api::HeartbeatOutcome::UnknownPoint;
  switch (points_->heartbeats().onHeartbeat(id, token)) {
    case health::HeartbeatTracker::Outcome::Accepted:
      return api::HeartbeatOutcome::Accepted;
    case health::HeartbeatTracker::Outcome::UnknownPoint:
      return api::HeartbeatOutcome::UnknownPoint;
    case health::HeartbeatTracker::Outcome::BadToken:
      return api::HeartbeatOutcome::BadToken;
  }
  return api::HeartbeatOutcome::BadToken;
}

void Ceremony::logEvent(const std::string& kind, const std::string& message, json extra) {
  json e{{"at", timeText(clock_.now())}, {"kind", kind}, {"message", scrubSecrets(message)}};
  if (extra.is_object())
    for (auto& [k, v] : extra.items())
      e[k] = v.is_string() ? json(scrubSecrets(v.get_ref<const std::string&>())) : v;
  log_.push_back(std::move(e));
  while (log_.size() > kLogCapacity) log_.pop_front();
  publishEvents();
}

json Ceremony::events(std::size_t limit) {
  // One list, newest first: the run-of-show's transitions, the points' state changes and
  // uplink alarms, and the ceremony's own log (operators, outputs, media).
  std::vector<json> all;
  const int off = config_.event.utcOffsetMinutes;
  if (timeline_)
    for (const auto& e : timeline_->events()) {
      json j{{"at", timeText(e.actual)}, {"kind", "timeline"},    {"what", toString(e.what)},
             {"item", e.itemId},         {"number", e.index + 1}, {"message", e.reason}};
      if (e.planned) j["planned"] = timeText(*e.planned);
      all.push_back(std::move(j));
    }
  if (points_)
    for (const auto& e : points_->monitor().recentEvents()) {
      json j = health::toJson(e, off);
      if (!j.contains("at") && j.contains("time")) j["at"] = j["time"];  // one key to sort on
      j["kind"] = "point";
      if (e.kind == health::EventKind::UplinkRaised || e.kind == health::EventKind::UplinkCleared)
        j["kind"] = "uplink";
      all.push_back(std::move(j));
    }
  for (const auto& e : log_) all.push_back(e);
  // ISO times with the same offset sort as text.
  std::stable_sort(all.begin(), all.end(), [](const json& a, const json& b) {
    return a.value("at", std::string()) > b.value("at", std::string());
  });
  if (all.size() > limit) all.resize(limit);
  return {{"events", all}};
}

std::string Ceremony::metrics() {
  std::string out;
  if (points_) out += points_->monitor().prometheusText();
  auto line = [&](const std::string& s) { out += s + "\n"; };
  line("# HELP ceremonyd_output_up 1 while the destination takes the programme.");
  line("# TYPE ceremonyd_output_up gauge");
  line("# HELP ceremonyd_output_bytes_total Encoded bytes handed to the destination.");
  line("# TYPE ceremonyd_output_bytes_total counter");
  for (const auto& d : outputs_.status()) {
    const std::string& id = d.destination->config.id;
    line("ceremonyd_output_up{output=\"" + id + "\"} " + (d.live ? "1" : "0"));
    line("ceremonyd_output_bytes_total{output=\"" + id + "\"} " + std::to_string(d.bytes));
  }
  if (mixer_) {
    line("# HELP ceremonyd_input_up 1 while the live input has a picture (0: its card shows).");
    line("# TYPE ceremonyd_input_up gauge");
    line("# HELP ceremonyd_input_losses_total Times the live input lost its signal.");
    line("# TYPE ceremonyd_input_losses_total counter");
    line("# HELP ceremonyd_input_restarts_total Times the live input was rebuilt.");
    line("# TYPE ceremonyd_input_restarts_total counter");
    for (const auto& in : mixer_->inputs()) {
      if (!in.watched) continue;
      const std::string label = "{input=\"" + in.id + "\"} ";
      line("ceremonyd_input_up" + label + (in.state == media::InputState::Running ? "1" : "0"));
      line("ceremonyd_input_losses_total" + label + std::to_string(in.losses));
      line("ceremonyd_input_restarts_total" + label + std::to_string(in.restarts));
    }
  }
  if (timeline_) {
    const auto tn = timeline_->status(clock_.now());
    line("# HELP ceremonyd_timeline_item The 1-based number of the item on air (0: none).");
    line("# TYPE ceremonyd_timeline_item gauge");
    line("ceremonyd_timeline_item " + std::to_string(tn.current ? *tn.current + 1 : 0));
  }
  if (api_) {
    const auto& c = api_->counts();
    line("# HELP ceremonyd_api_requests_total API requests answered, by status class.");
    line("# TYPE ceremonyd_api_requests_total counter");
    line("ceremonyd_api_requests_total{class=\"2xx\"} " + std::to_string(c.ok));
    line("ceremonyd_api_requests_total{class=\"4xx\"} " + std::to_string(c.clientErrors));
    line("ceremonyd_api_requests_total{class=\"5xx\"} " + std::to_string(c.serverErrors));
  }
  if (http_) {
    const auto& h = http_->counters();
    line("# HELP ceremonyd_api_connections Open API connections.");
    line("# TYPE ceremonyd_api_connections gauge");
    line("ceremonyd_api_connections " + std::to_string(http_->connections()));
    line("# HELP ceremonyd_api_connections_max The most API connections open at once.");
    line("# TYPE ceremonyd_api_connections_max gauge");
    line("ceremonyd_api_connections_max " + std::to_string(http_->limits().maxConnections));
    line(
        "# HELP ceremonyd_api_turned_away_total Connections refused (503) or closed to make room.");
    line("# TYPE ceremonyd_api_turned_away_total counter");
    line("ceremonyd_api_turned_away_total{why=\"per_address\"} " +
         std::to_string(h.refusedPerAddress));
    line("ceremonyd_api_turned_away_total{why=\"full\"} " + std::to_string(h.refusedBusy));
    line("ceremonyd_api_turned_away_total{why=\"streams\"} " + std::to_string(h.refusedStreams));
    line("ceremonyd_api_turned_away_total{why=\"made_room\"} " + std::to_string(h.evicted));
    line("ceremonyd_api_turned_away_total{why=\"accept_error\"} " + std::to_string(h.acceptErrors));
  }
  bridgeMetrics(out);
  line("# HELP ceremonyd_live_clients Dashboard clients on the live stream.");
  line("# TYPE ceremonyd_live_clients gauge");
  line("ceremonyd_live_clients " + std::to_string(feed_.subscribers()));
  return out;
}

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

void Ceremony::publishPoints() {
  // Point changes come in bursts (an uplink drop moves 60 at once): send at most 4 a second.
  if (pointsDirty_) return;
  pointsDirty_ = true;
  pointsFlush_.expires_after(std::chrono::milliseconds(250));
  pointsFlush_.async_wait([this](const boost::system::error_code& ec) {
    pointsDirty_ = false;
    if (ec || stopping_) return;
    feed_.publish("points", text(points(false)));
    publishEvents();
    publishStatus();
  });
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
  feed_.publish("points", text(points(false)));
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
