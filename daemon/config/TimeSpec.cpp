#include "config/TimeSpec.h"

#include <charconv>
#include <cstdint>
#include <cstdio>

namespace ceremony {

namespace {

constexpr std::int64_t kMaxDurationMs = 7LL * 24 * 3600 * 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// A run of 1..maxDigits decimal digits, consumed from the front of s.
std::optional<int> takeNumber(std::string_view& s, std::size_t minDigits, std::size_t maxDigits) {
  std::size_t n = 0;
  while (n < s.size() && isDigit(s[n])) ++n;
  if (n < minDigits || n > maxDigits) return std::nullopt;
  int v = 0;
  std::from_chars(s.data(), s.data() + n, v);
  s.remove_prefix(n);
  return v;
}

}  // namespace

std::optional<Millis> parseClockTime(std::string_view text) {
  std::string_view s = trim(text);
  auto hours = takeNumber(s, 1, 2);
  if (!hours || *hours > 23 || s.empty()) return std::nullopt;
  int minutes = 0;
  int seconds = 0;
  if (s.front() == ':') {
    s.remove_prefix(1);
    auto m = takeNumber(s, 2, 2);
    if (!m || *m > 59) return std::nullopt;
    minutes = *m;
    if (!s.empty()) {
      if (s.front() != ':') return std::nullopt;
      s.remove_prefix(1);
      auto sec = takeNumber(s, 2, 2);
      if (!sec || *sec > 59) return std::nullopt;
      seconds = *sec;
    }
  } else if (s.front() == 'h' || s.front() == 'H') {
    // "14h00", "8h30", "14h": how Vietnamese programmes print the hour.
    s.remove_prefix(1);
    if (!s.empty()) {
      auto m = takeNumber(s, 2, 2);
      if (!m || *m > 59) return std::nullopt;
      minutes = *m;
    }
  } else {
    return std::nullopt;
  }
  if (!s.empty()) return std::nullopt;
  return Millis{((*hours * 60LL + minutes) * 60 + seconds) * 1000};
}

std::optional<Millis> parseDuration(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;

  if (s.find(':') != std::string_view::npos) {
    // H:MM:SS only; "05:00" could mean five minutes or five hours, so it is refused.
    auto h = takeNumber(s, 1, 3);
    if (!h || s.empty() || s.front() != ':') return std::nullopt;
    s.remove_prefix(1);
    auto m = takeNumber(s, 2, 2);
    if (!m || *m > 59 || s.empty() || s.front() != ':') return std::nullopt;
    s.remove_prefix(1);
    auto sec = takeNumber(s, 2, 2);
    if (!sec || *sec > 59 || !s.empty()) return std::nullopt;
    std::int64_t ms = ((*h * 60LL + *m) * 60 + *sec) * 1000;
    if (ms > kMaxDurationMs) return std::nullopt;
    return Millis{ms};
  }

  std::int64_t total = 0;
  int lastRank = 100;  // units must come largest first: h, m, s, ms
  bool any = false;
  while (!s.empty()) {
    auto whole = takeNumber(s, 1, 9);
    if (!whole) return std::nullopt;
    std::int64_t fracNum = 0;
    std::int64_t fracDen = 1;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      std::size_t n = 0;
      while (n < s.size() && isDigit(s[n])) {
        if (n < 6) {
          fracNum = fracNum * 10 + (s[n] - '0');
          fracDen *= 10;
        }
        ++n;
      }
      if (n == 0) return std::nullopt;
      s.remove_prefix(n);
    }
    std::int64_t unitMs = 0;
    int rank = 0;
    if (s.empty()) {
      // A bare number is seconds ("90"), but only on its own.
      if (any) return std::nullopt;
      unitMs = 1000;
      rank = 1;
    } else if (s.substr(0, 2) == "ms") {
      unitMs = 1;
      rank = 0;
      s.remove_prefix(2);
    } else if (s.front() == 'h') {
      unitMs = 3600 * 1000;
      rank = 3;
      s.remove_prefix(1);
    } else if (s.front() == 'm') {
      unitMs = 60 * 1000;
      rank = 2;
      s.remove_prefix(1);
    } else if (s.front() == 's') {
      unitMs = 1000;
      rank = 1;
      s.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    if (rank >= lastRank) return std::nullopt;
    lastRank = rank;
    any = true;
    total += *whole * unitMs + fracNum * unitMs / fracDen;
    if (total > kMaxDurationMs) return std::nullopt;
  }
  return Millis{total};
}

std::optional<Date> parseDate(std::string_view text) {
  std::string_view s = trim(text);
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  std::string_view ys = s.substr(0, 4), ms = s.substr(5, 2), ds = s.substr(8, 2);
  auto y = takeNumber(ys, 4, 4);
  auto m = takeNumber(ms, 2, 2);
  auto d = takeNumber(ds, 2, 2);
  if (!y || !m || !d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{*y},
                                  std::chrono::month{static_cast<unsigned>(*m)},
                                  std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{ymd};
}

std::optional<int> parseUtcOffset(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "Asia/Ho_Chi_Minh" || s == "Asia/Saigon") return 7 * 60;
  if (s == "Z" || s == "UTC" || s == "GMT") return 0;
  if (s.substr(0, 3) == "UTC" || s.substr(0, 3) == "GMT") s.remove_prefix(3);
  if (s.empty() || (s.front() != '+' && s.front() != '-')) return std::nullopt;
  int sign = s.front() == '-' ? -1 : 1;
  s.remove_prefix(1);
  std::size_t digits = 0;
  while (digits < s.size() && isDigit(s[digits])) ++digits;
  int hours = 0;
  int minutes = 0;
  if (digits == 4 && s.size() == 4) {  // "+0700"
    auto h = takeNumber(s, 4, 4);
    hours = *h / 100;
    minutes = *h % 100;
  } else {
    auto h = takeNumber(s, 1, 2);
    if (!h) return std::nullopt;
    hours = *h;
    if (!s.empty()) {
      if (s.front() != ':') return std::nullopt;
      s.remove_prefix(1);
      auto m = takeNumber(s, 2, 2);
      if (!m || !s.empty()) return std::nullopt;
      minutes = *m;
    }
  }
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return std::nullopt;
  return sign * (hours * 60 + minutes);
}

WallTime wallTimeOn(Date date, Millis sinceMidnight, int utcOffsetMinutes) {
  return WallTime{std::chrono::duration_cast<Millis>(date.time_since_epoch())} + sinceMidnight -
         std::chrono::minutes{utcOffsetMinutes};
}

std::string formatClock(Millis sinceMidnight) {
  std::int64_t total = sinceMidnight.count() / 1000;
  total %= 24 * 3600;
  if (total < 0) total += 24 * 3600;
  int h = static_cast<int>(total / 3600);
  int m = static_cast<int>(total / 60 % 60);
  int s = static_cast<int>(total % 60);
  char buf[16];
  if (s != 0)
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, m, s);
  else
    std::snprintf(buf, sizeof buf, "%02d:%02d", h, m);
  return buf;
}

std::string formatClock(WallTime t, int utcOffsetMinutes) {
  auto local = t.time_since_epoch() + std::chrono::minutes{utcOffsetMinutes};
  auto day = std::chrono::floor<std::chrono::days>(local);
  return formatClock(std::chrono::duration_cast<Millis>(local - day));
}

std::string formatDuration(Millis d) {
  std::int64_t ms = d.count();
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  std::int64_t h = ms / 3600000;
  std::int64_t m = ms / 60000 % 60;
  std::int64_t s = ms / 1000 % 60;
  std::int64_t rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s || rest || (!h && !m)) {
    out += std::to_string(s);
    if (rest) {
      char frac[8];
      std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(rest));
      std::string f = frac;
      while (f.back() == '0') f.pop_back();
      out += f;
    }
    out += "s";
  }
  return out;
}

}  // namespace ceremony
