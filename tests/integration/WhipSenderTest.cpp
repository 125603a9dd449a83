// The return path with WHIP clients that are not browsers: tests/tools/whip_sender, as a
// commune's hardware encoder or OBS sends its camera (webrtcbin, x264, Opus; a picture of
// one colour with a ball moving on it). Two communes are side by side on the programme, and
// one daemon run answers every question, each asked of the recording's own timestamps:
//   (a) each commune's colour in its own half, at the same time;
//   (b) a second encoder for the same point replaces the first: the first's session is ended
//       (its DELETE finds nothing, and does not end the new one), and the new picture
//       follows within 2 s;
//   (c) an encoder with a wrong token is refused (it exits non-zero with a sentence), and
//       the programme does not notice;
//   (d) an encoder killed without a word (no DELETE): its card within 1 s of its last
//       picture (the point's signal timeout is 700 ms).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

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
#include "support/TempDir.h"
#include "support/WhipSender.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

const Rgb kRed{255, 0, 0}, kBlue{0, 0, 255}, kYellow{255, 255, 0};

// side_by_side on a 16×16 grid: two 16:9 halves, rows 4–11; left columns 0–7, right 8–15.
int firstColumn(bool left) {
  return left ? 0 : 8;
}
// Most of that half is `colour` (a white ball moves on it).
bool shows(const ColourGrid& g, bool left, const Rgb& colour) {
  int near = 0;
  for (int r = 4; r < 12; ++r)
    for (int c = firstColumn(left); c < firstColumn(left) + 8; ++c)
      near += g.at(c, r).near(colour, 110) ? 1 : 0;
  return near >= 48;  // of 64
}
// The half shows the point's card: its grey background (#3a3a3a) under the text.
bool card(const ColourGrid& g, bool left) {
  for (int r = 8; r < 12; ++r)
    for (int c = firstColumn(left); c < firstColumn(left) + 8; ++c) {
      const Rgb& p = g.at(c, r);
      if (std::abs(p.r - 58) > 14 || std::abs(p.g - 58) > 14 || std::abs(p.b - 58) > 14)
        return false;
    }
  return true;
}
// How much the half changed from one frame to the next (its ball moving).
double change(const ColourGrid& a, const ColourGrid& b, bool left) {
  double worst = 0;
  for (int r = 4; r < 12; ++r)
    for (int c = firstColumn(left); c < firstColumn(left) + 8; ++c)
      worst =
          std::max({worst, std::abs(a.at(c, r).r - b.at(c, r).r),
                    std::abs(a.at(c, r).g - b.at(c, r).g), std::abs(a.at(c, r).b - b.at(c, r).b)});
  return worst;
}

std::string config(int udpPortMin) {
  return smallProgrammeToml("Kiểm thử bộ mã hoá gửi hình về tỉnh") + R"(
[sources.nghia_hanh]
kind = "point"
point = "nghia-hanh"

[sources.ba_to]
kind = "point"
point = "ba-to"

[scenes.hai_xa]
kind = "side_by_side"
left = "nghia_hanh"
right = "ba_to"

[outputs.ghi]
kind = "record"
directory = "rec"

[bridge]
max_viewers = 3
return_bitrate_kbps = 800
udp_port_min = )" +
         std::to_string(udpPortMin) + R"(
udp_port_max = )" +
         std::to_string(udpPortMin + 19) + R"(
)" + bridgePointToml("nghia-hanh", "Xã Nghĩa Hành", "0900 000 101") +
         bridgePointToml("ba-to", "Xã Ba Tơ", "0900 000 102") + R"(
[[timeline]]
id = "hai-xa"
title = "Cầu truyền hình hai xã"
start = "09:00"
duration = "10m"
scene = "hai_xa"
)";
}

