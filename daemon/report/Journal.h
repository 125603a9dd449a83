#pragma once
// The ceremony's journal: one JSON line per thing that happened, appended as it happens, read
// back by the results report (daemon/report/README.md lists the records). Pure: POSIX files,
// no network, no media.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/WallTime.h"

namespace ceremony::report {

// Appends records to a JSON-lines file: one write() of a whole line on an O_APPEND file per
// record, so a record is in the kernel (safe from kill -9) when append returns; sync()
// (the daemon calls it once a second and at a stop) puts it on the disk. Never throws: a
// disk that refuses is remembered in lastError() and the ceremony goes on.
class Journal {
 public:
  explicit Journal(std::filesystem::path path, int utcOffsetMinutes = 7 * 60);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Adds `at` (formatted with the event's offset) and `type` to `fields` and appends it.
  bool append(WallTime at, std::string_view type, nlohmann::json fields = nlohmann::json::object());
  // fdatasync when something was written since the last sync.
  void sync();

  const std::filesystem::path& path() const { return path_; }
  const std::string& lastError() const { return lastError_; }
  std::uintmax_t bytes() const { return bytes_; }  // written by this object
  std::size_t records() const { return records_; }
  int utcOffsetMinutes() const { return offset_; }

 private:
  bool open();

  std::filesystem::path path_;
  int offset_;
  int fd_ = -1;
  bool dirty_ = false;
  std::uintmax_t bytes_ = 0;
  std::size_t records_ = 0;
  std::string lastError_;
};

// What a journal file holds: its records in order, and a warning (Vietnamese, with the line
// number) for each line that is not a record (torn by a power cut, binary, foreign).
struct JournalRecords {
  std::vector<nlohmann::json> records;  // each an object with a string "at" and "type"
  std::vector<std::string> warnings;
};
// Never throws, whatever the bytes.
JournalRecords readJournal(std::string_view text);
// The file read whole (a missing or unreadable file gives no records and one warning).
JournalRecords readJournalFile(const std::filesystem::path& path);

// Keeps a flapping point from filling the disk: a point that changes state more than
// `maxChanges` times within `window` stops being journaled change by change; instead it gets
// one `point-summary` per window (time in each state, outages) until a whole window passes
// with at most 2 changes. Pure: the caller passes the time and writes what it returns.
class PointThrottle {
 public:
  struct Settings {
    int maxChanges = 6;
    Millis window{10 * 60 * 1000};
    int utcOffsetMinutes = 7 * 60;  // for the summaries' from/to
  };
  PointThrottle() = default;
  explicit PointThrottle(Settings s) : settings_(s) {}

  // A change of `point` to `to` at `at`: the records to journal for it (the `point` record
  // itself while the point is steady, a `point-flapping` record when it starts to flap,
  // nothing while it flaps). Each element is {type, fields}; the caller adds `at`.
  struct Out {
    std::string type;
    nlohmann::json fields;
    WallTime at;
  };
  std::vector<Out> change(WallTime at, const std::string& point, std::string_view to,
                          const nlohmann::json& pointRecord);
  // Called now and then (every second is plenty): closes the windows that are over.
  std::vector<Out> tick(WallTime now);
  bool flapping(const std::string& point) const;

 private:
  struct Flap {
    std::vector<WallTime> recent;  // change times within the last window (steady points)
    bool flapping = false;
    WallTime windowStart{};
    WallTime stateSince{};
    std::string state;
    Millis up{0}, degraded{0}, down{0};
    int outages = 0;
    int changes = 0;  // in this window
  };
  void accrue(Flap& f, WallTime until);
  Out summary(const std::string& point, Flap& f, WallTime to, bool still);

  Settings settings_;
  std::map<std::string, Flap> points_;
};

}  // namespace ceremony::report
