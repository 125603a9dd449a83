// The ceremonies shipped in config/ load as their teams wrote them.
#include <gtest/gtest.h>

#include <sstream>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"
#include "config/TimeSpec.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

// ---------------------------------------------------------------------------------------
// The shipped ceremonies

TEST(ConfigExamples, QuangNgaiLoadsWithNineItemsInUtc) {
  LoadResult r = loadConfigFile(kConfigDir / "quang-ngai-2025-07-28.toml");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
  const Config& c = *r.config;
  ASSERT_EQ(c.timeline.size(), 9u);
  EXPECT_EQ(c.event.date, "2025-07-28");
  EXPECT_EQ(c.event.utcOffsetMinutes, 420);
  EXPECT_EQ(c.event.venue, "Hội trường B, Trụ sở UBND tỉnh Quảng Ngãi");

  // 14:00 +07:00 on 2025-07-28 is 2025-07-28T07:00:00Z.
  const ItemConfig* intro = item(c, "gioi-thieu");
  ASSERT_TRUE(intro && intro->start && intro->end);
  EXPECT_EQ(utcSeconds(*intro->start), 1753686000);
  EXPECT_EQ(*intro->end - *intro->start, minutes{5});
  EXPECT_EQ(intro->cue, CueMode::At);
  EXPECT_EQ(intro->title, "Giới thiệu đại biểu tham dự Lễ Phát động");

  // The first item opens at 13:30 with a countdown slate to 14:00.
  const ItemConfig& first = c.timeline.front();
  EXPECT_EQ(utcSeconds(*first.start), 1753686000 - 30 * 60);
  const SceneConfig* welcome = c.findScene(first.scene);
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->kind, SceneKind::Slate);
  EXPECT_EQ(welcome->slate.countdownTo, "14:00");

  // Item 4 is the documentary, a clip; item 8 the ritual with its own scene.
  const SceneConfig* film = c.findScene(c.timeline[3].scene);
  ASSERT_TRUE(film);
  EXPECT_EQ(film->kind, SceneKind::Clip);
  EXPECT_EQ(c.timeline[7].title, "Thực hiện nghi lễ phát động");
  EXPECT_NE(c.timeline[7].scene, "hall");
  EXPECT_EQ(c.timeline[8].lowerThird.role, "Báo cáo viên FPT");
  EXPECT_EQ(c.timeline[4].lowerThird.role, "Lãnh đạo UBND tỉnh");
  EXPECT_EQ(c.timeline[5].lowerThird.role, "Lãnh đạo Tỉnh đoàn");
  EXPECT_EQ(c.findScene(c.timeline[6].scene)->kind, SceneKind::PictureInPicture);
  EXPECT_EQ(utcSeconds(*c.timeline.back().end), 1753686000 + 2 * 3600);

  // Runs anywhere: a recording, no livestream that would need a key.
  ASSERT_EQ(c.outputs.size(), 1u);
  EXPECT_EQ(c.outputs[0].kind, OutputKind::Record);
  EXPECT_EQ(fs::path(c.outputs[0].directory), kConfigDir / "recordings");

  // The printed programme overlaps items 2 and 3: a warning, not an error.
  const Diagnostic* overlap =
      find(r, "items 'gioi-thieu' (14:00–14:05) and 'thong-qua' (14:00–14:10) overlap");
  ASSERT_TRUE(overlap) << dump(r);
  EXPECT_EQ(overlap->severity, Severity::Warning);
}

TEST(ConfigExamples, EmbeddedDemoIsTheQuangNgaiFile) {
  EXPECT_EQ(embeddedDemoConfig(), readFile(kConfigDir / "quang-ngai-2025-07-28.toml"));
  TempDir dir;
  LoadResult r = parseConfigText(embeddedDemoConfig(), "<demo>", dir.path());
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->timeline.size(), 9u);
  EXPECT_EQ(r.config->path, "<demo>");
}

TEST(ConfigExamples, ThienTinLoads) {
  LoadResult r = loadConfigFile(kConfigDir / "thien-tin-2025-09-30.toml");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
  const Config& c = *r.config;
  EXPECT_EQ(c.event.date, "2025-09-30");
  const ItemConfig* opening = item(c, "tuyen-bo-ly-do");
  ASSERT_TRUE(opening && opening->start);
  EXPECT_EQ(formatClock(*opening->start, 0), "01:00");  // 08:00 +07:00
  const ItemConfig* signing = item(c, "ky-ket-vnpt");
  ASSERT_TRUE(signing);
  EXPECT_NE(signing->title.find("VNPT"), std::string::npos);
  EXPECT_EQ(item(c, "phong-su")->cue, CueMode::After);
}

TEST(ConfigExamples, DakLakLaunchButtonWaitsForTheOperator) {
  LoadResult r = loadConfigFile(kConfigDir / "dak-lak-2025-06-12.toml");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
  const ItemConfig* button = item(*r.config, "bam-nut");
  ASSERT_TRUE(button);
  EXPECT_EQ(button->cue, CueMode::Manual);
  EXPECT_NE(button->title.find("Bấm nút phát động"), std::string::npos);
  EXPECT_EQ(utcSeconds(*item(*r.config, "tuyen-bo-ly-do")->start),
            utcSeconds(WallTime{sys_days{2025y / June / 12} + hours{1} + minutes{30}}));
}

TEST(ConfigExamples, CheckPrintsASummaryAndExitsZero) {
  std::ostringstream out;
  int rc = checkConfigMain(kConfigDir / "quang-ngai-2025-07-28.toml", out);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.str().find("cảnh báo (warning): items 'gioi-thieu'"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("Cấu hình hợp lệ: 9 mục"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace ceremony
