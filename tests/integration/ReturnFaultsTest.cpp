// The return feeds' faults, as the operators learn them (issue 14): four communes send their
// cameras with tests/tools/whip_sender, one daemon run for every question, the technical
// team's webhook on loopback:
//   (a) Nghĩa Hành, on air, whose picture stands still: its card, an event and one alert
//       «Điểm cầu Xã Nghĩa Hành: hình gửi về bị đứng» within a bound;
//   (b) Sơn Hà sends far above its b=AS (noise at 2000 kbit/s, given 200): cut off alone
//       (its session ends), one alert naming both rates; Ba Tơ's feed beside it goes on,
//       the programme keeps its 30 frames a second, and Sơn Hà may call again;
//   (c) Minh Long, off air, ends its session from its page (DELETE): an event, no alert;
//   (d) Ba Tơ, on air and healthy throughout: no alert at all.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "HealthPeers.h"
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

std::string config(int udpPortMin, const std::string& webhook) {
  std::string points;
  for (const auto& [id, name] :
       std::vector<std::pair<std::string, std::string>>{{"nghia-hanh", "Xã Nghĩa Hành"},
                                                        {"ba-to", "Xã Ba Tơ"},
                                                        {"minh-long", "Xã Minh Long"},
                                                        {"son-ha", "Xã Sơn Hà"}})
    points += bridgePointToml(id, name, "0900 000 1" + std::to_string(points.size() % 100));
  return smallProgrammeToml("Kiểm thử hình gửi về hỏng", 30) + R"(
[sources.nghia_hanh]
kind = "point"
point = "nghia-hanh"

[sources.ba_to]
kind = "point"
point = "ba-to"

[sources.minh_long]
kind = "point"
point = "minh-long"

[sources.son_ha]
kind = "point"
point = "son-ha"

[scenes.hai_xa]
kind = "side_by_side"
left = "nghia_hanh"
right = "ba_to"

[outputs.ghi]
kind = "record"
directory = "rec"

[watch]
freeze_after = "2s"

[health]
alert_hold = "0s"
webhook_url = ")" +
         webhook + R"("

[bridge]
max_viewers = 3
return_bitrate_kbps = 200
return_flood_factor = 3
udp_port_min = )" +
         std::to_string(udpPortMin) + R"(
udp_port_max = )" +
         std::to_string(udpPortMin + 19) + "\n" + points + R"(
[[timeline]]
id = "hai-xa"
title = "Cầu truyền hình hai xã"
start = "09:00"
duration = "10m"
scene = "hai_xa"
)";
}

