#pragma once
// The report's figures, computed once from the journal (ReportWalker.cpp) and given out as JSON,
// HTML (ReportHtml.cpp) and CSV (ReportCsv.cpp). Internal to daemon/report/.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/WallTime.h"
#include "report/Journal.h"

namespace ceremony::report::detail {

struct Span {
  WallTime from{};
  WallTime to{};
  Millis ms() const { return to > from ? to - from : Millis(0); }
};

struct OutputFigures {
  std::string id, kind;
  Millis live{0};
  int reconnects = 0;
  Millis longestOutage{0};
  std::vector<Span> liveSpans;
  std::vector<Span> outages;  // not live, between the first live start and the last live end
  bool liveAtEnd = false;
};

struct ItemAction {
  WallTime at{};
  std::string op, who, arg;  // arg empty when none
  std::string item;          // the item it acted on, as the daemon journaled it (else by time)
  std::optional<long long> seconds;
};

struct ItemFigures {
  std::string id, title;
  nlohmann::json number;  // a number or a string as the plan gave it, else null
  std::optional<WallTime> plannedStart, plannedEnd, actualStart, actualEnd;
  bool skipped = false;
  bool launch = false;
  std::vector<ItemAction> actions;
  // The sound watch's alerts while it was on air (sound records naming it).
  long long silences = 0;  // silences long enough to be told
  Millis silent{0};        // their total length (one still open counts to the item's end)
  long long clipping = 0, offTarget = 0;
  std::optional<long long> slipMs() const {
    if (!plannedStart || !actualStart) return std::nullopt;
    return (*actualStart - *plannedStart).count();
  }
};

struct PointFigures {
  std::string id, name, kind, contactName, contactPhone;
  std::optional<WallTime> firstConnected;
  Millis up{0}, degraded{0}, down{0}, maintenance{0};
  long long outages = 0;
  bool watchedBridge = false;
  bool returnFeed = false;
  bool trouble() const { return down.count() > 0 || degraded.count() > 0 || outages > 0; }
};

struct OutageRow {
  std::string point, name;
  WallTime from{};
  std::optional<WallTime> to;  // null: still down at the end
  Millis ms{0};
  std::string reason;
  bool flapping = false;
  long long count = 1;
};

struct ConnectedSample {
  WallTime at{};
  long long up = 0, degraded = 0, down = 0;
};

// A silence the sound watch told (a `sound` record, alert silence), closed by its
// silence_over or, when none came, by the item's end or the end of that run of the daemon.
struct SilenceRow {
  std::string item;  // the item's id as journaled
  WallTime from{};   // when the silence began (the alert's time less its seconds)
  WallTime to{};
  bool told = true;  // false: no silence_over came (a crash, a stop), `to` is our end
  Millis ms() const { return to > from ? to - from : Millis(0); }
};

// The programme's sound: loudness from the `alive` records, alerts from the `sound` records.
struct SoundFigures {
  // One daemon run's figure (its last alive's): integrated loudness so far, highest true
  // peak, seconds measured. Each run of the daemon measures from its own start.
  struct Run {
    double integratedLufs = 0;
    std::optional<double> maxTruePeakDbtp;
    double measuredS = 0;
  };
  std::vector<Run> runs;
  // The ceremony's figures: one run's as it is; several runs' loudness summed by energy,
  // weighted by the seconds each measured; the highest peak of all.
  std::optional<double> integratedLufs, maxTruePeakDbtp;
  double measuredS = 0;
  double targetLufs = -16;  // the daemon's default [watch] target
  std::vector<SilenceRow> silences;
  long long clipping = 0, offTarget = 0;
  bool any() const {
    return integratedLufs || maxTruePeakDbtp || !silences.empty() || clipping > 0 || offTarget > 0;
  }
};

// A live input's troubles: lost (stalled, retrying), frozen picture, black picture.
struct InputFigures {
  std::string id;
  long long outages = 0, frozen = 0, black = 0;
  Millis outage{0}, frozenFor{0}, blackFor{0};
  bool trouble() const { return outages > 0 || frozen > 0 || black > 0; }
};

struct LogLine {
  WallTime at{};
  std::string kind;  // command, alert, uplink, point, output, input, sound, reload, media,
                     // start, stop
  std::string message;
};

struct Model {
  bool draft = false;
  WallTime generatedAt{};
  WallTime end{};
  int offset = 7 * 60;
  std::vector<std::string> warnings;
  std::string title, date, venue, ceremony;
  std::optional<WallTime> streamStarted, streamEnded;
  bool streamLiveAtEnd = false;
  std::vector<OutputFigures> outputs;
  std::vector<Span> gaps;
  std::vector<ItemFigures> items;
  long long plannedPoints = 0;
  std::optional<long long> connectedAtOpening, connectedAtLaunch;
  std::optional<WallTime> openingAt, launchAt;
  std::string launchItem;  // empty: none
  std::vector<PointFigures> points;
  std::vector<OutageRow> outages;
  std::vector<ConnectedSample> connected;
  SoundFigures sound;
  std::vector<InputFigures> inputs;
  std::vector<LogLine> log;
};

Model computeModel(const JournalRecords& journal, WallTime now, bool draft);
nlohmann::json modelJson(const Model& m);
std::string renderHtml(const Model& m);
std::string itemsCsv(const Model& m);
std::string pointsCsv(const Model& m);
std::string outagesCsv(const Model& m);

// Shared by the renderers.
std::string iso(const Model& m, WallTime t);      // 2025-07-28T14:03:12.345+07:00
std::string clock(const Model& m, WallTime t);    // 14:03:12 (with the day when not
                                                  // the event's)
std::string csvTime(const Model& m, WallTime t);  // 2025-07-28 14:03:12
std::string duration(Millis ms);                  // 1 giờ 02 phút 05 giây
std::string decibels(double v);                   // −14,2 (one decimal, a true minus)
long long seconds(Millis ms);                     // rounded to the nearest second
std::string whoText(const std::string& who);      // bảng điều khiển, …
std::string opText(const ItemAction& a);
// opText with a goto's item named by its number and title when the plan has it.
std::string actionText(const Model& m, const ItemAction& a);
// 2025-07-28 → 28/07/2025 (anything else as it is).
std::string dateText(const std::string& isoDate);  // Tạm dừng, …

}  // namespace ceremony::report::detail
