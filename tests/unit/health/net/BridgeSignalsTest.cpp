// How a connection point that watches over the video bridge is judged: from its best viewing
// session and that viewer's RTCP receiver reports, with the clock moved by hand. Then the
// `bridge` probe kind's results through a point's state: poor links make it degraded.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "../HealthTestSupport.h"
#include "health/BridgeSignals.h"
#include "health/PointState.h"
#include "health/net/Probes.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;

constexpr Millis kGrace = 30s;  // the probe's heartbeat_timeout

class BridgeSignalsTest : public ::testing::Test {
 protected:
  ManualClock clock{test::ceremonyStart()};
  BridgeSignals signals{clock};

  // A session of `point` opened now.
  BridgeSession session(const std::string& id, const std::string& point = "nghia-hanh") {
    BridgeSession s;
    s.id = id;
    s.pointId = point;
    s.transport = "webrtc";
    s.peer = "10.55.0.11";
    s.since = clock.now();
    return s;
  }
  // A connected session whose viewer reported `ago` before now.
  BridgeSession connected(const std::string& id, Millis ago = 1s, double rttMs = 20,
                          double lossPercent = 0) {
    BridgeSession s = session(id);
    s.connected = true;
    s.lastReport = clock.now() - ago;
    s.rttMs = rttMs;
    s.lossPercent = lossPercent;
    s.jitterMs = 3;
    return s;
  }
  BridgeVerdict judge(const std::string& point = "nghia-hanh") {
    return judgeBridge(signals, point, kGrace, {});
  }
};

TEST_F(BridgeSignalsTest, WithinTheGracePeriodAPointWithoutSessionIsNotJudged) {
  signals.expect("nghia-hanh");
  clock.advance(29s);
  EXPECT_FALSE(judge().judged);
  clock.advance(999ms);
  EXPECT_FALSE(judge().judged);
}

TEST_F(BridgeSignalsTest, NoSessionAfterTheGracePeriodFails) {
  signals.expect("nghia-hanh");
  clock.advance(kGrace);
  const auto v = judge();
  EXPECT_TRUE(v.judged);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "no bridge session");
}

TEST_F(BridgeSignalsTest, ASessionThatLeftCountsAsNoneAtOnceOnceTheGraceIsOver) {
  signals.expect("nghia-hanh");
  clock.advance(60s);
  signals.update(connected("w1"));
  EXPECT_TRUE(judge().ok);
  signals.remove("w1");
  EXPECT_EQ(judge().reason, "no bridge session");
  EXPECT_EQ(signals.viewers(), 0u);
}

TEST_F(BridgeSignalsTest, AConnectingSessionHasFiveSecondsThenFails) {
  signals.expect("nghia-hanh");
  clock.advance(kGrace + 10s);  // a session makes the grace period irrelevant
  signals.update(session("w1"));
  clock.advance(4999ms);
  EXPECT_FALSE(judge().judged) << "ICE and DTLS take a moment";
  clock.advance(1ms);
  const auto v = judge();
  EXPECT_TRUE(v.judged);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "bridge session not connected after 5 s");
}

TEST_F(BridgeSignalsTest, ConnectedWithAFreshReportIsOk) {
  signals.expect("nghia-hanh");
  signals.update(connected("w1", 1s, 23.6));
  const auto v = judge();
  EXPECT_TRUE(v.judged);
  EXPECT_TRUE(v.ok);
  EXPECT_FALSE(v.degraded);
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(v.latency, 24ms);
}

// 6.2 s is as far apart as RFC 3550 lets a receiver's regular reports be (5 s randomised,
// with its compensation): a GStreamer player's steady reports never call its point down.
TEST_F(BridgeSignalsTest, AReportOlderThanEightSecondsFailsNamingHowOld) {
  signals.update(connected("w1", 6200ms));
  EXPECT_TRUE(judge().ok);
  signals.update(connected("w1", 7999ms));
  EXPECT_TRUE(judge().ok);
  signals.update(connected("w1", 8s));
  auto v = judge();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "no receiver report for 8 s");
  clock.advance(7s);
  v = judge();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "no receiver report for 15 s");
}

