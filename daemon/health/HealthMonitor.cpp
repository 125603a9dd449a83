#include "health/HealthMonitor.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "config/Secrets.h"
#include "health/AlertPayload.h"
#include "health/PointFields.h"

namespace ceremony::health {

namespace {

constexpr std::size_t kRecentEvents = 1000;

std::string maskedTarget(const ProbeSpec& s) {
  if (!s.url.empty()) {
    // "http://user:secret@host/..." → "http://***@host/..."
    auto scheme = s.url.find("://");
    auto start = scheme == std::string::npos ? 0 : scheme + 3;
    auto slash = s.url.find('/', start);
    auto at = s.url.rfind('@', slash == std::string::npos ? s.url.size() : slash);
    // The query's secret-looking parameters (?token=…) go too, as in every other URL shown.
    if (at != std::string::npos && at >= start)
      return redactUrl(s.url.substr(0, start) + "***" + s.url.substr(at));
    return redactUrl(s.url);
  }
  if (!s.host.empty()) return s.host + ":" + std::to_string(s.port);
  return {};
}

std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string seconds(Millis d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", double(d.count()) / 1000.0);
  return buf;
}

void help(std::string& out, const char* name, const char* type, const char* text) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += text;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

int StateCounts::of(PointStatus s) const {
  switch (s) {
    case PointStatus::Unknown:
      return unknown;
    case PointStatus::Up:
      return up;
    case PointStatus::Degraded:
      return degraded;
    case PointStatus::Down:
      return down;
    case PointStatus::Maintenance:
      return maintenance;
  }
  return 0;
}

HealthMonitor::HealthMonitor(const HealthConfig& config, WallTime start, EventLog* log)
    : config_(config), correlator_(config_.settings), log_(log) {
  states_.reserve(config_.points.size());
  for (const auto& p : config_.points) {
    index_.emplace(p.id, states_.size());
    states_.emplace_back(p, config_.settings, start);
    histories_.emplace_back(config_.settings.historyPerPoint);
  }
  changes_.assign(states_.size(), 0);
  groupOf_.assign(states_.size(), -1);
  std::map<std::string, std::vector<std::size_t>> byGroup;
  for (std::size_t i = 0; i < states_.size(); ++i)
    if (!states_[i].config().group.empty()) byGroup[states_[i].config().group].push_back(i);
  if (byGroup.size() >= 2) {
    groups_.reserve(byGroup.size());
    for (auto& [name, members] : byGroup) {
      for (auto i : members) groupOf_[i] = static_cast<int>(groups_.size());
      groups_.push_back({name, std::move(members), Correlator(config_.settings), {}, false});
    }
  }
  if (!log_) return;

  // Yesterday's rehearsal or the minutes before a crash: history survives, and so
  // does an operator's maintenance flag.
  const std::size_t keep = config_.settings.historyPerPoint * std::max<std::size_t>(1, size());
  std::map<std::string, const HealthEvent*> lastOf;
  auto events = log_->readRecent(std::max(keep, kRecentEvents));
  for (const auto& e : events) {
    recent_.push_back(e);
    if (recent_.size() > kRecentEvents) recent_.pop_front();
    if (e.kind != EventKind::PointChanged) continue;
    auto it = index_.find(e.pointId);
    if (it == index_.end()) continue;
    histories_[it->second].add(e);
    lastOf[e.pointId] = &e;
  }
  for (const auto& [id, e] : lastOf)
    if (e->to == PointStatus::Maintenance)
      states_[index_.at(id)].setMaintenance(true, e->at, e->reason);
}

void HealthMonitor::addListener(Listener* listener) {
  listeners_.push_back(listener);
}

void HealthMonitor::removeListener(Listener* listener) {
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
}

bool HealthMonitor::onProbeResult(const ProbeResult& result) {
  auto it = index_.find(result.pointId);
  if (it == index_.end()) {
    ++strayResults_;
    return false;
  }
  auto& state = states_[it->second];
  const auto& probes = state.probes();
  if (std::none_of(probes.begin(), probes.end(),
                   [&](const ProbeTrack& p) { return p.spec().name == result.probe; })) {
    ++strayResults_;
    return false;
  }
  if (!isUtf8(result.reason)) {
    // Reasons end up in JSON (API, webhook, event log), which must be valid UTF-8.
    ProbeResult clean = result;
    for (auto& c : clean.reason)
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    if (auto change = state.onResult(clean)) onChange(it->second, *change);
  } else if (auto change = state.onResult(result)) {
    onChange(it->second, *change);
  }
  releaseAlerts(result.at);
  return true;
}

void HealthMonitor::tick(WallTime now) {
  for (std::size_t i = 0; i < states_.size(); ++i)
    if (auto change = states_[i].tick(now)) onChange(i, *change);
  releaseAlerts(now);
}

bool HealthMonitor::setMaintenance(const std::string& id, bool on, WallTime now,
                                   const std::string& reason) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  if (auto change = states_[it->second].setMaintenance(on, now, reason))
    onChange(it->second, *change);
  releaseAlerts(now);
  return true;
}

int HealthMonitor::watched() const {
  return static_cast<int>(std::count_if(states_.begin(), states_.end(),
                                        [](const PointState& s) { return !s.inMaintenance(); }));
}

void HealthMonitor::onChange(std::size_t index, const PointState::Change& c) {
  ++changes_[index];
  HealthEvent e;
  e.kind = EventKind::PointChanged;
  e.at = c.at;
  e.pointId = states_[index].id();
  e.from = c.from;
  e.to = c.to;
  e.reason = c.reason;
  // Not news: the operator's own maintenance, a point first seen healthy, a point
  // coming back healthy from maintenance.
  e.alert = !(c.to == PointStatus::Maintenance || c.to == PointStatus::Unknown ||
              ((c.from == PointStatus::Unknown || c.from == PointStatus::Maintenance) &&
               c.to == PointStatus::Up));
  record(e);
  if (e.alert) pending_.push_back(e);

  GroupWatch* group = groupOf_[index] < 0 ? nullptr : &groups_[groupOf_[index]];
  if (c.from == PointStatus::Down) {
    handleVerdict(correlator_.pointLeftDown(e.pointId, c.at), c.at);
    if (group) handleGroupVerdict(*group, group->correlator.pointLeftDown(e.pointId, c.at), c.at);
  }
  if (c.to == PointStatus::Down) {
    handleVerdict(correlator_.pointDown(e.pointId, c.at, watched()), c.at);
    if (group)
      handleGroupVerdict(*group, group->correlator.pointDown(e.pointId, c.at, watchedIn(*group)),
                         c.at);
  }
}

int HealthMonitor::watchedIn(const GroupWatch& g) const {
  return static_cast<int>(std::count_if(g.members.begin(), g.members.end(), [&](std::size_t i) {
    return !states_[i].inMaintenance();
  }));
}

bool HealthMonitor::coveredByUplink(std::size_t index) const {
  const std::string& id = states_[index].id();
  if (correlator_.covers(id)) return true;
  return groupOf_[index] >= 0 && groups_[groupOf_[index]].correlator.covers(id);
}

std::vector<std::string> HealthMonitor::groupAlarms() const {
  std::vector<std::string> out;
  for (const auto& g : groups_)
    if (g.correlator.active()) out.push_back(g.name);
  return out;
}

void HealthMonitor::handleGroupVerdict(GroupWatch& g, Correlator::Verdict v, WallTime at) {
  if (v == Correlator::Verdict::None) return;
  HealthEvent e;
  e.at = at;
  e.group = g.name;
  e.points = g.correlator.points();
  const int n = static_cast<int>(e.points.size());
  const auto window =
      std::chrono::duration_cast<std::chrono::seconds>(config_.settings.uplinkWindow).count();
  if (v == Correlator::Verdict::Raised) {
    e.kind = EventKind::UplinkRaised;
    e.reason = "Mất kết nối đường truyền của " + g.name + ": " + std::to_string(n) + "/" +
               std::to_string(watchedIn(g)) + " điểm cầu mất kết nối trong " +
               std::to_string(window) + " s";
    record(e);
    for (const auto& id : e.points) stillDownAt_.erase(id);  // the alarm covers them again
    g.held = std::move(e);
    g.told = false;
    return;
  }
  e.kind = EventKind::UplinkCleared;
  e.reason = "Đường truyền của " + g.name + " phục hồi: còn " +
             std::to_string(g.correlator.stillDown()) + "/" + std::to_string(n) +
             " điểm cầu mất kết nối";
  record(e);
  if (g.told) sendAlert(e);
  g.held.reset();
  g.told = false;
  watchAfterClear(e.points, at);
}

void HealthMonitor::releaseGroupAlarms(WallTime now) {
  for (auto& g : groups_) {
    if (!g.held || g.held->at + config_.settings.alertHold > now) continue;
    // The alarm over all points says it while it lasts. When it clears, a group still down
    // a recovery time later has a line of its own down: it is told then (a group that comes
    // back with the others clears before, and is never told).
    if (correlator_.active() || now < allClearedAt_ + recoveryTime()) continue;
    HealthEvent e = std::move(*g.held);
    g.held.reset();
    sendAlert(e);
    g.told = true;
  }
}

void HealthMonitor::watchAfterClear(const std::vector<std::string>& points, WallTime at) {
  // Points still down when the line came back may have a problem of their own, or may
  // only be slower to come back (each needs its consecutive good answers): they are told
  // one by one only if still down once a healthy point would have been decided up.
  for (const auto& id : points)
    if (states_[index_.at(id)].status() == PointStatus::Down)
      stillDownAt_[id] = at + recoveryTime();
}

void HealthMonitor::record(HealthEvent e) {
  if (e.kind == EventKind::PointChanged) {
    auto it = index_.find(e.pointId);
    if (it != index_.end()) histories_[it->second].add(e);
  }
  if (log_ && !log_->append(e)) ++logErrors_;
  recent_.push_back(e);
  if (recent_.size() > kRecentEvents) recent_.pop_front();
  for (auto* l : listeners_) l->onHealthEvent(e);
}

void HealthMonitor::handleVerdict(Correlator::Verdict v, WallTime at) {
  if (v == Correlator::Verdict::None) return;
  HealthEvent e;
  e.at = at;
  e.points = correlator_.points();
  const int n = static_cast<int>(e.points.size());
  const auto window =
      std::chrono::duration_cast<std::chrono::seconds>(config_.settings.uplinkWindow).count();
  if (v == Correlator::Verdict::Raised) {
    e.kind = EventKind::UplinkRaised;
    e.reason = "Mất kết nối đường truyền tỉnh / uplink: " + std::to_string(n) + "/" +
               std::to_string(watched()) + " điểm cầu mất kết nối trong " + std::to_string(window) +
               " s";
  } else {
    e.kind = EventKind::UplinkCleared;
    e.reason = "Đường truyền tỉnh / uplink phục hồi: còn " +
               std::to_string(correlator_.stillDown()) + "/" + std::to_string(n) +
               " điểm cầu mất kết nối";
  }
  record(e);
  sendAlert(e);
  if (v == Correlator::Verdict::Raised) {
    stillDownAt_.clear();  // the alarm covers them again
    return;
  }
  allClearedAt_ = at;
  watchAfterClear(e.points, at);
}

Millis HealthMonitor::recoveryTime() const {
  const auto& s = config_.settings;
  return s.interval * (s.upSuccesses + 1) + s.jitter;
}

void HealthMonitor::releaseStillDown(WallTime now) {
  for (auto it = stillDownAt_.begin(); it != stillDownAt_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    const std::string id = it->first;
    it = stillDownAt_.erase(it);
    const auto i = index_.at(id);
    if (states_[i].status() != PointStatus::Down || coveredByUplink(i)) continue;
    silent_.erase(id);
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](const HealthEvent& p) { return p.pointId == id; }),
                   pending_.end());
    HealthEvent still;
    still.at = now;
    still.pointId = id;
    still.from = still.to = PointStatus::Down;
    still.reason = "vẫn mất kết nối sau khi đường truyền tỉnh phục hồi — " + states_[i].reason();
    sendAlert(still);
  }
}

