// 96 connection points served by the point simulator (a real process), probed by
// ProbeScheduler + CurlMulti on one io_context, judged by HealthMonitor, alerts POSTed by
// WebhookNotifier to a receiver: what the operators would see, and how fast.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "HealthPeers.h"
#include "core/Clock.h"
#include "health/HealthMonitor.h"
#include "health/net/CurlMulti.h"
#include "health/net/ProbeScheduler.h"
#include "health/net/Probes.h"
#include "health/net/WebhookNotifier.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using health::PointStatus;
using Steady = std::chrono::steady_clock;

std::string pid(int i) {
  char b[8];
  std::snprintf(b, sizeof b, "p%03d", i);
  return b;
}

// Records every state change with the steady time it happened at.
struct Watcher : health::HealthMonitor::Listener {
  struct Change {
    std::string point;
    PointStatus from, to;
    std::string reason;
    Steady::time_point at;
  };
  std::vector<Change> changes;
  int uplinkRaised = 0;
  health::WebhookNotifier* webhook = nullptr;

  void onHealthEvent(const health::HealthEvent& e) override {
    if (e.kind == health::EventKind::UplinkRaised) ++uplinkRaised;
    if (e.kind != health::EventKind::PointChanged) return;
    changes.push_back({e.pointId, e.from, e.to, e.reason, Steady::now()});
  }
  void onAlert(const health::HealthEvent&, const nlohmann::json& body) override {
    if (webhook) webhook->send(body);
  }
  int changesOf(const std::string& point, Steady::time_point after = {}) const {
    int n = 0;
    for (const auto& c : changes) n += c.point == point && c.at >= after;
    return n;
  }
  std::optional<Steady::time_point> reached(const std::string& point, PointStatus s,
                                            Steady::time_point after) const {
    for (const auto& c : changes)
      if (c.point == point && c.to == s && c.at >= after) return c.at;
    return std::nullopt;
  }
};

