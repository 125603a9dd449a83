// Fleet monitoring with Debian's own Prometheus and Alertmanager, run from the files in
// config/prometheus/ (only addresses, the token's path, the province's name and the
// intervals changed: 1 s scrapes and evaluations, every alert's `for` 1 s):
//   - two provinces, each a real ceremonyd with four connection points (point_simulator on
//     127.0.0.x) and the viewer token, each scraped by its own Prometheus with the rules;
//   - one Alertmanager for both, with the shipped routes and inhibit rules;
//   - a national Prometheus federating both provincial servers through /federate.
// What an operator would notice: the daemons' series with the points' Vietnamese names in
// each province and in the national server; one point made down in Quảng Ngãi shows as
// probe_success 0 and a firing CeremonydPointDown naming it; three of Đắk Lắk's four points
// dropped together raise CeremonydUplinkDown, and Alertmanager holds back those three
// points' own alerts (inhibited by it), but not Quảng Ngãi's, and the national server sees
// the down points of both provinces.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "HealthPeers.h"
#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

const fs::path kConf = fs::path(CEREMONYD_SOURCE_DIR) / "config/prometheus";
const std::string kViewerToken = "prometheus-viewer-token-0123456789";

// `text` with every `from` replaced by `to`; throws when `from` is not there (the shipped
// file changed: the test must follow it, not silently run another configuration).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto first = text.find(from);
  if (first == std::string::npos) throw std::runtime_error("'" + from + "' not in the file");
  for (auto at = first; at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string urlEncoded(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Polls `probe` every 200 ms until it is true or `limit` has passed; returns its last value.
bool waitUntil(std::chrono::milliseconds limit, const std::function<bool()>& probe) {
  const auto end = Clock::now() + limit;
  while (!probe()) {
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(200ms);
  }
  return true;
}

struct Province {
  std::string name;   // the `province` external label
  std::string title;  // for the points' names
  std::vector<std::string> points;
  int apiPort = 0, promPort = 0;
  std::unique_ptr<Process> daemon, prometheus;
};

class PrometheusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    started_ = Clock::now();
    for (const char* tool : {"/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager"})
      if (!fs::exists(tool)) GTEST_SKIP() << tool << " missing: deps/install.sh";
    dir_ = new TempDir("prometheus");
    const fs::path d = dir_->path();
    writeText(d / "viewer.token", kViewerToken + "\n");
    provinces_[0].name = "quang-ngai";
    provinces_[0].title = "Quảng Ngãi";
    provinces_[0].points = {"qn-1", "qn-2", "qn-3", "qn-4"};
    provinces_[1].name = "dak-lak";
    provinces_[1].title = "Đắk Lắk";
    provinces_[1].points = {"dl-1", "dl-2", "dl-3", "dl-4"};

    // --- the points: eight endpoints of one simulator, on addresses of their own --------
    const int pointPort = freePort();
    std::string spec;
    std::map<std::string, std::string> urlOf;
    int n = 0;
    for (auto& p : provinces_)
      for (const auto& id : p.points) {
        const std::string at = pointAddress(140 + n++) + ":" + std::to_string(pointPort);
        spec += "endpoint " + id + " " + at + " healthy\n";
        urlOf[id] = "http://" + at + "/";
      }
    simulator_ = new PointSimulator(d, spec, n);

    // --- the two daemons ----------------------------------------------------------------
    const auto ports = freePorts(7);
    for (int i = 0; i < 2; ++i) {
      Province& p = provinces_[i];
      p.apiPort = ports[i];
      p.promPort = ports[2 + i];
      const fs::path pd = d / p.name;
      fs::create_directories(pd);
      std::string toml = R"toml([event]
title = "Kiểm thử giám sát (PROVINCE)"
date = "2025-07-28"
timezone = "+07:00"
venue = "Hội trường PROVINCE"

[programme]
width = 320
height = 180
fps = 25
video_bitrate_kbps = 300
keyframe_interval_s = 2

[sources.xanh]
kind = "test"
pattern = "green"
tone_hz = 440

[scenes.xanh]
kind = "source"
source = "xanh"

[[timeline]]
id = "mo-dau"
title = "Khai mạc"
start = "09:00"
duration = "600s"
scene = "xanh"

[health]
interval = "500ms"
jitter = "100ms"
alert_hold = "0s"
uplink_min_points = 3
uplink_window = "5s"
)toml";
      toml = replaced(toml, "PROVINCE", p.title);
      for (std::size_t k = 0; k < p.points.size(); ++k)
        toml += "\n[[points]]\nid = \"" + p.points[k] + "\"\nname = \"Xã số " +
                std::to_string(k + 1) + " " + p.title + "\"\nkind = \"xã\"\ngroup = \"" + p.name +
                "\"\nprobes = [{ kind = \"http\", url = \"" + urlOf[p.points[k]] +
                "\", timeout = \"400ms\", connect_timeout = \"300ms\" }]\n";
      writeText(pd / "ceremony.toml", toml);
      p.daemon = std::make_unique<Process>(
          std::vector<std::string>{CEREMONYD_BINARY, "--config", (pd / "ceremony.toml").string(),
                                   "--rehearsal=1", "--listen",
                                   "127.0.0.1:" + std::to_string(p.apiPort), "--viewer-token-file",
                                   (d / "viewer.token").string()},
          ProcessOptions{pd / "ceremonyd.log"});
    }

    // --- Alertmanager, as shipped (its receivers pointed at a port nobody listens on) -----
    amPort_ = ports[4];
    nationalPort_ = ports[5];
    writeText(d / "alertmanager.yml",
              replaced(readText(kConf / "alertmanager.yml"), "http://127.0.0.1:9099",
                       "http://127.0.0.1:" + std::to_string(ports[6])));
    alertmanager_ = new Process(
        {"/usr/bin/prometheus-alertmanager", "--config.file=" + (d / "alertmanager.yml").string(),
         "--storage.path=" + (d / "alertmanager").string(),
         "--web.listen-address=127.0.0.1:" + std::to_string(amPort_),
         "--cluster.listen-address="},  // no gossip port: one Alertmanager alone
        ProcessOptions{d / "alertmanager.log"});

    // --- each province's Prometheus, from prometheus.yml and the rules -------------------
    // Every `for` becomes 1 s: the expressions are the shipped ones, the waiting is not.
    const std::string rules = std::regex_replace(readText(kConf / "ceremonyd.rules.yml"),
                                                 std::regex("for: [0-9]+[smh]"), "for: 1s");
    for (auto& p : provinces_) {
      const fs::path pd = d / p.name;
      writeText(pd / "ceremonyd.rules.yml", rules);
      std::string yml = readText(kConf / "prometheus.yml");
      yml = replaced(yml, "scrape_interval: 5s", "scrape_interval: 1s");
      yml = replaced(yml, "scrape_timeout: 4s", "scrape_timeout: 1s");
      yml = replaced(yml, "evaluation_interval: 5s", "evaluation_interval: 1s");
      yml = replaced(yml, "province: quang-ngai", "province: " + p.name);
      yml = replaced(yml, "/etc/prometheus/ceremonyd-viewer.token", (d / "viewer.token").string());
      yml = replaced(yml, "127.0.0.1:8080", "127.0.0.1:" + std::to_string(p.apiPort));
      yml = replaced(yml, "127.0.0.1:9093", "127.0.0.1:" + std::to_string(amPort_));
      writeText(pd / "prometheus.yml", yml);
      p.prometheus = startPrometheus(pd / "prometheus.yml", pd / "tsdb", p.promPort);
    }

    // --- the national Prometheus, federating both -------------------------------------
    std::string fed = readText(kConf / "federation.yml");
    fed = replaced(fed, "scrape_interval: 15s", "scrape_interval: 1s");
    fed = replaced(fed, "scrape_timeout: 10s", "scrape_timeout: 1s");
    fed = replaced(fed, "evaluation_interval: 15s", "evaluation_interval: 1s");
    fed = replaced(fed, "prometheus.quang-ngai.lan:9090",
                   "127.0.0.1:" + std::to_string(provinces_[0].promPort));
    fed = replaced(fed, "prometheus.dak-lak.lan:9090",
                   "127.0.0.1:" + std::to_string(provinces_[1].promPort));
    writeText(d / "federation.yml", fed);
    national_ = startPrometheus(d / "federation.yml", d / "national-tsdb", nationalPort_).release();

    for (int port : {provinces_[0].apiPort, provinces_[1].apiPort, amPort_, provinces_[0].promPort,
                     provinces_[1].promPort, nationalPort_}) {
      const bool ready = waitUntil(20s, [&] {
        return httpCall("GET",
                        "http://127.0.0.1:" + std::to_string(port) +
                            (port == provinces_[0].apiPort || port == provinces_[1].apiPort
                                 ? "/api/whoami"
                                 : "/-/ready"),
                        kViewerToken, {}, 1s)
                   .status == 200;
      });
      ASSERT_TRUE(ready) << "nothing ready on port " << port << "\n" << logs();
    }
  }

  static void TearDownTestSuite() {
    // Stopped by their PIDs (Process), national first, daemons last.
    delete national_;
    for (auto& p : provinces_) p.prometheus.reset();
    delete alertmanager_;
    for (auto& p : provinces_) p.daemon.reset();
    delete simulator_;
    delete dir_;
    national_ = nullptr;
    alertmanager_ = nullptr;
    simulator_ = nullptr;
    dir_ = nullptr;
    curl_global_cleanup();
    std::cerr << "[ timing   ] PrometheusTest: " << seconds(Clock::now() - started_)
              << " s in all\n";
  }

  void TearDown() override {
    if (HasFailure() && dir_) {
      dir_->keep();
      std::cerr << logs();
    }
  }

  static std::unique_ptr<Process> startPrometheus(const fs::path& config, const fs::path& tsdb,
                                                  int port) {
    return std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + config.string(),
                                 "--storage.tsdb.path=" + tsdb.string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        ProcessOptions{config.parent_path() / (config.stem().string() + ".log")});
  }

  static std::string logs() {
    std::string out;
    for (auto& p : provinces_) {
      if (p.daemon) out += "--- ceremonyd " + p.name + ":\n" + tailOf(p.daemon->log(), 10);
      if (p.prometheus) out += "--- prometheus " + p.name + ":\n" + tailOf(p.prometheus->log(), 10);
    }
    if (national_) out += "--- national prometheus:\n" + tailOf(national_->log(), 10);
    if (alertmanager_) out += "--- alertmanager:\n" + tailOf(alertmanager_->log(), 10);
    return out;
  }

  // The result vector of an instant query, or an empty array.
  static json query(int port, const std::string& promql) {
    const auto r = httpCall(
        "GET",
        "http://127.0.0.1:" + std::to_string(port) + "/api/v1/query?query=" + urlEncoded(promql),
        {}, {}, 2s);
    if (r.status != 200) return json::array();
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return json::array();
    return j["data"]["result"];
  }

  // label value -> sample value, for every series of the result.
  static std::map<std::string, double> byLabel(const json& result, const std::string& label) {
    std::map<std::string, double> out;
    for (const auto& s : result)
      out[s["metric"].value(label, "")] = std::stod(s["value"][1].get<std::string>());
    return out;
  }

  // Alertmanager's alerts named `alertname`: point (or instance) -> state ("active",
  // "suppressed"), plus whether any inhibitor was named.
  static std::map<std::string, std::string> managerAlerts(const std::string& alertname,
                                                          std::set<std::string>* inhibited = {}) {
    std::map<std::string, std::string> out;
    const auto r = httpCall("GET", "http://127.0.0.1:" + std::to_string(amPort_) + "/api/v2/alerts",
                            {}, {}, 2s);
    if (r.status != 200) return out;
    const json list = json::parse(r.body, nullptr, false);
    if (!list.is_array()) return out;
    for (const auto& a : list) {
      const json& labels = a["labels"];
      if (labels.value("alertname", "") != alertname) continue;
      const std::string key = labels.value("point", labels.value("province", ""));
      out[key] = a["status"].value("state", "");
      if (inhibited && !a["status"]["inhibitedBy"].empty()) inhibited->insert(key);
    }
    return out;
  }

  static inline TempDir* dir_ = nullptr;
  static inline PointSimulator* simulator_ = nullptr;
  static inline Process* alertmanager_ = nullptr;
  static inline Process* national_ = nullptr;
  static inline Province provinces_[2];
  static inline int amPort_ = 0, nationalPort_ = 0;
  static inline Clock::time_point started_;
};