void HealthMonitor::markSuppressed(const HealthEvent& e) {
  auto same = [&](HealthEvent& h) {
    if (h.kind == EventKind::PointChanged && h.pointId == e.pointId && h.at == e.at && h.to == e.to)
      h.suppressed = true;
  };
  if (auto it = index_.find(e.pointId); it != index_.end())
    for (auto& h : histories_[it->second].events()) same(h);
  for (auto& h : recent_) same(h);
}

void HealthMonitor::releaseAlerts(WallTime now) {
  while (!pending_.empty() && pending_.front().at + config_.settings.alertHold <= now) {
    HealthEvent e = std::move(pending_.front());
    pending_.pop_front();
    bool suppress = false;
    const auto at = index_.find(e.pointId);
    if (at != index_.end() && coveredByUplink(at->second)) {
      suppress = true;
      if (e.to == PointStatus::Down) silent_.insert(e.pointId);
    } else if (silent_.count(e.pointId)) {
      suppress = true;
    }
    if (e.to == PointStatus::Up || e.to == PointStatus::Maintenance) silent_.erase(e.pointId);
    if (suppress) {
      e.suppressed = true;
      markSuppressed(e);
      ++alertsSuppressed_;
      continue;
    }
    sendAlert(e);
  }
  releaseGroupAlarms(now);
  releaseStillDown(now);
}

