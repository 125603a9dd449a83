#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "config/ConfigParser.h"
#include "config/TimeSpec.h"

namespace ceremony {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

const fs::path kConfigDir = fs::path(CEREMONYD_SOURCE_DIR) / "config";

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("ceremonyd-config-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path write(const std::string& name, const std::string& text,
                 fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    fs::permissions(p, perms);
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Eleven lines every test starts from; what a test adds begins on line 12.
constexpr int kBaseLines = 11;
const char* kBase = R"([event]
title = "Lễ Phát động"
date = "2025-07-28"
[sources.hall]
kind = "test"
[scenes.hall]
kind = "source"
source = "hall"
[outputs.rec]
kind = "record"
directory = "rec"
)";

const char* kOneItem = R"([[timeline]]
id = "a"
start = "14:00"
scene = "hall"
title = "Khai mạc"
)";

std::string withBase(std::string_view rest) {
  return std::string(kBase) + std::string(rest);
}

class ConfigParser : public ::testing::Test {
 protected:
  LoadResult parse(const std::string& text) {
    return parseConfigText(text, "test.toml", dir_.path());
  }
  TempDir dir_;
};

std::string dump(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.all()) out += d.format() + "\n";
  return out;
}

// The one diagnostic whose message contains `needle`.
const Diagnostic* find(const LoadResult& r, std::string_view needle) {
  for (const auto& d : r.diagnostics.all())
    if (d.message.find(needle) != std::string::npos) return &d;
  return nullptr;
}

#define EXPECT_DIAGNOSTIC(result, needle, sev, ln, col)                                 \
  do {                                                                                  \
    const Diagnostic* d_ = find(result, needle);                                        \
    ASSERT_NE(d_, nullptr) << "no diagnostic with: " << needle << "\n" << dump(result); \
    EXPECT_EQ(d_->severity, sev) << d_->format();                                       \
    EXPECT_EQ(d_->file, "test.toml");                                                   \
    EXPECT_EQ(d_->line, ln) << d_->format();                                            \
    EXPECT_EQ(d_->column, col) << d_->format();                                         \
  } while (0)

std::int64_t utcSeconds(WallTime t) {
  return duration_cast<seconds>(t.time_since_epoch()).count();
}

const ItemConfig* item(const Config& c, const std::string& id) {
  for (const auto& i : c.timeline)
    if (i.id == id) return &i;
  return nullptr;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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

// ---------------------------------------------------------------------------------------
// Each kind of problem, with where it is

TEST_F(ConfigParser, MinimalFileIsUsable) {
  LoadResult r = parse(withBase(kOneItem));
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.sources.at(0).pos.line, 4);
  EXPECT_EQ(c.scenes.at(0).pos.line, 6);
  EXPECT_EQ(c.outputs.at(0).pos.line, 9);
  EXPECT_EQ(c.timeline.at(0).pos.line, kBaseLines + 1);
  EXPECT_EQ(fs::path(c.outputs.at(0).directory), dir_.path() / "rec");
  EXPECT_EQ(c.format.width, 1280);  // Facebook defaults
  EXPECT_EQ(c.format.keyframeIntervalSeconds, 2.0);
}

