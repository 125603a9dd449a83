#pragma once
// nginx with the RTMP module as the stand-in for Facebook's ingest: a loopback RTMP server
// whose application `live` records every published stream to <dir>/rtmp/<name>.flv and lets
// it be played; optionally an RTMPS front (nginx stream module, TLS with a self-signed
// certificate made at test time) that forwards to it, as Facebook's rtmps://…:443 would.
// nginx runs as a plain foreground process (no master, no root paths) owned by the test.

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "FreePort.h"
#include "Process.h"

namespace ceremony::testing {

class NginxRtmp {
 public:
  struct Options {
    bool tls = false;  // also start the RTMPS front
  };

  NginxRtmp(const std::filesystem::path& dir, Options options) : dir_(dir / "nginx") {
    namespace fs = std::filesystem;
    fs::create_directories(dir_ / "rtmp");
    const auto ports = freePorts(2);
    rtmpPort_ = ports[0];
    if (options.tls) {
      rtmpsPort_ = ports[1];
      makeCertificate();
    }
    writeText(dir_ / "nginx.conf", config(options));
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.string() + "/", "-c",
                                 (dir_ / "nginx.conf").string(), "-e",
                                 (dir_ / "error.log").string()},
        ProcessOptions{dir_ / "nginx.out", {}, {}, dir_});
  }
  explicit NginxRtmp(const std::filesystem::path& dir) : NginxRtmp(dir, Options{}) {}

  // The ingest goes away (SIGKILL, like a dead server or a cut line) ...
  void kill() { process_->kill(); }
  // ... and comes back on the same ports with the same configuration.
  void restart() {
    process_->kill();
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.string() + "/", "-c",
                                 (dir_ / "nginx.conf").string(), "-e",
                                 (dir_ / "error.log").string()},
        ProcessOptions{dir_ / "nginx.out", {}, {}, dir_});
  }

  // Bounded poll until every port accepts connections; throws with nginx's log otherwise.
  void waitReady(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (
        !(acceptsConnections(rtmpPort_) && (rtmpsPort_ == 0 || acceptsConnections(rtmpsPort_)))) {
      if (auto status = process_->exitStatus())
        throw std::runtime_error("nginx exited with " + std::to_string(*status) + ":\n" + logs());
      if (std::chrono::steady_clock::now() >= deadline)
        throw std::runtime_error("nginx not listening after timeout:\n" + logs());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  int rtmpPort() const { return rtmpPort_; }
  int rtmpsPort() const { return rtmpsPort_; }  // 0 without the TLS front
  std::string rtmpUrl(const std::string& stream) const {
    return "rtmp://127.0.0.1:" + std::to_string(rtmpPort_) + "/live/" + stream;
  }
  std::string rtmpsUrl(const std::string& stream) const {
    if (rtmpsPort_ == 0) throw std::logic_error("NginxRtmp started without the TLS front");
    return "rtmps://127.0.0.1:" + std::to_string(rtmpsPort_) + "/live/" + stream;
  }
  std::filesystem::path recordedFile(const std::string& stream) const {
    return dir_ / "rtmp" / (stream + ".flv");
  }
  std::filesystem::path certificate() const { return dir_ / "cert.pem"; }
  std::string errorLog() const { return readText(dir_ / "error.log"); }
  std::string logs() const { return tailOf(errorLog(), 40) + tailOf(readText(dir_ / "nginx.out")); }

  // nginx logs `publish: name='x'` on the connection `*N`, and `*N disconnect` when the
  // publisher leaves; the recording is complete only then.
  bool published(const std::string& stream) const { return !publisher(stream).empty(); }
  // How many times `stream` was published so far (a reconnect publishes again).
  std::size_t publishes(const std::string& stream) const {
    const std::string log = errorLog(), needle = " publish: name='" + stream + "'";
    std::size_t n = 0;
    for (auto p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
    return n;
  }
  bool waitForPublish(const std::string& stream, std::chrono::milliseconds timeout) const {
    return pollLog(timeout, [&] { return published(stream); });
  }
  bool waitForPublishEnd(const std::string& stream, std::chrono::milliseconds timeout) const {
    return pollLog(timeout, [&] {
      const auto connection = publisher(stream);
      return !connection.empty() &&
             errorLog().find(connection + " disconnect") != std::string::npos;
    });
  }

 private:
  // "*7" for the last connection that published `stream`, empty if none did.
  std::string publisher(const std::string& stream) const {
    const std::string needle = " publish: name='" + stream + "'";
    const auto log = errorLog();
    const auto at = log.rfind(needle);
    if (at == std::string::npos) return {};
    const auto star = log.rfind('*', at);
    return star == std::string::npos ? std::string{} : log.substr(star, at - star);
  }

  template <typename Done>
  static bool pollLog(std::chrono::milliseconds timeout, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  void makeCertificate() {
    const auto result =
        runToEnd({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                  "/CN=127.0.0.1", "-days", "1", "-keyout", (dir_ / "key.pem").string(), "-out",
                  (dir_ / "cert.pem").string()},
                 dir_, std::chrono::seconds(30));
    if (!result.ok()) throw std::runtime_error("openssl req failed: " + result.describe());
  }

  std::string config(const Options& options) const {
    const std::string d = dir_.string();
    std::string conf =
        "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n"
        "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
        "daemon off;\n"
        "master_process off;\n"
        "worker_processes 1;\n"
        "pid " +
        d +
        "/nginx.pid;\n"
        "error_log " +
        d +
        "/error.log info;\n"
        "events { worker_connections 128; }\n"
        "rtmp {\n"
        "  server {\n"
        "    listen 127.0.0.1:" +
        std::to_string(rtmpPort_) +
        ";\n"
        "    chunk_size 4096;\n"
        "    application live {\n"
        "      live on;\n"
        "      record all;\n"
        "      record_path " +
        d +
        "/rtmp;\n"
        "      record_unique off;\n"
        "      allow publish 127.0.0.1;\n"
        "      deny publish all;\n"
        "      allow play 127.0.0.1;\n"
        "    }\n"
        "  }\n"
        "}\n";
    if (options.tls)
      conf +=
          "stream {\n"
          "  server {\n"
          "    listen 127.0.0.1:" +
          std::to_string(rtmpsPort_) +
          " ssl;\n"
          "    ssl_certificate " +
          d +
          "/cert.pem;\n"
          "    ssl_certificate_key " +
          d +
          "/key.pem;\n"
          "    proxy_pass 127.0.0.1:" +
          std::to_string(rtmpPort_) +
          ";\n"
          "  }\n"
          "}\n";
    return conf;
  }

  std::filesystem::path dir_;
  int rtmpPort_ = 0;
  int rtmpsPort_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ceremony::testing
