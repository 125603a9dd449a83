// The control API over real HTTP against a running daemon that streams to a local nginx-rtmp:
// every endpoint, every error class, both tokens, the live stream, output stop/start,
// heartbeats, ceremonyctl, and no secret in any answer, log line or process argument.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

const std::string kStreamKey = "fb-key-5e0d7a13c9";
const std::string kViewer = "xem-3b8e41f2aa";
const std::string kOperator = "dieu-khien-90c7d5e6";
const std::string kPointToken = "diem-cau-77d1c0e5a9";

struct Reply {
  long status = 0;
  std::string body;
  json j() const { return json::parse(body, nullptr, false); }
};

// Everything every test saw, for the leak check at the end.
std::string& seen() {
  static std::string all;
  return all;
}

Reply http(const std::string& method, const std::string& url, const std::string& token = {},
           const std::string& body = {}) {
  const HttpReply h = httpCall(method, url, token, body);
  seen() += h.body;
  return Reply{h.status, h.body};
}

// A raw connection, for the event stream and for requests curl would not send.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("cannot connect to the daemon");
  }
  ~RawClient() { ::close(fd_); }
  void send(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      const auto n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  // Reads until `done(received)` or the deadline; returns whether done.
  bool readUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (!done(received_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[8192];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return done(received_);
      received_.append(buf, static_cast<std::size_t>(n));
      seen().append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  std::string& received() { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

// One daemon for the whole suite: the test programme with a long last item, an RTMP output
// to nginx whose key comes from a file, both tokens, and two heartbeat points.
class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir_ = new TempDir("api");
    const fs::path d = dir_->path();
    nginx_ = new NginxRtmp(d);
    nginx_->waitReady();
    writeText(d / "stream.key", kStreamKey + "\n");
    fs::permissions(d / "stream.key", fs::perms::owner_read | fs::perms::owner_write);
    writeText(d / "viewer.token", kViewer + "\n");
    writeText(d / "operator.token", kOperator + "\n");
    writeText(d / "p1.token", kPointToken + "\n");
    writeText(d / "p2.token", "another-point-token\n");
    std::string config = readText(kData / "programme.toml");
    // The API test needs time: the last item runs for 10 minutes.
    const auto last = config.rfind("duration = \"6s\"");
    config.replace(last, 15, "duration = \"600s\"");
    config += "\n[outputs.facebook]\nkind = \"rtmp\"\nlabel = \"Facebook (thử)\"\nurl = \"" +
              nginx_->rtmpUrl("") + "\"\nkey_file = \"stream.key\"\n";
    config +=
        "\n[api]\nviewer_token_file = \"viewer.token\"\noperator_token_file = "
        "\"operator.token\"\n";
    config +=
        "\n[[points]]\nid = \"p1\"\nname = \"Xã Nghĩa Hành\"\nkind = \"xã\"\ncontact_name = "
        "\"Nguyễn Văn A\"\ncontact_phone = \"0912 345 678\"\nprobes = [{ kind = \"heartbeat\", "
        "heartbeat_timeout = \"30s\", token_file = \"p1.token\" }]\n"
        "\n[[points]]\nid = \"p2\"\nname = \"Đặc khu Lý Sơn\"\nkind = \"đặc khu\"\n"
        "probes = [{ kind = \"heartbeat\", heartbeat_timeout = \"30s\", token_file = "
        "\"p2.token\" }]\n";
    writeText(d / "api.toml", config);
    port_ = freePort();
    daemon_ = new Process(
        {CEREMONYD_BINARY, "--config", (d / "api.toml").string(), "--rehearsal=1", "--state-dir",
         (d / "state").string(), "--listen", "127.0.0.1:" + std::to_string(port_)},
        {d / "ceremonyd.log"});
    const auto end = Clock::now() + 20s;
    while (Clock::now() < end && !acceptsConnections(port_)) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(acceptsConnections(port_)) << tailOf(daemon_->log());
    // ctest runs each test in a process of its own: every test starts with item 1 on air.
    const json onAir =
        waitFor("/api/status", [](const json& j) { return j["current"].is_object(); });
    ASSERT_TRUE(onAir["current"].is_object()) << onAir << tailOf(daemon_->log());
  }
  static void TearDownTestSuite() {
    if (daemon_) {
      // The leak check covers the whole suite's answers and the daemon's whole log.
      const std::string log = daemon_->log();
      for (const auto& secret : {kStreamKey, kViewer, kOperator, kPointToken}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << "a secret is in the log";
        EXPECT_EQ(seen().find(secret), std::string::npos) << "a secret is in an API answer";
      }
      daemon_->stop(10s);
    }
    delete daemon_;
    delete nginx_;
    delete dir_;
    daemon_ = nullptr;
    nginx_ = nullptr;
    dir_ = nullptr;
    curl_global_cleanup();
  }
  void TearDown() override {
    if (HasFailure()) {
      dir_->keep();
      std::cerr << "daemon log:\n" << tailOf(daemon_->log(), 40);
    }
  }

  static std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  static Reply get(const std::string& path, const std::string& token = kViewer) {
    return http("GET", url(path), token);
  }
  static Reply post(const std::string& path, const std::string& body = {},
                    const std::string& token = kOperator) {
    return http("POST", url(path), token, body);
  }
  // Waits until the predicate holds on GET path (bounded).
  static json waitFor(const std::string& path, const std::function<bool(const json&)>& ok,
                      std::chrono::milliseconds timeout = 10s) {
    const auto end = Clock::now() + timeout;
    json j;
    while (Clock::now() < end) {
      j = get(path).j();
      if (!j.is_discarded() && ok(j)) return j;
      std::this_thread::sleep_for(100ms);
    }
    return j;
  }

  static TempDir* dir_;
  static NginxRtmp* nginx_;
  static Process* daemon_;
  static int port_;
};

TempDir* ApiTest::dir_ = nullptr;
NginxRtmp* ApiTest::nginx_ = nullptr;
Process* ApiTest::daemon_ = nullptr;
int ApiTest::port_ = 0;

TEST_F(ApiTest, EveryReadEndpointAnswersWithTheCeremony) {
  const json status = get("/api/status").j();
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["event"]["title"], "Kiểm thử chương trình");
  EXPECT_EQ(status["event"]["timezone"], "+07:00");
  EXPECT_EQ(status["item_count"], 5);
  EXPECT_TRUE(status.contains("clock"));
  EXPECT_EQ(status["points"]["total"], 2);

  // The RTMP output goes live against nginx; its destination shows no key.
  const json live = waitFor("/api/status", [](const json& j) { return j["live"] == true; });
  EXPECT_EQ(live["live"], true);
  const json outputs = get("/api/outputs").j();
  ASSERT_TRUE(outputs.is_array());
  bool found = false;
  for (const auto& o : outputs)
    if (o["id"] == "facebook") {
      found = true;
      EXPECT_EQ(o["kind"], "rtmp");
      EXPECT_NE(o["destination"].get<std::string>().find("***"), std::string::npos) << o;
    }
  EXPECT_TRUE(found) << outputs;

  const json tl = get("/api/timeline").j();
  ASSERT_EQ(tl["items"].size(), 5u);
  EXPECT_EQ(tl["items"][0]["id"], "mo-dau");
  EXPECT_EQ(tl["items"][0]["lower_third"]["name"].is_string(), true);
  EXPECT_FALSE(tl["scenes"].empty());

  const json pts = get("/api/points").j();
  ASSERT_EQ(pts["points"].size(), 2u);
  EXPECT_EQ(pts["points"][1]["name"], "Đặc khu Lý Sơn");
  const json p1 = get("/api/points/p1").j();
  EXPECT_EQ(p1["contact_phone"], "0912 345 678");
  EXPECT_TRUE(p1.contains("history"));

  EXPECT_TRUE(get("/api/events").j()["events"].is_array());
  const Reply metrics = get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ceremonyd_output_up{output=\"facebook\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("probe_success"), std::string::npos) << metrics.body;
  const Reply page = get("/", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<html"), std::string::npos);
}

TEST_F(ApiTest, EveryErrorClassGetsItsStatusAndAMessageAndChangesNothing) {
  const json before = get("/api/timeline").j()["items"];
  auto expectError = [](const Reply& r, long status, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    const json j = r.j();
    EXPECT_TRUE(j.is_object() && j.contains("error") && !j["error"].get<std::string>().empty())
        << what << ": " << r.body;
  };
  expectError(get("/api/status", ""), 401, "no token");
  expectError(get("/api/status", "not-a-token"), 401, "wrong token");
  expectError(post("/api/timeline/next", "", kViewer), 403, "viewer changes");
  expectError(post("/api/timeline/next", "", ""), 401, "no token for a change");
  expectError(post("/api/timeline/goto", R"({"id":"khong-co"})"), 404, "unknown item");
  expectError(post("/api/program/cut", R"({"scene":"khong-co"})"), 404, "unknown scene");
  expectError(post("/api/outputs/khong-co/stop"), 404, "unknown output");
  expectError(get("/api/points/khong-co"), 404, "unknown point");
  expectError(get("/api/khong-co"), 404, "unknown path");
  expectError(http("DELETE", url("/api/status"), kOperator), 405, "wrong method");
  expectError(post("/api/timeline/extend", "{\"seconds\": "), 400, "malformed JSON");
  expectError(post("/api/timeline/extend", R"({"seconds":"mot"})"), 400, "wrong type");
  expectError(post("/api/timeline/resume"), 409, "resume with nothing held");
  expectError(post("/api/cue/mo-dau"), 400, "not a manual item");
  expectError(post("/api/timeline/extend", std::string(70 * 1024, ' ')), 413, "body too large");

  // A request that is not HTTP gets 400 and the connection closes; the daemon stays up.
  RawClient raw(port_);
  raw.send("HELLO\r\n\r\n");
  ASSERT_TRUE(raw.readUntil([](const std::string& s) { return s.find("\r\n\r\n") != s.npos; }, 3s));
  EXPECT_EQ(raw.received().rfind("HTTP/1.1 400", 0), 0u) << raw.received();

  const json after = get("/api/timeline").j()["items"];
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i]["planned_start"], after[i]["planned_start"]);
    EXPECT_EQ(before[i]["planned_end"], after[i]["planned_end"]);
  }
}

