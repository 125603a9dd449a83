// The results report's figures, from synthetic journals: items held, extended and jumped; a
// point that drops and comes back; a crash in the middle; a flapping point; a live draft.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ReportTestSupport.h"
#include "report/Report.h"

namespace ceremony::report {
namespace {

using test::at;
using test::findById;
using test::iso;
using test::JournalBuilder;
using json = nlohmann::json;

// The run-of-show of a ceremony with a hold, an extension, a `next` and a `goto` that skips
// item 3; a resumed daemon wrote the start of item 1 a second time.
JournalBuilder runOfShow() {
  JournalBuilder b;
  b.start(0);
  b.point(30, "nghia-hanh", "unknown", "up", "", false);
  b.item(65, "started", "mo-dau");
  b.point(70, "ba-to", "unknown", "degraded", "", false);
  b.command(120, "hold", "dashboard");
  b.item(120, "held", "mo-dau");
  b.command(150, "resume", "dashboard");
  b.command(180, "extend", "ceremonyctl", {{"seconds", 60}});
  b.command(300, "next", "schedule");
  b.item(300, "ended", "mo-dau");
  b.item(300, "started", "phat-bieu");
  b.item(65, "started", "mo-dau");  // the duplicate: same what, item and time
  b.command(360, "goto", "api", {{"arg", "phat-dong"}});
  b.item(360, "ended", "phat-bieu");
  b.item(360, "skipped", "van-nghe");
  b.item(360, "started", "phat-dong");
  b.point(400, "ba-to", "degraded", "up", "", false);
  b.item(500, "ended", "phat-dong");
  b.add(510, "stop", {{"why", "kết thúc"}});
  return b;
}

TEST(ReportItems, HeldExtendedAndJumpedItems) {
  auto r = buildReport(runOfShow().journal, at(9999), false);
  const json& items = r.json["items"];
  ASSERT_EQ(items.size(), 4u);
  const json* first = findById(items, "mo-dau");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["actual_start"], iso(65));
  EXPECT_EQ((*first)["actual_end"], iso(300));
  EXPECT_EQ((*first)["planned_start"], iso(60));
  EXPECT_EQ((*first)["slip_ms"], 5000);
  EXPECT_EQ((*first)["skipped"], false);
  const json& actions = (*first)["actions"];
  ASSERT_EQ(actions.size(), 4u) << actions.dump();
  EXPECT_EQ(actions[0]["op"], "hold");
  EXPECT_EQ(actions[0]["who"], "dashboard");
  EXPECT_EQ(actions[0]["at"], iso(120));
  EXPECT_EQ(actions[1]["op"], "resume");
  EXPECT_EQ(actions[2]["op"], "extend");
  EXPECT_EQ(actions[2]["who"], "ceremonyctl");
  EXPECT_EQ(actions[2]["seconds"], 60);
  EXPECT_EQ(actions[3]["op"], "next") << "a next belongs to the item it ended";
  EXPECT_EQ(actions[3]["who"], "schedule");

  const json* second = findById(items, "phat-bieu");
  ASSERT_TRUE(second);
  ASSERT_EQ((*second)["actions"].size(), 1u)
      << "the goto was given while item 2 was on air (and the duplicate did not reopen item 1)";
  EXPECT_EQ((*second)["actions"][0]["op"], "goto");
  EXPECT_EQ((*second)["actions"][0]["arg"], "phat-dong");
  EXPECT_EQ((*second)["actions"][0]["who"], "api");
  EXPECT_EQ((*second)["slip_ms"], 0);

  const json* third = findById(items, "van-nghe");
  ASSERT_TRUE(third);
  EXPECT_EQ((*third)["skipped"], true);
  EXPECT_TRUE((*third)["actual_start"].is_null());
  EXPECT_TRUE((*third)["slip_ms"].is_null());

  const json* launch = findById(items, "phat-dong");
  ASSERT_TRUE(launch);
  EXPECT_EQ((*launch)["slip_ms"], -120000);
  EXPECT_TRUE((*launch)["actions"].empty());

  // Opening at item 1's actual start (one point up), launch at item 4's (two).
  const json& points = r.json["points"];
  EXPECT_EQ(points["planned"], 2);
  EXPECT_EQ(points["opening_at"], iso(65));
  EXPECT_EQ(points["connected_at_opening"], 1);
  EXPECT_EQ(points["launch_item"], "phat-dong");
  EXPECT_EQ(points["launch_at"], iso(360));
  EXPECT_EQ(points["connected_at_launch"], 2);

