// End to end: ceremonyd runs a five-item rehearsal (tests/integration/data/programme.toml)
// and the programme is checked where a viewer would get it: the stream nginx-rtmp received
// (RTMP, and RTMPS through a TLS front) and the local recording. Format and cadence follow
// Facebook Live's ingest rules; each scene must be on air at its planned time.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

const fs::path kData = fs::path(CEREMONYD_SOURCE_DIR) / "tests/integration/data";

// ---- What each scene of programme.toml looks like on an 8×8 grid of average colours ----

const Rgb kGreen{0, 255, 0}, kMagenta = Rgb::hex("#c000c0"), kBlue{0, 0, 255},
                             kWhite{255, 255, 255}, kRed{255, 0, 0}, kPreShow = Rgb::hex("#102a54");
// Generous for YUV 4:2:0 round trips and x264 at 3.5 Mbit/s, yet far below the distance
// between any two scene colours (≥ 130), so a wrong scene cannot pass.
constexpr double kTolerance = 60;

bool plain(const ColourGrid& g, int c0, int r0, int c1, int r1, const Rgb& colour) {
  for (int r = r0; r < r1; ++r)
    for (int c = c0; c < c1; ++c)
      if (!g.at(c, r).near(colour, kTolerance)) return false;
  return true;
}
int plainCorners(const ColourGrid& g, const Rgb& colour) {
  int n = 0;
  for (auto [c, r] : {std::pair{0, 0}, {7, 0}, {0, 7}, {7, 7}})
    n += g.at(c, r).near(colour, kTolerance);
  return n;
}
// Full screen: the upper five rows all one colour (a lower third may cover the bottom).
bool fullScreen(const ColourGrid& g, const Rgb& colour) {
  return plain(g, 0, 0, 8, 5, colour);
}

// The scene on screen, by name ("xanh_la", "tieu_de", "phim", "hai_hinh", "do", "pre-show"),
// or "?" when the picture is none of them (a black frame, a mix, a wrong layout).
std::string sceneOf(const ColourGrid& g) {
  // Inset: a third of the width, 1/30 margin, bottom right: cells (5..7, 5..6) lie inside it.
  if (plain(g, 0, 0, 8, 4, kWhite) && plain(g, 5, 5, 7, 7, kRed)) return "hai_hinh";
  if (fullScreen(g, kGreen)) return "xanh_la";
  if (fullScreen(g, kBlue)) return "phim";
  if (fullScreen(g, kRed)) return "do";
  // Slates carry text in the middle: their corners say which one it is.
  if (plainCorners(g, kMagenta) >= 3) return "tieu_de";
  if (plainCorners(g, kPreShow) >= 3) return "pre-show";
  return "?";
}

struct PlannedItem {
  std::string id;
  std::string scene;
  double seconds;
};
const std::vector<PlannedItem> kPlan = {{"mo-dau", "xanh_la", 6},
                                        {"gioi-thieu", "tieu_de", 6},
                                        {"phong-su", "phim", 6},
                                        {"hai-hinh", "hai_hinh", 6},
                                        {"be-mac", "do", 6}};
double plannedSeconds() {
  double total = 0;
  for (const auto& item : kPlan) total += item.seconds;
  return total;
}

// The scenes of a received programme, frame by frame.
struct Timeline {
  std::vector<FrameColours> frames;
  std::vector<std::string> scenes;  // per frame
  double firstFrame = 0;
  std::optional<double> onset;  // first frame of item 1's scene

  static Timeline of(const MediaProbe& probe, const fs::path& file) {
    Timeline t;
    t.frames = probe.colourTrack(file, 8);
    for (const auto& f : t.frames) t.scenes.push_back(sceneOf(f.grid));
    if (!t.frames.empty()) t.firstFrame = t.frames.front().time;
    for (std::size_t i = 0; i < t.frames.size(); ++i)
      if (t.scenes[i] == kPlan.front().scene) {
        t.onset = t.frames[i].time;
        break;
      }
    return t;
  }
  // Planned start of item k (k = kPlan.size(): the planned end), from item 1's real start.
  double boundary(std::size_t k) const {
    double at = *onset;
    for (std::size_t i = 0; i < k; ++i) at += kPlan[i].seconds;
    return at;
  }
  std::size_t frameAt(double time) const {
    std::size_t best = 0;
    for (std::size_t i = 0; i < frames.size(); ++i)
      if (std::abs(frames[i].time - time) < std::abs(frames[best].time - time)) best = i;
    return best;
  }
  std::string sceneAt(double time) const { return scenes.at(frameAt(time)); }
  // When `scene` first appears at or after `from`.
  std::optional<double> firstFrom(double from, const std::string& scene) const {
    for (std::size_t i = 0; i < frames.size(); ++i)
      if (frames[i].time >= from && scenes[i] == scene) return frames[i].time;
    return std::nullopt;
  }
  // Runs of one scene, "pre-show 0.000–2.133, xanh_la 2.166–…": the failure message.
  std::string summary() const {
    std::string text;
    for (std::size_t i = 0; i < frames.size();) {
      std::size_t j = i;
      while (j + 1 < frames.size() && scenes[j + 1] == scenes[i]) ++j;
      char line[96];
      std::snprintf(line, sizeof line, "%s %.3f–%.3f (%zu frames)\n", scenes[i].c_str(),
                    frames[i].time, frames[j].time, j - i + 1);
      text += line;
      if (scenes[i] == "?") text += frames[i].grid.str();
      i = j + 1;
    }
    return text;
  }
};

