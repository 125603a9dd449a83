// Event records: Vietnam-time stamps, the JSON-lines log surviving restarts and crashes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "HealthTestSupport.h"
#include "health/HealthEvents.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;

class EventLogTest : public ::testing::Test {
 protected:
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ceremonyd-events-" + std::to_string(::getpid()));
  std::filesystem::path path = dir / "health-events.jsonl";
  void SetUp() override { std::filesystem::remove_all(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }

  static HealthEvent change(int i) {
    HealthEvent e;
    e.at = test::ceremonyStart() + std::chrono::seconds(i);
    e.pointId = "nghia-hanh";
    e.from = PointStatus::Up;
    e.to = PointStatus::Down;
    e.reason = "lần " + std::to_string(i) + ": connect timeout after 2000 ms";
    return e;
  }
};

TEST(HealthTime, FormatsInVietnamTime) {
  EXPECT_EQ(formatTime(test::ceremonyStart()), "2025-07-28T14:00:00.000+07:00");
  EXPECT_EQ(formatTime(test::ceremonyStart() + 10h + 30min + 1234ms),
            "2025-07-29T00:30:01.234+07:00")
      << "17:30 UTC is already the next day in Vietnam";
  EXPECT_EQ(formatTime(test::ceremonyStart(), 0), "2025-07-28T07:00:00.000+00:00");
}

TEST(HealthTime, ParsesWhatItFormatsAndOtherOffsets) {
  const WallTime t = test::ceremonyStart() + 1234ms;
  EXPECT_EQ(parseTime(formatTime(t)), t);
  EXPECT_EQ(parseTime("2025-07-28T07:00:01.234Z"), t);
  EXPECT_EQ(parseTime("2025-07-28T14:00:01+07:00"), t - 234ms);
  EXPECT_FALSE(parseTime("2025-02-30T14:00:00+07:00"));
  EXPECT_FALSE(parseTime("28/07/2025 14:00"));
  EXPECT_FALSE(parseTime("2025-07-28T14:00:00"));
}

TEST_F(EventLogTest, EventsSurviveANewLogObject) {
  {
    EventLog log(path);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.append(change(i))) << log.lastError();
    HealthEvent uplink;
    uplink.kind = EventKind::UplinkRaised;
    uplink.at = test::ceremonyStart() + 5s;
    uplink.points = {"a", "b"};
    uplink.reason = "Mất kết nối đường truyền tỉnh / uplink";
    ASSERT_TRUE(log.append(uplink));
  }
  EventLog reopened(path);
  auto events = reopened.readRecent(100);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].pointId, "nghia-hanh");
  EXPECT_EQ(events[0].from, PointStatus::Up);
  EXPECT_EQ(events[0].to, PointStatus::Down);
  EXPECT_EQ(events[2].reason, "lần 2: connect timeout after 2000 ms");
  EXPECT_EQ(events[2].at, test::ceremonyStart() + 2s);
  EXPECT_EQ(events[3].kind, EventKind::UplinkRaised);
  EXPECT_EQ(events[3].points, (std::vector<std::string>{"a", "b"}));
  // New events go after the old ones.
  ASSERT_TRUE(reopened.append(change(9)));
  EXPECT_EQ(reopened.readRecent(100).size(), 5u);
}

TEST_F(EventLogTest, OneLinePerEventInVietnamTime) {
  {
    EventLog log(path);
    log.append(change(0));
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2025-07-28T14:00:00.000+07:00");
  EXPECT_EQ(j["point"], "nghia-hanh");
  EXPECT_EQ(j["from"], "up");
  EXPECT_EQ(j["to"], "down");
  EXPECT_FALSE(std::getline(in, line));
}

TEST_F(EventLogTest, ReadsOnlyTheMostRecent) {
  EventLog log(path);
  for (int i = 0; i < 10; ++i) log.append(change(i));
  auto events = log.readRecent(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].at, test::ceremonyStart() + 7s);
  EXPECT_EQ(events[2].at, test::ceremonyStart() + 9s);
}

