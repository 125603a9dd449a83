// The programme's loudness meter and its automatic gain, fed sines of known level.
#include "pipelines/watch/ProgrammeSound.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ceremony::media {
namespace {

constexpr int kRate = 48000;
constexpr std::size_t kFrames = kRate / 50;  // 20 ms, as the programme's mixer gives

// Feeds `seconds` of a 1 kHz sine of peak `amplitude` on both channels; returns the highest
// sample that came out (after the gain, if any).
float feed(ProgrammeSound& s, double seconds, double amplitude, double* phase) {
  std::vector<float> buf(kFrames * 2);
  float highest = 0;
  for (int b = 0; b < static_cast<int>(seconds * 50); ++b) {
    for (std::size_t i = 0; i < kFrames; ++i) {
      const float v = static_cast<float>(amplitude * std::sin(*phase));
      *phase += 2 * M_PI * 1000 / kRate;
      buf[2 * i] = buf[2 * i + 1] = v;
    }
    s.add(buf.data(), kFrames);
    for (float v : buf) highest = std::max(highest, std::abs(v));
  }
  return highest;
}

ProgrammeFormat format() {
  ProgrammeFormat f;
  f.audioRate = kRate;
  f.audioChannels = 2;
  return f;
}

TEST(ProgrammeSound, ASineReadsItsLoudnessAndPeak) {
  WatchConfig w;
  ProgrammeSound s(format(), w);
  double phase = 0;
  // A 1 kHz sine at -20 dBFS peak on both channels: -20 + 3.0 (two channels) - 3.0 (sine's
  // RMS) + 0.7 (K-weighting at 1 kHz) - 0.691 = about -20 LUFS (BS.1770).
  feed(s, 4, 0.1, &phase);
  const Loudness l = s.read();
  EXPECT_NEAR(l.momentary, -20.0, 0.3);
  EXPECT_NEAR(l.shortTerm, -20.0, 0.3);
  EXPECT_NEAR(l.integrated, -20.0, 0.3);
  EXPECT_NEAR(l.truePeak, -20.0, 0.3);
  EXPECT_NEAR(l.maxTruePeak, -20.0, 0.3);
  EXPECT_NEAR(l.seconds, 4.0, 0.01);
  EXPECT_EQ(l.gainDb, 0);
  // The peak "since the last read" starts again (once the oversampling filter has let go of
  // the louder sine); the highest since the start does not.
  feed(s, 0.5, 0.01, &phase);
  s.read();
  feed(s, 0.5, 0.01, &phase);
  const Loudness after = s.read();
  EXPECT_NEAR(after.truePeak, -40.0, 0.3);
  EXPECT_NEAR(after.maxTruePeak, -20.0, 0.3);
}

TEST(ProgrammeSound, SilenceHasNoLoudness) {
  WatchConfig w;
  ProgrammeSound s(format(), w);
  double phase = 0;
  feed(s, 1, 0, &phase);
  const Loudness l = s.read();
  EXPECT_FALSE(std::isfinite(l.momentary));
  EXPECT_FALSE(l.momentary >= w.silenceBelowLufs);
  EXPECT_FALSE(std::isfinite(l.truePeak));
}

TEST(ProgrammeSound, WithoutAutoGainTheSoundIsUntouched) {
  WatchConfig w;
  ProgrammeSound s(format(), w);
  double phase = 0;
  EXPECT_FLOAT_EQ(feed(s, 1, 0.5, &phase), 0.5f);
  s.steer(s.read(), Millis{250});
  EXPECT_NEAR(feed(s, 1, 0.5, &phase), 0.5f, 1e-6);
}

// The automatic gain: a quiet programme is brought up to the target slowly (1 dB a second at
// most), never past max_gain, and a sudden loud passage never comes out above the ceiling.
TEST(ProgrammeSound, AutoGainReachesTheTargetSlowlyAndNeverPassesTheCeiling) {
  WatchConfig w;
  w.autoGain = true;
  w.targetLufs = -16;
  w.maxGainDb = 12;
  w.truePeakMaxDbtp = -1;
  ProgrammeSound s(format(), w);
  double phase = 0;
  // -26 LUFS: 10 dB under the target.
  const double quiet = 0.1 * std::pow(10.0, -6.0 / 20);
  double previousGain = 0;
  for (int i = 0; i < 4 * 20; ++i) {  // 20 s of readings every 250 ms
    feed(s, 0.25, quiet, &phase);
    const Loudness l = s.read();
    EXPECT_LE(l.gainDb - previousGain, 0.25 + 0.01) << "at most 1 dB a second, at " << i;
    previousGain = l.gainDb;
    s.steer(l, Millis{250});
  }
  feed(s, 3, quiet, &phase);
  Loudness l = s.read();
  EXPECT_NEAR(l.shortTerm, -16, 1.0);
  EXPECT_NEAR(l.gainDb, 10, 1.0);
  // A shout 20 dB louder: nothing comes out above -1.5 dBFS (the ceiling less its margin).
  const float highest = feed(s, 2, quiet * 10, &phase);
  EXPECT_LE(20 * std::log10(highest), -1.5 + 0.01);
  l = s.read();
  EXPECT_LE(l.maxTruePeak, -1.0 + 0.05);
}

TEST(ProgrammeSound, AutoGainStopsAtMaxGainAndIgnoresSilence) {
  WatchConfig w;
  w.autoGain = true;
  w.maxGainDb = 6;
  ProgrammeSound s(format(), w);
  double phase = 0;
  for (int i = 0; i < 4 * 20; ++i) {  // silence: the gain stays where it is
    feed(s, 0.25, 0, &phase);
    s.steer(s.read(), Millis{250});
  }
  feed(s, 0.25, 0.001, &phase);
  EXPECT_EQ(s.read().gainDb, 0);
  for (int i = 0; i < 4 * 20; ++i) {  // -40 LUFS: far under, but at most +6 dB
    feed(s, 0.25, 0.01, &phase);
    s.steer(s.read(), Millis{250});
  }
  EXPECT_NEAR(s.read().gainDb, 6, 0.05);
}

}  // namespace
}  // namespace ceremony::media
