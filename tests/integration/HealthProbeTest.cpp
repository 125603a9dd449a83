// The probers against the point simulator as a real process: what each misbehaviour
// looks like to an operator (the reason sentence), and that a hanging point costs its own
// timeout and nothing else.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <thread>

#include "HealthPeers.h"
#include "core/Clock.h"
#include "health/net/CurlMulti.h"
#include "health/net/ProbeScheduler.h"
#include "health/net/Probes.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using health::PointConfig;
using health::ProbeResult;
using health::ProbeSpec;

PointConfig httpPoint(const std::string& id, const std::string& url, Millis connectTimeout,
                      Millis timeout, const std::string& keyword = {}) {
  ProbeSpec spec;
  spec.name = "http";
  spec.kind = "http";
  spec.url = url;
  spec.connectTimeout = connectTimeout;
  spec.timeout = timeout;
  spec.bodyKeyword = keyword;
  PointConfig p;
  p.id = id;
  p.name = "Xã " + id;
  p.probes = {spec};
  return p;
}

PointConfig tcpPoint(const std::string& id, const std::string& host, int port,
                     Millis connectTimeout = 2000ms) {
  ProbeSpec spec;
  spec.name = "tcp";
  spec.kind = "tcp";
  spec.host = host;
  spec.port = port;
  spec.connectTimeout = connectTimeout;
  PointConfig p;
  p.id = id;
  p.probes = {spec};
  return p;
}

class HealthProbeTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  SystemClock clock;
  health::CurlMulti curl{io};
  health::HeartbeatTracker heartbeats{clock};
  health::ProbeContext context{io, curl, heartbeats, clock};
  health::ProbeKinds kinds = health::ProbeKinds::builtin();
  TempDir dir{"health-probe"};
};

TEST_F(HealthProbeTest, EachMisbehaviourGetsItsOwnReasonAndAHangCostsOnlyItsTimeout) {
  const int port = freePorts(1)[0];
  const auto at = [&](int i) { return pointAddress(i) + ":" + std::to_string(port); };
  const auto url = [&](int i) { return "http://" + at(i) + "/"; };
  PointSimulator sim(dir.path(),
                     "endpoint healthy " + at(0) + " healthy\n" +    //
                         "endpoint slow " + at(1) + " slow 300\n" +  //
                         "endpoint refusing " + at(2) + " refusing\n" + "endpoint hang " + at(3) +
                         " hang\n" +  //
                         "endpoint e500 " + at(4) + " http500\n",
                     5);

  std::vector<PointConfig> points = {
      httpPoint("healthy", url(0), 500ms, 800ms),
      httpPoint("slow", url(1), 500ms, 800ms),
      httpPoint("refusing", url(2), 500ms, 800ms),
      httpPoint("hang", url(3), 500ms, 800ms),
      httpPoint("e500", url(4), 500ms, 800ms),
      httpPoint("keyword", url(0), 500ms, 800ms, "Bình dân học vụ số"),
      httpPoint("keyword-ok", url(0), 500ms, 800ms, "OK healthy"),
  };
  points.push_back(tcpPoint("tcp-up", pointAddress(0), port));
  points.push_back(tcpPoint("tcp-down", pointAddress(2), port));

  health::HealthSettings settings;
  settings.interval = 5000ms;  // one round is all this test looks at
  settings.jitter = 50ms;
  std::map<std::string, ProbeResult> results;
  std::map<std::string, std::chrono::steady_clock::time_point> arrived;
  std::optional<health::ProbeScheduler::RoundSummary> round;
  health::ProbeScheduler scheduler(context, kinds, settings, points, [&](const ProbeResult& r) {
    results[r.pointId] = r;
    arrived[r.pointId] = std::chrono::steady_clock::now();
  });
  scheduler.onRoundDone([&](const auto& s) {
    if (!round) round = s;
  });
  const auto start = std::chrono::steady_clock::now();
  scheduler.start();
  ASSERT_TRUE(runUntil(io, 4s, [&] { return round.has_value(); }));

  ASSERT_EQ(results.size(), points.size());
  EXPECT_TRUE(results["healthy"].ok) << results["healthy"].reason;
  EXPECT_EQ(results["healthy"].httpStatus, 200);
  EXPECT_TRUE(results["healthy"].connect.has_value());
  EXPECT_TRUE(results["healthy"].firstByte.has_value());
  EXPECT_FALSE(results["healthy"].tls.has_value());  // plain http has no TLS step

  EXPECT_TRUE(results["slow"].ok);
  EXPECT_GE(results["slow"].latency, 290ms);  // the health monitor calls this degraded
  EXPECT_GE(*results["slow"].firstByte, 290ms);

  EXPECT_FALSE(results["refusing"].ok);
  EXPECT_EQ(results["refusing"].reason, "connection refused");
  EXPECT_FALSE(results["hang"].ok);
  EXPECT_EQ(results["hang"].reason, "no answer within 800 ms");
  EXPECT_GE(results["hang"].latency, 790ms);
  EXPECT_FALSE(results["e500"].ok);
  EXPECT_EQ(results["e500"].reason, "HTTP 500");
  EXPECT_EQ(results["e500"].httpStatus, 500);
  EXPECT_FALSE(results["keyword"].ok);
  EXPECT_EQ(results["keyword"].reason, "keyword «Bình dân học vụ số» not found");
  EXPECT_TRUE(results["keyword-ok"].ok) << results["keyword-ok"].reason;
  EXPECT_TRUE(results["tcp-up"].ok) << results["tcp-up"].reason;
  EXPECT_EQ(results["tcp-down"].reason, "connection refused");

  // The hang cost its own 800 ms; everyone else answered long before it.
  const auto hangDone = arrived["hang"] - start;
  EXPECT_LT(arrived["healthy"] - start, 300ms);
  EXPECT_LT(arrived["refusing"] - start, 300ms);
  EXPECT_LT(arrived["e500"] - start, 300ms);
  EXPECT_LT(hangDone, 1100ms);
  // The whole round took about the longest timeout, not the sum of them.
  EXPECT_LT(round->wall, 880ms);  // 1.1 × 800 ms
  EXPECT_EQ(round->started, points.size());
  EXPECT_EQ(round->failed, 5u);  // refusing, hang, e500, keyword, tcp-down
  EXPECT_EQ(curl.running(), 0u);
  EXPECT_EQ(curl.watchedSockets(), 0u);  // every socket curl opened was handed back
}