  // The HTML shows who acted and the skipped item; the CSV its slip and actions.
  EXPECT_NE(r.html.find("Giữ mục"), std::string::npos);
  EXPECT_NE(r.html.find("bảng điều khiển"), std::string::npos);
  EXPECT_NE(r.html.find("Bỏ qua"), std::string::npos);
  EXPECT_NE(r.itemsCsv.find("1,mo-dau,Khai mạc,2025-07-28 14:01:00,2025-07-28 14:01:05,"
                            "2025-07-28 14:05:00,2025-07-28 14:05:00,5,Không,"),
            std::string::npos)
      << r.itemsCsv;
  EXPECT_NE(r.itemsCsv.find(",-120,Không,"), std::string::npos)
      << "a number of ours is not guarded against formulas";
}

TEST(ReportPoints, DownTwentySecondsThenUp) {
  JournalBuilder b;
  b.start(0);
  b.point(10, "nghia-hanh", "unknown", "up", "", false);
  b.point(100, "nghia-hanh", "up", "down", "connect timeout after 2000 ms");
  b.point(120, "nghia-hanh", "down", "up", "");
  b.add(200, "stop", {{"why", "kết thúc"}});
  auto r = buildReport(b.journal, at(5000), false);
  const json& list = r.json["points"]["list"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], "nghia-hanh") << "the point with trouble comes first";
  EXPECT_EQ(list[0]["down_ms"], 20000);
  EXPECT_EQ(list[0]["up_ms"], 170000);
  EXPECT_EQ(list[0]["degraded_ms"], 0);
  EXPECT_EQ(list[0]["outages"], 1);
  EXPECT_EQ(list[0]["first_connected"], iso(10));
  EXPECT_EQ(list[0]["contact_phone"], "0905 111 222");
  EXPECT_EQ(list[1]["id"], "ba-to");
  EXPECT_EQ(list[1]["up_ms"], 0);
  EXPECT_TRUE(list[1]["first_connected"].is_null());
  const json& outages = r.json["outages"];
  ASSERT_EQ(outages.size(), 1u);
  EXPECT_EQ(outages[0]["point"], "nghia-hanh");
  EXPECT_EQ(outages[0]["name"], "Xã Nghĩa Hành");
  EXPECT_EQ(outages[0]["from"], iso(100));
  EXPECT_EQ(outages[0]["to"], iso(120));
  EXPECT_EQ(outages[0]["ms"], 20000);
  EXPECT_EQ(outages[0]["reason"], "connect timeout after 2000 ms");
  EXPECT_EQ(outages[0]["flapping"], false);
  // The alert is in the log; the start-up change (alert false) is not.
  int pointLines = 0;
  for (const auto& l : r.json["log"])
    if (l["kind"] == "point") ++pointLines;
  EXPECT_EQ(pointLines, 2);
  // The series: one up, then one down, then one up.
  const json& c = r.json["connected"];
  ASSERT_GE(c.size(), 3u);
  EXPECT_EQ(c[c.size() - 2]["at"], iso(100));
  EXPECT_EQ(c[c.size() - 2]["down"], 1);
  EXPECT_EQ(c[c.size() - 1]["up"], 1);
  EXPECT_NE(r.outagesCsv.find("nghia-hanh,Xã Nghĩa Hành,2025-07-28 14:01:40,2025-07-28 "
                              "14:02:00,20,connect timeout after 2000 ms\r\n"),
            std::string::npos)
      << r.outagesCsv;
}

