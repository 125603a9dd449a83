// What the ceremony says of itself: GET /api/status, /api/timeline and /api/events, the
// event log, and systemd's STATUS= line. On the io_context thread; the JSON shapes are
// documented in daemon/api/README.md.
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cmath>

#include "app/Ceremony.h"
#include "config/Secrets.h"
#include "config/TimeSpec.h"
#include "health/HealthEvents.h"
#include "health/PointState.h"

namespace ceremony {

namespace {

using nlohmann::json;
constexpr std::size_t kLogCapacity = 500;

std::string offsetText(int minutes) {
  char buf[16];
  const int a = minutes < 0 ? -minutes : minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
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
    case SourceKind::Point:
      return "point";
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
      if (st->watched) {
        in["black"] = st->black;
        in["level"] = {{"peak_db", soundLevel(st->peakDb)}, {"rms_db", soundLevel(st->rmsDb)}};
      }
    }
    inputs.push_back(std::move(in));
  }
  j["inputs"] = std::move(inputs);
  j["sound"] = soundJson();

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

void Ceremony::logEvent(const std::string& kind, const std::string& message, json extra) {
  json e{{"at", timeText(clock_.now())}, {"kind", kind}, {"message", scrubSecrets(message)}};
  if (extra.is_object())
    for (auto& [k, v] : extra.items())
      e[k] = v.is_string() ? json(scrubSecrets(v.get_ref<const std::string&>())) : v;
  // The journal keeps what the report needs; an operator's command is journaled with who
  // gave it (operatorCommand), a resume by the start record.
  if (kind == "output" || kind == "input" || kind == "media" || kind == "reload" ||
      kind == "bridge" || kind == "sound") {
    json record = e;
    record.erase("at");
    record.erase("kind");
    if (kind == "output" && record.contains("reason")) {
      record["detail"] = record["reason"];
      record.erase("reason");
    }
    journal(kind, std::move(record));
  }
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

std::string Ceremony::statusLine() const {
  std::string line = outputs_.live() ? "LIVE" : "NOT LIVE";
  if (timeline_) {
    const auto items = timeline_->items(clock_.now());
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].state == ItemState::Running || items[i].state == ItemState::Held) {
        line += " · mục " + std::to_string(i + 1) + "/" + std::to_string(items.size()) + ": " +
                items[i].title;
        break;
      }
  }
  if (points_ && !points_->empty()) line += " · " + points_->monitor().systemdStatus();
  return line;
}

void Ceremony::notifySystemd() {
  static std::string last;
  const std::string line = statusLine();
  if (line == last) return;
  last = line;
  sd_notifyf(0, "STATUS=%s", line.c_str());
}

}  // namespace ceremony