// A listener whose accept queue is full and never drained drops further SYNs: on loopback
// that is what a point behind a dead line looks like (no answer at all, not a refusal).
class BlackHole {
 public:
  BlackHole() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 0) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("black hole: cannot listen");
    port_ = ntohs(a.sin_port);
    for (int i = 0; i < 4; ++i) {  // fill the queue
      const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      (void)::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers_.push_back(c);
    }
    std::this_thread::sleep_for(50ms);  // let the handshakes land in the queue
  }
  ~BlackHole() {
    for (int c : fillers_) ::close(c);
    ::close(listener_);
  }
  int port() const { return port_; }

 private:
  int listener_ = -1, port_ = 0;
  std::vector<int> fillers_;
};

TEST_F(HealthProbeTest, HostsSpreadOverShardsAndAKeptAliveConnectionIsReused) {
  const int port = freePorts(1)[0];
  std::string spec;
  for (int i = 0; i < 5; ++i)
    spec += "endpoint h" + std::to_string(i) + " " + pointAddress(i) + ":" + std::to_string(port) +
            " healthy\n";
  PointSimulator sim(dir.path(), spec, 5);
  health::CurlMulti sharded(io, 2);  // two hosts a shard: five hosts take three
  int done = 0;
  auto fetch = [&](bool reuse) {
    auto answers = std::make_shared<std::vector<health::HttpResponse>>(5);
    for (int i = 0; i < 5; ++i) {
      health::HttpRequest r;
      r.url = "http://" + pointAddress(i) + ":" + std::to_string(port) + "/health";
      r.reuseConnection = reuse;
      r.timeout = 2000ms;
      sharded.start(r, [&done, answers, i](const health::HttpResponse& a) {
        (*answers)[i] = a;
        ++done;
      });
    }
    return answers;
  };
  auto first = fetch(true);
  ASSERT_TRUE(runUntil(io, 3s, [&] { return done == 5; }));
  auto second = fetch(true);
  ASSERT_TRUE(runUntil(io, 3s, [&] { return done == 10; }));
  auto fresh = fetch(false);
  ASSERT_TRUE(runUntil(io, 3s, [&] { return done == 15; }));
  EXPECT_EQ(sharded.shards(), 3u);
  for (int i = 0; i < 5; ++i) {
    const std::string body = "OK h" + std::to_string(i) + "\n";
    for (const auto* answers : {first.get(), second.get(), fresh.get()}) {
      EXPECT_EQ((*answers)[i].code, CURLE_OK) << (*answers)[i].error;
      EXPECT_EQ((*answers)[i].body, body) << "each host's answer reaches its own request";
    }
    EXPECT_TRUE((*first)[i].newConnection);
    EXPECT_FALSE((*second)[i].newConnection) << "h" << i << ": its kept-alive connection";
    EXPECT_TRUE((*fresh)[i].newConnection) << "reuse off: a fresh connection";
  }
}

