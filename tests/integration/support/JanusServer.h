#pragma once
// Janus (Debian's janus package) on loopback with only its streaming plugin and HTTP API:
// the media-server tier a national event pushes the programme to. One "rtp" mountpoint
// (id 1) takes H.264 (pt 96) and Opus (pt 111) on two UDP ports, as ceremonyd's
// [bridge] relay_video / relay_audio send them.
//
//   JanusServer janus(dir.path());
//   janus.waitReady();
//   config += "relay_video = \"127.0.0.1:" + std::to_string(janus.videoPort()) + "\"";
//   janus.api()  // "http://127.0.0.1:PORT/janus", for tests/tools/bridge_viewer --janus

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/FreePort.h"
#include "support/Process.h"

namespace ceremony::testing {

class JanusServer {
 public:
  explicit JanusServer(const std::filesystem::path& dir) : root_(dir / "janus") {
    const auto ports = freePorts(3);
    httpPort_ = ports[0];
    videoPort_ = ports[1];
    audioPort_ = ports[2];
    namespace fs = std::filesystem;
    const fs::path lib = "/usr/lib/x86_64-linux-gnu/janus";
    for (const char* sub : {"conf", "plugins", "transports", "none"})
      fs::create_directories(root_ / sub);
    // Janus loads every plugin in its folder: a folder with only the two it needs.
    fs::create_symlink(lib / "plugins/libjanus_streaming.so",
                       root_ / "plugins/libjanus_streaming.so");
    fs::create_symlink(lib / "transports/libjanus_http.so", root_ / "transports/libjanus_http.so");
    const std::string r = root_.string();
    writeText(root_ / "conf/janus.jcfg",
              "general: {\n  configs_folder = \"" + r + "/conf\"\n  plugins_folder = \"" + r +
                  "/plugins\"\n  transports_folder = \"" + r +
                  "/transports\"\n  events_folder = \"" + r + "/none\"\n  loggers_folder = \"" + r +
                  "/none\"\n  debug_level = 3\n}\nmedia: {}\nnat: {}\n");
    writeText(root_ / "conf/janus.transport.http.jcfg",
              "general: { json = \"plain\" base_path = \"/janus\" http = true ip = \"127.0.0.1\" "
              "port = " +
                  std::to_string(httpPort_) + " https = false }\nadmin: { admin_http = false }\n");
    writeText(root_ / "conf/janus.plugin.streaming.jcfg",
              "general: {}\nprogramme: {\n  type = \"rtp\"\n  id = 1\n  description = "
              "\"ceremonyd programme\"\n  media = (\n    { type = \"video\" mid = \"v\" port = " +
                  std::to_string(videoPort_) +
                  " pt = 96 codec = \"h264\" fmtp = \"profile-level-id=4d001f;"
                  "packetization-mode=1\" },\n    { type = \"audio\" mid = \"a\" port = " +
                  std::to_string(audioPort_) + " pt = 111 codec = \"opus\" }\n  )\n}\n");
    if (!fs::exists("/usr/bin/janus"))
      throw std::runtime_error("janus is not installed: run `make deps` (deps/packages.txt)");
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/janus", "-C", r + "/conf/janus.jcfg", "-F", r + "/conf",
                                 "-o"},
        ProcessOptions{root_ / "janus.log"});
  }

  // True once its HTTP API answers (Janus starts in well under a second).
  bool waitReady(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (!process_->running()) return false;
      if (acceptsConnections(httpPort_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string api() const { return "http://127.0.0.1:" + std::to_string(httpPort_) + "/janus"; }
  int videoPort() const { return videoPort_; }
  int audioPort() const { return audioPort_; }
  Process& process() { return *process_; }

 private:
  std::filesystem::path root_;
  int httpPort_ = 0, videoPort_ = 0, audioPort_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ceremony::testing