TEST_F(ConfigParser, WrongTypeIsAnErrorAtTheValue) {
  LoadResult r = parse(withBase("[programme]\nfps = \"30\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "fps must be a whole number, not text (\"30\")", Severity::Error,
                    kBaseLines + 2, 7);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.diagnostics.exitCode(), 1);
}

TEST_F(ConfigParser, UnknownSceneInAnItem) {
  LoadResult r = parse(withBase("[[timeline]]\nid = \"a\"\nstart = \"14:00\"\nscene = \"hal\"\n"));
  EXPECT_DIAGNOSTIC(r, "scene \"hal\" is not a scene in [scenes] (did you mean 'hall'?)",
                    Severity::Error, kBaseLines + 4, 9);
}

TEST_F(ConfigParser, UnknownSourceInAScene) {
  LoadResult r = parse(
      withBase("[scenes.pip]\nkind = \"pip\"\nmain = \"hall\"\ninset = \"cam2\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "[scenes.pip] inset \"cam2\" is not a source", Severity::Error,
                    kBaseLines + 4, 9);
}

TEST_F(ConfigParser, DuplicateItemIds) {
  LoadResult r = parse(withBase(std::string(kOneItem) + kOneItem));
  EXPECT_DIAGNOSTIC(r, "duplicate timeline item id \"a\" (already used at line 13)",
                    Severity::Error, kBaseLines + 7, 6);
}

TEST_F(ConfigParser, MissingClipFile) {
  const std::string text =
      withBase("[scenes.film]\nkind = \"clip\"\nfile = \"media/phong-su.mp4\"\n") + kOneItem;
  LoadResult r = parse(text);
  EXPECT_DIAGNOSTIC(r, "the clip file \"media/phong-su.mp4\"", Severity::Error, kBaseLines + 3, 8);
  EXPECT_NE(find(r, "does not exist"), nullptr);

  // Once the file is there (relative to the config's folder) the same text is fine.
  dir_.write("media/phong-su.mp4", "not really a film");
  LoadResult ok = parse(text);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_EQ(fs::path(ok.config->findScene("film")->clip.file),
            dir_.path() / "media" / "phong-su.mp4");
}

TEST_F(ConfigParser, MissingImageAndFileUri) {
  LoadResult r =
      parse(withBase("[sources.logo]\nkind = \"image\"\npath = \"media/logo.png\"\n"
                     "[sources.film]\nkind = \"uri\"\nuri = \"file:///nonexistent/x.mp4\"\n") +
            kOneItem);
  EXPECT_DIAGNOSTIC(r, "the image file \"media/logo.png\" does not exist", Severity::Error,
                    kBaseLines + 3, 8);
  EXPECT_DIAGNOSTIC(r, "the file \"/nonexistent/x.mp4\" named by the uri does not exist",
                    Severity::Error, kBaseLines + 6, 7);
}

TEST_F(ConfigParser, UriSchemeMustBeAMediaScheme) {
  LoadResult r =
      parse(withBase("[sources.cam2]\nkind = \"uri\"\nuri = \"ftp://host/x\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "uri \"ftp://host/x\" must start with one of srt", Severity::Error,
                    kBaseLines + 3, 7);
  LoadResult ok = parse(
      withBase("[sources.cam2]\nkind = \"uri\"\nuri = \"srt://0.0.0.0:9000?mode=listener\"\n") +
      kOneItem);
  EXPECT_TRUE(ok.config) << dump(ok);
}

TEST_F(ConfigParser, SignalTimeoutOfALiveInput) {
  const std::string cam = "[sources.cam2]\nkind = \"uri\"\nuri = \"srt://0.0.0.0:9000\"\n";
  LoadResult bad = parse(withBase(cam + "signal_timeout = \"50ms\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(bad, "must be between 100ms and 60s", Severity::Error, kBaseLines + 4, 18);
  LoadResult ok = parse(withBase(cam + "signal_timeout = \"300ms\"\n") + kOneItem);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_EQ(ok.config->sources.at(1).signalTimeout, Millis{300});
  EXPECT_EQ(ok.config->sources.at(0).signalTimeout, Millis{1000});  // the default
  // A generated source cannot lose its signal: the key is named as another kind's.
  LoadResult test =
      parse(withBase("[sources.cam3]\nkind = \"test\"\nsignal_timeout = 2\n") + kOneItem);
  EXPECT_DIAGNOSTIC(test, "signal_timeout does nothing for kind \"test\"", Severity::Warning,
                    kBaseLines + 3, 1);
}

TEST_F(ConfigParser, RecordingSegmentLength) {
  const std::string rec = "[outputs.rec2]\nkind = \"record\"\ndirectory = \"rec2\"\n";
  LoadResult bad = parse(withBase(rec + "segment = \"5s\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(bad, "segment \"5s\" is too short", Severity::Error, kBaseLines + 4, 11);
  LoadResult ok = parse(withBase(rec + "segment = \"15m\"\n") + kOneItem);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_EQ(ok.config->outputs.at(1).segment, Millis{15 * 60 * 1000});
  EXPECT_EQ(ok.config->outputs.at(0).segment, Millis{10 * 60 * 1000});  // the default
}

TEST_F(ConfigParser, BadTime) {
  LoadResult r = parse(withBase("[[timeline]]\nid = \"a\"\nstart = \"25:00\"\nscene = \"hall\"\n"));
  EXPECT_DIAGNOSTIC(r, "start \"25:00\" is not a time", Severity::Error, kBaseLines + 3, 9);
}

TEST_F(ConfigParser, BadDuration) {
  LoadResult r = parse(withBase(std::string(kOneItem) + "duration = \"05:00\"\n"));
  EXPECT_DIAGNOSTIC(r, "duration \"05:00\" is not a duration", Severity::Error, kBaseLines + 6, 12);
}

TEST_F(ConfigParser, EndBeforeStart) {
  LoadResult r = parse(withBase(std::string(kOneItem) + "end = \"13:55\"\n"));
  EXPECT_DIAGNOSTIC(r, "timeline item 'a' ends at 13:55, before it starts at 14:00",
                    Severity::Error, kBaseLines + 6, 7);
}

TEST_F(ConfigParser, UnknownKind) {
  LoadResult r = parse(withBase("[sources.cam2]\nkind = \"camera\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r,
                    "[sources.cam2] kind \"camera\" is not a source kind; use one of test, "
                    "uri, image or launch",
                    Severity::Error, kBaseLines + 2, 8);
}

TEST_F(ConfigParser, MissingKind) {
  LoadResult r = parse(withBase("[scenes.x]\nsource = \"hall\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "[scenes.x] has no kind", Severity::Error, kBaseLines + 1, 1);
}

TEST_F(ConfigParser, UnknownKeyIsAWarningNamingIt) {
  LoadResult r = parse(withBase("[sources.cam2]\nkind = \"test\"\npatern = \"ball\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "unknown key 'patern', probably a typo (did you mean 'pattern'?)",
                    Severity::Warning, kBaseLines + 3, 1);
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
}

TEST_F(ConfigParser, KeyOfAnotherKindIsNamedAsSuch) {
  LoadResult r =
      parse(withBase("[sources.cam2]\nkind = \"test\"\nuri = \"srt://x:1\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "uri does nothing for kind \"test\"", Severity::Warning, kBaseLines + 3, 1);
}

TEST_F(ConfigParser, UnknownTopLevelTableIsAWarning) {
  LoadResult r = parse(withBase(kOneItem) + "[ouputs.fb]\nkind = \"rtmp\"\n");
  EXPECT_DIAGNOSTIC(r, "unknown table [ouputs], probably a typo (did you mean 'outputs'?)",
                    Severity::Warning, kBaseLines + 6, 2);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
}

TEST_F(ConfigParser, AtItemWithoutStart) {
  LoadResult r = parse(withBase(std::string(kOneItem) +
                                "[[timeline]]\nid = \"b\"\ncue = \"at\"\nscene = \"hall\"\n"));
  EXPECT_DIAGNOSTIC(r, "timeline item 'b' has cue = \"at\" but no start time", Severity::Error,
                    kBaseLines + 8, 7);
}

TEST_F(ConfigParser, FirstItemCannotFollowNothing) {
  LoadResult r = parse(withBase("[[timeline]]\nid = \"a\"\nscene = \"hall\"\nduration = 60\n"));
  EXPECT_DIAGNOSTIC(r, "is the first item, so it cannot follow a previous one", Severity::Error,
                    kBaseLines + 1, 1);
}

TEST_F(ConfigParser, OverlapIsOnlyAWarning) {
  LoadResult r = parse(withBase(R"([[timeline]]
id = "gioi-thieu"
start = "14:00"
end = "14:05"
scene = "hall"
[[timeline]]
id = "thong-qua"
start = "14:00"
end = "14:10"
scene = "hall"
)"));
  EXPECT_DIAGNOSTIC(r, "items 'gioi-thieu' (14:00–14:05) and 'thong-qua' (14:00–14:10) overlap",
                    Severity::Warning, kBaseLines + 6, 1);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
  EXPECT_TRUE(r.config);
}

TEST_F(ConfigParser, NoTimelineItemsIsAnError) {
  LoadResult r = parse(kBase);
  const Diagnostic* d = find(r, "the timeline has no items");
  ASSERT_TRUE(d) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(r.diagnostics.exitCode(), 1);
}

TEST_F(ConfigParser, NoOutputsIsAWarning) {
  std::string text = withBase(kOneItem);
  text.replace(text.find("[outputs.rec]"),
               std::string("[outputs.rec]\nkind = \"record\"\n"
                           "directory = \"rec\"\n")
                   .size(),
               "\n\n\n");
  LoadResult r = parse(text);
  const Diagnostic* d = find(r, "there are no [outputs]");
  ASSERT_TRUE(d) << dump(r);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_TRUE(r.config);
}

TEST_F(ConfigParser, MalformedTomlIsFatalWithTheParserPosition) {
  LoadResult r = parse("[event]\ntitle = \"Lễ Phát động\" x\n");
  ASSERT_EQ(r.diagnostics.all().size(), 1u) << dump(r);
  const Diagnostic& d = r.diagnostics.all()[0];
  EXPECT_EQ(d.severity, Severity::Fatal);
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.column, 24);  // counted in characters, not bytes
  EXPECT_NE(d.message.find("not valid TOML"), std::string::npos);
  EXPECT_EQ(r.diagnostics.exitCode(), 2);
  EXPECT_FALSE(r.config);

  LoadResult r2 = parse("[event]\ntitle = \"x\"\ndate = \n");
  ASSERT_FALSE(r2.diagnostics.all().empty());
  EXPECT_EQ(r2.diagnostics.all()[0].line, 3);
  EXPECT_EQ(r2.diagnostics.all()[0].column, 8);
  EXPECT_EQ(r2.diagnostics.exitCode(), 2);
}

TEST_F(ConfigParser, GarbageNeverThrows) {
  const std::string inputs[] = {
      std::string("\0\xff\xfe", 3),
      "[[timeline]]\n[[timeline]]\n",
      "timeline = 3\nsources = []\nscenes = \"x\"\nevent = 1\n",
      "[event]\ndate = 2025-02-30\n",
      std::string(300, '['),
      "[sources.\"\"]\nkind = \"image\"\npath = \"\\u0000\"\n",
      "a.b.c.d.e.f = 1\n[timeline]\nid = 1\n",
      "[[timeline]]\nstart = 1979-05-27T07:32:00-08:00\nend = 07:32:00\nlower_third = 3\n"};
  for (const auto& text : inputs) {
    LoadResult r;
    EXPECT_NO_THROW(r = parse(text));
    EXPECT_NE(r.diagnostics.exitCode(), 0) << text;
    EXPECT_FALSE(r.config);
  }
}

TEST_F(ConfigParser, CheckOfAMissingFileIsUnusable) {
  std::ostringstream out;
  EXPECT_EQ(checkConfigMain(dir_.path() / "missing.toml", out), 2);
  EXPECT_NE(out.str().find("does not exist"), std::string::npos) << out.str();
}

TEST_F(ConfigParser, CheckSummaryCountsErrors) {
  fs::path f = dir_.write("bad.toml", withBase("[[timeline]]\nid = \"a\"\nstart = \"25:00\"\n"
                                               "scene = \"nope\"\n"));
  std::ostringstream out;
  EXPECT_EQ(checkConfigMain(f, out), 1);
  EXPECT_NE(out.str().find(f.string() + ":14:9: lỗi (error): "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Cấu hình có lỗi: 2 lỗi (errors)"), std::string::npos) << out.str();
}

// ---------------------------------------------------------------------------------------
// Times

TEST_F(ConfigParser, RelativeStartsAndCueDefaults) {
  LoadResult r = parse(withBase(std::string(kOneItem) + "duration = \"5m\"\n" + R"([[timeline]]
id = "b"
start = "+30s"
scene = "hall"
duration = 90
[[timeline]]
id = "c"
scene = "hall"
cue = "manual"
[[timeline]]
id = "d"
start = 15:00:00
scene = "hall"
)"));
  ASSERT_TRUE(r.config) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.timeline[0].cue, CueMode::At);
  EXPECT_EQ(c.timeline[0].duration, minutes{5});
  EXPECT_EQ(c.timeline[1].cue, CueMode::After);
  EXPECT_EQ(c.timeline[1].startAfterPrevious, seconds{30});
  EXPECT_FALSE(c.timeline[1].start);
  EXPECT_EQ(c.timeline[1].duration, seconds{90});
  EXPECT_EQ(c.timeline[2].cue, CueMode::Manual);
  EXPECT_EQ(c.timeline[3].cue, CueMode::At);  // a TOML local time is a wall-clock start
  EXPECT_EQ(utcSeconds(*c.timeline[3].start), 1753686000 + 3600);
}

TEST_F(ConfigParser, TimezoneMovesTheUtcInstant) {
  std::string text = withBase(kOneItem);
  text.insert(text.find("[sources.hall]"), "timezone = \"+00:00\"\n");
  LoadResult r = parse(text);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(utcSeconds(*r.config->timeline[0].start), 1753686000 + 7 * 3600);
}

TEST_F(ConfigParser, BadDateAndTimezone) {
  std::string text = withBase(kOneItem);
  text.replace(text.find("2025-07-28"), 10, "28/07/2025");
  text.insert(text.find("[sources.hall]"), "timezone = \"ICT\"\n");
  LoadResult r = parse(text);
  EXPECT_DIAGNOSTIC(r, "[event] date \"28/07/2025\" is not a date", Severity::Error, 3, 8);
  EXPECT_DIAGNOSTIC(r, "[event] timezone \"ICT\" is not a UTC offset", Severity::Error, 4, 12);
}

// ---------------------------------------------------------------------------------------
// Facebook's ingest rules

TEST_F(ConfigParser, FacebookIngestRules) {
  LoadResult r = parse(withBase(R"([programme]
keyframe_interval_s = 6
audio_rate = 22050
video_bitrate_kbps = 5000
fps = 24
h264_profile = "baseline"
)") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "keyframe_interval_s 6 is too long", Severity::Error, kBaseLines + 2, 23);
  EXPECT_DIAGNOSTIC(r, "audio_rate 22050 is not allowed", Severity::Error, kBaseLines + 3, 14);
  EXPECT_DIAGNOSTIC(r, "video_bitrate_kbps 5000 is outside 1500–4000 kbps", Severity::Warning,
                    kBaseLines + 4, 22);
  EXPECT_DIAGNOSTIC(r, "fps 24 is unusual", Severity::Warning, kBaseLines + 5, 7);
  EXPECT_DIAGNOSTIC(r, "h264_profile \"baseline\" is not allowed", Severity::Error, kBaseLines + 6,
                    16);
}

TEST_F(ConfigParser, ProgrammeWithinTheRulesIsQuiet) {
  LoadResult r = parse(withBase(R"([programme]
width = 1920
height = 1080
video_bitrate_kbps = 4500
keyframe_interval_s = 2
audio_rate = 44100
h264_profile = "high"
)") + kOneItem);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_EQ(r.config->format.height, 1080);
  EXPECT_EQ(r.config->format.audioRate, 44100);
}

// ---------------------------------------------------------------------------------------
// Stream keys

const char* kKey = "FB-1234567890123456-0-AbCdEfGhIjKlMnOp";

TEST_F(ConfigParser, KeyInTheUrlIsAnErrorThatDoesNotRepeatTheKey) {
  dir_.write("fb.key", kKey);
  LoadResult r =
      parse(withBase(kOneItem) + "[outputs.fb]\nkind = \"rtmp\"\nurl = \"" +
            "rtmps://live-api-s.facebook.com:443/rtmp/" + kKey + "\"\nkey_file = \"fb.key\"\n");
  EXPECT_DIAGNOSTIC(r, "put the stream key in key_file or key_credential, not in the config",
                    Severity::Error, kBaseLines + 8, 7);
  EXPECT_EQ(dump(r).find(kKey), std::string::npos) << dump(r);
  EXPECT_NE(dump(r).find("rtmp/***"), std::string::npos) << dump(r);
}

TEST_F(ConfigParser, KeyAsAQueryStringIsAnError) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://ingest.example:443/live/"
                       "?key=abc\"\nkey_credential = \"fb\"\n");
  EXPECT_DIAGNOSTIC(r, "seems to contain a stream key (a query string", Severity::Error,
                    kBaseLines + 8, 7);
}

TEST_F(ConfigParser, NoStreamKey) {
  LoadResult r = parse(
      withBase(kOneItem) +
      "[outputs.facebook]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:443/rtmp/\"\n");
  EXPECT_DIAGNOSTIC(r, "[outputs.facebook] has no stream key", Severity::Error, kBaseLines + 6, 1);
}

TEST_F(ConfigParser, MissingKeyFile) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:"
                       "443/rtmp/\"\nkey_file = \"keys/fb.key\"\n");
  EXPECT_DIAGNOSTIC(r, "the key file " + (dir_.path() / "keys/fb.key").string() + " does not exist",
                    Severity::Error, kBaseLines + 9, 12);
}

TEST_F(ConfigParser, ReadableKeyFileIsAccepted) {
  fs::path key = dir_.write("keys/fb.key", std::string(kKey) + "\n");
  const std::string text = withBase(kOneItem) +
                           "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:"
                           "443/rtmp/\"\nkey_file = \"keys/fb.key\"\n";
  LoadResult r = parse(text);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_EQ(fs::path(r.config->findOutput("fb")->keyFile), key);

  // A key others can read is still usable, but the team is told.
  fs::permissions(key, fs::perms::others_read, fs::perm_options::add);
  LoadResult loose = parse(text);
  EXPECT_DIAGNOSTIC(loose, "can be read by other users", Severity::Warning, kBaseLines + 9, 12);
  EXPECT_TRUE(loose.config);
}

TEST_F(ConfigParser, CredentialOutsideSystemdIsAWarning) {
  EnvVar env("CREDENTIALS_DIRECTORY", nullptr);
  LoadResult r = parse(withBase(kOneItem) +
                       "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:"
                       "443/rtmp/\"\nkey_credential = \"facebook-key\"\n");
  EXPECT_DIAGNOSTIC(r, "the systemd credential \"facebook-key\" cannot be checked now",
                    Severity::Warning, kBaseLines + 9, 18);
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.config->findOutput("fb")->keyCredential, "facebook-key");
}

TEST_F(ConfigParser, CredentialIsLookedUpInCredentialsDirectory) {
  TempDir creds;
  creds.write("facebook-key", kKey);
  EnvVar env("CREDENTIALS_DIRECTORY", creds.path().c_str());
  const std::string output =
      "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:443/rtmp/\"\n";
  LoadResult r = parse(withBase(kOneItem) + output + "key_credential = \"facebook-key\"\n");
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_TRUE(r.config);

  LoadResult missing = parse(withBase(kOneItem) + output + "key_credential = \"youtube-key\"\n");
  EXPECT_DIAGNOSTIC(missing, "the systemd credential 'youtube-key' does not exist", Severity::Error,
                    kBaseLines + 9, 18);
}

TEST_F(ConfigParser, KeylessOutputOnlyForLocalServers) {
  LoadResult local = parse(withBase(kOneItem) +
                           "[outputs.rehearsal]\nkind = \"rtmp\"\nurl = \"rtmps://127.0.0.1:1936/"
                           "live/\"\nkey_required = false\ntls_validation = false\n");
  ASSERT_TRUE(local.config) << dump(local);
  const OutputConfig* o = local.config->findOutput("rehearsal");
  EXPECT_FALSE(o->keyRequired);
  EXPECT_FALSE(o->tlsValidation);
  EXPECT_NE(find(local, "tls_validation = false"), nullptr);

  LoadResult remote =
      parse(withBase(kOneItem) +
            "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:443/rtmp/\"\n"
            "key_required = false\n");
  EXPECT_DIAGNOSTIC(remote, "key_required = false is only for local test servers", Severity::Error,
                    kBaseLines + 9, 16);
}

// ---------------------------------------------------------------------------------------
// [bridge]: connection points watch the programme over WebRTC

// kBase + kOneItem end on line 16: what these tests add begins on line 17.
constexpr int kItemLines = kBaseLines + 5;

TEST_F(ConfigParser, WithoutABridgeTableTheBridgeIsOff) {
  LoadResult r = parse(withBase(kOneItem));
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_FALSE(r.config->bridge.enabled);
}

TEST_F(ConfigParser, ABridgeTableTurnsItOnWithTheDefaults) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  const BridgeConfig& b = r.config->bridge;
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ(b.maxViewers, 150);
  EXPECT_EQ(b.audioBitrateKbps, 64);
  EXPECT_EQ(b.pos.line, kItemLines + 1);
}

TEST_F(ConfigParser, BridgeKeysAreRead) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[bridge]\nenabled = false\nmax_viewers = 1000\naudio_bitrate_kbps = 16\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_FALSE(r.config->bridge.enabled);
  EXPECT_EQ(r.config->bridge.maxViewers, 1000);
  EXPECT_EQ(r.config->bridge.audioBitrateKbps, 16);
  r = parse(withBase(kOneItem) + "[bridge]\nmax_viewers = 1\naudio_bitrate_kbps = 256\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.maxViewers, 1);
  EXPECT_EQ(r.config->bridge.audioBitrateKbps, 256);
}

TEST_F(ConfigParser, BridgeMaxViewersOutOfRangeIsAnErrorAtTheValue) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\nmax_viewers = 0\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] max_viewers must be between 1 and 1000, not 0", Severity::Error,
                    kItemLines + 2, 15);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.diagnostics.exitCode(), 1);
  r = parse(withBase(kOneItem) + "[bridge]\nenabled = true\nmax_viewers = 1001\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] max_viewers must be between 1 and 1000, not 1001", Severity::Error,
                    kItemLines + 3, 15);
  r = parse(withBase(kOneItem) + "[bridge]\nmax_viewers = \"many\"\n");
  EXPECT_DIAGNOSTIC(r, "max_viewers must be a whole number", Severity::Error, kItemLines + 2, 15);
}

TEST_F(ConfigParser, BridgeAudioBitrateOutOfRangeIsAnError) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\naudio_bitrate_kbps = 8\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] audio_bitrate_kbps must be between 16 and 256, not 8",
                    Severity::Error, kItemLines + 2, 22);
  r = parse(withBase(kOneItem) + "[bridge]\naudio_bitrate_kbps = 257\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] audio_bitrate_kbps must be between 16 and 256, not 257",
                    Severity::Error, kItemLines + 2, 22);
}

TEST_F(ConfigParser, UnknownBridgeKeyIsAWarning) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\nmax_viewer = 20\n");
  EXPECT_DIAGNOSTIC(r,
                    "[bridge] has an unknown key 'max_viewer', probably a typo (did you mean "
                    "'max_viewers'?); it is ignored",
                    Severity::Warning, kItemLines + 2, 1);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.config->bridge.enabled);
  EXPECT_EQ(r.config->bridge.maxViewers, 150);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
}