TEST_F(HealthProbeTest, ConnectTimeoutIsNamedAndABusyProbeIsNotStartedTwice) {
  BlackHole hole;
  const auto url = "http://127.0.0.1:" + std::to_string(hole.port()) + "/";
  std::vector<PointConfig> points = {httpPoint("lost", url, 300ms, 1500ms),
                                     tcpPoint("lost-tcp", "127.0.0.1", hole.port(), 300ms)};
  health::HealthSettings settings;
  settings.interval = 200ms;  // shorter than the probe's timeout on purpose
  settings.jitter = 0ms;
  std::map<std::string, std::vector<ProbeResult>> results;
  health::ProbeScheduler scheduler(context, kinds, settings, points,
                                   [&](const ProbeResult& r) { results[r.pointId].push_back(r); });
  scheduler.start();
  ASSERT_TRUE(runUntil(io, 3s, [&] { return results.size() == 2; }));
  runFor(io, 100ms);
  const auto& lost = results["lost"].front();
  EXPECT_EQ(lost.reason, "connect timeout after 300 ms");
  EXPECT_GE(lost.latency, 290ms);
  EXPECT_LT(lost.latency, 600ms);
  EXPECT_EQ(results["lost-tcp"].front().reason, "connect timeout after 300 ms");
  // Rounds kept ticking while the probes hung, without starting them a second time.
  EXPECT_GE(scheduler.skippedBusy(), 2u);
  EXPECT_LE(results["lost"].size(), 2u);
}

TEST_F(HealthProbeTest, HeartbeatNeedsTheRightTokenAndGoesQuietAfterItsTimeout) {
  writeText(dir / "token", "s3cret-token\n");
  ProbeSpec spec;
  spec.name = spec.kind = "heartbeat";
  spec.heartbeatTimeout = 600ms;
  spec.tokenFile = (dir / "token").string();
  PointConfig lySon;
  lySon.id = "ly-son";
  lySon.probes = {spec};
  std::vector<PointConfig> points = {lySon};
  health::HealthSettings settings;
  settings.interval = 100ms;
  std::vector<ProbeResult> results;
  health::ProbeScheduler scheduler(context, kinds, settings, points,
                                   [&](const ProbeResult& r) { results.push_back(r); });
  scheduler.start();
  // The first grace period: no verdict at all, neither up nor down.
  runFor(io, 300ms);
  EXPECT_TRUE(results.empty());
  using Outcome = health::HeartbeatTracker::Outcome;
  EXPECT_EQ(heartbeats.onHeartbeat("ly-son", "s3cret-toke"), Outcome::BadToken);
  EXPECT_EQ(heartbeats.onHeartbeat("ly-son", "s3cret-token-and-more"), Outcome::BadToken);
  EXPECT_EQ(heartbeats.onHeartbeat("nowhere", "s3cret-token"), Outcome::UnknownPoint);
  EXPECT_EQ(heartbeats.onHeartbeat("ly-son", "s3cret-token"), Outcome::Accepted);
  ASSERT_TRUE(runUntil(io, 1s, [&] { return !results.empty(); }));
  EXPECT_TRUE(results.back().ok);
  // Silence: within the timeout plus a round the probe says so, in seconds.
  ASSERT_TRUE(runUntil(io, 2s, [&] { return !results.back().ok; }));
  EXPECT_EQ(results.back().reason, "no heartbeat for 1 s");  // 600-700 ms, rounded
}

}  // namespace
}  // namespace ceremony::testing
