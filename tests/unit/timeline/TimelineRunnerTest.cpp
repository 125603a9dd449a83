// The runner on a real io_context and the real clock: short items, bounded runs. The rules
// themselves are tested in TimelineTest; here: the order of prepare/take, takes sent ahead
// of their time, operator commands re-arming the timer.

#include "timeline/TimelineRunner.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <sstream>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "TimelineTestItems.h"
#include "core/Clock.h"

namespace ceremony {
namespace {

using namespace timeline_test;

struct Call {
  char kind;  // 'P'repare, 'T'ake, 'F'inished
  std::size_t index = 0;
  WallTime at{};
  WallTime calledAt{};
};

class Recorder : public TimelineRunner::Listener {
 public:
  Recorder(const Clock& clock, boost::asio::io_context& io) : clock_(clock), io_(io) {}
  void onPrepare(const ItemStatus& item) override {
    calls.push_back({'P', item.index, {}, clock_.now()});
  }
  void onTake(const ItemStatus& item, WallTime at) override {
    calls.push_back({'T', item.index, at, clock_.now()});
    scenes.push_back(item.scene);
  }
  void onTimelineChanged() override { ++changes; }
  void onFinished() override {
    calls.push_back({'F', 0, {}, clock_.now()});
    io_.stop();
  }
  std::string kinds() const {
    std::string s;
    for (const auto& c : calls) s += c.kind + (c.kind == 'F' ? "" : std::to_string(c.index));
    return s;
  }
  std::vector<Call> calls;
  std::vector<std::string> scenes;
  int changes = 0;

