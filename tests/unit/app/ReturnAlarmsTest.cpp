// What the operators are told of the points' return feeds (daemon/app/ReturnAlarms.h).
#include "app/ReturnAlarms.h"

#include <gtest/gtest.h>

namespace ceremony {
namespace {

using namespace std::chrono_literals;
using Alerts = std::vector<ReturnAlarms::Alert>;

class ReturnAlarmsTest : public ::testing::Test {
 protected:
  ReturnAlarmsTest() : alarms({400, 3, 5000ms, 3000ms}) {}
  // One second's statistics of `session`, `kbps` more received than the second before.
  Alerts second(const std::string& session, long kbps, bool frozen = false) {
    now += 1s;
    bytes[session] += static_cast<std::uint64_t>(kbps) * 1000 / 8;
    cut = false;
    return alarms.sample("nghia-hanh", session, {bytes[session], frozen, now}, &cut);
  }
  ReturnAlarms alarms;
  ReturnAlarms::Time now{};
  std::map<std::string, std::uint64_t> bytes;
  bool cut = false;
};

std::string causes(const Alerts& a) {
  std::string out;
  for (const auto& x : a) out += (out.empty() ? "" : " ") + x.cause + (x.active ? "+" : "-");
  return out;
}

TEST_F(ReturnAlarmsTest, AFeedThatStopsIsToldOnceAndItsReturnOnce) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(causes(second("r1", 450)), "");
  EXPECT_EQ(causes(second("r1", 0)), "");
  EXPECT_EQ(causes(second("r1", 0)), "");
  const Alerts stopped = second("r1", 0);  // 3 s with nothing
  ASSERT_EQ(causes(stopped), "stopped+");
  EXPECT_EQ(stopped[0].what, "ngừng gửi hình (không nhận được gì trong 3 s)");
  EXPECT_EQ(causes(second("r1", 0)), "");
  // Its session then ends on its own: the same cause, not told again.
  EXPECT_EQ(causes(alarms.ended("nghia-hanh", "r1", {false, true, false, false, false, "x"})), "");
  // A new session sends: told once.
  EXPECT_EQ(causes(second("r2", 450)), "");  // its first reading
  const Alerts back = second("r2", 450);
  ASSERT_EQ(causes(back), "stopped-");
  EXPECT_EQ(back[0].what, "gửi hình về trở lại");
  EXPECT_TRUE(alarms.active().empty());
}

TEST_F(ReturnAlarmsTest, AFrozenPictureIsToldOnceAndWhenItMovesAgain) {
  second("r1", 450);
  second("r1", 450);
  const Alerts frozen = second("r1", 450, true);
  ASSERT_EQ(causes(frozen), "frozen+");
  EXPECT_EQ(frozen[0].what, "hình gửi về bị đứng");
  EXPECT_EQ(causes(second("r1", 450, true)), "");
  EXPECT_EQ(causes(second("r1", 450, false)), "frozen-");
}

TEST_F(ReturnAlarmsTest, AFloodIsCutAfterFiveSecondsAndToldOnceAcrossSessions) {
  second("r1", 3000);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(causes(second("r1", 3000)), "") << i;
    EXPECT_FALSE(cut) << i;
  }
  const Alerts flood = second("r1", 3000);
  ASSERT_EQ(causes(flood), "flood+");
  EXPECT_TRUE(cut);
  EXPECT_EQ(flood[0].kbps, 3000);
  EXPECT_EQ(flood[0].what,
            "gửi quá băng thông được cấp (3000 kbit/s, được cấp 400 kbit/s), đã ngắt");
  // The cut is its end: not told as a stop.
  EXPECT_EQ(causes(alarms.ended("nghia-hanh", "r1", {false, true, true, false, true, "x"})), "");
  // It calls again and floods again: cut, not told again.
  second("r2", 3000);
  for (int i = 0; i < 5; ++i) second("r2", 3000);
  EXPECT_TRUE(cut);
  alarms.ended("nghia-hanh", "r2", {false, true, true, false, true, "x"});
  // Then within its bandwidth for 5 s: told it is back.
  second("r3", 450);
  std::string told;
  for (int i = 0; i < 6; ++i) told += causes(second("r3", 450));
  EXPECT_EQ(told, "flood-");
  EXPECT_FALSE(cut);
}

TEST_F(ReturnAlarmsTest, JustOverTheLineOrBrieflyOverIsNotAFlood) {
  second("r1", 1100);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(causes(second("r1", 1100)), "");  // under 3 × 400
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(causes(second("r1", i % 5 == 4 ? 450 : 5000)), "");  // 4 s over, then under
    EXPECT_FALSE(cut);
  }
}

TEST_F(ReturnAlarmsTest, APointThatEndsItsSessionOffAirIsNotAlerted) {
  second("r1", 450);
  second("r1", 450);
  // DELETE from its page while a source shows it but it is not on air.
  EXPECT_EQ(causes(alarms.ended("nghia-hanh", "r1", {true, true, false, false, false, "x"})), "");
  // On air it is.
  second("r2", 450);
  second("r2", 450);
  const Alerts onAir =
      alarms.ended("nghia-hanh", "r2", {true, true, true, false, false, "closed by the point"});
  ASSERT_EQ(causes(onAir), "stopped+");
  EXPECT_EQ(onAir[0].what, "ngừng gửi hình khi đang lên sóng");
}

TEST_F(ReturnAlarmsTest, AFeedThatFailsIsToldWhenItWasSendingOrIsShown) {
  second("r1", 450);
  second("r1", 450);
  const Alerts failed =
      alarms.ended("nghia-hanh", "r1", {false, false, false, true, false, "not-negotiated"});
  ASSERT_EQ(causes(failed), "failed+");
  EXPECT_EQ(failed[0].what, "hình gửi về bị lỗi (not-negotiated)");
  // A session that never sent and nothing shows: nobody expects it.
  EXPECT_EQ(causes(alarms.ended("ba-to", "r2", {false, false, false, false, false, "ICE"})), "");
  EXPECT_EQ(causes(alarms.ended("ba-to", "r3", {false, true, false, false, false, "ICE"})),
            "failed+");
}

}  // namespace
}  // namespace ceremony
