// The report's sound and pictures, from synthetic journals: the programme's loudness from the
// alive records, the sound watch's silences summed by item (one told over, one ended by its
// item, one still open), clipping and loudness off the target; live inputs lost, frozen and
// black, and a black-picture record in the middle of an outage.
#include <gtest/gtest.h>

#include "ReportTestSupport.h"
#include "report/Report.h"

namespace ceremony::report {
namespace {

using test::at;
using test::findById;
using test::iso;
using test::JournalBuilder;
using json = nlohmann::json;

json soundOf(double lufs, json peak, double measured) {
  return {{"integrated_lufs", lufs}, {"max_true_peak_dbtp", peak}, {"measured_s", measured}};
}

void sound(JournalBuilder& b, double s, const std::string& alert, const std::string& item,
           double value, const std::string& message) {
  b.add(s, "sound", {{"alert", alert}, {"item", item}, {"value", value}, {"message", message}});
}

bool logHas(const json& report, const std::string& kind, const std::string& text) {
  for (const auto& l : report["log"])
    if (l.value("kind", "") == kind && l.value("message", "").find(text) != std::string::npos)
      return true;
  return false;
}

TEST(ReportSound, TheLastAliveGivesTheCeremonysLoudness) {
  JournalBuilder b;
  b.start(0);
  b.add(30, "alive", {{"up", 0}, {"sound", soundOf(-21.5, nullptr, 28)}});
  b.add(60, "alive", {{"up", 0}, {"sound", soundOf(-18.0, -6.0, 58)}});
  b.add(90, "alive", {{"up", 0}, {"sound", soundOf(-14.2, -1.5, 88)}});
  b.add(120, "alive", {{"up", 0}});  // no sound in this one: the last figure stands
  b.add(130, "stop", {{"why", "kết thúc"}});
  auto r = buildReport(b.journal, at(9999), false);
  const json& s = r.json["sound"];
  ASSERT_TRUE(s["integrated_lufs"].is_number() && s["max_true_peak_dbtp"].is_number()) << s;
  EXPECT_DOUBLE_EQ(s["integrated_lufs"].get<double>(), -14.2) << s;
  EXPECT_DOUBLE_EQ(s["max_true_peak_dbtp"].get<double>(), -1.5) << s;
  EXPECT_EQ(s["measured_s"], 88);
  EXPECT_EQ(s["runs"], 1);
  EXPECT_EQ(s["silence_count"], 0);
  EXPECT_NE(r.html.find("V. Âm thanh và hình ảnh"), std::string::npos);
  EXPECT_NE(r.html.find("−14,2 LUFS (mức chuẩn −16,0 LUFS: to hơn 1,8 LU)"), std::string::npos)
      << r.html.substr(r.html.find("V. Âm thanh"), 800);
  EXPECT_NE(r.html.find("−1,5 dBTP"), std::string::npos);
  EXPECT_NE(r.html.find("<th>Im lặng</th>"), std::string::npos)
      << "a journal with sound has the items' silence column";
}

TEST(ReportSound, AJournalWithoutSoundSaysSoAndKeepsTheItemsTable) {
  JournalBuilder b;
  b.start(0);
  b.add(30, "alive", {{"up", 0}});
  auto r = buildReport(b.journal, at(40), true);
  EXPECT_TRUE(r.json["sound"]["integrated_lufs"].is_null());
  EXPECT_TRUE(r.json["sound"]["max_true_peak_dbtp"].is_null());
  EXPECT_EQ(r.html.find("<th>Im lặng</th>"), std::string::npos);
  EXPECT_NE(r.html.find("nhật ký không có số liệu âm thanh"), std::string::npos);
}

TEST(ReportSound, RunsOfTheDaemonAreSummedByEnergy) {
  JournalBuilder b;
  b.start(0);
  b.add(60, "alive", {{"sound", soundOf(-20.0, -3.0, 60)}});
  // kill -9: the next run measures from its own start.
  b.start(100, true);
  b.add(280, "alive", {{"sound", soundOf(-14.0, -5.0, 180)}});
  b.add(290, "stop", {{"why", "kết thúc"}});
  auto r = buildReport(b.journal, at(9999), false);
  const json& s = r.json["sound"];
  ASSERT_TRUE(s["integrated_lufs"].is_number() && s["max_true_peak_dbtp"].is_number()) << s;
  // 10·log10(¼·10^−2 + ¾·10^−1.4) = −14.9
  EXPECT_DOUBLE_EQ(s["integrated_lufs"].get<double>(), -14.9) << s;
  EXPECT_DOUBLE_EQ(s["max_true_peak_dbtp"].get<double>(), -3.0) << "the highest of the runs";
  EXPECT_EQ(s["runs"], 2);
  EXPECT_EQ(s["measured_s"], 240);
}

// Item 2 (phát biểu, 300–360 s) is silent twice: 20 s told over, then from 340 s with no end
// told before the item ended at 360 s. Item 4 (360–500 s) clips and goes silent at 470 s
// until the daemon stops without saying the silence ended: it counts to the item's end.
JournalBuilder silentCeremony() {
  JournalBuilder b;
  b.start(0);
  b.item(60, "started", "mo-dau");
  sound(b, 200, "off_target", "mo-dau", -23.4,
        "Âm lượng chương trình nhỏ: -23.4 LUFS, ngoài mức -16 ± 4 LUFS đã 60 s");
  sound(b, 260, "on_target", "mo-dau", -17.0, "Âm lượng chương trình trở lại mức -16 ± 4 LUFS");
  b.item(300, "ended", "mo-dau");
  b.item(300, "started", "phat-bieu");
  sound(b, 315, "silence", "phat-bieu", 10, "Không có tiếng trong mục 2: Phát biểu (đã 10 s)");
  sound(b, 325, "silence_over", "phat-bieu", 20,
        "Có tiếng trở lại trong mục 2: Phát biểu sau 20 s im lặng");
  sound(b, 350, "silence", "phat-bieu", 10, "Không có tiếng trong mục 2: Phát biểu (đã 10 s)");
  b.item(360, "ended", "phat-bieu");
  b.item(360, "started", "phat-dong");
  sound(b, 400, "clipping", "phat-dong", -0.4,
        "Âm thanh bị vỡ: đỉnh -0.4 dBTP, quá mức -1.0 dBTP (mục 4: Nghi thức phát động)");
  sound(b, 480, "silence", "phat-dong", 10,
        "Không có tiếng trong mục 4: Nghi thức phát động (đã 10 s)");
  b.add(490, "alive", {{"sound", soundOf(-16.3, -0.4, 480)}});
  b.item(500, "ended", "phat-dong");
  b.add(510, "stop", {{"why", "kết thúc"}});
  return b;
}

TEST(ReportSound, SilencesAreSummedByItem) {
  auto r = buildReport(silentCeremony().journal, at(9999), false);
  const json* speech = findById(r.json["items"], "phat-bieu");
  ASSERT_TRUE(speech);
  EXPECT_EQ((*speech)["silences"], 2);
  EXPECT_EQ((*speech)["silence_ms"], 20000 + 20000)
      << "20 s told over, then 340 s to the item's end at 360 s";
  const json* launch = findById(r.json["items"], "phat-dong");
  ASSERT_TRUE(launch);
  EXPECT_EQ((*launch)["silences"], 1);
  EXPECT_EQ((*launch)["silence_ms"], 30000) << "470 s to the item's end at 500 s, not the stop";
  EXPECT_EQ((*launch)["clipping"], 1);
  const json* opening = findById(r.json["items"], "mo-dau");
  ASSERT_TRUE(opening);
  EXPECT_EQ((*opening)["silences"], 0);
  EXPECT_EQ((*opening)["off_target"], 1);

  const json& s = r.json["sound"];
  EXPECT_EQ(s["silence_count"], 3);
  EXPECT_EQ(s["silence_ms"], 70000);
  EXPECT_EQ(s["clipping"], 1);
  EXPECT_EQ(s["off_target"], 1);
  ASSERT_EQ(s["silences"].size(), 3u);
  EXPECT_EQ(s["silences"][0]["from"], iso(305));
  EXPECT_EQ(s["silences"][0]["to"], iso(325));
  EXPECT_EQ(s["silences"][0]["told"], true);
  EXPECT_EQ(s["silences"][1]["from"], iso(340));
  EXPECT_EQ(s["silences"][1]["to"], iso(360));
  EXPECT_EQ(s["silences"][1]["told"], false);

  // The alerts' own words are in the log.
  EXPECT_TRUE(logHas(r.json, "sound", "Không có tiếng trong mục 2: Phát biểu (đã 10 s)"));
  EXPECT_TRUE(logHas(r.json, "sound", "Âm thanh bị vỡ: đỉnh -0.4 dBTP"));
  EXPECT_NE(r.html.find("Có tiếng trở lại trong mục 2: Phát biểu sau 20 s im lặng"),
            std::string::npos);
  // The items table and the spreadsheet have each item's silence; the section lists them.
  EXPECT_NE(r.html.find("<td>40 giây (2 lần)</td>"), std::string::npos);
  EXPECT_NE(r.html.find("2. Phát biểu"), std::string::npos);
  EXPECT_NE(r.html.find("(chưa có tiếng trở lại)"), std::string::npos);
  EXPECT_NE(r.html.find("<td>3 lần, 1 phút 10 giây</td>"), std::string::npos);
  EXPECT_NE(r.itemsCsv.find(",Số lần im lặng,Im lặng (giây)\r\n"), std::string::npos) << r.itemsCsv;
  EXPECT_NE(r.itemsCsv.find(",2,40\r\n"), std::string::npos) << r.itemsCsv;
  EXPECT_NE(r.itemsCsv.find(",1,30\r\n"), std::string::npos) << r.itemsCsv;
}

TEST(ReportSound, ASilenceStillOpenCountsToTheEndOfADraft) {
  JournalBuilder b;
  b.start(0);
  b.item(300, "started", "phat-bieu");
  sound(b, 312.5, "silence", "phat-bieu", 12.5, "Không có tiếng trong mục 2: Phát biểu (đã 12 s)");
  auto r = buildReport(b.journal, at(400), true);
  const json* speech = findById(r.json["items"], "phat-bieu");
  ASSERT_TRUE(speech);
  EXPECT_EQ((*speech)["silences"], 1);
  EXPECT_EQ((*speech)["silence_ms"], 100000) << "from 300 s to the draft's now, 400 s";
  EXPECT_EQ(r.json["sound"]["silences"][0]["told"], false);
}

TEST(ReportPictures, FrozenAndBlackAreSaidAndABlackPictureDoesNotEndAnOutage) {
  JournalBuilder b;
  b.start(0);
  // Lost at 100 s; its picture goes black and back while it is lost; back at 130 s.
  b.add(100, "input", {{"input", "may_quay"}, {"state", "stalled"}, {"reason", "không có gói"}});
  b.add(110, "input", {{"input", "may_quay"}, {"picture", "black"}, {"message", "đen"}});
  b.add(115, "input", {{"input", "may_quay"}, {"picture", "ok"}});
  b.add(130, "input", {{"input", "may_quay"}, {"state", "running"}});
  // Frozen for 15 s.
  b.add(200, "input", {{"input", "may_quay"}, {"state", "frozen"}, {"reason", "cùng một khung"}});
  b.add(215, "input", {{"input", "may_quay"}, {"state", "running"}});
  // Black for 20 s, and still black when the daemon stops at 400 s (from 380 s).
  b.add(300, "input", {{"input", "may_quay"}, {"picture", "black"}});
  b.add(320, "input", {{"input", "may_quay"}, {"picture", "ok"}});
  b.add(380, "input", {{"input", "hoi_truong"}, {"picture", "black"}});
  b.add(400, "stop", {{"why", "kết thúc"}});
  auto r = buildReport(b.journal, at(9999), false);

  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào may_quay bị gián đoạn (không có gói)"));
  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào may_quay hoạt động trở lại"))
      << "the picture records in the middle kept the outage open: " << r.json["log"].dump(1);
  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào may_quay đứng hình"));
  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào may_quay hết đứng hình"));
  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào may_quay bị đen hình"));
  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào may_quay hết đen hình"));
  EXPECT_TRUE(logHas(r.json, "input", "Nguồn vào hoi_truong bị đen hình"));

  const json* cam = findById(r.json["inputs"], "may_quay");
  ASSERT_TRUE(cam) << r.json["inputs"];
  EXPECT_EQ((*cam)["outages"], 1);
  EXPECT_EQ((*cam)["outage_ms"], 30000);
  EXPECT_EQ((*cam)["frozen"], 1);
  EXPECT_EQ((*cam)["frozen_ms"], 15000);
  EXPECT_EQ((*cam)["black"], 2);
  EXPECT_EQ((*cam)["black_ms"], 5000 + 20000);
  const json* hall = findById(r.json["inputs"], "hoi_truong");
  ASSERT_TRUE(hall);
  EXPECT_EQ((*hall)["black_ms"], 20000) << "still black at the stop";
  EXPECT_NE(r.html.find("<td>1 lần, 15 giây</td>"), std::string::npos) << "frozen in the table";
}

}  // namespace
}  // namespace ceremony::report