TEST_F(PrometheusTest, EachProvinceScrapesItsDaemonWithTheViewerToken) {
  for (const auto& p : provinces_) {
    // up == 1 only with the token: the daemon answers /metrics with 401 without it.
    std::map<std::string, double> names;
    const bool scraped = waitUntil(15s, [&] {
      names = byLabel(query(p.promPort, "ceremonyd_point_info"), "name");
      return byLabel(query(p.promPort, "up{job=\"ceremonyd\"}"), "job")["ceremonyd"] == 1 &&
             names.size() == 4 &&
             byLabel(query(p.promPort, "instance:ceremonyd_points_connected:sum"),
                     "job")["ceremonyd"] == 4;
    });
    EXPECT_TRUE(scraped) << p.name << ": " << query(p.promPort, "up").dump() << "\n"
                         << query(p.promPort, "ceremonyd_points").dump();
    EXPECT_EQ(names.count("Xã số 1 " + p.title), 1u) << p.name;
  }
  // Without the token the daemon refuses /metrics: what `up == 0` would then say.
  EXPECT_EQ(
      httpCall("GET", "http://127.0.0.1:" + std::to_string(provinces_[0].apiPort) + "/metrics")
          .status,
      401);
}

TEST_F(PrometheusTest, TheNationalServerHasBothProvincesPoints) {
  // The points of both provinces, and what the provinces' rules record: 8 connected in all.
  std::map<std::string, double> perProvince, connected;
  const bool both = waitUntil(15s, [&] {
    perProvince =
        byLabel(query(nationalPort_, "count by (province) (ceremonyd_point_info)"), "province");
    connected =
        byLabel(query(nationalPort_, "sum by (province) (instance:ceremonyd_points_connected:sum)"),
                "province");
    return perProvince["quang-ngai"] == 4 && perProvince["dak-lak"] == 4 &&
           connected["quang-ngai"] == 4 && connected["dak-lak"] == 4;
  });
  EXPECT_TRUE(both) << "points " << json(perProvince).dump() << ", connected "
                    << json(connected).dump();
  // The names came through federation as they were, diacritics and all.
  const auto names =
      byLabel(query(nationalPort_, "ceremonyd_point_info{province=\"dak-lak\"}"), "name");
  EXPECT_EQ(names.count("Xã số 2 Đắk Lắk"), 1u) << json(names).dump();
}

