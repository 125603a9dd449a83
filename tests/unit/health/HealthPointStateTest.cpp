// The per-point state machine: every transition, hysteresis both ways, degraded,
// maintenance and flapping, with time passed in by hand (2 s probe interval).
#include <gtest/gtest.h>

#include "HealthTestSupport.h"
#include "health/PointState.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;
using test::bad;
using test::good;

class PointStateTest : public ::testing::Test {
 protected:
  HealthSettings settings;  // defaults: k=3 of n=4, m=3, degraded 2 of 4, 1000 ms
  WallTime t = test::ceremonyStart();
  std::vector<PointState::Change> changes;

  // Feeds one result 2 s after the previous one and records any change.
  void feed(PointState& p, bool ok, Millis latency = 40ms,
            const std::string& reason = "connect timeout after 2000 ms") {
    t += 2s;
    auto r = ok ? good(p.id(), t, latency) : bad(p.id(), t, reason);
    if (auto c = p.onResult(r)) changes.push_back(*c);
  }
  void feedMany(PointState& p, const std::string& pattern, Millis slow = 1500ms) {
    for (char c : pattern) {
      if (c == 'o') feed(p, true);
      if (c == 's') feed(p, true, slow);
      if (c == 'x') feed(p, false);
    }
  }
  PointState make(std::vector<ProbeSpec> probes = {test::httpProbe()}) {
    return PointState(test::point("nghia-hanh", std::move(probes)), settings, t);
  }
};

TEST_F(PointStateTest, StartsUnknownAndNeedsThreeGoodResultsToBeUp) {
  auto p = make();
  EXPECT_EQ(p.status(), PointStatus::Unknown);
  feedMany(p, "oo");
  EXPECT_EQ(p.status(), PointStatus::Unknown);
  feedMany(p, "o");
  EXPECT_EQ(p.status(), PointStatus::Up);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].from, PointStatus::Unknown);
  EXPECT_EQ(changes[0].to, PointStatus::Up);
  EXPECT_EQ(changes[0].at, t);
  EXPECT_EQ(p.since(), t);
}

TEST_F(PointStateTest, UnknownToDownAfterThreeFailures) {
  auto p = make();
  feedMany(p, "xx");
  EXPECT_EQ(p.status(), PointStatus::Unknown);
  feedMany(p, "x");
  EXPECT_EQ(p.status(), PointStatus::Down);
  EXPECT_EQ(p.reason(), "connect timeout after 2000 ms");
}

TEST_F(PointStateTest, DeadPointIsRedAfterThreeFailedProbesAboutSixSeconds) {
  auto p = make();
  feedMany(p, "ooo");
  const WallTime lastGood = t;
  feedMany(p, "xx");
  EXPECT_EQ(p.status(), PointStatus::Up) << "two lost probes in a row are not yet a dead point";
  feedMany(p, "x");
  EXPECT_EQ(p.status(), PointStatus::Down);
  EXPECT_EQ(p.since() - lastGood, 6s);
  // Straight from up to down: no detour through degraded for a point that just died.
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].from, PointStatus::Up);
  EXPECT_EQ(changes[1].to, PointStatus::Down);
}

TEST_F(PointStateTest, ThreeFailuresAmongFourIsDownToo) {
  auto p = make();
  feedMany(p,
           "ooo"
           "xox");
  EXPECT_EQ(p.status(), PointStatus::Up);  // 2 of 4, and the last one failed: wait and see
  feedMany(p, "x");                        // window x o x x: 3 of the last 4
  EXPECT_EQ(p.status(), PointStatus::Down);
}

TEST_F(PointStateTest, SingleLostProbeKeepsPointUp) {
  auto p = make();
  feedMany(p,
           "ooo"
           "x"
           "ooo"
           "x"
           "ooo");
  EXPECT_EQ(p.status(), PointStatus::Up);
  EXPECT_EQ(changes.size(), 1u);
}

