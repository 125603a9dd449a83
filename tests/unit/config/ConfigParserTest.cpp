// What any table can get wrong, the file as a whole, and --check.
#include <gtest/gtest.h>

#include <sstream>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

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

TEST_F(ConfigParser, UnknownKind) {
  LoadResult r = parse(withBase("[sources.cam2]\nkind = \"camera\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r,
                    "[sources.cam2] kind \"camera\" is not a source kind; use one of test, "
                    "uri, image, launch or point",
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

}  // namespace
}  // namespace ceremony