TEST(ReturnFaultsTest, FrozenFloodingAndEndedFeedsAreToldAsTheyShouldBe) {
  const auto began = Steady::now();
  TempDir dir("return-faults");
  NginxRtmp nginx(dir.path(), {});
  nginx.waitReady();
  std::vector<std::string> tokens;
  for (const std::string id : {"nghia-hanh", "ba-to", "minh-long", "son-ha"}) {
    tokens.push_back(randomToken());
    writeText(dir / (id + ".token"), tokens.back() + "\n");
  }
  const std::string operatorToken = randomToken();
  writeText(dir / "operator.token", operatorToken + "\n");

  // The technical team's phone: every alert's body, as it comes.
  boost::asio::io_context io;
  std::mutex alertsMutex;
  std::vector<std::pair<Steady::time_point, json>> alerts;
  HttpReceiver webhook(io, [&](const HttpReceiver::Request& r) {
    std::lock_guard lock(alertsMutex);
    alerts.emplace_back(Steady::now(), json::parse(r.body, nullptr, false));
    return 200u;
  });
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
  // The return_feed alerts of `point` so far, and when each came.
  auto alertsOf = [&](const std::string& point) {
    std::lock_guard lock(alertsMutex);
    std::vector<std::pair<Steady::time_point, json>> out;
    for (const auto& a : alerts)
      if (a.second.is_object() && a.second.value("type", "") == "return_feed" &&
          a.second["point"].value("id", "") == point)
        out.push_back(a);
    return out;
  };
  auto waitAlert = [&](const std::string& point, std::chrono::milliseconds limit) {
    const auto until = Steady::now() + limit;
    while (alertsOf(point).empty() && Steady::now() < until) std::this_thread::sleep_for(50ms);
    return alertsOf(point);
  };

  const int udpPortMin = 52000 + static_cast<int>(::getpid() % 100) * 20;
  writeText(dir / "ceremony.toml", config(udpPortMin, webhook.url("/alerts")));
  const int port = freePorts(1)[0];
  std::string whyNot;
  auto started = startBridgeDaemon(dir.path(), "127.0.0.1", port, nginx, "faults", &whyNot);
  Process& daemon = *started;
  auto context = [&] { return tailOf(daemon.log(), 40); };
  ASSERT_EQ(whyNot, "");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const OperatorApi ops{base, operatorToken};
  auto api = [&](const std::string& target) { return ops.get(target); };
  auto inputState = [&](const std::string& id) { return ops.inputState(id); };
  auto waitState = [&](const std::string& id, const std::string& state,
                       std::chrono::milliseconds limit) { return ops.waitState(id, state, limit); };
  auto returnOf = [&](const std::string& point) { return ops.returnOf(point); };
  auto encoder = [&](const std::string& point, const std::string& colour,
                     std::vector<std::string> more = {}, std::string name = {}) {
    std::vector<std::string> args{"--url",        base + "/whip/" + point,
                                  "--token-file", (dir / (point + ".token")).string(),
                                  "--color",      colour,
                                  "--width",      "320",
                                  "--height",     "180",
                                  "--fps",        "15"};
    args.insert(args.end(), more.begin(), more.end());
    return std::make_unique<WhipSender>(dir.path(), name.empty() ? point : name, args);
  };

  auto frozen = encoder("nghia-hanh", "0xff0000", {"--freeze-after", "2"});
  auto steady = encoder("ba-to", "0x0000ff");
  auto leaving = encoder("minh-long", "0x00ff00", {"--seconds", "3"});
  auto flood = encoder("son-ha", "0xffff00", {"--flood-kbps", "2000"});
  for (auto* e : {frozen.get(), steady.get(), leaving.get(), flood.get()})
    ASSERT_NE(e->waitSending(12s), "") << e->output() << context();
  const auto sending = Steady::now();
  const std::string baToSession = returnOf("ba-to").value("session", "");
  ASSERT_NE(baToSession, "");

  // --- (a) the frozen picture: the card, and one alert -----------------------------------
  // Frozen 2 s after its first picture, told 2 s later (freeze_after), within a second.
  const auto frozenAlerts = waitAlert("nghia-hanh", 10s);
  ASSERT_EQ(frozenAlerts.size(), 1u) << context();
  EXPECT_EQ(frozenAlerts[0].second.value("alert", ""), "frozen") << frozenAlerts[0].second;
  EXPECT_TRUE(frozenAlerts[0].second.value("active", false));
  EXPECT_EQ(frozenAlerts[0].second.value("text", ""),
            "Điểm cầu Xã Nghĩa Hành: hình gửi về bị đứng");
  EXPECT_EQ(frozenAlerts[0].second["point"].value("contact_phone", "").substr(0, 9), "0900 000 ");
  std::cout << "[ measured ] sending → the frozen alert: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(frozenAlerts[0].first -
                                                                     sending)
                   .count()
            << " ms\n";
  EXPECT_EQ(waitState("nghia_hanh", "frozen", 2s), "frozen") << context();

  // --- (b) the flood: cut off alone, one alert --------------------------------------------
  const auto floodAlerts = waitAlert("son-ha", 12s);
  ASSERT_EQ(floodAlerts.size(), 1u) << flood->output() << context();
  const json& f = floodAlerts[0].second;
  EXPECT_EQ(f.value("alert", ""), "flood") << f;
  EXPECT_EQ(f.value("cap_kbps", 0), 200) << f;
  EXPECT_GT(f.value("kbps", 0), 600) << f;
  const std::string text = f.value("text", "");
  EXPECT_EQ(text.rfind("Điểm cầu Xã Sơn Hà: gửi quá băng thông được cấp (", 0), 0u) << text;
  EXPECT_NE(text.find(" kbit/s, được cấp 200 kbit/s), đã ngắt"), std::string::npos) << text;
  std::cout << "[ measured ] sending → the flood cut: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(floodAlerts[0].first - sending)
                   .count()
            << " ms (" << f.value("kbps", 0) << " kbit/s)\n";
  EXPECT_TRUE(returnOf("son-ha").is_null()) << returnOf("son-ha");
  // Ba Tơ beside it: the same session, still receiving, its picture still on.
  const json baTo = returnOf("ba-to");
  EXPECT_EQ(baTo.value("session", ""), baToSession) << baTo;
  const auto baToBytes = baTo.value("bytes_received", 0ull);
  std::this_thread::sleep_for(1500ms);
  EXPECT_GT(returnOf("ba-to").value("bytes_received", 0ull), baToBytes);
  EXPECT_EQ(inputState("ba_to"), "running") << context();
  // Sơn Hà may call again, and is taken.
  auto again = encoder("son-ha", "0x0000ff", {}, "son-ha-again");
  EXPECT_NE(again->waitSending(12s), "") << again->output() << context();

  // --- (c) Minh Long ended its session itself, off air: an event, no alert -----------------
  ASSERT_TRUE(leaving->process().waitFor(5s).has_value()) << leaving->output();
  EXPECT_EQ(*leaving->process().exitStatus(), 0) << leaving->output();
  EXPECT_TRUE(returnOf("minh-long").is_null());
  std::this_thread::sleep_for(3500ms);  // past the 3 s a stopped feed waits to be told
  EXPECT_EQ(alertsOf("minh-long").size(), 0u) << alertsOf("minh-long")[0].second;
  bool endedEvent = false, frozenEvent = false, floodEvent = false;
  const json events = api("/api/events?limit=200");
  ASSERT_TRUE(events.is_object() && events["events"].is_array()) << events;
  for (const auto& e : events["events"]) {
    if (e.value("point", "") == "minh-long" && e.value("what", "") == "return-ended")
      endedEvent = true;
    // The operators' event list has what the webhook had.
    if (e.value("what", "") == "return-alert") {
      EXPECT_NE(e.value("point", ""), "minh-long") << e;
      if (e.value("message", "") == "Điểm cầu Xã Nghĩa Hành: hình gửi về bị đứng")
        frozenEvent = true;
      if (e.value("message", "") == text) floodEvent = true;
    }
  }
  EXPECT_TRUE(endedEvent) << context();
  EXPECT_TRUE(frozenEvent) << context();
  EXPECT_TRUE(floodEvent) << context();

  // --- (d) Ba Tơ, healthy: nothing ----------------------------------------------------------
  EXPECT_EQ(alertsOf("ba-to").size(), 0u) << alertsOf("ba-to")[0].second;
  // Sơn Hà's new session is not held against it: the flood (and at most its end), nothing else.
  for (const auto& a : alertsOf("son-ha"))
    EXPECT_EQ(a.second.value("alert", ""), "flood") << a.second;

  for (auto* e : {frozen.get(), steady.get(), flood.get(), again.get()}) e->process().stop(5s);
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  for (const auto& token : tokens) {
    EXPECT_EQ(daemon.log().find(token), std::string::npos) << "a token was logged";
    for (auto* e : {frozen.get(), steady.get(), leaving.get(), flood.get(), again.get()})
      EXPECT_EQ(e->output().find(token), std::string::npos) << "whip_sender printed a token";
  }
  // The programme kept its 30 frames a second through all of it.
  const auto files = recordingFiles(dir.path() / "rec");
  ASSERT_EQ(files.size(), 1u);
  const auto times = MediaProbe(dir.path()).videoFrameTimes(files[0]);
  ASSERT_GT(times.size(), 150u);
  const double span = times.back() - times.front();
  std::cout << "[ measured ] the recording: " << times.size() << " frames in " << span
            << " s, largest gap " << largestGap(times) << " s\n";
  EXPECT_NEAR((times.size() - 1) / span, 30.0, 0.5);
  EXPECT_LT(largestGap(times), 0.1) << "the programme paused";
  std::cout << "[ measured ] the whole test: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - began).count()
            << " ms\n";
}

}  // namespace
}  // namespace ceremony::testing
