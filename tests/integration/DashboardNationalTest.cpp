// The dashboard at national scale, in headless Chromium: 3,321 points of the 34 provinces
// (tests/tools/national_points.py) served by the point simulator, one daemon, one page.
//   - the points panel shows a line per province with its counts, 3,321 points in all, and
//     not the 3,321 tiles (only the points in trouble have tiles);
//   - a point made to fail turns red in the page within 1 s of the daemon knowing it (the
//     live feed sends it alone, in "points-changed"), with its contact's phone on the tile,
//     its province first and counting it;
//   - a search without diacritics ("nghia hanh") finds the communes named «Nghĩa Hành»; the
//     filter «Mất kết nối» leaves the failed point alone.
// A screenshot of the page is kept (its path is printed).

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "HealthPeers.h"
#include "support/HeadlessChromium.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Row {
  std::string id, name, group, phone, probe;
};

// national_points.py's CSV: id,name,kind,group,"contact",phone,probe_kind,url,token_file.
std::vector<Row> readRows(const std::filesystem::path& csv) {
  std::istringstream in(readText(csv));
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
      if (c == '"')
        quoted = !quoted;
      else if (c == ',' && !quoted)
        cells.push_back(std::exchange(cell, {}));
      else
        cell += c;
    }
    cells.push_back(cell);
    if (cells.size() >= 7) rows.push_back({cells[0], cells[1], cells[3], cells[5], cells[6]});
  }
  return rows;
}

