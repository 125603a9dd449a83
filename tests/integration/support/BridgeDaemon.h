#pragma once
// What the bridge's integration tests share: a connection point that watches over the bridge
// (its [[points]] table), and ceremonyd started with an operator token and an RTMP
// destination, waited for until its API listens and nginx-rtmp sees it publish.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/FreePort.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"

namespace ceremony::testing {

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
