#pragma once
// What happened to the points: state changes and uplink alarms, kept per point in
// memory (recent history for the API) and appended to a JSON-lines log on disk that
// the next start reads back.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "health/HealthConfig.h"
#include "health/PointState.h"

namespace ceremony::health {

enum class EventKind { PointChanged, UplinkRaised, UplinkCleared };

struct HealthEvent {
  EventKind kind = EventKind::PointChanged;
  WallTime at;
  std::string pointId;  // PointChanged
  PointStatus from = PointStatus::Unknown;
  PointStatus to = PointStatus::Unknown;
  std::string reason;
  bool alert = true;        // worth telling people (false: operator's own maintenance, start-up)
  bool suppressed = false;  // covered by the uplink alarm, not sent on its own
  std::vector<std::string> points;  // uplink: the points that dropped
  std::string group;                // uplink: the group whose line dropped; empty: all points
};

// "2025-07-28T14:03:12.345+07:00"
std::string formatTime(WallTime t, int utcOffsetMinutes = 7 * 60);
// Inverse of formatTime (any offset, 'Z' too); nullopt when it is not that format.
std::optional<WallTime> parseTime(std::string_view text);

nlohmann::json toJson(const HealthEvent& e, int utcOffsetMinutes = 7 * 60);
std::optional<HealthEvent> eventFromJson(const nlohmann::json& j);

// The last few events of one point, oldest first.
class PointHistory {
 public:
  explicit PointHistory(std::size_t capacity = 50) : capacity_(capacity) {}
  void add(HealthEvent e);
  const std::deque<HealthEvent>& events() const { return events_; }
  std::deque<HealthEvent>& events() { return events_; }

 private:
  std::size_t capacity_;
  std::deque<HealthEvent> events_;
};

// Appends events to a JSON-lines file, one write() per line, so a crash loses at most
// the line being written; reading skips a torn or foreign line instead of failing.
// Bounded: past `maxBytes` the file becomes `<path>.1` (the one before is dropped) and a new
// one starts, so the disk holds at most about twice that. At start only the end of the
// files is read, never a whole old log.
class EventLog {
 public:
  static constexpr std::uintmax_t kDefaultMaxBytes = 64u << 20;  // ~250,000 events
  explicit EventLog(std::filesystem::path path, int utcOffsetMinutes = 7 * 60,
                    std::uintmax_t maxBytes = kDefaultMaxBytes);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // False when the disk refused; lastError() says why. The caller keeps running.
  bool append(const HealthEvent& e);
  // The last `max` events (from `<path>.1` too when the file has fewer), oldest first.
  std::vector<HealthEvent> readRecent(std::size_t max) const;
  // Times the file was set aside as `<path>.1` since this object was made.
  std::size_t rotations() const { return rotations_; }

  const std::filesystem::path& path() const { return path_; }
  const std::string& lastError() const { return lastError_; }
  std::size_t skippedLines() const { return skipped_; }

 private:
  bool open();
  void rotate();

  std::filesystem::path path_;
  int offset_;
  std::uintmax_t maxBytes_;
  std::uintmax_t size_ = 0;  // of the open file
  std::size_t rotations_ = 0;
  int fd_ = -1;
  std::string lastError_;
  mutable std::size_t skipped_ = 0;
};

}  // namespace ceremony::health
