// --rehearsal: the run-of-show moved to now and compressed; media keeps real time.

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "TimelineTestItems.h"
#include "core/Clock.h"
#include "timeline/Rehearsal.h"
#include "timeline/Timeline.h"

namespace ceremony {
namespace {

using namespace timeline_test;

const WallTime kNow = std::chrono::time_point_cast<Millis>(
    std::chrono::sys_days{std::chrono::year{2025} / std::chrono::July / 27} + 9h);

TEST(TimelineRehearsal, MovesTheFirstItemToNowAndCompressesEverything) {
  const auto items = rehearse(quangNgai(), kNow, 60);
  ASSERT_EQ(items.size(), 9u);
  EXPECT_EQ(items[0].start, kNow);
  EXPECT_EQ(items[0].end, kNow + 30s);  // 13:30–14:00 becomes half a minute
  EXPECT_EQ(items[1].start, kNow + 30s);
  EXPECT_EQ(items[7].start, kNow + 80s);  // the ritual's shown time 14:50
  EXPECT_EQ(items[7].duration, Millis{10s});
  EXPECT_EQ(items[8].end, kNow + 150s);
  // The plan keeps its shape: the overlap is still resolved the same way.
  Timeline t(items, kNow);
  EXPECT_EQ(t.item(2, kNow).plannedStart, kNow + 35s);
  EXPECT_EQ(t.planNotes().size(), 1u);
}

TEST(TimelineRehearsal, ScalesDurationsAndOffsetsOfFollowItems) {
  const auto items = rehearse({hard("a", vn(8, 0), vn(8, 10)), follow("b", 5min, 30s)}, kNow, 10);
  EXPECT_EQ(items[0].end, kNow + 60s);
  EXPECT_EQ(items[1].duration, Millis{30s});
  EXPECT_EQ(items[1].startAfterPrevious, Millis{3s});
}

TEST(TimelineRehearsal, SpeedOneOnlyMovesTheDay) {
  Rehearsal r(quangNgai(), kNow, 1);
  EXPECT_EQ(r.anchor(), vn(13, 30));
  EXPECT_EQ(r.map(vn(16, 0)), kNow + 150min);
  EXPECT_EQ(r.scale(10min), Millis{10min});
}

TEST(TimelineRehearsal, MapsASlateCountdownTarget) {
  Rehearsal r(quangNgai(), kNow, 30);
  EXPECT_EQ(r.map(vn(14, 0)), kNow + 60s);
}

TEST(TimelineRehearsal, RefusesASpeedBelowOne) {
  EXPECT_THROW(rehearse(quangNgai(), kNow, 0.5), std::invalid_argument);
  EXPECT_THROW(rehearse(quangNgai(), kNow, 0), std::invalid_argument);
  EXPECT_THROW(rehearse(quangNgai(), kNow, std::nan("")), std::invalid_argument);
}

TEST(TimelineRehearsal, FirstItemWithoutATimeStartsNow) {
  const auto items = rehearse({follow("a", 10min), hard("b", vn(8, 0), vn(8, 30))}, kNow, 10);
  EXPECT_FALSE(items[0].start);
  EXPECT_EQ(items[0].duration, Millis{60s});
  EXPECT_EQ(items[1].start, kNow) << "the earliest written start is the anchor";
}

// A 10-minute clip slot at 20x lasts 30 s; the clip itself plays in real time.
TEST(TimelineRehearsal, ShortClipEndsTheCompressedSlotEarly) {
  const auto items =
      rehearse({hard("clip", vn(14, 10), vn(14, 20)), follow("speech", 10min)}, kNow, 20);
  ManualClock clock(kNow);
  Timeline t(items, clock.now());
  t.tick(clock.now());
  ASSERT_EQ(t.current(), 0u);
  clock.advance(12s);  // a 12-second test clip ends
  ASSERT_TRUE(t.clipEnded("clip", clock.now()).ok());
  EXPECT_EQ(t.current(), 1u);
  EXPECT_EQ(t.items(clock.now())[1].actualStart, kNow + 12s);
}

TEST(TimelineRehearsal, LongClipIsCutAtTheCompressedEnd) {
  const auto items =
      rehearse({hard("clip", vn(14, 10), vn(14, 20)), follow("speech", 10min)}, kNow, 20);
  ManualClock clock(kNow);
  Timeline t(items, clock.now());
  t.tick(clock.now());
  clock.advance(30s);
  t.tick(clock.now());
  EXPECT_EQ(t.current(), 1u) << "the slot ended before the clip did";
  EXPECT_EQ(t.clipEnded("clip", clock.now() + 2min).error, CommandError::NotNow);
  EXPECT_EQ(t.current(), 1u);
}

}  // namespace
}  // namespace ceremony