TEST_F(BridgeSignalsTest, AConnectedSessionWithoutAnyReportCountsFromItsStart) {
  BridgeSession s = session("w1");
  s.connected = true;
  signals.update(s);
  clock.advance(7s);
  EXPECT_TRUE(judge().ok);
  clock.advance(2s);
  EXPECT_EQ(judge().reason, "no receiver report for 9 s");
}

TEST_F(BridgeSignalsTest, LossOfFivePercentOrMoreIsOkButDegraded) {
  signals.update(connected("w1", 1s, 20, 4.9));
  EXPECT_FALSE(judge().degraded);
  signals.update(connected("w1", 1s, 20, 12.04));
  const auto v = judge();
  EXPECT_TRUE(v.ok);
  EXPECT_TRUE(v.degraded);
  EXPECT_EQ(v.reason, "loss 12.0 %");
  signals.update(connected("w1", 1s, 20, 5.0));
  EXPECT_EQ(judge().reason, "loss 5.0 %");
}

TEST_F(BridgeSignalsTest, ARoundTripOf400MsOrMoreIsDegraded) {
  signals.update(connected("w1", 1s, 399));
  EXPECT_FALSE(judge().degraded);
  signals.update(connected("w1", 1s, 400));
  const auto v = judge();
  EXPECT_TRUE(v.ok);
  EXPECT_TRUE(v.degraded);
  EXPECT_EQ(v.reason, "round trip 400 ms");
  EXPECT_EQ(v.latency, 400ms);
}

TEST_F(BridgeSignalsTest, BestPrefersAConnectedSessionThenTheFreshestReport) {
  signals.update(connected("w1", 3s));
  BridgeSession connecting = session("w2");
  connecting.lastReport = clock.now();  // fresher, but not connected
  signals.update(connecting);
  signals.update(connected("w3", 2s));
  BridgeSession other = connected("w4", 0s);
  other.pointId = "thien-tin";
  signals.update(other);
  auto best = signals.best("nghia-hanh");
  ASSERT_TRUE(best);
  EXPECT_EQ(best->id, "w3");
  EXPECT_EQ(signals.best("thien-tin")->id, "w4");
  EXPECT_FALSE(signals.best("ly-son"));
  EXPECT_EQ(signals.viewers(), 4u);
  // The connecting one does not hold the point up while a connected one reports.
  EXPECT_TRUE(judge().ok);
}

TEST_F(BridgeSignalsTest, ExpectingTwiceKeepsTheFirstStart) {
  signals.expect("nghia-hanh");
  const WallTime first = clock.now();
  clock.advance(10s);
  signals.expect("nghia-hanh");
  EXPECT_EQ(signals.expectedSince("nghia-hanh"), first);
  EXPECT_FALSE(signals.expectedSince("ly-son"));
}

// ---- the `bridge` probe kind through a point's state ----------------------------------

class BridgeProbeTest : public BridgeSignalsTest {
 protected:
  boost::asio::io_context io;
  CurlMulti curl{io};
  HeartbeatTracker heartbeats{clock};
  ProbeContext context{io, curl, heartbeats, clock, &signals};
  HealthSettings settings;  // defaults: k=3 of n=4, m=3

  static ProbeSpec bridgeSpec() {
    ProbeSpec s;
    s.name = "bridge";
    s.kind = "bridge";
    s.tokenFile = "/nonexistent/token";
    s.heartbeatTimeout = kGrace;
    return s;
  }
  PointConfig point() { return test::point("nghia-hanh", {bridgeSpec()}); }

