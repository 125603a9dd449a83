// A documentary clip from a real media file: it plays with its own sound, and when it ends
// before its planned end the next (`after`) item takes over at once — the clip "says when it
// ended". Checked on the recording the daemon wrote.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "support/MediaProbe.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr double kTolerance = 60;
const Rgb kGreen{0, 255, 0}, kBlue{0, 0, 255}, kRed{255, 0, 0};

bool full(const ColourGrid& g, const Rgb& c) {
  for (int r = 0; r < 5; ++r)
    for (int col = 0; col < 8; ++col)
      if (!g.at(col, r).near(c, kTolerance)) return false;
  return true;
}

// Mean loudness (dBFS) of the programme's sound between two times, from ffmpeg volumedetect.
std::optional<double> meanVolume(const fs::path& file, double from, double length,
                                 const fs::path& logDir) {
  auto r = runToEnd({"ffmpeg", "-v", "info", "-nostats", "-ss", std::to_string(from), "-t",
                     std::to_string(length), "-i", file.string(), "-vn", "-af", "volumedetect",
                     "-f", "null", "-"},
                    logDir, seconds(60));
  std::smatch m;
  static const std::regex re("mean_volume: (-?[0-9.]+|-inf) dB");
  if (!std::regex_search(r.err, m, re)) return std::nullopt;
  return m[1] == "-inf" ? -200.0 : std::stod(m[1]);
}

const char* kConfig = R"(
[event]
title = "Kiểm thử phóng sự"
date = "2025-07-28"

[sources.xanh]
kind = "test"
pattern = "green"
tone_hz = 0

[sources.do]
kind = "test"
pattern = "red"
tone_hz = 0

[scenes.xanh]
kind = "source"
source = "xanh"

[scenes.phong_su]
kind = "clip"
file = "phong-su.mp4"

[scenes.do]
kind = "source"
source = "do"

[outputs.ghi]
kind = "record"
directory = "rec"

[[timeline]]
id = "mo-dau"
title = "Khai mạc"
start = "09:00"
duration = "4s"
scene = "xanh"

[[timeline]]
id = "phong-su"
title = "Xem phóng sự"
cue = "after"
duration = "10s"
scene = "phong_su"

[[timeline]]
id = "phat-bieu"
title = "Phát biểu"
cue = "after"
duration = "4s"
scene = "do"
)";

TEST(Clip, FilePlaysWithItsSoundAndItsEndHandsOverToTheNextItem) {
  TempDir dir("clip");
  // A 3 s documentary: solid blue with a 1 kHz tone, H.264 + AAC in MP4.
  auto made = runToEnd(
      {"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=blue:s=640x360:r=25:d=3", "-f",
       "lavfi", "-i", "sine=frequency=1000:sample_rate=44100:duration=3", "-c:v", "libx264",
       "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", (dir.path() / "phong-su.mp4").string()},
      dir.path(), seconds(60));
  ASSERT_TRUE(made.ok()) << made.describe();
  writeText(dir.path() / "clip.toml", kConfig);

  auto run = runToEnd({CEREMONYD_BINARY, "--config", (dir.path() / "clip.toml").string(),
                       "--rehearsal=1", "--exit-when-done", "--listen", "127.0.0.1:0"},
                      dir.path(), seconds(90));
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_NE(run.err.find("phong-su"), std::string::npos);

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir.path() / "rec")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  MediaProbe probe(dir.path());
  const auto frames = probe.colourTrack(files[0], 8);
  ASSERT_FALSE(frames.empty());
  auto first = [&](const Rgb& c) -> std::optional<double> {
    for (const auto& f : frames)
      if (full(f.grid, c)) return f.time;
    return std::nullopt;
  };
  const auto green = first(kGreen), blue = first(kBlue), red = first(kRed);
  ASSERT_TRUE(green && blue && red) << "every scene must appear";
  // Item 2 starts exactly when item 1's 4 s are up.
  EXPECT_NEAR(*blue - *green, 4.0, 0.05);
  // The clip lasts 3 s of its planned 10: item 3 follows its end, not the plan.
  EXPECT_NEAR(*red - *blue, 3.0, 0.6) << "the clip's end must hand over to the next item";
  // The clip's own sound is heard; the sources around it are silent.
  const auto during = meanVolume(files[0], *blue + 0.5, 2.0, dir.path());
  const auto before = meanVolume(files[0], *green + 0.5, 2.0, dir.path());
  ASSERT_TRUE(during && before);
  EXPECT_GT(*during, -40.0) << "the clip's sound must be on air";
  EXPECT_LT(*before, -80.0) << "a silent source must stay silent";
}

}  // namespace
}  // namespace ceremony::testing
