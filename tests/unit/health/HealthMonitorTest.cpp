// The monitor as the daemon uses it: events and alerts, the uplink alarm instead of a
// flood, maintenance, restarts, and what /metrics, the API and systemd show.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "HealthTestSupport.h"
#include "health/HealthMonitor.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;

struct Recorder : HealthMonitor::Listener {
  std::vector<HealthEvent> events;
  std::vector<std::pair<HealthEvent, nlohmann::json>> alerts;
  void onHealthEvent(const HealthEvent& e) override { events.push_back(e); }
  void onAlert(const HealthEvent& e, const nlohmann::json& body) override {
    alerts.emplace_back(e, body);
  }
  int alertsOfType(const std::string& type) const {
    return int(std::count_if(alerts.begin(), alerts.end(),
                             [&](const auto& a) { return a.second["type"] == type; }));
  }
};

HealthConfig pointsConfig(int n) {
  HealthConfig c;
  for (int i = 1; i <= n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "p%02d", i);
    c.points.push_back(test::point(id));
  }
  return c;
}

class HealthMonitorTest : public ::testing::Test {
 protected:
  WallTime t0 = test::ceremonyStart();
  WallTime now = t0;
  Recorder rec;

  // One probe round: every listed point answers (ok or not), then 2 s pass with ticks.
  void round(HealthMonitor& m, const std::function<bool(int)>& ok, int n) {
    for (int i = 1; i <= n; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p%02d", i);
      m.onProbeResult(ok(i) ? test::good(id, now) : test::bad(id, now, "connection refused"));
    }
    for (int s = 0; s < 2; ++s) m.tick(now += 1s);
  }
};

TEST_F(HealthMonitorTest, StateChangeIsAnEventWithTimeStatesAndReason) {
  HealthMonitor m(pointsConfig(1), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 1);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return false; }, 1);
  ASSERT_EQ(rec.events.size(), 2u);
  const auto& down = rec.events[1];
  EXPECT_EQ(down.pointId, "p01");
  EXPECT_EQ(down.from, PointStatus::Up);
  EXPECT_EQ(down.to, PointStatus::Down);
  EXPECT_EQ(down.reason, "connection refused");
  EXPECT_EQ(down.at, t0 + 10s);
  auto snap = m.point("p01");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->history.size(), 2u);
  EXPECT_EQ(snap->status, PointStatus::Down);
  EXPECT_EQ(snap->since, t0 + 10s);
}

TEST_F(HealthMonitorTest, FirstUpIsNotAlertedDownIsAfterTheHold) {
  HealthMonitor m(pointsConfig(1), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 1);
  EXPECT_TRUE(rec.alerts.empty()) << "96 'up' alerts at start-up would be noise";
  for (int i = 0; i < 2; ++i)
    round(
        m, [](int) { return false; }, 1);
  m.onProbeResult(test::bad("p01", now, "HTTP 503"));  // third failure: down at `now`
  const WallTime downAt = now;
  ASSERT_EQ(m.status("p01"), PointStatus::Down);
  EXPECT_TRUE(rec.alerts.empty());
  m.tick(downAt + 2999ms);
  EXPECT_TRUE(rec.alerts.empty()) << "held 3 s in case the uplink is going";
  m.tick(downAt + 3s);
  ASSERT_EQ(rec.alerts.size(), 1u);
  const auto& body = rec.alerts[0].second;
  EXPECT_EQ(body["type"], "point_state");
  EXPECT_EQ(body["to"], "down");
  EXPECT_EQ(body["reason"], "HTTP 503");
  EXPECT_EQ(body["point"]["contact_phone"], "0900 000 001");
  EXPECT_EQ(body["point"]["contact_name"], "Cán bộ p01");
}