void HealthMonitor::sendAlert(const HealthEvent& e) {
  nlohmann::json body;
  const int offset = config_.settings.utcOffsetMinutes;
  if (e.kind == EventKind::PointChanged) {
    const PointConfig* p = findPoint(e.pointId);
    if (!p) return;
    body = pointAlert(e, *p, offset);
  } else {
    std::vector<const PointConfig*> covered;
    for (const auto& id : e.points) covered.push_back(findPoint(id));
    body = uplinkAlert(e, covered, watched(), offset);
  }
  ++alertsSent_;
  for (auto* l : listeners_) l->onAlert(e, body);
}

const PointConfig* HealthMonitor::findPoint(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &states_[it->second].config();
}

std::optional<PointStatus> HealthMonitor::status(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return states_[it->second].status();
}

PointSnapshot HealthMonitor::snapshotOf(std::size_t i, bool withHistory) const {
  const auto& s = states_[i];
  const auto& c = s.config();
  PointSnapshot p;
  p.id = c.id;
  p.name = c.name;
  p.kind = c.kind;
  p.contactName = c.contactName;
  p.contactPhone = c.contactPhone;
  p.group = c.group;
  p.status = s.status();
  p.since = s.since();
  p.reason = s.reason();
  p.lastLatency = s.lastLatency();
  p.coveredByUplink = coveredByUplink(i) && s.status() == PointStatus::Down;
  for (const auto& t : s.probes())
    p.probes.push_back(
        {t.spec().name, t.spec().kind, maskedTarget(t.spec()), t.status(), t.reason(), t.last()});
  if (withHistory) {
    const auto& h = histories_[i].events();
    p.history.assign(h.begin(), h.end());
  }
  return p;
}

