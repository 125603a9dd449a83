// The return path over SRT: a commune's hardware encoder (here ffmpeg: a coloured picture
// with a white ball moving on it and a 1 kHz tone, x264 zerolatency, MPEG-TS) calls the
// bridge's publish port with streamid #!::r=nghia-hanh,m=publish and the point's token as
// the SRT passphrase. Nghĩa Hành's `point` source is on the programme for the whole run; one
// daemon run answers every question, each asked of the recording's own timestamps:
//   (a) a wrong passphrase and an unknown point are refused (ffmpeg gives up), and their
//       pictures (green, red) never reach the programme;
//   (b) the commune's blue picture is on the programme, and /api/points says the point sends
//       over SRT;
//   (c) a second encoder for the same point (yellow) replaces the first, whose connection
//       the bridge closes;
//   (d) the encoder killed without a word: the point's card within 1 s of its last moving
//       picture;
//   and the token is nowhere in the daemon's log or in what this test prints.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/BridgeDaemon.h"
#include "support/HttpClient.h"
#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/RandomToken.h"
#include "support/SrtEncoder.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

const Rgb kBlue{0, 0, 255}, kYellow{255, 255, 0}, kGreen{0, 255, 0}, kRed{255, 0, 0};

bool mostly(const ColourGrid& g, const Rgb& colour) {
  int near = 0;
  for (const auto& c : g.cells) near += c.near(colour, 110) ? 1 : 0;
  return near >= static_cast<int>(g.cells.size()) * 3 / 4;
}
double change(const ColourGrid& a, const ColourGrid& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.cells.size(); ++i)
    worst =
        std::max({worst, std::abs(a.cells[i].r - b.cells[i].r),
                  std::abs(a.cells[i].g - b.cells[i].g), std::abs(a.cells[i].b - b.cells[i].b)});
  return worst;
}

std::string config(int publishPort) {
  return smallProgrammeToml("Kiểm thử điểm cầu gửi hình qua SRT") + R"(
[sources.nghia_hanh]
kind = "point"
point = "nghia-hanh"

[scenes.nghia_hanh]
kind = "source"
source = "nghia_hanh"

[outputs.ghi]
kind = "record"
directory = "rec"

[bridge]
max_viewers = 3
address = "127.0.0.1"
srt_latency_ms = 120
srt_publish_port = )" +
         std::to_string(publishPort) + "\n" +
         bridgePointToml("nghia-hanh", "Xã Nghĩa Hành", "0900 000 101") +
         bridgePointToml("ba-to", "Xã Ba Tơ", "0900 000 102") + R"(
[[timeline]]
id = "nghia-hanh"
title = "Xã Nghĩa Hành phát biểu"
start = "09:00"
duration = "10m"
scene = "nghia_hanh"
)";
}

