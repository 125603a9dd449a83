#include "health/HealthEvents.h"

#include "core/WriteAll.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace ceremony::health {

namespace {

std::string_view kindName(EventKind k) {
  switch (k) {
    case EventKind::PointChanged:
      return "point";
    case EventKind::UplinkRaised:
      return "uplink_raised";
    case EventKind::UplinkCleared:
      return "uplink_cleared";
  }
  return "point";
}

std::optional<EventKind> kindFromName(std::string_view s) {
  for (auto k : {EventKind::PointChanged, EventKind::UplinkRaised, EventKind::UplinkCleared})
    if (kindName(k) == s) return k;
  return std::nullopt;
}

// Reads exactly `n` digits at text[pos].
std::optional<int> digits(std::string_view text, std::size_t& pos, int n) {
  if (pos + n > text.size()) return std::nullopt;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string formatTime(WallTime t, int utcOffsetMinutes) {
  using namespace std::chrono;
  const auto local = t + minutes(utcOffsetMinutes);
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss hms{local - day};
  const int off = utcOffsetMinutes < 0 ? -utcOffsetMinutes : utcOffsetMinutes;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03d%c%02d:%02d", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                int(hms.subseconds().count()), utcOffsetMinutes < 0 ? '-' : '+', off / 60,
                off % 60);
  return buf;
}

std::optional<WallTime> parseTime(std::string_view s) {
  using namespace std::chrono;
  std::size_t p = 0;
  auto y = digits(s, p, 4);
  if (!y || !expect(s, p, '-')) return std::nullopt;
  auto mo = digits(s, p, 2);
  if (!mo || !expect(s, p, '-')) return std::nullopt;
  auto d = digits(s, p, 2);
  if (!d || !expect(s, p, 'T')) return std::nullopt;
  auto h = digits(s, p, 2);
  if (!h || !expect(s, p, ':')) return std::nullopt;
  auto mi = digits(s, p, 2);
  if (!mi || !expect(s, p, ':')) return std::nullopt;
  auto se = digits(s, p, 2);
  if (!se) return std::nullopt;
  int ms = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    auto f = digits(s, p, 3);
    if (!f) return std::nullopt;
    ms = *f;
  }
  int offset = 0;
  if (expect(s, p, 'Z')) {
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    const int sign = s[p++] == '-' ? -1 : 1;
    auto oh = digits(s, p, 2);
    if (!oh || !expect(s, p, ':')) return std::nullopt;
    auto om = digits(s, p, 2);
    if (!om) return std::nullopt;
    offset = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const year_month_day ymd{year(*y), month(unsigned(*mo)), day(unsigned(*d))};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  const auto local = sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*se) + milliseconds(ms);
  return time_point_cast<milliseconds>(local - minutes(offset));
}

nlohmann::json toJson(const HealthEvent& e, int utcOffsetMinutes) {
  nlohmann::json j;
  j["type"] = kindName(e.kind);
  j["time"] = formatTime(e.at, utcOffsetMinutes);
  j["t"] = e.at.time_since_epoch().count();
  if (e.kind == EventKind::PointChanged) {
    j["point"] = e.pointId;
    j["from"] = statusName(e.from);
    j["to"] = statusName(e.to);
  } else {
    j["points"] = e.points;
    if (!e.group.empty()) j["group"] = e.group;
  }
  j["reason"] = e.reason;
  j["alert"] = e.alert;
  if (e.suppressed) j["suppressed"] = true;
  return j;
}

std::optional<HealthEvent> eventFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  HealthEvent e;
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto type = str("type");
  auto kind = type ? kindFromName(*type) : std::nullopt;
  if (!kind) return std::nullopt;
  e.kind = *kind;
  if (auto t = j.find("t"); t != j.end() && t->is_number_integer()) {
    e.at = WallTime(Millis(t->get<std::int64_t>()));
  } else if (auto text = str("time"); text && parseTime(*text)) {
    e.at = *parseTime(*text);
  } else {
    return std::nullopt;
  }
  if (e.kind == EventKind::PointChanged) {
    auto point = str("point");
    auto from = str("from");
    auto to = str("to");
    if (!point || !from || !to) return std::nullopt;
    auto f = statusFromName(*from);
    auto t = statusFromName(*to);
    if (!f || !t) return std::nullopt;
    e.pointId = *point;
    e.from = *f;
    e.to = *t;
  } else if (auto ps = j.find("points"); ps != j.end() && ps->is_array()) {
    for (const auto& p : *ps)
      if (p.is_string()) e.points.push_back(p.get<std::string>());
    e.group = str("group").value_or("");
  }
  e.reason = str("reason").value_or("");
  if (auto a = j.find("alert"); a != j.end() && a->is_boolean()) e.alert = a->get<bool>();
  if (auto s = j.find("suppressed"); s != j.end() && s->is_boolean()) e.suppressed = s->get<bool>();
  return e;
}

