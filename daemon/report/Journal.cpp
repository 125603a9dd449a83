#include "report/Journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/WriteAll.h"
#include "health/HealthEvents.h"

namespace ceremony::report {

using nlohmann::json;

Journal::Journal(std::filesystem::path path, int utcOffsetMinutes)
    : path_(std::move(path)), offset_(utcOffsetMinutes) {}

Journal::~Journal() {
  if (fd_ < 0) return;
  sync();
  ::close(fd_);
}

bool Journal::open() {
  if (fd_ >= 0) return true;
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    lastError_ = path_.string() + ": " + std::strerror(errno);
    return false;
  }
  // A power cut can leave the last line torn: start on a line of our own, so the first new
  // record is not glued to half an old one (the reader skips the torn half alone).
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size > 0) {
    char last = '\n';
    if (::pread(fd_, &last, 1, size - 1) == 1 && last != '\n') {
      const char nl = '\n';
      if (::write(fd_, &nl, 1) == 1) bytes_ += 1;
    }
  }
  return true;
}

bool Journal::append(WallTime at, std::string_view type, json fields) {
  if (!fields.is_object()) fields = json::object();
  json record = json::object();
  record["at"] = health::formatTime(at, offset_);
  record["type"] = std::string(type);
  for (auto& [k, v] : fields.items())
    if (k != "at" && k != "type") record[k] = std::move(v);
  const std::string line = record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  if (!open()) return false;
  // One write of the whole line: O_APPEND places it after everything else, whole.
  if (!writeAll(fd_, line)) {
    lastError_ = path_.string() + ": " + std::strerror(errno);
    return false;
  }
  bytes_ += line.size();
  ++records_;
  dirty_ = true;
  return true;
}

void Journal::sync() {
  if (fd_ < 0 || !dirty_) return;
  if (::fdatasync(fd_) != 0) lastError_ = path_.string() + ": " + std::strerror(errno);
  dirty_ = false;
}

// ---- reading ------------------------------------------------------------------------------

JournalRecords readJournal(std::string_view text) {
  JournalRecords out;
  std::size_t lineNo = 0, pos = 0, skipped = 0;
  std::size_t firstSkipped = 0;
  auto skip = [&](std::size_t n, const std::string& why) {
    // A binary file would give one warning per "line": name the first few, count the rest.
    if (++skipped <= 5)
      out.warnings.push_back("Nhật ký, dòng " + std::to_string(n) + ": " + why + ", bỏ qua");
    if (firstSkipped == 0) firstSkipped = n;
  };
  while (pos < text.size()) {
    ++lineNo;
    std::size_t end = text.find('\n', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      skip(lineNo, last ? "dòng cuối bị cắt dở (mất điện?)" : "không phải bản ghi JSON");
      continue;
    }
    auto at = j.find("at");
    auto type = j.find("type");
    if (at == j.end() || !at->is_string() || type == j.end() || !type->is_string() ||
        !health::parseTime(at->get_ref<const std::string&>())) {
      skip(lineNo, "bản ghi thiếu thời điểm hoặc loại");
      continue;
    }
    out.records.push_back(std::move(j));
  }
  if (skipped > 5)
    out.warnings.push_back("Nhật ký: tổng cộng " + std::to_string(skipped) +
                           " dòng không đọc được (từ dòng " + std::to_string(firstSkipped) +
                           "), bỏ qua");
  return out;
}

JournalRecords readJournalFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    JournalRecords none;
    none.warnings.push_back("Không đọc được nhật ký " + path.string() + ": " +
                            std::strerror(errno));
    return none;
  }
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  return readJournal(text);
}

// ---- flapping points ----------------------------------------------------------------------

void PointThrottle::accrue(Flap& f, WallTime until) {
  if (until <= f.stateSince) return;
  const Millis d = std::chrono::duration_cast<Millis>(until - f.stateSince);
  if (f.state == "up")
    f.up += d;
  else if (f.state == "degraded")
    f.degraded += d;
  else if (f.state == "down")
    f.down += d;
  f.stateSince = until;
}

PointThrottle::Out PointThrottle::summary(const std::string& point, Flap& f, WallTime to,
                                          bool still) {
  accrue(f, to);
  json fields{{"point", point},
              {"from", health::formatTime(f.windowStart, settings_.utcOffsetMinutes)},
              {"to", health::formatTime(to, settings_.utcOffsetMinutes)},
              {"up_ms", f.up.count()},
              {"degraded_ms", f.degraded.count()},
              {"down_ms", f.down.count()},
              {"outages", f.outages},
              {"state", f.state},
              {"flapping", still}};
  f.up = f.degraded = f.down = Millis{0};
  f.outages = 0;
  f.changes = 0;
  f.windowStart = to;
  return Out{"point-summary", std::move(fields), to};
}

std::vector<PointThrottle::Out> PointThrottle::change(WallTime at, const std::string& point,
                                                      std::string_view to,
                                                      const json& pointRecord) {
  Flap& f = points_[point];
  std::vector<Out> out;
  if (f.flapping) {
    accrue(f, at);
    if (to == "down" && f.state != "down") ++f.outages;
    f.state = std::string(to);
    ++f.changes;
    return out;
  }
  f.recent.push_back(at);
  std::erase_if(f.recent, [&](WallTime t) { return at - t > settings_.window; });
  f.state = std::string(to);
  f.stateSince = at;
  if (static_cast<int>(f.recent.size()) <= settings_.maxChanges) {
    out.push_back(Out{"point", pointRecord, at});
    return out;
  }
  // Too many changes: this one is the last written alone; the next are summed.
  out.push_back(Out{"point", pointRecord, at});
  f.flapping = true;
  f.recent.clear();
  f.windowStart = at;
  f.up = f.degraded = f.down = Millis{0};
  f.outages = 0;
  f.changes = 0;
  out.push_back(Out{"point-flapping", json{{"point", point}, {"state", f.state}}, at});
  return out;
}

std::vector<PointThrottle::Out> PointThrottle::tick(WallTime now) {
  std::vector<Out> out;
  for (auto& [id, f] : points_) {
    if (!f.flapping || now - f.windowStart < settings_.window) continue;
    const bool still = f.changes > 2;
    const WallTime to = f.windowStart + settings_.window;
    out.push_back(summary(id, f, to, still));
    if (!still) f.flapping = false;
  }
  return out;
}

bool PointThrottle::flapping(const std::string& point) const {
  auto it = points_.find(point);
  return it != points_.end() && it->second.flapping;
}

}  // namespace ceremony::report
