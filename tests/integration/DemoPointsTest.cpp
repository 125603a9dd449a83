// The demo a newcomer starts with `make run` shows the monitor alive: config/demo/run.sh, exactly
// as the Makefile runs it (with a free API port), generates the 96 Quảng Ngãi points on 127.0.55.x
// (config/demo/points.py), starts the point simulator and the daemon on the embedded ceremony, and
// the test reads what an operator would notice:
//   - /api/points lists the 96 points of config/quang-ngai-points.csv; the healthy and the
//     heartbeat ones are up, the slow ones degraded, the refusing one down with its contact;
//   - the dashboard in headless Chromium: 96 tiles, the refusing one red, a click shows whom
//     to call (the screenshot is kept as the artifact);
//   - the flapping point changes state;
//   - /metrics has probe_success for every point;
//   - the demo's simulated viewers (tests/tools/bridge_viewer over the bridge's SRT listener)
//     watch as their points: /api/points says so for them alone, the dashboard's tiles show
//     «đang xem», /metrics counts them, and no point's token is on any command line;
//   - the demo's return feeds (tests/tools/whip_sender, WHIP) are connected as their points,
//     and their tiles show «📷 gửi hình về»;
//   - SIGTERM to the script stops the daemon, the simulator, the viewers and the senders: no
//     process is left behind.
// Roles (which point refuses, flaps, is slow, sends heartbeats, watches) come from the
// generated simulator and viewers specs, so the test follows config/demo/points.py.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HeadlessChromium.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

using Steady = std::chrono::steady_clock;

// Every whole command line (argv joined by spaces) running now, by PID.
std::map<std::string, std::string> commandLines() {
  std::map<std::string, std::string> all;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = readText(entry.path() / "cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    all[pid] = cmdline;
  }
  return all;
}

// The processes whose command line mentions `text` (e.g. a file only this test uses).
std::vector<std::string> processesMentioning(const std::string& text) {
  std::vector<std::string> found;
  for (const auto& [pid, cmdline] : commandLines())
    if (cmdline.find(text) != std::string::npos) found.push_back(pid + ": " + cmdline);
  return found;
}

struct Roles {
  std::map<std::string, std::string> behaviour;  // endpoint id -> "healthy", "slow 1200", ...
  std::set<std::string> heartbeat;
  std::string first(const std::string& what) const {
    for (const auto& [id, b] : behaviour)
      if (b.rfind(what, 0) == 0) return id;
    return {};
  }
};

// The points whose simulated viewer config/demo/run.sh starts (viewers.spec), or whose
// camera it sends back (returns.spec, `kind` "sender").
std::set<std::string> readViewers(const fs::path& file, const std::string& kind = "viewer") {
  std::set<std::string> ids;
  std::istringstream lines(readText(file));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what, id;
    words >> what >> id;
    if (what == kind) ids.insert(id);
  }
  return ids;
}

Roles readSpec(const fs::path& file) {
  Roles roles;
  std::istringstream lines(readText(file));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what, id, at;
    words >> what >> id >> at;
    if (what == "heartbeat") roles.heartbeat.insert(id);
    if (what != "endpoint") continue;
    std::string behaviour;
    std::getline(words >> std::ws, behaviour);
    roles.behaviour[id] = behaviour;
  }
  return roles;
}

// id -> the whole line of config/quang-ngai-points.csv (its first probe's row).
std::map<std::string, std::string> csvRows() {
  std::map<std::string, std::string> rows;
  std::istringstream lines(
      readText(fs::path(CEREMONYD_SOURCE_DIR) / "config/quang-ngai-points.csv"));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const auto comma = line.find(',');
    if (comma != std::string::npos && comma > 0) rows.emplace(line.substr(0, comma), line);
  }
  return rows;
}

