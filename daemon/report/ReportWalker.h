#pragma once
// Internal to daemon/report/: the one walk over the journal's records that computes the
// report's figures (ReportWalker.cpp; Walker::record, one record at a time, in
// ReportRecords.cpp). Every field is read with a checked accessor: a journal is outside
// input (a torn file, an older or newer daemon, a hand edit).

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "health/HealthEvents.h"
#include "report/ReportModel.h"

namespace ceremony::report::detail {

using json = nlohmann::json;

inline constexpr long long kMaxMs = 400'000'000'000LL;  // ~12 years: no sum of these overflows
inline constexpr long long kMaxCount = 1'000'000'000LL;

inline const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
inline std::string str(const json& j, const char* key) {
  const json* v = field(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}
inline std::optional<long long> num(const json& j, const char* key) {
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
// A finite number (integer or not), else nothing.
inline std::optional<double> real(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}
inline long long clampMs(std::optional<long long> v) {
  return v ? std::clamp(*v, 0LL, kMaxMs) : 0;
}
inline bool flag(const json& j, const char* key) {
  const json* v = field(j, key);
  return v && v->is_boolean() && v->get<bool>();
}
inline std::optional<WallTime> timeOf(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v || !v->is_string()) return std::nullopt;
  return health::parseTime(v->get_ref<const std::string&>());
}
inline const json& arr(const json& j, const char* key) {
  static const json empty = json::array();
  const json* v = field(j, key);
  return v && v->is_array() ? *v : empty;
}
inline Millis add(Millis a, Millis b) {
  long long r;
  if (__builtin_add_overflow(a.count(), b.count(), &r)) r = LLONG_MAX;
  return Millis(r);
}
inline Millis span(WallTime from, WallTime to) {
  return to > from ? to - from : Millis(0);
}

inline bool validState(const std::string& s) {
  return s == "unknown" || s == "up" || s == "degraded" || s == "down" || s == "maintenance";
}
inline bool connected(const std::string& s) {
  return s == "up" || s == "degraded";
}

inline std::string stateText(const std::string& s) {
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
  struct InState {
    std::size_t index = 0;  // in m_.inputs
    std::string state;      // running, stalled, retrying, frozen; "" when not known
    WallTime since{};
    bool black = false;
    WallTime blackSince{};
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
  InState& input(const std::string& id);
  void leaveInput(InState& in, WallTime at);
  // Ends the open silence at `to`; `lasted`, the daemon's own measure, places its start.
  void closeSilence(WallTime to, std::optional<Millis> lasted, bool told);
  void soundRecord(const json& j, WallTime at);
  void record(const Rec& r);
  void log(WallTime at, std::string kind, std::string message) {
    m_.log.push_back({at, std::move(kind), std::move(message)});
  }
  void finish();

  Model& m_;
  std::map<std::string, std::size_t> outIdx_, pointIdx_, itemIdx_;
  std::vector<OutState> outs_;
  std::vector<PointState> pts_;
  std::map<std::string, InState> inputs_;
  std::optional<SoundFigures::Run> soundRun_;  // this run's last alive figure
  std::optional<std::size_t> openSilence_;     // in m_.sound.silences
  std::map<std::string, long long> counts_;    // points per state
  long long flappingNow_ = 0;
  std::vector<OnAir> onAir_;
  std::optional<std::size_t> openAir_;
  std::vector<std::optional<WallTime>> lastEnded_;
  std::vector<bool> skippedRec_;
  std::set<std::string> seenItems_;
  std::vector<ItemAction> commands_;
};

}  // namespace ceremony::report::detail
