// Each output fails alone (issue 6): the recording's disk fills up, or one RTMP destination
// accepts the connection and then never reads. In both cases the stream that nginx receives
// from the daemon has no frame gap, the failing output says so in /api/outputs and the
// alert reaches /api/events; the daemon's API stays responsive throughout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
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

// The test programme, its last item long enough for the whole test, the recording going to
// `recordDir`.
std::string longProgramme(const fs::path& recordDir) {
  std::string config = readText(kData / "programme.toml");
  const auto last = config.rfind("duration = \"6s\"");
  config.replace(last, 15, "duration = \"600s\"");
  const std::string rec = "directory = \"rec\"";
  config.replace(config.find(rec), rec.size(), "directory = \"" + recordDir.string() + "\"");
  return config;
}

// What the ingest received of stream `name`, read once its publish has ended: how many
// frames, over how long, and the longest pause between two of them (printed as measured).
// No frames if the publish never ended.
struct Received {
  std::size_t frames = 0;
  double span = 0;  // s
  double gap = 0;   // s
};

Received received(const NginxRtmp& nginx, const fs::path& dir, const std::string& name) {
  Received r;
  if (!nginx.waitForPublishEnd(name, 10s)) return r;
  const auto frames = MediaProbe(dir).videoFrameTimes(nginx.recordedFile(name));
  r.frames = frames.size();
  if (frames.size() < 2) return r;
  r.span = frames.back() - frames.front();
  r.gap = largestGap(frames);
  std::cout << "[ measured ] stream: " << r.span << " s, " << r.frames << " frames, largest gap "
            << r.gap * 1000 << " ms\n";
  return r;
}

// The daemon's API, timed: a call that takes long means its event loop was held up.
class Api {
 public:
  explicit Api(int port) : base_("http://127.0.0.1:" + std::to_string(port)) {}
  json get(const std::string& path) {
    const auto t0 = Clock::now();
    const HttpReply r = httpCall("GET", base_ + path);
    slowest_ = std::max(slowest_, Clock::now() - t0);
    if (r.status != 200) bad_ += path + " → " + std::to_string(r.status) + " " + r.body + "\n";
    return json::parse(r.body, nullptr, false);
  }
  json output(const std::string& id) {
    const json outs = get("/api/outputs");
    if (outs.is_array())
      for (const auto& o : outs)
        if (o.value("id", "") == id) return o;
    return json::object();
  }
  // The daemon opens its API a moment after its outputs: wait for it.
  bool waitReady(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (httpCall("GET", base_ + "/api/status").status != 200) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }
  Clock::duration slowest() const { return slowest_; }
  // Every call that got no 200, with its answer.
  const std::string& badAnswers() const { return bad_; }

 private:
  std::string base_;
  std::string bad_;
  Clock::duration slowest_{};
};