TEST_F(ConfigParser, BridgeThatIsNotATableIsAnError) {
  // At the top: after [[timeline]] it would be a key of the item.
  LoadResult r = parse("bridge = true\n" + withBase(kOneItem));
  const Diagnostic* d = find(r, "[bridge]");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error) << d->format();
  EXPECT_FALSE(r.config);
}

const char* kBridgePoint = R"([[points]]
id = "nghia-hanh"
name = "Xã Nghĩa Hành"
kind = "xã"
contact_phone = "0255 3822 123"
)";

TEST_F(ConfigParser, BridgeProbeNeedsTheTokenFile) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
                       "probes = [{ kind = \"bridge\", heartbeat_timeout = \"30s\" }]\n");
  const Diagnostic* d = find(r, "phép thử bridge cần token_file");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error) << d->format();
  EXPECT_NE(d->message.find("(missing token_file)"), std::string::npos) << d->format();
  EXPECT_EQ(d->line, kItemLines + 7) << d->format();
  EXPECT_FALSE(r.config);
}

TEST_F(ConfigParser, BridgeProbeWithItsTokenFileIsAccepted) {
  dir_.write("tokens/nghia-hanh", "p1-secret-5f2c8a91\n");
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
                       "probes = [{ kind = \"bridge\", token_file = \"tokens/nghia-hanh\", "
                       "heartbeat_timeout = \"30s\" }]\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  ASSERT_EQ(r.config->health.points.size(), 1u);
  const auto& probe = r.config->health.points[0].probes.at(0);
  EXPECT_EQ(probe.kind, "bridge");
  EXPECT_EQ(probe.heartbeatTimeout, 30s);
  EXPECT_EQ(probe.tokenFile, (dir_.path() / "tokens/nghia-hanh").string());
}

