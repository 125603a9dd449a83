// The recording comes in segments that each play on their own: a new Matroska file every
// `segment`, cut on a keyframe, named after the first, with nothing lost between them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>

#include "support/Common.h"
#include "support/MediaProbe.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

TEST(Recording, ComesInSegmentsThatEachPlayAndFollowOnWithoutAGap) {
  TempDir dir("segments");
  std::string config = readText(kData / "programme.toml");
  const std::string rec = "directory = \"rec\"";
  config.replace(config.find(rec), rec.size(), rec + "\nsegment = \"10s\"");
  writeText(dir.path() / "prog.toml", config);
  Process daemon({CEREMONYD_BINARY, "--config", (dir.path() / "prog.toml").string(),
                  "--rehearsal=1", "--exit-when-done", "--listen", "127.0.0.1:0"},
                 {dir.path() / "daemon.log"});
  ASSERT_EQ(daemon.waitFor(90s), 0) << tailOf(daemon.log(), 30);

  const auto files = recordingFiles(dir.path() / "rec");
  // About 32 s of programme (the pre-show, then five 6 s items): four files of ≤ ~10 s.
  ASSERT_GE(files.size(), 3u);
  ASSERT_LE(files.size(), 4u);
  const std::string first = files[0].stem().string();
  EXPECT_EQ(files[1].filename().string(), first + "-2.mkv");
  EXPECT_EQ(files[2].filename().string(), first + "-3.mkv");
  const MediaProbe probe(dir.path());
  double previousEnd = -1;
  for (const auto& f : files) {
    const auto check = probe.readsToEnd(f);
    EXPECT_TRUE(check.ok) << f << ": " << check.errors;
    const auto frames = probe.videoFrameTimes(f);
    ASSERT_FALSE(frames.empty()) << f;
    const auto keys = probe.keyframeTimes(f);
    ASSERT_FALSE(keys.empty()) << f;
    EXPECT_NEAR(keys.front(), frames.front(), 0.001) << f << " does not start on a keyframe";
    if (&f != &files.back()) {
      EXPECT_GT(check.decodedSeconds, 9.0) << f;
      EXPECT_LT(check.decodedSeconds, 12.5) << f;
    }
    // Timestamps run on across files: the next one starts one frame after this one ends.
    if (previousEnd >= 0) {
      EXPECT_NEAR(frames.front() - previousEnd, 1.0 / 30, 0.02) << f;
    }
    previousEnd = frames.back();
  }
}

}  // namespace
}  // namespace ceremony::testing