std::vector<PointSnapshot> HealthMonitor::snapshot() const {
  std::vector<PointSnapshot> out;
  out.reserve(states_.size());
  for (std::size_t i = 0; i < states_.size(); ++i) out.push_back(snapshotOf(i));
  return out;
}

std::optional<PointSnapshot> HealthMonitor::point(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return snapshotOf(it->second);
}

void StateCounts::add(PointStatus s) {
  switch (s) {
    case PointStatus::Unknown:
      ++unknown;
      break;
    case PointStatus::Up:
      ++up;
      break;
    case PointStatus::Degraded:
      ++degraded;
      break;
    case PointStatus::Down:
      ++down;
      break;
    case PointStatus::Maintenance:
      ++maintenance;
      break;
  }
}

StateCounts HealthMonitor::counts() const {
  StateCounts c;
  for (const auto& s : states_) c.add(s.status());
  return c;
}

std::vector<std::string> HealthMonitor::uplinkPoints() const {
  return correlator_.active() ? correlator_.points() : std::vector<std::string>{};
}

nlohmann::json HealthMonitor::toJson(const PointSnapshot& p, bool withHistory) const {
  const int offset = config_.settings.utcOffsetMinutes;
  auto ms = [](const std::optional<Millis>& m) -> nlohmann::json {
    return m ? nlohmann::json(m->count()) : nlohmann::json(nullptr);
  };
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& pr : p.probes) {
    nlohmann::json j{{"name", pr.name},
                     {"kind", pr.kind},
                     {"target", pr.target},
                     {"state", statusName(pr.status)},
                     {"reason", pr.reason}};
    if (pr.last) {
      j["ok"] = pr.last->ok;
      j["at"] = formatTime(pr.last->at, offset);
      j["latency_ms"] = pr.last->latency.count();
      j["connect_ms"] = ms(pr.last->connect);
      j["tls_ms"] = ms(pr.last->tls);
      j["first_byte_ms"] = ms(pr.last->firstByte);
      if (pr.last->httpStatus) j["http_status"] = pr.last->httpStatus;
      if (!pr.last->ok) j["last_error"] = pr.last->reason;
    }
    probes.push_back(std::move(j));
  }
  nlohmann::json j{{"id", p.id},
                   {"name", p.name},
                   {"kind", p.kind},
                   {"contact_name", p.contactName},
                   {"contact_phone", p.contactPhone},
                   {"group", p.group},
                   {"state", statusName(p.status)},
                   {"state_label", statusLabel(p.status)},
                   {"since", formatTime(p.since, offset)},
                   {"reason", p.reason},
                   {"latency_ms", ms(p.lastLatency)},
                   {"uplink", p.coveredByUplink},
                   {"probes", probes}};
  if (withHistory) {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : p.history) history.push_back(health::toJson(e, offset));
    j["history"] = std::move(history);
  }
  return j;
}