// ---- One daemon run against nginx, shared by the tests that examine its outputs ----

struct DaemonRun {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<NginxRtmp> nginx;
  std::optional<int> exitStatus;
  bool exitedByItself = false;
  double wallSeconds = 0;
  std::string log;
  std::string setupError;  // non-empty: the run could not even be made
  std::string stream;      // nginx stream name
};

// Runs ceremonyd on a copy of programme.toml in a fresh directory (its recording goes to
// <dir>/rec), with `extraConfig` appended and `extraArgs` on the command line.
void runDaemon(DaemonRun& run, const std::string& label, bool tls,
               const std::function<std::string(NginxRtmp&)>& extraConfig,
               const std::function<std::vector<std::string>(NginxRtmp&)>& extraArgs) {
  try {
    run.dir = std::make_unique<TempDir>(label);
    const auto& dir = run.dir->path();
    run.nginx = std::make_unique<NginxRtmp>(dir, NginxRtmp::Options{.tls = tls});
    run.nginx->waitReady();
    fs::create_directories(dir / "rec");
    fs::create_directories(dir / "state");
    writeText(dir / "programme.toml",
              readText(kData / "programme.toml") + "\n" + extraConfig(*run.nginx));

    std::vector<std::string> argv = {
        CEREMONYD_BINARY,         "--config",         (dir / "programme.toml").string(),
        "--rehearsal=1",          "--exit-when-done", "--state-dir",
        (dir / "state").string(), "--listen",         "127.0.0.1:0"};
    for (auto& a : extraArgs(*run.nginx)) argv.push_back(a);
    const auto started = std::chrono::steady_clock::now();
    Process daemon(argv, {dir / "ceremonyd.log"});
    // Item 1 ~2 s after start-up, 30 s of items, then time to finalise the outputs.
    run.exitStatus = daemon.waitFor(seconds(int(plannedSeconds()) + 30));
    run.exitedByItself = run.exitStatus.has_value();
    if (!run.exitStatus) run.exitStatus = daemon.stop(seconds(10));
    run.wallSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run.log = daemon.log();
    run.nginx->waitForPublishEnd(run.stream, seconds(10));
  } catch (const std::exception& e) {
    run.setupError = e.what();
  }
}

// Measurements worth seeing when the tests pass too (the numbers of a report).
void note(const std::string& what) {
  std::cout << "[ measured ] " << what << "\n";
}

std::string describe(const DaemonRun& run) {
  return "ceremonyd " +
         (run.exitStatus ? "exit " + std::to_string(*run.exitStatus) : std::string("?")) +
         (run.exitedByItself ? "" : " (had to be stopped)") + " after " +
         std::to_string(run.wallSeconds) + " s; its log ends:\n" + tailOf(run.log, 25) +
         (run.nginx ? "\nnginx:\n" + run.nginx->logs() : "");
}

// The format Facebook Live expects (BRIEF.md), as the viewer's side sees it.
void expectFacebookFormat(const MediaProbe& probe, const fs::path& file) {
  const auto info = probe.probe(file);
  EXPECT_EQ(info.videoCodec, "h264");
  EXPECT_TRUE(info.videoProfile == "Main" || info.videoProfile == "High") << info.videoProfile;
  EXPECT_EQ(info.width, 1280);
  EXPECT_EQ(info.height, 720);
  EXPECT_EQ(info.audioCodec, "aac");
  EXPECT_EQ(info.audioProfile, "LC");
  EXPECT_EQ(info.sampleRate, 48000);
  EXPECT_EQ(info.channels, 2);
}