TEST(WhipSenderTest, EncodersSendTheirPointsPicturesSideBySide) {
  TempDir dir("whip-sender");
  NginxRtmp nginx(dir.path(), {});
  nginx.waitReady();
  const std::string nghiaHanh = randomToken(), baTo = randomToken(), wrong = randomToken();
  writeText(dir / "nghia-hanh.token", nghiaHanh + "\n");
  writeText(dir / "ba-to.token", baTo + "\n");
  writeText(dir / "wrong.token", wrong + "\n");
  const std::string operatorToken = randomToken();
  writeText(dir / "operator.token", operatorToken + "\n");
  const int udpPortMin = 54000 + static_cast<int>(::getpid() % 300) * 20;
  writeText(dir / "ceremony.toml", config(udpPortMin));
  const int port = freePorts(1)[0];
  std::string whyNot;
  auto started = startBridgeDaemon(dir.path(), "127.0.0.1", port, nginx, "whip", &whyNot);
  Process& daemon = *started;
  auto context = [&] { return tailOf(daemon.log(), 40); };
  ASSERT_EQ(whyNot, "");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const OperatorApi ops{base, operatorToken};
  auto api = [&](const std::string& target) { return ops.get(target); };
  auto inputState = [&](const std::string& id) { return ops.inputState(id); };
  auto returnSession = [&](const std::string& point) {
    const json p = api("/api/points/" + point);
    return p.is_object() && p["return"].is_object() ? p["return"].value("session", "") : "";
  };
  auto waitState = [&](const std::string& id, const std::string& state,
                       std::chrono::milliseconds limit) { return ops.waitState(id, state, limit); };
  auto sender = [&](const std::string& name, const std::string& point, const std::string& token,
                    const std::string& colour, const std::string& toneHz = "1000") {
    return std::make_unique<WhipSender>(
        dir.path(), name,
        std::vector<std::string>{"--url", base + "/whip/" + point, "--token-file",
                                 (dir / (token + ".token")).string(), "--color", colour,
                                 "--tone-hz", toneHz});
  };
  auto sessionOf = [](const std::string& location) {
    return location.substr(location.find_last_of('/') + 1);
  };

  // --- (a) two communes send, each in its half -------------------------------------------
  auto red = sender("nghia-hanh-1", "nghia-hanh", "nghia-hanh", "0xff0000");
  auto blue = sender("ba-to", "ba-to", "ba-to", "0x0000ff");
  const std::string redAt = red->waitSending(12s), blueAt = blue->waitSending(12s);
  ASSERT_NE(redAt, "") << red->output() << context();
  ASSERT_NE(blueAt, "") << blue->output() << context();
  EXPECT_EQ(redAt.rfind("/whip/nghia-hanh/", 0), 0u) << redAt;
  EXPECT_EQ(waitState("nghia_hanh", "running", 5s), "running") << context();
  EXPECT_EQ(waitState("ba_to", "running", 5s), "running") << context();
  const json point = api("/api/points/ba-to");
  ASSERT_TRUE(point["return"].is_object()) << point;
  EXPECT_EQ(point["return"].value("session", ""), sessionOf(blueAt)) << point;
  EXPECT_TRUE(point["return"].value("on_programme", false)) << point;
  std::this_thread::sleep_for(2s);

  // --- (c) a wrong token: refused, nothing changes ----------------------------------------
  {
    WhipSender intruder(dir.path(), "wrong-token",
                        {"--url", base + "/whip/ba-to", "--token-file",
                         (dir / "wrong.token").string(), "--color", "0x00ff00"});
    const auto status = intruder.process().waitFor(15s);
    ASSERT_TRUE(status.has_value()) << "whip_sender did not give up";
    EXPECT_EQ(*status, 1) << intruder.output();
    EXPECT_NE(intruder.output().find("HTTP 401"), std::string::npos) << intruder.output();
    EXPECT_EQ(intruder.output().find(wrong), std::string::npos) << "the tool printed its token";
  }
  EXPECT_EQ(returnSession("ba-to"), sessionOf(blueAt));
  EXPECT_EQ(inputState("ba_to"), "running");

  // --- (b) a second encoder for Nghĩa Hành, video only, replaces the first -----------------
  // (a hardware encoder with no microphone: video only)
  auto yellow = sender("nghia-hanh-2", "nghia-hanh", "nghia-hanh", "0xffff00", "0");
  const std::string yellowAt = yellow->waitSending(12s);
  ASSERT_NE(yellowAt, "") << yellow->output() << context();
  EXPECT_NE(yellowAt, redAt);
  EXPECT_EQ(returnSession("nghia-hanh"), sessionOf(yellowAt));
  // The first's session is over: its DELETE finds nothing, and ends nothing else.
  EXPECT_EQ(httpCall("DELETE", base + redAt, nghiaHanh).status, 404);
  EXPECT_EQ(red->process().stop(5s), 0) << red->output();
  EXPECT_NE(red->output().find("already ended"), std::string::npos) << red->output();
  EXPECT_EQ(returnSession("nghia-hanh"), sessionOf(yellowAt)) << "the old DELETE ended the new";
  EXPECT_EQ(waitState("nghia_hanh", "running", 5s), "running") << context();
  std::this_thread::sleep_for(2s);

  // --- (d) Ba Tơ's encoder dies without a word --------------------------------------------
  blue->process().signal(SIGKILL);
  EXPECT_EQ(blue->process().waitFor(2s), 128 + SIGKILL);
  EXPECT_EQ(waitState("ba_to", "stalled", 3s), "stalled") << context();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(yellow->process().stop(5s), 0) << yellow->output();
  EXPECT_EQ(waitState("nghia_hanh", "stalled", 3s), "stalled") << context();
  EXPECT_EQ(returnSession("nghia-hanh"), "");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  for (const std::string& token : {nghiaHanh, baTo, wrong})
    EXPECT_EQ(daemon.log().find(token), std::string::npos) << "a token was logged";
  for (auto* s : {red.get(), blue.get(), yellow.get()})
    for (const std::string& token : {nghiaHanh, baTo})
      EXPECT_EQ(s->output().find(token), std::string::npos) << "whip_sender printed a token";

  // --- what viewers saw, on the recording's own timestamps --------------------------------
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const auto track = MediaProbe(dir.path()).colourTrack(files[0], 16);
  ASSERT_GT(track.size(), 150u);
  const auto n = track.size();
  auto t = [&](std::size_t i) { return track[i].time; };
  auto find = [&](std::size_t from, auto&& pred) {
    while (from < n && !pred(track[from].grid)) ++from;
    return from;
  };
  // (a) both colours at once, each in its half.
  const std::size_t both =
      find(0, [](const ColourGrid& g) { return shows(g, true, kRed) && shows(g, false, kBlue); });
  ASSERT_LT(both, n) << "never red on the left and blue on the right";
  std::size_t bothEnd = both;
  while (bothEnd + 1 < n && shows(track[bothEnd + 1].grid, true, kRed) &&
         shows(track[bothEnd + 1].grid, false, kBlue))
    ++bothEnd;
  std::cout << "[ measured ] both communes side by side for " << t(bothEnd) - t(both) << " s\n";
  EXPECT_GT(t(bothEnd) - t(both), 1.5);
  // (b) Nghĩa Hành: red, then yellow from the new encoder, and red never again.
  const std::size_t firstYellow =
      find(both, [](const ColourGrid& g) { return shows(g, true, kYellow); });
  ASSERT_LT(firstYellow, n) << "the second encoder's picture never showed";
  std::size_t lastRed = firstYellow;
  while (lastRed > both && !shows(track[lastRed].grid, true, kRed)) --lastRed;
  std::cout << "[ measured ] the first encoder's last picture → the second's first: "
            << std::lround((t(firstYellow) - t(lastRed)) * 1000) << " ms\n";
  EXPECT_LE(t(firstYellow) - t(lastRed), 2.0);
  EXPECT_EQ(find(firstYellow, [](const ColourGrid& g) { return shows(g, true, kRed); }), n)
      << "the first encoder came back";
  std::size_t lastYellow = firstYellow;
  while (lastYellow + 1 < n && shows(track[lastYellow + 1].grid, true, kYellow)) ++lastYellow;
  EXPECT_GT(t(lastYellow) - t(firstYellow), 3.0) << "the second encoder's picture did not stay";
  // (c) Ba Tơ's half: blue without a break from its first picture to its encoder's death,
  // through the wrong token and the other half's change of encoder.
  const std::size_t firstBlue = find(0, [](const ColourGrid& g) { return shows(g, false, kBlue); });
  std::size_t lastBlue = firstBlue;
  while (lastBlue + 1 < n && shows(track[lastBlue + 1].grid, false, kBlue)) ++lastBlue;
  EXPECT_GT(lastBlue, firstYellow) << "Ba Tơ's picture broke at " << t(lastBlue) << " s";
  // (d) its card within 1 s of its last moving picture.
  const std::size_t blueCard = find(lastBlue, [](const ColourGrid& g) { return card(g, false); });
  ASSERT_LT(blueCard, n) << "no card after Ba Tơ's encoder died";
  std::size_t lastMoving = lastBlue;
  while (lastMoving > firstBlue &&
         change(track[lastMoving - 1].grid, track[lastMoving].grid, false) < 3)
    --lastMoving;
  std::cout << "[ measured ] Ba Tơ's last moving picture → its card "
            << std::lround((t(blueCard) - t(lastMoving)) * 1000) << " ms\n";
  EXPECT_LE(t(blueCard) - t(lastMoving), 1.0);
  EXPECT_GT(t(blueCard), t(lastMoving));
  // Nghĩa Hành's half after its DELETE: its card.
  EXPECT_LT(find(lastYellow, [](const ColourGrid& g) { return card(g, true); }), n);
  std::vector<double> times;
  for (const auto& f : track) times.push_back(f.time);
  EXPECT_LT(largestGap(times, 1.0), 0.1) << "the programme paused";
}

}  // namespace
}  // namespace ceremony::testing