TEST(HealthPointsTest, NinetySixPointsReachTheirStatesInTimeAndSixtyDroppingRaiseOneAlarm) {
  TempDir dir("health-points");
  boost::asio::io_context io;
  SystemClock clock;
  health::CurlMulti curl(io);
  health::HeartbeatTracker heartbeats(clock);

  // The heartbeat route of the control API, as the API issue will wire it.
  HttpReceiver heartbeatRoute(io, [&](const HttpReceiver::Request& r) -> unsigned {
    const std::string prefix = "/api/points/", suffix = "/heartbeat";
    if (r.method != "POST" || r.target.rfind(prefix, 0) != 0) return 404;
    const auto id = r.target.substr(prefix.size(), r.target.size() - prefix.size() - suffix.size());
    const std::string bearer = "Bearer ";
    const auto token = r.authorization.rfind(bearer, 0) == 0 ? r.authorization.substr(bearer.size())
                                                             : std::string();
    switch (heartbeats.onHeartbeat(id, token)) {
      case health::HeartbeatTracker::Outcome::Accepted:
        return 204;
      case health::HeartbeatTracker::Outcome::UnknownPoint:
        return 404;
      default:
        return 401;
    }
  });
  HttpReceiver webhookReceiver(io, [](const HttpReceiver::Request&) { return 200u; });

  // --- the 96 points ----------------------------------------------------------------
  // The port is free on 127.0.0.1 when chosen, and bound on 96 addresses later: another test
  // running beside this one may hold it on one of them by then, so a refused one is chosen
  // again (at most three times).
  int port = freePorts(1)[0];
  const auto at = [&](int i) { return pointAddress(i) + ":" + std::to_string(port); };
  std::map<int, std::string> behaviour;
  for (int i = 0; i < 96; ++i) behaviour[i] = "healthy";
  behaviour[61] = "slow 300";
  behaviour[62] = "refusing";
  behaviour[63] = "hang";
  behaviour[64] = "http500";
  const std::set<int> heartbeatPoints = {66, 67, 68};
  const auto specFor = [&] {
    std::string spec;
    for (int i = 0; i < 96; ++i)
      if (!heartbeatPoints.count(i))
        spec += "endpoint " + pid(i) + " " + at(i) + " " + behaviour[i] + "\n";
    for (int i : heartbeatPoints) {
      const std::string token = i == 68 ? "wrong-token" : "token-" + pid(i);
      spec += "heartbeat " + pid(i) + " " +
              heartbeatRoute.url("/api/points/" + pid(i) + "/heartbeat") + " 200 0 " + token + "\n";
    }
    return spec;
  };
  std::unique_ptr<PointSimulator> simulator;
  for (int attempt = 1; !simulator; ++attempt) {
    try {
      simulator = std::make_unique<PointSimulator>(dir.path(), specFor(),
                                                   96 - static_cast<int>(heartbeatPoints.size()));
    } catch (const std::runtime_error& e) {
      if (attempt == 3 || std::string(e.what()).find("Address already in use") == std::string::npos)
        throw;
      port = freePorts(1)[0];
    }
  }
  PointSimulator& sim = *simulator;

  health::HealthConfig config;
  auto& s = config.settings;
  s.interval = 500ms;
  s.jitter = 250ms;
  s.degradedLatency = 200ms;
  s.alertHold = 1000ms;
  s.uplinkWindow = 5000ms;
  s.webhookUrl = webhookReceiver.url("/alerts");
  for (int i = 0; i < 96; ++i) {
    health::PointConfig p;
    p.id = pid(i);
    p.name = "Xã điểm cầu " + std::to_string(i);
    p.kind = "xã";
    p.contactName = "Nguyễn Văn " + std::to_string(i);
    p.contactPhone = "0905 000 " + std::to_string(100 + i);
    health::ProbeSpec probe;
    if (heartbeatPoints.count(i)) {
      probe.name = probe.kind = "heartbeat";
      probe.heartbeatTimeout = 1500ms;
      probe.tokenFile = (dir / ("token-" + pid(i))).string();
      writeText(probe.tokenFile, "token-" + pid(i) + "\n");
    } else {
      probe.name = probe.kind = "http";
      probe.url = "http://" + at(i) + "/";
      probe.connectTimeout = 300ms;
      probe.timeout = 400ms;
    }
    p.probes = {probe};
    config.points.push_back(p);
  }

  health::HealthMonitor monitor(config, clock.now());
  health::WebhookNotifier webhook(io, curl, health::WebhookSettings::from(s));
  Watcher watcher;
  watcher.webhook = &webhook;
  monitor.addListener(&watcher);
  health::ProbeContext context{io, curl, heartbeats, clock};
  health::ProbeScheduler scheduler(context, health::ProbeKinds::builtin(), s, config.points,
                                   [&](const health::ProbeResult& r) { monitor.onProbeResult(r); });
  boost::asio::steady_timer ticker(io);
  std::function<void()> tick = [&] {
    monitor.tick(clock.now());
    ticker.expires_after(200ms);
    ticker.async_wait([&](auto ec) {
      if (!ec) tick();
    });
  };
  tick();
  std::optional<health::ProbeScheduler::RoundSummary> lastRound;
  scheduler.onRoundDone([&](const auto& r) { lastRound = r; });
  scheduler.start();
  const auto status = [&](int i) { return monitor.status(pid(i)).value_or(PointStatus::Unknown); };

  // --- 1. everyone settles -----------------------------------------------------------
  const auto expected = [&](int i) {
    if (i == 61) return PointStatus::Degraded;
    if (i == 62 || i == 63 || i == 64 || i == 68) return PointStatus::Down;
    return PointStatus::Up;
  };
  const auto settled = [&] {
    for (int i = 0; i < 96; ++i)
      if (status(i) != expected(i)) return false;
    return true;
  };
  // Down needs 3 results, the bad-token heartbeat waits out its 1.5 s grace first.
  const bool allSettled = runUntil(io, 8s, settled);
  for (int i = 0; i < 96; ++i)
    EXPECT_EQ(status(i), expected(i)) << pid(i) << " (" << behaviour[i] << ")";
  ASSERT_TRUE(allSettled);
  // The hanging point costs its 400 ms, never the round: rounds finish within 1.1 × timeout
  // after the last launch (jitter 250 ms).
  ASSERT_TRUE(lastRound.has_value());
  EXPECT_LT(lastRound->wall, 250ms + 440ms);
  EXPECT_EQ(scheduler.skippedBusy(), 0u);
  const auto reasonOf = [&](int i) { return monitor.point(pid(i))->reason; };
  EXPECT_NE(reasonOf(62).find("connection refused"), std::string::npos) << reasonOf(62);
  EXPECT_NE(reasonOf(63).find("no answer within 400 ms"), std::string::npos) << reasonOf(63);
  EXPECT_NE(reasonOf(64).find("HTTP 500"), std::string::npos) << reasonOf(64);
  EXPECT_NE(reasonOf(68).find("no heartbeat"), std::string::npos) << reasonOf(68);
  int rejected = 0;
  for (const auto& r : heartbeatRoute.requests())
    rejected += r.target.find("p068") != std::string::npos;
  EXPECT_GT(rejected, 3);

  // --- 2. one point dies; one starts flapping ----------------------------------------
  ASSERT_EQ(sim.command("set p060 refusing"), "ok");
  ASSERT_EQ(sim.command("set p065 flapping 1000"), "ok");  // good, bad, good, bad ...
  const auto killed = Steady::now();
  ASSERT_TRUE(runUntil(io, 4s, [&] { return status(60) == PointStatus::Down; }));
  const auto detection = *watcher.reached(pid(60), PointStatus::Down, killed) - killed;
  EXPECT_LE(detection, 3 * s.interval + 300ms) << "dead point must be red within ~3 intervals";
  // Its alert reaches the webhook after the hold, naming whom to call.
  const auto alertFor = [&](const std::string& point, const std::string& to) {
    for (const auto& r : webhookReceiver.requests()) {
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_object() && j.value("type", "") == "point_state" && j["point"]["id"] == point &&
          j.value("to", "") == to)
        return std::optional<nlohmann::json>(j);
    }
    return std::optional<nlohmann::json>();
  };
  ASSERT_TRUE(runUntil(io, 3s, [&] { return alertFor(pid(60), "down").has_value(); }));
  const auto alert = *alertFor(pid(60), "down");
  EXPECT_EQ(alert["point"]["contact_name"], "Nguyễn Văn 60");
  EXPECT_EQ(alert["point"]["contact_phone"], "0905 000 160");
  EXPECT_NE(alert.value("reason", "").find("connection refused"), std::string::npos) << alert;

  // Flapping for 4 more seconds: struggling, but it must not blink up/down every probe.
  runFor(io, 4s);
  EXPECT_LE(watcher.changesOf(pid(65), killed), 2) << "flapping point blinks";
  EXPECT_EQ(status(65), PointStatus::Degraded);
  EXPECT_FALSE(watcher.reached(pid(65), PointStatus::Down, killed).has_value());

  // --- 3. a heartbeat sender stops ---------------------------------------------------
  ASSERT_EQ(sim.command("heartbeat-stop p066"), "ok");
  const auto silenced = Steady::now();
  ASSERT_TRUE(runUntil(io, 6s, [&] { return status(66) == PointStatus::Down; }));
  const auto quiet = *watcher.reached(pid(66), PointStatus::Down, silenced) - silenced;
  EXPECT_GE(quiet, 1500ms);  // not before its heartbeat timeout
  EXPECT_LE(quiet, 1500ms + 3 * s.interval + 300ms);
  EXPECT_EQ(status(67), PointStatus::Up);  // the other sender is still heard

  // --- 4. 60 of 96 drop at once: one uplink alarm, not 60 alerts ---------------------
  std::string sixty;
  for (int i = 0; i < 60; ++i) sixty += (i ? "," : "") + pid(i);
  const auto alertsBefore = webhookReceiver.requests().size();
  ASSERT_EQ(sim.command("set " + sixty + " refusing"), "ok");
  const auto dropped = Steady::now();
  ASSERT_TRUE(runUntil(io, 6s, [&] { return monitor.uplinkAlarm(); }));
  EXPECT_LE(Steady::now() - dropped, 3 * s.interval + 1s);
  // Let held alerts run out: none of the sixty may be alerted on its own.
  runFor(io, s.alertHold + 1500ms);
  int uplinkAlerts = 0, pointAlerts = 0;
  for (std::size_t k = alertsBefore; k < webhookReceiver.requests().size(); ++k) {
    auto j = nlohmann::json::parse(webhookReceiver.requests()[k].body, nullptr, false);
    if (j.value("type", "") == "uplink_alarm" && j.value("active", false)) {
      ++uplinkAlerts;
      EXPECT_GE(j["points"].size(), 48u);
      EXPECT_TRUE(j["points"][0].contains("contact_phone"));
    }
    if (j.value("type", "") == "point_state") {
      const std::string id = j["point"]["id"];
      pointAlerts += id < pid(60);
    }
  }
  EXPECT_EQ(uplinkAlerts, 1);
  EXPECT_EQ(pointAlerts, 0);
  EXPECT_EQ(watcher.uplinkRaised, 1);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(status(i), PointStatus::Down) << pid(i);
  for (int i = 70; i < 96; ++i) EXPECT_EQ(status(i), PointStatus::Up) << pid(i);
  EXPECT_EQ(webhook.dropped(), 0u);

  // --- 5. the line comes back: one message that it did, one for the point still down ------
  // 46 come back at once; 13 a second later (slower routers, a probe still timing out), after
  // the alarm has cleared; p00 stays down (its own problem). The phone must not get "still
  // down" and then "back up" for the 13.
  std::string early, late;
  for (int i = 1; i <= 46; ++i) early += (i > 1 ? "," : "") + pid(i);
  for (int i = 47; i < 60; ++i) late += (i > 47 ? "," : "") + pid(i);
  const auto alertsBeforeReturn = webhookReceiver.requests().size();
  ASSERT_EQ(sim.command("set " + early + " healthy"), "ok");
  runFor(io, 1000ms);
  ASSERT_EQ(sim.command("set " + late + " healthy"), "ok");
  ASSERT_TRUE(runUntil(io, 10s, [&] { return !monitor.uplinkAlarm(); }));
  // Everything that will be said has been said once the 13 are up, p00 is past its recovery
  // time and the held alerts have gone out.
  ASSERT_TRUE(runUntil(io, 10s, [&] {
    for (int i = 1; i < 60; ++i)
      if (status(i) != PointStatus::Up) return false;
    return true;
  }));
  runFor(io, s.interval * 4 + s.jitter + s.alertHold + 1s);
  int cleared = 0;
  std::set<std::string> toldStillDown;
  std::string others;  // a message for a point that is up again: the needless kind
  for (std::size_t k = alertsBeforeReturn; k < webhookReceiver.requests().size(); ++k) {
    auto j = nlohmann::json::parse(webhookReceiver.requests()[k].body, nullptr, false);
    if (j.value("type", "") == "uplink_alarm" && !j.value("active", true)) ++cleared;
    if (j.value("type", "") != "point_state") continue;
    const std::string id = j["point"]["id"];
    const int index = std::stoi(id.substr(1));
    if (j.value("reason", "").find("vẫn mất kết nối") != std::string::npos &&
        status(index) == PointStatus::Down && toldStillDown.insert(id).second)
      continue;
    others += id + ": " + j.value("reason", "") + "\n";
  }
  EXPECT_EQ(cleared, 1);
  // p00, and p066 (its heartbeats stopped in step 3), are still down: each told once.
  EXPECT_EQ(toldStillDown, (std::set<std::string>{pid(0), pid(66)}));
  EXPECT_EQ(others, "") << "points back within the recovery time are not news";
  EXPECT_EQ(status(0), PointStatus::Down);
  EXPECT_EQ(webhook.dropped(), 0u);
}