void expectSmoothVideo(const MediaProbe& probe, const fs::path& file) {
  const auto frames = probe.videoFrameTimes(file);
  ASSERT_GE(frames.size(), 2u);
  const double fps = (frames.size() - 1) / (frames.back() - frames.front());
  EXPECT_NEAR(fps, 30.0, 0.3) << frames.size() << " frames over " << frames.back() - frames.front()
                              << " s";
  const auto gaps = intervals(frames);
  const double longest = *std::max_element(gaps.begin(), gaps.end());
  EXPECT_LT(longest, 0.1) << "the picture froze for " << longest << " s";
  const auto repeated = std::count_if(gaps.begin(), gaps.end(), [](double g) { return g <= 0; });
  EXPECT_EQ(repeated, 0) << "frames with the same or an earlier time than the previous one";
}

class ProgrammeRtmp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    run_ = new DaemonRun;
    run_->stream = "programme";
    runDaemon(
        *run_, "programme-rtmp", false, [](NginxRtmp&) { return std::string(); },
        [](NginxRtmp& nginx) {
          return std::vector<std::string>{"--rtmp", nginx.rtmpUrl("programme")};
        });
  }
  static void TearDownTestSuite() {
    delete run_;
    run_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(run_->setupError.empty()) << run_->setupError;
    probe_ = std::make_unique<MediaProbe>(run_->dir->path());
  }
  void TearDown() override {
    if (HasFailure()) run_->dir->keep();
  }
  fs::path received() const { return run_->nginx->recordedFile("programme"); }
  // The scene analysis is one decode of the stream: done once, shared.
  const Timeline& timeline() {
    if (!timeline_) timeline_ = std::make_unique<Timeline>(Timeline::of(*probe_, received()));
    return *timeline_;
  }

  static DaemonRun* run_;
  static std::unique_ptr<Timeline> timeline_;
  std::unique_ptr<MediaProbe> probe_;
};
DaemonRun* ProgrammeRtmp::run_ = nullptr;
std::unique_ptr<Timeline> ProgrammeRtmp::timeline_;

TEST_F(ProgrammeRtmp, DaemonEndsByItselfAfterTheLastItem) {
  EXPECT_TRUE(run_->exitedByItself) << describe(*run_);
  EXPECT_EQ(run_->exitStatus, 0) << describe(*run_);
  // Start-up (~2 s) + 30 s of items + finalising; much longer means it overstayed.
  EXPECT_LT(run_->wallSeconds, plannedSeconds() + 12) << describe(*run_);
}

TEST_F(ProgrammeRtmp, StreamArrivesInFacebookFormat) {
  ASSERT_TRUE(run_->nginx->published("programme")) << describe(*run_);
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  expectFacebookFormat(*probe_, received());
  expectSmoothVideo(*probe_, received());
}

TEST_F(ProgrammeRtmp, KeyframeEveryTwoSeconds) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto keyframes = probe_->keyframeTimes(received());
  ASSERT_GE(keyframes.size(), 10u) << listOf(keyframes);
  const auto gaps = intervals(keyframes);
  int wrong = 0;
  for (double gap : gaps) wrong += std::abs(gap - 2.0) > 0.034;
  note("keyframe intervals (s): " + listOf(gaps));
  EXPECT_EQ(wrong, 0) << "keyframe intervals (s): " << listOf(gaps)
                      << "\n(an extra keyframe at a scene change means x264's scenecut is on)";
}

TEST_F(ProgrammeRtmp, AudioFlowsThroughout) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto info = probe_->probe(received());
  const auto audio = probe_->audioPacketTimes(received());
  ASSERT_GE(audio.size(), 2u);
  const auto gaps = intervals(audio);
  EXPECT_LT(*std::max_element(gaps.begin(), gaps.end()), 0.1) << "audio stopped";
  EXPECT_NEAR(audio.back() - audio.front(), info.duration, 0.5);
}

TEST_F(ProgrammeRtmp, DurationAsPlanned) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto& t = timeline();
  ASSERT_TRUE(t.onset) << "item 1's scene never appeared:\n" << t.summary();
  // Item 1 comes ~2 s after start-up; the stream then lasts the 30 s of the plan.
  EXPECT_LT(*t.onset - t.firstFrame, 6.0) << t.summary();
  const double end = t.frames.back().time;
  note("first frame " + std::to_string(t.firstFrame) + " s, item 1 on air " +
       std::to_string(*t.onset) + " s, last frame " + std::to_string(end) + " s, planned end " +
       std::to_string(t.boundary(kPlan.size())) + " s");
  EXPECT_NEAR(end, t.boundary(kPlan.size()), 1.0)
      << "the stream should end when the last item does\n"
      << t.summary();
  EXPECT_NEAR(probe_->probe(received()).duration, t.boundary(kPlan.size()) - t.firstFrame, 1.0);
}

