// The video bridge with a real point: headless Chromium opens a connection point's link, as a
// commune's PC would, and plays the programme over WebRTC (WHEP) from the daemon's one encode.
// What the test asserts is what the commune and the province would notice:
//   - a wrong token gets 401 and no media; a malformed offer 400; a viewer past the cap 503;
//   - within 5 s the point's browser decodes ~30 frames a second at the programme's size, and
//     audio packets arrive;
//   - the wall clock burnt into the programme reads back on the point's screen, less than 3 s
//     old (a sanity bound; tests/bench measures the glass-to-glass delay);
//   - an operator's cut to the red scene is on the point's screen within 1 s;
//   - the point is up on /api/points with its round trip, and /metrics counts the viewer;
//   - viewers joining and leaving repeatedly cost the programme no frame (the recording has no
//     gap) and the RTMP destination (nginx-rtmp, Facebook's stand-in) no reconnect;
//   - when the browser dies (no goodbye), the point goes down within the promised time;
//   - WHEP clients that are not browsers (a strict main-profile offer, a baseline-only one)
//     decode the programme too, and the daemon survives them;
//   - the programme relayed once to Janus (the tier a national event fans out from) plays
//     through Janus at the programme's size;
//   - the points' tokens appear nowhere in the daemon's log or event list.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "HealthPeers.h"
#include "support/BridgeDaemon.h"
#include "support/BridgeViewer.h"
#include "support/HeadlessChromium.h"
#include "support/JanusServer.h"
#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/RandomToken.h"

namespace ceremony::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string js(const std::string& s) {
  return json(s).dump();
}

// WHEP from page JavaScript: opens `count` more sessions of `point` and keeps them in
// window.extra; resolves to their HTTP statuses.
std::string openExtra(const std::string& point, const std::string& token, int count) {
  return R"((async () => {
    window.extra = window.extra || [];
    const statuses = [];
    for (let i = 0; i < )" +
         std::to_string(count) + R"(; ++i) {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', {direction: 'recvonly'});
      pc.addTransceiver('audio', {direction: 'recvonly'});
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise(r => { if (pc.iceGatheringState === 'complete') r();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
        setTimeout(r, 1500); });
      const res = await fetch('/whep/' + )" +
         js(point) + R"(, {method: 'POST', headers: {'Content-Type': 'application/sdp',
        Authorization: 'Bearer ' + )" +
         js(token) + R"(}, body: pc.localDescription.sdp});
      statuses.push(res.status);
      if (res.status === 201) {
        await pc.setRemoteDescription({type: 'answer', sdp: await res.text()});
        window.extra.push({pc, location: res.headers.get('Location')});
      } else pc.close();
    }
    return statuses;
  })())";
}

std::string closeExtra(const std::string& token) {
  return R"((async () => {
    const all = window.extra || []; window.extra = [];
    for (const e of all) { e.pc.close();
      await fetch(e.location, {method: 'DELETE', headers: {Authorization: 'Bearer ' + )" +
         js(token) + R"(}}); }
    return all.length; })())";
}

TEST(BridgeTest, ChromiumAtAPointPlaysTheProgrammeAndItsLinkIsItsHealth) {
  TempDir dir("bridge");
  NginxRtmp nginx(dir.path(), {});
  nginx.waitReady();
  JanusServer janus(dir.path());
  ASSERT_TRUE(janus.waitReady()) << tailOf(janus.process().log(), 20);
  const std::string nghiaHanh = randomToken(), baTo = randomToken(), tuNghia = randomToken();
  writeText(dir / "nghia-hanh.token", nghiaHanh + "\n");
  writeText(dir / "ba-to.token", baTo + "\n");
  writeText(dir / "tu-nghia.token", tuNghia + "\n");
  const int srtPort = freePorts(1)[0];
  // The WebRTC sessions' UDP ports, as a province's firewall would open them.
  const int udpPortMin = 42000 + static_cast<int>(::getpid() % 400) * 20;
  writeText(dir / "ceremony.toml", R"([event]
title = "Kiểm thử cầu truyền hình"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[programme]
width = 1280
height = 720
fps = 30
video_bitrate_kbps = 2500
keyframe_interval_s = 2

[sources.xanh]
kind = "test"
pattern = "green"
tone_hz = 440
clock = true

[sources.do]
kind = "test"
pattern = "red"
tone_hz = 660
clock = true

[scenes.xanh]
kind = "source"
source = "xanh"

[scenes.do]
kind = "source"
source = "do"

[outputs.ghi]
kind = "record"
directory = "rec"

[bridge]
max_viewers = 3
srt_listen = "127.0.0.1:)" + std::to_string(srtPort) +
                                       R"("
udp_port_min = )" + std::to_string(udpPortMin) +
                                       R"(
udp_port_max = )" + std::to_string(udpPortMin + 19) +
                                       R"(