TEST(DashboardNationalTest, ThreeThousandPointsByProvinceAFailedPointRedWithinOneSecond) {
  TempDir dir("dashboard-national");
  const int apiPort = freePorts(1)[0];
  const auto nat = dir / "national";
  const auto made =
      runToEnd({"python3", std::string(CEREMONYD_SOURCE_DIR) + "/tests/tools/national_points.py",
                nat.string(), "--api", "127.0.0.1:" + std::to_string(apiPort)},
               dir.path(), 30s);
  ASSERT_TRUE(made.ok()) << made.describe();
  const auto rows = readRows(nat / "points.csv");
  ASSERT_EQ(rows.size(), 3321u);
  std::map<std::string, int> perProvince;
  for (const auto& r : rows) ++perProvince[r.group];
  ASSERT_EQ(perProvince.size(), 34u);

  const std::string spec = readText(nat / "simulator.spec");
  int endpoints = 0;
  for (std::size_t at = 0; (at = spec.find("\nendpoint ", at)) != std::string::npos; ++at)
    ++endpoints;
  PointSimulator sim(dir.path(), spec, endpoints);

  writeText(nat / "ceremony.toml", R"([event]
title = "Lễ phát động toàn quốc — kiểm thử bảng điều khiển 3.321 điểm cầu"
date = "2025-07-28"
timezone = "+07:00"

[programme]
width = 320
height = 180
fps = 10
video_bitrate_kbps = 300

[sources.hall]
kind = "test"
pattern = "smpte"

[scenes.hall]
kind = "source"
source = "hall"

[[timeline]]
id = "khai-mac"
title = "Khai mạc"
start = "09:00"
duration = "20m"
scene = "hall"

# The simulator's 830 heartbeat senders all come from 127.0.0.1.
[api]
max_connections_per_address = 2000

[health]
interval = "2s"
jitter = "1s"
alert_hold = "0s"
degraded_latency = "5s"
points_csv = "points.csv"
)");
  Process daemon(
      {CEREMONYD_BINARY, "--config", (nat / "ceremony.toml").string(), "--rehearsal", "--listen",
       "127.0.0.1:" + std::to_string(apiPort), "--state-dir", (dir / "state").string()},
      ProcessOptions{dir / "ceremonyd.log"});
  // A point's state, or "" when the daemon did not answer in time (3,321 points probed on
  // a busy machine: an answer may wait).
  const auto stateOf = [&](const std::string& id) -> std::string {
    try {
      const auto a = httpRequest(apiPort, "GET", "/api/points/" + id);
      if (a.status == 200) return json::parse(a.body).value("state", "");
    } catch (const std::exception&) {
    }
    return "";
  };

  // The victim: an http-probed commune named «Nghĩa Hành», up before it fails.
  const Row* victim = nullptr;
  int namedLikeIt = 0;
  for (const auto& r : rows)
    if (r.name.find("Nghĩa Hành") != std::string::npos) {
      ++namedLikeIt;
      if (!victim && r.probe == "http" && r.group != rows.front().group) victim = &r;
    }
  ASSERT_NE(victim, nullptr);
  const auto upDeadline = Steady::now() + 20s;
  for (;;) {
    ASSERT_TRUE(daemon.running()) << tailOf(daemon.log());
    if (acceptsConnections(apiPort) && stateOf(victim->id) == "up") break;
    ASSERT_LT(Steady::now(), upDeadline) << victim->id << " never up\n" << tailOf(daemon.log());
    std::this_thread::sleep_for(100ms);
  }

  // --- the browser ------------------------------------------------------------------------
  struct RemovedAtEnd {
    std::filesystem::path path;
    ~RemovedAtEnd() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } profile{dir / "chromium-profile"};
  std::filesystem::create_directories(profile.path);
  HeadlessChromium chromium(profile.path, dir.path());
  auto page = chromium.page();
  page->navigate("http://127.0.0.1:" + std::to_string(apiPort) + "/");
  ASSERT_TRUE(
      page->waitFor("document.querySelectorAll('#tiles .group-head').length === 34 && "
                    "document.querySelector('[data-count=total]').textContent === '3321'",
                    10s))
      << page->evaluate("document.getElementById('tiles').innerText.slice(0, 400)");

  // A line per province: its points add up to the CSV's, and 3,321 in all.
  const json heads = page->evaluate(R"([...document.querySelectorAll('#tiles .group-head')]
      .map(h => ({ group: h.dataset.group, up: h.querySelector('.gc-up').textContent })))");
  int total = 0;
  for (const auto& h : heads) {
    const std::string group = h["group"], up = h["up"];
    const auto slash = up.find('/');
    ASSERT_NE(slash, std::string::npos) << up;
    const int n = std::stoi(up.substr(slash + 1));
    EXPECT_EQ(n, perProvince[group]) << group << ": " << up;
    total += n;
  }
  EXPECT_EQ(total, 3321);
  const int tilesAtRest = page->evaluate("document.querySelectorAll('#tiles .tile').length");
  std::cout << "[ measured ] tiles on the page with every point healthy or starting: "
            << tilesAtRest << " of 3321\n";
  EXPECT_LT(tilesAtRest, 1000) << "the healthy bulk is drawn tile by tile";

  // --- the victim fails -------------------------------------------------------------------
  page->evaluate(
      "window.__downAt = 0; new MutationObserver(() => {"
      " const t = document.querySelector('.tile.state-down[data-point=\"" +
      victim->id +
      "\"]');"
      " if (t && !window.__downAt) window.__downAt = Date.now(); })"
      ".observe(document.getElementById('tiles'),"
      " {subtree: true, childList: true, attributes: true, attributeFilter: ['class']}); true");
  ASSERT_EQ(sim.command("set " + victim->id + " refusing"), "ok");
  std::int64_t apiDownAt = 0;
  const auto downDeadline = Steady::now() + 10s;
  while (Steady::now() < downDeadline) {
    if (stateOf(victim->id) == "down") {
      apiDownAt = wallMs();
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_NE(apiDownAt, 0) << victim->id << " never went down in /api/points";
  ASSERT_TRUE(page->waitFor("window.__downAt > 0", 5s)) << "the tile never turned red";
  const auto latency = page->evaluate("window.__downAt").get<std::int64_t>() - apiDownAt;
  std::cout << "[ measured ] " << victim->id << " (" << victim->name << ", " << victim->group
            << "): tile red " << latency << " ms after /api/points said down\n";
  EXPECT_LE(latency, 1000) << "tile changed too late";

  // Its tile has whom to call; its province comes first and counts it.
  const std::string tile = "document.querySelector('.tile[data-point=\"" + victim->id + "\"]')";
  EXPECT_EQ(page->evaluate(tile + ".querySelector('.contact .phone').textContent"), victim->phone);
  ASSERT_TRUE(
      page->waitFor("document.querySelector('#tiles .group-head').dataset.group === " +
                        json(victim->group).dump() +
                        " && document.querySelector('#tiles .group-head .gc-down').textContent === "
                        "'1 mất kết nối'",
                    3s))
      << page->evaluate("document.querySelector('#tiles .group-head').innerText");
  page->screenshot(dir / "dashboard-national.png");

  // --- search without diacritics ------------------------------------------------------------
  page->evaluate(
      "{ const s = document.getElementById('points-search'); s.value = 'nghia hanh';"
      " s.dispatchEvent(new Event('input')); } true");
  const std::string found = "'Tìm thấy " + std::to_string(namedLikeIt) + " điểm'";
  ASSERT_TRUE(page->waitFor("document.getElementById('points-found').textContent === " + found, 3s))
      << page->evaluate("document.getElementById('points-found').textContent") << " vs " << found;
  const json names = page->evaluate(
      "[...document.querySelectorAll('#tiles .tile')].filter(t => t.offsetParent !== null)"
      ".map(t => t.querySelector('.name').textContent)");
  EXPECT_EQ(names.size(), static_cast<std::size_t>(namedLikeIt));
  for (const auto& n : names)
    EXPECT_NE(n.get<std::string>().find("Nghĩa Hành"), std::string::npos) << n;
  EXPECT_EQ(page->evaluate(tile + ".offsetParent !== null"), true);
  page->screenshot(dir / "dashboard-national-search.png");

  // --- the filter «Mất kết nối» -------------------------------------------------------------
  page->evaluate(
      "{ const s = document.getElementById('points-search'); s.value = '';"
      " s.dispatchEvent(new Event('input')); } document.getElementById('filter-down').click(); "
      "true");
  ASSERT_TRUE(page->waitFor(
      "document.getElementById('points-found').textContent === 'Tìm thấy 1 điểm'", 3s))
      << page->evaluate("document.getElementById('points-found').textContent");
  EXPECT_EQ(page->evaluate("[...document.querySelectorAll('#tiles .tile')]"
                           ".filter(t => t.offsetParent !== null).map(t => t.dataset.point)"),
            json::array({victim->id}));

  dir.keep();  // the screenshots are the artifacts
  std::cout << "[ artifact ] " << (dir / "dashboard-national.png").string() << "\n";
  EXPECT_TRUE(daemon.running()) << tailOf(daemon.log());
}

}  // namespace
}  // namespace ceremony::testing
