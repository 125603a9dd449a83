// The results report's figures (ReportModel.h), computed from the journal's records alone,
// and the four files written out (Report.h). Every field is read with a checked accessor:
// a journal is outside input (a torn file, an older or newer daemon, a hand edit).
#include "report/Report.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include "health/HealthEvents.h"
#include "report/ReportModel.h"

namespace ceremony::report {
namespace detail {
namespace {

using json = nlohmann::json;

constexpr long long kMaxMs = 400'000'000'000LL;  // ~12 years: no sum of these overflows
constexpr long long kMaxCount = 1'000'000'000LL;

const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
std::string str(const json& j, const char* key) {
  const json* v = field(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}
std::optional<long long> num(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    return u > std::uint64_t(LLONG_MAX) ? LLONG_MAX : static_cast<long long>(u);
  }
  if (v->is_number_integer()) return v->get<long long>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return static_cast<long long>(std::clamp(d, -9.0e18, 9.0e18));
  }
  return std::nullopt;
}
long long clampMs(std::optional<long long> v) {
  return v ? std::clamp(*v, 0LL, kMaxMs) : 0;
}
bool flag(const json& j, const char* key) {
  const json* v = field(j, key);
  return v && v->is_boolean() && v->get<bool>();
}
std::optional<WallTime> timeOf(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v || !v->is_string()) return std::nullopt;
  return health::parseTime(v->get_ref<const std::string&>());
}
const json& arr(const json& j, const char* key) {
  static const json empty = json::array();
  const json* v = field(j, key);
  return v && v->is_array() ? *v : empty;
}
Millis add(Millis a, Millis b) {
  long long r;
  if (__builtin_add_overflow(a.count(), b.count(), &r)) r = LLONG_MAX;
  return Millis(r);
}
Millis span(WallTime from, WallTime to) {
  return to > from ? to - from : Millis(0);
}

bool validState(const std::string& s) {
  return s == "unknown" || s == "up" || s == "degraded" || s == "down" || s == "maintenance";
}
bool connected(const std::string& s) {
  return s == "up" || s == "degraded";
}

std::string stateText(const std::string& s) {
  if (s == "up") return "tốt";
  if (s == "degraded") return "kém";
  if (s == "down") return "mất kết nối";
  if (s == "maintenance") return "bảo trì";
  return "chưa rõ";
}

struct Rec {
  const json* j;
  WallTime at;
  std::string type;
};

// Walks the counted records once, in journal order.
class Walker {
 public:
  explicit Walker(Model& m) : m_(m) {}

  void plan(const json& start);
  void run(const std::vector<std::vector<const Rec*>>& segments);

 private:
  struct OutState {
    bool live = false;
    bool everLive = false;
    WallTime since{};
  };
  struct PointState {
    std::string state = "unknown";
    WallTime since{};
    bool flapping = false;
    std::optional<std::size_t> openOutage;
  };
  struct OnAir {
    std::size_t item;
    WallTime from;
    std::optional<WallTime> to;
  };

  std::size_t output(const std::string& id);
  std::size_t point(const std::string& id);
  std::size_t item(const std::string& id);
  void closeAll(WallTime t, bool final);
  void accrue(std::size_t p, WallTime t);
  void setState(std::size_t p, const std::string& s);
  void sample(WallTime at);
  void openOutage(std::size_t p, WallTime at, std::string reason);
  void closeOutage(std::size_t p, WallTime at);
  void record(const Rec& r);
  void log(WallTime at, std::string kind, std::string message) {
    m_.log.push_back({at, std::move(kind), std::move(message)});
  }
  void finish();

