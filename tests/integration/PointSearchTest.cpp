// Finding the point in trouble among many: 60 points of a national event
// (tests/tools/national_points.py: provinces as groups, Vietnamese names), played by the point
// simulator with three of them refusing, probed by the real daemon. Through the real API and
// the real ceremonyctl: a search without diacritics finds the commune, state=down gives
// exactly the down points, a province's points come by --group (UTF-8 in the URL), the list
// is trouble first with whom to call, and a bad state gets a 400 saying what is allowed.

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
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

struct CsvPoint {
  std::string id, name, group;
};

// id, name, group of each row of national_points.py's CSV (no field there holds a comma
// but the quoted contact, which comes after these).
std::vector<CsvPoint> readPoints(const fs::path& csv) {
  std::vector<CsvPoint> out;
  std::istringstream lines(readText(csv));
  std::string line;
  std::getline(lines, line);  // id,name,kind,group,...
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; f.size() < 4 && std::getline(cells, c, ',');) f.push_back(c);
    if (f.size() == 4) out.push_back({f[0], f[1], f[3]});
  }
  return out;
}

std::set<std::string> idsOf(const json& answer) {
  std::set<std::string> ids;
  if (answer.is_object() && answer["points"].is_array())
    for (const auto& p : answer["points"]) ids.insert(p.value("id", ""));
  return ids;
}

