// The test harness checked against plain tools (sh, gst-launch-1.0, ffmpeg), so that when a
// ceremonyd test fails the peer (nginx, the TLS front, the probes) is known to work.

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "support/FreePort.h"
#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"
#include "support/TempDir.h"
#include "support/TestPublisher.h"

namespace ceremony::testing {
namespace {

namespace fs = std::filesystem;

const Rgb kRed{255, 0, 0}, kBlue{0, 0, 255}, kWhite{255, 255, 255};
constexpr double kColourTolerance = 40;

// A process is gone when kill(0) fails or it is a zombie waiting for a reaper we do not own.
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  const auto stat = readText("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

template <typename Done>
bool within(std::chrono::milliseconds timeout, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(HarnessProcess, ReportsExitCodeOutputAndEnvironment) {
  TempDir dir("process");
  Process p({"sh", "-c", "echo \"hello $CEREMONY_TEST_WORD from $(pwd)\"; exit 3"},
            {dir / "sh.log", {}, {"CEREMONY_TEST_WORD=world"}, dir.path()});
  EXPECT_EQ(p.waitFor(std::chrono::seconds(10)), 3);
  EXPECT_NE(p.log().find("hello world from " + dir.path().string()), std::string::npos) << p.log();
}

TEST(HarnessProcess, TimesOutThenKillsItsWholeGroupOnDestruction) {
  TempDir dir("process");
  pid_t grandchild = 0;
  {
    Process p({"sh", "-c", "sleep 30 & echo $! > child.pid; wait"},
              {dir / "sh.log", {}, {}, dir.path()});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.waitFor(std::chrono::milliseconds(200)), std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    ASSERT_TRUE(within(std::chrono::seconds(5), [&] {
      return !readText(dir / "child.pid").empty() && readText(dir / "child.pid").back() == '\n';
    }));
    grandchild = std::stoi(readText(dir / "child.pid"));
    ASSERT_FALSE(gone(grandchild));
  }
  EXPECT_TRUE(within(std::chrono::seconds(5), [&] { return gone(grandchild); }))
      << "the background sleep outlived its Process";
}

TEST(HarnessProcess, SignalEndsItAndStatusSaysWhich) {
  TempDir dir("process");
  Process p({"sleep", "30"}, {dir / "sleep.log"});
  EXPECT_TRUE(p.running());
  p.signal(SIGTERM);
  EXPECT_EQ(p.waitFor(std::chrono::seconds(5)), 128 + SIGTERM);
}

TEST(HarnessProcess, MissingProgramIsAClearError) {
  TempDir dir("process");
  try {
    Process p({"/nonexistent/ceremonyd"}, {dir / "x.log"});
    FAIL() << "started a program that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ceremonyd"), std::string::npos);
  }
}

TEST(HarnessProcess, TailOfALogForFailureMessages) {
  EXPECT_EQ(tailOf("", 2), "");
  EXPECT_EQ(tailOf("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(tailOf("a\nb\nc", 2), "b\nc");
  EXPECT_EQ(tailOf("a\nb", 5), "a\nb");
}

TEST(HarnessTempDir, RemovedUnlessAskedToKeep) {
  // The developer's own setting is put back afterwards.
  const char* outer = std::getenv("CEREMONYD_KEEP_TEST_FILES");
  const std::optional<std::string> saved = outer ? std::optional<std::string>(outer) : std::nullopt;
  ::unsetenv("CEREMONYD_KEEP_TEST_FILES");
  fs::path removed, kept;
  {
    TempDir dir("tempdir");
    removed = dir.path();
    writeText(dir / "file.txt", "x");
    ASSERT_TRUE(fs::is_directory(removed));
  }
  EXPECT_FALSE(fs::exists(removed));

  ::setenv("CEREMONYD_KEEP_TEST_FILES", "1", 1);
  {
    TempDir dir("tempdir");
    kept = dir.path();
  }
  ::unsetenv("CEREMONYD_KEEP_TEST_FILES");
  if (saved) ::setenv("CEREMONYD_KEEP_TEST_FILES", saved->c_str(), 1);
  EXPECT_TRUE(fs::is_directory(kept));
  fs::remove_all(kept);
}

TEST(HarnessFreePort, DistinctAndUnused) {
  const auto ports = freePorts(3);
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_NE(ports[0], ports[1]);
  EXPECT_NE(ports[1], ports[2]);
  EXPECT_NE(ports[0], ports[2]);
  for (int port : ports) {
    EXPECT_GT(port, 0);
    EXPECT_FALSE(acceptsConnections(port));
  }
}

// The recorded stream is what the publisher sent: format, cadence, picture, whole.
void expectRecordedTestStream(const MediaProbe& probe, const fs::path& file, const Rgb& colour) {
  const auto info = probe.probe(file);
  EXPECT_EQ(info.videoCodec, "h264");
  EXPECT_EQ(info.width, 640);
  EXPECT_EQ(info.height, 360);
  EXPECT_EQ(info.audioCodec, "aac");
  EXPECT_EQ(info.sampleRate, 48000);
  EXPECT_EQ(info.channels, 2);
  EXPECT_NEAR(info.duration, 7.0, 0.5);

  // The frame rate from 1 s on: the first frames may come bunched while x264 starts (seen
  // through the TLS front: 0.150, then 0.214 twice, then every 33 ms), as the keyframes below.
  const auto frames = probe.videoFrameTimes(file);
  ASSERT_GE(frames.size(), 2u);
  std::vector<double> steady;
  for (double t : frames)
    if (t >= frames.front() + 1.0) steady.push_back(t);
  ASSERT_GE(steady.size(), 2u) << listOf(frames);
  EXPECT_NEAR((steady.size() - 1) / (steady.back() - steady.front()), 30.0, 0.5);

  // A fresh gst-launch publisher may stamp its very first frame a few tens of ms late while
  // x264 starts (seen: 0.085 then 2.050), so the cadence is checked from the second keyframe.
  const auto keyframes = probe.keyframeTimes(file);
  ASSERT_GE(keyframes.size(), 4u) << listOf(keyframes);
  const auto gaps = intervals(keyframes);
  for (std::size_t i = 1; i < gaps.size(); ++i)
    EXPECT_NEAR(gaps[i], 2.0, 0.034) << listOf(keyframes);

  const auto seen = probe.averageColourAt(file, 2.5);
  EXPECT_TRUE(seen.near(colour, kColourTolerance)) << seen << " expected " << colour;
  const auto whole = probe.readsToEnd(file);
  EXPECT_TRUE(whole.ok) << whole.describe();
}

TEST(HarnessNginxRtmp, RecordsWhatGstLaunchPublishes) {
  TempDir dir("nginx-rtmp");
  NginxRtmp nginx(dir);
  ASSERT_NO_THROW(nginx.waitReady());
  const auto publisher =
      runToEnd(testPublisherCommand(nginx.rtmpUrl("selftest"), {.pattern = "red", .seconds = 7}),
               dir, std::chrono::seconds(30));
  ASSERT_TRUE(publisher.ok()) << publisher.describe();
  ASSERT_TRUE(nginx.waitForPublishEnd("selftest", std::chrono::seconds(10))) << nginx.logs();
  ASSERT_TRUE(fs::exists(nginx.recordedFile("selftest"))) << nginx.logs();
  expectRecordedTestStream(MediaProbe(dir), nginx.recordedFile("selftest"), kRed);
}

TEST(HarnessNginxRtmp, TlsFrontCarriesRtmpsWithItsSelfSignedCertificate) {
  TempDir dir("nginx-rtmps");
  NginxRtmp nginx(dir, {.tls = true});
  ASSERT_NO_THROW(nginx.waitReady());

  // Without relaxing validation the self-signed certificate is refused: TLS is really there.
  const auto refused =
      runToEnd(testPublisherCommand(nginx.rtmpsUrl("refused"), {.pattern = "blue", .seconds = 1}),
               dir, std::chrono::seconds(30));
  EXPECT_FALSE(nginx.published("refused")) << refused.describe();

  const auto publisher =
      runToEnd(testPublisherCommand(nginx.rtmpsUrl("selftest"),
                                    {.pattern = "blue", .seconds = 7, .tlsValidation = false}),
               dir, std::chrono::seconds(30));
  ASSERT_TRUE(publisher.ok()) << publisher.describe();
  ASSERT_TRUE(nginx.waitForPublishEnd("selftest", std::chrono::seconds(10))) << nginx.logs();
  expectRecordedTestStream(MediaProbe(dir), nginx.recordedFile("selftest"), kBlue);
}

// Files made by ffmpeg's own generators, so the probe's answers are known exactly.
class HarnessMediaProbe : public ::testing::Test {
 protected:
  fs::path make(const std::string& name, const std::string& graph) {
    const auto file = dir_ / name;
    std::vector<std::string> argv = {
        "ffmpeg",  "-nostdin",  "-v", "error", "-filter_complex", graph, "-c:v", "libx264",
        "-preset", "ultrafast", "-g", "30",    file.string()};
    const auto made = runToEnd(argv, dir_, std::chrono::seconds(30));
    EXPECT_TRUE(made.ok()) << made.describe();
    return file;
  }
  TempDir dir_{"mediaprobe"};
  MediaProbe probe_{dir_.path()};
};

TEST_F(HarnessMediaProbe, GridTellsPictureInPictureFromFullScreen) {
  // A white programme with a red inset of a quarter size, 40 px from the bottom-right corner.
  const auto file = make("pip.mkv",
                         "color=c=white:s=1280x720:r=30:d=2[m];color=c=red:s=320x180:r=30:d=2[i];"
                         "[m][i]overlay=920:500");
  const auto grid = probe_.colourGridAt(file, 1.0, 8);
  EXPECT_TRUE(grid.at(1, 1).near(kWhite, kColourTolerance)) << grid.str();
  EXPECT_TRUE(grid.at(3, 3).near(kWhite, kColourTolerance)) << grid.str();
  EXPECT_TRUE(grid.at(6, 6).near(kRed, kColourTolerance)) << grid.str();
  // The whole-picture average is neither: mostly white, pulled towards red.
  const auto average = probe_.averageColourAt(file, 1.0);
  EXPECT_FALSE(average.near(kWhite, 10)) << average;
  EXPECT_GT(average.r, 240) << average;
  EXPECT_NEAR(average.g, 255.0 * (1 - 320.0 * 180 / (1280.0 * 720)), 12) << average;
}

TEST_F(HarnessMediaProbe, TrackFindsTheFrameWhereThePictureChanges) {
  const auto file = make("cut.mkv",
                         "color=c=red:s=640x360:r=30:d=1[a];color=c=blue:s=640x360:r=30:d=1[b];"
                         "[a][b]concat=n=2:v=1:a=0");
  const auto track = probe_.colourTrack(file, 2);
  ASSERT_EQ(track.size(), 60u);
  double firstBlue = -1;
  for (const auto& frame : track)
    if (firstBlue < 0 && frame.grid.average().near(kBlue, kColourTolerance)) firstBlue = frame.time;
  EXPECT_NEAR(firstBlue, 1.0, 0.001);
  EXPECT_TRUE(track.front().grid.average().near(kRed, kColourTolerance));

  const auto keyframes = probe_.keyframeTimes(file);
  EXPECT_EQ(listOf(keyframes, 1), "0.0 1.0");
  const auto info = probe_.probe(file);
  EXPECT_EQ(info.width, 640);
  EXPECT_NEAR(info.duration, 2.0, 0.05);
}

TEST_F(HarnessMediaProbe, TruncatedRecordingDoesNotReadToEnd) {
  // testsrc2 moves, so every frame costs bytes and half the file is about half the time.
  const auto whole = make("whole.mkv", "testsrc2=s=640x360:r=30:d=4");
  const auto check = probe_.readsToEnd(whole);
  EXPECT_TRUE(check.ok) << check.describe();
  EXPECT_NEAR(check.decodedSeconds, 4.0, 0.1);

  const auto bytes = readText(whole);
  const auto cut = dir_ / "cut.mkv";
  writeText(cut, bytes.substr(0, bytes.size() / 2));
  const auto broken = probe_.readsToEnd(cut);
  EXPECT_FALSE(broken.ok) << broken.describe();
  EXPECT_LT(broken.decodedSeconds, 3.0) << broken.describe();
}

}  // namespace
}  // namespace ceremony::testing
