// A connecting probe (http, tcp) of a point that keeps failing rests every other round
// (ProbeScheduler, Probe::restsWhileDown): a dead or hanging point is asked every two
// intervals. Its first good answer brings it back to every round. A probe that costs nothing
// (heartbeat, bridge) is never rested. The probes here are fakes that answer at once with
// what the test sets; the rounds are the scheduler's own, 40 ms apart.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "health/net/CurlMulti.h"
#include "health/net/ProbeScheduler.h"
#include "health/net/Probes.h"

namespace ceremony::health {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// What the fake points answer, and in which rounds each probe ran.
struct Script {
  std::map<std::string, bool> ok;                         // point id → its next answer
  std::map<std::string, std::vector<std::uint64_t>> ran;  // point id → rounds it ran in
  const ProbeScheduler* scheduler = nullptr;
};

class FakeProbe final : public Probe {
 public:
  FakeProbe(std::string point, bool connecting, Script& script, asio::io_context& io)
      : point_(std::move(point)), connecting_(connecting), script_(script), io_(io) {}
  void run(Done done) override {
    script_.ran[point_].push_back(script_.scheduler->rounds());
    ProbeResult r;
    r.pointId = point_;
    r.probe = "p";
    r.ok = script_.ok[point_];
    if (!r.ok) r.reason = "connection refused";
    asio::post(io_, [r, done = std::move(done)] { done(r); });
  }
  bool restsWhileDown() const override { return connecting_; }

 private:
  std::string point_;
  bool connecting_;
  Script& script_;
  asio::io_context& io_;
};

PointConfig pointOf(const std::string& id, const std::string& kind) {
  ProbeSpec spec;
  spec.name = "p";
  spec.kind = kind;
  PointConfig p;
  p.id = id;
  p.probes = {spec};
  return p;
}

class ProbeRestTest : public ::testing::Test {
 protected:
  asio::io_context io;
  SystemClock clock;
  CurlMulti curl{io};
  HeartbeatTracker heartbeats{clock};
  ProbeContext context{io, curl, heartbeats, clock};
  Script script;

  ProbeKinds fakeKinds() {
    ProbeKinds kinds;
    for (const bool connecting : {true, false})
      kinds.add(connecting ? "fake-tcp" : "fake-heartbeat",
                [this, connecting](const PointConfig& p, const ProbeSpec&, ProbeContext& c) {
                  return std::unique_ptr<Probe>(
                      std::make_unique<FakeProbe>(p.id, connecting, script, c.io));
                });
    return kinds;
  }

  // Runs the scheduler until it has begun `rounds` rounds (bounded: 40 ms a round).
  void runRounds(ProbeScheduler& scheduler, std::uint64_t rounds) {
    const auto deadline = Steady::now() + 40ms * rounds + 3s;
    while (scheduler.rounds() < rounds && Steady::now() < deadline) {
      io.restart();
      io.run_for(5ms);
    }
    ASSERT_GE(scheduler.rounds(), rounds) << "the rounds did not come in time";
  }
};

TEST_F(ProbeRestTest, AFailingConnectingProbeRestsEveryOtherRoundAndComesBackAtItsFirstGoodAnswer) {
  HealthSettings settings;  // down_after 3
  settings.interval = 40ms;
  settings.jitter = 0ms;
  const std::vector<PointConfig> points = {
      pointOf("dead", "fake-tcp"), pointOf("quiet", "fake-heartbeat"), pointOf("fine", "fake-tcp")};
  script.ok = {{"dead", false}, {"quiet", false}, {"fine", true}};
  ProbeScheduler scheduler(context, fakeKinds(), settings, points, nullptr);
  script.scheduler = &scheduler;
  scheduler.start();
  runRounds(scheduler, 11);

  // Three failures in a row (rounds 1–3), then every other round: 5, 7, 9, 11.
  EXPECT_EQ(script.ran["dead"], (std::vector<std::uint64_t>{1, 2, 3, 5, 7, 9, 11}));
  EXPECT_EQ(script.ran["quiet"].size(), 11u);  // costs nothing: never rested
  EXPECT_EQ(script.ran["fine"].size(), 11u);
  EXPECT_EQ(scheduler.rested(), 4u);  // rounds 4, 6, 8, 10

  // The point comes back: it rests round 12, answers in round 13, and from then on it is
  // asked every round again (its up_after good answers one interval apart, as before).
  script.ok["dead"] = true;
  runRounds(scheduler, 16);
  scheduler.stop();
  EXPECT_EQ(script.ran["dead"], (std::vector<std::uint64_t>{1, 2, 3, 5, 7, 9, 11, 13, 14, 15, 16}));
}

TEST_F(ProbeRestTest, HttpAndTcpProbesRestWhileDownHeartbeatsDoNot) {
  const auto kinds = ProbeKinds::builtin();
  auto make = [&](const std::string& kind) {
    PointConfig p = pointOf("nghia-hanh", kind);
    ProbeSpec& spec = p.probes.front();
    spec.url = "http://127.0.0.1:9/";
    spec.host = "127.0.0.1";
    spec.port = 9;
    return kinds.make(p, spec, context);
  };
  EXPECT_TRUE(make("http")->restsWhileDown());
  EXPECT_TRUE(make("https")->restsWhileDown());
  EXPECT_TRUE(make("tcp")->restsWhileDown());
  EXPECT_FALSE(make("heartbeat")->restsWhileDown());  // judged from what came in
}

}  // namespace
}  // namespace ceremony::health