TEST_F(ApiTest, OperatorCommandsMoveTheRunOfShow) {
  const json s0 = waitFor("/api/status", [](const json& j) { return j["current"].is_object(); });
  ASSERT_TRUE(s0["current"].is_object()) << s0;
  const int n0 = s0["current"]["number"];

  ASSERT_EQ(post("/api/timeline/hold").status, 200);
  EXPECT_EQ(get("/api/status").j()["current"]["state"], "held");
  EXPECT_EQ(get("/api/status").j()["phase"], "held");
  ASSERT_EQ(post("/api/timeline/resume").status, 200);
  EXPECT_EQ(get("/api/status").j()["current"]["state"], "running");

  const std::string endBefore = get("/api/status").j()["current"]["end"];
  ASSERT_EQ(post("/api/timeline/extend", R"({"seconds":5})").status, 200);
  const std::string endAfter = get("/api/status").j()["current"]["end"];
  EXPECT_GT(endAfter, endBefore);

  ASSERT_EQ(post("/api/timeline/next").status, 200);
  const json s1 = waitFor("/api/status", [&](const json& j) {
    return j["current"].is_object() && j["current"]["number"] == n0 + 1;
  });
  EXPECT_EQ(s1["current"]["number"], n0 + 1) << s1;

  ASSERT_EQ(post("/api/timeline/goto", R"({"id":"be-mac"})").status, 200);
  const json s2 = waitFor("/api/status", [](const json& j) {
    return j["current"].is_object() && j["current"]["id"] == "be-mac";
  });
  EXPECT_EQ(s2["current"]["id"], "be-mac");
  ASSERT_EQ(post("/api/program/cut", R"({"scene":"tieu_de"})").status, 200);
  const json ev = get("/api/events?limit=20").j()["events"];
  bool logged = false;
  for (const auto& e : ev)
    if (e["kind"] == "operator" &&
        e["message"].get<std::string>().find("tieu_de") != std::string::npos)
      logged = true;
  EXPECT_TRUE(logged) << ev;
}

