// The results report, from a rehearsal with trouble in it: a point that drops and comes back,
// a held item, an extension, a jump over an item, an RTMP outage and a kill -9 with a restart
// in the middle. The report's figures must match what the test did and saw (a point's down
// time within one probe interval, each item's times within 1 s, the outage once), nothing
// journaled before the crash may be missing, the CSVs must read back in Python and
// LibreOffice with their Vietnamese intact, and the HTML must print to a PDF that names the
// items and the points.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "HealthPeers.h"
#include "health/HealthEvents.h"
#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

using Wall = std::chrono::system_clock;

constexpr auto kProbeInterval = 1000ms;

long long msOf(Wall::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A report time ("2025-07-28T14:03:12.345+07:00") in ms since the epoch; -1 when absent.
long long msOf(const json& iso) {
  if (!iso.is_string()) return -1;
  auto t = health::parseTime(iso.get<std::string>());
  return t ? t->time_since_epoch().count() : -1;
}

const json* byId(const json& list, const std::string& key, const std::string& id) {
  for (const auto& e : list)
    if (e.value(key, std::string()) == id) return &e;
  return nullptr;
}

std::string ceremonyToml(const std::vector<std::string>& pointUrls) {
  std::string t = R"toml([event]
title = "Lễ phát động (kiểm thử báo cáo)"
date = "2025-07-28"
timezone = "+07:00"
venue = "Hội trường thử nghiệm"

[programme]
width = 640
height = 360
fps = 25
video_bitrate_kbps = 800
keyframe_interval_s = 2

[sources.xanh]
kind = "test"
pattern = "green"
tone_hz = 440

[scenes.xanh]
kind = "source"
source = "xanh"

[health]
interval = "1s"
jitter = "100ms"
alert_hold = "0s"
)toml";
  const char* points[][3] = {{"nghia-hanh", "Xã Nghĩa Hành", "0912 345 678"},
                             {"ba-to", "Xã Ba Tơ", "0912 345 679"},
                             {"ly-son", "Đặc khu Lý Sơn", "0912 345 680"}};
  for (std::size_t i = 0; i < 3; ++i)
    t += std::string("\n[[points]]\nid = \"") + points[i][0] + "\"\nname = \"" + points[i][1] +
         "\"\nkind = \"xã\"\ncontact_name = \"Cán bộ " + std::to_string(i + 1) +
         "\"\ncontact_phone = \"" + points[i][2] + "\"\nprobes = [{ kind = \"http\", url = \"" +
         pointUrls[i] + "\", timeout = \"800ms\", connect_timeout = \"500ms\" }]\n";
  const char* items[][3] = {{"mo-dau", "Khai mạc", "6s"},
                            {"gioi-thieu", "Giới thiệu đại biểu", "8s"},
                            {"phat-bieu", "Phát biểu chỉ đạo", "10s"},
                            {"phong-su", "Xem phóng sự", "6s"},
                            {"bam-nut", "Bấm nút phát động", "12s"},
                            {"be-mac", "Bế mạc", "6s"}};
  for (std::size_t i = 0; i < 6; ++i) {
    t += std::string("\n[[timeline]]\nid = \"") + items[i][0] + "\"\ntitle = \"" + items[i][1] +
         "\"\n" + (i == 0 ? "start = \"09:00\"\n" : "") + "duration = \"" + items[i][2] +
         "\"\nscene = \"xanh\"\n";
    if (i == 4) t += "launch = true\n";
  }
  return t;
}