TEST(PointSearch, SearchStateAndGroupFindThePointsThroughTheApiAndCeremonyctl) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  TempDir dir("point-search");
  const int port = freePort();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const fs::path national = dir / "national";
  const RunResult made =
      runToEnd({"python3", std::string(CEREMONYD_SOURCE_DIR) + "/tests/tools/national_points.py",
                national.string(), "--points", "60", "--api", "127.0.0.1:" + std::to_string(port)},
               dir.path(), 20s);
  ASSERT_TRUE(made.ok()) << made.describe();
  const auto points = readPoints(national / "points.csv");
  ASSERT_EQ(points.size(), 60u);

  // Three of the probed points refuse: the 2nd, the 20th and the 40th endpoint.
  std::istringstream specLines(readText(national / "simulator.spec"));
  std::string spec;
  std::set<std::string> refusing;
  int endpoints = 0;
  for (std::string line; std::getline(specLines, line);) {
    if (line.rfind("endpoint ", 0) == 0) {
      ++endpoints;
      if (endpoints == 2 || endpoints == 20 || endpoints == 40) {
        const std::string id = line.substr(9, line.find(' ', 9) - 9);
        refusing.insert(id);
        line.replace(line.rfind(" healthy"), 8, " refusing");
      }
    }
    spec += line + "\n";
  }
  ASSERT_EQ(refusing.size(), 3u) << spec;
  PointSimulator sim(dir.path(), spec, endpoints);

  std::string config = readText(kData / "programme.toml");
  config +=
      "\n[health]\npoints_csv = \"national/points.csv\"\ninterval = \"1s\"\n"
      "jitter = \"200ms\"\n";
  writeText(dir / "ceremony.toml", config);
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir / "ceremony.toml").string(), "--rehearsal=1",
       "--state-dir", (dir / "state").string(), "--listen", "127.0.0.1:" + std::to_string(port)},
      {dir / "ceremonyd.log"});
  const auto get = [&](const std::string& target) {
    const HttpReply r = httpCall("GET", base + target);
    return std::pair{r.status, json::parse(r.body, nullptr, false)};
  };

  // --- state=down: exactly the refusing points, once the probes have judged them ---------
  const auto started = Clock::now();
  json down;
  while (Clock::now() < started + 15s) {
    ASSERT_TRUE(daemon.running()) << tailOf(daemon.log());
    down = get("/api/points?state=down").second;
    if (idsOf(down) == refusing) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(idsOf(down), refusing) << down.dump().substr(0, 2000) << tailOf(daemon.log());
  std::cout << "[ measured ] the 3 refusing points down after " << seconds(Clock::now() - started)
            << " s\n";
  EXPECT_EQ(down["matched"], 3);
  EXPECT_EQ(down["counts"]["total"], 60) << "counts stay the totals";
  std::set<std::string> downInFull;
  const json all = get("/api/points").second;
  for (const auto& p : all["points"])
    if (p["state"] == "down") downInFull.insert(p["id"].get<std::string>());
  EXPECT_EQ(downInFull, refusing) << "state=down gives exactly the down ones";

  // --- search without diacritics --------------------------------------------------------
  std::set<std::string> nghiaHanh;  // the commune names with «Nghĩa Hành»
  for (const auto& p : points)
    if (p.name.find("Nghĩa Hành") != std::string::npos) nghiaHanh.insert(p.id);
  ASSERT_FALSE(nghiaHanh.empty());
  EXPECT_EQ(idsOf(get("/api/points?q=nghia+hanh").second), nghiaHanh);
  EXPECT_EQ(idsOf(get("/api/points?q=NGH%C4%A8A%20H%C3%80NH").second), nghiaHanh);  // NGHĨA HÀNH

  // --- a bad state: 400 with what is allowed --------------------------------------------
  const auto [status, bad] = get("/api/points?state=do");
  EXPECT_EQ(status, 400);
  EXPECT_NE(bad.value("error", "").find("down"), std::string::npos) << bad;

  // --- ceremonyctl ------------------------------------------------------------------------
  const std::string ctl = (fs::path(CEREMONYD_BINARY).parent_path() / "ceremonyctl").string();
  const auto ctlRun = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ctl, "--url=" + base});
    return runToEnd(args, dir.path(), 10s);
  };
  // A positional search without diacritics.
  RunResult r = ctlRun({"points", "nghia", "hanh"});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const auto& id : nghiaHanh) EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(nghiaHanh.size()) + "/60 điểm cầu khớp"), std::string::npos)
      << r.out;

  // --state down: the three, each with its contact's name and phone.
  r = ctlRun({"points", "--state", "down"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("3/60 điểm cầu khớp"), std::string::npos) << r.out;
  const std::string csv = readText(national / "points.csv");
  for (const auto& id : refusing) {
    // Its CSV row: id,name,kind,group,"contact",phone,...
    std::string row = csv.substr(csv.find("\n" + id + ",") + 1);
    row = row.substr(0, row.find('\n'));
    const auto quote = row.rfind("\",");
    ASSERT_NE(quote, std::string::npos) << row;
    const std::string phone = row.substr(quote + 2, row.find(',', quote + 2) - quote - 2);
    EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(phone), std::string::npos) << "the phone of " << id << " in\n" << r.out;
  }

  // --group with a Vietnamese name, percent-encoded as UTF-8.
  std::set<std::string> quangNgai;
  for (const auto& p : points)
    if (p.group == "Quảng Ngãi") quangNgai.insert(p.id);
  ASSERT_FALSE(quangNgai.empty());
  r = ctlRun({"points", "--group", "Quảng Ngãi"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find(std::to_string(quangNgai.size()) + "/60 điểm cầu khớp"), std::string::npos)
      << r.out;
  for (const auto& id : quangNgai) EXPECT_NE(r.out.find(id), std::string::npos) << r.out;

  // The whole list: trouble first (the first row after the heading is a down point), with a
  // group column.
  r = ctlRun({"points"});
  ASSERT_TRUE(r.ok()) << r.describe();
  std::istringstream out(r.out);
  std::string head, first;
  std::getline(out, head);
  std::getline(out, first);
  EXPECT_NE(head.find("nhóm"), std::string::npos) << head;
  EXPECT_TRUE(refusing.count(first.substr(0, first.find(' ')))) << r.out.substr(0, 1500);

  // A bad state: the daemon's sentence, and exit status 1.
  r = ctlRun({"points", "--state", "do"});
  EXPECT_EQ(r.exitStatus, 1) << r.describe();
  EXPECT_NE(r.err.find("chỉ nhận"), std::string::npos) << r.err;

  if (HasFailure()) dir.keep();
  daemon.stop(10s);
  curl_global_cleanup();
}

}  // namespace
}  // namespace ceremony::testing
