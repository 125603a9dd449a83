#pragma once
// The ways a run-of-show writes times: wall-clock times ("14:00", "8h30"), durations
// ("5m", "1h30m", "00:05:00"), the event date and its UTC offset. Pure functions so the
// parser, the scheduler and the API agree on one reading.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/WallTime.h"

namespace ceremony {

using Date = std::chrono::sys_days;

// "14:00", "14:00:30", and the forms Vietnamese programmes print: "14h00", "8h30", "14h".
// Returns the time since midnight (00:00–23:59:59).
std::optional<Millis> parseClockTime(std::string_view text);

// "90s", "5m", "1h30m", "1h30m15s", "2.5s", "500ms", "00:05:00" (H:MM:SS).
// Negative or longer than a week is rejected: no ceremony item lasts that long.
std::optional<Millis> parseDuration(std::string_view text);

// "2025-07-28" (a real calendar day).
std::optional<Date> parseDate(std::string_view text);

// "+07:00", "-03:30", "+0700", "+7", "Z", "UTC", and "Asia/Ho_Chi_Minh" (no daylight
// saving in Vietnam, so a fixed offset is exact). Minutes east of UTC.
std::optional<int> parseUtcOffset(std::string_view text);

// The instant at which the clock on the wall shows `sinceMidnight` on `date` in the zone.
WallTime wallTimeOn(Date date, Millis sinceMidnight, int utcOffsetMinutes);

// "14:05", or "14:05:30" when there are seconds, as read on the wall in the zone.
std::string formatClock(WallTime t, int utcOffsetMinutes);

// "14:05" / "14:05:30" for a time since midnight.
std::string formatClock(Millis sinceMidnight);

// "5m", "1h30m", "90s" -> "1m30s", "2.5s": the short form parseDuration reads back.
std::string formatDuration(Millis d);

}  // namespace ceremony