  // One run of the real probe, 2 s after the previous one.
  std::optional<ProbeResult> runOnce(Probe& probe) {
    clock.advance(2s);
    std::optional<ProbeResult> out;
    bool called = false;
    probe.run([&](std::optional<ProbeResult> r) {
      called = true;
      out = std::move(r);
    });
    EXPECT_FALSE(called) << "done never runs inside run()";
    io.restart();
    io.run();
    EXPECT_TRUE(called);
    return out;
  }
};

TEST_F(BridgeProbeTest, ThreeLossyResultsMakeThePointDegradedWithTheLinksReason) {
  auto probe = ProbeKinds::builtin().make(point(), bridgeSpec(), context);
  PointState state(point(), settings, clock.now());
  EXPECT_FALSE(runOnce(*probe)) << "grace period, no session yet: nothing to judge";

  std::vector<PointState::Change> changes;
  for (int i = 0; i < 3; ++i) {
    signals.update(connected("w1", 1s, 30, 12.0));
    auto r = runOnce(*probe);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok);
    EXPECT_TRUE(r->slow);
    EXPECT_EQ(r->slowReason, "loss 12.0 %");
    EXPECT_EQ(r->reason, "");
    EXPECT_EQ(r->probe, "bridge");
    EXPECT_EQ(r->latency, 30ms);
    if (auto c = state.onResult(*r)) changes.push_back(*c);
    if (i < 2) {
      EXPECT_EQ(state.status(), PointStatus::Unknown);
    }
  }
  EXPECT_EQ(state.status(), PointStatus::Degraded);
  EXPECT_EQ(state.reason(), "đường truyền kém: loss 12.0 %");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, PointStatus::Degraded);
}

TEST_F(BridgeProbeTest, AnUpPointGoesDegradedAfterThreeSlowRoundTripsAndBackUp) {
  auto probe = ProbeKinds::builtin().make(point(), bridgeSpec(), context);
  PointState state(point(), settings, clock.now());
  auto feed = [&](double rttMs) {
    signals.update(connected("w1", 1s, rttMs));
    auto r = runOnce(*probe);
    ASSERT_TRUE(r);
    state.onResult(*r);
  };
  for (int i = 0; i < 3; ++i) feed(20);
  EXPECT_EQ(state.status(), PointStatus::Up);
  feed(450);
  feed(450);
  EXPECT_EQ(state.status(), PointStatus::Up) << "two slow reports are not yet a poor link";
  feed(450);
  EXPECT_EQ(state.status(), PointStatus::Degraded);
  EXPECT_EQ(state.reason(), "đường truyền kém: round trip 450 ms");
  for (int i = 0; i < 3; ++i) feed(20);
  EXPECT_EQ(state.status(), PointStatus::Up);
}

TEST_F(BridgeProbeTest, AViewerThatStoppedReportingMakesThePointDown) {
  auto probe = ProbeKinds::builtin().make(point(), bridgeSpec(), context);
  PointState state(point(), settings, clock.now());
  for (int i = 0; i < 3; ++i) {
    signals.update(connected("w1", 0s));
    auto r = runOnce(*probe);
    ASSERT_TRUE(r);
    state.onResult(*r);
  }
  // The reports stop: 2, 4 and 6 s since the last one are fine, 8, 10 and 12 s fail.
  signals.update(connected("w1", 0s));
  EXPECT_EQ(state.status(), PointStatus::Up);
  for (int i = 0; i < 6; ++i) {
    auto r = runOnce(*probe);
    ASSERT_TRUE(r);
    state.onResult(*r);
  }
  EXPECT_EQ(state.status(), PointStatus::Down);
  EXPECT_EQ(state.reason(), "no receiver report for 12 s");
}

TEST_F(BridgeProbeTest, WithoutTheBridgeTheProbeFailsSayingSo) {
  ProbeContext off{io, curl, heartbeats, clock, nullptr};
  auto probe = ProbeKinds::builtin().make(point(), bridgeSpec(), off);
  auto r = runOnce(*probe);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "the video bridge is off ([bridge] enabled = false)");
}

}  // namespace
}  // namespace ceremony::health