  Model& m_;
  std::map<std::string, std::size_t> outIdx_, pointIdx_, itemIdx_;
  std::vector<OutState> outs_;
  std::vector<PointState> pts_;
  std::map<std::string, std::string> inputs_;
  std::map<std::string, long long> counts_;  // points per state
  long long flappingNow_ = 0;
  std::vector<OnAir> onAir_;
  std::optional<std::size_t> openAir_;
  std::vector<std::optional<WallTime>> lastEnded_;
  std::vector<bool> skippedRec_;
  std::set<std::string> seenItems_;
  std::vector<ItemAction> commands_;
};

std::size_t Walker::output(const std::string& id) {
  auto [it, fresh] = outIdx_.try_emplace(id, m_.outputs.size());
  if (fresh) {
    m_.outputs.push_back({});
    m_.outputs.back().id = id;
    outs_.push_back({});
  }
  return it->second;
}

std::size_t Walker::point(const std::string& id) {
  auto [it, fresh] = pointIdx_.try_emplace(id, m_.points.size());
  if (fresh) {
    m_.points.push_back({});
    m_.points.back().id = id;
    m_.points.back().name = id;
    pts_.push_back({});
    counts_["unknown"]++;
  }
  return it->second;
}

std::size_t Walker::item(const std::string& id) {
  auto [it, fresh] = itemIdx_.try_emplace(id, m_.items.size());
  if (fresh) {
    m_.items.push_back({});
    m_.items.back().id = id;
    lastEnded_.push_back(std::nullopt);
    skippedRec_.push_back(false);
  }
  return it->second;
}

void Walker::plan(const json& s) {
  for (const auto& it : arr(s, "items")) {
    std::string id = str(it, "id");
    if (id.empty() || itemIdx_.count(id)) continue;
    auto& f = m_.items[item(id)];
    f.title = str(it, "title");
    if (const json* n = field(it, "number"); n && (n->is_number() || n->is_string())) f.number = *n;
    f.plannedStart = timeOf(it, "planned_start");
    f.plannedEnd = timeOf(it, "planned_end");
    f.launch = flag(it, "launch");
  }
  for (const auto& p : arr(s, "points")) {
    std::string id = str(p, "id");
    if (id.empty() || pointIdx_.count(id)) continue;
    auto& f = m_.points[point(id)];
    if (auto name = str(p, "name"); !name.empty()) f.name = name;
    f.kind = str(p, "kind");
    f.contactName = str(p, "contact_name");
    f.contactPhone = str(p, "contact_phone");
  }
  m_.plannedPoints = static_cast<long long>(m_.points.size());
  for (const auto& o : arr(s, "outputs")) {
    std::string id = str(o, "id");
    if (id.empty() || outIdx_.count(id)) continue;
    m_.outputs[output(id)].kind = str(o, "kind");
  }
}

void Walker::accrue(std::size_t p, WallTime t) {
  auto& st = pts_[p];
  auto& f = m_.points[p];
  if (!st.flapping) {
    const Millis d = span(st.since, t);
    if (st.state == "up") f.up = add(f.up, d);
    if (st.state == "degraded") f.degraded = add(f.degraded, d);
    if (st.state == "down") f.down = add(f.down, d);
    if (st.state == "maintenance") f.maintenance = add(f.maintenance, d);
  }
  if (t > st.since) st.since = t;
}

void Walker::setState(std::size_t p, const std::string& s) {
  auto& st = pts_[p];
  counts_[st.state]--;
  st.state = s;
  counts_[s]++;
  if (connected(s) && !m_.points[p].firstConnected) m_.points[p].firstConnected = st.since;
}

void Walker::sample(WallTime at) {
  ConnectedSample c{at, counts_["up"], counts_["degraded"], counts_["down"]};
  if (!m_.connected.empty()) {
    const auto& last = m_.connected.back();
    if (last.up == c.up && last.degraded == c.degraded && last.down == c.down) return;
  }
  if (!m_.connected.empty() && m_.connected.back().at == at)
    m_.connected.back() = c;
  else
    m_.connected.push_back(c);
}

void Walker::openOutage(std::size_t p, WallTime at, std::string reason) {
  OutageRow o;
  o.point = m_.points[p].id;
  o.from = at;
  o.reason = std::move(reason);
  pts_[p].openOutage = m_.outages.size();
  m_.outages.push_back(std::move(o));
}

void Walker::closeOutage(std::size_t p, WallTime at) {
  auto& st = pts_[p];
  if (!st.openOutage) return;
  auto& o = m_.outages[*st.openOutage];
  o.to = std::max(at, o.from);
  o.ms = span(o.from, at);
  st.openOutage.reset();
}

// The daemon stops (a gap follows) or the report ends: nothing stays live, every point's
// state becomes unknown. At the report's end an open outage keeps `to` null.
void Walker::closeAll(WallTime t, bool final) {
  for (std::size_t i = 0; i < outs_.size(); ++i) {
    auto& o = outs_[i];
    if (!o.live) continue;
    m_.outputs[i].liveSpans.push_back({o.since, std::max(t, o.since)});
    if (final) m_.outputs[i].liveAtEnd = true;
    o.live = false;
  }
  for (std::size_t p = 0; p < pts_.size(); ++p) {
    accrue(p, t);
    auto& st = pts_[p];
    if (st.openOutage) {
      if (final) {
        auto& o = m_.outages[*st.openOutage];
        o.ms = span(o.from, t);
        st.openOutage.reset();
      } else {
        closeOutage(p, t);
      }
    }
    if (st.flapping) flappingNow_--;
    st.flapping = false;
    setState(p, "unknown");
  }
  if (!final) sample(t);
}

void Walker::run(const std::vector<std::vector<const Rec*>>& segments) {
  std::optional<WallTime> prevLast;
  for (const auto& seg : segments) {
    if (seg.empty()) continue;
    const Rec& start = *seg.front();
    if (prevLast) {
      closeAll(*prevLast, false);
      if (flag(*start.j, "resumed") && start.at > *prevLast)
        m_.gaps.push_back({*prevLast, start.at});
    }
    for (auto& st : pts_) st.since = start.at;
    for (const Rec* r : seg) record(*r);
    prevLast = seg.back()->at;
  }
  closeAll(m_.end, true);
  finish();
}

void Walker::record(const Rec& r) {
  const json& j = *r.j;
  const WallTime at = r.at;
  const std::string& type = r.type;
  if (type == "start") {
    log(at, "start",
        flag(j, "resumed") ? "Phần mềm khởi động lại, tiếp tục buổi lễ" : "Phần mềm khởi động");
  } else if (type == "stop") {
    std::string why = str(j, "why");
    log(at, "stop", "Phần mềm dừng" + (why.empty() ? std::string() : " (" + why + ")"));
  } else if (type == "item") {
    std::string what = str(j, "what"), id = str(j, "item");
    if (id.empty()) return;
    if (!seenItems_.insert(what + '\x1f' + id + '\x1f' + str(j, "at")).second) return;
    std::size_t i = item(id);
    auto& f = m_.items[i];
    if (f.number.is_null())
      if (const json* n = field(j, "number"); n && (n->is_number() || n->is_string()))
        f.number = *n;
    if (what == "started") {
      if (!f.actualStart) f.actualStart = at;
      if (!f.plannedStart) f.plannedStart = timeOf(j, "planned");
      if (openAir_) onAir_[*openAir_].to = at;
      openAir_ = onAir_.size();
      onAir_.push_back({i, at, std::nullopt});
    } else if (what == "ended") {
      lastEnded_[i] = at;
      if (!f.plannedEnd) f.plannedEnd = timeOf(j, "planned");
      if (openAir_ && onAir_[*openAir_].item == i) {
        onAir_[*openAir_].to = at;
        openAir_.reset();
      }
    } else if (what == "skipped") {
      skippedRec_[i] = true;
    }
  } else if (type == "command") {
    ItemAction a;
    a.at = at;
    a.op = str(j, "op");
    a.who = str(j, "who");
    if (const json* v = field(j, "arg"); v && v->is_string())
      a.arg = v->get<std::string>();
    else if (v && v->is_number())
      a.arg = v->dump();
    a.seconds = num(j, "seconds");
    a.item = str(j, "item");
    if (a.seconds) a.seconds = std::clamp(*a.seconds, -kMaxCount, kMaxCount);
    std::string msg = actionText(m_, a);
    if (!a.who.empty()) msg += " — " + whoText(a.who);
    log(at, "command", msg);
    commands_.push_back(std::move(a));
  } else if (type == "point") {
    std::string id = str(j, "point"), to = str(j, "to");
    if (id.empty()) return;
    if (!validState(to)) to = "unknown";
    std::size_t p = point(id);
    auto& st = pts_[p];
    if (flag(j, "alert") && !flag(j, "suppressed")) {
      std::string reason = str(j, "reason");
      log(at, "point",
          "Điểm cầu " + m_.points[p].name + ": " + stateText(st.state) + " → " + stateText(to) +
              (reason.empty() ? "" : " (" + reason + ")"));
    }
    if (st.flapping) return;  // its summaries count this time
    accrue(p, at);
    if (st.state == "down" && to != "down") closeOutage(p, at);
    if (to == "down" && st.state != "down") {
      openOutage(p, at, str(j, "reason"));
      m_.points[p].outages++;
    }
    setState(p, to);
    sample(at);
  } else if (type == "point-flapping") {
    std::string id = str(j, "point"), state = str(j, "state");
    if (id.empty()) return;
    std::size_t p = point(id);
    auto& st = pts_[p];
    if (st.flapping) return;
    accrue(p, at);
    closeOutage(p, at);
    st.flapping = true;
    flappingNow_++;
    if (validState(state)) setState(p, state);
    sample(at);
  } else if (type == "point-summary") {
    std::string id = str(j, "point"), state = str(j, "state");
    if (id.empty()) return;
    std::size_t p = point(id);
    auto& st = pts_[p];
    auto& f = m_.points[p];
    const WallTime from = timeOf(j, "from").value_or(at);
    const WallTime to = std::max(timeOf(j, "to").value_or(at), from);
    const Millis up(clampMs(num(j, "up_ms"))), degraded(clampMs(num(j, "degraded_ms"))),
        down(clampMs(num(j, "down_ms")));
    const long long n = std::clamp(num(j, "outages").value_or(0), 0LL, kMaxCount);
    f.up = add(f.up, up);
    f.degraded = add(f.degraded, degraded);
    f.down = add(f.down, down);
    f.outages = std::min(f.outages + n, kMaxCount);
    if (!f.firstConnected && (up.count() > 0 || degraded.count() > 0)) f.firstConnected = from;
    if (n > 0 || down.count() > 0) {
      OutageRow o;
      o.point = id;
      o.from = from;
      o.to = to;
      o.ms = down;
      o.flapping = true;
      o.count = n;
      o.reason = "chập chờn: " + std::to_string(n) + " lần mất kết nối";
      m_.outages.push_back(std::move(o));
    }
    if (!st.flapping) {
      // A summary without its flapping record: the time before it was counted change by
      // change, so it counts from its own start.
      accrue(p, from);
      st.flapping = true;
      flappingNow_++;
    }
    if (validState(state)) setState(p, state);
    if (!flag(j, "flapping")) {
      st.flapping = false;
      flappingNow_--;
      st.since = to;
      if (st.state == "down") openOutage(p, to, "");
    }
    sample(at);
  } else if (type == "alive") {
    if (flappingNow_ <= 0) return;
    ConnectedSample c{at, clampMs(num(j, "up")), clampMs(num(j, "degraded")),
                      clampMs(num(j, "down"))};
    if (!m_.connected.empty() && m_.connected.back().at == at)
      m_.connected.back() = c;
    else
      m_.connected.push_back(c);
  } else if (type == "output") {
    std::string id = str(j, "output"), state = str(j, "state");
    if (id.empty()) return;
    std::size_t i = output(id);
    auto& o = outs_[i];
    if (state == "live") {
      if (o.live) return;
      if (o.everLive) {
        m_.outputs[i].reconnects++;
        log(at, "output", "Đầu ra " + id + " phát trở lại");
      }
      o.live = true;
      o.everLive = true;
      o.since = at;
      return;
    }
    const bool wasLive = o.live;
    if (o.live) {
      m_.outputs[i].liveSpans.push_back({o.since, std::max(at, o.since)});
      o.live = false;
    }
    std::string detail = str(j, "detail"), by = str(j, "by");
    std::string tail = detail.empty() ? "" : " (" + detail + ")";
    if (state == "stopped" && !by.empty())
      log(at, "output", "Đầu ra " + id + " được dừng bởi " + whoText(by) + tail);
    else if (wasLive && state == "failed")
      log(at, "output", "Đầu ra " + id + " bị lỗi, mất phát trực tiếp" + tail);
    else if (wasLive && state == "connecting")
      log(at, "output", "Đầu ra " + id + " mất kết nối, đang kết nối lại" + tail);
  } else if (type == "input") {
    std::string id = str(j, "input"), state = str(j, "state"), reason = str(j, "reason");
    std::string tail = reason.empty() ? "" : " (" + reason + ")";
    std::string& prev = inputs_[id];
    if (state == "stalled" || state == "retrying") {
      log(at, "input",
          "Nguồn vào " + id + (state == "stalled" ? " bị gián đoạn" : " đang kết nối lại") + tail);
    } else if (state == "running" && (prev == "stalled" || prev == "retrying")) {
      log(at, "input", "Nguồn vào " + id + " hoạt động trở lại");
    }
    prev = state;
  } else if (type == "bridge") {
    if (str(j, "what") == "joined") {
      std::string id = str(j, "point");
      if (!id.empty()) m_.points[point(id)].watchedBridge = true;
    }
  } else if (type == "alert") {
    std::string msg = str(j, "message");
    if (msg.empty()) msg = str(j, "what");
    log(at, "alert", "Cảnh báo đã gửi: " + msg);
  } else if (type == "uplink") {
    std::string reason = str(j, "reason");
    std::string tail = reason.empty() ? "" : " (" + reason + ")";
    if (str(j, "what") == "raised")
      log(at, "uplink",
          "Cảnh báo mất đường truyền chung: " + std::to_string(arr(j, "points").size()) +
              " điểm cầu mất kết nối cùng lúc" + tail);
    else
      log(at, "uplink", "Đường truyền chung đã phục hồi" + tail);
  } else if (type == "reload") {
    std::string msg = str(j, "message");
    log(at, "reload",
        flag(j, "ok") ? "Nạp lại cấu hình thành công"
                      : "Nạp lại cấu hình không thành công" + (msg.empty() ? "" : ": " + msg));
  } else if (type == "media") {
    std::string where = str(j, "where"), msg = str(j, "message");
    log(at, "media",
        "Sự cố phát hình" + (where.empty() ? "" : " (" + where + ")") +
            (msg.empty() ? "" : ": " + msg));
  }
}

void Walker::finish() {
  // Items: actual end, skipped, actions.
  std::vector<bool> openAtEnd(m_.items.size(), false);
  if (openAir_) openAtEnd[onAir_[*openAir_].item] = true;
  for (std::size_t i = 0; i < m_.items.size(); ++i) {
    auto& f = m_.items[i];
    f.actualEnd = openAtEnd[i] ? std::nullopt : lastEnded_[i];
    f.skipped = skippedRec_[i] && !f.actualStart;
  }
  static const std::set<std::string> kItemOps = {"hold",   "resume", "next", "goto",
                                                 "extend", "cut",    "cue"};
  for (const auto& a : commands_) {
    if (!kItemOps.count(a.op)) continue;
    // The daemon names the item a command acted on: a command given as one item gives way to
    // the next (an extend a moment before the take) cannot be told apart by time.
    if (!a.item.empty()) {
      auto named = std::find_if(m_.items.begin(), m_.items.end(),
                                [&](const ItemFigures& f) { return f.id == a.item; });
      if (named != m_.items.end()) {
        named->actions.push_back(a);
        continue;
      }
    }
    for (auto it = onAir_.rbegin(); it != onAir_.rend(); ++it) {
      if (it->from < a.at && (!it->to || a.at <= *it->to)) {
        m_.items[it->item].actions.push_back(a);
        break;
      }
    }
  }
  // Opening and launch.
  for (const auto& f : m_.items)
    if (f.actualStart && (!m_.openingAt || *f.actualStart < *m_.openingAt))
      m_.openingAt = f.actualStart;
  for (const auto& f : m_.items)
    if (f.launch) {
      m_.launchItem = f.id;
      m_.launchAt = f.actualStart;
      break;
    }
  auto connectedAt = [&](WallTime t) {
    long long n = 0;
    for (const auto& c : m_.connected) {
      if (c.at > t) break;
      n = c.up + c.degraded;
    }
    return n;
  };
  if (m_.openingAt) m_.connectedAtOpening = connectedAt(*m_.openingAt);
  if (m_.launchAt) m_.connectedAtLaunch = connectedAt(*m_.launchAt);
  // Outputs.
  for (auto& o : m_.outputs) {
    std::sort(o.liveSpans.begin(), o.liveSpans.end(),
              [](const Span& a, const Span& b) { return a.from < b.from; });
    for (std::size_t k = 0; k < o.liveSpans.size(); ++k) {
      const Span& s = o.liveSpans[k];
      o.live = add(o.live, s.ms());
      if (!m_.streamStarted || s.from < *m_.streamStarted) m_.streamStarted = s.from;
      if (!m_.streamEnded || s.to > *m_.streamEnded) m_.streamEnded = s.to;
      if (k > 0 && s.from > o.liveSpans[k - 1].to) {
        Span out{o.liveSpans[k - 1].to, s.from};
        o.outages.push_back(out);
        o.longestOutage = std::max(o.longestOutage, out.ms());
      }
    }
    if (o.liveAtEnd) m_.streamLiveAtEnd = true;
  }
  // Outages: names, order. A point that starts flapping while down has its individual outage
  // closed at that same instant (the summaries count its time): no row of zero length.
  std::erase_if(m_.outages,
                [](const OutageRow& o) { return !o.flapping && o.to && *o.to == o.from; });
  // Outages: names, order.
  for (auto& o : m_.outages) o.name = m_.points[point(o.point)].name;
  std::stable_sort(m_.outages.begin(), m_.outages.end(),
                   [](const OutageRow& a, const OutageRow& b) { return a.from < b.from; });
  // Points: trouble first.
  std::stable_sort(m_.points.begin(), m_.points.end(),
                   [](const PointFigures& a, const PointFigures& b) {
                     if (a.trouble() != b.trouble()) return a.trouble();
                     if (a.trouble()) {
                       if (a.down != b.down) return a.down > b.down;
                       if (a.degraded != b.degraded) return a.degraded > b.degraded;
                       if (a.outages != b.outages) return a.outages > b.outages;
                     }
                     if (a.name != b.name) return a.name < b.name;
                     return a.id < b.id;
                   });
  pointIdx_.clear();  // indices are stale after the sort
  std::stable_sort(m_.log.begin(), m_.log.end(),
                   [](const LogLine& a, const LogLine& b) { return a.at < b.at; });
}

json timeJson(const Model& m, const std::optional<WallTime>& t) {
  return t ? json(iso(m, *t)) : json(nullptr);
}

}  // namespace

