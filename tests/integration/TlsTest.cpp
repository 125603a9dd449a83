// The control API on the province's network: HTTPS when it listens beyond this machine.
//   - over HTTPS from loopback: the API, its live event stream and ceremonyctl (which checks
//     the daemon's certificate against --cacert, and fails without it);
//   - from a commune's own network (a namespace the test makes, when root): plain HTTP gets
//     400 saying to use https://, a heartbeat over HTTPS by the certificate's name turns the
//     point up;
//   - a Host header naming somebody else (DNS rebinding) gets 421;
//   - SIGHUP with a renewed certificate: new connections get it; with a key that does not
//     match, the old pair stays and the API keeps answering;
//   - beyond loopback without a viewer token, or without TLS and without --insecure, or with a
//     key that does not match its certificate: the daemon does not start, and says why.
// Tokens go to curl in header files, never in its arguments; none is in the daemon's log.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/Common.h"
#include "support/FreePort.h"
#include "support/PointNetwork.h"
#include "support/Process.h"
#include "support/RandomToken.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

using Steady = std::chrono::steady_clock;

const char* kName = "dieuhanh.quangngai.test";

// A self-signed certificate `<base>.pem` and its key `<base>.key` for kName, 127.0.0.1 and
// `extraIp` (if any).
void makeCertificate(const TempDir& dir, const std::string& base, const std::string& cn,
                     const std::string& extraIp) {
  std::string san = std::string("subjectAltName=DNS:") + kName + ",IP:127.0.0.1";
  if (!extraIp.empty()) san += ",IP:" + extraIp;
  const RunResult r = runToEnd(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", (dir / (base + ".key")).string(), "-out",
       (dir / (base + ".pem")).string(), "-days", "30", "-subj", "/CN=" + cn, "-addext", san},
      dir.path(), 20s);
  ASSERT_TRUE(r.ok()) << r.describe();
}

struct Answer {
  int status = 0;  // HTTP status; 0 when curl failed
  int curlExit = -1;
  std::string body;
};

// curl (in `prefix`, e.g. a namespace), the response body kept apart from the status.
Answer curl(const TempDir& dir, std::vector<std::string> args,
            const std::vector<std::string>& prefix = {}) {
  static int n = 0;
  const fs::path body = dir / ("curl-body-" + std::to_string(++n));
  std::vector<std::string> argv = prefix;
  for (const char* a : {"curl", "-sS", "--max-time", "8", "-w", "%{http_code}"}) argv.push_back(a);
  argv.push_back("-o");
  argv.push_back(body.string());
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = runToEnd(argv, dir.path(), 15s);
  Answer a;
  a.curlExit = r.exitStatus ? *r.exitStatus : -1;
  a.status = std::atoi(r.out.c_str());
  a.body = readText(body);
  return a;
}

std::string config(const std::string& listen, const std::string& extraApi) {
  return readText(kData / "programme.toml") + "\n[api]\nlisten = \"" + listen +
         "\"\noperator_token_file = \"operator.token\"\n" + extraApi +
         "\n[[points]]\nid = \"nghia-hanh\"\nname = \"Xã Nghĩa Hành\"\nkind = \"xã\"\n"
         "probes = [{ kind = \"heartbeat\", heartbeat_timeout = \"60s\", token_file = "
         "\"nghia-hanh.token\" }]\n";
}

const std::string kTls =
    "tls_certificate_file = \"api.pem\"\ntls_key_file = \"api.key\"\n"
    "viewer_token_file = \"viewer.token\"\n";

