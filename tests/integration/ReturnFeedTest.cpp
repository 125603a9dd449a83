// The video bridge's return path with a real point: headless Chromium opens Nghĩa Hành's link
// as the commune's PC would, presses «Gửi hình về tỉnh», and its (fake) camera — a red
// picture with a moving ball, from a file — goes to the province over WHIP. What the test
// asserts is what the province and the viewers would notice:
//   - a wrong token gets 401, an offer that is not SDP 400, and nothing reaches the programme;
//   - the point's page says the province receives its picture (not decoded until its item is
//     prepared: nothing shows it before);
//   - at the run-of-show's item for Nghĩa Hành, the recording and the RTMP destination
//     (nginx-rtmp, Facebook's stand-in) show the commune's red picture, within 1 s of the
//     item's planned time (measured on the recording's own timestamps);
//   - when the commune closes its page, the card («Xã Nghĩa Hành — chưa có tín hiệu») is on
//     the programme within 1 s, the run-of-show goes on, and the programme has no gap;
//   - mix-minus: the commune's microphone plays a 1 kHz tone; while it is on air the
//     programme (the recording) carries the tone, the sound Nghĩa Hành hears back has no
//     energy there (the hall's 440 Hz it has), and another point (Ba Tơ) hears the tone;
//   - an operator is told why a cut to a point that does not send is refused;
//   - the point's token appears nowhere in the daemon's log.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/BridgeDaemon.h"
#include "support/HeadlessChromium.h"
#include "support/HttpClient.h"
#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/RandomToken.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

// Most of the picture one colour: the commune's red, the hall's blue.
bool mostly(const ColourGrid& g, const Rgb& colour) {
  int near = 0;
  for (const auto& c : g.cells) near += c.near(colour, 110) ? 1 : 0;
  return near >= static_cast<int>(g.cells.size()) * 3 / 4;
}
const Rgb kRed{255, 0, 0}, kBlue{0, 0, 255};

double change(const ColourGrid& a, const ColourGrid& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.cells.size(); ++i)
    worst =
        std::max({worst, std::abs(a.cells[i].r - b.cells[i].r),
                  std::abs(a.cells[i].g - b.cells[i].g), std::abs(a.cells[i].b - b.cells[i].b)});
  return worst;
}

// WHEP from page JavaScript for another point: its sound kept in window.others[point].
std::string listenAs(const std::string& point, const std::string& token) {
  return R"((async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    const stream = new MediaStream();
    pc.ontrack = (e) => stream.addTrack(e.track);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise(r => { if (pc.iceGatheringState === 'complete') r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
      setTimeout(r, 1500); });
    const res = await fetch('/whep/' + )" +
         json(point).dump() + R"(, {method: 'POST', headers: {'Content-Type': 'application/sdp',
      Authorization: 'Bearer ' + )" +
         json(token).dump() + R"(}, body: pc.localDescription.sdp});
    if (res.status !== 201) return res.status;
    await pc.setRemoteDescription({type: 'answer', sdp: await res.text()});
    const audio = new Audio(); audio.srcObject = stream; audio.muted = true; audio.play();
    window.others = window.others || {};
    window.others[)" +
         json(point).dump() + R"(] = {pc, stream, audio};
    return 201; })())";
}

// The loudest level (dBFS, an FFT of 8,192 points over about a second) at 440 Hz (the hall's
// tone) and at 1 kHz (the commune's) in the sound `stream` (a JavaScript expression) plays.
std::string tonesIn(const std::string& stream) {
  return R"((async () => {
    const ctx = new AudioContext(); await ctx.resume();
    const an = ctx.createAnalyser(); an.fftSize = 8192; an.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource()" +
         stream + R"().connect(an);
    const data = new Float32Array(an.frequencyBinCount);
    const at = (f) => { const b = Math.round(f * an.fftSize / ctx.sampleRate);
      return Math.max(data[b - 1], data[b], data[b + 1]); };
    const out = {hall: -200, commune: -200};
    await new Promise(r => setTimeout(r, 300));
    for (let i = 0; i < 8; ++i) {
      an.getFloatFrequencyData(data);
      out.hall = Math.max(out.hall, at(440)); out.commune = Math.max(out.commune, at(1000));
      await new Promise(r => setTimeout(r, 100));
    }
    ctx.close(); return out; })())";
}

