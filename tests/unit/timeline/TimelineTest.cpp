// Timeline arithmetic with a hand-moved clock: every cue, slip and operator rule in
// daemon/timeline/README.md has a test here.

#include "timeline/Timeline.h"

#include <gtest/gtest.h>

#include "TimelineTestItems.h"
#include "core/Clock.h"

namespace ceremony {
namespace {

using namespace timeline_test;

// Moves the clock from deadline to deadline, as the runner does, until `until` or until
// nothing happens by itself any more. Bounded.
void runUntil(Timeline& t, ManualClock& clock, WallTime until) {
  for (int i = 0; i < 100; ++i) {
    const auto d = t.nextDeadline();
    if (!d || d->at > until) break;
    clock.set(std::max(d->at, clock.now()));
    t.tick(clock.now());
  }
  clock.set(std::max(until, clock.now()));
  t.tick(clock.now());
}

std::optional<std::size_t> indexOf(const Timeline& t, const std::string& id) {
  return t.find(id);
}

const TimelineEvent* lastEvent(const Timeline& t, Transition what, const std::string& id) {
  const auto& ev = t.events();
  for (auto it = ev.rbegin(); it != ev.rend(); ++it) {
    if (it->what == what && it->itemId == id) return &*it;
  }
  return nullptr;
}

TEST(Timeline, PlansTheSeedProgrammeAndResolvesTheOverlap) {
  Timeline t(quangNgai(), vn(13, 0));
  const auto items = t.items(vn(13, 0));
  ASSERT_EQ(items.size(), 9u);
  EXPECT_EQ(items[1].plannedStart, vn(14, 0));
  EXPECT_EQ(items[1].plannedEnd, vn(14, 5));
  // Item 3 is printed 14:00–14:10 but item 2 runs until 14:05.
  EXPECT_EQ(items[2].plannedStart, vn(14, 5));
  EXPECT_EQ(items[2].plannedEnd, vn(14, 10));
  EXPECT_EQ(items[7].cue, CueMode::Manual);
  EXPECT_EQ(items[7].plannedStart, vn(14, 50));
  EXPECT_EQ(items[8].plannedEnd, vn(16, 0));
  ASSERT_EQ(t.planNotes().size(), 1u);
  EXPECT_NE(t.planNotes()[0].find("3 «Mục chuong-trinh»"), std::string::npos);
  EXPECT_NE(t.planNotes()[0].find("14:05"), std::string::npos);
}

TEST(Timeline, BeforeTheFirstItemNothingIsOn) {
  ManualClock clock(vn(13, 20));
  Timeline t(quangNgai(), clock.now());
  t.tick(clock.now());
  const auto s = t.status(clock.now());
  EXPECT_EQ(s.phase, TimelinePhase::PreShow);
  EXPECT_FALSE(s.current);
  EXPECT_EQ(s.next, 0u);
  EXPECT_EQ(s.nextStart, vn(13, 30));
  EXPECT_EQ(s.countdown, Millis{10min});
  ASSERT_TRUE(t.nextDeadline());
  EXPECT_EQ(t.nextDeadline()->at, vn(13, 30));
  EXPECT_TRUE(t.nextDeadline()->startsItem);
  EXPECT_TRUE(t.events().empty());
}

TEST(Timeline, HardStartBeginsAtItsWallClockTime) {
  ManualClock clock(vn(13, 20));
  Timeline t(quangNgai(), clock.now());
  clock.set(vn(13, 29, 59));
  t.tick(clock.now());
  EXPECT_EQ(t.phase(), TimelinePhase::PreShow);
  clock.set(vn(13, 30));
  t.tick(clock.now());
  EXPECT_EQ(t.current(), 0u);
  const auto& ev = t.events().back();
  EXPECT_EQ(ev.what, Transition::Started);
  EXPECT_EQ(ev.cause, Cause::HardStart);
  EXPECT_EQ(ev.planned, vn(13, 30));
  EXPECT_EQ(ev.actual, vn(13, 30));
  EXPECT_EQ(ev.reason, "đúng giờ 13:30");
  EXPECT_EQ(t.status(clock.now()).remaining, Millis{30min});
}

TEST(Timeline, OverlappingHardStartWaitsForThePreviousItem) {
  ManualClock clock(vn(13, 20));
  Timeline t(quangNgai(), clock.now());
  runUntil(t, clock, vn(14, 4));
  EXPECT_EQ(t.current(), 1u);
  runUntil(t, clock, vn(14, 5));
  EXPECT_EQ(t.current(), 2u);
  const auto* started = lastEvent(t, Transition::Started, "chuong-trinh");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->actual, vn(14, 5));
  EXPECT_EQ(started->reason, "giờ 14:00, chờ mục trước kết thúc");
  EXPECT_EQ(t.item(2, clock.now()).projectedEnd, vn(14, 10));
}

TEST(Timeline, RunsTheWholeSeedWaitingOnlyForTheManualRitual) {
  ManualClock clock(vn(13, 0));
  Timeline t(quangNgai(), clock.now());
  runUntil(t, clock, vn(14, 50));
  // Item 7 ended at 14:50; the ritual is the operator's to take.
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting);
  auto s = t.status(clock.now());
  EXPECT_EQ(s.next, 7u);
  EXPECT_FALSE(s.nextStartsByItself);
  EXPECT_EQ(s.nextStart, vn(14, 50));
  EXPECT_FALSE(t.nextDeadline());
  runUntil(t, clock, vn(14, 52));
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting) << "a manual item never starts by itself";
  EXPECT_EQ(t.status(clock.now()).nextStart, vn(14, 52)) << "shown as: as soon as you press";

  ASSERT_TRUE(t.next(clock.now()).ok());
  EXPECT_EQ(t.current(), 7u);
  EXPECT_EQ(lastEvent(t, Transition::Started, "nghi-thuc")->cause, Cause::OperatorNext);
  // The ritual took 2 minutes longer; the training (at 15:00) slips to 15:02.
  EXPECT_EQ(t.item(8, clock.now()).projectedStart, vn(15, 2));
  EXPECT_EQ(t.item(8, clock.now()).slip, Millis{2min});
  runUntil(t, clock, vn(17, 0));
  EXPECT_EQ(t.phase(), TimelinePhase::Finished);
  const auto items = t.items(clock.now());
  EXPECT_EQ(items[8].actualStart, vn(15, 2));
  EXPECT_EQ(items[8].actualEnd, vn(16, 2)) << "an item keeps its length when it starts late";
  for (const auto& i : items) EXPECT_EQ(i.state, ItemState::Done) << i.id;
}