TEST_F(HealthMonitorTest, UplinkDropRaisesOneAlarmInsteadOfManyAlerts) {
  HealthMonitor m(pointsConfig(20), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 20);
  ASSERT_EQ(m.counts().up, 20);
  // 12 of 20 stop answering at once (the provincial line); p13..p20 keep going.
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int p) { return p > 12; }, 20);
  EXPECT_EQ(m.counts().down, 12);
  EXPECT_TRUE(m.uplinkAlarm());
  EXPECT_EQ(rec.alertsOfType("uplink_alarm"), 1);
  EXPECT_EQ(rec.alertsOfType("point_state"), 0) << "the 12 point alerts are suppressed";
  const auto& alarm = std::find_if(rec.alerts.begin(), rec.alerts.end(), [](const auto& a) {
                        return a.second["type"] == "uplink_alarm";
                      })->second;
  EXPECT_EQ(alarm["active"], true);
  EXPECT_EQ(alarm["count"], 10) << "raised when the 10th went down (50% of 20)";
  EXPECT_NE(alarm["text"].get<std::string>().find("Mất kết nối đường truyền tỉnh / uplink"),
            std::string::npos);
  EXPECT_EQ(m.uplinkPoints().size(), 12u) << "later drops join the alarm";
  EXPECT_TRUE(m.point("p01")->coveredByUplink);
  const auto p01 = m.point("p01");
  for (const auto& e : p01->history) {
    if (e.to == PointStatus::Down) {
      EXPECT_TRUE(e.suppressed);
    }
  }

  // The line comes back for all but p01 and p02.
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int p) { return p > 2; }, 20);
  EXPECT_FALSE(m.uplinkAlarm());
  EXPECT_EQ(rec.alertsOfType("uplink_alarm"), 2);
  // Not yet "still down": a recovery time (up_after + 1 rounds and the jitter) has not passed.
  EXPECT_EQ(rec.alertsOfType("point_state"), 0);
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int p) { return p > 2; }, 20);
  // No "up" alerts for the recovered ones; one "still down" each for p01 and p02.
  EXPECT_EQ(rec.alertsOfType("point_state"), 2);
  for (const auto& [e, body] : rec.alerts) {
    if (body["type"] != "point_state") continue;
    EXPECT_TRUE(e.pointId == "p01" || e.pointId == "p02");
    EXPECT_NE(body["reason"].get<std::string>().find("vẫn mất kết nối"), std::string::npos);
  }
}

// As a new user tried it: 96 points, the line cut for 15 s under 71 of them. When it comes
// back, 17 of the 71 need a round more than the others (a probe still timing out): the alarm
// clears without them. They must not be called still down and then back up a moment later;
// a point that really stays down is told once.
TEST_F(HealthMonitorTest, PointsSlowerToComeBackAfterTheLineAreNotCalledStillDown) {
  HealthMonitor m(pointsConfig(96), t0);
  m.addListener(&rec);
  auto run = [&](int rounds, const std::function<bool(int)>& ok) {
    for (int i = 0; i < rounds; ++i) round(m, ok, 96);
  };
  run(3, [](int) { return true; });
  ASSERT_EQ(m.counts().up, 96);
  const auto cut = [](int p) { return p > 71; };  // p01..p71 behind the cut line
  run(8, cut);                                    // 16 s
  ASSERT_TRUE(m.uplinkAlarm());
  ASSERT_EQ(m.counts().down, 71);
  // Back: p01..p17 answer one round late; p71 stays down for good (its own problem).
  run(1, [](int p) { return p > 17 && p != 71; });
  run(10, [](int p) { return p != 71; });
  EXPECT_FALSE(m.uplinkAlarm());
  EXPECT_EQ(m.counts().down, 1);
  EXPECT_EQ(rec.alertsOfType("uplink_alarm"), 2);  // raised, cleared
  std::vector<std::string> told;
  for (const auto& [e, body] : rec.alerts)
    if (body["type"] == "point_state") told.push_back(e.pointId);
  EXPECT_EQ(told, std::vector<std::string>{"p71"})
      << "messages to the phone: " << rec.alerts.size();
  for (const auto& [e, body] : rec.alerts) {
    if (e.pointId == "p71") {
      EXPECT_NE(body["reason"].get<std::string>().find("vẫn mất kết nối"), std::string::npos);
    }
  }
  // p71 coming back later is news again (it was told down).
  run(4, [](int) { return true; });
  EXPECT_EQ(rec.alertsOfType("point_state"), 2);
}