// The level (dB, relative to a full-scale sine) of `hz` in mono float samples: Goertzel.
double levelAt(const std::vector<float>& samples, double hz, double rate) {
  const double k = 2 * std::cos(2 * M_PI * hz / rate);
  double s1 = 0, s2 = 0;
  for (float x : samples) {
    const double s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - k * s1 * s2;
  const double amplitude = 2 * std::sqrt(std::max(power, 1e-30)) / samples.size();
  return 20 * std::log10(amplitude);
}

std::string config(int udpPortMin) {
  return R"([event]
title = "Kiểm thử hình từ điểm cầu"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[programme]
width = 640
height = 360
fps = 25
video_bitrate_kbps = 1200
keyframe_interval_s = 2

[sources.hoi_truong]
kind = "test"
pattern = "blue"
tone_hz = 440

[sources.nghia_hanh]
kind = "point"
point = "nghia-hanh"

[scenes.hoi_truong]
kind = "source"
source = "hoi_truong"

[scenes.nghia_hanh]
kind = "source"
source = "nghia_hanh"

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

[health]
interval = "500ms"
jitter = "100ms"
alert_hold = "0s"

)" + bridgePointToml("nghia-hanh", "Xã Nghĩa Hành", "0900 000 101") +
         bridgePointToml("ba-to", "Xã Ba Tơ", "0900 000 102") + R"(
[[timeline]]
id = "mo-dau"
title = "Khai mạc"
start = "09:00"
duration = "16s"
scene = "hoi_truong"

[[timeline]]
id = "nghia-hanh"
title = "Phát biểu của tổ công nghệ số cộng đồng xã Nghĩa Hành"
duration = "12s"
scene = "nghia_hanh"

[[timeline]]
id = "ket-thuc"
title = "Bế mạc"
duration = "10m"
scene = "hoi_truong"
)";
}