nlohmann::json HealthMonitor::summaryJson() const {
  const auto c = counts();
  nlohmann::json counts;
  for (auto s : kAllStatuses) counts[std::string(statusName(s))] = c.of(s);
  counts["total"] = c.total();
  return {{"counts", counts},
          {"uplink",
           {{"active", uplinkAlarm()},
            {"since", uplinkAlarm() ? nlohmann::json(formatTime(correlator_.since(),
                                                                config_.settings.utcOffsetMinutes))
                                    : nlohmann::json(nullptr)},
            {"points", uplinkPoints()}}},
          {"groups", groupsJson()},
          {"status", systemdStatus()}};
}

nlohmann::json HealthMonitor::pointsJson() const {
  nlohmann::json j = summaryJson();
  nlohmann::json points = nlohmann::json::array();
  // The list leaves out each point's history (GET /api/points/{id} has it): at 10,000
  // points it would be half a million events copied and written out at every change.
  for (std::size_t i = 0; i < states_.size(); ++i)
    points.push_back(toJson(snapshotOf(i, false), false));
  j["points"] = std::move(points);
  return j;
}

nlohmann::json HealthMonitor::groupsJson() const {
  std::map<std::string, StateCounts> counts;
  for (const auto& s : states_)
    if (!s.config().group.empty()) counts[s.config().group].add(s.status());
  const auto alarms = groupAlarms();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, c] : counts) {
    nlohmann::json j{{"group", name}, {"total", c.total()}};
    for (auto s : kAllStatuses) j[std::string(statusName(s))] = c.of(s);
    j["uplink"] = std::binary_search(alarms.begin(), alarms.end(), name);
    out.push_back(std::move(j));
  }
  return out;
}

