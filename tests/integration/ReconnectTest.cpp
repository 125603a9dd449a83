// The ingest goes away for 10 s mid-stream (nginx killed, as a dead server or a cut line)
// and comes back: the daemon says "reconnecting", republishes within 2 s of the server's
// return, and the recording has no gap meanwhile.
#include <gtest/gtest.h>

#include <chrono>
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

TEST(Reconnect, AServerThatComesBackIsFedAgainWithinTwoSecondsAndTheRecordingHasNoGap) {
  TempDir dir("reconnect");
  NginxRtmp nginx(dir.path());
  nginx.waitReady();
  std::string config = readText(kData / "programme.toml");
  const auto last = config.rfind("duration = \"6s\"");
  config.replace(last, 15, "duration = \"600s\"");
  writeText(dir.path() / "prog.toml", config);
  const int port = freePort();
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir.path() / "prog.toml").string(), "--rehearsal=1",
       "--listen", "127.0.0.1:" + std::to_string(port), "--rtmp", nginx.rtmpUrl("lai")},
      {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 30) + nginx.logs(); };
  auto outputState = [&] {
    const json outs = json::parse(
        httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/api/outputs").body, nullptr,
        false);
    if (outs.is_array())
      for (const auto& o : outs)
        if (o.value("id", "") == "rtmp-1") return o;
    return json::object();
  };
  ASSERT_TRUE(nginx.waitForPublish("lai", 15s)) << context();
  std::this_thread::sleep_for(3s);

  nginx.kill();
  const auto cut = Clock::now();
  std::string seen;
  while (Clock::now() - cut < 10s) {
    const json o = outputState();
    if (o.value("state", "") == "reconnecting") seen = "reconnecting";
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(seen, "reconnecting") << outputState() << context();

  const std::size_t publishesBefore = nginx.publishes("lai");
  nginx.restart();
  nginx.waitReady();
  const auto back = Clock::now();
  while (Clock::now() - back < 10s && nginx.publishes("lai") == publishesBefore)
    std::this_thread::sleep_for(20ms);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back);
  std::cout << "[ measured ] server back → publishing again: " << took.count() << " ms\n";
  EXPECT_GT(nginx.publishes("lai"), publishesBefore) << context();
  EXPECT_LT(took, 2s) << context();
  std::this_thread::sleep_for(3s);
  // The events tell the outage and the return, never a stop: the old pipeline of the
  // destination is finished as the new one starts, and its end is not the destination's.
  const json events =
      json::parse(httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/api/events").body,
                  nullptr, false);
  std::string told;  // oldest first, to the second
  if (events.is_object())
    for (const auto& e : events.value("events", json::array()))
      if (e.value("kind", "") == "output" && e.value("output", "") == "rtmp-1")
        told = e.value("state", "") + " " + told;
  std::cout << "[ measured ] the destination's events, oldest first: " << told << "\n";
  EXPECT_NE(told.find("failed"), std::string::npos) << told;
  EXPECT_EQ(told.find("stopped"), std::string::npos) << told;
  const json o = outputState();
  EXPECT_EQ(o.value("state", ""), "live") << o;
  EXPECT_GE(o.value("reconnects", 0), 1) << o;
  EXPECT_EQ(daemon.stop(10s), 0) << context();

  // The recording went on through the outage.
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const MediaProbe probe(dir.path());
  const auto frames = probe.videoFrameTimes(files[0]);
  ASSERT_GT(frames.size(), 300u);
  const double worst = largestGap(frames);
  EXPECT_LT(worst, 0.1) << "the recording has a gap of " << worst << " s";
}

}  // namespace
}  // namespace ceremony::testing