TEST(ReturnFeedTest, ACommuneSendsItsPictureAndItIsOnTheProgrammeAtItsItem) {
  TempDir dir("return-feed");
  NginxRtmp nginx(dir.path(), {});
  nginx.waitReady();
  const std::string nghiaHanh = randomToken(), baTo = randomToken();
  writeText(dir / "nghia-hanh.token", nghiaHanh + "\n");
  writeText(dir / "ba-to.token", baTo + "\n");
  const std::string operatorToken = randomToken();
  writeText(dir / "operator.token", operatorToken + "\n");
  const int udpPortMin = 44000 + static_cast<int>(::getpid() % 400) * 20;
  writeText(dir / "ceremony.toml", config(udpPortMin));
  // The commune's camera: a red picture with a white ball moving on it (a still picture
  // would be frozen, and rightly shown as lost), which Chromium plays as its fake camera.
  const auto y4m = dir / "xa-nghia-hanh.y4m";
  const auto made =
      runToEnd({"gst-launch-1.0", "-q", "videotestsrc", "pattern=ball",
                "background-color=0xffff0000", "foreground-color=0xffffffff", "num-buffers=50", "!",
                "video/x-raw,format=I420,width=640,height=360,framerate=25/1", "!", "y4menc", "!",
                "filesink", "location=" + y4m.string()},
               dir.path(), 30s);
  ASSERT_TRUE(made.ok()) << made.describe();
  // Its microphone: a 1 kHz tone.
  const auto wav = dir / "xa-nghia-hanh.wav";
  const auto tone = runToEnd({"gst-launch-1.0", "-q", "audiotestsrc", "freq=1000", "volume=0.5",
                              "num-buffers=100", "!", "audio/x-raw,rate=48000,channels=1", "!",
                              "wavenc", "!", "filesink", "location=" + wav.string()},
                             dir.path(), 30s);
  ASSERT_TRUE(tone.ok()) << tone.describe();

  const int port = freePorts(1)[0];
  std::string whyNot;
  auto started = startBridgeDaemon(dir.path(), "127.0.0.1", port, nginx, "ret", &whyNot);
  Process& daemon = *started;
  auto context = [&] { return tailOf(daemon.log(), 40); };
  ASSERT_EQ(whyNot, "");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto api = [&](const std::string& target) {
    return json::parse(httpCall("GET", base + target, operatorToken).body, nullptr, false);
  };
  auto input = [&] {
    const json st = api("/api/status");
    if (st.is_object() && st["inputs"].is_array())
      for (const auto& i : st["inputs"])
        if (i.value("id", "") == "nghia_hanh") return i;
    return json::object();
  };

  // --- bad input: nothing reaches the programme -------------------------------------------
  EXPECT_EQ(
      httpCall("POST", base + "/whip/nghia-hanh", "wrong-token", "v=0\r\n", 5s, "application/sdp")
          .status,
      401);
  EXPECT_EQ(
      httpCall("POST", base + "/whip/nghia-hanh", baTo, "v=0\r\n", 5s, "application/sdp").status,
      401)
      << "another point's token was let in";
  const auto garbage =
      httpCall("POST", base + "/whip/nghia-hanh", nghiaHanh, "hello", 5s, "application/sdp");
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  EXPECT_EQ(input().value("state", ""), "stalled") << input();
  // Not sending: the operator is told so, and nothing changes on air.
  const auto early = httpCall("POST", base + "/api/program/cut", operatorToken,
                              R"({"scene":"point:nghia-hanh"})", 5s, "application/json");
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_NE(early.body.find("chưa gửi hình"), std::string::npos) << early.body;

  // --- the commune opens its link and sends its picture -----------------------------------
  struct RemovedAtEnd {
    std::filesystem::path path;
    ~RemovedAtEnd() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } profile{dir / "chromium-profile"};
  std::filesystem::create_directories(profile.path);
  auto chromium = std::make_unique<HeadlessChromium>(
      profile.path, dir.path(), 1280, 720,
      std::vector<std::string>{
          "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
          "--use-fake-device-for-media-stream", "--use-file-for-fake-video-capture=" + y4m.string(),
          "--use-file-for-fake-audio-capture=" + wav.string()});
  auto page = chromium->page();
  page->navigate(base + "/diem-cau/nghia-hanh?token=" + nghiaHanh);
  ASSERT_TRUE(page->waitFor("!!document.getElementById('send-toggle')", 5s));
  EXPECT_EQ(page->evaluate("document.getElementById('send-toggle').innerText"),
            "📷 Gửi hình về tỉnh");
  const auto pressed = Steady::now();
  page->evaluate("document.getElementById('send-toggle').click(); true");
  ASSERT_TRUE(page->waitFor("window.returnFeed.state === 'sending'", 10s))
      << page->evaluate("document.getElementById('send-state').innerText") << "\n"
      << context();
  // The province receives it; nothing shows it before its item, so it is not decoded yet
  // (its input has no picture) until that item is prepared.
  auto returned = [&] { return api("/api/points/nghia-hanh").value("return", json()); };
  const auto deadline = Steady::now() + 5s;
  while (Steady::now() < deadline && !returned().value("connected", false))
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(returned().value("connected", false)) << returned() << context();
  std::cout
      << "[ measured ] «Gửi hình về tỉnh» pressed → the province receives it: "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - pressed).count()
      << " ms\n";
  EXPECT_EQ(page->evaluate("document.getElementById('send-state').innerText"),
            "Tỉnh đang nhận hình của xã");
  // The commune's screen: the programme playing, its own picture going out.
  EXPECT_TRUE(page->waitFor("window.bridge.state === 'playing'", 10s));
  page->screenshot(dir / "diem-cau-gui-hinh.png");
  const json point = api("/api/points/nghia-hanh");
  ASSERT_TRUE(point["return"].is_object()) << point;
  EXPECT_TRUE(point["return"].value("connected", false)) << point;
  EXPECT_TRUE(point["return"].value("on_programme", false)) << point;
  // The answer held the province's bitrate for the point's camera.
  EXPECT_EQ(page->evaluate("window.returnFeed.pc.remoteDescription.sdp.includes('b=AS:800')"),
            true);

  // Another commune watches too.
  EXPECT_EQ(page->evaluate(listenAs("ba-to", baTo), 10s), 201);
  // Before its item Nghĩa Hành hears the programme: the hall's tone.
  const json before =
      page->evaluate(tonesIn("document.getElementById('programme').srcObject"), 10s);
  EXPECT_GT(before.value("hall", -200.0), -50) << before;

  // --- its item: on air, then the commune closes its page ---------------------------------
  const json items = api("/api/timeline")["items"];
  ASSERT_TRUE(items.is_array() && items.size() == 3) << items;
  const auto current = [&] {
    const json st = api("/api/status");
    return st.is_object() && st["current"].is_object() ? st["current"].value("id", "") : "";
  };
  auto until = Steady::now() + 30s;
  while (Steady::now() < until && current() != "nghia-hanh") std::this_thread::sleep_for(50ms);
  ASSERT_EQ(current(), "nghia-hanh") << context();
  std::this_thread::sleep_for(2s);
  const auto onAirAt = Steady::now();
  // Mix-minus: the programme is Nghĩa Hành's voice now; Ba Tơ hears it, Nghĩa Hành does not
  // hear itself (its sound still comes: the programme without its voice, here silence).
  const std::string audioPackets = R"((async () => { let n = 0;
      (await window.bridge.pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' &&
        r.kind === 'audio') n = r.packetsReceived; }); return n; })())";
  const int packetsBefore = page->evaluate(audioPackets).get<int>();
  const json own = page->evaluate(tonesIn("document.getElementById('programme').srcObject"), 10s);
  const json other = page->evaluate(tonesIn("window.others['ba-to'].stream"), 10s);
  std::cout << "[ measured ] dBFS at 440 Hz (hall) / 1 kHz (commune): Nghĩa Hành hears " << before
            << " before its item, " << own << " on air; Ba Tơ hears " << other << "\n";
  EXPECT_GT(other.value("commune", -200.0), -50) << other;
  EXPECT_LT(own.value("commune", 0.0), -70) << own;
  EXPECT_LT(own.value("commune", 0.0), other.value("commune", -200.0) - 30) << own << other;
  EXPECT_GT(page->evaluate(audioPackets).get<int>(), packetsBefore + 30)
      << "Nghĩa Hành's sound stopped while on air";
  EXPECT_TRUE(api("/api/points/nghia-hanh")["return"].value("on_air", false));
  // Sending now: an operator's cut to the point is taken (it is on air already, so nothing
  // changes on screen).
  const auto cut = httpCall("POST", base + "/api/program/cut", operatorToken,
                            R"({"scene":"point:nghia-hanh"})", 5s, "application/json");
  EXPECT_EQ(cut.status, 200) << cut.body;
  std::this_thread::sleep_for(5s - (Steady::now() - onAirAt));
  EXPECT_GT(page->evaluate("window.returnFeed.framesSent").get<int>(), 100);
  page->navigate("about:blank");  // the commune closes the page
  until = Steady::now() + 3s;
  while (Steady::now() < until && input().value("state", "") != "stalled")
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(input().value("state", ""), "stalled") << input() << context();
  const std::string events = httpCall("GET", base + "/api/events", operatorToken).body;
  EXPECT_NE(events.find("Điểm cầu «nghia-hanh» ngừng gửi hình về tỉnh"), std::string::npos)
      << events;
  // The run-of-show goes on to the hall.
  until = Steady::now() + 15s;
  while (Steady::now() < until && current() != "ket-thuc") std::this_thread::sleep_for(100ms);
  ASSERT_EQ(current(), "ket-thuc") << context();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(nginx.publishes("ret"), 1u) << "the RTMP destination reconnected: " << context();
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  EXPECT_EQ(daemon.log().find(nghiaHanh), std::string::npos) << "the point's token was logged";

  // --- what viewers saw, from the recording's and nginx's own timestamps ------------------
  // "2026-12-07T09:00:16.000+07:00" → seconds of its day.
  const auto planned = [&](std::size_t i) {
    const std::string t = items[i].value("planned_start", "");
    const auto at = t.find('T');
    if (at == std::string::npos || t.size() < at + 13) return 0.0;
    return std::stoi(t.substr(at + 1, 2)) * 3600.0 + std::stoi(t.substr(at + 4, 2)) * 60.0 +
           std::stod(t.substr(at + 7, 6));
  };
  const double itemOffset = planned(1) - planned(0);
  ASSERT_GT(itemOffset, 10.0) << items;
  const MediaProbe probe(dir.path());
  auto check = [&](const std::filesystem::path& file, const std::string& what) {
    SCOPED_TRACE(what);
    const auto track = probe.colourTrack(file);
    ASSERT_GT(track.size(), 500u);
    std::size_t firstBlue = 0;
    while (firstBlue < track.size() && !mostly(track[firstBlue].grid, kBlue)) ++firstBlue;
    ASSERT_LT(firstBlue, track.size()) << "the hall never showed";
    std::size_t firstRed = firstBlue;
    while (firstRed < track.size() && !mostly(track[firstRed].grid, kRed)) ++firstRed;
    ASSERT_LT(firstRed, track.size()) << "the commune's picture never showed";
    const double late = track[firstRed].time - track[firstBlue].time - itemOffset;
    std::cout << "[ measured ] " << what << ": the commune's picture " << std::lround(late * 1000)
              << " ms after its item's planned start\n";
    EXPECT_LT(std::abs(late), 1.0);
    std::size_t lastRed = firstRed;
    while (lastRed + 1 < track.size() && mostly(track[lastRed + 1].grid, kRed)) ++lastRed;
    EXPECT_GT(track[lastRed].time - track[firstRed].time, 4.0)
        << "the commune's picture did not stay on air";
    // The page closed: the last moving frame of the commune, then its card.
    std::size_t card = lastRed + 1;
    while (card < track.size() && !isStandInCard(track[card].grid)) ++card;
    ASSERT_LT(card, track.size()) << "no card after the commune left";
    std::size_t lastMoving = lastRed;
    while (lastMoving > firstRed && change(track[lastMoving - 1].grid, track[lastMoving].grid) < 4)
      --lastMoving;
    const double toCard = track[card].time - track[lastMoving].time;
    std::cout << "[ measured ] " << what << ": last moving frame of the commune → its card "
              << std::lround(toCard * 1000) << " ms\n";
    EXPECT_LE(toCard, 1.0);
    std::vector<double> times;
    for (const auto& f : track) times.push_back(f.time);
    EXPECT_LT(largestGap(times, 1.0), 0.1) << "the programme paused";
  };
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  check(files[0], "recording");
  // The programme itself carries the commune's voice at its item (and the hall's, once the
  // commune has left).
  auto tonesAt = [&](double at) {
    const auto run =
        runToEnd({"ffmpeg", "-nostdin", "-v", "error", "-ss", std::to_string(at), "-t", "1", "-i",
                  files[0].string(), "-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"},
                 dir.path(), 30s);
    const std::string& raw = run.out;
    std::vector<float> samples(raw.size() / sizeof(float));
    std::memcpy(samples.data(), raw.data(), samples.size() * sizeof(float));
    return std::pair{levelAt(samples, 440, 48000), levelAt(samples, 1000, 48000)};
  };
  const auto track = probe.colourTrack(files[0]);
  double redAt = -1;
  for (const auto& f : track)
    if (redAt < 0 && mostly(f.grid, kRed)) redAt = f.time;
  ASSERT_GT(redAt, 0);
  const auto [hall, commune] = tonesAt(redAt + 2);
  std::cout << "[ measured ] the recording at the commune's item, dB at 440 Hz / 1 kHz: " << hall
            << " / " << commune << "\n";
  EXPECT_GT(commune, -40) << "the commune's voice is not on the programme";
  check(nginx.recordedFile("ret"), "RTMP destination");
}

}  // namespace
}  // namespace ceremony::testing