TEST(Tls, BeyondLoopbackTheApiSpeaksHttpsAndRefusesCleartextFromElsewhere) {
  TempDir dir("tls");
  std::unique_ptr<PointNetwork> commune;
  if (::geteuid() == 0) {
    commune = std::make_unique<PointNetwork>(dir);
    ASSERT_TRUE(commune->ok()) << readText(dir / "netns-commands.log");
  }
  const std::string hostIp = commune ? commune->hostAddress() : "";
  makeCertificate(dir, "a", "ceremonyd-a", hostIp);
  makeCertificate(dir, "b", "ceremonyd-b", hostIp);
  makeCertificate(dir, "c", "ceremonyd-c", hostIp);
  fs::copy_file(dir / "a.pem", dir / "api.pem");
  fs::copy_file(dir / "a.key", dir / "api.key");
  const std::string viewer = randomToken(), op = randomToken(), point = randomToken();
  writeText(dir / "viewer.token", viewer + "\n");
  writeText(dir / "operator.token", op + "\n");
  writeText(dir / "nghia-hanh.token", point + "\n");
  writeText(dir / "viewer.header", "Authorization: Bearer " + viewer + "\n");
  writeText(dir / "point.header", "Authorization: Bearer " + point + "\n");
  const int port = freePort();
  const std::string p = std::to_string(port);
  writeText(dir / "ceremony.toml",
            config("0.0.0.0:" + p, kTls + "server_names = [\"ceremony.quangngai.gov.vn\"]\n"));
  Process daemon({CEREMONYD_BINARY, "--config", (dir / "ceremony.toml").string(), "--rehearsal=1",
                  "--state-dir", (dir / "state").string()},
                 ProcessOptions{dir / "ceremonyd.log", {}, {}, dir.path()});
  const auto upBy = Steady::now() + 20s;
  while (!acceptsConnections(port) && daemon.running() && Steady::now() < upBy)
    std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(acceptsConnections(port)) << tailOf(daemon.log(), 30);
  auto context = [&] { return tailOf(daemon.log(), 30); };
  const std::string base = "https://127.0.0.1:" + p;
  const std::string ca = (dir / "a.pem").string();
  const std::string viewerHeader = "@" + (dir / "viewer.header").string();

  // HTTPS, checked against the certificate.
  Answer a = curl(dir, {"--cacert", ca, "-H", viewerHeader, base + "/api/status"});
  EXPECT_EQ(a.status, 200) << a.body << context();
  EXPECT_NE(a.body.find("Kiểm thử chương trình"), std::string::npos) << a.body;
  // The live event stream over TLS (the dashboard's): its snapshot arrives.
  a = curl(dir,
           {"--cacert", ca, "-N", "--max-time", "3", "-H", viewerHeader, base + "/api/stream"});
  EXPECT_NE(a.body.find("event: status"), std::string::npos) << a.body.substr(0, 300);
  // ceremonyctl checks the certificate: with --cacert it works, without it refuses.
  const fs::path ctl = fs::path(CEREMONYD_BINARY).parent_path() / "ceremonyctl";
  RunResult r = runToEnd({ctl.string(), "--url", base, "--cacert", ca, "--token-file",
                          (dir / "viewer.token").string(), "status"},
                         dir.path(), 15s);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("Kiểm thử chương trình"), std::string::npos) << r.out;
  r = runToEnd(
      {ctl.string(), "--url", base, "--token-file", (dir / "viewer.token").string(), "status"},
      dir.path(), 15s);
  EXPECT_EQ(r.exitStatus, std::optional<int>(3)) << r.describe();

  // DNS rebinding: a page of another site reaching this address by its own name.
  a = curl(dir, {"--cacert", ca, "-H", "Host: evil.example.com", "-H", viewerHeader,
                 base + "/api/points"});
  EXPECT_EQ(a.status, 421) << a.body;
  EXPECT_EQ(a.body.find("Nghĩa Hành"), std::string::npos) << a.body;
  // The certificate's name and a listed name are this server's.
  a = curl(dir, {"--cacert", ca, "--resolve", std::string(kName) + ":" + p + ":127.0.0.1",
                 "https://" + std::string(kName) + ":" + p + "/"});
  EXPECT_EQ(a.status, 200) << a.body;
  a = curl(dir, {"--cacert", ca, "-H", "Host: ceremony.quangngai.gov.vn", base + "/"});
  EXPECT_EQ(a.status, 200) << a.body;

  // From a commune's own network.
  if (commune) {
    const std::vector<std::string> inCommune = commune->exec();
    a = curl(dir, {"-H", viewerHeader, "http://" + hostIp + ":" + p + "/api/points"}, inCommune);
    EXPECT_EQ(a.status, 400) << a.body;
    EXPECT_NE(a.body.find("https://" + hostIp + ":" + p), std::string::npos) << a.body;
    EXPECT_EQ(a.body.find("Nghĩa Hành"), std::string::npos) << a.body;
    a = curl(dir,
             {"--cacert", ca, "-X", "POST", "-H", "@" + (dir / "point.header").string(),
              "--resolve", std::string(kName) + ":" + p + ":" + hostIp,
              "https://" + std::string(kName) + ":" + p + "/api/points/nghia-hanh/heartbeat"},
             inCommune);
    EXPECT_EQ(a.status, 200) << a.body << context();
    // The monitor decides at its next sweep (every 2 s).
    const auto upBy = Steady::now() + 8s;
    do {
      a = curl(dir, {"--cacert", ca, "-H", viewerHeader, base + "/api/points/nghia-hanh"});
      if (a.body.find("\"state\":\"up\"") != std::string::npos) break;
      std::this_thread::sleep_for(250ms);
    } while (Steady::now() < upBy);
    EXPECT_NE(a.body.find("\"state\":\"up\""), std::string::npos) << a.body;
  } else {
    std::cerr << "not root: the commune's network part is skipped\n";
  }

  // A renewed certificate, then a key that is not its certificate's.
  fs::copy_file(dir / "b.pem", dir / "api.pem", fs::copy_options::overwrite_existing);
  fs::copy_file(dir / "b.key", dir / "api.key", fs::copy_options::overwrite_existing);
  daemon.signal(SIGHUP);
  const std::string caB = (dir / "b.pem").string();
  const auto renewedBy = Steady::now() + 10s;
  do {
    a = curl(dir, {"--cacert", caB, base + "/"});
    if (a.status == 200) break;
    std::this_thread::sleep_for(200ms);
  } while (Steady::now() < renewedBy);
  EXPECT_EQ(a.status, 200) << "the renewed certificate is not served\n" << context();
  EXPECT_NE(curl(dir, {"--cacert", ca, base + "/"}).status, 200) << "the old one still is";
  fs::copy_file(dir / "c.key", dir / "api.key", fs::copy_options::overwrite_existing);
  const auto before = daemon.log().size();
  daemon.signal(SIGHUP);
  const auto reloadedBy = Steady::now() + 10s;
  while (daemon.log().find("SIGHUP: đã nạp lại", before) == std::string::npos &&
         Steady::now() < reloadedBy)
    std::this_thread::sleep_for(100ms);
  const std::string afterBadReload = daemon.log().substr(before);
  EXPECT_NE(afterBadReload.find("does not belong to the certificate"), std::string::npos)
      << afterBadReload;
  EXPECT_NE(afterBadReload.find("vẫn dùng chứng chỉ cũ"), std::string::npos) << afterBadReload;
  a = curl(dir, {"--cacert", caB, "-H", viewerHeader, base + "/api/status"});
  EXPECT_EQ(a.status, 200) << "a bad key on reload took the API away\n" << context();
  EXPECT_TRUE(daemon.running());

  const std::string log = daemon.log();
  for (const auto& secret : {viewer, op, point})
    EXPECT_EQ(log.find(secret), std::string::npos) << "a token is in the log";
  daemon.stop(10s);
  if (HasFailure()) dir.keep();
}

