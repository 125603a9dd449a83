// [watch], and what an item and a live input say of their sound and picture.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

// kBase + kOneItem end on line 16: what these tests add begins on line 17.
constexpr int kItemLines = kBaseLines + 5;

TEST_F(ConfigParser, WithoutAWatchTableTheWatchIsOnWithItsDefaults) {
  LoadResult r = parse(withBase(kOneItem));
  ASSERT_TRUE(r.config) << dump(r);
  const WatchConfig& w = r.config->watch;
  EXPECT_TRUE(w.enabled);
  EXPECT_EQ(w.silenceBelowLufs, -60);
  EXPECT_EQ(w.silenceAfter, Millis{10000});
  EXPECT_EQ(w.truePeakMaxDbtp, -1);
  EXPECT_EQ(w.targetLufs, -16);
  EXPECT_EQ(w.toleranceLu, 4);
  EXPECT_EQ(w.offTargetAfter, Millis{60000});
  EXPECT_FALSE(w.autoGain);
  EXPECT_EQ(w.freezeAfter, Millis{5000});
  EXPECT_EQ(w.blackAfter, Millis{5000});
  EXPECT_FALSE(r.config->timeline[0].expectSound.has_value());
}

TEST_F(ConfigParser, WatchKeysAreRead) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[watch]\nsilence_below = -50\nsilence_after = \"3s\"\n"
                       "true_peak_max = -2.5\ntarget = -23\ntolerance = 2\n"
                       "off_target_after = \"2m\"\nauto_gain = true\nmax_gain = 6\n"
                       "freeze_after = \"2s\"\nblack_after = \"20s\"\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  const WatchConfig& w = r.config->watch;
  EXPECT_EQ(w.silenceBelowLufs, -50);
  EXPECT_EQ(w.silenceAfter, Millis{3000});
  EXPECT_EQ(w.truePeakMaxDbtp, -2.5);
  EXPECT_EQ(w.targetLufs, -23);
  EXPECT_EQ(w.toleranceLu, 2);
  EXPECT_EQ(w.offTargetAfter, Millis{120000});
  EXPECT_TRUE(w.autoGain);
  EXPECT_EQ(w.maxGainDb, 6);
  EXPECT_EQ(w.freezeAfter, Millis{2000});
  EXPECT_EQ(w.blackAfter, Millis{20000});
  EXPECT_EQ(w.pos.line, kItemLines + 1);
  r = parse(withBase(kOneItem) + "[watch]\nenabled = false\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_FALSE(r.config->watch.enabled);
}

TEST_F(ConfigParser, WatchValuesOutOfRangeAreErrorsAtTheValue) {
  LoadResult r = parse(withBase(kOneItem) + "[watch]\nenabled = true\ntarget = 3\n");
  EXPECT_DIAGNOSTIC(r, "[watch] target must be between -40 and -5 LUFS", Severity::Error,
                    kItemLines + 3, 10);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) + "[watch]\nsilence_after = \"0.5s\"\n");
  EXPECT_DIAGNOSTIC(r, "[watch] silence_after must be between 1s and 600s", Severity::Error,
                    kItemLines + 2, 17);
  r = parse(withBase(kOneItem) + "[watch]\ntrue_peak_max = 1\n");
  EXPECT_DIAGNOSTIC(r, "[watch] true_peak_max must be between -20 and 0 dBTP", Severity::Error,
                    kItemLines + 2, 17);
  r = parse(withBase(kOneItem) + "[watch]\nfreeze_after = \"soon\"\n");
  EXPECT_DIAGNOSTIC(r, "freeze_after", Severity::Error, kItemLines + 2, 16);
  r = parse(withBase(kOneItem) + "[watch]\nauto_gain = \"yes\"\n");
  EXPECT_DIAGNOSTIC(r, "auto_gain must be true or false", Severity::Error, kItemLines + 2, 13);
}

TEST_F(ConfigParser, AnUnknownWatchKeyIsAWarningWithASuggestion) {
  LoadResult r = parse(withBase(kOneItem) + "[watch]\nsilence_afer = \"3s\"\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_DIAGNOSTIC(r, "silence_after", Severity::Warning, kItemLines + 2, 1);
  r = parse("watch = 1\n" + withBase(kOneItem));
  EXPECT_DIAGNOSTIC(r, "[watch]", Severity::Error, 1, 9);
}

TEST_F(ConfigParser, AnItemMaySayWhetherItExpectsSound) {
  LoadResult r = parse(withBase(R"([[timeline]]
id = "a"
start = "14:00"
scene = "hall"
title = "Phim không lời"
expect_sound = false
)"));
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  ASSERT_TRUE(r.config->timeline[0].expectSound.has_value());
  EXPECT_FALSE(*r.config->timeline[0].expectSound);
  r = parse(withBase(R"([[timeline]]
id = "a"
start = "14:00"
scene = "hall"
title = "Khai mạc"
expect_sound = "có"
)"));
  EXPECT_DIAGNOSTIC(r, "expect_sound must be true or false", Severity::Error, kBaseLines + 6, 16);
}

TEST_F(ConfigParser, ALiveInputMaySayItStandsStill) {
  LoadResult r = parse(R"([event]
title = "Lễ Phát động"
date = "2025-07-28"
[sources.slides]
kind = "uri"
uri = "srt://127.0.0.1:9000?mode=listener"
expect_motion = false
[sources.hall]
kind = "test"
expect_motion = false
[scenes.hall]
kind = "source"
source = "slides"
[outputs.rec]
kind = "record"
directory = "rec"
)" + std::string(kOneItem));
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_FALSE(r.config->sources[0].expectMotion);
  EXPECT_TRUE(r.config->sources[1].expectMotion);
  // A generated source never moves or stops on its own: the key is not one of its kind.
  EXPECT_DIAGNOSTIC(r, "expect_motion", Severity::Warning, 10, 1);
}

}  // namespace
}  // namespace ceremony
