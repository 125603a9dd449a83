// The ceremony's journal and the results report built from it (daemon/report/README.md):
// every run-of-show transition, operator command, point state change, bridge session, output
// and input change, alert and reload is appended as it happens; the report reads the journal
// alone. On the io_context thread.
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "app/Ceremony.h"
#include "health/HealthEvents.h"
#include "report/Report.h"

namespace ceremony {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kAliveEvery = std::chrono::seconds(30);

const char* causeName(Cause c) {
  switch (c) {
    case Cause::HardStart:
      return "schedule";
    case Cause::FollowsPrevious:
      return "follows";
    case Cause::PlannedEnd:
      return "planned-end";
    case Cause::OperatorNext:
      return "operator-next";
    case Cause::OperatorGoTo:
      return "operator-goto";
    case Cause::OperatorHold:
      return "operator-hold";
    case Cause::OperatorResume:
      return "operator-resume";
    case Cause::OperatorExtend:
      return "operator-extend";
    case Cause::ClipEnded:
      return "clip-ended";
    case Cause::JoinedMidway:
      return "joined-midway";
  }
  return "schedule";
}

// The time of the last whole record in a journal, from its last 64 KiB.
std::optional<WallTime> lastRecordTime(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  if (from > 0) {
    const auto nl = tail.find('\n');
    tail = nl == std::string::npos ? std::string() : tail.substr(nl + 1);
  }
  const auto records = report::readJournal(tail).records;
  for (auto it = records.rbegin(); it != records.rend(); ++it)
    if (auto t = health::parseTime((*it)["at"].get<std::string>())) return *t;
  return std::nullopt;
}

std::string compactTime(WallTime t, int offset) {
  // "2025-07-28T14:03:12.345+07:00" → "20250728-140312"
  std::string s = health::formatTime(t, offset);
  std::string out;
  for (char c : s.substr(0, 19))
    if (c >= '0' && c <= '9') out.push_back(c);
  return out.size() == 14 ? out.substr(0, 8) + "-" + out.substr(8) : out;
}

}  // namespace

void Ceremony::openJournal() {
  if (options_.stateDir.empty()) {
    spdlog::warn(
        "Không có --state-dir: không ghi nhật ký buổi lễ, nên không có báo cáo kết quả "
        "(no journal, no report)");
    return;
  }
  const int offset = config_.event.utcOffsetMinutes;
  const fs::path path = fs::path(options_.stateDir) / "journal.jsonl";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    if (resumed_) {
      journaledUntil_ = lastRecordTime(path);
    } else {
      // A new run: the last one's journal is kept beside, for its own report.
      const fs::path aside =
          fs::path(options_.stateDir) / ("journal-" + compactTime(clock_.now(), offset) + ".jsonl");
      fs::rename(path, aside, ec);
      if (ec)
        spdlog::error("Không để riêng được nhật ký cũ {}: {}", path.string(), ec.message());
      else
        spdlog::info("Nhật ký của lần chạy trước để ở {}", aside.string());
    }
  }
  journal_ = std::make_unique<report::Journal>(path, offset);
  reportWorker_ = std::make_unique<ReportWorker>(io_);
  report::PointThrottle::Settings throttle;
  throttle.utcOffsetMinutes = offset;
  pointThrottle_ = report::PointThrottle(throttle);

  json items = json::array();
  const WallTime now = clock_.now();
  for (std::size_t i = 0; i < timeline_->size(); ++i) {
    const ItemStatus item = timeline_->item(i, now);
    json j{{"id", item.id},
           {"number", i + 1},
           {"title", item.title},
           {"planned_start", health::formatTime(item.plannedStart, offset)},
           {"launch", i < config_.timeline.size() && config_.timeline[i].launch}};
    if (item.plannedEnd) j["planned_end"] = health::formatTime(*item.plannedEnd, offset);
    items.push_back(std::move(j));
  }
  json points = json::array();
  for (const auto& p : config_.health.points)
    points.push_back({{"id", p.id},
                      {"name", p.name},
                      {"kind", p.kind},
                      {"contact_name", p.contactName},
                      {"contact_phone", p.contactPhone}});
  json outputs = json::array();
  for (const auto& d : outputs_.status())
    outputs.push_back(
        {{"id", d.destination->config.id}, {"kind", outputKindName(d.destination->config.kind)}});
  journal("start", {{"ceremony", ceremonyIdentity(config_)},
                    {"title", config_.event.title},
                    {"date", config_.event.date},
                    {"venue", config_.event.venue},
                    {"utc_offset_min", offset},
                    {"resumed", resumed_.has_value()},
                    {"items", std::move(items)},
                    {"points", std::move(points)},
                    {"outputs", std::move(outputs)},
                    {"probe_interval_ms", config_.health.settings.interval.count()},
                    {"watch",
                     {{"enabled", config_.watch.enabled},
                      {"target_lufs", config_.watch.targetLufs},
                      {"tolerance_lu", config_.watch.toleranceLu},
                      {"true_peak_max_dbtp", config_.watch.truePeakMaxDbtp}}}});
  journalTimeline();
}

