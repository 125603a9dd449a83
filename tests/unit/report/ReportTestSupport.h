#pragma once
// Builds synthetic journals for the report tests: records at offsets from a fixed start.

#include <string>

#include <nlohmann/json.hpp>

#include "health/HealthEvents.h"
#include "report/Journal.h"

namespace ceremony::report::test {

// 28/7/2025 14:00 in Quảng Ngãi (07:00 UTC).
inline WallTime t0() {
  using namespace std::chrono;
  return time_point_cast<Millis>(sys_days{year{2025} / 7 / 28} + hours{7});
}
inline WallTime at(double seconds) {
  return t0() + Millis(static_cast<long long>(seconds * 1000));
}
inline std::string iso(double seconds) {
  return health::formatTime(at(seconds));
}

struct JournalBuilder {
  JournalRecords journal;
  nlohmann::json& add(double seconds, const std::string& type,
                      nlohmann::json fields = nlohmann::json::object()) {
    fields["at"] = iso(seconds);
    fields["type"] = type;
    journal.records.push_back(std::move(fields));
    return journal.records.back();
  }
  // A start record with two outputs, the given points (id → name) and four items.
  nlohmann::json& start(double seconds, bool resumed = false, std::string ceremony = "qn-2025",
                        nlohmann::json points = nullptr) {
    if (points.is_null())
      points = nlohmann::json::array({
          {{"id", "nghia-hanh"},
           {"name", "Xã Nghĩa Hành"},
           {"kind", "xã"},
           {"contact_name", "Nguyễn Văn An"},
           {"contact_phone", "0905 111 222"}},
          {{"id", "ba-to"},
           {"name", "Xã Ba Tơ"},
           {"kind", "xã"},
           {"contact_name", "Trần Thị Bình"},
           {"contact_phone", "0905 333 444"}},
      });
    return add(seconds, "start",
               {{"ceremony", ceremony},
                {"title", "Lễ khởi công dự án đường ven biển"},
                {"date", "2025-07-28"},
                {"venue", "Quảng Ngãi"},
                {"utc_offset_min", 420},
                {"resumed", resumed},
                {"items", nlohmann::json::array({
                              {{"id", "mo-dau"},
                               {"number", 1},
                               {"title", "Khai mạc"},
                               {"planned_start", iso(60)},
                               {"planned_end", iso(300)},
                               {"launch", false}},
                              {{"id", "phat-bieu"},
                               {"number", 2},
                               {"title", "Phát biểu"},
                               {"planned_start", iso(300)},
                               {"planned_end", iso(420)},
                               {"launch", false}},
                              {{"id", "van-nghe"},
                               {"number", 3},
                               {"title", "Văn nghệ"},
                               {"planned_start", iso(420)},
                               {"planned_end", iso(480)},
                               {"launch", false}},
                              {{"id", "phat-dong"},
                               {"number", 4},
                               {"title", "Nghi thức phát động"},
                               {"planned_start", iso(480)},
                               {"planned_end", iso(600)},
                               {"launch", true}},
                          })},
                {"points", points},
                {"outputs", nlohmann::json::array({{{"id", "youtube"}, {"kind", "rtmp"}},
                                                   {{"id", "hls"}, {"kind", "hls"}}})},
                {"probe_interval_ms", 2000}});
  }
  void item(double s, const std::string& what, const std::string& id) {
    add(s, "item", {{"what", what}, {"item", id}});
  }
  void command(double s, const std::string& op, const std::string& who,
               nlohmann::json extra = nlohmann::json::object()) {
    extra["op"] = op;
    extra["who"] = who;
    add(s, "command", std::move(extra));
  }
  void point(double s, const std::string& id, const std::string& from, const std::string& to,
             const std::string& reason = "", bool alert = true) {
    add(s, "point",
        {{"point", id},
         {"from", from},
         {"to", to},
         {"reason", reason},
         {"alert", alert},
         {"suppressed", false}});
  }
  void output(double s, const std::string& id, const std::string& state) {
    add(s, "output", {{"output", id}, {"state", state}, {"detail", ""}});
  }
};

inline const nlohmann::json* findById(const nlohmann::json& list, const std::string& id) {
  for (const auto& e : list)
    if (e.value("id", "") == id) return &e;
  return nullptr;
}

}  // namespace ceremony::report::test