TEST(Timeline, FollowItemStartsWhenThePreviousEndsPlusItsOffset) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), follow("b", 5min), follow("c", 5min, 30s)},
             clock.now());
  EXPECT_EQ(t.item(2, clock.now()).plannedStart, vn(9, 15, 30));
  runUntil(t, clock, vn(9, 10));
  EXPECT_EQ(t.current(), 1u);
  EXPECT_EQ(lastEvent(t, Transition::Started, "b")->reason, "sau mục trước");
  runUntil(t, clock, vn(9, 15));
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting) << "30 s gap before c";
  ASSERT_TRUE(t.nextDeadline());
  EXPECT_EQ(t.nextDeadline()->at, vn(9, 15, 30));
  runUntil(t, clock, vn(9, 15, 30));
  EXPECT_EQ(t.current(), 2u);
  EXPECT_EQ(lastEvent(t, Transition::Started, "c")->reason, "sau mục trước 30 s");
}

TEST(Timeline, HardStartNeverMovesEarlierWhenThePreviousFinishesEarly) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), hard("b", vn(9, 10), vn(9, 20))}, clock.now());
  runUntil(t, clock, vn(9, 3));
  ASSERT_TRUE(t.clipEnded("a", clock.now()).ok());
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting);
  EXPECT_EQ(t.item(1, clock.now()).projectedStart, vn(9, 10));
  runUntil(t, clock, vn(9, 9, 59));
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting);
  runUntil(t, clock, vn(9, 10));
  EXPECT_EQ(t.current(), 1u);
  EXPECT_EQ(t.events().back().actual, vn(9, 10));
}