TEST(ReportGap, CrashAndResumedStart) {
  JournalBuilder b;
  // An earlier run of another ceremony in the same journal: not counted.
  b.start(-3000, false, "rehearsal");
  b.output(-2990, "youtube", "live");
  b.point(-2990, "nghia-hanh", "unknown", "down", "x");
  b.start(0);
  b.output(10, "youtube", "live");
  b.point(10, "nghia-hanh", "unknown", "up", "", false);
  b.item(20, "started", "mo-dau");
  b.add(60, "alive", {{"up", 1}, {"down", 0}});
  // kill -9; started again 90 s after the last record.
  b.start(150, true);
  b.output(150, "youtube", "connecting");
  b.point(152, "nghia-hanh", "unknown", "up", "", false);
  b.output(155, "youtube", "live");
  b.add(300, "stop", {{"why", "kết thúc"}});
  auto r = buildReport(b.journal, at(5000), false);
  ASSERT_EQ(r.json["gaps"].size(), 1u);
  EXPECT_EQ(r.json["gaps"][0]["from"], iso(60));
  EXPECT_EQ(r.json["gaps"][0]["to"], iso(150));
  EXPECT_EQ(r.json["gaps"][0]["ms"], 90000);
  const json* yt = findById(r.json["outputs"], "youtube");
  ASSERT_TRUE(yt);
  EXPECT_EQ((*yt)["kind"], "rtmp");
  EXPECT_EQ((*yt)["reconnects"], 1);
  EXPECT_EQ((*yt)["live_ms"], 50000 + 145000);
  EXPECT_EQ((*yt)["longest_outage_ms"], 95000) << "the gap is part of the outage";
  ASSERT_EQ((*yt)["outages"].size(), 1u);
  EXPECT_EQ((*yt)["outages"][0]["from"], iso(60));
  EXPECT_EQ(r.json["stream"]["started"], iso(10));
  EXPECT_EQ(r.json["stream"]["ended"], iso(300));
  const json* p = findById(r.json["points"]["list"], "nghia-hanh");
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)["up_ms"], 50000 + 148000) << "the gap is neither up nor down";
  EXPECT_EQ((*p)["down_ms"], 0) << "the other ceremony's records do not count";
  EXPECT_EQ((*p)["first_connected"], iso(10));
  // Item 1 is still on air after the restart: its start from before the crash is kept.
  EXPECT_EQ(findById(r.json["items"], "mo-dau")->at("actual_start"), iso(20));
  bool restart = false;
  for (const auto& l : r.json["log"])
    if (l["kind"] == "start" &&
        l["message"].get<std::string>().find("khởi động lại") != std::string::npos)
      restart = true;
  EXPECT_TRUE(restart);
  EXPECT_NE(r.html.find("Phần mềm không chạy từ 14:01:00 đến 14:02:30"), std::string::npos);
  ASSERT_EQ(r.json["warnings"].size(), 1u) << r.json["warnings"].dump();
  EXPECT_NE(r.json["warnings"][0].get<std::string>().find("Có 3 bản ghi của buổi lễ khác"),
            std::string::npos);
}

TEST(ReportFlapping, SummariesAddToTheTotals) {
  JournalBuilder b;
  b.start(0);
  b.point(10, "ba-to", "unknown", "up", "", false);
  b.add(100, "point-flapping", {{"point", "ba-to"}, {"state", "down"}});
  b.add(400, "alive", {{"up", 0}, {"degraded", 0}, {"down", 1}});
  b.add(700, "point-summary",
        {{"point", "ba-to"},
         {"from", iso(100)},
         {"to", iso(700)},
         {"up_ms", 400000},
         {"degraded_ms", 0},
         {"down_ms", 200000},
         {"outages", 7},
         {"state", "up"},
         {"flapping", true}});
  b.add(1300, "point-summary",
        {{"point", "ba-to"},
         {"from", iso(700)},
         {"to", iso(1300)},
         {"up_ms", 500000},
         {"degraded_ms", 0},
         {"down_ms", 100000},
         {"outages", 3},
         {"state", "up"},
         {"flapping", false}});
  b.point(1400, "ba-to", "up", "down", "no route to host");
  b.add(1500, "stop", {{"why", "kết thúc"}});
  auto r = buildReport(b.journal, at(99999), false);
  const json& list = r.json["points"]["list"];
  ASSERT_EQ(list[0]["id"], "ba-to");
  EXPECT_EQ(list[0]["up_ms"], 90000 + 400000 + 500000 + 100000);
  EXPECT_EQ(list[0]["down_ms"], 200000 + 100000 + 100000);
  EXPECT_EQ(list[0]["outages"], 7 + 3 + 1);
  const json& outages = r.json["outages"];
  ASSERT_EQ(outages.size(), 3u);
  EXPECT_EQ(outages[0]["flapping"], true);
  EXPECT_EQ(outages[0]["count"], 7);
  EXPECT_EQ(outages[0]["from"], iso(100));
  EXPECT_EQ(outages[0]["to"], iso(700));
  EXPECT_EQ(outages[0]["reason"], "chập chờn: 7 lần mất kết nối");
  EXPECT_EQ(outages[1]["count"], 3);
  EXPECT_EQ(outages[2]["flapping"], false);
  EXPECT_TRUE(outages[2]["to"].is_null()) << "still down when the daemon stopped";
  EXPECT_EQ(outages[2]["ms"], 100000);
  EXPECT_NE(r.html.find("chập chờn: 10 lần mất kết nối"), std::string::npos)
      << "back-to-back summaries print as one row";
  EXPECT_EQ(r.html.find("chập chờn: 7 lần"), std::string::npos);
  // The alive record corrects the series while the point flaps.
  bool corrected = false;
  for (const auto& c : r.json["connected"])
    if (c["at"] == iso(400) && c["down"] == 1) corrected = true;
  EXPECT_TRUE(corrected) << r.json["connected"].dump();
}