TEST(DemoPointsTest, MakeRunShowsTheNinetySixQuangNgaiPointsAlive) {
  TempDir dir("demo-points");
  const auto started = Steady::now();
  const int apiPort = freePort();
  writeText(dir / "operator.token", "demo-op-" + std::to_string(apiPort) + "-token\n");
  const fs::path demo = dir / "demo";
  const fs::path bin = fs::path(CEREMONYD_BINARY).parent_path();
  // As the Makefile's `run` does, with this test's port and files.
  Process run(
      {"sh", std::string(CEREMONYD_SOURCE_DIR) + "/config/demo/run.sh", bin.string(), demo.string(),
       "--listen", "127.0.0.1:" + std::to_string(apiPort), "--operator-token-file",
       (dir / "operator.token").string(), "--state-dir", (dir / "state").string(), "--fresh"},
      ProcessOptions{dir / "run.log"});
  const auto api = [&](const std::string& target) {
    const auto a = httpRequest(apiPort, "GET", target);
    if (a.status != 200)
      throw std::runtime_error("GET " + target + ": HTTP " + std::to_string(a.status));
    return a.body;
  };

  // --- the states settle -------------------------------------------------------------------
  // Down and degraded need 3 probes at 2 s, up 3 good ones; heartbeats start at the first POST.
  Roles roles;
  json points;
  std::map<std::string, std::string> expected;  // id -> state, for all but the flapping one
  std::string flapping;
  std::vector<std::string> flappingStates;  // as seen, without repeats
  const auto notice = [&](const json& list) {
    for (const auto& p : list["points"])
      if (p["id"] == flapping && p["state"] != "unknown" &&
          (flappingStates.empty() || flappingStates.back() != p["state"]))
        flappingStates.push_back(p["state"]);
  };
  std::string mismatch = "no answer yet";
  const auto settleDeadline = started + 20s;
  while (!mismatch.empty()) {
    ASSERT_TRUE(run.running()) << tailOf(run.log());
    ASSERT_LT(Steady::now(), settleDeadline)
        << "not settled: " << mismatch << "\n"
        << (points.is_object() ? points["counts"].dump() : "") << "\n"
        << tailOf(run.log());
    std::this_thread::sleep_for(250ms);
    if (!acceptsConnections(apiPort)) continue;
    if (expected.empty()) {
      roles = readSpec(demo / "simulator.spec");
      flapping = roles.first("flapping");
      for (const auto& [id, b] : roles.behaviour)
        if (id != flapping)
          expected[id] = b == "healthy"            ? "up"
                         : b == "refusing"         ? "down"
                         : b.rfind("slow", 0) == 0 ? "degraded"
                                                   : "?";
      for (const auto& id : roles.heartbeat) expected[id] = "up";
      ASSERT_EQ(expected.size() + 1, 96u) << readText(demo / "simulator.spec");
      ASSERT_FALSE(flapping.empty());
    }
    points = json::parse(api("/api/points"));
    notice(points);
    mismatch.clear();
    for (const auto& p : points["points"]) {
      auto it = expected.find(p["id"]);
      if (it != expected.end() && p["state"] != it->second)
        mismatch += p["id"].get<std::string>() + " " + p["state"].get<std::string>() + " (not " +
                    it->second + ") ";
    }
  }
  const auto settledAfter = Steady::now() - started;

  // 96 points, the CSV's, with their names; most of them up.
  ASSERT_EQ(points["points"].size(), 96u);
  const auto rows = csvRows();
  ASSERT_EQ(rows.size(), 96u);
  std::map<std::string, json> byId;
  for (const auto& p : points["points"]) {
    byId[p["id"]] = p;
    ASSERT_TRUE(rows.count(p["id"])) << p["id"];
    EXPECT_NE(rows.at(p["id"]).find("," + p["name"].get<std::string>() + ","), std::string::npos)
        << p.dump();
  }
  EXPECT_GE(points["counts"]["up"].get<int>(), 85) << points["counts"];
  EXPECT_GE(roles.heartbeat.size(), 1u);
  EXPECT_GE(expected.size() - roles.heartbeat.size(), 3u);

  // The one that is down says why and whom to call, as its CSV row has it.
  const std::string down = roles.first("refusing");
  ASSERT_FALSE(down.empty());
  const json& victim = byId[down];
  EXPECT_NE(victim["reason"].get<std::string>().find("refused"), std::string::npos) << victim;
  const std::string contact = victim["contact_name"], phone = victim["contact_phone"];
  EXPECT_FALSE(contact.empty());
  EXPECT_FALSE(phone.empty());
  EXPECT_NE(rows.at(down).find("\"" + contact + "\""), std::string::npos) << rows.at(down);
  EXPECT_NE(rows.at(down).find("," + phone + ","), std::string::npos) << rows.at(down);

  // --- the simulated viewers watch as their points --------------------------------------------
  // run.sh starts them once the daemon answers; an SRT caller joins in well under a second.
  const std::set<std::string> watching = readViewers(demo / "viewers.spec");
  ASSERT_EQ(watching.size(), 3u) << readText(demo / "viewers.spec");
  std::string notWatching = "no answer yet";
  const auto watchDeadline = Steady::now() + 10s;
  while (!notWatching.empty()) {
    ASSERT_LT(Steady::now(), watchDeadline)
        << "not watching: " << notWatching << "\n"
        << tailOf(run.log()) << "\n"
        << tailOf(readText(demo / ("viewer-" + *watching.begin() + ".log")));
    points = json::parse(api("/api/points"));
    notWatching.clear();
    for (const auto& p : points["points"]) {
      const bool connected = p["bridge"].is_object() && p["bridge"].value("connected", false);
      if (watching.count(p["id"]) && !connected)
        notWatching += p["id"].get<std::string>() + " " + p["bridge"].dump() + " ";
    }
    if (!notWatching.empty()) std::this_thread::sleep_for(250ms);
  }
  for (const auto& p : points["points"]) {
    if (watching.count(p["id"])) {
      EXPECT_EQ(p["bridge"].value("transport", ""), "srt") << p["bridge"];
      EXPECT_EQ(p["state"], "up") << p.dump();
    } else {
      EXPECT_TRUE(p["bridge"].is_null()) << p["id"] << " " << p["bridge"];  // not watching
    }
  }
  const auto watchingAfter = Steady::now() - started;
  // The points that send their camera back (whip_sender over WHIP): connected, and no other.
  const std::set<std::string> sending = readViewers(demo / "returns.spec", "sender");
  ASSERT_GE(sending.size(), 2u) << readText(demo / "returns.spec");
  std::string notSending = "no answer yet";
  const auto sendDeadline = Steady::now() + 15s;
  while (!notSending.empty()) {
    ASSERT_LT(Steady::now(), sendDeadline)
        << "not sending: " << notSending << "\n"
        << tailOf(run.log()) << "\n"
        << tailOf(readText(demo / ("sender-" + *sending.begin() + ".log")));
    points = json::parse(api("/api/points"));
    notSending.clear();
    for (const auto& p : points["points"]) {
      const bool connected = p["return"].is_object() && p["return"].value("connected", false);
      if (sending.count(p["id"]) != (connected ? 1u : 0u))
        notSending += p["id"].get<std::string>() + " " + p["return"].dump() + " ";
    }
    if (!notSending.empty()) std::this_thread::sleep_for(250ms);
  }
  const auto sendingAfter = Steady::now() - started;
  EXPECT_NE(api("/metrics").find("\nceremonyd_bridge_viewers 3\n"), std::string::npos);
  // Each viewer is a process of its own, and no point's token (the viewers' nor the
  // heartbeats') is on any command line: they are read from the points' files.
  {
    const auto running = commandLines();
    std::set<std::string> viewerPoints;
    for (const auto& [pid, cmdline] : running)
      if (cmdline.find("bridge_viewer ") != std::string::npos &&
          cmdline.find(demo.string()) != std::string::npos)
        for (const auto& id : watching)
          if (cmdline.find("--point " + id + " ") != std::string::npos) viewerPoints.insert(id);
    EXPECT_EQ(viewerPoints, watching);
    std::set<std::string> withToken(watching.begin(), watching.end());
    withToken.insert(roles.heartbeat.begin(), roles.heartbeat.end());
    for (const auto& id : withToken) {
      std::string token = readText(demo / "tokens" / id);
      while (!token.empty() && token.back() == '\n') token.pop_back();
      ASSERT_GE(token.size(), 16u) << id;
      for (const auto& [pid, cmdline] : running)
        EXPECT_EQ(cmdline.find(token), std::string::npos)
            << id << "'s token is on the command line of process " << pid;
    }
  }

  // --- the dashboard -----------------------------------------------------------------------
  struct RemovedAtEnd {
    fs::path path;
    ~RemovedAtEnd() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } profile{dir / "chromium-profile"};
  fs::create_directories(profile.path);
  {
    HeadlessChromium chromium(profile.path, dir.path());
    auto page = chromium.page();
    page->navigate("http://127.0.0.1:" + std::to_string(apiPort) + "/");
    ASSERT_TRUE(page->waitFor("document.querySelectorAll('#tiles .tile').length === 96", 10s))
        << page->evaluate("document.querySelectorAll('#tiles .tile').length");
    const std::string tile = "document.querySelector('.tile[data-point=\"" + down + "\"]')";
    EXPECT_TRUE(page->waitFor(tile + ".classList.contains('state-down')", 5s));
    page->evaluate(tile + ".click(); true");
    ASSERT_TRUE(
        page->waitFor("!document.getElementById('detail').hidden && "
                      "document.getElementById('detail').innerText.includes('" +
                          phone + "')",
                      5s))
        << page->evaluate("document.getElementById('detail').innerText");
    const std::string detail =
        page->evaluate("document.getElementById('detail').innerText").get<std::string>();
    EXPECT_NE(detail.find(contact), std::string::npos) << detail;
    // The watching points' tiles say so; the others say nothing about the bridge.
    std::string watchingTiles;
    for (const auto& id : watching)
      watchingTiles += std::string(watchingTiles.empty() ? "" : " && ") +
                       "document.querySelector('.tile[data-point=\"" + id +
                       "\"] .watch').textContent.includes('đang xem')";
    EXPECT_TRUE(page->waitFor(watchingTiles, 5s)) << page->evaluate(
        "[...document.querySelectorAll('#tiles .tile .watch')].map(w => w.textContent)"
        ".filter(t => t).join(' | ')");
    EXPECT_EQ(page->evaluate("[...document.querySelectorAll('#tiles .tile .watch')]"
                             ".filter(w => w.textContent).length")
                  .get<int>(),
              3);
    // The sending points' tiles say they send their camera back.
    std::string sendingTiles;
    for (const auto& id : sending)
      sendingTiles += std::string(sendingTiles.empty() ? "" : " && ") +
                      "document.querySelector('.tile[data-point=\"" + id +
                      "\"] .watch').textContent.includes('📷 gửi hình về')";
    EXPECT_TRUE(page->waitFor(sendingTiles, 5s)) << page->evaluate(
        "[...document.querySelectorAll('#tiles .tile .watch')].map(w => w.textContent)"
        ".filter(t => t).join(' | ')");
    const auto shot = dir / "demo-dashboard.png";
    page->screenshot(shot);
    dir.keep();  // the screenshot is the artifact
    std::cout << "[ artifact ] " << shot.string() << "\n";
  }

  // --- the flapping point changes state ------------------------------------------------------
  // Its line is up for 10 s, then down for 10 s: up, then down about 6 s into the bad half.
  const auto flapDeadline = started + 28s;
  while (flappingStates.size() < 2 && Steady::now() < flapDeadline) {
    std::this_thread::sleep_for(250ms);
    notice(json::parse(api("/api/points")));
  }
  ASSERT_GE(flappingStates.size(), 2u) << flapping << " stayed " << json(flappingStates) << " for "
                                       << seconds(Steady::now() - started) << " s";

  // --- /metrics: blackbox_exporter's probe_success, for every demo point ---------------------
  const std::string metrics = api("/metrics");
  for (const auto& [id, p] : byId) {
    const std::string line = "probe_success{point=\"" + id + "\",probe=\"";
    const auto at = metrics.find(line);
    ASSERT_NE(at, std::string::npos) << "no probe_success for " << id;
    const std::string value = metrics.substr(metrics.find("} ", at) + 2, 1);
    if (id == down) {
      EXPECT_EQ(value, "0") << id;
    } else if (expected[id] == "up") {
      EXPECT_EQ(value, "1") << id;
    }
  }

  // --- it stops with the daemon ------------------------------------------------------------
  // make passes SIGTERM on to the script alone: the script stops the daemon, then the
  // simulator and the viewers by their PIDs. (Ctrl-C reaches all of them from the terminal.)
  ::kill(run.pid(), SIGTERM);
  const auto status = run.waitFor(15s);
  ASSERT_TRUE(status.has_value()) << tailOf(run.log());
  EXPECT_EQ(*status, 0) << tailOf(run.log());
  const auto left = processesMentioning(demo.string());  // the viewers name their token files
  EXPECT_TRUE(left.empty()) << left.front();
  // The directory is kept for its screenshot; the recording (megabytes) is not needed.
  if (!::testing::Test::HasFailure()) fs::remove_all(demo / "recordings");
  const auto took = Steady::now() - started;
  std::cout << "[ timing   ] settled after " << seconds(settledAfter) << " s, " << watching.size()
            << " viewers watching after " << seconds(watchingAfter) << " s, " << sending.size()
            << " return feeds after " << seconds(sendingAfter) << " s, flapping "
            << json(flappingStates) << ", all in " << seconds(took) << " s\n";
}

}  // namespace
}  // namespace ceremony::testing