TEST_F(PointStateTest, DownToUpOnlyAfterThreeConsecutiveGoodResults) {
  auto p = make();
  feedMany(p, "xxx");
  ASSERT_EQ(p.status(), PointStatus::Down);
  feedMany(p,
           "oo"
           "x"
           "oo");
  EXPECT_EQ(p.status(), PointStatus::Down) << "a failure resets the recovery count";
  feedMany(p, "o");
  EXPECT_EQ(p.status(), PointStatus::Up);
  EXPECT_EQ(changes.back().from, PointStatus::Down);
  EXPECT_EQ(changes.back().to, PointStatus::Up);
  EXPECT_NE(changes.back().reason.find("3 lần thăm dò liên tiếp thành công"), std::string::npos);
}

TEST_F(PointStateTest, SlowPointBecomesDegradedWithTheSameDamping) {
  auto p = make();
  feedMany(p,
           "ooo"
           "ss");
  EXPECT_EQ(p.status(), PointStatus::Up) << "two slow answers are not yet a trend";
  feed(p, true, 1250ms);
  EXPECT_EQ(p.status(), PointStatus::Degraded);
  EXPECT_EQ(changes.back().reason, "phản hồi chậm: 1250 ms (ngưỡng 1000 ms)");
}

TEST_F(PointStateTest, DegradedToUpAfterThreeGoodResults) {
  auto p = make();
  feedMany(p,
           "ooo"
           "sss");
  ASSERT_EQ(p.status(), PointStatus::Degraded);
  feedMany(p,
           "oo"
           "s"
           "oo");
  EXPECT_EQ(p.status(), PointStatus::Degraded);
  feedMany(p, "o");
  EXPECT_EQ(p.status(), PointStatus::Up);
}

TEST_F(PointStateTest, DegradedToDownAfterThreeFailures) {
  auto p = make();
  feedMany(p,
           "ooo"
           "sss"
           "xxx");
  EXPECT_EQ(p.status(), PointStatus::Down);
  EXPECT_EQ(changes.back().from, PointStatus::Degraded);
}

TEST_F(PointStateTest, DownToDegradedWhenItComesBackSlow) {
  auto p = make();
  feedMany(p,
           "xxx"
           "sss");
  EXPECT_EQ(p.status(), PointStatus::Degraded);
  EXPECT_EQ(changes.back().from, PointStatus::Down);
}

TEST_F(PointStateTest, UnknownToDegradedWhenSlowFromTheStart) {
  auto p = make();
  feedMany(p, "sss");
  EXPECT_EQ(p.status(), PointStatus::Degraded);
}

TEST_F(PointStateTest, FlappingPointDoesNotBlink) {
  auto p = make();
  feedMany(p, "ooo");
  for (int i = 0; i < 30; ++i) feedMany(p, "xo");  // a minute of ok/fail alternating
  // One change to degraded and then steady: never red, never back to green.
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].to, PointStatus::Degraded);
  EXPECT_NE(changes[1].reason.find("chập chờn: 2/4"), std::string::npos) << changes[1].reason;
  EXPECT_EQ(p.status(), PointStatus::Degraded);
}

TEST_F(PointStateTest, FlappingDownPointStaysDownUntilItHoldsUp) {
  auto p = make();
  feedMany(p, "xxx");
  for (int i = 0; i < 30; ++i) feedMany(p, "ox");
  EXPECT_EQ(changes.size(), 1u);
  EXPECT_EQ(p.status(), PointStatus::Down);
}

TEST_F(PointStateTest, DownReasonFollowsTheLatestFailureWithoutNewChange) {
  auto p = make();
  feedMany(p, "xxx");
  feed(p, false, 0ms, "connection refused");
  EXPECT_EQ(p.reason(), "connection refused");
  EXPECT_EQ(changes.size(), 1u);
}

TEST_F(PointStateTest, MaintenanceFreezesStateAndClearingShowsTheTruth) {
  auto p = make();
  feedMany(p, "ooo");
  auto on = p.setMaintenance(true, t, "");
  ASSERT_TRUE(on);
  EXPECT_EQ(on->from, PointStatus::Up);
  EXPECT_EQ(on->to, PointStatus::Maintenance);
  EXPECT_EQ(p.status(), PointStatus::Maintenance);
  EXPECT_FALSE(p.setMaintenance(true, t, "")) << "already in maintenance: nothing changes";
  changes.clear();
  feedMany(p, "xxxxx");
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(p.status(), PointStatus::Maintenance);
  auto off = p.setMaintenance(false, t, "");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->from, PointStatus::Maintenance);
  EXPECT_EQ(off->to, PointStatus::Down);
  EXPECT_NE(off->reason.find("connect timeout"), std::string::npos);
}