TEST_F(ProgrammeRtmp, EachSceneOnAirAtItsPlannedTime) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto& t = timeline();
  ASSERT_TRUE(t.onset) << "item 1's scene never appeared:\n" << t.summary();
  for (std::size_t k = 0; k < kPlan.size(); ++k) {
    const auto& item = kPlan[k];
    const double start = t.boundary(k), end = t.boundary(k + 1);
    for (auto [what, at] : {std::pair{"just after its start", start + 0.3},
                            std::pair{"in the middle", (start + end) / 2},
                            std::pair{"just before its end", end - 0.3}}) {
      const auto i = t.frameAt(at);
      EXPECT_EQ(t.scenes[i], item.scene)
          << "item " << item.id << " " << what << " (" << at << " s):\n"
          << t.frames[i].grid.str() << "scenes seen:\n"
          << t.summary();
    }
  }
}

TEST_F(ProgrammeRtmp, SceneChangesWithinAFrameOrTwoOfThePlan) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto& t = timeline();
  ASSERT_TRUE(t.onset) << "item 1's scene never appeared:\n" << t.summary();
  std::string measured;
  double worst = 0;
  for (std::size_t k = 1; k < kPlan.size(); ++k) {
    const auto at = t.firstFrom(t.boundary(k) - 1.0, kPlan[k].scene);
    ASSERT_TRUE(at) << kPlan[k].id << " never came on air\n" << t.summary();
    const double late = *at - t.boundary(k);
    measured += kPlan[k].id + " " + std::to_string(int(std::lround(late * 1000))) + " ms; ";
    worst = std::max(worst, std::abs(late));
  }
  note("take vs plan: " + measured);
  // Frame-accurate takes: 2 frames (67 ms) allows for FLV's millisecond timestamps.
  EXPECT_LE(worst, 0.067) << "take vs plan (item 1's real start + durations): " << measured << "\n"
                          << t.summary();
}

// Viewers who join early see the "starting soon" card, not black or a test pattern. The first
// half second is left to the slate's start-up.
TEST_F(ProgrammeRtmp, PreShowCardUntilTheFirstItem) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto& t = timeline();
  ASSERT_TRUE(t.onset) << t.summary();
  int before = 0, other = 0, leading = 0;
  bool startingUp = true;
  for (std::size_t i = 0; i < t.frames.size() && t.frames[i].time < *t.onset; ++i) {
    ++before;
    startingUp = startingUp && t.scenes[i] != "pre-show";
    leading += startingUp;
    other += t.frames[i].time >= t.firstFrame + 0.5 && t.scenes[i] != "pre-show";
  }
  note(std::to_string(before) + " frames before item 1, the first " + std::to_string(leading) +
       " not yet the pre-show card");
  EXPECT_GT(before, 0);
  EXPECT_EQ(other, 0) << t.summary();
}

TEST_F(ProgrammeRtmp, LowerThirdShowsOnlyWithItsItem) {
  ASSERT_TRUE(fs::exists(received())) << describe(*run_);
  const auto& t = timeline();
  ASSERT_TRUE(t.onset) << t.summary();
  // Item 1 carries a name and role: the bottom-left quarter is no longer plain green.
  const auto& withLowerThird = t.frames[t.frameAt((t.boundary(0) + t.boundary(1)) / 2)].grid;
  EXPECT_FALSE(plain(withLowerThird, 0, 5, 4, 8, kGreen)) << "no lower third on item 1:\n"
                                                          << withLowerThird.str();
  // Item 5 has none: the whole picture is plain red.
  const auto& without = t.frames[t.frameAt((t.boundary(4) + t.boundary(5)) / 2)].grid;
  EXPECT_TRUE(plain(without, 0, 0, 8, 8, kRed)) << "item 5 is not plain:\n" << without.str();
}

