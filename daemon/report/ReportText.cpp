// The report's figures as JSON (GET /api/report?format=json) and the words and times the
// HTML and CSV forms share.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "health/HealthEvents.h"
#include "report/ReportModel.h"

namespace ceremony::report::detail {

namespace {

using json = nlohmann::json;

json timeJson(const Model& m, const std::optional<WallTime>& t) {
  return t ? json(iso(m, *t)) : json(nullptr);
}

}  // namespace

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
                          {"actions", actions},
                          {"silences", f.silences},
                          {"silence_ms", f.silent.count()},
                          {"clipping", f.clipping},
                          {"off_target", f.offTarget}});
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
  auto tenth = [](const std::optional<double>& v) {
    return v ? json(std::round(*v * 10) / 10) : json(nullptr);
  };
  json silences = json::array();
  long long silentMs = 0;
  for (const auto& s : m.sound.silences) {
    silences.push_back({{"item", s.item},
                        {"from", iso(m, s.from)},
                        {"to", iso(m, s.to)},
                        {"ms", s.ms().count()},
                        {"told", s.told}});
    silentMs = std::min(silentMs + s.ms().count(), 400'000'000'000LL);
  }
  j["sound"] = {{"integrated_lufs", tenth(m.sound.integratedLufs)},
                {"max_true_peak_dbtp", tenth(m.sound.maxTruePeakDbtp)},
                {"measured_s", std::llround(m.sound.measuredS)},
                {"runs", m.sound.runs.size()},
                {"target_lufs", m.sound.targetLufs},
                {"silences", silences},
                {"silence_count", m.sound.silences.size()},
                {"silence_ms", silentMs},
                {"clipping", m.sound.clipping},
                {"off_target", m.sound.offTarget}};
  j["inputs"] = json::array();
  for (const auto& i : m.inputs)
    j["inputs"].push_back({{"id", i.id},
                           {"outages", i.outages},
                           {"outage_ms", i.outage.count()},
                           {"frozen", i.frozen},
                           {"frozen_ms", i.frozenFor.count()},
                           {"black", i.black},
                           {"black_ms", i.blackFor.count()}});
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

std::string decibels(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::abs(v));
  std::string s = buf;
  if (auto dot = s.find('.'); dot != std::string::npos) s[dot] = ',';
  return (v < 0 && s != "0,0" ? "−" : "") + s;
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

}  // namespace ceremony::report::detail