TEST_F(HealthMonitorTest, DropsSpreadOverMinutesAreSeparateFailures) {
  HealthMonitor m(pointsConfig(20), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 20);
  // One more point dies every 6 s: never 10 within 10 s.
  for (int dead = 1; dead <= 12; ++dead)
    for (int i = 0; i < 3; ++i)
      round(
          m, [&](int p) { return p > dead; }, 20);
  for (int i = 0; i < 3; ++i)
    round(
        m, [&](int p) { return p > 12; }, 20);
  EXPECT_EQ(m.counts().down, 12);
  EXPECT_FALSE(m.uplinkAlarm());
  EXPECT_EQ(rec.alertsOfType("uplink_alarm"), 0);
  EXPECT_EQ(rec.alertsOfType("point_state"), 12);
}

TEST_F(HealthMonitorTest, FewerThanTenPointsNeverMakeAnUplinkAlarm) {
  HealthMonitor m(pointsConfig(12), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 12);
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int p) { return p > 9; }, 12);  // 9 of 12 down
  EXPECT_EQ(m.counts().down, 9);
  EXPECT_FALSE(m.uplinkAlarm()) << "the minimum is 10 points, whatever the share";
}

TEST_F(HealthMonitorTest, MaintenancePointsAreNotWatchedNorAlerted) {
  HealthMonitor m(pointsConfig(20), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 20);
  ASSERT_TRUE(m.setMaintenance("p01", true, now, "thay bộ định tuyến"));
  EXPECT_FALSE(m.setMaintenance("nope", true, now));
  EXPECT_EQ(m.status("p01"), PointStatus::Maintenance);
  for (int i = 0; i < 5; ++i)
    round(
        m, [](int p) { return p != 1; }, 20);
  EXPECT_EQ(m.status("p01"), PointStatus::Maintenance);
  EXPECT_TRUE(rec.alerts.empty()) << "no alarms while in maintenance";
  EXPECT_EQ(m.point("p01")->reason, "thay bộ định tuyến");
  // Clearing it shows what the probes say now, and that is worth an alert.
  m.setMaintenance("p01", false, now);
  EXPECT_EQ(m.status("p01"), PointStatus::Down);
  m.tick(now + 3s);
  ASSERT_EQ(rec.alerts.size(), 1u);
  EXPECT_EQ(rec.alerts[0].second["from"], "maintenance");
  EXPECT_EQ(rec.alerts[0].second["to"], "down");
}

TEST_F(HealthMonitorTest, UnknownPointOrProbeIsCountedNotUsed) {
  HealthMonitor m(pointsConfig(1), t0);
  EXPECT_FALSE(m.onProbeResult(test::good("p99", now)));
  EXPECT_FALSE(m.onProbeResult(test::good("p01", now, 10ms, "tcp")));
  EXPECT_TRUE(m.onProbeResult(test::good("p01", now)));
  EXPECT_NE(m.prometheusText().find("ceremonyd_probe_results_unmatched_total 2\n"),
            std::string::npos);
}

TEST_F(HealthMonitorTest, SystemdStatusCountsConnectedPoints) {
  HealthMonitor m(pointsConfig(96), t0);
  EXPECT_EQ(m.systemdStatus(), "0/96 điểm cầu hoạt động (96 chưa rõ)");
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int p) { return p > 2; }, 96);
  EXPECT_EQ(m.systemdStatus(), "94/96 điểm cầu hoạt động (2 mất kết nối)");
  m.setMaintenance("p03", true, now);
  EXPECT_EQ(m.systemdStatus(), "93/96 điểm cầu hoạt động (2 mất kết nối, 1 bảo trì)");
}

