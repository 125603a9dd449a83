// Unattended: a daemon killed with SIGKILL in the middle of an item comes back at that item
// with the operators' adjustments and streams again within 5 s; SIGHUP applies a new
// run-of-show without a gap in the stream and keeps the old one when the new file is bad;
// SIGTERM leaves a recording that plays to the end.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
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

json call(const std::string& method, const std::string& url, const std::string& token,
          const std::string& body = {}) {
  return json::parse(httpCall(method, url, token, body).body, nullptr, false);
}

// The test programme with 20-second items (the clip still ends after its 6 s), streaming to
// a local nginx, with an operator token and a state directory.
struct Rig {
  explicit Rig(const std::string& label) : dir(label), nginx(dir.path()) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    nginx.waitReady();
    std::string config = readText(kData / "programme.toml");
    config = std::regex_replace(config, std::regex("duration = \"6s\""), "duration = \"20s\"");
    writeText(dir.path() / "prog.toml", config);
    writeText(dir.path() / "op.token", "resume-operator-token\n");
    port = freePort();
  }
  ~Rig() { curl_global_cleanup(); }
  std::vector<std::string> argv() const {
    return {CEREMONYD_BINARY,
            "--config",
            (dir.path() / "prog.toml").string(),
            "--rehearsal=1",
            "--state-dir",
            (dir.path() / "state").string(),
            "--listen",
            "127.0.0.1:" + std::to_string(port),
            "--operator-token-file",
            (dir.path() / "op.token").string(),
            "--rtmp",
            nginx.rtmpUrl("resume")};
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  json get(const std::string& path) const {
    return call("GET", url(path), "resume-operator-token");
  }
  json post(const std::string& path, const std::string& body = {}) const {
    return call("POST", url(path), "resume-operator-token", body);
  }
  json waitStatus(const std::function<bool(const json&)>& ok, std::chrono::milliseconds t) const {
    const auto end = Clock::now() + t;
    json s;
    while (Clock::now() < end) {
      s = get("/api/status");
      if (s.is_object() && ok(s)) return s;
      std::this_thread::sleep_for(50ms);
    }
    return s;
  }
  std::size_t publishes() const { return nginx.publishes("resume"); }

  TempDir dir;
  NginxRtmp nginx;
  int port = 0;
};

std::vector<fs::path> recordings(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".mkv") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Resume, AfterSigkillTheDaemonComesBackAtTheSameItemWithTheAdjustmentsAndStreamsWithin5s) {
  Rig rig("resume-kill");
  auto current = [](const json& s) { return s["current"].is_object(); };
  json before;
  {
    Process first(rig.argv(), {rig.dir.path() / "first.log"});
    ASSERT_TRUE(rig.waitStatus(current, 15s)["current"].is_object()) << tailOf(first.log());
    ASSERT_TRUE(rig.nginx.waitForPublish("resume", 10s)) << rig.nginx.logs();
    // Item 2, extended by a minute: what the operators did before the crash.
    ASSERT_EQ(rig.post("/api/timeline/next").value("ok", false), true);
    before = rig.waitStatus(
        [](const json& s) { return s["current"].is_object() && s["current"]["number"] == 2; }, 5s);
    ASSERT_EQ(before["current"]["number"], 2) << before;
    ASSERT_EQ(rig.post("/api/timeline/extend", R"({"seconds":60})").value("ok", false), true);
    before = rig.get("/api/status");
    std::this_thread::sleep_for(1500ms);  // a recording with some seconds in it
    first.signal(SIGKILL);
    ASSERT_TRUE(first.waitFor(5s));
  }
  const auto oldRecordings = recordings(rig.dir.path() / "rec");
  const std::size_t publishedBefore = rig.publishes();

  const auto restarted = Clock::now();
  Process second(rig.argv(), {rig.dir.path() / "second.log"});
  // Streaming again: nginx sees a new publish.
  while (Clock::now() - restarted < 10s && rig.publishes() == publishedBefore)
    std::this_thread::sleep_for(20ms);
  const auto toPublish =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted);
  std::cout << "[ measured ] start after SIGKILL → publishing to the RTMP server: "
            << toPublish.count() << " ms\n";
  EXPECT_GT(rig.publishes(), publishedBefore) << rig.nginx.logs();
  EXPECT_LT(toPublish, 5s);

  const json after = rig.waitStatus(current, 5s);
  ASSERT_TRUE(after["current"].is_object()) << after << tailOf(second.log());
  EXPECT_EQ(after["current"]["id"], before["current"]["id"]);
  EXPECT_EQ(after["current"]["actual_start"], before["current"]["actual_start"]);
  EXPECT_EQ(after["current"]["end"], before["current"]["end"]) << "the extension was lost";
  EXPECT_NE(second.log().find("Tiếp tục sau khi khởi động lại"), std::string::npos);

  // The recording goes on in a new file; the old one, cut by SIGKILL, still plays.
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(second.stop(10s), 0);
  const auto all = recordings(rig.dir.path() / "rec");
  ASSERT_EQ(oldRecordings.size(), 1u);
  ASSERT_EQ(all.size(), 2u);
  const MediaProbe probe(rig.dir.path());
  const auto killed = probe.videoFrameTimes(oldRecordings[0]);
  ASSERT_FALSE(killed.empty()) << "the recording cut by SIGKILL has no frames";
  // ~3.9 s were recorded before the kill; the segmenter (splitmuxsink) writes a GOP once it
  // is whole, so the last one (up to 2 s) is lost with the process.
  EXPECT_GT(killed.back(), 1.5);
  // SIGTERM finalised the new one: it decodes to its end.
  const auto check = probe.readsToEnd(all.back() == oldRecordings[0] ? all.front() : all.back());
  EXPECT_TRUE(check.ok) << check.describe();
}