// Before: no page said it must not be framed (the operators' buttons under another site's
// clicks), and ?token= opened every route, operator POSTs included.
TEST_F(ApiTest, PagesRefuseFramesAndATokenInTheUrlOnlyOpensTheStream) {
  RawClient page(port_);
  page.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(page.readUntil(
      [](const std::string& r) { return r.find("</html>") != std::string::npos; }, 5s));
  const std::string head = page.received().substr(0, page.received().find("\r\n\r\n"));
  EXPECT_NE(head.find("X-Frame-Options: DENY"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Security-Policy: default-src 'self'; script-src 'self'; "
                      "style-src 'self';"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("frame-ancestors 'none'"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Content-Type-Options: nosniff"), std::string::npos) << head;
  const auto before = get("/api/status").j()["current"];
  const Reply inUrl = http("POST", url("/api/timeline/next?token=" + kOperator));
  EXPECT_EQ(inUrl.status, 401) << inUrl.body;
  EXPECT_NE(inUrl.j().value("error", "").find("Authorization: Bearer"), std::string::npos)
      << inUrl.body;
  EXPECT_EQ(get("/api/status").j()["current"]["id"], before["id"]);
}

TEST_F(ApiTest, TheLiveStreamSendsASnapshotThenEachChangeWithinOneSecond) {
  RawClient sse(port_);
  sse.send("GET /api/stream?token=" + kViewer + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ASSERT_TRUE(sse.readUntil(
      [](const std::string& s) {
        return s.find("event: status") != s.npos && s.find("event: timeline") != s.npos &&
               s.find("event: points") != s.npos && s.find("event: events") != s.npos;
      },
      3s))
      << sse.received();
  EXPECT_NE(sse.received().find("text/event-stream"), std::string::npos);
  sse.received().clear();

  const auto sent = Clock::now();
  ASSERT_EQ(post("/api/timeline/hold").status, 200);
  ASSERT_TRUE(sse.readUntil(
      [](const std::string& s) { return s.find("\"state\":\"held\"") != s.npos; }, 1s))
      << sse.received();
  const auto took = Clock::now() - sent;
  std::cout << "[ measured ] hold → live stream: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  EXPECT_LT(took, 1s);
  ASSERT_EQ(post("/api/timeline/resume").status, 200);
}

TEST_F(ApiTest, HeartbeatsNeedThePointsOwnTokenAndMaintenanceSilencesAPoint) {
  EXPECT_EQ(http("POST", url("/api/points/p1/heartbeat"), kPointToken).status, 200);
  EXPECT_EQ(http("POST", url("/api/points/p1/heartbeat"), "wrong").status, 401);
  EXPECT_EQ(http("POST", url("/api/points/p1/heartbeat"), kOperator).status, 401);
  EXPECT_EQ(http("POST", url("/api/points/p2/heartbeat"), kPointToken).status, 401);
  EXPECT_EQ(http("POST", url("/api/points/p9/heartbeat"), kPointToken).status, 401);
  const json up = waitFor("/api/points/p1", [](const json& j) { return j["state"] == "up"; });
  EXPECT_EQ(up["state"], "up") << up;

  ASSERT_EQ(post("/api/points/p2/maintenance", R"({"on":true,"reason":"Mất điện lưới"})").status,
            200);
  EXPECT_EQ(get("/api/points/p2").j()["state"], "maintenance");
  const json notUp = get("/api/points?filter=not-up").j()["points"];
  ASSERT_EQ(notUp.size(), 1u) << notUp;
  EXPECT_EQ(notUp[0]["id"], "p2");
  ASSERT_EQ(post("/api/points/p2/maintenance", R"({"on":false})").status, 200);
}

json outputNamed(const json& list, const std::string& id) {
  for (const auto& o : list)
    if (o.value("id", "") == id) return o;
  return json::object();
}

TEST_F(ApiTest, AnOutputStopsAndStartsAgainWithoutTouchingTheOthers) {
  ASSERT_TRUE(nginx_->waitForPublish(kStreamKey, 15s)) << nginx_->logs();
  const std::uint64_t recorded = outputNamed(get("/api/outputs").j(), "ghi")["bytes"];
  ASSERT_EQ(post("/api/outputs/facebook/stop").status, 200);
  EXPECT_TRUE(nginx_->waitForPublishEnd(kStreamKey, 10s)) << nginx_->logs();
  json o = waitFor("/api/outputs",
                   [](const json& j) { return outputNamed(j, "facebook")["state"] == "stopped"; });
  EXPECT_EQ(outputNamed(o, "facebook")["state"], "stopped") << o;
  // The recording kept going (its byte count moves about once a second).
  EXPECT_EQ(outputNamed(o, "ghi")["state"], "live") << o;
  o = waitFor("/api/outputs", [&](const json& j) {
    return outputNamed(j, "ghi")["bytes"].get<std::uint64_t>() > recorded;
  });
  EXPECT_GT(outputNamed(o, "ghi")["bytes"].get<std::uint64_t>(), recorded) << o;
  EXPECT_EQ(post("/api/outputs/facebook/stop").status, 409);
  ASSERT_EQ(post("/api/outputs/facebook/start").status, 200);
  o = waitFor(
      "/api/outputs", [](const json& j) { return outputNamed(j, "facebook")["state"] == "live"; },
      15s);
  EXPECT_EQ(outputNamed(o, "facebook")["state"], "live") << o;
  EXPECT_EQ(outputNamed(o, "facebook")["reconnects"], 1) << o;
  EXPECT_EQ(outputNamed(o, "ghi")["reconnects"], 0) << o;
  EXPECT_EQ(post("/api/outputs/facebook/start").status, 409);
}

TEST_F(ApiTest, CeremonyctlDrivesTheDaemon) {
  const fs::path ctl = fs::path(CEREMONYD_BINARY).parent_path() / "ceremonyctl";
  const fs::path d = dir_->path();
  const std::string u = "--url=" + url("");
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {ctl.string(), u};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = runToEnd(argv, d, 10s);
    seen() += r.out + r.err;
    return r;
  };
  const std::string op = "--token-file=" + (d / "operator.token").string();
  const std::string view = "--token-file=" + (d / "viewer.token").string();

  RunResult r = run({view, "status"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("Kiểm thử chương trình"), std::string::npos) << r.out;
  r = run({view, "timeline"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("be-mac"), std::string::npos) << r.out;
  r = run({view, "--json", "points"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(json::parse(r.out)["points"].size(), 2u);
  r = run({view, "outputs"});
  EXPECT_NE(r.out.find("facebook"), std::string::npos) << r.describe();
  EXPECT_TRUE(run({view, "events"}).ok());
  EXPECT_TRUE(run({view, "points", "--down"}).ok());

  r = run({view, "next"});
  EXPECT_EQ(r.exitStatus, 1) << r.describe();
  EXPECT_NE(r.err.find("403"), std::string::npos) << r.err;
  r = run({"status"});
  EXPECT_EQ(r.exitStatus, 1) << r.describe();
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
  r = run({op, "goto", "khong-co"});
  EXPECT_EQ(r.exitStatus, 1) << r.describe();
  EXPECT_NE(r.err.find("404"), std::string::npos) << r.err;
  r = run({op, "extend", "30"});
  EXPECT_TRUE(r.ok()) << r.describe();
  r = run({op, "bogus"});
  EXPECT_EQ(r.exitStatus, 2) << r.describe();
  r = runToEnd({ctl.string(), "--url=http://127.0.0.1:1", "status"}, d, 10s);
  EXPECT_EQ(r.exitStatus, 3) << r.describe();
  EXPECT_NE(r.err.find("không kết nối được"), std::string::npos) << r.err;
}

TEST_F(ApiTest, NoSecretInTheDaemonsArguments) {
  const std::string cmdline = readText("/proc/" + std::to_string(daemon_->pid()) + "/cmdline");
  ASSERT_FALSE(cmdline.empty());
  for (const auto& secret : {kStreamKey, kViewer, kOperator, kPointToken})
    EXPECT_EQ(cmdline.find(secret), std::string::npos);
}

}  // namespace
}  // namespace ceremony::testing