TEST_F(HealthMonitorTest, PrometheusTextIsWellFormedWithBlackboxNames) {
  HealthConfig c = pointsConfig(2);
  c.points[1].name = "Xã \"Lạ\"\\";
  HealthMonitor m(c, t0);
  auto r = test::good("p01", now, 123ms);
  r.connect = 10ms;
  r.firstByte = 100ms;
  m.onProbeResult(r);
  m.onProbeResult(test::bad("p02", now, "HTTP 503"));
  const std::string text = m.prometheusText();

  EXPECT_NE(text.find("# TYPE probe_success gauge\n"), std::string::npos);
  EXPECT_NE(text.find("probe_success{point=\"p01\",probe=\"http\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("probe_success{point=\"p02\",probe=\"http\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("probe_duration_seconds{point=\"p01\",probe=\"http\"} 0.123\n"),
            std::string::npos);
  EXPECT_NE(text.find("probe_http_duration_seconds{point=\"p01\",probe=\"http\",phase=\"connect\"} "
                      "0.010\n"),
            std::string::npos);
  EXPECT_NE(text.find("ceremonyd_point_info{point=\"p02\",name=\"Xã "
                      "\\\"Lạ\\\"\\\\\",kind=\"xã\",group=\"\"} 1"),
            std::string::npos)
      << "quotes and backslashes in labels are escaped";
  EXPECT_NE(text.find("ceremonyd_points{state=\"unknown\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ceremonyd_uplink_alarm 0\n"), std::string::npos);

  // Every line is a comment or `name{labels} value`; each point is in exactly one state.
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$)");
  std::istringstream lines(text);
  std::string line;
  int oneHot = 0, samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
    if (line.rfind("ceremonyd_point_state{", 0) == 0 && line.back() == '1') ++oneHot;
  }
  EXPECT_EQ(oneHot, 2);
  EXPECT_GT(samples, 20);
}

TEST_F(HealthMonitorTest, ApiJsonNamesContactAndNeverTheTokenFile) {
  HealthConfig c = pointsConfig(1);
  ProbeSpec hb;
  hb.name = "heartbeat";
  hb.kind = "heartbeat";
  hb.tokenFile = "/etc/ceremonyd/tokens/p01";
  c.points[0].probes.push_back(hb);
  c.points[0].probes[0].url = "http://admin:secret@10.0.0.1/health";
  HealthMonitor m(c, t0);
  m.onProbeResult(test::good("p01", now, 55ms));
  const auto j = m.pointsJson();
  const std::string text = j.dump();
  EXPECT_EQ(j["counts"]["total"], 1);
  EXPECT_EQ(j["points"][0]["contact_phone"], "0900 000 001");
  EXPECT_EQ(j["points"][0]["state"], "unknown");
  EXPECT_EQ(j["points"][0]["probes"][0]["latency_ms"], 55);
  EXPECT_EQ(j["points"][0]["probes"][0]["target"], "http://***@10.0.0.1/health");
  EXPECT_EQ(text.find("tokens/p01"), std::string::npos);
  EXPECT_EQ(text.find("secret"), std::string::npos);
  EXPECT_EQ(j["points"][0]["since"], "2025-07-28T14:00:00.000+07:00");

  // A probe's query string is shown without its secrets (it was shown whole).
  c.points[0].probes[0].url = "http://10.0.0.1/health?token=s3cr3t-value&lang=vi";
  HealthMonitor q(c, t0);
  EXPECT_EQ(q.pointsJson()["points"][0]["probes"][0]["target"],
            "http://10.0.0.1/health?token=***&lang=vi");
}

