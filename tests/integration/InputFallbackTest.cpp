// The programme never stops for a lost input: the hall feed arrives over SRT from a real
// sender (gst-launch-1.0); when it stops, the hall's "Mất tín hiệu" card takes its place
// within 500 ms (measured on the output's own timestamps), the hall is back within 1 s of
// the sender's return, and the RTMP output never disconnects. A clip that is not media
// shows its item's title card, raises an alert, and the run-of-show goes on.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

double change(const ColourGrid& a, const ColourGrid& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.cells.size(); ++i)
    worst =
        std::max({worst, std::abs(a.cells[i].r - b.cells[i].r),
                  std::abs(a.cells[i].g - b.cells[i].g), std::abs(a.cells[i].b - b.cells[i].b)});
  return worst;
}

std::string hallConfig(int srtPort, const std::string& clipFile) {
  return R"([event]
title = "Thử mất tín hiệu"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[programme]
width = 1280
height = 720
fps = 30

[sources.hoi_truong]
kind = "uri"
uri = "srt://127.0.0.1:)" +
         std::to_string(srtPort) + R"(?mode=listener"
label = "Camera hội trường"

[scenes.hoi_truong]
kind = "source"
source = "hoi_truong"

[scenes.phim]
kind = "clip"
file = ")" +
         clipFile +
         R"("

[outputs.ghi]
kind = "record"
directory = "rec"

[[timeline]]
id = "phim-hong"
title = "Phim tư liệu 80 năm"
start = "09:00"
duration = "4s"
scene = "phim"

[[timeline]]
id = "truc-tiep"
title = "Trực tiếp hội trường"
duration = "600s"
scene = "hoi_truong"
)";
}

// A hall camera's encoder: scrolling SMPTE bars (every frame differs), H.264 in MPEG-TS over
// SRT as a caller, 7 TS packets per SRT message (live SRT's payload size).
std::vector<std::string> senderArgs(int srtPort) {
  return {"gst-launch-1.0",
          "-e",
          "videotestsrc",
          "is-live=true",
          "pattern=smpte",
          "horizontal-speed=20",
          "!",
          "video/x-raw,width=640,height=360,framerate=30/1",
          "!",
          "x264enc",
          "tune=zerolatency",
          "speed-preset=ultrafast",
          "key-int-max=15",
          "!",
          "h264parse",
          "config-interval=-1",
          "!",
          "mpegtsmux",
          "name=m",
          "alignment=7",
          "!",
          "srtsink",
          "uri=srt://127.0.0.1:" + std::to_string(srtPort) + "?mode=caller",
          "audiotestsrc",
          "is-live=true",
          "!",
          "audioconvert",
          "!",
          "avenc_aac",
          "!",
          "aacparse",
          "!",
          "m."};
}

