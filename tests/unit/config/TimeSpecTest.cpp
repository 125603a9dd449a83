#include <gtest/gtest.h>

#include "config/TimeSpec.h"

namespace ceremony {
namespace {

using namespace std::chrono;

Millis hm(int h, int m, int s = 0) {
  return duration_cast<Millis>(hours{h} + minutes{m} + seconds{s});
}

TEST(TimeSpec, ClockTimesAsProgrammesWriteThem) {
  EXPECT_EQ(parseClockTime("14:00"), hm(14, 0));
  EXPECT_EQ(parseClockTime("14:00:30"), hm(14, 0, 30));
  EXPECT_EQ(parseClockTime("8:30"), hm(8, 30));
  EXPECT_EQ(parseClockTime("8h30"), hm(8, 30));
  EXPECT_EQ(parseClockTime("14h"), hm(14, 0));
  EXPECT_EQ(parseClockTime("00:00"), hm(0, 0));
  EXPECT_EQ(parseClockTime("23:59:59"), hm(23, 59, 59));
}

TEST(TimeSpec, ClockTimesThatAreNotTimesAreRefused) {
  for (const char* bad : {"25:00", "24:00", "14:60", "14:00:60", "14", "14:0", "1400", "abc", "",
                          "14:00:", "-1:00", "14:00 PM", "14h5", "+14:00"})
    EXPECT_FALSE(parseClockTime(bad)) << bad;
}

TEST(TimeSpec, Durations) {
  EXPECT_EQ(parseDuration("5m"), Millis{300'000});
  EXPECT_EQ(parseDuration("90s"), Millis{90'000});
  EXPECT_EQ(parseDuration("1h30m"), Millis{5'400'000});
  EXPECT_EQ(parseDuration("1h30m15s"), Millis{5'415'000});
  EXPECT_EQ(parseDuration("00:05:00"), Millis{300'000});
  EXPECT_EQ(parseDuration("1:30:00"), Millis{5'400'000});
  EXPECT_EQ(parseDuration("2.5s"), Millis{2'500});
  EXPECT_EQ(parseDuration("500ms"), Millis{500});
  EXPECT_EQ(parseDuration("90"), Millis{90'000});
  EXPECT_EQ(parseDuration("0s"), Millis{0});
}

TEST(TimeSpec, AmbiguousOrBrokenDurationsAreRefused) {
  // "05:00" could be five minutes or five hours: refused rather than guessed.
  for (const char* bad :
       {"05:00", "5x", "m5", "1m1h", "5m5m", "-5m", "", "8d", "1.s", "200h", "5 m", "1m30"})
    EXPECT_FALSE(parseDuration(bad)) << bad;
}

TEST(TimeSpec, Dates) {
  EXPECT_EQ(parseDate("2025-07-28"), Date{2025y / July / 28});
  EXPECT_FALSE(parseDate("2025-02-30"));
  EXPECT_FALSE(parseDate("2025-7-28"));
  EXPECT_FALSE(parseDate("28/7/2025"));
  EXPECT_FALSE(parseDate("2025-13-01"));
}

TEST(TimeSpec, UtcOffsets) {
  EXPECT_EQ(parseUtcOffset("+07:00"), 420);
  EXPECT_EQ(parseUtcOffset("+0700"), 420);
  EXPECT_EQ(parseUtcOffset("+7"), 420);
  EXPECT_EQ(parseUtcOffset("UTC+7"), 420);
  EXPECT_EQ(parseUtcOffset("Asia/Ho_Chi_Minh"), 420);
  EXPECT_EQ(parseUtcOffset("-03:30"), -210);
  EXPECT_EQ(parseUtcOffset("Z"), 0);
  for (const char* bad : {"07:00", "+15:00", "+07:60", "Mars/Olympus", "", "+", "+07:0"})
    EXPECT_FALSE(parseUtcOffset(bad)) << bad;
}

TEST(TimeSpec, TwoPmInVietnamIsSevenUtc) {
  WallTime t = wallTimeOn(Date{2025y / July / 28}, hm(14, 0), 420);
  // 2025-07-28T07:00:00Z
  EXPECT_EQ(duration_cast<seconds>(t.time_since_epoch()).count(), 1753686000);
  EXPECT_EQ(formatClock(t, 420), "14:00");
  EXPECT_EQ(formatClock(t, 0), "07:00");
  EXPECT_EQ(formatClock(t + Millis{30'000}, 420), "14:00:30");
}

TEST(TimeSpec, EarlyMorningCrossesToThePreviousUtcDay) {
  WallTime t = wallTimeOn(Date{2025y / September / 30}, hm(5, 0), 420);
  EXPECT_EQ(floor<days>(t), sys_days{2025y / September / 29});
  EXPECT_EQ(formatClock(t, 420), "05:00");
}

TEST(TimeSpec, DurationsFormatBackToWhatTheyParse) {
  EXPECT_EQ(formatDuration(Millis{300'000}), "5m");
  EXPECT_EQ(formatDuration(Millis{5'400'000}), "1h30m");
  EXPECT_EQ(formatDuration(Millis{90'000}), "1m30s");
  EXPECT_EQ(formatDuration(Millis{2'500}), "2.5s");
  EXPECT_EQ(formatDuration(Millis{0}), "0s");
  for (const char* text : {"5m", "1h30m", "1m30s", "2.5s", "8h"})
    EXPECT_EQ(formatDuration(*parseDuration(text)), text);
}

}  // namespace
}  // namespace ceremony