// Before: any token was taken, one of 3 bytes or one file shared by every point (so one
// point could vouch for all). Both are errors at the probe's line and column now.
TEST_F(ConfigParser, APointsTokenIsAtLeastSixteenBytesAndItsOwn) {
  dir_.write("tokens/short", "abc123\n");
  dir_.write("tokens/shared", "shared-token-0123456789\n");
  const std::string second = R"([[points]]
id = "ba-to"
name = "Xã Ba Tơ"
kind = "xã"
contact_phone = "0255 3822 124"
)";
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
                       "probes = [{ kind = \"bridge\", token_file = \"tokens/short\" }]\n");
  EXPECT_DIAGNOSTIC(r, "is 6 bytes; a point's token needs at least 16", Severity::Error,
                    kItemLines + 7, 11);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(dump(r).find("abc123"), std::string::npos) << "the token itself is never shown";

  r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
            "probes = [{ kind = \"bridge\", token_file = \"tokens/shared\" }]\n" + second +
            "probes = [{ kind = \"heartbeat\", token_file = \"tokens/shared\" }]\n");
  EXPECT_DIAGNOSTIC(r,
                    "\"ba-to\" has the same token as \"nghia-hanh\" (test.toml:" +
                        std::to_string(kItemLines + 7) + ")",
                    Severity::Error, kItemLines + 13, 11);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(dump(r).find("shared-token"), std::string::npos);

  // A file that cannot be read is that point's problem, not the ceremony's: a warning.
  r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
            "probes = [{ kind = \"bridge\", token_file = \"tokens/missing\" }]\n");
  EXPECT_DIAGNOSTIC(r, "does not exist; the point cannot prove itself", Severity::Warning,
                    kItemLines + 7, 11);
  EXPECT_TRUE(r.config) << dump(r);
}

