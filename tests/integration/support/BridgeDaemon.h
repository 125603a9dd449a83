#pragma once
// What the bridge's integration tests share: a connection point that watches over the bridge
// (its [[points]] table), and ceremonyd started with an operator token and an RTMP
// destination, waited for until its API listens and nginx-rtmp sees it publish.

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"

namespace ceremony::testing {

// [event] and [programme] of the bridge's tests: a 640×360 programme, cheap to encode.
inline std::string smallProgrammeToml(const std::string& title, int fps = 25) {
  return "[event]\ntitle = \"" + title +
         "\"\ndate = \"2025-07-28\"\ntimezone = \"+07:00\"\nvenue = \"Phòng thử nghiệm\"\n\n"
         "[programme]\nwidth = 640\nheight = 360\nfps = " +
         std::to_string(fps) + "\nvideo_bitrate_kbps = 1200\nkeyframe_interval_s = 2\n";
}

// The daemon's API as the operators read it, with their token.
struct OperatorApi {
  std::string base;  // "http://127.0.0.1:port"
  std::string token;

  nlohmann::json get(const std::string& target) const {
    return nlohmann::json::parse(httpCall("GET", base + target, token).body, nullptr, false);
  }
  // An input's state in /api/status ("" when it is not there).
  std::string inputState(const std::string& id) const {
    const nlohmann::json st = get("/api/status");
    if (st.is_object() && st["inputs"].is_array())
      for (const auto& i : st["inputs"])
        if (i.value("id", "") == id) return i.value("state", "");
    return {};
  }
  std::string waitState(const std::string& id, const std::string& state,
                        std::chrono::milliseconds limit) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until && inputState(id) != state)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return inputState(id);
  }
  // The point's return session in /api/points (null when none).
  nlohmann::json returnOf(const std::string& point) const {
    const nlohmann::json p = get("/api/points/" + point);
    return p.is_object() && p["return"].is_object() ? p["return"] : nlohmann::json();
  }
  int cut(const std::string& scene) const {
    return httpCall("POST", base + "/api/program/cut", token,
                    nlohmann::json{{"scene", scene}}.dump(), std::chrono::seconds(5),
                    "application/json")
        .status;
  }
};

// A point judged by its bridge session; its token is in "<id>.token" beside the config.
inline std::string bridgePointToml(const std::string& id, const std::string& name,
                                   const std::string& phone) {
  return "\n[[points]]\nid = \"" + id + "\"\nname = \"" + name +
         "\"\nkind = \"xã\"\ncontact_phone = \"" + phone +
         "\"\nprobes = [{ kind = \"bridge\", token_file = \"" + id +
         ".token\", heartbeat_timeout = \"60s\" }]\n";
}

// ceremonyd on `dir`/ceremony.toml, in rehearsal, listening on `host`:`port`, pushing to
// nginx's `stream`, with `extra` arguments. Empty `*whyNot` once it listens and publishes (20 s
// and 15 s at most).
inline std::unique_ptr<Process> startBridgeDaemon(const std::filesystem::path& dir,
                                                  const std::string& host, int port,
                                                  NginxRtmp& nginx, const std::string& stream,
                                                  std::string* whyNot,
                                                  const std::vector<std::string>& extra = {}) {
  using namespace std::chrono_literals;
  std::vector<std::string> argv{CEREMONYD_BINARY,
                                "--config",
                                (dir / "ceremony.toml").string(),
                                "--rehearsal=1",
                                "--listen",
                                host + ":" + std::to_string(port),
                                "--operator-token-file",
                                (dir / "operator.token").string(),
                                "--state-dir",
                                (dir / "state").string(),
                                "--rtmp",
                                nginx.rtmpUrl(stream)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto daemon = std::make_unique<Process>(std::move(argv),
                                          ProcessOptions{dir / "ceremonyd.log", {}, {}, dir});
  const auto upBy = std::chrono::steady_clock::now() + 20s;
  while (!acceptsConnections(port)) {
    if (!daemon->running() || std::chrono::steady_clock::now() > upBy) {
      *whyNot = "ceremonyd did not start listening:\n" + tailOf(daemon->log(), 40);
      return daemon;
    }
    std::this_thread::sleep_for(100ms);
  }
  if (!nginx.waitForPublish(stream, 15s))
    *whyNot = "ceremonyd did not publish to nginx:\n" + tailOf(daemon->log(), 40);
  return daemon;
}

}  // namespace ceremony::testing