void PointHistory::add(HealthEvent e) {
  events_.push_back(std::move(e));
  while (events_.size() > capacity_) events_.pop_front();
}

// ---------------------------------------------------------------------------------------

EventLog::EventLog(std::filesystem::path path, int utcOffsetMinutes, std::uintmax_t maxBytes)
    : path_(std::move(path)),
      offset_(utcOffsetMinutes),
      maxBytes_(std::max<std::uintmax_t>(maxBytes, 1)) {}

EventLog::~EventLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool EventLog::open() {
  if (fd_ >= 0) return true;
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    lastError_ = path_.string() + ": " + std::strerror(errno);
    return false;
  }
  // A crash mid-line left a torn last line: start ours on a fresh one.
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  size_ = size > 0 ? static_cast<std::uintmax_t>(size) : 0;
  if (size > 0) {
    int rd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (rd >= 0) {
      if (::pread(rd, &last, 1, size - 1) != 1) last = '\n';
      ::close(rd);
    }
    if (last != '\n') {
      if (::write(fd_, "\n", 1) != 1) {
        lastError_ = path_.string() + ": " + std::strerror(errno);
        return false;
      }
      ++size_;
    }
  }
  return true;
}

void EventLog::rotate() {
  ::close(fd_);
  fd_ = -1;
  std::filesystem::path old = path_;
  old += ".1";
  std::error_code ec;
  std::filesystem::rename(path_, old, ec);  // replaces the one before
  if (ec) lastError_ = path_.string() + ": " + ec.message();
  ++rotations_;
}

bool EventLog::append(const HealthEvent& e) {
  // No fsync: events come in bursts (an uplink drop is 60 at once) on the event loop;
  // write() reaches the kernel, which survives a daemon crash.
  const std::string line =
      toJson(e, offset_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!open()) return false;
  // The file would pass its size: set it aside and start a new one with this event.
  if (size_ > 0 && size_ + line.size() > maxBytes_) {
    rotate();
    if (!open()) return false;
  }
  if (!writeAll(fd_, line)) {
    lastError_ = path_.string() + ": " + std::strerror(errno);
    return false;
  }
  size_ += line.size();
  return true;
}

namespace {

// The last `max` good events of one file, oldest first, reading backwards from the end in
// growing windows so that a large old file costs what its end costs.
std::deque<HealthEvent> tailOf(const std::filesystem::path& path, std::size_t max,
                               std::size_t& skipped) {
  std::deque<HealthEvent> out;
  std::ifstream in(path, std::ios::binary);
  if (!in || max == 0) return out;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  std::streamoff window = static_cast<std::streamoff>(std::min<std::size_t>(max, 1u << 20)) * 512;
  for (;;) {
    const std::streamoff from = window >= size ? 0 : size - window;
    std::string chunk(static_cast<std::size_t>(size - from), '\0');
    in.clear();
    in.seekg(from);
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    std::size_t pos = 0;
    if (from > 0) {  // the first line is cut by the window: it belongs to the next round
      const auto nl = chunk.find('\n');
      pos = nl == std::string::npos ? chunk.size() : nl + 1;
    }
    out.clear();
    std::size_t bad = 0;
    while (pos < chunk.size()) {
      auto nl = chunk.find('\n', pos);
      if (nl == std::string::npos) nl = chunk.size();
      const std::string_view line(chunk.data() + pos, nl - pos);
      pos = nl + 1;
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      auto e = eventFromJson(j);
      if (!e) {
        ++bad;
        continue;
      }
      out.push_back(std::move(*e));
      if (out.size() > max) out.pop_front();
    }
    if (out.size() >= max || from == 0) {
      skipped += bad;
      return out;
    }
    window *= 4;
  }
}

}  // namespace

std::vector<HealthEvent> EventLog::readRecent(std::size_t max) const {
  skipped_ = 0;
  std::deque<HealthEvent> out = tailOf(path_, max, skipped_);
  if (out.size() < max) {
    std::filesystem::path old = path_;
    old += ".1";
    std::deque<HealthEvent> before = tailOf(old, max - out.size(), skipped_);
    out.insert(out.begin(), std::make_move_iterator(before.begin()),
               std::make_move_iterator(before.end()));
  }
  return {out.begin(), out.end()};
}

}  // namespace ceremony::health