// A tmpfs of `size` mounted for the test and unmounted (lazily, so a file still open does
// not keep it) when the test ends.
class TinyDisk {
 public:
  TinyDisk(const fs::path& where, const std::string& size, const fs::path& logDir) : where_(where) {
    fs::create_directories(where);
    const auto r = runToEnd({"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", where.string()},
                            logDir, 10s);
    mounted_ = r.ok();
    if (!mounted_) why_ = r.describe();
  }
  ~TinyDisk() {
    if (mounted_) ::system(("umount -l '" + where_.string() + "'").c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  std::uint64_t freeBytes() const {
    struct statvfs s {};
    if (::statvfs(where_.c_str(), &s) != 0) return 0;
    return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
  }

 private:
  fs::path where_;
  bool mounted_ = false;
  std::string why_;
};

TEST(OutputFaults, AFullDiskStopsTheRecordingWithAnAlertAndTheStreamGoesOnWithoutAGap) {
  TempDir dir("disk-full");
  // 3500 kbit/s of video fill 4 MB in about 8 s.
  TinyDisk disk(dir.path() / "rec", "4m", dir.path());
  if (!disk.mounted())
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): " << disk.why();
  NginxRtmp nginx(dir.path());
  nginx.waitReady();
  writeText(dir.path() / "prog.toml", longProgramme(dir.path() / "rec"));
  const int port = freePort();
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir.path() / "prog.toml").string(), "--rehearsal=1",
       "--listen", "127.0.0.1:" + std::to_string(port), "--rtmp", nginx.rtmpUrl("lai")},
      {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 30) + nginx.logs(); };
  Api api(port);
  ASSERT_TRUE(nginx.waitForPublish("lai", 15s)) << context();
  ASSERT_TRUE(api.waitReady(10s)) << context();

  // Wait for the disk to fill and for the alert.
  const auto start = Clock::now();
  std::optional<Clock::time_point> full, alerted;
  json alert;
  while (Clock::now() - start < 40s && !alerted) {
    if (!full && disk.freeBytes() < 64 * 1024) full = Clock::now();
    const json events = api.get("/api/events");
    if (events.is_object() && events.contains("events"))
      for (const auto& e : events["events"])
        if (e.value("kind", "") == "output" && e.value("output", "") == "ghi" &&
            e.value("state", "") == "failed") {
          alert = e;
          alerted = Clock::now();
        }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(full) << "the 4 MB disk never filled up; free: " << disk.freeBytes() << context();
  ASSERT_TRUE(alerted) << "no alert for the recording in /api/events" << context();
  std::cout << "[ measured ] disk full after " << seconds(*full - start)
            << " s of publishing; alert " << seconds(*alerted - *full) << " s later\n";
  EXPECT_LT(*alerted - *full, 3s) << "the alert came late";
  EXPECT_EQ(alert.value("reason", ""), "Hết dung lượng đĩa") << alert;
  EXPECT_NE(alert.value("message", "").find("Hết dung lượng đĩa"), std::string::npos) << alert;

  // The stream goes on for 10 s; the recording stays failed and is not started again.
  std::vector<fs::path> filesAtAlert;
  for (const auto& e : fs::directory_iterator(dir.path() / "rec")) filesAtAlert.push_back(e.path());
  std::string rtmpStates, recStates;
  const auto after = Clock::now();
  while (Clock::now() - after < 10s) {
    const json rec = api.output("ghi");
    const json rtmp = api.output("rtmp-1");
    if (rec.value("state", "") != "failed") recStates += rec.dump() + "\n";
    if (rtmp.value("state", "") != "live") rtmpStates += rtmp.dump() + "\n";
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(recStates, "") << "the recording left its failed state";
  EXPECT_EQ(rtmpStates, "") << "the stream was not live throughout";
  const json rec = api.output("ghi");
  EXPECT_EQ(rec.value("state", ""), "failed") << rec;
  EXPECT_EQ(rec.value("last_error", ""), "Hết dung lượng đĩa") << rec;
  EXPECT_EQ(rec.value("reconnects", -1), 0) << "the recording was retried: " << rec;
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "rec")) ++files, (void)e;
  EXPECT_EQ(files, filesAtAlert.size()) << "a new recording file was started";
  EXPECT_NE(daemon.log().find("Hết dung lượng đĩa"), std::string::npos)
      << "no error in the log" << context();
  std::cout << "[ measured ] slowest API answer: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(api.slowest()).count()
            << " ms\n";
  EXPECT_LT(api.slowest(), 1s) << "the event loop was held up";
  EXPECT_EQ(api.badAnswers(), "");
  EXPECT_EQ(daemon.stop(10s), 0) << context();

  // What reached the ingest: no gap across the moment the disk filled.
  const Received got = received(nginx, dir.path(), "lai");
  ASSERT_GT(got.frames, 2u) << "the ingest got no stream" << context();
  EXPECT_GT(got.span, seconds(Clock::now() - start) - 5) << "the stream is shorter than the run";
  EXPECT_LE(got.gap, 0.1) << "the stream has a gap of " << got.gap << " s";

  // What was written before the disk filled still plays (a copy outside the tmpfs stays
  // with a kept test directory).
  ASSERT_EQ(filesAtAlert.size(), 1u);
  const fs::path copy = dir.path() / filesAtAlert[0].filename();
  fs::copy_file(filesAtAlert[0], copy);
  const MediaProbe probe(dir.path());
  const auto recorded = probe.videoFrameTimes(copy);
  const DecodeCheck decode = probe.readsToEnd(copy);
  std::cout << "[ measured ] recording: " << fs::file_size(copy) << " bytes, " << recorded.size()
            << " frames; " << decode.describe() << "\n";
  EXPECT_GT(recorded.size(), 90u) << "less than 3 s of the recording is readable";
  EXPECT_GT(decode.decodedSeconds, 3.0) << decode.describe();
}

