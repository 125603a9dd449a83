// What viewers hear and see ([watch]), on one daemon and a real SRT sender (ffmpeg), as an
// operator would notice it:
//   - the speech's sound stops mid-item: an alert naming the item within silence_after; the
//     same silence through a film and through an item that says expect_sound = false: none;
//   - a sine of known level: the daemon's integrated loudness is within 0.5 LU of what
//     ffmpeg's ebur128 reads on the recording; the hall input's meter reads its tone;
//   - the sender keeps sending the same frame: the hall goes to its card within
//     freeze_after and comes back when motion returns, on the API and on the recording.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include "HealthPeers.h"
#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/MediaProbe.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

// The sender's file (seconds from its start): a 1 kHz tone at -18 dBFS until kToneEnds, then
// silence; moving pictures except from kFreezeFrom to kFreezeTo (the same frame repeated).
constexpr double kToneEnds = 5;
constexpr double kFreezeFrom = 14, kFreezeTo = 22;
constexpr double kSenderLength = 34;
constexpr double kSilenceAfter = 2, kFreezeAfter = 3;

std::string config(int srtPort, const fs::path& film, const std::string& webhook) {
  return R"([event]
title = "Thử nghe và nhìn"
date = "2025-07-28"
timezone = "+07:00"
venue = "Phòng thử nghiệm"

[sources.tone]
kind = "test"
pattern = "ball"
tone_hz = 1000

[sources.hall]
kind = "uri"
uri = "srt://127.0.0.1:)" +
         std::to_string(srtPort) + R"(?mode=listener"
label = "Camera hội trường"

[scenes.tone]
kind = "source"
source = "tone"

[scenes.hall]
kind = "source"
source = "hall"

[scenes.film]
kind = "clip"
file = ")" +
         film.string() +
         R"("

[outputs.ghi]
kind = "record"
directory = "rec"

[watch]
silence_after = "2s"
freeze_after = "3s"

[health]
webhook_url = ")" +
         webhook + R"("

[[timeline]]
id = "chao-mung"
title = "Chào mừng"
start = "09:00"
duration = "5s"
scene = "tone"

[[timeline]]
id = "chi-dao"
title = "Phát biểu chỉ đạo"
duration = "8s"
scene = "hall"

[[timeline]]
id = "phim"
title = "Phim tư liệu"
scene = "film"

[[timeline]]
id = "truc-tiep"
title = "Trực tiếp hội trường"
duration = "12s"
scene = "hall"
expect_sound = false
)";
}

// Blue fills the film's frames.
bool isBlue(const ColourGrid& g) {
  const Rgb a = g.average();
  return a.b > 150 && a.r < 60 && a.g < 60;
}

// The time of day (seconds) of the last log line holding `needle`: "2026-12-06 19:18:23.625 …".
std::optional<double> loggedAt(const std::string& log, const std::string& needle) {
  const auto at = log.rfind(needle);
  if (at == std::string::npos) return std::nullopt;
  const auto line = log.rfind('\n', at);
  const std::string stamp = log.substr(line == std::string::npos ? 0 : line + 1, 23);
  int h = 0, m = 0;
  double sec = 0;
  if (std::sscanf(stamp.c_str() + 11, "%d:%d:%lf", &h, &m, &sec) != 3) return std::nullopt;
  return h * 3600 + m * 60 + sec;
}

std::optional<double> integratedLoudness(const std::string& ebur128Log) {
  static const std::regex summary(R"(Integrated loudness:\s*I:\s*(-?[0-9.]+) LUFS)");
  std::smatch m;
  if (!std::regex_search(ebur128Log, m, summary)) return std::nullopt;
  return std::stod(m[1]);
}