TEST_F(ConfigParser, BridgeProbeWithTheBridgeOffIsAWarning) {
  dir_.write("tokens/nghia-hanh", "p1-secret-5f2c8a91\n");
  LoadResult r = parse(withBase(kOneItem) + kBridgePoint +
                       "probes = [{ kind = \"bridge\", token_file = \"tokens/nghia-hanh\" }]\n");
  const Diagnostic* d = find(r, "a bridge probe while the bridge is off");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Warning) << d->format();
  EXPECT_EQ(d->line, kItemLines + 6) << d->format();
  EXPECT_TRUE(r.config) << dump(r);
  // With the bridge on, no such warning.
  r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
            "probes = [{ kind = \"bridge\", token_file = \"tokens/nghia-hanh\" }]\n");
  EXPECT_EQ(find(r, "a bridge probe while the bridge is off"), nullptr) << dump(r);
}

TEST_F(ConfigParser, BridgeSrtListenIsCheckedByLineAndColumn) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\nsrt_listen = \"9000\"\n");
  const Diagnostic* d = find(r, "[bridge] srt_listen \"9000\" must be an address and a port");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 14);
  r = parse(withBase(kOneItem) + "[bridge]\nsrt_listen = \"0.0.0.0:9000\"\nsrt_latency_ms = 120\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.srtListen, "0.0.0.0:9000");
  EXPECT_EQ(r.config->bridge.srtLatencyMs, 120);
}

