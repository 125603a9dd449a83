// The programme's sound decisions: silence in an item that expects sound, clipping, loudness
// off target. Readings every 250 ms, as the daemon makes them.
#include "watch/SoundWatch.h"

#include <gtest/gtest.h>

#include "core/Clock.h"

namespace ceremony::watch {
namespace {

using namespace std::chrono_literals;

constexpr double kSilence = -HUGE_VAL;

class SoundWatchTest : public ::testing::Test {
 protected:
  SoundWatchTest() { config_.silenceAfter = Millis{3000}; }

  // `seconds` of readings of `r` during `item`; every alert said meanwhile.
  std::vector<SoundAlert> play(double seconds, SoundReading r,
                               const std::optional<OnAirItem>& item) {
    std::vector<SoundAlert> out;
    for (int i = 0; i < static_cast<int>(seconds * 4); ++i) {
      clock_.advance(Millis{250});
      for (auto& a : watch_.update(r, item, clock_.now())) out.push_back(std::move(a));
    }
    return out;
  }

  WatchConfig config_;
  SoundWatch watch_{config_};
  ManualClock clock_{WallTime{} + 1000h};
  const SoundReading speech_{-18, -17, -6};
  const SoundReading silent_{kSilence, kSilence, kSilence};
  const OnAirItem speechItem_{"chi-dao", 5, "Phát biểu chỉ đạo", true};
  const OnAirItem film_{"phim", 4, "Phim tư liệu", false};
};

TEST_F(SoundWatchTest, SilenceInASpeechIsOneAlertNamingTheItemThenItsEnd) {
  watch_ = SoundWatch(config_);
  EXPECT_TRUE(play(5, speech_, speechItem_).empty());
  // The first silent reading starts the count: 3 s after it is the 13th.
  auto alerts = play(3, silent_, speechItem_);
  EXPECT_TRUE(alerts.empty()) << "under silence_after (3 s) is no alert";
  EXPECT_EQ(watch_.state(), "quiet");
  alerts = play(0.25, silent_, speechItem_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, SoundAlertKind::Silence);
  EXPECT_EQ(alerts[0].itemId, "chi-dao");
  EXPECT_EQ(alerts[0].message, "Không có tiếng trong mục 5: Phát biểu chỉ đạo (đã 3 s)");
  EXPECT_EQ(watch_.state(), "silent");
  EXPECT_TRUE(play(10, silent_, speechItem_).empty()) << "one alert per silence";
  EXPECT_NEAR(watch_.silentSeconds(clock_.now()), 13, 0.01);  // from the first silent reading
  alerts = play(0.25, speech_, speechItem_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, SoundAlertKind::SilenceOver);
  EXPECT_NEAR(alerts[0].value, 13, 0.3);
  EXPECT_EQ(alerts[0].message, "Có tiếng trở lại trong mục 5: Phát biểu chỉ đạo sau 13 s im lặng");
  EXPECT_EQ(watch_.state(), "ok");
}

TEST_F(SoundWatchTest, AFilmsSilenceIsNoAlarm) {
  watch_ = SoundWatch(config_);
  EXPECT_TRUE(play(30, silent_, film_).empty());
  EXPECT_EQ(watch_.state(), "quiet");
  EXPECT_TRUE(play(30, silent_, std::nullopt).empty()) << "nothing on air: nothing expected";
}

TEST_F(SoundWatchTest, ASilenceCarriedIntoASpeechCountsFromItsStart) {
  watch_ = SoundWatch(config_);
  EXPECT_TRUE(play(20, silent_, film_).empty());
  // The film ends quiet; the speech after it gets its full silence_after.
  EXPECT_TRUE(play(3, silent_, speechItem_).empty());
  auto alerts = play(0.25, silent_, speechItem_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].message, "Không có tiếng trong mục 5: Phát biểu chỉ đạo (đã 3 s)");
  // The item ends while still silent: its silence is over with it, and said so.
  alerts = play(0.25, silent_, film_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, SoundAlertKind::SilenceOver);
  EXPECT_EQ(alerts[0].itemId, "chi-dao");
  EXPECT_EQ(alerts[0].message, "Hết mục 5: Phát biểu chỉ đạo, không có tiếng 3 s đến hết mục");
}

TEST_F(SoundWatchTest, QuietButAudibleIsNotSilence) {
  watch_ = SoundWatch(config_);
  // Room tone at -55 LUFS momentary is above silence_below (-60).
  EXPECT_TRUE(play(20, {-55, -55, -40}, speechItem_).empty());
  EXPECT_EQ(watch_.state(), "ok");
}

TEST_F(SoundWatchTest, ClippingIsSaidAtMostOnceAMinute) {
  watch_ = SoundWatch(config_);
  const SoundReading loud{-14, -14, -0.3};
  auto alerts = play(30, loud, speechItem_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, SoundAlertKind::Clipping);
  EXPECT_EQ(alerts[0].message,
            "Âm thanh bị vỡ: đỉnh -0.3 dBTP, quá mức -1.0 dBTP (mục 5: Phát biểu chỉ đạo)");
  EXPECT_TRUE(play(30, loud, speechItem_).empty());
  EXPECT_EQ(play(0.25, loud, speechItem_).size(), 1u);  // a minute after the first
  EXPECT_TRUE(play(60, {-14, -14, -1.5}, speechItem_).empty()) << "under the ceiling";
}

TEST_F(SoundWatchTest, LoudnessOffTargetForAMinuteIsAnAlertAndItsReturnIsSaid) {
  watch_ = SoundWatch(config_);
  const SoundReading quiet{-29, -28, -20};  // 12 LU under -16, tolerance 4
  EXPECT_TRUE(play(60, quiet, speechItem_).empty());
  auto alerts = play(0.25, quiet, speechItem_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, SoundAlertKind::OffTarget);
  EXPECT_EQ(alerts[0].message,
            "Âm lượng chương trình nhỏ: -28.0 LUFS, ngoài mức -16 ± 4 LUFS đã 60 s");
  EXPECT_EQ(watch_.state(), "off_target");
  // Pauses in the speech neither reset nor feed the count.
  EXPECT_TRUE(play(2, silent_, speechItem_).empty());
  alerts = play(0.25, {-17, -18, -8}, speechItem_);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, SoundAlertKind::OnTarget);
  EXPECT_EQ(watch_.state(), "ok");
}

TEST_F(SoundWatchTest, AnOffTargetStretchShorterThanTheLimitIsNoAlert) {
  watch_ = SoundWatch(config_);
  EXPECT_TRUE(play(40, {-8, -8, -3}, speechItem_).empty());
  EXPECT_TRUE(play(1, speech_, speechItem_).empty());
  EXPECT_TRUE(play(40, {-8, -8, -3}, speechItem_).empty());
}

TEST(ExpectsSound, WhatTheItemSaysElseWhatItsSceneShows) {
  ItemConfig item;
  SceneConfig scene;
  scene.kind = SceneKind::Source;
  EXPECT_TRUE(expectsSound(item, &scene));
  scene.kind = SceneKind::PictureInPicture;
  EXPECT_TRUE(expectsSound(item, &scene));
  scene.kind = SceneKind::Clip;
  EXPECT_FALSE(expectsSound(item, &scene));
  scene.kind = SceneKind::Slate;
  EXPECT_FALSE(expectsSound(item, &scene));
  item.expectSound = true;
  EXPECT_TRUE(expectsSound(item, &scene));
  scene.kind = SceneKind::Source;
  item.expectSound = false;
  EXPECT_FALSE(expectsSound(item, &scene));
}

}  // namespace
}  // namespace ceremony::watch