TEST(Timeline, HardStartSlipsLaterWhenTheCeremonyRunsLate) {
  ManualClock clock(vn(9, 0));
  Timeline t({manual("a", 10min, vn(9, 0)), hard("b", vn(9, 10), vn(9, 20)),
              hard("c", vn(9, 30), vn(9, 40))},
             clock.now());
  clock.set(vn(9, 2));
  ASSERT_TRUE(t.next(clock.now()).ok());  // the operator took a 2 minutes late
  auto items = t.items(clock.now());
  EXPECT_EQ(items[1].projectedStart, vn(9, 12));
  EXPECT_EQ(items[1].slip, Millis{2min});
  EXPECT_EQ(items[2].projectedStart, vn(9, 30)) << "the 10-minute gap absorbs the slip";
  runUntil(t, clock, vn(9, 12));
  EXPECT_EQ(t.current(), 1u);
  EXPECT_EQ(t.events().back().actual, vn(9, 12));
  EXPECT_EQ(t.item(1, clock.now()).projectedEnd, vn(9, 22));
}

TEST(Timeline, HoldKeepsTheItemOnAirAndSlipsEverythingAfter) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("speech", vn(9, 0), vn(9, 10)), follow("reply", 10min),
              hard("ritual", vn(9, 20), vn(9, 30))},
             clock.now());
  runUntil(t, clock, vn(9, 8));
  ASSERT_TRUE(t.hold(clock.now()).ok());
  EXPECT_EQ(t.phase(), TimelinePhase::Held);
  EXPECT_EQ(t.item(0, clock.now()).state, ItemState::Held);
  EXPECT_FALSE(t.nextDeadline()) << "a held item does not end by itself";
  // 5 minutes later, well past its planned end and the ritual's hard start.
  clock.set(vn(9, 25));
  t.tick(clock.now());
  EXPECT_EQ(t.current(), 0u);
  auto items = t.items(clock.now());
  EXPECT_EQ(items[0].projectedEnd, vn(9, 27)) << "10:00 + 17 min held so far";
  EXPECT_EQ(items[1].projectedStart, vn(9, 27));
  EXPECT_EQ(items[2].projectedStart, vn(9, 37));
  ASSERT_TRUE(t.resume(clock.now()).ok());
  EXPECT_EQ(t.events().back().reason, "tiếp tục sau khi giữ 17 phút 0 s");
  runUntil(t, clock, vn(9, 27));
  EXPECT_EQ(t.current(), 1u);
  EXPECT_EQ(t.items(clock.now())[0].actualEnd, vn(9, 27));
  runUntil(t, clock, vn(9, 37));
  EXPECT_EQ(t.current(), 2u);
}

TEST(Timeline, ExtendMovesTheEndAndLaterItemsSlip) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), follow("b", 5min), hard("c", vn(9, 20), vn(9, 30))},
             clock.now());
  runUntil(t, clock, vn(9, 5));
  ASSERT_TRUE(t.extend(3min, clock.now()).ok());
  auto items = t.items(clock.now());
  EXPECT_EQ(items[0].projectedEnd, vn(9, 13));
  EXPECT_EQ(items[1].projectedStart, vn(9, 13));
  EXPECT_EQ(items[2].projectedStart, vn(9, 20)) << "b now ends 9:18, c keeps its hard 9:20";
  EXPECT_EQ(t.events().back().what, Transition::Extended);
  EXPECT_EQ(t.events().back().planned, vn(9, 10));
  ASSERT_TRUE(t.extend(4min, clock.now()).ok());
  EXPECT_EQ(t.items(clock.now())[2].projectedStart, vn(9, 22));
  runUntil(t, clock, vn(9, 16, 59));
  EXPECT_EQ(t.current(), 0u);
  runUntil(t, clock, vn(9, 17));
  EXPECT_EQ(t.current(), 1u);
  runUntil(t, clock, vn(9, 22));
  EXPECT_EQ(t.current(), 2u);
  EXPECT_EQ(t.events().back().actual, vn(9, 22));
}

