// The uplink rule on its own: share, minimum, window, joining and clearing.
#include <gtest/gtest.h>

#include "HealthTestSupport.h"
#include "health/Correlator.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;
using Verdict = Correlator::Verdict;

std::string id(int i) {
  return "p" + std::to_string(i);
}

TEST(Correlator, RaisesOnceWhenHalfOfTheWatchedPointsDropWithinTheWindow) {
  HealthSettings s;
  Correlator c(s);
  const WallTime t = test::ceremonyStart();
  EXPECT_EQ(c.threshold(96), 48);
  EXPECT_EQ(c.threshold(12), 10) << "never fewer than 10 points";
  for (int i = 0; i < 47; ++i)
    EXPECT_EQ(c.pointDown(id(i), t + Millis(i * 100), 96), Verdict::None);
  EXPECT_EQ(c.pointDown(id(47), t + 5s, 96), Verdict::Raised);
  EXPECT_TRUE(c.active());
  EXPECT_EQ(c.pointDown(id(48), t + 6s, 96), Verdict::None) << "joins, does not raise again";
  EXPECT_TRUE(c.covers(id(48)));
  EXPECT_EQ(c.points().size(), 49u);
}

TEST(Correlator, DropsOutsideTheWindowDoNotCount) {
  HealthSettings s;
  Correlator c(s);
  const WallTime t = test::ceremonyStart();
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(c.pointDown(id(i), t + std::chrono::seconds(i * 2), 20), Verdict::None);
  EXPECT_FALSE(c.active());
}

TEST(Correlator, ClearsWhenMostOfItsPointsAreBack) {
  HealthSettings s;
  Correlator c(s);
  const WallTime t = test::ceremonyStart();
  for (int i = 0; i < 12; ++i) c.pointDown(id(i), t, 20);
  ASSERT_TRUE(c.active());
  for (int i = 0; i < 9; ++i) EXPECT_EQ(c.pointLeftDown(id(i), t + 30s), Verdict::None) << i;
  EXPECT_EQ(c.stillDown(), 3);  // 3 of 12 = 25%: not yet
  EXPECT_EQ(c.pointLeftDown(id(9), t + 30s), Verdict::Cleared);
  EXPECT_FALSE(c.active());
  EXPECT_FALSE(c.covers(id(10)));
}

TEST(Correlator, RecoveredPointsAreNotCountedAgain) {
  HealthSettings s;
  Correlator c(s);
  const WallTime t = test::ceremonyStart();
  // Ten quick drops, but each came back before the next: never ten down together.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(c.pointDown(id(i), t + std::chrono::milliseconds(i * 500), 20), Verdict::None);
    c.pointLeftDown(id(i), t + std::chrono::milliseconds(i * 500 + 100));
  }
  EXPECT_FALSE(c.active());
}

}  // namespace
}  // namespace ceremony::health
