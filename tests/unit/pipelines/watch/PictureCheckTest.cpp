// The live inputs' picture check: the same frame again, black, and how long either lasts.
#include "pipelines/watch/PictureCheck.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ceremony::media {
namespace {

constexpr int kWidth = 1280, kHeight = 720, kStride = 1280 + 64;

// A luma plane: bars that move `shift` pixels, plus sensor noise of ±`noise` levels.
std::vector<std::uint8_t> plane(int shift, int noise = 0, unsigned seed = 1) {
  std::vector<std::uint8_t> p(static_cast<std::size_t>(kStride) * kHeight, 0);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> jitter(-noise, noise);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      int v = ((x + shift) / 80) % 2 ? 200 : 60;
      if (noise) v += jitter(rng);
      p[static_cast<std::size_t>(y) * kStride + x] = static_cast<std::uint8_t>(v);
    }
  return p;
}

std::vector<std::uint8_t> flat(int luma) {
  return std::vector<std::uint8_t>(static_cast<std::size_t>(kStride) * kHeight,
                                   static_cast<std::uint8_t>(luma));
}

PictureVerdict look(PictureCheck& c, const std::vector<std::uint8_t>& p) {
  return c.look(p.data(), kStride, kWidth, kHeight);
}

TEST(PictureCheck, TheSameFrameAgainIsStillAMovingOneIsNot) {
  PictureCheck c;
  const auto a = plane(0);
  EXPECT_FALSE(look(c, a).still) << "the first frame has nothing to be compared with";
  EXPECT_TRUE(look(c, a).still);
  EXPECT_FALSE(look(c, plane(8)).still);
  c.reset();
  EXPECT_FALSE(look(c, plane(8)).still);
}

TEST(PictureCheck, ACamerasNoiseIsMotionAnEncodersRepeatIsNot) {
  PictureCheck c;
  look(c, plane(0, 2, 1));
  // A live camera on a still hall: ±2 levels of noise on every pixel.
  EXPECT_FALSE(look(c, plane(0, 2, 2)).still);
  // A frame decoded again from the same bits, with a stray pixel or two: under -60 dB.
  auto repeat = plane(0, 2, 2);
  repeat[5 * kStride + 7] ^= 0x40;
  EXPECT_TRUE(look(c, repeat).still);
}

TEST(PictureCheck, BlackIsAlmostEverySampleDark) {
  PictureCheck c;
  EXPECT_TRUE(look(c, flat(16)).black);
  EXPECT_TRUE(look(c, flat(37)).black);
  EXPECT_FALSE(look(c, flat(38)).black);
  auto mostly = flat(16);
  // A white caption over a tenth of the picture is not black.
  for (int y = 600; y < 672; ++y)
    for (int x = 0; x < kWidth; ++x) mostly[static_cast<std::size_t>(y) * kStride + x] = 235;
  EXPECT_FALSE(look(c, mostly).black);
  EXPECT_FALSE(look(c, plane(0)).black);
}

TEST(PictureCheck, ASmallPictureIsSampledWithoutReadingPastIt) {
  PictureCheck c;
  std::vector<std::uint8_t> tiny(64 * 36, 30);
  EXPECT_TRUE(c.look(tiny.data(), 64, 64, 36).black);
  EXPECT_TRUE(c.look(tiny.data(), 64, 64, 36).still);
}

TEST(PictureWatch, FrozenAfterItsTimeAndMovingAtTheFirstNewFrame) {
  PictureWatch w(5'000'000, 3'000'000);
  std::int64_t t = 0;
  const std::int64_t frame = 33'333;
  EXPECT_FALSE(w.frame({false, false}, t).any());
  bool frozeAt = false;
  for (t = frame; t < 6'000'000; t += frame) {
    const auto c = w.frame({true, false}, t);
    if (c.frozen) {
      frozeAt = true;
      EXPECT_GE(t - frame, 5'000'000 - frame);
      EXPECT_LE(t, 5'000'000 + 2 * frame);
    }
  }
  EXPECT_TRUE(frozeAt);
  EXPECT_TRUE(w.frozen());
  const auto c = w.frame({false, false}, t);
  EXPECT_TRUE(c.moving);
  EXPECT_FALSE(w.frozen());
}

TEST(PictureWatch, BlackAfterItsTimeAndLitAgain) {
  PictureWatch w(5'000'000, 3'000'000);
  EXPECT_FALSE(w.frame({false, true}, 0).black);
  EXPECT_FALSE(w.frame({false, true}, 2'900'000).black);
  EXPECT_TRUE(w.frame({false, true}, 3'000'000).black);
  EXPECT_TRUE(w.black());
  EXPECT_FALSE(w.frame({false, true}, 9'000'000).black) << "said once";
  EXPECT_TRUE(w.frame({false, false}, 9'100'000).lit);
  // A moment of black (a cut through black) is not black.
  EXPECT_FALSE(w.frame({false, true}, 9'200'000).black);
  EXPECT_FALSE(w.frame({false, false}, 9'300'000).any());
  EXPECT_FALSE(w.frame({false, true}, 12'000'000).black);
}

}  // namespace
}  // namespace ceremony::media