TEST(Timeline, NextEndsTheCurrentItemAndTakesTheNextNowEvenAHardOne) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), hard("b", vn(9, 30), vn(9, 40)), follow("c", 5min)},
             clock.now());
  runUntil(t, clock, vn(9, 4));
  ASSERT_TRUE(t.next(clock.now()).ok());
  EXPECT_EQ(t.current(), 1u);
  auto items = t.items(clock.now());
  EXPECT_EQ(items[0].actualEnd, vn(9, 4));
  EXPECT_EQ(items[1].actualStart, vn(9, 4));
  EXPECT_EQ(items[1].projectedEnd, vn(9, 14));
  EXPECT_EQ(items[2].projectedStart, vn(9, 14));
  const auto* ended = lastEvent(t, Transition::Ended, "a");
  EXPECT_EQ(ended->cause, Cause::OperatorNext);
  EXPECT_EQ(ended->planned, vn(9, 10));
}

TEST(Timeline, NextOnTheLastItemFinishesAndThenIsRefused) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0)), follow("b", std::nullopt)}, clock.now());
  runUntil(t, clock, vn(9, 1));
  ASSERT_TRUE(t.next(clock.now()).ok());
  EXPECT_EQ(t.current(), 1u);
  // The last open-ended item runs until an operator ends it.
  EXPECT_FALSE(t.nextDeadline());
  runUntil(t, clock, vn(14, 0));
  EXPECT_EQ(t.current(), 1u);
  ASSERT_TRUE(t.next(clock.now()).ok());
  EXPECT_EQ(t.phase(), TimelinePhase::Finished);
  const auto r = t.next(clock.now());
  EXPECT_EQ(r.error, CommandError::NotNow);
  EXPECT_NE(r.message.find("đã kết thúc"), std::string::npos);
}

TEST(Timeline, OpenEndedItemRunsUntilTheNextHardStart) {
  ManualClock clock(vn(13, 0));
  Timeline t({hard("welcome", vn(13, 30)), hard("intro", vn(14, 0), vn(14, 5))}, clock.now());
  EXPECT_EQ(t.item(0, clock.now()).plannedEnd, vn(14, 0));
  runUntil(t, clock, vn(13, 59));
  EXPECT_EQ(t.current(), 0u);
  runUntil(t, clock, vn(14, 0));
  EXPECT_EQ(t.current(), 1u);
}

TEST(Timeline, ManualItemWaitsAndIsShownAfterThePreviousPlannedEnd) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), manual("b", 5min), follow("c", 5min)}, clock.now());
  EXPECT_EQ(t.item(1, clock.now()).plannedStart, vn(9, 10));
  EXPECT_EQ(t.item(2, clock.now()).projectedStart, vn(9, 15));
  runUntil(t, clock, vn(9, 12));
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting);
  EXPECT_EQ(t.items(clock.now())[0].state, ItemState::Done);
  EXPECT_EQ(t.items(clock.now())[2].projectedStart, vn(9, 17));
  ASSERT_TRUE(t.next(clock.now()).ok());
  runUntil(t, clock, vn(9, 17));
  EXPECT_EQ(t.current(), 2u);
}

TEST(Timeline, GoToJumpsSkipsTheItemsBetweenAndReprojects) {
  ManualClock clock(vn(13, 0));
  Timeline t(quangNgai(), clock.now());
  runUntil(t, clock, vn(14, 12));
  ASSERT_EQ(t.current(), 3u);
  ASSERT_TRUE(t.goTo("huong-ung-doan", clock.now()).ok());
  EXPECT_EQ(t.current(), 5u);
  auto items = t.items(clock.now());
  EXPECT_EQ(items[3].state, ItemState::Done);
  EXPECT_EQ(items[3].actualEnd, vn(14, 12));
  EXPECT_EQ(items[4].state, ItemState::Skipped);
  EXPECT_FALSE(items[4].projectedStart);
  EXPECT_EQ(items[5].actualStart, vn(14, 12));
  EXPECT_EQ(items[5].projectedEnd, vn(14, 22));
  EXPECT_EQ(items[6].projectedStart, vn(14, 40)) << "hard start stays, not earlier";
  EXPECT_EQ(lastEvent(t, Transition::Skipped, "chi-dao")->cause, Cause::OperatorGoTo);
  EXPECT_EQ(lastEvent(t, Transition::Started, "huong-ung-doan")->cause, Cause::OperatorGoTo);
}