TEST(SrtPublishTest, AnEncoderPublishesItsPointsPictureOverSrt) {
  TempDir dir("srt-publish");
  NginxRtmp nginx(dir.path(), {});
  nginx.waitReady();
  const std::string nghiaHanh = randomToken(), baTo = randomToken(), wrong = randomToken();
  const std::vector<std::string> secrets{nghiaHanh, baTo, wrong};
  writeText(dir / "nghia-hanh.token", nghiaHanh + "\n");
  writeText(dir / "ba-to.token", baTo + "\n");
  const std::string operatorToken = randomToken();
  writeText(dir / "operator.token", operatorToken + "\n");
  const auto ports = freePorts(2);
  const int port = ports[0], publishPort = ports[1];
  writeText(dir / "ceremony.toml", config(publishPort));
  std::string whyNot;
  auto started = startBridgeDaemon(dir.path(), "127.0.0.1", port, nginx, "srt", &whyNot);
  Process& daemon = *started;
  auto context = [&] { return tailOf(daemon.log(), 40); };
  ASSERT_EQ(whyNot, "");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const OperatorApi ops{base, operatorToken};
  auto inputState = [&](const std::string& id) { return ops.inputState(id); };
  auto returnOf = [&](const std::string& point) { return ops.returnOf(point); };
  auto waitState = [&](const std::string& state, std::chrono::milliseconds limit) {
    return ops.waitState("nghia_hanh", state, limit);
  };
  auto waitSession = [&](const std::string& notThis, auto limit) {
    const auto until = Steady::now() + limit;
    for (;;) {
      const json r = returnOf("nghia-hanh");
      const std::string s = r.is_object() ? r.value("session", "") : "";
      if ((!s.empty() && s != notThis) || Steady::now() > until) return r;
      std::this_thread::sleep_for(20ms);
    }
  };

  // --- (a) refused: a wrong passphrase, an unknown point ----------------------------------
  {
    SrtEncoder wrongToken(dir.path(), "wrong-token", publishPort, "nghia-hanh", wrong, "0x00ff00");
    SrtEncoder unknown(dir.path(), "unknown-point", publishPort, "xa-khong-co", nghiaHanh,
                       "0xff0000");
    const auto a = wrongToken.process().waitFor(10s), b = unknown.process().waitFor(10s);
    ASSERT_TRUE(a.has_value()) << "ffmpeg with a wrong passphrase was not refused";
    ASSERT_TRUE(b.has_value()) << "ffmpeg for an unknown point was not refused";
    EXPECT_NE(*a, 0) << wrongToken.output(secrets);
    EXPECT_NE(*b, 0) << unknown.output(secrets);
    EXPECT_TRUE(returnOf("nghia-hanh").is_null()) << returnOf("nghia-hanh");
    EXPECT_NE(inputState("nghia_hanh"), "running");
  }

  // --- (b) the commune's encoder publishes ---------------------------------------------------
  const auto blueStart = Steady::now();
  SrtEncoder blue(dir.path(), "blue", publishPort, "nghia-hanh", nghiaHanh, "0x0000ff");
  const json first = waitSession("", 10s);
  ASSERT_TRUE(first.is_object()) << blue.output(secrets) << context();
  EXPECT_EQ(first.value("transport", ""), "srt") << first;
  EXPECT_EQ(first.value("peer", ""), "127.0.0.1") << first;
  EXPECT_EQ(waitState("running", 8s), "running") << blue.output(secrets) << context();
  std::cout
      << "[ measured ] ffmpeg started → the point's input running: "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - blueStart).count()
      << " ms\n";
  std::this_thread::sleep_for(3000ms);
  const json stats = returnOf("nghia-hanh");
  EXPECT_TRUE(stats.value("connected", false)) << stats;
  EXPECT_GT(stats.value("bytes_received", 0), 20000) << stats;

  // --- (c) a second encoder replaces the first -------------------------------------------
  SrtEncoder yellow(dir.path(), "yellow", publishPort, "nghia-hanh", nghiaHanh, "0xffff00");
  const json second = waitSession(first.value("session", ""), 10s);
  ASSERT_NE(second.value("session", ""), first.value("session", "")) << context();
  EXPECT_EQ(second.value("transport", ""), "srt");
  const auto blueExit = blue.process().waitFor(8s);
  EXPECT_TRUE(blueExit.has_value()) << "the replaced encoder's connection stayed open";
  EXPECT_EQ(waitState("running", 5s), "running") << context();
  std::this_thread::sleep_for(2500ms);

  // --- (d) the encoder dies without a word -----------------------------------------------
  const auto killedAt = Steady::now();
  yellow.process().signal(SIGKILL);
  EXPECT_EQ(waitState("stalled", 3s), "stalled") << context();
  std::cout
      << "[ measured ] ffmpeg killed → the point's input stalled (API): "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - killedAt).count()
      << " ms\n";
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  const std::string log = daemon.log();
  for (const auto& token : secrets)
    EXPECT_EQ(log.find(token), std::string::npos) << "a token was logged";
  EXPECT_NE(log.find("xa-khong-co"), std::string::npos) << "the unknown point's refusal";

  // --- what viewers saw, on the recording's own timestamps --------------------------------
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const auto track = MediaProbe(dir.path()).colourTrack(files[0]);
  ASSERT_GT(track.size(), 150u);  // about 8 s at 25 fps
  const auto n = track.size();
  auto find = [&](std::size_t from, const Rgb& colour) {
    while (from < n && !mostly(track[from].grid, colour)) ++from;
    return from;
  };
  EXPECT_EQ(find(0, kGreen), n) << "the wrong passphrase's picture reached the programme";
  EXPECT_EQ(find(0, kRed), n) << "the unknown point's picture reached the programme";
  const std::size_t firstBlue = find(0, kBlue);
  ASSERT_LT(firstBlue, n) << "the commune's blue picture never showed";
  std::size_t lastBlue = firstBlue;
  while (lastBlue + 1 < n && mostly(track[lastBlue + 1].grid, kBlue)) ++lastBlue;
  std::cout << "[ measured ] the first encoder on the programme for "
            << track[lastBlue].time - track[firstBlue].time << " s\n";
  EXPECT_GT(track[lastBlue].time - track[firstBlue].time, 1.2);
  const std::size_t firstYellow = find(lastBlue, kYellow);
  ASSERT_LT(firstYellow, n) << "the second encoder's picture never showed";
  EXPECT_EQ(find(firstYellow, kBlue), n) << "the replaced encoder came back";
  std::size_t lastYellow = firstYellow;
  while (lastYellow + 1 < n && mostly(track[lastYellow + 1].grid, kYellow)) ++lastYellow;
  EXPECT_GT(track[lastYellow].time - track[firstYellow].time, 1.5);
  std::size_t card = lastYellow + 1;
  while (card < n && !isStandInCard(track[card].grid)) ++card;
  ASSERT_LT(card, n) << "no card after the encoder died";
  std::size_t lastMoving = lastYellow;
  while (lastMoving > firstYellow && change(track[lastMoving - 1].grid, track[lastMoving].grid) < 4)
    --lastMoving;
  const double toCard = track[card].time - track[lastMoving].time;
  std::cout << "[ measured ] the encoder's last moving picture → the point's card "
            << std::lround(toCard * 1000) << " ms\n";
  EXPECT_LE(toCard, 1.0);
  std::vector<double> times;
  for (const auto& f : track) times.push_back(f.time);
  EXPECT_LT(largestGap(times, 1.0), 0.1) << "the programme paused";
}

}  // namespace
}  // namespace ceremony::testing