class Rehearsal {
 public:
  Rehearsal() : nginx_(dir_.path()) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    nginx_.waitReady();
    ports_ = freePorts(3);
    std::string spec;
    std::vector<std::string> urls;
    for (int i = 0; i < 3; ++i) {
      const std::string at = pointAddress(i) + ":" + std::to_string(ports_[i]);
      spec += "endpoint p" + std::to_string(i) + " " + at + " healthy\n";
      urls.push_back("http://" + at + "/");
    }
    sim_ = std::make_unique<PointSimulator>(dir_.path(), spec, 3);
    writeText(dir_.path() / "ceremony.toml", ceremonyToml(urls));
    writeText(dir_.path() / "operator.token", "bao-cao-operator-token-1234\n");
    port_ = freePort();
  }
  ~Rehearsal() {
    daemon_.reset();
    curl_global_cleanup();
  }

  void startDaemon() {
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{
            CEREMONYD_BINARY, "--config", (dir_.path() / "ceremony.toml").string(), "--rehearsal=1",
            "--exit-when-done", "--state-dir", state().string(), "--listen",
            "127.0.0.1:" + std::to_string(port_), "--operator-token-file",
            (dir_.path() / "operator.token").string(), "--rtmp", nginx_.rtmpUrl("report")},
        ProcessOptions{dir_.path() / ("ceremonyd-" + std::to_string(++starts_) + ".log"),
                       {},
                       {},
                       dir_.path()});
    const auto until = Clock::now() + 20s;
    while (!acceptsConnections(port_) && Clock::now() < until && daemon_->running())
      std::this_thread::sleep_for(50ms);
  }

  json get(const std::string& path) const {
    return json::parse(httpCall("GET", url(path), token()).body, nullptr, false);
  }
  int post(const std::string& path, const std::string& body = "{}") const {
    return static_cast<int>(httpCall("POST", url(path), token(), body).status);
  }
  // ceremonyctl with the operator token; true when it said done.
  bool ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {ctlPath().string(), "--url=" + url(""),
                                     "--token-file=" + (dir_.path() / "operator.token").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = runToEnd(argv, dir_.path(), 10s);
    output_ += r.out + r.err;
    return r.ok();
  }
  RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
    RunResult r = runToEnd(std::move(argv), dir_.path(), timeout);
    output_ += r.out + r.err;
    return r;
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  static std::string token() { return "bao-cao-operator-token-1234"; }
  static fs::path ctlPath() { return fs::path(CEREMONYD_BINARY).parent_path() / "ceremonyctl"; }
  fs::path state() const { return dir_.path() / "state"; }
  fs::path dir() const { return dir_.path(); }
  NginxRtmp& nginx() { return nginx_; }
  PointSimulator& points() { return *sim_; }
  Process& daemon() { return *daemon_; }
  const std::string& output() const { return output_; }

 private:
  TempDir dir_{"report"};
  NginxRtmp nginx_;
  std::vector<int> ports_;
  std::unique_ptr<PointSimulator> sim_;
  std::unique_ptr<Process> daemon_;
  int port_ = 0;
  int starts_ = 0;
  std::string output_;
};

// Polls every 100 ms until `done` or `limit`, calling `each` on every round.
template <class Done>
bool pollUntil(std::chrono::milliseconds limit, Done done) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

std::string itemState(const json& timeline, const std::string& id) {
  if (!timeline.is_object() || !timeline["items"].is_array()) return {};
  const json* item = byId(timeline["items"], "id", id);
  return item ? item->value("state", std::string()) : std::string();
}