TEST(HealthWebhookTest, RetriesWithBackoffInOrderWithoutHoldingUpProbes) {
  boost::asio::io_context io;
  health::CurlMulti curl(io);
  int answered = 0;
  HttpReceiver receiver(io, [&](const HttpReceiver::Request& r) -> unsigned {
    if (r.target != "/hook") return 200;
    return ++answered <= 2 ? 503 : 200;  // the receiver is busy twice
  });
  health::WebhookSettings settings;
  settings.url = receiver.url("/hook");
  settings.bearerToken = "hook-secret";
  settings.backoff = 100ms;
  settings.retries = 3;
  health::WebhookNotifier webhook(io, curl, settings);
  webhook.send({{"seq", 1}});
  webhook.send({{"seq", 2}});
  // Meanwhile another transfer on the same CurlMulti (a probe) is served at once.
  std::optional<Steady::duration> probeTook;
  const auto probeStart = Steady::now();
  health::HttpRequest probe;
  probe.url = receiver.url("/probe");
  curl.start(probe, [&](const health::HttpResponse&) { probeTook = Steady::now() - probeStart; });
  ASSERT_TRUE(runUntil(io, 3s, [&] { return webhook.delivered() == 2; }));
  ASSERT_TRUE(probeTook.has_value());
  EXPECT_LT(*probeTook, 100ms);
  std::vector<int> order;
  std::vector<Steady::time_point> times;
  for (const auto& r : receiver.requests()) {
    if (r.target != "/hook") continue;
    order.push_back(nlohmann::json::parse(r.body)["seq"]);
    times.push_back(r.at);
    EXPECT_EQ(r.authorization, "Bearer hook-secret");
  }
  // Alert 1 tried three times (503, 503, 200) before alert 2 went out, with growing waits.
  EXPECT_EQ(order, (std::vector<int>{1, 1, 1, 2}));
  ASSERT_EQ(times.size(), 4u);
  EXPECT_GE(times[1] - times[0], 95ms);
  EXPECT_GE(times[2] - times[1], 195ms);
  EXPECT_EQ(webhook.dropped(), 0u);
  EXPECT_EQ(webhook.attempts(), 4u);

  // A receiver that is gone: retries, then the alert is dropped, never blocking forever.
  health::WebhookSettings gone;
  gone.url = "http://127.0.0.1:" + std::to_string(freePorts(1)[0]) + "/hook";
  gone.backoff = 50ms;
  gone.retries = 2;
  health::WebhookNotifier lost(io, curl, gone);
  lost.send({{"seq", 3}});
  ASSERT_TRUE(runUntil(io, 3s, [&] { return lost.dropped() == 1; }));
  EXPECT_EQ(lost.attempts(), 3u);  // the first try and two retries
  EXPECT_EQ(lost.pending(), 0u);
}

}  // namespace
}  // namespace ceremony::testing
