// [[timeline]]: the items, their times and cues, and the run-of-show as a whole.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

TEST_F(ConfigParser, UnknownSceneInAnItem) {
  LoadResult r = parse(withBase("[[timeline]]\nid = \"a\"\nstart = \"14:00\"\nscene = \"hal\"\n"));
  EXPECT_DIAGNOSTIC(r, "scene \"hal\" is not a scene in [scenes] (did you mean 'hall'?)",
                    Severity::Error, kBaseLines + 4, 9);
}

TEST_F(ConfigParser, DuplicateItemIds) {
  LoadResult r = parse(withBase(std::string(kOneItem) + kOneItem));
  EXPECT_DIAGNOSTIC(r, "duplicate timeline item id \"a\" (already used at line 13)",
                    Severity::Error, kBaseLines + 7, 6);
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

TEST_F(ConfigParser, TheLaunchMomentIsOneItem) {
  LoadResult ok = parse(withBase(std::string(kOneItem) + "launch = true\n"));
  ASSERT_TRUE(ok.config);
  EXPECT_TRUE(ok.config->timeline.at(0).launch);
  LoadResult two = parse(withBase(std::string(kOneItem) + "launch = true\n" +
                                  "[[timeline]]\nid = \"b\"\nscene = \"hall\"\nlaunch = true\n"));
  EXPECT_DIAGNOSTIC(two,
                    "timeline item 'b' is marked launch = true, but the launch moment is "
                    "already the item at line 17; mark only one item",
                    Severity::Error, kBaseLines + 10, 10);
  LoadResult typo = parse(withBase(std::string(kOneItem) + "launch = \"yes\"\n"));
  EXPECT_DIAGNOSTIC(typo, "launch", Severity::Error, kBaseLines + 6, 10);
}

}  // namespace
}  // namespace ceremony