TEST(InputFallback, ALostHallFeedShowsItsCardWithinHalfASecondAndComesBackWithinOne) {
  TempDir dir("input-fallback");
  NginxRtmp nginx(dir.path());
  nginx.waitReady();
  // Not media at all: it exists (the config check passes) but cannot be decoded.
  writeText(dir.path() / "phim.mp4", std::string(200000, 'x'));
  const auto ports = freePorts(2);
  writeText(dir.path() / "hall.toml", hallConfig(ports[1], (dir.path() / "phim.mp4").string()));
  const std::string api = "http://127.0.0.1:" + std::to_string(ports[0]);
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir.path() / "hall.toml").string(), "--rehearsal=1",
       "--listen", "127.0.0.1:" + std::to_string(ports[0]), "--rtmp", nginx.rtmpUrl("hall")},
      {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 40) + nginx.logs(); };
  auto hall = [&] {
    const json st = json::parse(httpCall("GET", api + "/api/status").body, nullptr, false);
    if (st.is_object() && st.contains("inputs"))
      for (const auto& in : st["inputs"])
        if (in.value("id", "") == "hoi_truong") return in;
    return json::object();
  };
  auto eventsText = [&] { return httpCall("GET", api + "/api/events").body; };
  ASSERT_TRUE(nginx.waitForPublish("hall", 15s)) << context();

  // The broken clip: an alert, and the run-of-show goes on to the hall at its planned time.
  auto current = [&] {
    const json st = json::parse(httpCall("GET", api + "/api/status").body, nullptr, false);
    return st.is_object() && st["current"].is_object() ? st["current"].value("id", "") : "";
  };
  const auto until = Clock::now() + 15s;
  while (Clock::now() < until && current() != "truc-tiep") std::this_thread::sleep_for(50ms);
  ASSERT_EQ(current(), "truc-tiep") << context();
  const std::string events = eventsText();
  EXPECT_NE(events.find("Không phát được clip của mục «Phim tư liệu 80 năm»"), std::string::npos)
      << events << context();

  // The hall feed comes, plays, stops (the encoder is switched off) and comes back.
  auto waitFor = [&](const std::string& state, std::chrono::milliseconds within) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      if (hall().value("state", "") == state) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  auto sender =
      std::make_unique<Process>(senderArgs(ports[1]), ProcessOptions(dir.path() / "sender-1.log"));
  ASSERT_TRUE(waitFor("running", 20s)) << hall() << context() << sender->log();
  std::this_thread::sleep_for(3s);
  sender->signal(SIGINT);
  ASSERT_TRUE(waitFor("retrying", 3s)) << hall() << context();
  sender->waitFor(5s);
  std::this_thread::sleep_for(3s);

  auto again =
      std::make_unique<Process>(senderArgs(ports[1]), ProcessOptions(dir.path() / "sender-2.log"));
  const auto resumed = Clock::now();
  ASSERT_TRUE(waitFor("running", 5s)) << hall() << context() << again->log();
  const auto back = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - resumed);
  std::cout << "[ measured ] sender started → hall on air again: " << back.count()
            << " ms (includes the sender's own start-up)\n";
  EXPECT_LT(back, 1000ms) << context();
  std::this_thread::sleep_for(3s);
  const json h = hall();
  EXPECT_EQ(h.value("losses", 0), 2) << h;  // no feed before the first sender, then its stop
  EXPECT_GE(h.value("restarts", 0), 1) << h;
  const std::string metrics = httpCall("GET", api + "/metrics").body;
  EXPECT_NE(metrics.find("ceremonyd_input_up{input=\"hoi_truong\"} 1"), std::string::npos)
      << metrics;
  // A sender that dies without a word (the line goes quiet): its card after signal_timeout,
  // and a new sender gets through at once (the dead connection is not waited out).
  again->signal(SIGKILL);
  again->waitFor(5s);
  EXPECT_TRUE(waitFor("stalled", 2s)) << hall() << context();
  std::this_thread::sleep_for(2500ms);
  auto third =
      std::make_unique<Process>(senderArgs(ports[1]), ProcessOptions(dir.path() / "sender-3.log"));
  const auto restarted = Clock::now();
  ASSERT_TRUE(waitFor("running", 5s)) << hall() << context() << third->log();
  const auto backAfterKill =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted);
  std::cout << "[ measured ] after a killed sender, a new one on air again: "
            << backAfterKill.count() << " ms\n";
  EXPECT_LT(backAfterKill, 1000ms) << context();
  std::this_thread::sleep_for(2s);
  third->signal(SIGINT);
  third->waitFor(5s);
  EXPECT_EQ(nginx.publishes("hall"), 1u) << "the output reconnected: " << context();
  EXPECT_EQ(daemon.stop(10s), 0) << context();

  // What viewers saw, from the recording's own timestamps.
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const MediaProbe probe(dir.path());
  const auto track = probe.colourTrack(files[0]);
  ASSERT_GT(track.size(), 300u);
  // The broken clip's item showed the card, not black.
  std::size_t clipCardFrames = 0;
  for (const auto& f : track)
    if (f.time > 2.5 && f.time < 5.5 && isStandInCard(f.grid)) ++clipCardFrames;
  EXPECT_GT(clipCardFrames, 60u) << "the broken clip's item did not show its card";
  // The stop: the last frame of the moving hall picture, then (frozen copies of it, then)
  // the card. The first hall stretch follows the cards of the clip and of the hall's wait
  // for its first sender.
  std::size_t firstHall = 0;
  while (firstHall < track.size() && !isStandInCard(track[firstHall].grid)) ++firstHall;
  while (firstHall < track.size() && isStandInCard(track[firstHall].grid)) ++firstHall;
  std::size_t card = firstHall;
  while (card < track.size() && !isStandInCard(track[card].grid)) ++card;
  ASSERT_LT(card, track.size()) << "the card never showed after the hall";
  std::size_t lastMoving = card - 1;
  while (lastMoving > firstHall && change(track[lastMoving - 1].grid, track[lastMoving].grid) < 6)
    --lastMoving;
  const double toCard = track[card].time - track[lastMoving].time;
  std::cout << "[ measured ] last moving hall frame → card on the output: "
            << std::lround(toCard * 1000) << " ms\n";
  EXPECT_LE(toCard, 0.5);
  // And the hall came back after the card.
  std::size_t after = card;
  while (after < track.size() && isStandInCard(track[after].grid)) ++after;
  EXPECT_LT(after + 30, track.size()) << "the hall did not come back on the recording";
  // The programme itself never paused through the losses and returns (from 1 s on: its
  // first frames, while every pipeline starts, once came 100 ms apart).
  std::vector<double> times;
  for (const auto& f : track) times.push_back(f.time);
  const double worst = largestGap(times, 1.0);
  EXPECT_LT(worst, 0.1) << "the recording has a gap of " << worst << " s";
}