TEST(Watch, SilenceNamedByItemLoudnessAsFfmpegReadsItAndAFrozenFeedOnItsCard) {
  TempDir dir("watch");
  const fs::path logs = dir.path();
  const auto timeout = 60000ms;
  // The film: 3 s of blue with digital silence. The sender's file: see the constants.
  ASSERT_TRUE(runToEnd({"ffmpeg",
                        "-nostdin",
                        "-v",
                        "error",
                        "-f",
                        "lavfi",
                        "-i",
                        "color=c=blue:s=640x360:r=30:d=3",
                        "-f",
                        "lavfi",
                        "-i",
                        "anullsrc=r=48000:cl=stereo",
                        "-t",
                        "3",
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:a",
                        "aac",
                        (dir.path() / "phim.mp4").string()},
                       logs, timeout)
                  .ok());
  const std::string freeze =
      "[0:v]split[a][b];[a][b]freezeframes=first=" + std::to_string(int(kFreezeFrom * 30)) +
      ":last=" + std::to_string(int(kFreezeTo * 30) - 1) +
      ":replace=" + std::to_string(int(kFreezeFrom * 30)) + "[v]";
  const auto made = runToEnd(
      {"ffmpeg",
       "-nostdin",
       "-v",
       "error",
       "-f",
       "lavfi",
       "-i",
       "testsrc2=s=640x360:r=30:d=" + std::to_string(int(kSenderLength)),
       "-f",
       "lavfi",
       "-i",
       "sine=f=1000:r=48000:d=" + std::to_string(int(kToneEnds)) +
           ",apad=whole_dur=" + std::to_string(int(kSenderLength)) + ",pan=stereo|c0=c0|c1=c0",
       "-vf",
       freeze,
       "-c:v",
       "libx264",
       "-preset",
       "ultrafast",
       "-g",
       "15",
       "-pix_fmt",
       "yuv420p",
       "-c:a",
       "aac",
       "-b:a",
       "128k",
       "-f",
       "mpegts",
       (dir.path() / "hall.ts").string()},
      logs, timeout);
  ASSERT_TRUE(made.ok()) << made.describe();

  // The technical team's phone: a webhook receiver on loopback.
  boost::asio::io_context io;
  HttpReceiver webhook(io, [](const HttpReceiver::Request&) { return 200u; });
  auto work = boost::asio::make_work_guard(io);
  std::thread ioThread([&] { io.run(); });
  struct Join {
    boost::asio::io_context& io;
    std::thread& t;
    ~Join() {
      io.stop();
      if (t.joinable()) t.join();
    }
  } join{io, ioThread};
  const auto ports = freePorts(2);
  writeText(dir.path() / "show.toml",
            config(ports[1], dir.path() / "phim.mp4", webhook.url("/alerts")));
  const std::string api = "http://127.0.0.1:" + std::to_string(ports[0]);
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir.path() / "show.toml").string(), "--rehearsal=1",
       "--exit-when-done", "--fresh", "--state-dir", (dir.path() / "state").string(), "--listen",
       "127.0.0.1:" + std::to_string(ports[0])},
      {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 40); };
  auto status = [&] {
    return json::parse(httpCall("GET", api + "/api/status").body, nullptr, false);
  };
  auto hall = [&] {
    const json st = status();
    if (st.is_object() && st.contains("inputs"))
      for (const auto& in : st["inputs"])
        if (in.value("id", "") == "hall") return in;
    return json::object();
  };
  auto waitFor = [&](const std::string& state, std::chrono::milliseconds within) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      if (hall().value("state", "") == state) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  const auto up = Clock::now() + 15s;
  while (Clock::now() < up && httpCall("GET", api + "/api/status").status != 200)
    std::this_thread::sleep_for(50ms);

  // No caller yet: the hall shows its card (an input is "running" until its first timeout).
  const auto waiting = Clock::now() + 5s;
  while (Clock::now() < waiting && hall().value("state", "running") == "running")
    std::this_thread::sleep_for(20ms);
  ASSERT_NE(hall().value("state", "running"), "running") << hall() << context();
  // The hall's encoder calls in while the opening tone plays.
  Process sender({"ffmpeg", "-nostdin", "-v", "error", "-re", "-i",
                  (dir.path() / "hall.ts").string(), "-c", "copy", "-f", "mpegts",
                  "srt://127.0.0.1:" + std::to_string(ports[1]) + "?mode=caller&pkt_size=1316"},
                 {dir.path() / "sender.log"});
  ASSERT_TRUE(waitFor("running", 5s)) << hall() << context() << sender.log();
  const auto senderZero = Clock::now();  // its first frame is on the programme's side

  // The opening tone: the programme's meters read it (a 1 kHz sine at 0.2: -14 LUFS) once
  // its 400 ms window is full of it.
  json sound;
  for (const auto until = Clock::now() + 2s; Clock::now() < until;) {
    const json st = status();
    if (!st["current"].is_object() || st["current"].value("id", "") != "chao-mung") break;
    sound = st["sound"];
    if (sound["momentary_lufs"].is_number() && sound["momentary_lufs"].get<double>() > -15) break;
    std::this_thread::sleep_for(100ms);
  }
  if (!sound.is_null()) {
    ASSERT_TRUE(sound["momentary_lufs"].is_number()) << sound;
    EXPECT_NEAR(sound["momentary_lufs"].get<double>(), -14.0, 0.5) << sound;
  }
  // The hall's meter reads its tone (-18 dBFS peak, -21 dBFS RMS) while it is not on air.
  std::this_thread::sleep_for(500ms);
  const json level = hall()["level"];
  ASSERT_TRUE(level.is_object() && level["rms_db"].is_number()) << hall();
  EXPECT_NEAR(level["rms_db"].get<double>(), -21.0, 1.5) << level;
  EXPECT_NEAR(level["peak_db"].get<double>(), -18.0, 1.5) << level;

  // The speech's silence: an alert silence_after after the tone stopped (on the sender's
  // clock). Then the freeze: its card within freeze_after of the first repeated frame.
  std::optional<double> alertAfter;
  const auto frozenBy =
      senderZero + std::chrono::milliseconds(int((kFreezeFrom + kFreezeAfter) * 1000)) + 2s;
  for (int n = 0; Clock::now() < frozenBy && hall().value("state", "") != "frozen"; ++n) {
    if (!alertAfter && n % 5 == 0 &&
        httpCall("GET", api + "/api/events?limit=20").body.find("Không có tiếng trong") !=
            std::string::npos)
      alertAfter = seconds(Clock::now() - senderZero) - kToneEnds;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(alertAfter) << "no silence alert during the speech: " << context();
  std::cout << "[ measured ] the speech's tone stopped → the silence alert: "
            << std::lround(*alertAfter * 1000) << " ms (silence_after " << kSilenceAfter << " s)\n";
  // Beyond silence_after: the momentary window (0.4 s), a reading every 0.25 s, and how much
  // later than its picture the input's sound reaches the mixer (about 0.6 s with ffmpeg's
  // MPEG-TS interleaving: live inputs hand both on as they arrive). The clock here is the
  // sender's picture.
  EXPECT_GE(*alertAfter, kSilenceAfter);
  EXPECT_LE(*alertAfter, kSilenceAfter + 2.0);
  const double frozeAfter = seconds(Clock::now() - senderZero) - kFreezeFrom;
  ASSERT_EQ(hall().value("state", ""), "frozen") << hall() << context();
  std::cout << "[ measured ] the sender's first repeated frame → the hall frozen: "
            << std::lround(frozeAfter * 1000) << " ms (freeze_after " << kFreezeAfter << " s)\n";
  EXPECT_GE(frozeAfter, kFreezeAfter - 0.5);
  EXPECT_LE(frozeAfter, kFreezeAfter + 1.0);
  const std::string metrics = httpCall("GET", api + "/metrics").body;
  EXPECT_NE(metrics.find("ceremonyd_input_picture{input=\"hall\",state=\"frozen\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("ceremonyd_programme_loudness_lufs{window=\"integrated\"} -1"),
            std::string::npos)
      << metrics;
  // Motion again: the hall is back at once (not rebuilt: the same sender goes on).
  ASSERT_TRUE(
      waitFor("running",
              std::chrono::milliseconds(int((kFreezeTo - frozeAfter - kFreezeFrom) * 1000)) + 3s))
      << hall() << context();
  const double movedAfter = seconds(Clock::now() - senderZero) - kFreezeTo;
  std::cout << "[ measured ] the sender's first moving frame → the hall back: "
            << std::lround(movedAfter * 1000) << " ms\n";
  EXPECT_LE(movedAfter, 1.0);
  EXPECT_EQ(hall().value("restarts", -1), 0) << hall();
  // What the daemon measured of the whole programme; nothing loud is left to come.
  sound = status()["sound"];
  ASSERT_TRUE(sound["integrated_lufs"].is_number()) << sound;
  const double daemonIntegrated = sound["integrated_lufs"].get<double>();

  ASSERT_TRUE(daemon.waitFor(40s).has_value()) << context();
  sender.kill();

  // The alerts, as the operators' event list has them (the journal keeps them too).
  const std::string log = daemon.log();
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("Không có tiếng trong mục 2: Phát biểu chỉ đạo (đã 2 s)"), 1u) << context();
  EXPECT_EQ(count("Hết mục 2: Phát biểu chỉ đạo, không có tiếng"), 1u) << context();
  EXPECT_EQ(count("Không có tiếng trong"), 1u)
      << "the film's or the live item's silence alerted: " << context();
  // A live input beside a generated source no longer floods the operators' events with the
  // compositor's latency warnings (about 70 a second before).
  EXPECT_EQ(count("clock problem"), 0u) << context();
  // The webhook got the alert and its end, naming the item.
  io.stop();
  ioThread.join();
  std::vector<json> sounds;
  for (const auto& r : webhook.requests()) {
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_object() && body.value("type", "") == "sound") sounds.push_back(body);
  }
  ASSERT_EQ(sounds.size(), 2u) << "webhook: " << webhook.requests().size() << " requests";
  EXPECT_EQ(sounds[0].value("alert", ""), "silence") << sounds[0];
  EXPECT_EQ(sounds[0]["item"].value("number", 0), 2) << sounds[0];
  EXPECT_EQ(sounds[0].value("text", ""), "Không có tiếng trong mục 2: Phát biểu chỉ đạo (đã 2 s)");
  EXPECT_EQ(sounds[1].value("alert", ""), "silence_over") << sounds[1];
  // The journal keeps it for the report.
  const std::string journal = readText(dir.path() / "state" / "journal.jsonl");
  EXPECT_NE(journal.find("\"alert\":\"silence\""), std::string::npos) << journal.substr(0, 2000);

  // The loudness: what the daemon measured, and what ffmpeg's ebur128 reads on the recording.
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const auto ebur = runToEnd({"ffmpeg", "-nostdin", "-nostats", "-i", files[0].string(), "-vn",
                              "-af", "ebur128=peak=true", "-f", "null", "-"},
                             logs, timeout);
  const auto ffmpegIntegrated = integratedLoudness(ebur.err);
  ASSERT_TRUE(ffmpegIntegrated) << ebur.err.substr(ebur.err.size() > 3000 ? ebur.err.size() - 3000
                                                                          : 0);
  std::cout << "[ measured ] integrated loudness: ceremonyd " << daemonIntegrated
            << " LUFS, ffmpeg ebur128 on the recording " << *ffmpegIntegrated << " LUFS\n";
  EXPECT_NEAR(daemonIntegrated, *ffmpegIntegrated, 0.5);

  // The recording: after the blue film, the frozen hall's card, then the hall moving again.
  const MediaProbe probe(dir.path());
  const auto track = probe.colourTrack(files[0]);
  std::size_t i = 0;
  while (i < track.size() && !isBlue(track[i].grid)) ++i;
  while (i < track.size() && isBlue(track[i].grid)) ++i;
  ASSERT_LT(i, track.size()) << "no film on the recording";
  const double filmEnd = track[i].time;
  // The hall frozen but not yet found so (at most freeze_after), then its card until it
  // moved again: as long as the daemon logged it, from the later of the item's start and
  // the freeze being found.
  std::size_t card = i;
  while (card < track.size() && !isStandInCard(track[card].grid)) ++card;
  ASSERT_LT(card, track.size()) << "no card where the frozen hall was on air";
  EXPECT_LE(track[card].time - filmEnd, kFreezeAfter + 0.3) << "a still hall stayed on air";
  std::size_t end = card;
  while (end < track.size() && isStandInCard(track[end].grid)) ++end;
  ASSERT_LT(end, track.size()) << "the card never went";
  const double cardSeconds = track[end].time - track[card].time;
  const auto itemStart = loggedAt(log, "Mục 4/4 «Trực tiếp hội trường» bắt đầu");
  const auto frozen = loggedAt(log, "Nguồn hall: hình đứng yên");
  const auto back = loggedAt(log, "Nguồn hall: có tín hiệu trở lại");
  ASSERT_TRUE(itemStart && frozen && back) << context();
  std::cout << "[ measured ] the frozen hall's card on the recording: " << cardSeconds
            << " s; logged: " << *back - std::max(*itemStart, *frozen) << " s\n";
  EXPECT_NEAR(cardSeconds, *back - std::max(*itemStart, *frozen), 0.3)
      << "the card did not last as long as the freeze";
  card = end;
  std::size_t moving = 0;
  for (std::size_t k = card + 1; k < track.size(); ++k)
    if (!isStandInCard(track[k].grid) && !isBlue(track[k].grid)) ++moving;
  EXPECT_GT(moving, 90u) << "the hall did not come back on the recording";
}

}  // namespace
}  // namespace ceremony::testing