// A TCP server that accepts every connection and never reads: its receive buffer is tiny,
// so a client's writes stall at once; the RTMP handshake never gets an answer.
class DeafServer {
 public:
  DeafServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0)
      throw std::runtime_error("DeafServer: cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        std::lock_guard lock(mutex_);
        accepted_.push_back(c);
      }
    });
  }
  ~DeafServer() {
    stop_ = true;
    thread_.join();
    for (int c : accepted_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  std::size_t connections() {
    std::lock_guard lock(mutex_);
    return accepted_.size();
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> accepted_;
};

TEST(OutputFaults, ADestinationThatNeverReadsLeavesTheOtherStreamWithoutAGap) {
  TempDir dir("deaf-ingest");
  NginxRtmp nginx(dir.path());
  nginx.waitReady();
  DeafServer deaf;
  writeText(dir.path() / "prog.toml", longProgramme(dir.path() / "rec"));
  const int port = freePort();
  // rtmp-1 goes to nginx, rtmp-2 to the server that never reads.
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir.path() / "prog.toml").string(), "--rehearsal=1",
       "--listen", "127.0.0.1:" + std::to_string(port), "--rtmp", nginx.rtmpUrl("lai"), "--rtmp",
       "rtmp://127.0.0.1:" + std::to_string(deaf.port()) + "/live/treo"},
      {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 30) + nginx.logs(); };
  Api api(port);
  ASSERT_TRUE(nginx.waitForPublish("lai", 15s)) << context();
  ASSERT_TRUE(api.waitReady(10s)) << context();
  // nginx sees the publish up to a second before the daemon's once-a-second look at
  // rtmp2sink's byte count calls the destination live: from then on it must stay live.
  const auto liveBy = Clock::now() + 5s;
  while (api.output("rtmp-1").value("state", "") != "live") {
    ASSERT_LT(Clock::now(), liveBy) << api.output("rtmp-1") << context();
    std::this_thread::sleep_for(100ms);
  }

  // 20 s: the deaf destination is never live, the other one always; the deaf one's
  // attempts are spaced by the handshake timeout plus a growing backoff.
  std::string deafLive, otherNotLive, deafStates, deafError;
  std::vector<double> attemptAt;  // seconds since the start, from its reconnect count
  int reconnects = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < 20s) {
    const json deafOut = api.output("rtmp-2");
    const json other = api.output("rtmp-1");
    const std::string state = deafOut.value("state", "");
    if (state == "live") deafLive += deafOut.dump() + "\n";
    if (deafStates.find(state) == std::string::npos) deafStates += state + " ";
    if (other.value("state", "") != "live") otherNotLive += other.dump() + "\n";
    if (!deafOut.value("last_error", "").empty()) deafError = deafOut.value("last_error", "");
    if (deafOut.value("reconnects", 0) > reconnects) {
      reconnects = deafOut.value("reconnects", 0);
      attemptAt.push_back(seconds(Clock::now() - start));
    }
    std::this_thread::sleep_for(200ms);
  }
  const json deafOut = api.output("rtmp-2");
  std::cout << "[ measured ] deaf destination: states seen " << deafStates << "; "
            << deaf.connections() << " TCP connections (with the port knocks); restarts at "
            << listOf(attemptAt, 1) << " s; last error «" << deafError << "»\n";
  EXPECT_EQ(deafLive, "") << "a destination that never reads was shown live";
  EXPECT_NE(deafStates.find("reconnecting"), std::string::npos)
      << "the deaf destination was never counted as failed: " << deafStates;
  EXPECT_NE(deafError.find("không trả lời"), std::string::npos) << deafOut;
  EXPECT_EQ(otherNotLive, "") << "the healthy destination was not live throughout";
  EXPECT_GE(attemptAt.size(), 1u) << "the deaf destination was never tried again";
  // The first wait is 5 s handshake timeout + 2 s backoff; later ones longer.
  for (std::size_t i = 1; i < attemptAt.size(); ++i)
    EXPECT_GT(attemptAt[i] - attemptAt[i - 1], 6.0)
        << "retries without backoff: " << listOf(attemptAt, 1);
  std::cout << "[ measured ] slowest API answer: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(api.slowest()).count()
            << " ms\n";
  EXPECT_LT(api.slowest(), 1s) << "the event loop was held up";
  EXPECT_EQ(api.badAnswers(), "");
  const auto stopAt = Clock::now();
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  std::cout << "[ measured ] daemon stopped in " << seconds(Clock::now() - stopAt) << " s\n";

  const Received got = received(nginx, dir.path(), "lai");
  ASSERT_GT(got.frames, 2u) << "the ingest got no stream" << context();
  EXPECT_GE(got.span, 15.0);
  EXPECT_LE(got.gap, 0.1) << "the stream has a gap of " << got.gap << " s";
}

// A relay in front of nginx that, on stall(), stops reading from the daemon (and
// forwarding): the ingest accepted, took the publish and then went deaf mid-stream, so the
// daemon's writes fill the socket and block.
class StallingRelay {
 public:
  explicit StallingRelay(int upstreamPort) : upstream_(upstreamPort) {
    fd_ = listenOnLoopback(&port_);
    thread_ = std::thread([this] { run(); });
  }
  ~StallingRelay() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  void stall() { stalled_ = true; }

