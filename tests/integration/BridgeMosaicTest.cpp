// Nine communes send their pictures back, each a colour of its own: seven over WHIP
// (tests/tools/whip_sender), two over SRT (ffmpeg, as a commune hall's hardware encoder), and
// the programme shows them as the province joining: one daemon run, every answer read off the
// recording's own frames.
//   (a) while nothing shows them, none of the nine is decoded (the API says so);
//   (b) a 3×3 mosaic of a fixed list: each tile shows its commune's colour, in its place;
//   (c) a cut to a point nobody was decoding: its picture follows the slate within 0.5 s
//       (the keyframe asked for at the cut included), and the feeds are decoded only then;
//   (d) a 2×2 mosaic of every point sending turns its pages every 2 s: its first tile shows
//       the first commune, then the fifth.

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
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
#include "support/WhipSender.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

struct Commune {
  const char* id;
  const char* name;
  const char* colour;  // whip_sender's --color, ffmpeg's color=c=
  Rgb rgb;
  bool srt = false;  // sends over SRT (ffmpeg) rather than WHIP
};

const std::array<Commune, 9> kCommunes{{
    {"nghia-hanh", "Xã Nghĩa Hành", "0xff0000", {255, 0, 0}},
    {"ba-to", "Xã Ba Tơ", "0x00ff00", {0, 255, 0}},
    {"son-tinh", "Xã Sơn Tịnh", "0x0000ff", {0, 0, 255}},
    {"tu-nghia", "Xã Tư Nghĩa", "0xffff00", {255, 255, 0}},
    {"mo-duc", "Xã Mộ Đức", "0xff00ff", {255, 0, 255}},
    {"duc-pho", "Phường Đức Phổ", "0x00ffff", {0, 255, 255}},
    {"binh-son", "Xã Bình Sơn", "0xff8000", {255, 128, 0}},
    {"tra-bong", "Xã Trà Bồng", "0x8000ff", {128, 0, 255}, true},
    {"son-ha", "Xã Sơn Hà", "0xffffff", {255, 255, 255}, true},
}};

// The commune whose colour `c` is (-1: none of them).
int communeOf(const Rgb& c) {
  int best = -1;
  double nearest = 90;
  for (std::size_t i = 0; i < kCommunes.size(); ++i)
    if (const double d = c.distanceTo(kCommunes[i].rgb); d < nearest)
      nearest = d, best = static_cast<int>(i);
  return best;
}

// On a 16×16 grid of the 640×360 programme, the upper middle of a tile (its name is written
// at its foot): 3×3 tiles are 202×114 from (13, 5) every 206 and 118 px; 2×2 tiles 308×174
// from (10, 4) every 312 and 178 px (pipelines/programme/SceneLayout.cpp, mosaicTiles).
int tileColour(const ColourGrid& g, int grid, int column, int row) {
  const double x = grid == 3 ? 13 + column * 206 + 101 : 10 + column * 312 + 154;
  const double y = grid == 3 ? 5 + row * 118 + 40 : 4 + row * 178 + 60;
  const int c = static_cast<int>(x / 40), r = static_cast<int>(y / 22.5);
  return communeOf(g.region(c - 1, r - 1, c + 1, r + 1));
}

// The grey slate (or a card): the top rows grey, cell by cell (a mosaic's average is grey
// too).
bool slate(const ColourGrid& g) {
  int grey = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 16; ++c) grey += g.at(c, r).near(Rgb{0x40, 0x40, 0x40}, 30) ? 1 : 0;
  return grey >= 40;
}

// How much the picture changed from one frame to the next (the ball moving).
double change(const ColourGrid& a, const ColourGrid& b) {
  double most = 0;
  for (int i = 0; i < 256; ++i) most = std::max(most, a.cells[i].distanceTo(b.cells[i]));
  return most;
}

bool fullScreen(const ColourGrid& g, int commune) {
  int near = 0;
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) near += communeOf(g.at(c, r)) == commune ? 1 : 0;
  return near >= 200;  // of 256: a ball moves on it
}

std::string config(int udpPortMin, int srtPort) {
  std::string toml = smallProgrammeToml("Kiểm thử cầu truyền hình nhiều xã") + R"(
[sources.ba_to]
kind = "point"
point = "ba-to"

[scenes.cho]
kind = "slate"
text = "Chờ các điểm cầu"
background = "#404040"

[scenes.ca_tinh]
kind = "mosaic"
grid = "3x3"
points = ["nghia-hanh", "ba-to", "son-tinh", "tu-nghia", "mo-duc", "duc-pho", "binh-son",
          "tra-bong", "son-ha"]

[scenes.cac_xa]
kind = "mosaic"
grid = "2x2"
page = "2s"

[outputs.ghi]
kind = "record"
directory = "rec"

[bridge]
max_viewers = 3
return_bitrate_kbps = 400
udp_port_min = )" + std::to_string(udpPortMin) +
                     R"(