TEST_F(HealthMonitorTest, HistoryAndMaintenanceSurviveARestart) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ceremonyd-health-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = dir / "state" / "health-events.jsonl";
  {
    EventLog log(path);
    HealthMonitor m(pointsConfig(3), t0, &log);
    for (int i = 0; i < 3; ++i)
      round(
          m, [](int) { return true; }, 3);
    for (int i = 0; i < 3; ++i)
      round(
          m, [](int p) { return p != 2; }, 3);
    m.setMaintenance("p03", true, now, "mất điện lưới, đang sửa");
    EXPECT_EQ(log.lastError(), "");
  }
  EventLog log(path);  // a new process reading what the old one wrote
  HealthMonitor m(pointsConfig(3), now + 60s, &log);
  const auto p2 = m.point("p02");
  ASSERT_EQ(p2->history.size(), 2u);
  EXPECT_EQ(p2->history[1].to, PointStatus::Down);
  EXPECT_EQ(p2->history[1].reason, "connection refused");
  EXPECT_EQ(p2->status, PointStatus::Unknown) << "state is re-learnt from probes, not assumed";
  EXPECT_EQ(m.status("p03"), PointStatus::Maintenance) << "the operator's flag is kept";
  EXPECT_EQ(m.point("p03")->reason, "mất điện lưới, đang sửa");
  EXPECT_EQ(m.recentEvents().size(), 5u);  // 3 × up, p02 down, p03 maintenance
  std::filesystem::remove_all(dir);
}

// Sixty points of three provinces, twenty each (p01–p20, p21–p40, p41–p60).
HealthConfig threeProvinces() {
  HealthConfig c = pointsConfig(60);
  const char* names[] = {"Quảng Ngãi", "Đắk Lắk", "Huế"};
  for (std::size_t i = 0; i < c.points.size(); ++i) c.points[i].group = names[i / 20];
  return c;
}

TEST_F(HealthMonitorTest, AProvincesLineDownIsOneAlarmForThatProvince) {
  HealthMonitor m(threeProvinces(), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 60);
  // Quảng Ngãi's line drops: 12 of its 20 points, 12 of 60 in all (under the 30 of the
  // alarm over all points).
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int p) { return p > 12; }, 60);
  EXPECT_EQ(m.counts().down, 12);
  EXPECT_FALSE(m.uplinkAlarm());
  EXPECT_EQ(m.groupAlarms(), std::vector<std::string>{"Quảng Ngãi"});
  ASSERT_EQ(rec.alertsOfType("uplink_alarm"), 1);
  EXPECT_EQ(rec.alertsOfType("point_state"), 0) << "12 phone calls would be noise";
  const auto& alarm = std::find_if(rec.alerts.begin(), rec.alerts.end(), [](const auto& a) {
                        return a.second["type"] == "uplink_alarm";
                      })->second;
  EXPECT_EQ(alarm["group"], "Quảng Ngãi");
  EXPECT_EQ(alarm["count"], 10) << "raised at the 10th of its 20 points";
  EXPECT_NE(alarm["text"].get<std::string>().find("Mất kết nối đường truyền của Quảng Ngãi"),
            std::string::npos)
      << alarm["text"];
  EXPECT_TRUE(m.point("p05")->coveredByUplink);
  EXPECT_NE(m.systemdStatus().find("mất đường truyền của Quảng Ngãi"), std::string::npos);
  const auto metrics = m.prometheusText();
  EXPECT_NE(metrics.find("ceremonyd_group_uplink_alarm{group=\"Quảng Ngãi\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("ceremonyd_group_uplink_alarm{group=\"Huế\"} 0"), std::string::npos);
  EXPECT_NE(metrics.find("ceremonyd_group_points{group=\"Quảng Ngãi\",state=\"down\"} 12"),
            std::string::npos);
  EXPECT_NE(metrics.find("group=\"Đắk Lắk\"} 1"), std::string::npos) << "point_info's group";
  const auto groups = m.pointsJson()["groups"];
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[1]["group"], "Quảng Ngãi");  // by name, as bytes
  EXPECT_EQ(groups[1]["down"], 12);
  EXPECT_EQ(groups[1]["uplink"], true);
  EXPECT_EQ(groups[0]["up"], 20);

  // The line comes back: one clear for Quảng Ngãi, nothing else.
  for (int i = 0; i < 6; ++i)
    round(
        m, [](int) { return true; }, 60);
  EXPECT_TRUE(m.groupAlarms().empty());
  EXPECT_EQ(rec.alertsOfType("uplink_alarm"), 2);
  EXPECT_EQ(rec.alerts.back().second["active"], false);
  EXPECT_EQ(rec.alerts.back().second["group"], "Quảng Ngãi");
  EXPECT_EQ(rec.alertsOfType("point_state"), 0);
}