TEST_F(PrometheusTest, APointDownIsAlertedAndAnUplinkLossHoldsItsPointsAlertsBack) {
  ASSERT_EQ(simulator_->command("set qn-2 refusing"), "ok");
  ASSERT_EQ(simulator_->command("set dl-1,dl-2,dl-3 refusing"), "ok");
  const auto cut = Clock::now();
  const Province& qn = provinces_[0];
  const Province& dl = provinces_[1];

  // Quảng Ngãi: the probe's failure and the point's state, then its alert, by name.
  EXPECT_TRUE(waitUntil(10s, [&] {
    return byLabel(query(qn.promPort, "probe_success{point=\"qn-2\"}"), "point")["qn-2"] == 0 &&
           byLabel(query(qn.promPort, "ceremonyd_point_state{point=\"qn-2\",state=\"down\"}"),
                   "point")["qn-2"] == 1;
  })) << query(qn.promPort, "ceremonyd_point_state{state=\"down\"}").dump();
  json firing;
  EXPECT_TRUE(waitUntil(15s,
                        [&] {
                          firing = query(
                              qn.promPort,
                              "ALERTS{alertname=\"CeremonydPointDown\",alertstate=\"firing\"}");
                          return firing.size() == 1;
                        }))
      << firing.dump() << "\n"
      << query(qn.promPort, "ALERTS").dump();
  if (firing.size() == 1) {
    EXPECT_EQ(firing[0]["metric"].value("point", ""), "qn-2");
    EXPECT_EQ(firing[0]["metric"].value("name", ""), "Xã số 2 Quảng Ngãi");
    EXPECT_EQ(firing[0]["metric"].value("severity", ""), "critical");
  }
  std::cerr << "[ timing   ] CeremonydPointDown firing " << seconds(Clock::now() - cut)
            << " s after the point went down\n";

  // Đắk Lắk: the daemon's uplink alarm, alerted.
  EXPECT_TRUE(waitUntil(
      15s,
      [&] {
        return query(dl.promPort, "ALERTS{alertname=\"CeremonydUplinkDown\",alertstate=\"firing\"}")
                   .size() == 1;
      }))
      << query(dl.promPort, "ALERTS").dump() << "\n"
      << query(dl.promPort, "ceremonyd_uplink_alarm").dump();

  // Alertmanager: Đắk Lắk's three point alerts arrive but are held back by the uplink alarm
  // (inhibited); Quảng Ngãi's one is not (the inhibition is per province and daemon).
  std::map<std::string, std::string> points;
  std::set<std::string> inhibited;
  const bool held = waitUntil(15s, [&] {
    inhibited.clear();
    points = managerAlerts("CeremonydPointDown", &inhibited);
    return points.size() == 4 && points["qn-2"] == "active" && points["dl-1"] == "suppressed" &&
           points["dl-2"] == "suppressed" && points["dl-3"] == "suppressed";
  });
  EXPECT_TRUE(held)
      << json(points).dump() << "\n"
      << httpCall("GET", "http://127.0.0.1:" + std::to_string(amPort_) + "/api/v2/alerts").body;
  EXPECT_EQ(inhibited, (std::set<std::string>{"dl-1", "dl-2", "dl-3"}));
  EXPECT_EQ(managerAlerts("CeremonydUplinkDown")["dak-lak"], "active");
  std::cerr << "[ timing   ] uplink alarm and inhibition in Alertmanager "
            << seconds(Clock::now() - cut) << " s after the cut\n";

  // The national view: the down points of both provinces.
  std::map<std::string, double> down;
  EXPECT_TRUE(waitUntil(10s, [&] {
    down = byLabel(query(nationalPort_, "ceremonyd_point_state{state=\"down\"} == 1"), "point");
    return down.size() == 4;
  })) << json(down).dump();
}

}  // namespace
}  // namespace ceremony::testing