udp_port_max = )" + std::to_string(udpPortMin + 39) +
                     "\nsrt_publish_port = " + std::to_string(srtPort) + "\n";
  for (const auto& c : kCommunes) toml += bridgePointToml(c.id, c.name, "0900 000 100");
  toml += R"(
[[timeline]]
id = "cho"
title = "Chờ các điểm cầu"
start = "09:00"
duration = "10m"
scene = "cho"
)";
  return toml;
}

TEST(BridgeMosaicTest, NinePointsOnTheirTilesDecodedOnlyWhenShown) {
  TempDir dir("bridge-mosaic");
  NginxRtmp nginx(dir.path(), {});
  nginx.waitReady();
  std::vector<std::string> tokens;
  for (const auto& c : kCommunes) {
    tokens.push_back(randomToken());
    writeText(dir / (std::string(c.id) + ".token"), tokens.back() + "\n");
  }
  const std::string operatorToken = randomToken();
  writeText(dir / "operator.token", operatorToken + "\n");
  const int udpPortMin = 52000 + static_cast<int>(::getpid() % 50) * 40;
  const auto ports = freePorts(2);
  const int port = ports[0];
  writeText(dir / "ceremony.toml", config(udpPortMin, ports[1]));
  std::string whyNot;
  auto started = startBridgeDaemon(dir.path(), "127.0.0.1", port, nginx, "mosaic", &whyNot);
  Process& daemon = *started;
  auto context = [&] { return tailOf(daemon.log(), 40); };
  ASSERT_EQ(whyNot, "");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const OperatorApi ops{base, operatorToken};
  auto api = [&](const std::string& target) { return ops.get(target); };
  auto cut = [&](const std::string& scene) { return ops.cut(scene); };
  // Each point's return session as /api/points says it (null when none).
  auto returns = [&] {
    std::vector<json> out;
    for (const auto& c : kCommunes) {
      const json p = api(std::string("/api/points/") + c.id);
      out.push_back(p.is_object() ? p.value("return", json()) : json());
    }
    return out;
  };
  auto decoding = [&] {
    int n = 0;
    for (const auto& r : returns()) n += r.is_object() && r.value("decoding", false) ? 1 : 0;
    return n;
  };
  auto waitDecoding = [&](auto pred, std::chrono::milliseconds limit) {
    const auto until = Steady::now() + limit;
    int n = decoding();
    while (!pred(n) && Steady::now() < until) {
      std::this_thread::sleep_for(100ms);
      n = decoding();
    }
    return n;
  };

  std::vector<std::unique_ptr<WhipSender>> senders;
  std::vector<std::unique_ptr<SrtEncoder>> encoders;
  for (std::size_t i = 0; i < kCommunes.size(); ++i) {
    const Commune& c = kCommunes[i];
    if (c.srt)
      encoders.push_back(
          std::make_unique<SrtEncoder>(dir.path(), c.id, ports[1], c.id, tokens[i], c.colour));
    else
      senders.push_back(std::make_unique<WhipSender>(
          dir.path(), c.id,
          std::vector<std::string>{"--url", base + "/whip/" + c.id, "--token-file",
                                   (dir / (std::string(c.id) + ".token")).string(), "--color",
                                   c.colour, "--tone-hz", "0", "--width", "320", "--height", "180",
                                   "--fps", "15", "--kbps", "250"}));
  }
  for (const auto& s : senders) ASSERT_NE(s->waitSending(20s), "") << s->output() << context();
  // The SRT encoders: sending once the province has their first datagrams.
  const auto srtBy = Steady::now() + 20s;
  auto srtSending = [&] {
    for (const auto& c : kCommunes)
      if (c.srt && !ops.returnOf(c.id).value("connected", false)) return false;
    return true;
  };
  while (!srtSending() && Steady::now() < srtBy) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(srtSending()) << encoders[0]->output(tokens) << context();

  // --- (a) the slate is on air: nothing shows the nine, none is decoded -------------------
  std::this_thread::sleep_for(1500ms);
  const auto before = returns();
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_TRUE(before[i].is_object()) << kCommunes[i].id << " has no return session";
    EXPECT_FALSE(before[i].value("decoding", true)) << kCommunes[i].id << ": " << before[i];
  }

  // --- (b) the 3×3 mosaic -----------------------------------------------------------------
  ASSERT_EQ(cut("ca_tinh"), 200) << context();
  EXPECT_EQ(waitDecoding([](int n) { return n == 9; }, 3s), 9) << context();
  const auto onTiles = returns();
  for (std::size_t i = 0; i < onTiles.size(); ++i)
    EXPECT_EQ(onTiles[i].value("tile", ""), std::to_string(i)) << onTiles[i];
  std::this_thread::sleep_for(3s);

  // --- (c) back to the slate; once nothing shows them, a cold cut to Ba Tơ ----------------
  ASSERT_EQ(cut("cho"), 200);
  EXPECT_EQ(waitDecoding([](int n) { return n == 0; }, 6s), 0) << "feeds decoded off air";
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(cut("point:ba-to"), 200) << context();
  EXPECT_EQ(waitDecoding([](int n) { return n == 1; }, 2s), 1);
  std::this_thread::sleep_for(2500ms);

  // --- (d) every point sending, four at a time --------------------------------------------
  ASSERT_EQ(cut("cac_xa"), 200);
  std::this_thread::sleep_for(5500ms);
  ASSERT_EQ(cut("cho"), 200);
  std::this_thread::sleep_for(1s);

  for (auto& s : senders) EXPECT_EQ(s->process().stop(5s), 0) << s->output();
  for (auto& e : encoders) e->process().stop(5s);
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  for (const auto& token : tokens) {
    EXPECT_EQ(daemon.log().find(token), std::string::npos) << "a token was logged";
    for (const auto& s : senders)
      EXPECT_EQ(s->output().find(token), std::string::npos) << "whip_sender printed a token";
  }

  // --- the recording ----------------------------------------------------------------------
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const auto track = MediaProbe(dir.path()).colourTrack(files[0], 16);
  ASSERT_GT(track.size(), 300u);
  const std::size_t n = track.size();
  auto t = [&](std::size_t i) { return track[i].time; };
  auto find = [&](std::size_t from, auto&& pred) {
    while (from < n && !pred(track[from].grid)) ++from;
    return from;
  };
  // (b) a frame with all nine, each in its place.
  auto allNine = [](const ColourGrid& g) {
    for (int k = 0; k < 9; ++k)
      if (tileColour(g, 3, k % 3, k / 3) != k) return false;
    return true;
  };
  const std::size_t mosaic = find(0, allNine);
  if (mosaic == n) {
    // Say what the tiles showed at their best, to see which one is wrong.
    const std::size_t notSlate = find(0, [](const ColourGrid& g) { return !slate(g); });
    if (notSlate + 50 < n) {
      const auto& g = track[notSlate + 50].grid;
      for (int k = 0; k < 9; ++k)
        ADD_FAILURE() << "tile " << k << " showed commune " << tileColour(g, 3, k % 3, k / 3)
                      << " (" << g.region(0, 0, 1, 1).str() << ")";
    }
  }
  ASSERT_LT(mosaic, n) << "no frame shows the nine communes in their tiles";
  std::size_t mosaicEnd = mosaic;
  while (mosaicEnd + 1 < n && allNine(track[mosaicEnd + 1].grid)) ++mosaicEnd;
  std::cout << "[ measured ] the nine communes in their tiles for " << t(mosaicEnd) - t(mosaic)
            << " s\n";
  EXPECT_GT(t(mosaicEnd) - t(mosaic), 2.0);
  // (c) the slate, then Ba Tơ full screen.
  const std::size_t slateAgain = find(mosaicEnd, slate);
  ASSERT_LT(slateAgain, n) << "the slate did not come back";
  const std::size_t slateEnd = find(slateAgain, [](const ColourGrid& g) { return !slate(g); });
  // Its layer may first repeat the last frame it had (from the mosaic): the picture counts
  // once it moves, that is once the keyframe asked for has come and been decoded.
  std::size_t baTo = find(slateEnd, [](const ColourGrid& g) { return fullScreen(g, 1); });
  while (baTo + 1 < n && !(fullScreen(track[baTo + 1].grid, 1) &&
                           change(track[baTo].grid, track[baTo + 1].grid) > 20))
    ++baTo;
  ASSERT_LT(baTo + 1, n) << "Ba Tơ's picture never came full screen, moving";
  std::cout << "[ measured ] cold cut to Ba Tơ: the slate's last frame → its live picture "
            << std::lround((t(baTo + 1) - t(slateEnd)) * 1000)
            << " ms (after the operator's take lead of 200 ms)\n";
  EXPECT_LE(t(baTo + 1) - t(slateEnd), 0.5);
  // (d) the 2×2 pages: Nghĩa Hành in the first tile, then Mộ Đức (the fifth).
  const std::size_t firstPage =
      find(baTo, [](const ColourGrid& g) { return tileColour(g, 2, 0, 0) == 0; });
  ASSERT_LT(firstPage, n) << "the 2×2 mosaic's first page never showed Nghĩa Hành first";
  EXPECT_EQ(tileColour(track[firstPage].grid, 2, 1, 1), 3) << "Tư Nghĩa not fourth";
  const std::size_t secondPage =
      find(firstPage, [](const ColourGrid& g) { return tileColour(g, 2, 0, 0) == 4; });
  ASSERT_LT(secondPage, n) << "the mosaic never turned its page";
  std::cout << "[ measured ] the 2×2 mosaic turned its page after " << t(secondPage) - t(firstPage)
            << " s\n";
  EXPECT_NEAR(t(secondPage) - t(firstPage), 2.0, 1.1);
  std::vector<double> times;
  for (const auto& f : track) times.push_back(f.time);
  EXPECT_LT(largestGap(times, 1.0), 0.1) << "the programme paused";
}

}  // namespace
}  // namespace ceremony::testing