// Before: this file made the daemon abort on an uncaught nlohmann::type_error at every start
// (systemd restarting it every 2 s, the ceremony never on air).
TEST(Resume, ABadStateFileIsSetAsideAndTheCeremonyGoesOnAirFromTheStart) {
  Rig rig("resume-bad");
  fs::create_directories(rig.dir.path() / "state");
  writeText(rig.dir.path() / "state/run-state.json", R"({"version":"1"})");
  Process daemon(rig.argv(), {rig.dir.path() / "daemon.log"});
  ASSERT_TRUE(rig.nginx.waitForPublish("resume", 10s)) << tailOf(daemon.log());
  const json s = rig.waitStatus([](const json& s) { return s["current"].is_object(); }, 5s);
  EXPECT_EQ(s["current"]["number"], 1) << s;
  EXPECT_NE(daemon.log().find("Trạng thái đã lưu không dùng được"), std::string::npos)
      << tailOf(daemon.log());
  std::vector<fs::path> aside;
  for (const auto& e : fs::directory_iterator(rig.dir.path() / "state"))
    if (e.path().filename().string().rfind("run-state.json.bad-", 0) == 0)
      aside.push_back(e.path());
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(readText(aside[0]), R"({"version":"1"})");
  // The daemon saved a fresh state of its own in its place.
  EXPECT_EQ(daemon.stop(10s), 0);
  EXPECT_EQ(json::parse(readText(rig.dir.path() / "state/run-state.json"))["version"], 1);
}

TEST(Reload, SighupAppliesANewRunOfShowWithoutAGapAndKeepsTheOldOneWhenTheFileIsBad) {
  Rig rig("reload");
  Process daemon(rig.argv(), {rig.dir.path() / "daemon.log"});
  ASSERT_TRUE(
      rig.waitStatus([](const json& s) { return s["current"].is_object(); }, 15s).is_object());
  ASSERT_TRUE(rig.nginx.waitForPublish("resume", 10s)) << rig.nginx.logs();
  ASSERT_EQ(rig.post("/api/timeline/extend", R"({"seconds":30})").value("ok", false), true);
  const std::string endBefore = rig.get("/api/status")["current"]["end"];
  std::this_thread::sleep_for(2s);

  // A valid edit: the last item gets a new title.
  const fs::path file = rig.dir.path() / "prog.toml";
  std::string config = readText(file);
  const auto at = config.find("title = \"Bế mạc\"");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, std::string("title = \"Bế mạc\"").size(), "title = \"Bế mạc và chụp ảnh\"");
  writeText(file, config);
  daemon.signal(SIGHUP);
  json tl;
  for (int i = 0; i < 50; ++i) {
    tl = rig.get("/api/timeline");
    if (tl.is_object() && tl["items"][4]["title"] == "Bế mạc và chụp ảnh") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(tl["items"][4]["title"], "Bế mạc và chụp ảnh");
  EXPECT_EQ(rig.get("/api/status")["current"]["end"], endBefore) << "the extension was lost";
  std::this_thread::sleep_for(2s);

  // A broken file: reported with its line and column, the running plan stays.
  writeText(file, config + "\n[[timeline]]\nid = \"hong\"\nstart = \"25:99\"\n");
  const auto lines = std::count(config.begin(), config.end(), '\n') + 4;
  daemon.signal(SIGHUP);
  const auto end = Clock::now() + 5s;
  while (Clock::now() < end && daemon.log().find("vẫn chạy theo cấu hình cũ") == std::string::npos)
    std::this_thread::sleep_for(50ms);
  const std::string log = daemon.log();
  EXPECT_NE(log.find("vẫn chạy theo cấu hình cũ"), std::string::npos) << tailOf(log);
  EXPECT_NE(log.find("prog.toml:" + std::to_string(lines)), std::string::npos) << tailOf(log);
  EXPECT_EQ(rig.get("/api/timeline")["items"].size(), 5u);
  EXPECT_EQ(rig.get("/api/status")["current"]["end"], endBefore);
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(daemon.stop(10s), 0);

  // One publish, no reconnect, and no hole in the frames nginx received.
  EXPECT_EQ(rig.publishes(), 1u) << rig.nginx.logs();
  ASSERT_TRUE(rig.nginx.waitForPublishEnd("resume", 10s));
  const MediaProbe probe(rig.dir.path());
  const auto frames = probe.videoFrameTimes(rig.nginx.recordedFile("resume"));
  ASSERT_GT(frames.size(), 200u);
  const double worst = largestGap(frames);
  std::cout << "[ measured ] largest gap between frames across two reloads: " << worst * 1000
            << " ms over " << frames.back() << " s\n";
  EXPECT_LT(worst, 0.1);
}

}  // namespace
}  // namespace ceremony::testing