TEST_F(PointStateTest, SomeProbesFailingIsDegradedAllFailingIsDown) {
  ProbeSpec tcp;
  tcp.name = "tcp";
  tcp.kind = "tcp";
  tcp.host = "127.0.0.1";
  tcp.port = 8080;
  auto p = make({test::httpProbe(), tcp});
  auto both = [&](bool httpOk, bool tcpOk) {
    t += 2s;
    for (auto [name, ok] : {std::pair{"http", httpOk}, std::pair{"tcp", tcpOk}}) {
      auto r = ok ? good(p.id(), t, 40ms, name) : bad(p.id(), t, "HTTP 503", name);
      if (auto c = p.onResult(r)) changes.push_back(*c);
    }
  };
  for (int i = 0; i < 3; ++i) both(true, true);
  EXPECT_EQ(p.status(), PointStatus::Up);
  for (int i = 0; i < 3; ++i) both(false, true);
  EXPECT_EQ(p.status(), PointStatus::Degraded);
  EXPECT_EQ(p.reason(), "http: HTTP 503");
  for (int i = 0; i < 3; ++i) both(false, false);
  EXPECT_EQ(p.status(), PointStatus::Down);
  EXPECT_EQ(p.reason(), "http: HTTP 503; tcp: HTTP 503");
}

TEST_F(PointStateTest, ResultForAnotherProbeNameIsIgnored) {
  auto p = make();
  for (int i = 0; i < 5; ++i) {
    t += 2s;
    EXPECT_FALSE(p.onResult(bad(p.id(), t, "x", "nonexistent")));
  }
  EXPECT_EQ(p.status(), PointStatus::Unknown);
}

TEST_F(PointStateTest, SilentHeartbeatPointGoesDownFromTick) {
  ProbeSpec hb;
  hb.name = "heartbeat";
  hb.kind = "heartbeat";
  hb.heartbeatTimeout = 30s;
  const WallTime start = t;
  auto p = make({hb});
  EXPECT_FALSE(p.tick(start + 29s));
  EXPECT_EQ(p.status(), PointStatus::Unknown);
  std::optional<PointState::Change> change;
  WallTime now = start + 29s;
  for (int i = 0; i < 10 && !change; ++i) change = p.tick(now += 1s);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to, PointStatus::Down);
  // Failures at 30 s, 32 s, 34 s (one per 2 s interval), then down.
  EXPECT_EQ(change->at - start, 34s);
  EXPECT_EQ(change->reason, "không nhận được heartbeat trong 34 s (no heartbeat for 34 s)");
}

TEST_F(PointStateTest, HeartbeatsKeepThePointUpAndProberFailuresAreNotDoubled) {
  ProbeSpec hb;
  hb.name = "heartbeat";
  hb.kind = "heartbeat";
  hb.heartbeatTimeout = 30s;
  const WallTime start = t;
  auto p = make({hb});
  for (int i = 1; i <= 3; ++i) p.onResult(good(p.id(), start + 10s * i, 0ms, "heartbeat"));
  EXPECT_EQ(p.status(), PointStatus::Up);
  EXPECT_FALSE(p.tick(start + 55s)) << "25 s since the last heartbeat: still fine";
  // The prober reports the silence itself every 2 s: tick must not add its own.
  p.onResult(bad(p.id(), start + 61s, "no heartbeat for 31 s", "heartbeat"));
  EXPECT_FALSE(p.tick(start + 62s));
  p.onResult(bad(p.id(), start + 63s, "no heartbeat for 33 s", "heartbeat"));
  EXPECT_FALSE(p.tick(start + 64s));
  EXPECT_EQ(p.status(), PointStatus::Up);
}

}  // namespace
}  // namespace ceremony::health
