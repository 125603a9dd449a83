// A flood of connections degrades service for the flood only. 5,000 connections from 100
// loopback addresses (half of them slowloris requests that never finish, reopened as fast
// as they are closed) and one address that opens more than its share: the dashboard, the API,
// ceremonyctl and a point's heartbeat still answer within a second, the recording rolls its
// next segment without a gap, the output never reconnects, and the journal gets a bounded
// number of warnings. Before the connection caps, the 1,025th connection was closed unread and
// the dashboard was locked out for as long as the flood lasted.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/MediaProbe.h"
#include "support/NginxRtmp.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

const std::string kViewer = "xem-flood-51c7e0a2";
const std::string kOperator = "dieu-khien-flood-9a3d";
const std::string kPointToken = "diem-cau-flood-4e8b21";

// A non-blocking TCP connection from `from` (127.0.0.x) to the daemon; -1 if no socket.
int connectFrom(const std::string& from, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The flood, on a thread of its own: keeps `perAddress` connections open from each of
// `addresses` (every other one a request that never ends, a header byte now and then),
// reopening what the daemon closes, at most `reopenPerSecond`.
class Flood {
 public:
  Flood(int port, int addresses, int perAddress, int reopenPerSecond)
      : port_(port), reopenPerSecond_(reopenPerSecond) {
    for (int a = 0; a < addresses; ++a)
      for (int i = 0; i < perAddress; ++i)
        conns_.push_back({"127.0.0." + std::to_string(2 + a), -1, (i % 2) == 1, 0});
    thread_ = std::thread([this] { run(); });
  }
  ~Flood() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
  }
  int open() const { return open_; }
  long reopened() const { return reopened_; }

 private:
  struct Conn {
    std::string from;
    int fd;
    bool slowloris;
    int sent;
  };
  void run() {
    auto lastDrip = Clock::now();
    auto budgetAt = Clock::now();
    int budget = reopenPerSecond_;
    std::vector<pollfd> polls;
    std::vector<std::size_t> which;
    while (!stop_) {
      if (Clock::now() - budgetAt >= 1s) {
        budgetAt = Clock::now();
        budget = reopenPerSecond_;
      }
      int openNow = 0;
      for (auto& c : conns_) {
        if (c.fd < 0 && budget > 0) {
          c.fd = connectFrom(c.from, port_);
          c.sent = 0;
          --budget;
          ++reopened_;
        }
        if (c.fd >= 0) ++openNow;
      }
      open_ = openNow;
      const bool drip = Clock::now() - lastDrip >= 2s;
      if (drip) lastDrip = Clock::now();
      polls.clear();
      which.clear();
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        auto& c = conns_[i];
        if (c.fd < 0) continue;
        if (c.slowloris && (c.sent == 0 || drip)) {
          // "GET / HTTP/1.1\r\nHost: x\r\nX-a: …" one byte at a time after the first line.
          static const std::string line = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
          const std::string piece = c.sent == 0 ? line : std::string("a");
          if (::send(c.fd, piece.data(), piece.size(), MSG_NOSIGNAL) > 0) ++c.sent;
        }
        polls.push_back({c.fd, POLLIN, 0});
        which.push_back(i);
      }
      if (polls.empty() || ::poll(polls.data(), polls.size(), 100) <= 0) {
        if (polls.empty()) std::this_thread::sleep_for(100ms);
        continue;
      }
      for (std::size_t k = 0; k < polls.size(); ++k) {
        if (!(polls[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto& c = conns_[which[k]];
        char buf[2048];
        const auto n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) continue;  // a 503's text: the close follows
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        ::close(c.fd);  // closed by the daemon: open another
        c.fd = -1;
      }
    }
  }

  int port_;
  int reopenPerSecond_;
  std::vector<Conn> conns_;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::atomic<long> reopened_{0};
  std::thread thread_;
};

// How one address that opens more than its share is answered: the statuses it read.
struct Greedy {
  int answered503 = 0;
  int withSentence = 0;
};
Greedy greedyAddress(int port, int connections) {
  std::vector<int> fds;
  for (int i = 0; i < connections; ++i) fds.push_back(connectFrom("127.0.0.250", port));
  Greedy g;
  std::vector<std::string> got(fds.size());
  const auto end = Clock::now() + 3s;
  while (Clock::now() < end) {
    std::vector<pollfd> p;
    for (int fd : fds) p.push_back({fd, POLLIN, 0});
    if (::poll(p.data(), p.size(), 100) <= 0) continue;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!(p[i].revents & POLLIN)) continue;
      char buf[2048];
      const auto n = ::recv(fds[i], buf, sizeof buf, 0);
      if (n > 0) got[i].append(buf, static_cast<std::size_t>(n));
    }
  }
  for (const auto& s : got) {
    if (s.rfind("HTTP/1.1 503", 0) != 0) continue;
    ++g.answered503;
    if (s.find("Quá nhiều kết nối từ địa chỉ này") != std::string::npos &&
        s.find("Retry-After: 5") != std::string::npos)
      ++g.withSentence;
  }
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  return g;
}