TEST(Timeline, GoToBackRunsTheItemAndEverythingAfterAgain) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), follow("b", 5min), follow("c", 5min)}, clock.now());
  runUntil(t, clock, vn(9, 12));
  ASSERT_EQ(t.current(), 1u);
  ASSERT_TRUE(t.goTo("a", clock.now()).ok());
  auto items = t.items(clock.now());
  EXPECT_EQ(t.current(), 0u);
  EXPECT_EQ(items[0].actualStart, vn(9, 12));
  EXPECT_EQ(items[1].state, ItemState::Pending);
  EXPECT_FALSE(items[1].actualStart);
  EXPECT_EQ(items[1].projectedStart, vn(9, 22));
  runUntil(t, clock, vn(9, 40));
  EXPECT_EQ(t.phase(), TimelinePhase::Finished);
  EXPECT_EQ(t.items(clock.now())[2].actualEnd, vn(9, 32));
}

TEST(Timeline, ClipEndedEarlyHandsOverToTheFollowingItemNow) {
  ManualClock clock(vn(14, 10));
  Timeline t({hard("clip", vn(14, 10), vn(14, 20)), follow("speech", 10min)}, clock.now());
  runUntil(t, clock, vn(14, 18, 30));
  ASSERT_TRUE(t.clipEnded("clip", clock.now()).ok());
  EXPECT_EQ(t.current(), 1u);
  const auto* ended = lastEvent(t, Transition::Ended, "clip");
  EXPECT_EQ(ended->cause, Cause::ClipEnded);
  EXPECT_EQ(ended->reason, "clip kết thúc sớm");
  EXPECT_EQ(t.item(1, clock.now()).projectedEnd, vn(14, 28, 30));
  // A late notice from the finished clip is refused and changes nothing.
  const auto events = t.events().size();
  EXPECT_EQ(t.clipEnded("clip", clock.now()).error, CommandError::NotNow);
  EXPECT_EQ(t.events().size(), events);
}

TEST(Timeline, ClipEndedBeforeAManualItemWaitsForTheOperator) {
  ManualClock clock(vn(14, 10));
  Timeline t({hard("clip", vn(14, 10), vn(14, 20)), manual("ritual", 10min)}, clock.now());
  runUntil(t, clock, vn(14, 15));
  ASSERT_TRUE(t.clipEnded("clip", clock.now()).ok());
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting);
  EXPECT_FALSE(t.current());
  EXPECT_EQ(t.status(clock.now()).next, 1u);
}

TEST(Timeline, ClipEndingWhileHeldEndsTheItemOnResume) {
  ManualClock clock(vn(14, 10));
  Timeline t({hard("clip", vn(14, 10), vn(14, 20)), follow("speech", 10min)}, clock.now());
  runUntil(t, clock, vn(14, 12));
  ASSERT_TRUE(t.hold(clock.now()).ok());
  clock.set(vn(14, 13));
  ASSERT_TRUE(t.clipEnded("clip", clock.now()).ok());
  EXPECT_EQ(t.current(), 0u) << "held stays held";
  clock.set(vn(14, 14));
  ASSERT_TRUE(t.resume(clock.now()).ok());
  EXPECT_EQ(t.current(), 1u);
  EXPECT_EQ(t.items(clock.now())[1].actualStart, vn(14, 14));
}