std::string HealthMonitor::prometheusText() const {
  std::string out;
  out.reserve(states_.size() * 600);
  auto each = [&](auto&& line) {
    for (const auto& s : states_)
      for (const auto& t : s.probes())
        if (t.last()) line(s, t, *t.last());
  };
  auto pp = [](const PointState& s, const ProbeTrack& t) {
    return "point=\"" + label(s.id()) + "\",probe=\"" + label(t.spec().name) + "\"";
  };

  help(out, "probe_success", "gauge", "Whether the last probe of the point succeeded.");
  each([&](const PointState& s, const ProbeTrack& t, const ProbeResult& r) {
    out += "probe_success{" + pp(s, t) + "} " + (r.ok ? "1" : "0") + "\n";
  });
  help(out, "probe_duration_seconds", "gauge", "How long the last probe took, in seconds.");
  each([&](const PointState& s, const ProbeTrack& t, const ProbeResult& r) {
    out += "probe_duration_seconds{" + pp(s, t) + "} " + seconds(r.latency) + "\n";
  });
  help(out, "probe_http_duration_seconds", "gauge",
       "Phases of the last HTTP probe (connect, tls, first_byte), in seconds from its start.");
  each([&](const PointState& s, const ProbeTrack& t, const ProbeResult& r) {
    for (auto [phase, value] : {std::pair{"connect", r.connect}, std::pair{"tls", r.tls},
                                std::pair{"first_byte", r.firstByte}})
      if (value)
        out += "probe_http_duration_seconds{" + pp(s, t) + ",phase=\"" + phase + "\"} " +
               seconds(*value) + "\n";
  });
  help(out, "probe_http_status_code", "gauge", "HTTP status of the last probe (0: no response).");
  each([&](const PointState& s, const ProbeTrack& t, const ProbeResult& r) {
    if (t.spec().kind == "http" || t.spec().kind == "https")
      out += "probe_http_status_code{" + pp(s, t) + "} " + std::to_string(r.httpStatus) + "\n";
  });

  help(out, "ceremonyd_point_info", "gauge", "The connection point's name and kind.");
  for (const auto& s : states_)
    out += "ceremonyd_point_info{point=\"" + label(s.id()) + "\",name=\"" + label(s.config().name) +
           "\",kind=\"" + label(s.config().kind) + "\",group=\"" + label(s.config().group) +
           "\"} 1\n";
  help(out, "ceremonyd_point_state", "gauge", "The point's state, one-hot over the five states.");
  for (const auto& s : states_)
    for (auto st : kAllStatuses)
      out += "ceremonyd_point_state{point=\"" + label(s.id()) + "\",state=\"" +
             std::string(statusName(st)) + "\"} " + (s.status() == st ? "1" : "0") + "\n";
  help(out, "ceremonyd_point_state_changes_total", "counter",
       "State changes of the point since the daemon started.");
  for (std::size_t i = 0; i < states_.size(); ++i)
    out += "ceremonyd_point_state_changes_total{point=\"" + label(states_[i].id()) + "\"} " +
           std::to_string(changes_[i]) + "\n";
  help(out, "ceremonyd_points", "gauge", "Connection points by state.");
  const auto c = counts();
  for (auto st : kAllStatuses)
    out += "ceremonyd_points{state=\"" + std::string(statusName(st)) + "\"} " +
           std::to_string(c.of(st)) + "\n";
  help(out, "ceremonyd_uplink_alarm", "gauge",
       "1 while many points dropped together (provincial network / uplink).");
  out += std::string("ceremonyd_uplink_alarm ") + (uplinkAlarm() ? "1" : "0") + "\n";
  const auto groups = groupsJson();
  if (!groups.empty()) {
    help(out, "ceremonyd_group_points", "gauge", "Connection points of each group, by state.");
    for (const auto& g : groups)
      for (auto st : kAllStatuses)
        out += "ceremonyd_group_points{group=\"" + label(g["group"].get<std::string>()) +
               "\",state=\"" + std::string(statusName(st)) + "\"} " +
               std::to_string(g[std::string(statusName(st))].get<int>()) + "\n";
    help(out, "ceremonyd_group_uplink_alarm", "gauge",
         "1 while many points of the group dropped together (the group's own line).");
    for (const auto& g : groups)
      out += "ceremonyd_group_uplink_alarm{group=\"" + label(g["group"].get<std::string>()) +
             "\"} " + (g["uplink"].get<bool>() ? "1" : "0") + "\n";
  }
  help(out, "ceremonyd_health_alerts_total", "counter", "Alerts handed to the webhook, by fate.");
  out += "ceremonyd_health_alerts_total{fate=\"sent\"} " + std::to_string(alertsSent_) + "\n";
  out += "ceremonyd_health_alerts_total{fate=\"suppressed\"} " + std::to_string(alertsSuppressed_) +
         "\n";
  help(out, "ceremonyd_probe_results_unmatched_total", "counter",
       "Probe results naming no configured point or probe.");
  out += "ceremonyd_probe_results_unmatched_total " + std::to_string(strayResults_) + "\n";
  help(out, "ceremonyd_event_log_errors_total", "counter",
       "Health events the event log could not write.");
  out += "ceremonyd_event_log_errors_total " + std::to_string(logErrors_) + "\n";
  return out;
}

std::string HealthMonitor::systemdStatus() const {
  const auto c = counts();
  std::string out;
  if (uplinkAlarm()) out += "CẢNH BÁO mất đường truyền tỉnh; ";
  const auto groups = groupAlarms();
  if (!groups.empty()) {
    out += "CẢNH BÁO mất đường truyền của ";
    for (std::size_t i = 0; i < groups.size(); ++i) out += (i ? ", " : "") + groups[i];
    out += "; ";
  }
  out +=
      std::to_string(c.up + c.degraded) + "/" + std::to_string(c.total()) + " điểm cầu hoạt động";
  std::string parts;
  auto part = [&](int n, const char* what) {
    if (n == 0) return;
    if (!parts.empty()) parts += ", ";
    parts += std::to_string(n) + " " + what;
  };
  part(c.degraded, "chập chờn");
  part(c.down, "mất kết nối");
  part(c.maintenance, "bảo trì");
  part(c.unknown, "chưa rõ");
  if (!parts.empty()) out += " (" + parts + ")";
  return out;
}

}  // namespace ceremony::health