TEST(Flood, FiveThousandConnectionsLockOutNobodyAndTheCeremonyGoesOn) {
  // The flood needs descriptors of its own: 5,000 here, besides the daemon's.
  rlimit r{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &r), 0);
  if (r.rlim_cur < 12000) {
    r.rlim_cur = std::min<rlim_t>(r.rlim_max, 12000);
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  ASSERT_GE(r.rlim_cur, 12000u) << "the hard descriptor limit is too low for this test";

  curl_global_init(CURL_GLOBAL_DEFAULT);
  TempDir dir("flood");
  const fs::path d = dir.path();
  NginxRtmp nginx(d);
  nginx.waitReady();
  writeText(d / "viewer.token", kViewer + "\n");
  writeText(d / "operator.token", kOperator + "\n");
  writeText(d / "p1.token", kPointToken + "\n");
  std::string config = readText(kData / "programme.toml");
  const auto last = config.rfind("duration = \"6s\"");
  config.replace(last, 15, "duration = \"600s\"");
  const std::string rec = "directory = \"rec\"";
  config.replace(config.find(rec), rec.size(), rec + "\nsegment = \"10s\"");
  config +=
      "\n[api]\nviewer_token_file = \"viewer.token\"\noperator_token_file = "
      "\"operator.token\"\n"
      "\n[[points]]\nid = \"p1\"\nname = \"Xã Nghĩa Hành\"\nkind = \"xã\"\n"
      "probes = [{ kind = \"heartbeat\", heartbeat_timeout = \"30s\", token_file = "
      "\"p1.token\" }]\n";
  writeText(d / "flood.toml", config);
  const int port = freePort();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  Process daemon({CEREMONYD_BINARY, "--config", (d / "flood.toml").string(), "--rehearsal=1",
                  "--state-dir", (d / "state").string(), "--listen",
                  "127.0.0.1:" + std::to_string(port), "--rtmp", nginx.rtmpUrl("flood")},
                 {d / "ceremonyd.log"});
  {
    const auto end = Clock::now() + 20s;
    while (Clock::now() < end && !acceptsConnections(port)) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(nginx.waitForPublish("flood", 20s)) << tailOf(daemon.log());

  const auto logBefore = daemon.log().size();
  const fs::path ctl = fs::path(CEREMONYD_BINARY).parent_path() / "ceremonyctl";
  Flood flood(port, 100, 50, 800);
  // Until the flood is in: the daemon holds as many connections as it takes (a quarter of
  // its descriptor limit, 4,096 at most), and the flood more than that.
  auto metric = [&](const std::string& name) {
    const std::string text = httpCall("GET", base + "/metrics", kViewer).body;
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1L : std::stol(text.substr(at + name.size() + 2));
  };
  const long cap = metric("ceremonyd_api_connections_max");
  ASSERT_GE(cap, 1000) << "the daemon takes too few connections for this test";
  {
    const auto end = Clock::now() + 15s;
    // Both ends: the flood's client counts a connection once its own loop has seen it
    // connect, which may trail the daemon's count on a loaded machine.
    while (Clock::now() < end &&
           (metric("ceremonyd_api_connections") < cap - 5 || flood.open() < cap - 5))
      std::this_thread::sleep_for(100ms);
  }
  // (Without the caps, the daemon closed everything past its 1,024th connection: the flood
  // never got this far in, and neither did anybody else.)
  EXPECT_GE(metric("ceremonyd_api_connections"), cap - 5) << "the flood did not get in";
  EXPECT_GE(flood.open(), cap - 5);

  // 22 s under the flood: long enough for the recording to roll a 10 s segment.
  const auto floodStart = Clock::now();
  std::vector<long> worstMs(4, 0);
  std::vector<int> failures(4, 0);
  const char* what[] = {"dashboard", "GET /api/status", "heartbeat", "ceremonyctl status"};
  int rounds = 0;
  while (Clock::now() - floodStart < 22s) {
    for (int k = 0; k < 4; ++k) {
      const auto t0 = Clock::now();
      bool ok = false;
      if (k == 0) {
        const auto h = httpCall("GET", base + "/", "");
        ok = h.status == 200 && h.body.find("<html") != std::string::npos;
      } else if (k == 1) {
        const auto h = httpCall("GET", base + "/api/status", kViewer);
        ok = h.status == 200 && h.body.find("Kiểm thử chương trình") != std::string::npos;
      } else if (k == 2) {
        ok = httpCall("POST", base + "/api/points/p1/heartbeat", kPointToken).status == 200;
      } else if (rounds % 4 == 0) {
        const auto run = runToEnd({ctl.string(), "--url=" + base,
                                   "--token-file=" + (d / "viewer.token").string(), "status"},
                                  d, 10s);
        ok = run.ok() && run.out.find("Kiểm thử chương trình") != std::string::npos;
      } else {
        continue;
      }
      const long ms = static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
      worstMs[k] = std::max(worstMs[k], ms);
      if (!ok) ++failures[k];
    }
    ++rounds;
    std::this_thread::sleep_for(250ms);
  }
  const int openAtEnd = flood.open();
  const Greedy greedy = greedyAddress(port, 100);
  const std::string metrics = httpCall("GET", base + "/metrics", kViewer).body;
  flood.stop();

  for (int k = 0; k < 4; ++k) {
    std::cout << "[ measured ] under the flood, " << what[k] << ": worst " << worstMs[k]
              << " ms, failures " << failures[k] << "\n";
    EXPECT_EQ(failures[k], 0) << what[k];
    EXPECT_LT(worstMs[k], 1000) << what[k];
  }
  std::cout << "[ measured ] flood: " << openAtEnd << " open at the end, " << flood.reopened()
            << " connections opened in all; the greedy address got " << greedy.answered503
            << " × 503 of 100\n";
  EXPECT_GE(openAtEnd, cap - 5);
  // 64 from one address, the rest are told why.
  EXPECT_GE(greedy.answered503, 30);
  EXPECT_EQ(greedy.withSentence, greedy.answered503);
  EXPECT_NE(metrics.find("ceremonyd_api_turned_away_total{why=\"made_room\"}"), std::string::npos)
      << metrics;

  // A bounded number of warnings: one per 10 s for each kind, not one per connection.
  const std::string log = daemon.log().substr(logBefore);
  std::size_t warnings = 0;
  for (std::size_t at = 0; (at = log.find("API:", at)) != std::string::npos; ++at) ++warnings;
  std::cout << "[ measured ] API warnings in the journal during the flood: " << warnings << "\n";
  EXPECT_LE(warnings, 12u) << tailOf(log, 20);

  // The ceremony went on: the output never reconnected, the recording rolled a segment and
  // no frame is missing across the flood.
  EXPECT_EQ(nginx.publishes("flood"), 1u) << nginx.logs();
  EXPECT_EQ(daemon.stop(15s), 0);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(d / "rec"))
    if (e.path().extension() == ".mkv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 3u) << "the recording did not roll its segments during the flood";
  const MediaProbe probe(d);
  double previous = -1, worstGap = 0;
  for (const auto& f : files) {
    for (double t : probe.videoFrameTimes(f)) {
      if (previous >= 0) worstGap = std::max(worstGap, t - previous);
      previous = t;
    }
  }
  std::cout << "[ measured ] longest gap between recorded frames: " << worstGap * 1000 << " ms\n";
  EXPECT_LT(worstGap, 0.07) << "a frame is missing from the recording";
  curl_global_cleanup();
}

}  // namespace
}  // namespace ceremony::testing
