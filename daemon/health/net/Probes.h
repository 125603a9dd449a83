#pragma once
// The kinds of probe a connection point can have, and the probers behind them.
//
// A kind is one entry in ProbeKinds: a name ("http", "tcp", ...) and a factory that
// turns a point's ProbeSpec into a Probe. Adding a kind (the bridge's SRT caller
// statistics, say) is one add() call; the scheduler and HealthMonitor do not change.
//
// Built-in kinds:
//  - http / https: one GET through CurlMulti with the spec's connect and total timeouts;
//    ok when the status matches expectStatus (0 = any 2xx/3xx) and the body (first
//    64 KiB) holds bodyKeyword; latency broken down into connect / TLS / first byte.
//  - tcp: an asio connect to host:port within connectTimeout.
//  - heartbeat: push, for points behind NAT. The point POSTs to
//    `/api/points/{id}/heartbeat` with its own token; the HTTP route (another issue)
//    calls HeartbeatTracker::onHeartbeat(id, token) and answers 204 for Accepted,
//    404 for UnknownPoint and 401 for BadToken. The probe fails with
//    "no heartbeat for N s" once nothing arrived for heartbeatTimeout.
//  - bridge: the point watches the ceremony over the video bridge with its own token
//    (token_file). Judged from BridgeSignals: a connected session whose viewer's receiver
//    reports keep coming is up; loss or round trip over the thresholds counts as slow
//    (degraded after a few); no session, or no report for a few seconds, fails. Before the
//    first session the point has heartbeatTimeout of grace.

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Clock.h"
#include "health/BridgeSignals.h"
#include "health/HealthConfig.h"
#include "health/ProbeResult.h"
#include "health/net/CurlMulti.h"

namespace ceremony::health {

// Who pushed a heartbeat lately. Lives on the io_context thread like the rest of health.
class HeartbeatTracker {
 public:
  enum class Outcome { Accepted, UnknownPoint, BadToken };

  explicit HeartbeatTracker(const Clock& clock) : clock_(clock) {}

  // Starts waiting for `pointId`'s heartbeats, signed with `token`. The grace period
  // (no heartbeat yet) counts from here.
  void expect(const std::string& pointId, std::string token);
  // What the HTTP route calls. The token is compared in constant time and never logged.
  Outcome onHeartbeat(std::string_view pointId, std::string_view token);

  std::optional<WallTime> lastHeartbeat(const std::string& pointId) const;
  // Last heartbeat, or when we started waiting if none came yet.
  std::optional<WallTime> lastSign(const std::string& pointId) const;
  const Clock& clock() const { return clock_; }

 private:
  struct Expected {
    std::string token;
    WallTime since;
    std::optional<WallTime> last;
  };
  const Clock& clock_;
  std::map<std::string, Expected, std::less<>> points_;
};

// What a probe needs from the daemon.
struct ProbeContext {
  boost::asio::io_context& io;
  CurlMulti& curl;
  HeartbeatTracker& heartbeats;
  const Clock& clock;
  BridgeSignals* bridge = nullptr;  // null: no video bridge in this daemon
};

// One probe of one point, run once per round. The scheduler never calls run() while the
// previous run has not called `done`. Destroying a Probe abandons a running check: `done`
// is then never called.
class Probe {
 public:
  // nullopt: nothing to judge yet (a heartbeat point still in its first grace period).
  using Done = std::function<void(std::optional<ProbeResult>)>;
  virtual ~Probe() = default;
  // `done` runs exactly once, on the io_context, never inside run(), within about the
  // spec's timeout.
  virtual void run(Done done) = 0;
  // True for a probe that costs the point and the daemon a connection (http, tcp): while it
  // keeps failing, ProbeScheduler runs it every other round only. Probes judged from what
  // the daemon already knows (heartbeat, bridge) cost nothing and run every round.
  virtual bool restsWhileDown() const { return false; }
};

using ProbeFactory =
    std::function<std::unique_ptr<Probe>(const PointConfig&, const ProbeSpec&, ProbeContext&)>;

class ProbeKinds {
 public:
  // http, https, tcp, heartbeat, bridge.
  static ProbeKinds builtin();

  void add(std::string kind, ProbeFactory factory);
  bool has(std::string_view kind) const;
  std::vector<std::string> kinds() const;
  // Throws std::invalid_argument naming the point and the unknown kind.
  std::unique_ptr<Probe> make(const PointConfig& point, const ProbeSpec& spec,
                              ProbeContext& context) const;

 private:
  std::map<std::string, ProbeFactory, std::less<>> factories_;
};

// The sentence a failed HTTP transfer gets ("connection refused", "connect timeout after
// 2000 ms", "HTTP 503", "keyword «…» not found"); empty when the response is good.
std::string httpVerdict(const ProbeSpec& spec, const HttpResponse& response);

}  // namespace ceremony::health