TEST(Tls, BeyondLoopbackTheDaemonWillNotStartWithoutHttpsAViewerTokenOrAMatchingKey) {
  TempDir dir("tls-refusals");
  makeCertificate(dir, "api", "ceremonyd", "");
  makeCertificate(dir, "other", "other", "");
  writeText(dir / "viewer.token", randomToken() + "\n");
  writeText(dir / "operator.token", randomToken() + "\n");
  writeText(dir / "nghia-hanh.token", randomToken() + "\n");
  struct Case {
    std::string name, api;
    std::vector<std::string> extra;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"no-tls", "viewer_token_file = \"viewer.token\"\n", {}, "cần HTTPS"},
      {"no-viewer-token", "", {"--insecure"}, "không có mã xem"},
      {"key-of-another",
       "tls_certificate_file = \"api.pem\"\ntls_key_file = \"other.key\"\n"
       "viewer_token_file = \"viewer.token\"\n",
       {},
       "does not belong to the certificate"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const int port = freePort();
    writeText(dir / (c.name + ".toml"), config("0.0.0.0:" + std::to_string(port), c.api));
    std::vector<std::string> argv = {
        CEREMONYD_BINARY, "--config",    (dir / (c.name + ".toml")).string(),
        "--rehearsal=1",  "--state-dir", (dir / ("state-" + c.name)).string()};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    Process daemon(argv, ProcessOptions{dir / (c.name + ".log"), {}, {}, dir.path()});
    const auto status = daemon.waitFor(30s);
    ASSERT_TRUE(status.has_value()) << "still running:\n" << tailOf(daemon.log(), 20);
    EXPECT_EQ(*status, 1) << tailOf(daemon.log(), 20);
    EXPECT_NE(daemon.log().find(c.says), std::string::npos) << tailOf(daemon.log(), 20);
    EXPECT_FALSE(acceptsConnections(port));
  }
  // --insecure with a viewer token: it starts, and says out loud what it allows.
  const int port = freePort();
  writeText(dir / "insecure.toml",
            config("0.0.0.0:" + std::to_string(port), "viewer_token_file = \"viewer.token\"\n"));
  Process daemon({CEREMONYD_BINARY, "--config", (dir / "insecure.toml").string(), "--rehearsal=1",
                  "--state-dir", (dir / "state-insecure").string(), "--insecure"},
                 ProcessOptions{dir / "insecure.log", {}, {}, dir.path()});
  const auto upBy = Steady::now() + 20s;
  while (!acceptsConnections(port) && daemon.running() && Steady::now() < upBy)
    std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(acceptsConnections(port)) << tailOf(daemon.log(), 20);
  EXPECT_NE(daemon.log().find("--insecure: HTTP không mã hoá"), std::string::npos);
  daemon.stop(10s);
  if (HasFailure()) dir.keep();
}

}  // namespace
}  // namespace ceremony::testing