TEST(ReportDraft, ClosesOpenIntervalsAtNow) {
  JournalBuilder b;
  b.start(0);
  b.output(10, "youtube", "live");
  b.item(20, "started", "mo-dau");
  b.point(30, "nghia-hanh", "unknown", "down", "connect timeout");
  auto r = buildReport(b.journal, at(100), true);
  EXPECT_EQ(r.json["draft"], true);
  EXPECT_EQ(r.json["generated_at"], iso(100));
  const json* yt = findById(r.json["outputs"], "youtube");
  ASSERT_TRUE(yt);
  EXPECT_EQ((*yt)["live_ms"], 90000);
  EXPECT_EQ((*yt)["reconnects"], 0);
  EXPECT_EQ(r.json["stream"]["ended"], iso(100));
  const json* p = findById(r.json["points"]["list"], "nghia-hanh");
  EXPECT_EQ((*p)["down_ms"], 70000);
  ASSERT_EQ(r.json["outages"].size(), 1u);
  EXPECT_TRUE(r.json["outages"][0]["to"].is_null());
  EXPECT_EQ(r.json["outages"][0]["ms"], 70000);
  EXPECT_TRUE(findById(r.json["items"], "mo-dau")->at("actual_end").is_null());
  EXPECT_NE(r.html.find("BẢN NHÁP"), std::string::npos);
  EXPECT_TRUE(r.json["warnings"].empty()) << "the last record is 70 s old: not silent yet";
  auto late = buildReport(b.journal, at(200), true);
  ASSERT_EQ(late.json["warnings"].size(), 1u);
  EXPECT_NE(late.json["warnings"][0].get<std::string>().find("Bản ghi cuối cùng lúc 14:00:30"),
            std::string::npos);
  auto final = buildReport(b.journal, at(100), false);
  EXPECT_EQ(final.html.find("BẢN NHÁP"), std::string::npos);
}

TEST(ReportEmpty, NoStartRecordGivesAReportWithAWarning) {
  JournalRecords j;
  j.warnings.push_back("Dòng 3 của nhật ký bị hỏng, đã bỏ qua");
  auto r = buildReport(j, at(0), true);
  ASSERT_EQ(r.json["warnings"].size(), 2u);
  EXPECT_EQ(r.json["warnings"][0], "Dòng 3 của nhật ký bị hỏng, đã bỏ qua");
  EXPECT_NE(r.json["warnings"][1].get<std::string>().find("không có bản ghi khởi động"),
            std::string::npos);
  EXPECT_TRUE(r.json["items"].empty());
  EXPECT_EQ(r.json["points"]["planned"], 0);
  EXPECT_TRUE(r.json["stream"]["started"].is_null());
  EXPECT_TRUE(r.json["points"]["connected_at_opening"].is_null());
  for (const char* key : {"draft", "generated_at", "warnings", "event", "stream", "outputs", "gaps",
                          "items", "points", "outages", "connected", "log"})
    EXPECT_TRUE(r.json.contains(key)) << key;
  EXPECT_NE(r.html.find("Dòng 3 của nhật ký"), std::string::npos);
  EXPECT_EQ(r.pointsCsv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_EQ(r.date, "");
}

TEST(ReportRobust, WrongTypesAreIgnoredNotThrown) {
  JournalBuilder b;
  auto& s = b.start(0);
  s["utc_offset_min"] = "bảy";
  s["items"][0]["number"] = json::object();
  s["items"][1]["planned_start"] = 12;
  s["points"].push_back("not an object");
  s["outputs"] = "youtube";
  b.add(10, "point", {{"point", 7}, {"to", "up"}});
  b.add(11, "point", {{"point", "nghia-hanh"}, {"to", json::array()}, {"alert", "yes"}});
  b.add(12, "point-summary",
        {{"point", "ba-to"},
         {"up_ms", "many"},
         {"down_ms", 1e300},
         {"outages", -5},
         {"from", 3},
         {"flapping", "no"}});
  b.add(13, "command", {{"op", 1}, {"who", nullptr}, {"seconds", "60"}});
  b.add(14, "item", {{"what", "started"}, {"item", json::array()}});
  b.add(15, "output", {{"output", "youtube"}, {"state", 4}});
  b.journal.records.push_back({{"at", 5}, {"type", "start"}});
  b.journal.records.push_back(json::array({1, 2}));
  b.journal.records.push_back("text");
  ReportFiles r;
  ASSERT_NO_THROW(r = buildReport(b.journal, at(100), true));
  EXPECT_EQ(r.json["event"]["title"], "Lễ khởi công dự án đường ven biển");
  const json* p = findById(r.json["points"]["list"], "ba-to");
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)["down_ms"], 400000000000LL) << "a huge number is bounded";
  EXPECT_EQ((*p)["outages"], 0);
  EXPECT_TRUE(findById(r.json["items"], "phat-bieu")->at("planned_start").is_null());
}