Model computeModel(const JournalRecords& journal, WallTime now, bool draft) {
  Model m;
  m.draft = draft;
  m.generatedAt = now;
  m.end = now;
  m.warnings = journal.warnings;
  std::vector<Rec> recs;
  recs.reserve(journal.records.size());
  for (const auto& j : journal.records) {
    auto at = timeOf(j, "at");
    std::string type = str(j, "type");
    if (at && !type.empty()) recs.push_back({&j, *at, std::move(type)});
  }
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < recs.size(); ++i)
    if (recs[i].type == "start") last = i;
  if (!last) {
    m.warnings.push_back("Nhật ký không có bản ghi khởi động: báo cáo không có số liệu");
    return m;
  }
  const json& s = *recs[*last].j;
  m.ceremony = str(s, "ceremony");
  m.title = str(s, "title");
  m.date = str(s, "date");
  m.venue = str(s, "venue");
  m.offset = static_cast<int>(
      std::clamp(num(s, "utc_offset_min").value_or(7 * 60), -14LL * 60, 14LL * 60));
  std::vector<std::vector<const Rec*>> segments;
  bool counting = false;
  for (const auto& r : recs) {
    if (r.type == "start") {
      counting = str(*r.j, "ceremony") == m.ceremony;
      if (counting) segments.emplace_back();
    }
    if (counting) segments.back().push_back(&r);
  }
  std::size_t counted = 0;
  for (const auto& seg : segments) counted += seg.size();
  if (counted < recs.size())
    m.warnings.push_back("Có " + std::to_string(recs.size() - counted) +
                         " bản ghi của buổi lễ khác hoặc trước lần khởi động đầu tiên, không tính "
                         "vào báo cáo");
  const Rec& tail = *segments.back().back();
  // The daemon writes an `alive` record every 30 s: a journal silent for longer that does
  // not end with `stop` was cut off (a crash, a power cut) and `now` overstates what was live.
  if (tail.type != "stop" && now - tail.at > Millis(90'000))
    m.warnings.push_back("Bản ghi cuối cùng lúc " + clock(m, tail.at) +
                         ", đã lâu không có bản ghi mới: phần mềm có thể đã dừng đột ngột; "
                         "các số liệu được tính đến thời điểm lập báo cáo");
  m.end = tail.type == "stop" && &tail == &recs.back() ? tail.at : now;
  if (m.end < tail.at) m.end = tail.at;
  Walker w(m);
  w.plan(s);
  w.run(segments);
  return m;
}

json modelJson(const Model& m) {
  json j;
  j["draft"] = m.draft;
  j["generated_at"] = iso(m, m.generatedAt);
  j["warnings"] = m.warnings;
  j["event"] = {{"title", m.title}, {"date", m.date}, {"venue", m.venue}, {"ceremony", m.ceremony}};
  j["stream"] = {{"started", timeJson(m, m.streamStarted)}, {"ended", timeJson(m, m.streamEnded)}};
  j["outputs"] = json::array();
  for (const auto& o : m.outputs) {
    json outs = json::array();
    for (const auto& s : o.outages)
      outs.push_back({{"from", iso(m, s.from)}, {"to", iso(m, s.to)}, {"ms", s.ms().count()}});
    j["outputs"].push_back({{"id", o.id},
                            {"kind", o.kind},
                            {"live_ms", o.live.count()},
                            {"reconnects", o.reconnects},
                            {"longest_outage_ms", o.longestOutage.count()},
                            {"outages", outs}});
  }
  j["gaps"] = json::array();
  for (const auto& g : m.gaps)
    j["gaps"].push_back({{"from", iso(m, g.from)}, {"to", iso(m, g.to)}, {"ms", g.ms().count()}});
  j["items"] = json::array();
  for (const auto& f : m.items) {
    json actions = json::array();
    for (const auto& a : f.actions)
      actions.push_back({{"at", iso(m, a.at)},
                         {"op", a.op},
                         {"who", a.who},
                         {"arg", a.arg.empty() ? json(nullptr) : json(a.arg)},
                         {"seconds", a.seconds ? json(*a.seconds) : json(nullptr)}});
    auto slip = f.slipMs();
    j["items"].push_back({{"id", f.id},
                          {"number", f.number},
                          {"title", f.title},
                          {"planned_start", timeJson(m, f.plannedStart)},
                          {"planned_end", timeJson(m, f.plannedEnd)},
                          {"actual_start", timeJson(m, f.actualStart)},
                          {"actual_end", timeJson(m, f.actualEnd)},
                          {"slip_ms", slip ? json(*slip) : json(nullptr)},
                          {"skipped", f.skipped},
                          {"actions", actions}});
  }
  json list = json::array();
  for (const auto& p : m.points)
    list.push_back({{"id", p.id},
                    {"name", p.name},
                    {"kind", p.kind},
                    {"contact_name", p.contactName},
                    {"contact_phone", p.contactPhone},
                    {"first_connected", timeJson(m, p.firstConnected)},
                    {"up_ms", p.up.count()},
                    {"degraded_ms", p.degraded.count()},
                    {"down_ms", p.down.count()},
                    {"maintenance_ms", p.maintenance.count()},
                    {"outages", p.outages},
                    {"watched_bridge", p.watchedBridge},
                    {"return_feed", p.returnFeed}});
  auto optNum = [](const std::optional<long long>& v) { return v ? json(*v) : json(nullptr); };
  j["points"] = {{"planned", m.plannedPoints},
                 {"connected_at_opening", optNum(m.connectedAtOpening)},
                 {"opening_at", timeJson(m, m.openingAt)},
                 {"connected_at_launch", optNum(m.connectedAtLaunch)},
                 {"launch_at", timeJson(m, m.launchAt)},
                 {"launch_item", m.launchItem.empty() ? json(nullptr) : json(m.launchItem)},
                 {"list", list}};
  j["outages"] = json::array();
  for (const auto& o : m.outages)
    j["outages"].push_back({{"point", o.point},
                            {"name", o.name},
                            {"from", iso(m, o.from)},
                            {"to", timeJson(m, o.to)},
                            {"ms", o.ms.count()},
                            {"reason", o.reason},
                            {"flapping", o.flapping},
                            {"count", o.count}});
  j["connected"] = json::array();
  for (const auto& c : m.connected)
    j["connected"].push_back(
        {{"at", iso(m, c.at)}, {"up", c.up}, {"degraded", c.degraded}, {"down", c.down}});
  j["log"] = json::array();
  for (const auto& l : m.log)
    j["log"].push_back({{"at", iso(m, l.at)}, {"kind", l.kind}, {"message", l.message}});
  return j;
}

std::string iso(const Model& m, WallTime t) {
  return health::formatTime(t, m.offset);
}

std::string csvTime(const Model& m, WallTime t) {
  std::string s = iso(m, t);
  auto tpos = s.find('T');
  if (tpos == std::string::npos) return s;
  s[tpos] = ' ';
  return s.substr(0, std::min(s.size(), tpos + 9));
}

std::string clock(const Model& m, WallTime t) {
  std::string s = iso(m, t);
  auto tpos = s.find('T');
  if (tpos == std::string::npos) return s;
  std::string hms = s.substr(tpos + 1, 8);
  std::string day = s.substr(0, tpos);
  if (day != m.date && day.size() >= 10)
    hms += " (" + day.substr(day.size() - 2) + "/" + day.substr(day.size() - 5, 2) + ")";
  return hms;
}

long long seconds(Millis ms) {
  return (ms.count() + (ms.count() >= 0 ? 500 : -500)) / 1000;
}

std::string duration(Millis ms) {
  long long s = seconds(ms);
  const bool neg = s < 0;
  if (neg) s = -s;
  const long long h = s / 3600, mi = s / 60 % 60, se = s % 60;
  char buf[96];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lld giờ %02lld phút %02lld giây", h, mi, se);
  else if (mi > 0)
    std::snprintf(buf, sizeof buf, "%lld phút %02lld giây", mi, se);
  else
    std::snprintf(buf, sizeof buf, "%lld giây", se);
  return (neg ? "−" : "") + std::string(buf);
}

std::string whoText(const std::string& who) {
  if (who == "dashboard") return "bảng điều khiển";
  if (who == "ceremonyctl") return "lệnh ceremonyctl";
  if (who == "api") return "API";
  if (who == "schedule") return "theo lịch";
  if (who == "operator") return "người vận hành";
  return who;
}

std::string opText(const ItemAction& a) {
  const std::string arg = a.arg;
  const std::string sec = a.seconds ? std::to_string(*a.seconds) : arg;
  if (a.op == "next") return "Chuyển sang mục tiếp theo";
  if (a.op == "hold") return "Giữ mục (tạm dừng chuyển mục)";
  if (a.op == "resume") return "Tiếp tục chương trình";
  if (a.op == "goto") return "Chuyển đến mục " + arg;
  if (a.op == "extend") return "Kéo dài mục thêm " + sec + " giây";
  if (a.op == "cut") return "Chuyển hình sang " + arg;
  if (a.op == "cue") return "Chuẩn bị phát " + arg;
  if (a.op == "maintenance-on") return "Đặt điểm cầu " + arg + " ở chế độ bảo trì";
  if (a.op == "maintenance-off") return "Kết thúc bảo trì điểm cầu " + arg;
  if (a.op == "output-start") return "Bật đầu ra " + arg;
  if (a.op == "output-stop") return "Dừng đầu ra " + arg;
  if (a.op == "bridge-end") return "Kết thúc phiên cầu truyền hình " + arg;
  return "Lệnh " + a.op + (arg.empty() ? "" : " " + arg);
}

std::string actionText(const Model& m, const ItemAction& a) {
  if (a.op == "goto")
    for (const auto& f : m.items)
      if (f.id == a.arg) {
        std::string n = f.number.is_number()   ? f.number.dump()
                        : f.number.is_string() ? f.number.get<std::string>()
                                               : std::string();
        return "Chuyển đến mục " + (n.empty() ? f.id : n) +
               (f.title.empty() ? "" : " (" + f.title + ")");
      }
  return opText(a);
}

std::string dateText(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return d;
  return d.substr(8, 2) + "/" + d.substr(5, 2) + "/" + d.substr(0, 4);
}

}  // namespace detail