TEST(Timeline, StartingMidCeremonyJumpsToTheItemOnNow) {
  ManualClock clock(vn(14, 23));
  Timeline t(quangNgai(), clock.now());
  t.tick(clock.now());
  EXPECT_EQ(t.current(), 4u);
  auto items = t.items(clock.now());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(items[i].state, ItemState::Skipped) << i;
  EXPECT_EQ(items[4].actualStart, vn(14, 23));
  EXPECT_EQ(items[4].projectedEnd, vn(14, 30)) << "ends as planned, as if started on time";
  const auto& ev = t.events().back();
  EXPECT_EQ(ev.cause, Cause::JoinedMidway);
  EXPECT_EQ(ev.reason, "khởi động giữa chương trình lúc 14:23:00");
  runUntil(t, clock, vn(14, 30));
  EXPECT_EQ(t.current(), 5u);
}

TEST(Timeline, StartingDuringTheManualRitualWaitsForTheOperator) {
  ManualClock clock(vn(14, 52));
  Timeline t(quangNgai(), clock.now());
  t.tick(clock.now());
  EXPECT_EQ(t.phase(), TimelinePhase::Waiting);
  EXPECT_EQ(t.status(clock.now()).next, 7u);
  EXPECT_EQ(t.items(clock.now())[6].state, ItemState::Skipped);
}

TEST(Timeline, StartingAfterTheCeremonyFinishes) {
  ManualClock clock(vn(17, 0));
  Timeline t(quangNgai(), clock.now());
  t.tick(clock.now());
  EXPECT_EQ(t.phase(), TimelinePhase::Finished);
  EXPECT_FALSE(t.nextDeadline());
}

TEST(Timeline, AFewMillisecondsLateIsNotMidCeremony) {
  ManualClock clock(vn(13, 30, 1));
  Timeline t(quangNgai(), clock.now());
  t.tick(clock.now());
  EXPECT_EQ(t.current(), 0u);
  EXPECT_EQ(t.events().back().cause, Cause::HardStart);
  EXPECT_EQ(t.events().back().actual, vn(13, 30)) << "recorded at its scheduled time";
  EXPECT_EQ(t.events().size(), 1u);
}

TEST(Timeline, RefusedCommandsSayWhyAndChangeNothing) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), follow("b", std::nullopt)}, clock.now());
  EXPECT_EQ(t.hold(clock.now()).error, CommandError::NotNow);
  EXPECT_EQ(t.extend(1min, clock.now()).error, CommandError::NotNow);
  runUntil(t, clock, vn(9, 1));
  const auto events = t.events().size();
  const auto before = t.items(clock.now());

  auto r = t.goTo("khong-co", clock.now());
  EXPECT_EQ(r.error, CommandError::UnknownItem);
  EXPECT_EQ(r.message, "Không có mục «khong-co» trong chương trình (unknown item id).");
  r = t.extend(-5s, clock.now());
  EXPECT_EQ(r.error, CommandError::BadValue);
  EXPECT_NE(r.message.find("lớn hơn 0"), std::string::npos);
  EXPECT_EQ(t.extend(0s, clock.now()).error, CommandError::BadValue);
  EXPECT_EQ(t.extend(9h, clock.now()).error, CommandError::BadValue);
  r = t.resume(clock.now());
  EXPECT_EQ(r.error, CommandError::NotNow);
  EXPECT_NE(r.message.find("resume when not held"), std::string::npos);
  EXPECT_EQ(t.goTo("a", clock.now()).error, CommandError::NotNow) << "already on air";
  EXPECT_EQ(t.clipEnded("b", clock.now()).error, CommandError::NotNow);
  EXPECT_EQ(t.clipEnded("zzz", clock.now()).error, CommandError::UnknownItem);
  ASSERT_TRUE(t.hold(clock.now()).ok());
  EXPECT_EQ(t.hold(clock.now()).error, CommandError::NotNow);
  ASSERT_TRUE(t.resume(clock.now()).ok());
  EXPECT_EQ(t.events().size(), events + 2);  // only the accepted hold and resume
  EXPECT_EQ(t.items(clock.now())[0].projectedEnd, before[0].projectedEnd);

  ASSERT_TRUE(t.next(clock.now()).ok());
  r = t.extend(1min, clock.now());
  EXPECT_EQ(r.error, CommandError::NotNow) << "b is open-ended";
  EXPECT_NE(r.message.find("open-ended"), std::string::npos);
}