TEST_F(EventLogTest, TornLastLineFromACrashIsSkippedAndNextEventStartsClean) {
  {
    EventLog log(path);
    log.append(change(0));
  }
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"type":"point","time":"2025-07-28T14:00)";  // the crash
  }
  EventLog log(path);
  ASSERT_TRUE(log.append(change(1)));
  auto events = log.readRecent(100);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(log.skippedLines(), 1u);
  EXPECT_EQ(events[1].at, test::ceremonyStart() + 1s);
}

// Before: the file grew for ever (a 10-hour ceremony of flapping points) and was read whole
// at every start.
TEST_F(EventLogTest, PastItsSizeTheLogIsSetAsideOnceAndTheDiskHoldsAboutTwiceThat) {
  constexpr std::uintmax_t kMax = 8192;
  std::filesystem::path old = path;
  old += ".1";
  EventLog log(path, 7 * 60, kMax);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(log.append(change(i))) << log.lastError();
  EXPECT_GT(log.rotations(), 10u);
  ASSERT_TRUE(std::filesystem::exists(old));
  EXPECT_LE(std::filesystem::file_size(path), kMax);
  EXPECT_LE(std::filesystem::file_size(old), kMax);
  // The newest events come back in order across both files, the oldest are gone.
  std::size_t inCurrent = 0;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) ++inCurrent;
  }
  EventLog reopened(path, 7 * 60, kMax);
  auto events = reopened.readRecent(inCurrent + 5);
  ASSERT_EQ(events.size(), inCurrent + 5);
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].at, test::ceremonyStart() + std::chrono::seconds(1000 - events.size() + i));
  const auto all = reopened.readRecent(100000);
  EXPECT_LT(all.size(), 200u);
  EXPECT_EQ(all.back().at, test::ceremonyStart() + 999s);
}

TEST_F(EventLogTest, AtStartOnlyTheEndOfALargeOldLogIsRead) {
  std::filesystem::create_directories(dir);
  {
    // A log written before logs were bounded: 40 MB of old lines, then the last events.
    std::ofstream out(path, std::ios::binary);
    const std::string junk(400, 'x');
    for (int i = 0; i < 100000; ++i) out << junk << "\n";
  }
  {
    EventLog log(path);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(log.append(change(i)));
  }
  EventLog log(path);
  const auto events = log.readRecent(10);
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events.back().at, test::ceremonyStart() + 19s);
  EXPECT_LT(log.skippedLines(), 100u) << "the whole file was read";
  // Asked for more than the end holds, it reads on back, and finds every event.
  EXPECT_EQ(log.readRecent(1000).size(), 20u);
  EXPECT_EQ(log.skippedLines(), 100000u);
  // The next event sets the oversized file aside.
  EventLog bounded(path);
  ASSERT_TRUE(bounded.append(change(20)));
  EXPECT_EQ(bounded.rotations(), 0u);
  EventLog small(path, 7 * 60, 1 << 20);
  ASSERT_TRUE(small.append(change(21)));
  EXPECT_EQ(small.rotations(), 1u);
  EXPECT_LT(std::filesystem::file_size(path), 1u << 20);
}

TEST_F(EventLogTest, UnwritablePathIsReportedNotFatal) {
  EventLog log("/proc/ceremonyd-cannot-write-here/events.jsonl");
  EXPECT_FALSE(log.append(change(0)));
  EXPECT_NE(log.lastError(), "");
  EXPECT_TRUE(log.readRecent(10).empty());
}

TEST(PointHistory, KeepsTheLastFew) {
  PointHistory h(3);
  for (int i = 0; i < 5; ++i) {
    HealthEvent e;
    e.reason = std::to_string(i);
    h.add(e);
  }
  ASSERT_EQ(h.events().size(), 3u);
  EXPECT_EQ(h.events().front().reason, "2");
  EXPECT_EQ(h.events().back().reason, "4");
}

}  // namespace
}  // namespace ceremony::health