TEST_F(ConfigParser, BridgeRelayIsAMediaServersAddressAndPortsGoInPairs) {
  LoadResult r =
      parse(withBase(kOneItem) +
            "[bridge]\nrelay_video = \"0.0.0.0:5004\"\nrelay_audio = \"10.0.0.5:5002\"\n");
  const Diagnostic* d = find(r, "[bridge] relay_video \"0.0.0.0:5004\" must be the media server");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 15);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) + "[bridge]\nrelay_video = \"10.0.0.5:5004\"\n");
  EXPECT_NE(find(r, "relay_video and relay_audio go together"), nullptr) << dump(r);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) +
            "[bridge]\nrelay_video = \"10.0.0.5:5004\"\nrelay_audio = \"10.0.0.5:5002\"\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.relayVideo, "10.0.0.5:5004");
  EXPECT_EQ(r.config->bridge.relayAudio, "10.0.0.5:5002");
}

TEST_F(ConfigParser, BridgeAddressAndUdpPortsAreCheckedForTheFirewall) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\naddress = \"tinh.example.vn\"\n");
  const Diagnostic* d = find(r, "[bridge] address \"tinh.example.vn\" must be an IP address");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 11);
  r = parse(withBase(kOneItem) + "[bridge]\nudp_port_min = 40000\n");
  EXPECT_NE(find(r, "udp_port_min and udp_port_max go together"), nullptr) << dump(r);
  r = parse(withBase(kOneItem) +
            "[bridge]\nmax_viewers = 150\nudp_port_min = 40000\nudp_port_max = 40099\n");
  d = find(r, "holds 100 ports: each viewer takes one, and max_viewers is 150");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->line, kItemLines + 4);
  r = parse(withBase(kOneItem) + "[bridge]\nudp_port_min = 41000\nudp_port_max = 40000\n");
  EXPECT_NE(find(r, "udp_port_max must not be below udp_port_min"), nullptr) << dump(r);
  r = parse(withBase(kOneItem) +
            "[bridge]\naddress = \"203.0.113.10\"\nudp_port_min = 40000\nudp_port_max = 40999\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.address, "203.0.113.10");
  EXPECT_EQ(r.config->bridge.udpPortMin, 40000);
  EXPECT_EQ(r.config->bridge.udpPortMax, 40999);
}

}  // namespace
// HTTPS: a certificate without its key (or the reverse) is an error at [api]; server_names
// must be host names, each error at its own entry.
TEST_F(ConfigParser, ApiTlsNeedsBothFilesAndServerNamesMustBeHostNames) {
  LoadResult ok =
      parse(withBase(kOneItem) +
            "\n[api]\nlisten = \"0.0.0.0:8443\"\ntls_certificate_file = \"c.pem\"\n"
            "tls_key_file = \"k.pem\"\nserver_names = [\"Dieuhanh.QuangNgai.gov.vn\"]\n");
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_TRUE(ok.config->api.tls());
  EXPECT_NE(ok.config->api.tlsKeyFile.find("k.pem"), std::string::npos);
  ASSERT_EQ(ok.config->api.serverNames.size(), 1u);
  EXPECT_EQ(ok.config->api.serverNames[0], "dieuhanh.quangngai.gov.vn");

  LoadResult half = parse(withBase(kOneItem) + "\n[api]\ntls_certificate_file = \"c.pem\"\n");
  const Diagnostic* d = find(half, "HTTPS needs both");
  ASSERT_TRUE(d) << dump(half);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_FALSE(half.config);

  const std::string text =
      withBase(kOneItem) + "\n[api]\nserver_names = [\"ok.vn\", \"http://x.vn/\", 7]\n";
  LoadResult bad = parse(text);
  const Diagnostic* url = find(bad, "\"http://x.vn/\" is not a host name");
  ASSERT_TRUE(url) << dump(bad);
  const int line = static_cast<int>(std::count(text.begin(), text.end(), '\n'));  // the last line
  EXPECT_EQ(url->line, line);
  EXPECT_EQ(url->column, 26);
  EXPECT_TRUE(find(bad, "7 is not a host name")) << dump(bad);
}

// --check says what the daemon would refuse at start, at listen's line:col.
TEST_F(ConfigParser, ListeningBeyondLoopbackWithoutHttpsOrAViewerTokenIsWarnedOf) {
  const std::string text = withBase(kOneItem) + "\n[api]\nlisten = \"0.0.0.0:8443\"\n";
  LoadResult r = parse(text);
  ASSERT_TRUE(r.config) << dump(r);
  const Diagnostic* tls = find(r, "beyond this machine without HTTPS");
  ASSERT_TRUE(tls) << dump(r);
  EXPECT_EQ(tls->severity, Severity::Warning);
  EXPECT_EQ(tls->line, static_cast<int>(std::count(text.begin(), text.end(), '\n')));
  EXPECT_EQ(tls->column, 10);
  EXPECT_TRUE(find(r, "without a viewer token")) << dump(r);
  LoadResult local = parse(withBase(kOneItem) + "\n[api]\nlisten = \"127.0.0.1:8080\"\n");
  EXPECT_FALSE(find(local, "beyond this machine")) << dump(local);
}

}  // namespace ceremony