// The local recording of the same run: a whole, playable file of the programme.
TEST_F(ProgrammeRtmp, RecordingReadsToTheEndWithThePlannedDuration) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(run_->dir->path() / "rec"))
    if (entry.is_regular_file() && entry.file_size() > 0) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u) << "expected one recording in rec/\n" << describe(*run_);
  const auto& file = files.front();
  const auto check = probe_->readsToEnd(file);
  EXPECT_TRUE(check.ok) << file << ": " << check.describe();
  note("recording " + file.filename().string() + ": " + check.describe());
  expectFacebookFormat(*probe_, file);

  const auto t = Timeline::of(*probe_, file);
  ASSERT_TRUE(t.onset) << "item 1's scene is not in the recording:\n" << t.summary();
  EXPECT_NEAR(t.frames.back().time, t.boundary(kPlan.size()), 1.0) << t.summary();
  EXPECT_EQ(t.sceneAt(t.boundary(4) + 3), "do") << t.summary();
}

// RTMPS, as Facebook's ingest takes it: through nginx's TLS front with a certificate made at
// test time, so the output must be told not to validate it (tls_validation = false). As for
// Facebook, the URL has no stream name and the key comes from a file; nginx records the stream
// under the key's name, and the key must not show up in the daemon's log.
TEST(ProgrammeRtmps, StreamArrivesThroughTheTlsFront) {
  const std::string key = "khoa-bi-mat-7f3a9c";
  DaemonRun run;
  run.stream = key;
  runDaemon(
      run, "programme-rtmps", true,
      [&](NginxRtmp& nginx) {
        const auto keyFile = run.dir->path() / "front.key";
        writeText(keyFile, key + "\n");
        fs::permissions(keyFile, fs::perms::owner_read | fs::perms::owner_write);
        const auto url = nginx.rtmpsUrl("");
        return "[outputs.tls_front]\nkind = \"rtmp\"\nurl = \"" + url + "\"\nkey_file = \"" +
               keyFile.string() + "\"\ntls_validation = false\n";
      },
      [](NginxRtmp&) { return std::vector<std::string>{}; });
  ASSERT_TRUE(run.setupError.empty()) << run.setupError;
  const MediaProbe probe(run.dir->path());
  const auto file = run.nginx->recordedFile(key);
  EXPECT_EQ(run.exitStatus, 0) << describe(run);
  EXPECT_EQ(run.log.find(key), std::string::npos) << "the stream key is in the log:\n" << run.log;
  ASSERT_TRUE(run.nginx->published(key)) << describe(run);
  ASSERT_TRUE(fs::exists(file)) << describe(run);
  expectFacebookFormat(probe, file);
  const auto keyframes = probe.keyframeTimes(file);
  for (double gap : intervals(keyframes)) EXPECT_NEAR(gap, 2.0, 0.034) << listOf(keyframes);

  const auto t = Timeline::of(probe, file);
  ASSERT_TRUE(t.onset) << t.summary();
  for (std::size_t k = 0; k < kPlan.size(); ++k)
    EXPECT_EQ(t.sceneAt((t.boundary(k) + t.boundary(k + 1)) / 2), kPlan[k].scene) << t.summary();
  EXPECT_NEAR(t.frames.back().time, t.boundary(kPlan.size()), 1.0) << t.summary();
}

// ---- ceremonyd --check: the test programme is valid; broken files are pointed at ----

RunResult check(const fs::path& config, const TempDir& dir) {
  return runToEnd({CEREMONYD_BINARY, "--check", "--config", config.string()}, dir,
                  std::chrono::seconds(20));
}

TEST(ProgrammeCheck, TestProgrammeIsValid) {
  TempDir dir("check");
  fs::create_directories(dir / "rec");
  writeText(dir / "programme.toml", readText(kData / "programme.toml"));
  const auto result = check(dir / "programme.toml", dir);
  EXPECT_EQ(result.exitStatus, 0) << result.describe();
}

TEST(ProgrammeCheck, SyntaxErrorNamesFileLineAndColumn) {
  TempDir dir("check");
  const auto result = check(kData / "bad-syntax.toml", dir);
  ASSERT_TRUE(result.exitStatus) << result.describe();
  EXPECT_TRUE(*result.exitStatus == 1 || *result.exitStatus == 2) << result.describe();
  // Line 7 is `height = 720 720`: the second 720 is the mistake.
  EXPECT_NE((result.out + result.err).find("bad-syntax.toml:7:14"), std::string::npos)
      << result.describe();
}

TEST(ProgrammeCheck, UnknownSceneNamesItsLine) {
  TempDir dir("check");
  const auto result = check(kData / "bad-scene.toml", dir);
  EXPECT_EQ(result.exitStatus, 1) << result.describe();
  const auto said = result.out + result.err;
  EXPECT_NE(said.find("bad-scene.toml:18:"), std::string::npos) << result.describe();
  EXPECT_NE(said.find("hal"), std::string::npos) << result.describe();
}

}  // namespace
}  // namespace ceremony::testing