TEST_F(HealthMonitorTest, TheWholeLineDownIsOneAlarmNotOnePerProvince) {
  HealthMonitor m(threeProvinces(), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 60);
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int) { return false; }, 60);
  EXPECT_TRUE(m.uplinkAlarm());
  EXPECT_EQ(m.groupAlarms().size(), 3u) << "each province's own alarm is on, but not sent";
  ASSERT_EQ(rec.alertsOfType("uplink_alarm"), 1);
  EXPECT_FALSE(rec.alerts[0].second.contains("group"));
  EXPECT_EQ(rec.alertsOfType("point_state"), 0);
  for (int i = 0; i < 6; ++i)
    round(
        m, [](int) { return true; }, 60);
  EXPECT_FALSE(m.uplinkAlarm());
  EXPECT_TRUE(m.groupAlarms().empty());
  EXPECT_EQ(rec.alertsOfType("uplink_alarm"), 2) << "one raise and one clear in all";
  EXPECT_EQ(rec.alertsOfType("point_state"), 0);
}

TEST_F(HealthMonitorTest, AProvinceStillDownWhenTheWholeLineIsBackIsToldThen) {
  HealthMonitor m(threeProvinces(), t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 60);
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int) { return false; }, 60);
  ASSERT_EQ(rec.alertsOfType("uplink_alarm"), 1);
  // The line comes back, but not half of Quảng Ngãi's (p01–p10: a sixth of all the points,
  // under the share that keeps the alarm over all points on, half of its province's).
  for (int i = 0; i < 8; ++i)
    round(
        m, [](int p) { return p > 10; }, 60);
  EXPECT_FALSE(m.uplinkAlarm());
  EXPECT_EQ(m.groupAlarms(), std::vector<std::string>{"Quảng Ngãi"});
  ASSERT_EQ(rec.alertsOfType("uplink_alarm"), 3) << "raised, cleared, then Quảng Ngãi's own";
  EXPECT_EQ(rec.alerts.back().second["group"], "Quảng Ngãi");
  EXPECT_EQ(rec.alerts.back().second["active"], true);
  EXPECT_EQ(rec.alertsOfType("point_state"), 0) << "its 10 points are its alarm, not 10 calls";
}

TEST_F(HealthMonitorTest, OneGroupIsTheAlarmOverAllPoints) {
  HealthConfig c = pointsConfig(20);
  for (auto& p : c.points) p.group = "Quảng Ngãi";
  HealthMonitor m(c, t0);
  m.addListener(&rec);
  for (int i = 0; i < 3; ++i)
    round(
        m, [](int) { return true; }, 20);
  for (int i = 0; i < 4; ++i)
    round(
        m, [](int p) { return p > 12; }, 20);
  EXPECT_TRUE(m.uplinkAlarm());
  EXPECT_TRUE(m.groupAlarms().empty());
  ASSERT_EQ(rec.alertsOfType("uplink_alarm"), 1);
  EXPECT_FALSE(rec.alerts[0].second.contains("group"));
  EXPECT_EQ(m.pointsJson()["groups"].size(), 1u) << "the dashboard still gets its counts";
}

}  // namespace
}  // namespace ceremony::health