// The film is there when the daemon starts (the config check wants it) and gone when its
// item comes: the item's title card instead of black, an alert, and the next item on time.
TEST(InputFallback, AClipFileGoneBeforeItsItemShowsTheTitleCardAndTheShowGoesOn) {
  TempDir dir("clip-gone");
  writeText(dir.path() / "phim.mp4", std::string(1000, 'x'));
  writeText(dir.path() / "show.toml", R"([event]
title = "Thử mất phim"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[sources.xanh]
kind = "test"
pattern = "green"

[scenes.xanh]
kind = "source"
source = "xanh"

[scenes.phim]
kind = "clip"
file = "phim.mp4"

[outputs.ghi]
kind = "record"
directory = "rec"

[[timeline]]
id = "mo-dau"
title = "Khai mạc"
start = "09:00"
duration = "9s"
scene = "xanh"

[[timeline]]
id = "phim"
title = "Phim tư liệu 80 năm"
duration = "4s"
scene = "phim"

[[timeline]]
id = "ket"
title = "Bế mạc"
duration = "3s"
scene = "xanh"
)");
  const int port = freePort();
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  Process daemon({CEREMONYD_BINARY, "--config", (dir.path() / "show.toml").string(),
                  "--rehearsal=1", "--exit-when-done", "--fresh", "--state-dir",
                  (dir.path() / "state").string(), "--listen", "127.0.0.1:" + std::to_string(port)},
                 {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 30); };
  const auto until = Clock::now() + 10s;
  while (Clock::now() < until && httpCall("GET", api + "/api/status").status != 200)
    std::this_thread::sleep_for(50ms);
  fs::remove(dir.path() / "phim.mp4");  // item 2 is prepared 5 s before it, ~6 s from now
  ASSERT_TRUE(daemon.waitFor(40s).has_value()) << context();
  EXPECT_NE(daemon.log().find("Clip của mục «phim» không phát được"), std::string::npos)
      << context();
  EXPECT_NE(daemon.log().find("Mục 3/3 «Bế mạc» bắt đầu"), std::string::npos) << context();

  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const MediaProbe probe(dir.path());
  const auto track = probe.colourTrack(files[0]);
  // Item 1 (green) from ~2 s to ~11 s, item 2 (the card) to ~15 s, item 3 (green) after.
  std::size_t card = 0, green = 0;
  for (const auto& f : track) {
    if (f.time > 11.5 && f.time < 14.5 && isStandInCard(f.grid)) ++card;
    if (f.time > 15.5 && f.grid.at(0, 7).g > 100 && f.grid.at(0, 7).r < 60) ++green;
  }
  EXPECT_GT(card, 60u) << "the item of the missing film did not show its card";
  EXPECT_GT(green, 30u) << "the item after it did not come";
}

// A camera that stays dead (nothing listens on its RTSP port) is retried with backoff for as
// long as it takes, and the alerts say so once, not at every try.
TEST(InputFallback, ACameraThatStaysDeadIsRetriedAndAnnouncedOnce) {
  TempDir dir("input-dead");
  const auto ports = freePorts(2);  // the API's, and the dead camera's: nothing listens there
  writeText(dir.path() / "show.toml", R"([event]
title = "Thử máy quay hỏng"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[sources.may_quay]
kind = "uri"
uri = "rtsp://127.0.0.1:)" + std::to_string(ports[1]) +
                                          R"(/camera"
label = "Máy quay phụ"

[scenes.may_quay]
kind = "source"
source = "may_quay"

[[timeline]]
id = "truc-tiep"
title = "Trực tiếp"
start = "09:00"
duration = "600s"
scene = "may_quay"
)");
  const std::string base = "http://127.0.0.1:" + std::to_string(ports[0]);
  Process daemon({CEREMONYD_BINARY, "--config", (dir.path() / "show.toml").string(),
                  "--rehearsal=1", "--listen", "127.0.0.1:" + std::to_string(ports[0])},
                 {dir.path() / "daemon.log"});
  // Tries 1, 1.5, 2.25 s apart: the third within about 5 s of the first loss.
  json input = json::object();
  for (const auto start = Clock::now(); Clock::now() - start < 20s;) {
    const json status = json::parse(httpCall("GET", base + "/api/status").body, nullptr, false);
    if (status.is_object())
      for (const auto& i : status.value("inputs", json::array()))
        if (i.value("id", "") == "may_quay") input = i;
    if (input.value("restarts", 0) >= 3) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_GE(input.value("restarts", 0), 3) << input << tailOf(daemon.log(), 30);
  EXPECT_EQ(input.value("state", ""), "retrying") << input;
  const json events = json::parse(httpCall("GET", base + "/api/events").body, nullptr, false);
  ASSERT_TRUE(events.is_object());
  std::size_t told = 0;
  for (const auto& e : events.value("events", json::array()))
    if (e.value("kind", "") == "input" && e.value("input", "") == "may_quay") ++told;
  std::cout << "[ measured ] " << input.value("restarts", 0) << " tries, " << told
            << " alert(s) about the camera\n";
  EXPECT_EQ(told, 1u) << events.dump(1);
  EXPECT_EQ(daemon.stop(10s), 0) << tailOf(daemon.log(), 30);
}

}  // namespace
}  // namespace ceremony::testing