relay_video = "127.0.0.1:)" + std::to_string(janus.videoPort()) +
                                       R"("
relay_audio = "127.0.0.1:)" + std::to_string(janus.audioPort()) +
                                       R"("

[health]
interval = "500ms"
jitter = "100ms"
alert_hold = "0s"

)" + bridgePointToml("nghia-hanh", "Xã Nghĩa Hành", "0900 000 101") +
                                       R"(
)" + bridgePointToml("ba-to", "Xã Ba Tơ", "0900 000 102") +
                                       R"(
)" + bridgePointToml("tu-nghia", "Xã Tư Nghĩa", "0900 000 103") +
                                       R"(
[[timeline]]
id = "mo-dau"
title = "Khai mạc"
start = "09:00"
duration = "10m"
scene = "xanh"
)");
  const std::string operatorToken = randomToken();
  writeText(dir / "operator.token", operatorToken + "\n");
  const int port = freePorts(1)[0];
  std::string whyNot;
  auto started = startBridgeDaemon(dir.path(), "127.0.0.1", port, nginx, "bridge", &whyNot);
  Process& daemon = *started;
  auto context = [&] { return tailOf(daemon.log(), 40); };
  ASSERT_EQ(whyNot, "");
  auto api = [&](const std::string& target) {
    const auto a = httpRequest(port, "GET", target, operatorToken);
    if (a.status != 200) throw std::runtime_error(target + ": HTTP " + std::to_string(a.status));
    return json::parse(a.body);
  };

  // --- bad input: nothing reaches the bridge ---------------------------------------------
  EXPECT_EQ(httpRequest(port, "GET", "/diem-cau/nghia-hanh?token=" + baTo).status, 401)
      << "another point's token opened the page";
  EXPECT_EQ(httpRequest(port, "GET", "/diem-cau/khong-co?token=" + nghiaHanh).status, 401);
  EXPECT_EQ(httpRequest(port, "POST", "/whep/nghia-hanh", "wrong-token", "v=0\r\n").status, 401);
  const auto garbage = httpRequest(port, "POST", "/whep/nghia-hanh", nghiaHanh, "hello");
  EXPECT_EQ(garbage.status, 415) << garbage.body;  // httpRequest sends no application/sdp
  EXPECT_EQ(api("/api/bridge").size(), 0u);

  // --- the point opens its link ------------------------------------------------------------
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
      std::vector<std::string>{"--autoplay-policy=no-user-gesture-required"});
  auto page = chromium->page();
  const std::string link =
      "http://127.0.0.1:" + std::to_string(port) + "/diem-cau/nghia-hanh?token=" + nghiaHanh;
  // The technical team takes the links from the dashboard (operator token), to send out.
  page->navigate("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_TRUE(page->waitFor("!!document.getElementById('token-form')", 5s));
  page->evaluate("document.getElementById('token').value = " + js(operatorToken) +
                 "; document.getElementById('token-form').requestSubmit(); true");
  ASSERT_TRUE(page->waitFor("!document.getElementById('links-open').hidden", 5s))
      << "no links button for an operator";
  page->evaluate("document.getElementById('links-open').click(); true");
  ASSERT_TRUE(
      page->waitFor("document.querySelectorAll('#detail-body table.links tr').length === 3", 5s))
      << page->evaluate("document.getElementById('detail-body').innerText");
  page->screenshot(dir / "dashboard-links.png");
  const json shownLinks = page->evaluate(R"([...document.querySelectorAll('#detail-body tr')]
      .map(tr => ({id: tr.dataset.point, name: tr.cells[0].innerText,
                   link: tr.querySelector('input').value})))");
  std::string linkFromDashboard;
  for (const auto& l : shownLinks)
    if (l.value("id", "") == "nghia-hanh") {
      linkFromDashboard = l.value("link", "");
      EXPECT_EQ(l.value("name", ""), "Xã Nghĩa Hành");
    }
  EXPECT_TRUE(linkFromDashboard == link) << "the dashboard's link for Nghĩa Hành is not its own";
  const auto opened = Steady::now();
  page->navigate(link);
  const std::string videoStats = R"((async () => {
      const pc = window.bridge && window.bridge.pc; if (!pc) return null;
      const out = {t: performance.now()};
      (await pc.getStats()).forEach(r => { if (r.type !== 'inbound-rtp') return;
        if (r.kind === 'video') { out.frames = r.framesDecoded || 0; out.width = r.frameWidth;
                                  out.height = r.frameHeight; }
        if (r.kind === 'audio') out.audioPackets = r.packetsReceived || 0; });
      return out; })())";
  ASSERT_TRUE(page->waitFor("window.bridge && window.bridge.state === 'playing'", 5s))
      << page->evaluate("window.bridge && window.bridge.state") << "\n"
      << context();
  const double joinSeconds = std::chrono::duration<double>(Steady::now() - opened).count();
  const json first = page->evaluate(videoStats);
  std::this_thread::sleep_for(2s);
  const json second = page->evaluate(videoStats);
  const double fps = (second.value("frames", 0.0) - first.value("frames", 0.0)) /
                     ((second.value("t", 0.0) - first.value("t", 0.0)) / 1000.0);
  std::cout << "[ bridge   ] link opened → playing in " << joinSeconds << " s (first frame at "
            << page->evaluate("window.bridge.firstFrameMs") << " ms of the page; "
            << page->evaluate("window.bridge.timings") << "), decoding " << fps << " fps\n";
  EXPECT_NEAR(fps, 30.0, 4.0) << first << second;
  EXPECT_EQ(second.value("width", 0), 1280);
  EXPECT_EQ(second.value("height", 0), 720);
  EXPECT_GT(second.value("audioPackets", 0), first.value("audioPackets", 0)) << "no sound";

  // --- the programme's burnt-in clock reads back on the point's screen ---------------------
  // Every presented frame's strip (tests/tools/clock_strip.js): the point shows the clock the
  // test source burnt in, a moment old. A sanity bound, not a speed test (tests/bench's is).
  page->evaluate(
      readText(std::filesystem::path(CEREMONYD_SOURCE_DIR) / "tests/tools/clock_strip.js") +
      "\ntrue");
  page->evaluate("window.clockRead = clockStrip.start(document.getElementById('programme')); true");
  std::this_thread::sleep_for(2s);
  const json clock = page->evaluate("clockStrip.summary(window.clockRead)");
  page->evaluate("window.clockRead.stopped = true");
  std::cout << "[ bridge   ] burnt-in clock read on " << clock.value("read", 0) << " of "
            << clock.value("frames", 0) << " frames: glass-to-glass p50 " << clock["p50"]
            << " ms, p95 " << clock["p95"] << " ms, max " << clock["max"] << " ms\n";
  EXPECT_GE(clock.value("read", 0), 40) << "the clock did not read on most frames: " << clock;
  EXPECT_GE(clock.value("read", 0), clock.value("frames", 0) * 9 / 10) << clock;
  if (clock.value("read", 0) > 0) {
    EXPECT_GE(clock["min"].get<int>(), 0) << "a frame from the future: " << clock;
    EXPECT_LE(clock["max"].get<int>(), 3000) << "the point's picture is seconds old: " << clock;
  }

  // --- the point is up, with its round trip --------------------------------------------------
  json point;
  const auto upDeadline = Steady::now() + 5s;
  for (;;) {
    point = api("/api/points/nghia-hanh");
    if (point.value("state", "") == "up") break;
    ASSERT_LT(Steady::now(), upDeadline) << point.dump(1) << context();
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(point["bridge"].is_object()) << point.dump(1);
  EXPECT_TRUE(point["bridge"].value("connected", false));
  EXPECT_EQ(point["bridge"].value("transport", ""), "webrtc");
  EXPECT_EQ(point["bridge"].value("peer", ""), "127.0.0.1");
  EXPECT_TRUE(point["bridge"].contains("rtt_ms")) << point["bridge"];
  EXPECT_GT(point["bridge"].value("kbps", 0), 1000) << point["bridge"];
  EXPECT_EQ(api("/api/bridge").size(), 1u);
  const std::string metrics = httpRequest(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("ceremonyd_bridge_viewers 1"), std::string::npos);
  EXPECT_NE(metrics.find("ceremonyd_bridge_rtt_seconds{point=\"nghia-hanh\"}"), std::string::npos);

  // --- the answer's candidates are on [bridge]'s UDP ports ------------------------------------
  // ([bridge] address is BridgeImpairmentTest's: Chromium does not use loopback for ICE.)
  {
    const json candidates = page->evaluate(R"((async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', {direction: 'recvonly'});
      await pc.setLocalDescription(await pc.createOffer());
      const res = await fetch('/whep/ba-to', {method: 'POST', headers: {'Content-Type':
        'application/sdp', Authorization: 'Bearer ' + )" +
                                               js(baTo) + R"(}, body: pc.localDescription.sdp});
      const sdp = await res.text(); pc.close();
      await fetch(res.headers.get('Location'), {method: 'DELETE', headers: {Authorization:
        'Bearer ' + )" + js(baTo) + R"(}});
      return sdp.split('\r\n').filter(l => l.startsWith('a=candidate:'));
    })())",
                                           10s);
    ASSERT_TRUE(candidates.is_array() && !candidates.empty()) << candidates;
    for (const auto& c : candidates) {
      std::istringstream fields(c.get<std::string>());
      std::string foundation, component, transport, priority, address;
      int candidatePort = 0;
      fields >> foundation >> component >> transport >> priority >> address >> candidatePort;
      if (transport == "UDP" || transport == "udp") {
        EXPECT_GE(candidatePort, udpPortMin) << c;
        EXPECT_LE(candidatePort, udpPortMin + 19) << c;
      }
    }
  }

  // --- an operator cuts to red: the commune sees it within 1 s -------------------------------
  page->evaluate(R"((() => {
      const v = document.getElementById('programme');
      const c = document.createElement('canvas'); c.width = 16; c.height = 9;
      const g = c.getContext('2d', {willReadFrequently: true});
      window.redAt = null;
      window.sampler = setInterval(() => {
        g.drawImage(v, 0, 0, 16, 9);
        const [r, gr, b] = g.getImageData(8, 4, 1, 1).data;
        if (window.redAt === null && r > 180 && gr < 70 && b < 70) window.redAt = Date.now();
      }, 20);
      return true; })())");
  ASSERT_FALSE(page->evaluate("window.redAt").is_number()) << "red before the cut";
  const std::int64_t cutAt = wallMs();
  const auto cut =
      httpRequest(port, "POST", "/api/program/cut", operatorToken, R"({"scene":"do"})");
  ASSERT_EQ(cut.status, 200) << cut.body;
  ASSERT_TRUE(page->waitFor("window.redAt !== null", 3s)) << "the cut never reached the point";
  const double cutSeconds = (page->evaluate("window.redAt").get<double>() - cutAt) / 1000.0;
  std::cout << "[ bridge   ] operator's cut → red on the point's screen in " << cutSeconds
            << " s\n";
  EXPECT_LT(cutSeconds, 1.0);

  // --- viewers join and leave repeatedly; one past the cap is refused --------------------------
  const auto churnFrom = Steady::now();
  for (int round = 0; round < 4; ++round) {
    const json statuses = page->evaluate(openExtra("ba-to", baTo, 2), 20s);
    EXPECT_EQ(statuses, json::array({201, 201})) << "round " << round;
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(api("/api/bridge").size(), 3u) << "round " << round;
    if (round == 0) {
      const json over = page->evaluate(openExtra("ba-to", baTo, 1), 20s);
      EXPECT_EQ(over, json::array({503})) << "a viewer past max_viewers = 3";
    }
    EXPECT_EQ(page->evaluate(closeExtra(baTo), 10s), 2);
  }
  const double churnSeconds = std::chrono::duration<double>(Steady::now() - churnFrom).count();
  EXPECT_EQ(api("/api/bridge").size(), 1u) << "the extra viewers are still there";
  EXPECT_TRUE(page->evaluate("window.bridge.state === 'playing'").get<bool>())
      << "the point's own picture stopped while others came and went";

  // --- a hardware decoder calls the SRT listener (ffmpeg as the decoder) ------------------------
  {
    const std::string srtUrl = "srt://127.0.0.1:" + std::to_string(srtPort) + "?mode=caller";
    Process wrong({"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
                   srtUrl + "&streamid=#!::u=tu-nghia,s=not-its-token", "-t", "2", "-c", "copy",
                   (dir / "srt-wrong.ts").string()},
                  ProcessOptions{dir / "srt-wrong.log"});
    const auto refused = wrong.waitFor(15s);
    ASSERT_TRUE(refused.has_value()) << "ffmpeg with a wrong stream id still running";
    EXPECT_NE(*refused, 0) << "a caller with another token was let in";
    EXPECT_FALSE(std::filesystem::exists(dir / "srt-wrong.ts") &&
                 std::filesystem::file_size(dir / "srt-wrong.ts") > 0);

    Process decoder({"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
                     srtUrl + "&streamid=#!::u=tu-nghia,s=" + tuNghia, "-t", "4", "-c", "copy",
                     (dir / "srt.ts").string()},
                    ProcessOptions{dir / "srt.log"});
    json srtPoint;
    const auto watching = Steady::now() + 5s;
    for (;;) {
      srtPoint = api("/api/points/tu-nghia");
      if (srtPoint["bridge"].is_object() && srtPoint["bridge"].value("transport", "") == "srt")
        break;
      ASSERT_LT(Steady::now(), watching) << srtPoint.dump(1) << context();
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(srtPoint["bridge"].value("connected", false)) << srtPoint["bridge"];
    const auto done = decoder.waitFor(20s);
    ASSERT_TRUE(done.has_value() && *done == 0) << readText(dir / "srt.log");
    MediaProbe ts(dir.path());
    const auto info = ts.probe(dir / "srt.ts");
    EXPECT_EQ(info.videoCodec, "h264");
    EXPECT_EQ(info.width, 1280);
    EXPECT_EQ(info.height, 720);
    EXPECT_EQ(info.audioCodec, "aac");
  }

  // --- WHEP clients that are not browsers ------------------------------------------------------
  // A strict offer of main (4d001f without level-asymmetry, as GStreamer or OBS make it) once
  // aborted the daemon inside webrtcbin; a constrained-baseline-only offer (as Firefox can
  // make it) is served the same encode.
  auto expectPlayed = [&](BridgeViewer& v, const std::string& what) {
    const auto status = v.waitFor(30s);
    ASSERT_TRUE(status.has_value()) << what << " still running\n" << v.text();
    EXPECT_EQ(*status, 0) << what << "\n" << v.text();
    EXPECT_EQ(v.joined(), 1u) << what << "\n" << v.text();
    const json last = v.lastStats(0);
    // 2 s of watching after the first picture: 60 frames at 30 fps; at least half of them,
    // as the test's own decoders share the two cores with the daemon, Janus and Chromium.
    EXPECT_GE(last.value("frames", 0), 30) << what << " " << last;
    EXPECT_EQ(last.value("width", 0), 1280) << what << " " << last;
    EXPECT_EQ(last.value("height", 0), 720) << what << " " << last;
    EXPECT_GT(last.value("audio", 0), 0) << what << ": no sound " << last;
    for (const auto& e : v.events("joined"))
      std::cout << "[ bridge   ] " << what << ": first picture " << e.value("join_ms", 0)
                << " ms after it started, " << last.value("frames", 0) << " decoded\n";
  };
  {
    const std::string whep = "http://127.0.0.1:" + std::to_string(port) + "/whep/ba-to";
    const std::vector<std::string> common{"--whep",
                                          whep,
                                          "--token-file",
                                          (dir / "ba-to.token").string(),
                                          "--decode",
                                          "--seconds",
                                          "2",
                                          "--stats-ms",
                                          "500"};
    auto with = [&](std::vector<std::string> extra) {
      extra.insert(extra.begin(), common.begin(), common.end());
      return extra;
    };
    BridgeViewer strictMain(dir, "whep-main", with({"--profile-level-id", "4d001f"}));
    BridgeViewer baselineOnly(dir, "whep-baseline", with({"--profile-level-id", "42e01f"}));
    expectPlayed(strictMain, "a strict main-profile WHEP offer");
    expectPlayed(baselineOnly, "a baseline-only WHEP offer");
    ASSERT_TRUE(daemon.running()) << context();
  }

  // --- the national tier: the programme pushed once to Janus, which fans it out ---------------
  {
    BridgeViewer viaJanus(dir, "janus",
                          {"--janus", janus.api(), "--mountpoint", "1", "--decode", "--seconds",
                           "2", "--stats-ms", "500"});
    expectPlayed(viaJanus, "a viewer of Janus's streaming mountpoint");
    const std::string relayed = httpRequest(port, "GET", "/metrics").body;
    EXPECT_NE(relayed.find("ceremonyd_bridge_relay_packets_total{media=\"video\"}"),
              std::string::npos);
  }

  // --- the browser dies without a goodbye: the point goes down ---------------------------------
  const auto killed = Steady::now();
  chromium->process().kill();
  page.reset();
  chromium.reset();
  // No RTCP for 8 s (the report timeout, daemon/health/README.md) ends the session's good
  // reports; 3 failed probes at 500 ms make it down: the promise is about 9.5 s.
  const auto downDeadline = killed + 12s;
  for (;;) {
    point = api("/api/points/nghia-hanh");
    if (point.value("state", "") == "down") break;
    ASSERT_LT(Steady::now(), downDeadline) << point.dump(1) << context();
    std::this_thread::sleep_for(100ms);
  }
  const double downSeconds = std::chrono::duration<double>(Steady::now() - killed).count();
  std::cout << "[ bridge   ] browser killed → point down in " << downSeconds << " s ("
            << point.value("reason", "") << ")\n";
  EXPECT_NE(point.value("reason", "").find("receiver report"), std::string::npos) << point;

  // --- the programme lost nothing; no secret leaked ------------------------------------------
  const json outputs = api("/api/outputs");
  ASSERT_TRUE(outputs.is_array()) << outputs;
  for (const auto& o : outputs)
    if (o.value("kind", "") == "rtmp") {
      EXPECT_EQ(o.value("reconnects", -1), 0) << o;
    }
  const std::string events = httpRequest(port, "GET", "/api/events?limit=1000", operatorToken).body;
  daemon.signal(SIGTERM);
  ASSERT_TRUE(daemon.waitFor(20s).has_value()) << context();
  for (const auto& token : {nghiaHanh, baTo, tuNghia}) {
    EXPECT_EQ(daemon.log().find(token), std::string::npos) << "a point's token in the log";
    EXPECT_EQ(events.find(token), std::string::npos) << "a point's token in the events";
  }
  MediaProbe probe(dir.path());
  const auto files = recordingFiles(dir / "rec");
  ASSERT_FALSE(files.empty());
  const auto times = probe.videoFrameTimes(files.front());
  ASSERT_GT(times.size(), 300u);
  const double gap = largestGap(times, 1.0);
  std::cout << "[ bridge   ] " << times.size() << " programme frames recorded, largest gap " << gap
            << " s (viewers churned for " << churnSeconds << " s)\n";
  EXPECT_LT(gap, 0.1) << "the programme dropped frames while viewers came and went";
}

}  // namespace
}  // namespace ceremony::testing