void Ceremony::journal(std::string_view type, json fields, std::optional<WallTime> at) {
  if (!journal_) return;
  const std::string before = journal_->lastError();
  if (!journal_->append(at.value_or(clock_.now()), type, std::move(fields)) &&
      journal_->lastError() != before)
    spdlog::error("Không ghi được nhật ký buổi lễ: {}", journal_->lastError());
}

void Ceremony::journalTimeline() {
  if (!journal_ || !timeline_) return;
  const int offset = config_.event.utcOffsetMinutes;
  for (const auto& e : timeline_->events()) {
    std::string key = std::string(toString(e.what)) + "|" + e.itemId + "|" +
                      std::to_string(e.actual.time_since_epoch().count());
    if (!journaledTimeline_.insert(std::move(key)).second) continue;
    // Resumed: what happened up to the last record was written before the restart.
    if (journaledUntil_ && e.actual <= *journaledUntil_) continue;
    json j{{"what", toString(e.what)},
           {"item", e.itemId},
           {"number", e.index + 1},
           {"cause", causeName(e.cause)},
           {"reason", e.reason}};
    if (e.planned) j["planned"] = health::formatTime(*e.planned, offset);
    journal("item", std::move(j), e.actual);
  }
}

void Ceremony::journalHealth(const health::HealthEvent& e) {
  if (!journal_) return;
  if (e.kind != health::EventKind::PointChanged) {
    json record{{"what", e.kind == health::EventKind::UplinkRaised ? "raised" : "cleared"},
                {"points", e.points},
                {"reason", e.reason}};
    if (!e.group.empty()) record["group"] = e.group;
    journal("uplink", std::move(record), e.at);
    return;
  }
  const std::string from(health::statusName(e.from)), to(health::statusName(e.to));
  json record{{"point", e.pointId}, {"from", from},     {"to", to},
              {"reason", e.reason}, {"alert", e.alert}, {"suppressed", e.suppressed}};
  for (auto& out : pointThrottle_.change(e.at, e.pointId, to, record))
    journal(out.type, std::move(out.fields), out.at);
}

void Ceremony::journalEverySecond() {
  if (!journal_) return;
  const WallTime now = clock_.now();
  for (auto& out : pointThrottle_.tick(now)) journal(out.type, std::move(out.fields), out.at);
  const auto steady = std::chrono::steady_clock::now();
  if (steady - lastAlive_ >= kAliveEvery) journalAlive();
  journal_->sync();
}

// What is live, the points' counts and the programme's loudness so far; every 30 s, and
// once more when the run-of-show ends and at a stop, so the report has the last figures.
void Ceremony::journalAlive() {
  if (!journal_) return;
  lastAlive_ = std::chrono::steady_clock::now();
  json alive{{"live", json::array()}};
  for (const auto& d : outputs_.status())
    if (d.live) alive["live"].push_back(d.destination->config.id);
  if (points_) {
    const auto c = points_->monitor().counts();
    alive["up"] = c.up;
    alive["degraded"] = c.degraded;
    alive["down"] = c.down;
    alive["unknown"] = c.unknown;
    alive["maintenance"] = c.maintenance;
  }
  // The programme's loudness so far, for the report's sound section ([watch]).
  if (sound_ && std::isfinite(sound_->integrated))
    alive["sound"] = {{"integrated_lufs", soundLevel(sound_->integrated)},
                      {"max_true_peak_dbtp", soundLevel(sound_->maxTruePeak)},
                      {"measured_s", std::round(sound_->seconds)}};
  journal("alive", std::move(alive));
}

bool Ceremony::report(const std::string& format, ReportDone done) {
  if (!journal_) return false;
  const bool draft = !reportWritten_ && !stopping_;
  reportWorker_->request(
      journal_->path(), clock_.now(), draft,
      [format, done = std::move(done)](std::shared_ptr<const report::ReportFiles> built) {
        const std::string base = "report-" + built->date;
        if (format == "json")
          return done({"application/json; charset=utf-8",
                       built->json.dump(2, ' ', false, json::error_handler_t::replace),
                       base + ".json"});
        if (format == "items.csv")
          return done({"text/csv; charset=utf-8", built->itemsCsv, base + "-items.csv"});
        if (format == "points.csv")
          return done({"text/csv; charset=utf-8", built->pointsCsv, base + "-points.csv"});
        if (format == "outages.csv")
          return done({"text/csv; charset=utf-8", built->outagesCsv, base + "-outages.csv"});
        done({"text/html; charset=utf-8", built->html, base + ".html"});
      });
  return true;
}

void Ceremony::writeReportFiles(const std::string& why) {
  if (!journal_) return;
  journal_->sync();
  const fs::path dir =
      options_.reportDir.empty() ? fs::path(options_.stateDir) : fs::path(options_.reportDir);
  const auto built =
      report::buildReport(report::readJournalFile(journal_->path()), clock_.now(), false);
  std::string error;
  const auto written = report::writeReport(built, dir, &error);
  if (written.empty()) {
    spdlog::error("Không ghi được báo cáo kết quả vào {}: {}", dir.string(), error);
    return;
  }
  spdlog::info("Báo cáo kết quả ({}): {}", why, written.front().string());
}

}  // namespace ceremony