TEST(Report, ARehearsalWithTroubleAndACrashIsReportedAsItHappened) {
  Rehearsal r;
  r.startDaemon();
  ASSERT_TRUE(r.daemon().running()) << tailOf(r.daemon().log(), 30);
  ASSERT_TRUE(r.nginx().waitForPublish("report", 15s)) << tailOf(r.daemon().log(), 30);

  // Item 1 on air: Ba Tơ's line drops (its server refuses) for 8 s.
  ASSERT_TRUE(
      pollUntil(15s, [&] { return itemState(r.get("/api/timeline"), "mo-dau") == "running"; }));
  ASSERT_TRUE(pollUntil(8s, [&] {
    const json p = r.get("/api/points/ba-to");
    return p.is_object() && p.value("state", "") == "up";
  })) << "Ba Tơ never came up";
  const auto droppedAt = Wall::now();
  ASSERT_EQ(r.points().command("set p1 refusing"), "ok");
  // The daemon's own view of the outage, as an operator watching the dashboard sees it.
  std::optional<Wall::time_point> seenDown, seenUp;
  auto watchBaTo = [&] {
    const json p = r.get("/api/points/ba-to");
    const std::string s = p.is_object() ? p.value("state", "") : "";
    if (!seenDown && s == "down") seenDown = Wall::now();
    if (seenDown && !seenUp && s == "up") seenUp = Wall::now();
  };
  // Item 2: held for about 3 s by ceremonyctl.
  ASSERT_TRUE(pollUntil(10s, [&] {
    watchBaTo();
    return itemState(r.get("/api/timeline"), "gioi-thieu") == "running";
  }));
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(r.ctl({"hold"})) << r.output();
  const auto heldAt = Wall::now();
  pollUntil(3s, [&] {
    watchBaTo();
    return false;
  });
  ASSERT_TRUE(r.ctl({"resume"})) << r.output();
  const auto resumedAt = Wall::now();
  pollUntil(
      std::chrono::milliseconds(std::max<long long>(
          0, 8000 - std::chrono::duration_cast<std::chrono::milliseconds>(Wall::now() - droppedAt)
                        .count())),
      [&] {
        watchBaTo();
        return false;
      });
  const auto healedAt = Wall::now();
  ASSERT_EQ(r.points().command("set p1 healthy"), "ok");

  // Item 3: the RTMP ingest dies for 4 s; the operator extends the item by 5 s (the API).
  ASSERT_TRUE(pollUntil(15s, [&] {
    watchBaTo();
    return itemState(r.get("/api/timeline"), "phat-bieu") == "running";
  }));
  const auto ingestDownAt = Wall::now();
  r.nginx().kill();
  EXPECT_EQ(r.post("/api/timeline/extend", R"({"seconds": 5})"), 200);
  pollUntil(4s, [&] {
    watchBaTo();
    return false;
  });
  r.nginx().restart();
  r.nginx().waitReady();
  const auto ingestBackAt = Wall::now();
  ASSERT_TRUE(pollUntil(15s, [&] {
    watchBaTo();
    return seenUp.has_value();
  })) << "Ba Tơ did not come back";
  ASSERT_TRUE(r.nginx().waitForPublish("report", 20s)) << tailOf(r.daemon().log(), 30);

  // A jump over item 4 to the launch (ceremonyctl).
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(r.ctl({"goto", "bam-nut"})) << r.output();
  const auto jumpedAt = Wall::now();
  // The live draft already holds what happened.
  const json draft = r.get("/api/report?format=json");
  ASSERT_TRUE(draft.is_object()) << draft;
  EXPECT_TRUE(draft.value("draft", false));

  // kill -9 in the middle of the launch item; everything journaled so far must survive.
  std::this_thread::sleep_for(3s);
  const std::string journalBefore = readText(r.state() / "journal.jsonl");
  const auto killedAt = Wall::now();
  ::kill(r.daemon().pid(), SIGKILL);
  ASSERT_TRUE(r.daemon().waitFor(5s).has_value());
  std::this_thread::sleep_for(1s);
  r.startDaemon();
  ASSERT_TRUE(r.daemon().running()) << tailOf(r.daemon().log(), 30);
  const auto restartedAt = Wall::now();
  // The rest of the run-of-show, then the daemon leaves by itself and writes the report.
  const auto status = r.daemon().waitFor(60s);
  ASSERT_TRUE(status.has_value()) << "the daemon did not finish the run-of-show";
  EXPECT_EQ(*status, 0) << tailOf(r.daemon().log(), 30);

  const std::string journalAfter = readText(r.state() / "journal.jsonl");
  EXPECT_EQ(journalAfter.substr(0, journalBefore.size()), journalBefore)
      << "something journaled before the kill -9 is gone";

  // The daemon wrote the report itself at the end.
  for (const char* f : {"report-2025-07-28.html", "report-2025-07-28-items.csv",
                        "report-2025-07-28-points.csv", "report-2025-07-28-outages.csv"})
    EXPECT_TRUE(fs::exists(r.state() / f)) << f;

  // The same report again, from the journal alone, as JSON to check the figures.
  const fs::path out = r.dir() / "out";
  RunResult built =
      r.run({Rehearsal::ctlPath().string(), "report", "--journal",
             (r.state() / "journal.jsonl").string(), "--report-dir", out.string(), "--pdf"},
            90s);
  ASSERT_TRUE(built.ok()) << built.describe();

  // ---- the run-of-show (the figures as JSON, from the same journal) ----
  RunResult jsonRun = r.run(
      {Rehearsal::ctlPath().string(), "report", "--journal", (r.state() / "journal.jsonl").string(),
       "--report-dir", (r.dir() / "json").string(), "--json"},
      30s);
  ASSERT_TRUE(jsonRun.ok()) << jsonRun.describe();
  const json rep = json::parse(jsonRun.out, nullptr, false);
  ASSERT_TRUE(rep.is_object()) << jsonRun.out;
  EXPECT_FALSE(rep.value("draft", true));
  const json& items = rep["items"];
  ASSERT_EQ(items.size(), 6u) << rep.dump(2);
  auto item = [&](const std::string& id) -> const json& {
    const json* i = byId(items, "id", id);
    static const json none = json::object();
    return i ? *i : none;
  };
  // Item 2 was held for the time between hold and resume: it ends that much after its plan.
  const long long held = msOf(resumedAt) - msOf(heldAt);
  const long long start2 = msOf(item("gioi-thieu")["actual_start"]);
  const long long end2 = msOf(item("gioi-thieu")["actual_end"]);
  EXPECT_NEAR(end2 - start2, 8000 + held, 1000) << item("gioi-thieu");
  bool holdByCtl = false, resumeByCtl = false;
  for (const auto& a : item("gioi-thieu")["actions"]) {
    if (a.value("op", "") == "hold" && a.value("who", "") == "ceremonyctl") {
      holdByCtl = true;
      EXPECT_NEAR(msOf(a["at"]), msOf(heldAt), 1000);
    }
    if (a.value("op", "") == "resume" && a.value("who", "") == "ceremonyctl") resumeByCtl = true;
  }
  EXPECT_TRUE(holdByCtl && resumeByCtl) << item("gioi-thieu");
  // Item 3: extended by 5 s through the API, cut short by the jump.
  bool extended = false;
  for (const auto& a : item("phat-bieu")["actions"])
    if (a.value("op", "") == "extend" && a.value("who", "") == "api" && a.value("seconds", 0) == 5)
      extended = true;
  EXPECT_TRUE(extended) << item("phat-bieu");
  EXPECT_NEAR(msOf(item("phat-bieu")["actual_end"]), msOf(jumpedAt), 1000) << item("phat-bieu");
  EXPECT_TRUE(item("phong-su").value("skipped", false)) << item("phong-su");
  EXPECT_NEAR(msOf(item("bam-nut")["actual_start"]), msOf(jumpedAt), 1000) << item("bam-nut");
  // The launch ran its 12 s across the crash; the last item followed it.
  EXPECT_NEAR(msOf(item("bam-nut")["actual_end"]) - msOf(item("bam-nut")["actual_start"]), 12000,
              1000)
      << item("bam-nut");
  EXPECT_NEAR(msOf(item("be-mac")["actual_start"]), msOf(item("bam-nut")["actual_end"]), 1000);
  EXPECT_NE(msOf(item("be-mac")["actual_end"]), -1) << item("be-mac");

  // ---- the points ----
  const json& points = rep["points"];
  EXPECT_EQ(points.value("planned", 0), 3);
  EXPECT_EQ(points.value("connected_at_launch", -1), 3) << points;
  ASSERT_TRUE(seenDown && seenUp);
  const json* baTo = byId(points["list"], "id", "ba-to");
  ASSERT_NE(baTo, nullptr) << points;
  const long long seen = msOf(*seenUp) - msOf(*seenDown);
  EXPECT_NEAR(baTo->value("down_ms", 0LL), seen, kProbeInterval.count())
      << "the dashboard showed Ba Tơ down for " << seen << " ms";
  EXPECT_EQ(baTo->value("outages", 0), 1);
  EXPECT_EQ(points["list"][0].value("id", ""), "ba-to") << "the point in trouble comes first";
  EXPECT_EQ(baTo->value("contact_phone", ""), "0912 345 679");
  int baToOutages = 0;
  for (const auto& o : rep["outages"])
    if (o.value("point", "") == "ba-to") {
      ++baToOutages;
      EXPECT_GE(msOf(o["from"]), msOf(droppedAt)) << o;
      EXPECT_GE(msOf(o["to"]), msOf(healedAt)) << o;
      EXPECT_FALSE(o.value("reason", "").empty()) << o;
    }
  EXPECT_EQ(baToOutages, 1) << rep["outages"];
  for (const char* id : {"nghia-hanh", "ly-son"}) {
    const json* p = byId(points["list"], "id", id);
    ASSERT_NE(p, nullptr) << id;
    EXPECT_EQ(p->value("outages", -1), 0) << *p;
    EXPECT_NE(msOf((*p)["first_connected"]), -1) << *p;
  }

  // ---- the stream: the ingest outage once, the crash as a gap ----
  const json* rtmp = nullptr;
  for (const auto& o : rep["outputs"])
    if (o.value("kind", "") == "rtmp") rtmp = &o;
  ASSERT_NE(rtmp, nullptr) << rep["outputs"];
  int ingestOutages = 0;
  for (const auto& o : (*rtmp)["outages"]) {
    const long long from = msOf(o["from"]), to = msOf(o["to"]);
    if (from <= msOf(ingestBackAt) + 1000 && to >= msOf(ingestDownAt)) ++ingestOutages;
  }
  EXPECT_EQ(ingestOutages, 1) << *rtmp;
  EXPECT_GE((*rtmp).value("reconnects", 0), 2) << *rtmp;  // after the outage and the crash
  ASSERT_EQ(rep["gaps"].size(), 1u) << rep["gaps"];
  EXPECT_NEAR(msOf(rep["gaps"][0]["from"]), msOf(killedAt), 31000);
  EXPECT_LE(msOf(rep["gaps"][0]["to"]), msOf(restartedAt) + 1000);

  // ---- the files: CSV through Python and LibreOffice, the PDF's text ----
  const std::string py = R"(import csv, sys
for name in sys.argv[1:]:
    raw = open(name, 'rb').read()
    assert raw.startswith(b'\xef\xbb\xbf'), name + ': no BOM'
    rows = list(csv.reader(open(name, encoding='utf-8-sig', newline='')))
    print(name.rsplit('-', 1)[-1], len(rows) - 1, '|'.join(rows[1]) if len(rows) > 1 else '')
)";
  writeText(r.dir() / "check.py", py);
  RunResult csv = r.run(
      {"python3", (r.dir() / "check.py").string(), (out / "report-2025-07-28-items.csv").string(),
       (out / "report-2025-07-28-points.csv").string(),
       (out / "report-2025-07-28-outages.csv").string()},
      20s);
  ASSERT_TRUE(csv.ok()) << csv.describe();
  EXPECT_NE(csv.out.find("items.csv 6 "), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("points.csv 3 ba-to|Xã Ba Tơ"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("outages.csv 1 ba-to|Xã Ba Tơ"), std::string::npos) << csv.out;

  RunResult office =
      r.run({"soffice", "-env:UserInstallation=file://" + (r.dir() / "lo-profile").string(),
             "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "html", "--outdir",
             (r.dir() / "lo").string(), (out / "report-2025-07-28-points.csv").string()},
            120s);
  ASSERT_TRUE(office.ok()) << office.describe();
  const std::string sheet = readText(r.dir() / "lo" / "report-2025-07-28-points.html");
  EXPECT_NE(sheet.find("Xã Nghĩa Hành"), std::string::npos) << sheet.substr(0, 2000);
  EXPECT_NE(sheet.find("Đặc khu Lý Sơn"), std::string::npos);
  EXPECT_NE(sheet.find("Tên điểm cầu"), std::string::npos);

  RunResult pdf = r.run({"pdftotext", (out / "report-2025-07-28.pdf").string(), "-"}, 20s);
  ASSERT_TRUE(pdf.ok()) << pdf.describe();
  // A name may wrap inside its table cell: compare with every run of blanks as one space.
  std::string text;
  for (char c : pdf.out) {
    const bool blank = c == ' ' || c == '\n' || c == '\t' || c == '\f';
    if (!blank || (!text.empty() && text.back() != ' ')) text.push_back(blank ? ' ' : c);
  }
  for (const char* name :
       {"Khai mạc", "Bấm nút phát động", "Bế mạc", "Xã Nghĩa Hành", "Xã Ba Tơ", "Đặc khu Lý Sơn"})
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text.substr(0, 3000);

  // The operator's token is nowhere in what the tools printed.
  EXPECT_EQ(r.output().find(Rehearsal::token()), std::string::npos);
}

}  // namespace
}  // namespace ceremony::testing