TEST(Timeline, EveryTransitionIsLoggedWithPlannedAndActual) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), follow("b", 5min)}, clock.now());
  runUntil(t, clock, vn(9, 2));
  ASSERT_TRUE(t.hold(clock.now()).ok());
  clock.set(vn(9, 3));
  ASSERT_TRUE(t.resume(clock.now()).ok());
  ASSERT_TRUE(t.extend(1min, clock.now()).ok());
  runUntil(t, clock, vn(9, 30));
  std::vector<std::pair<Transition, std::string>> seen;
  for (const auto& e : t.events()) seen.emplace_back(e.what, e.itemId);
  const std::vector<std::pair<Transition, std::string>> expected = {
      {Transition::Started, "a"},  {Transition::Held, "a"},  {Transition::Resumed, "a"},
      {Transition::Extended, "a"}, {Transition::Ended, "a"}, {Transition::Started, "b"},
      {Transition::Ended, "b"}};
  EXPECT_EQ(seen, expected);
  const auto* endA = lastEvent(t, Transition::Ended, "a");
  EXPECT_EQ(endA->planned, vn(9, 10));
  EXPECT_EQ(endA->actual, vn(9, 12)) << "1 min held + 1 min extended";
  EXPECT_EQ(lastEvent(t, Transition::Started, "b")->planned, vn(9, 10));
  EXPECT_EQ(lastEvent(t, Transition::Started, "b")->actual, vn(9, 12));
}

TEST(Timeline, ATickSeenLateRecordsWhenItWasSeen) {
  ManualClock clock(vn(9, 0));
  Timeline t({hard("a", vn(9, 0), vn(9, 10)), follow("b", 5min)}, clock.now());
  runUntil(t, clock, vn(9, 1));
  clock.set(vn(9, 10, 30));  // the loop stalled for half a minute
  t.tick(clock.now());
  EXPECT_EQ(t.items(clock.now())[1].actualStart, vn(9, 10, 30));
  EXPECT_EQ(t.items(clock.now())[1].projectedEnd, vn(9, 15, 30));
}

TEST(Timeline, FirstItemWithoutAWallClockTimeStartsAtTheOrigin) {
  ManualClock clock(vn(8, 0));
  Timeline t({follow("a", 1min), follow("b", 1min)}, clock.now() + 2s);
  t.tick(clock.now());
  EXPECT_EQ(t.phase(), TimelinePhase::PreShow);
  runUntil(t, clock, vn(8, 0, 2));
  EXPECT_EQ(t.current(), 0u);
  EXPECT_EQ(t.events().back().reason, "khi chương trình bắt đầu");
}

TEST(Timeline, EmptyRunOfShowIsFinished) {
  Timeline t({}, vn(9, 0));
  EXPECT_EQ(t.phase(), TimelinePhase::Finished);
  EXPECT_EQ(t.next(vn(9, 0)).error, CommandError::NotNow);
}

TEST(Timeline, ClockTextIsInTheEventsTimezone) {
  EXPECT_EQ(clockText(vn(14, 21, 3), 7 * 60), "14:21:03");
  EXPECT_EQ(clockText(vn(14, 21, 3), 7 * 60, false), "14:21");
  EXPECT_EQ(clockText(vn(14, 21, 3), 0), "07:21:03");
  EXPECT_EQ(clockText(vn(2, 0), 0), "19:00:00");
  EXPECT_EQ(spanText(63s), "63 s");
  EXPECT_EQ(spanText(-5s), "5 s");
  EXPECT_EQ(spanText(725s), "12 phút 5 s");
  EXPECT_EQ(indexOf(Timeline(quangNgai(), vn(9, 0)), "chi-dao"), 4u);
}

}  // namespace
}  // namespace ceremony