 private:
  const Clock& clock_;
  boost::asio::io_context& io_;
};

// Runs `fn` on the io_context at `delay` from now.
void at(boost::asio::io_context& io, std::vector<std::unique_ptr<boost::asio::steady_timer>>& keep,
        Millis delay, std::function<void()> fn) {
  keep.push_back(std::make_unique<boost::asio::steady_timer>(io, delay));
  keep.back()->async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

TEST(TimelineRunner, TakesEachItemAheadOfItsTimeInOrder) {
  SystemClock clock;
  boost::asio::io_context io;
  Recorder rec(clock, io);
  const WallTime t0 = clock.now() + 800ms;
  Timeline timeline(
      {hard("a", t0, t0 + 200ms), follow("b", 200ms), hard("c", t0 + 400ms, t0 + 600ms)},
      clock.now());
  TimelineRunner runner(io, timeline, clock, rec);
  runner.start();
  io.run_for(5s);  // bound: the ceremony takes 1.4 s

  EXPECT_EQ(rec.kinds(), "P0T0P1T1P2T2F");
  EXPECT_EQ(rec.scenes, (std::vector<std::string>{"scene-a", "scene-b", "scene-c"}));
  const std::vector<WallTime> planned = {t0, t0 + 200ms, t0 + 400ms};
  std::size_t takes = 0;
  for (const auto& c : rec.calls) {
    if (c.kind != 'T') continue;
    RecordProperty("take_lead_ms_item" + std::to_string(c.index),
                   static_cast<int>((c.at - c.calledAt).count()));
    const WallTime p = planned[c.index];
    EXPECT_LE(std::chrono::abs(c.at - p), Millis{20}) << "item " << c.index;
    EXPECT_LT(c.calledAt, c.at) << "the take must reach the media core before its time";
    EXPECT_GE(c.calledAt, c.at - 300ms - 20ms) << "and not much earlier than the take lead";
    ++takes;
  }
  EXPECT_EQ(takes, 3u);
  ASSERT_EQ(rec.calls.back().kind, 'F');
  EXPECT_GE(rec.calls.back().calledAt, t0 + 600ms) << "the end is never announced early";
  EXPECT_LE(rec.calls.back().calledAt, t0 + 700ms);
  EXPECT_GE(rec.changes, 4);
  EXPECT_EQ(timeline.phase(), TimelinePhase::Finished);
}

TEST(TimelineRunner, OperatorCommandsTakeAtOnceAndReArmTheTimer) {
  SystemClock clock;
  boost::asio::io_context io;
  Recorder rec(clock, io);
  const WallTime t0 = clock.now() + 400ms;
  Timeline timeline({hard("a", t0, t0 + 800ms), follow("b", 300ms), follow("c", 10s)}, clock.now());
  TimelineRunner runner(io, timeline, clock, rec);
  std::vector<std::unique_ptr<boost::asio::steady_timer>> keep;
  std::vector<CommandResult> results;
  std::size_t callsAtHold = 0;
  WallTime nextPressed{};
  // Hold a 100 ms into it, before b's take is due (t0+500), and wait well past a's end:
  // b must not be taken.
  at(io, keep, 500ms, [&] {
    results.push_back(runner.hold());
    callsAtHold = rec.calls.size();
  });
  at(io, keep, 1200ms, [&] {
    EXPECT_EQ(rec.calls.size(), callsAtHold) << "nothing happens while held";
    results.push_back(runner.resume());  // a now ends 700 ms later than planned
    results.push_back(runner.goTo("khong-co"));
    results.push_back(runner.extend(-1s));
  });
  // c is 10 s long: the operator cuts it.
  at(io, keep, 2300ms, [&] {
    nextPressed = clock.now();
    results.push_back(runner.next());
  });
  runner.start();
  io.run_for(6s);

  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_EQ(results[2].error, CommandError::UnknownItem);
  EXPECT_EQ(results[3].error, CommandError::BadValue);
  EXPECT_TRUE(results[4].ok());
  EXPECT_EQ(rec.kinds(), "P0T0P1T1P2T2F");
  // b followed a's held end: planned t0+800, taken about 700 ms later.
  const Call& takeB = rec.calls[3];
  EXPECT_GE(takeB.at - t0, 1450ms);
  EXPECT_LE(takeB.at - t0, 1600ms);
  EXPECT_LT(takeB.calledAt, takeB.at);
  // The operator's "next" on c ends the ceremony one operator lead (200 ms) later, and
  // the end is announced then, not before.
  ASSERT_EQ(rec.calls.back().kind, 'F');
  EXPECT_GE(rec.calls.back().calledAt - nextPressed, 195ms);
  EXPECT_LE(rec.calls.back().calledAt - nextPressed, 260ms);
  EXPECT_EQ(timeline.events().back().cause, Cause::OperatorNext);
}

TEST(TimelineRunner, OperatorNextTakesAManualItemWithASmallLead) {
  SystemClock clock;
  boost::asio::io_context io;
  Recorder rec(clock, io);
  Timeline timeline({manual("ritual", 200ms), follow("after", 200ms)}, clock.now());
  TimelineRunner runner(io, timeline, clock, rec);
  std::vector<std::unique_ptr<boost::asio::steady_timer>> keep;
  WallTime pressed{};
  at(io, keep, 300ms, [&] {
    EXPECT_EQ(rec.kinds(), "P0") << "the manual item is preloaded, not taken";
    pressed = clock.now();
    EXPECT_TRUE(runner.next().ok());
  });
  runner.start();
  io.run_for(5s);
  EXPECT_EQ(rec.kinds(), "P0T0P1T1F");
  const Call& take = rec.calls[1];
  EXPECT_GT(take.at, take.calledAt);
  EXPECT_LE(take.at - pressed, 250ms);
  EXPECT_GE(take.at - pressed, 150ms);
}

// The technical team reads the journal: each start with planned and actual time, in the
// event's timezone, and how late.
TEST(TimelineRunner, LogsEachStartWithPlannedAndActualTime) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "timeline-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);

  SystemClock clock;
  boost::asio::io_context io;
  Recorder rec(clock, io);
  const WallTime shown = clock.now() - 63s;
  auto speech = manual("chi-dao", 200ms, shown);
  speech.title = "Lãnh đạo UBND tỉnh phát biểu chỉ đạo và phát động phong trào";
  Timeline timeline({speech, follow("ket-thuc", 100ms)}, clock.now(), 7 * 60);
  TimelineRunner runner(io, timeline, clock, rec);
  runner.start();
  boost::asio::post(io, [&] { EXPECT_TRUE(runner.next().ok()); });
  io.run_for(3s);
  spdlog::set_default_logger(previous);

  ASSERT_GE(rec.calls.size(), 2u);
  ASSERT_EQ(rec.calls[1].kind, 'T');
  const WallTime actual = rec.calls[1].at;
  const std::string expected = "Mục 1/2 «Lãnh đạo UBND tỉnh phát biểu…» bắt đầu " +
                               clockText(actual, 7 * 60) + " (kế hoạch " +
                               clockText(shown, 7 * 60) + ", trễ 63 s)";
  EXPECT_NE(out.str().find(expected), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Chương trình kết thúc"), std::string::npos);
}

}  // namespace
}  // namespace ceremony