TEST(ReportHtml, EscapesTextFromTheJournal) {
  JournalBuilder b;
  b.start(0, false, "qn",
          json::array({{{"id", "x"},
                        {"name", "<script>alert(\"x\")</script> & 'Co'"},
                        {"kind", "xã"},
                        {"contact_name", "<b>A</b>"},
                        {"contact_phone", "1"}}}));
  b.point(10, "x", "unknown", "down", "<img src=x onerror=alert(1)>");
  auto r = buildReport(b.journal, at(100), false);
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("<img"), std::string::npos);
  EXPECT_EQ(r.html.find("<b>A</b>"), std::string::npos);
  EXPECT_NE(r.html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;"),
            std::string::npos);
  EXPECT_NE(r.html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  // The page is whole and prints on A4 with two charts.
  EXPECT_NE(r.html.find("@page{size:A4"), std::string::npos);
  EXPECT_NE(r.html.find("BÁO CÁO KẾT QUẢ TỔ CHỨC"), std::string::npos);
  EXPECT_NE(r.html.rfind("</html>"), std::string::npos);
}

TEST(ReportFiles, WritesFourFilesNamedByDate) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ceremonyd-report-" + std::to_string(::getpid())) / "sub";
  std::filesystem::remove_all(dir.parent_path());
  auto r = buildReport(runOfShow().journal, at(9999), false);
  std::string error;
  auto paths = writeReport(r, dir, &error);
  ASSERT_EQ(paths.size(), 4u) << error;
  EXPECT_EQ(paths[0].filename(), "report-2025-07-28.html");
  EXPECT_EQ(paths[1].filename(), "report-2025-07-28-items.csv");
  EXPECT_EQ(paths[2].filename(), "report-2025-07-28-points.csv");
  EXPECT_EQ(paths[3].filename(), "report-2025-07-28-outages.csv");
  std::ifstream in(paths[1], std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, r.itemsCsv);
  // A date that is not a date does not choose the path.
  r.date = "../../etc/x";
  paths = writeReport(r, dir, &error);
  ASSERT_EQ(paths.size(), 4u) << error;
  EXPECT_EQ(paths[0].filename(), "report-undated.html");
  EXPECT_EQ(paths[0].parent_path(), dir);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 8u) << "no temporary file is left";
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace ceremony::report

namespace ceremony::report {
namespace {

TEST(ReportRobust, TimesSpanningCenturiesKeepThePageSmall) {
  test::JournalBuilder b;
  b.start(0);
  b.item(10, "started", "mo-dau");
  b.point(10, "nghia-hanh", "unknown", "up", "", false);
  b.journal.records.push_back({{"at", "9999-12-31T23:59:59.999+07:00"},
                               {"type", "item"},
                               {"what", "ended"},
                               {"item", "mo-dau"}});
  auto r = buildReport(b.journal, test::at(100), true);
  EXPECT_LT(r.html.size(), 100000u) << "an axis of a few ticks, not one per day";
  EXPECT_EQ(r.json["items"][0]["actual_end"], "9999-12-31T23:59:59.999+07:00");
}

}  // namespace
}  // namespace ceremony::report