 private:
  static int listenOnLoopback(int* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int small = 4096;  // fills at once once nobody reads
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0)
      throw std::runtime_error("StallingRelay: cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    *port = ntohs(addr.sin_port);
    return fd;
  }
  // One thread: poll the listener and every open pair; forward both ways until stalled.
  void run() {
    struct Pair {
      int daemon, nginx;
      bool open = true;
    };
    std::vector<Pair> pairs;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      std::vector<std::size_t> owner{0};
      for (std::size_t p = 0; p < pairs.size() && !stalled_; ++p) {
        if (!pairs[p].open) continue;
        fds.push_back({pairs[p].daemon, POLLIN, 0});
        fds.push_back({pairs[p].nginx, POLLIN, 0});
        owner.push_back(p);
        owner.push_back(p);
      }
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int c = ::accept(fd_, nullptr, nullptr);
        sockaddr_in up{};
        up.sin_family = AF_INET;
        up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        up.sin_port = htons(static_cast<std::uint16_t>(upstream_));
        const int u = ::socket(AF_INET, SOCK_STREAM, 0);
        if (c >= 0 && ::connect(u, reinterpret_cast<sockaddr*>(&up), sizeof up) == 0)
          pairs.push_back({c, u});
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        Pair& pair = pairs[owner[i]];
        if (!pair.open || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = fds[i].fd;
        const int to = from == pair.daemon ? pair.nginx : pair.daemon;
        char buffer[65536];
        const ssize_t n = ::read(from, buffer, sizeof buffer);
        if (n <= 0) pair.open = false;
        for (ssize_t sent = 0; n > 0 && sent < n;) {
          const ssize_t w = ::write(to, buffer + sent, static_cast<std::size_t>(n - sent));
          if (w <= 0) break;
          sent += w;
        }
      }
    }
    for (const Pair& p : pairs) {
      ::close(p.daemon);
      ::close(p.nginx);
    }
  }

  int upstream_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stalled_{false};
  std::thread thread_;
};

TEST(OutputFaults, ADestinationThatStopsReadingMidStreamLeavesTheOtherStreamWithoutAGap) {
  TempDir dir("stalled-ingest");
  NginxRtmp nginx(dir.path());
  nginx.waitReady();
  StallingRelay relay(nginx.rtmpPort());
  writeText(dir.path() / "prog.toml", longProgramme(dir.path() / "rec"));
  const int port = freePort();
  // rtmp-1 goes to nginx, rtmp-2 to nginx through the relay that will stop reading.
  Process daemon(
      {CEREMONYD_BINARY, "--config", (dir.path() / "prog.toml").string(), "--rehearsal=1",
       "--listen", "127.0.0.1:" + std::to_string(port), "--rtmp", nginx.rtmpUrl("lai"), "--rtmp",
       "rtmp://127.0.0.1:" + std::to_string(relay.port()) + "/live/treo"},
      {dir.path() / "daemon.log"});
  auto context = [&] { return tailOf(daemon.log(), 30) + nginx.logs(); };
  Api api(port);
  ASSERT_TRUE(nginx.waitForPublish("lai", 15s)) << context();
  ASSERT_TRUE(nginx.waitForPublish("treo", 15s)) << context();
  ASSERT_TRUE(api.waitReady(10s)) << context();
  std::this_thread::sleep_for(3s);
  ASSERT_EQ(api.output("rtmp-2").value("state", ""), "live") << api.output("rtmp-2");

  relay.stall();
  const auto stalled = Clock::now();
  std::optional<Clock::time_point> noticed;
  std::string otherNotLive;
  json stalledOut;
  while (Clock::now() - stalled < 35s && !(noticed && Clock::now() - *noticed > 5s)) {
    const json out = api.output("rtmp-2");
    const json other = api.output("rtmp-1");
    if (!noticed && out.value("state", "") != "live") {
      noticed = Clock::now();
      stalledOut = out;
    }
    if (other.value("state", "") != "live") otherNotLive += other.dump() + "\n";
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(noticed) << "the stalled destination still shows live 35 s later" << context();
  std::cout << "[ measured ] stalled destination shown " << stalledOut.value("state", "")
            << " after " << seconds(*noticed - stalled) << " s («"
            << stalledOut.value("last_error", "") << "»)\n";
  // The socket buffers take the first seconds; then rtmp2sink's 5 s write timeout.
  EXPECT_LT(*noticed - stalled, 30s);
  EXPECT_EQ(otherNotLive, "") << "the healthy destination was not live throughout";
  EXPECT_LT(api.slowest(), 1s) << "the event loop was held up";
  EXPECT_EQ(api.badAnswers(), "");
  const auto stopAt = Clock::now();
  EXPECT_EQ(daemon.stop(10s), 0) << context();
  std::cout << "[ measured ] daemon stopped in " << seconds(Clock::now() - stopAt) << " s\n";

  const Received got = received(nginx, dir.path(), "lai");
  ASSERT_GT(got.frames, 2u) << "the ingest got no stream" << context();
  EXPECT_GE(got.span, seconds(Clock::now() - stalled));
  EXPECT_LE(got.gap, 0.1) << "the stream has a gap of " << got.gap << " s";
}

}  // namespace
}  // namespace ceremony::testing