ReportFiles buildReport(const JournalRecords& journal, WallTime now, bool draft) {
  const detail::Model m = detail::computeModel(journal, now, draft);
  ReportFiles f;
  f.date = m.date;
  f.json = detail::modelJson(m);
  f.html = detail::renderHtml(m);
  f.itemsCsv = detail::itemsCsv(m);
  f.pointsCsv = detail::pointsCsv(m);
  f.outagesCsv = detail::outagesCsv(m);
  return f;
}

namespace {
// Only a real date names the files: the journal is outside input and must not pick a path.
std::string safeDate(const std::string& d) {
  if (d.size() != 10) return "undated";
  for (std::size_t i = 0; i < d.size(); ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? d[i] != '-' : (d[i] < '0' || d[i] > '9')) return "undated";
  }
  return d;
}
}  // namespace

std::vector<std::filesystem::path> writeReport(const ReportFiles& report,
                                               const std::filesystem::path& dir,
                                               std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    if (error) *error = "không tạo được thư mục " + dir.string() + ": " + ec.message();
    return {};
  }
  const std::string base = "report-" + safeDate(report.date);
  const std::pair<std::string, const std::string*> files[] = {
      {base + ".html", &report.html},
      {base + "-items.csv", &report.itemsCsv},
      {base + "-points.csv", &report.pointsCsv},
      {base + "-outages.csv", &report.outagesCsv}};
  std::vector<std::filesystem::path> written;
  for (const auto& [name, text] : files) {
    const auto path = dir / name;
    const auto tmp = dir / ("." + name + ".tmp-" + std::to_string(::getpid()));
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(text->data(), static_cast<std::streamsize>(text->size()));
      out.flush();
      if (!out) {
        if (error) *error = "không ghi được " + tmp.string();
        std::filesystem::remove(tmp, ec);
        return {};
      }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      if (error) *error = "không đổi tên được " + tmp.string() + ": " + ec.message();
      std::filesystem::remove(tmp, ec);
      return {};
    }
    written.push_back(path);
  }
  return written;
}

}  // namespace ceremony::report
