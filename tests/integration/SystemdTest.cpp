// The test plays systemd's part for a Type=notify service with WatchdogSec=: it binds the
// NOTIFY_SOCKET datagram socket, sets WATCHDOG_USEC, starts ceremonyd on programme.toml and
// checks what the unit relies on: READY=1 only once the API answers (and so after the
// programme pipeline plays: the daemon starts the API after it), STATUS= kept current in
// Vietnamese, WATCHDOG=1 at half the interval, and STOPPING=1 then exit 0 on SIGTERM.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/Common.h"
#include "support/FreePort.h"
#include "support/HttpClient.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {
namespace {

constexpr auto kWatchdog = 2s;

using Reply = HttpReply;

Reply httpGet(const std::string& url) {
  return httpCall("GET", url, {}, {}, std::chrono::seconds(3));
}

struct Notification {
  Clock::time_point at;
  std::string line;  // one assignment of a datagram, e.g. "STATUS=NOT LIVE · mục 1/5: …"
};

// systemd's end of NOTIFY_SOCKET: records every assignment with the time it arrived. A hook
// runs on the receiving thread right when a given assignment arrives, before the next
// datagram is read, so it sees the daemon as it was at that moment.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string p = path.string();
    if (fd_ < 0 || p.size() >= sizeof address.sun_path)
      throw std::runtime_error("cannot make the notify socket " + p);
    std::copy(p.begin(), p.end(), address.sun_path);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot bind the notify socket " + p);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  ~NotifySocket() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

  void onArrival(const std::string& line, std::function<void()> hook) {
    hookLine_ = line;
    hook_ = std::move(hook);
  }
  void start() {
    thread_ = std::thread([this] { receive(); });
  }

  // The first notification after `from` for which `match` holds, waiting up to `timeout`.
  std::optional<Notification> waitFor(const std::function<bool(const std::string&)>& match,
                                      std::chrono::milliseconds timeout, std::size_t from = 0) {
    std::unique_lock lock(mutex_);
    std::optional<Notification> found;
    arrived_.wait_for(lock, timeout, [&] {
      for (std::size_t i = from; i < received_.size(); ++i)
        if (match(received_[i].line)) {
          found = received_[i];
          return true;
        }
      return false;
    });
    return found;
  }
  std::optional<Notification> waitFor(const std::string& line, std::chrono::milliseconds timeout) {
    return waitFor([&](const std::string& l) { return l == line; }, timeout);
  }
  std::vector<Notification> all() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::string transcript() {
    std::string text;
    for (const auto& n : all()) text += n.line + "\n";
    return text;
  }

 private:
  void receive() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      const auto now = Clock::now();
      std::vector<std::string> lines;
      std::string datagram(buffer, static_cast<std::size_t>(n));
      for (std::size_t at = 0; at < datagram.size();) {
        auto end = datagram.find('\n', at);
        if (end == std::string::npos) end = datagram.size();
        if (end > at) lines.push_back(datagram.substr(at, end - at));
        at = end + 1;
      }
      for (const auto& line : lines)
        if (hook_ && line == hookLine_) hook_();
      {
        std::lock_guard lock(mutex_);
        for (auto& line : lines) received_.push_back({now, std::move(line)});
      }
      arrived_.notify_all();
    }
  }

  fs::path path_;
  int fd_ = -1;
  std::string hookLine_;
  std::function<void()> hook_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Notification> received_;
};

bool startsWith(const std::string& line, const std::string& prefix) {
  return line.rfind(prefix, 0) == 0;
}

// What systemd sets for a Type=notify service with WatchdogSec=: its socket is dir/notify.sock.
std::vector<std::string> systemdEnvironment(const fs::path& dir) {
  const auto watchdogUsec = std::chrono::microseconds(kWatchdog).count();
  return {"NOTIFY_SOCKET=" + (dir / "notify.sock").string(),
          "WATCHDOG_USEC=" + std::to_string(watchdogUsec)};
}

TEST(Systemd, NotifiesReadyStatusWatchdogAndStopping) {
  TempDir dir("systemd");
  writeText(dir / "programme.toml", readText(kData / "programme.toml"));
  NotifySocket notify(dir / "notify.sock");

  const int port = freePort();
  const std::string statusUrl = "http://127.0.0.1:" + std::to_string(port) + "/api/status";
  Reply atReady;  // written on the receiving thread before READY=1 is recorded, read after
  notify.onArrival("READY=1", [&] { atReady = httpGet(statusUrl); });
  notify.start();

  const auto started = Clock::now();
  const std::vector<std::string> argv = {CEREMONYD_BINARY,
                                         "--config",
                                         (dir / "programme.toml").string(),
                                         "--rehearsal=1",
                                         "--listen",
                                         "127.0.0.1:" + std::to_string(port),
                                         "--state-dir",
                                         (dir / "state").string()};
  Process daemon(argv, ProcessOptions(dir / "ceremonyd.log", {}, systemdEnvironment(dir.path())));
  auto context = [&] {
    return "notifications:\n" + notify.transcript() + "log:\n" + tailOf(daemon.log());
  };

  // READY=1, and the API already answered at that moment.
  const auto ready = notify.waitFor("READY=1", 30s);
  ASSERT_TRUE(ready) << "no READY=1 within 30 s\n" << context();
  const double startToReady = seconds(ready->at - started);
  std::cout << "[ measured ] start → READY=1: " << startToReady << " s\n";
  ASSERT_EQ(atReady.status, 200) << "GET /api/status when READY=1 arrived\n" << context();
  // ...and the programme was already running: the pre-show card before item 1, and the
  // recording opened (it turns "live" on the event loop, so it may still say "connecting").
  const auto status = nlohmann::json::parse(atReady.body, nullptr, false);
  ASSERT_TRUE(status.is_object()) << atReady.body;
  EXPECT_EQ(status.value("phase", std::string()), "pre-show") << atReady.body;
  ASSERT_EQ(status["outputs"].size(), 1u) << atReady.body;
  const std::string recording = status["outputs"][0].value("state", std::string());
  EXPECT_TRUE(recording == "live" || recording == "connecting") << atReady.body;

  // STATUS= follows the run-of-show: item 1 about 2 s after the first frame, item 2 6 s later.
  const auto item1 = notify.waitFor(
      [](const std::string& l) {
        return startsWith(l, "STATUS=") && l.find("mục 1/5: Khai mạc") != std::string::npos;
      },
      15s);
  ASSERT_TRUE(item1) << "no STATUS= with «mục 1/5: Khai mạc»\n" << context();
  const auto item2 = notify.waitFor(
      [](const std::string& l) {
        return startsWith(l, "STATUS=") &&
               l.find("mục 2/5: Giới thiệu đại biểu") != std::string::npos;
      },
      15s);
  ASSERT_TRUE(item2) << "STATUS= did not move on to «mục 2/5»\n" << context();
  const double itemGap = seconds(item2->at - item1->at);
  EXPECT_NEAR(itemGap, 6.0, 1.5) << context();

  // WATCHDOG=1 from the start, about every WATCHDOG_USEC / 2, never close to a miss.
  std::vector<Clock::time_point> pings;
  for (const auto& n : notify.all())
    if (n.line == "WATCHDOG=1") pings.push_back(n.at);
  ASSERT_GE(pings.size(), 5u) << context();
  EXPECT_LE(pings.front(), ready->at + 100ms) << "the first ping comes with READY=1";
  std::vector<double> gaps;
  for (std::size_t i = 1; i < pings.size(); ++i) gaps.push_back(seconds(pings[i] - pings[i - 1]));
  std::vector<double> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double longest = sorted.back();
  std::cout << "[ measured ] watchdog pings: " << pings.size() << ", median period " << median
            << " s, longest " << longest << " s (WATCHDOG_USEC " << seconds(kWatchdog) << " s)\n";
  EXPECT_NEAR(median, seconds(kWatchdog) / 2, 0.15);
  EXPECT_LT(longest, seconds(kWatchdog) * 0.8) << "a ping came late enough to worry systemd";

  // Under a notify socket without JOURNAL_STREAM the log stays on the console (stderr).
  EXPECT_NE(daemon.log().find("ceremonyd đang chạy"), std::string::npos) << context();

  // SIGTERM: STOPPING=1, then a clean exit 0 well within the unit's TimeoutStopSec.
  const auto termAt = Clock::now();
  daemon.signal(SIGTERM);
  const auto stopping = notify.waitFor("STOPPING=1", 10s);
  ASSERT_TRUE(stopping) << "no STOPPING=1 after SIGTERM\n" << context();
  const auto exit = daemon.waitFor(15s);
  const double stopTime = seconds(Clock::now() - termAt);
  std::cout << "[ measured ] SIGTERM → STOPPING=1: " << seconds(stopping->at - termAt)
            << " s, → exit: " << stopTime << " s\n";
  ASSERT_TRUE(exit) << "still running 15 s after SIGTERM\n" << context();
  EXPECT_EQ(*exit, 0) << context();
  EXPECT_LT(stopTime, 5.0) << context();
}

// SIGHUP is announced as RELOADING=1 then READY=1 (systemctl reload waits for it); and an
// event loop that hangs stops the watchdog pings, which is what makes systemd restart it.
// The hang comes from tests/tools/ceremonyd_stallable (ceremonyd plus SIGUSR1 → a 6 s block
// on the event loop; ceremonyd itself has no such signal).
TEST(Systemd, ReloadIsAnnouncedAndAStalledEventLoopStopsTheWatchdog) {
  TempDir dir("systemd-stall");
  writeText(dir / "programme.toml", readText(kData / "programme.toml"));
  NotifySocket notify(dir / "notify.sock");
  notify.start();
  const fs::path stallable = fs::path(CEREMONYD_BINARY).parent_path() / "ceremonyd_stallable";
  ASSERT_TRUE(fs::exists(stallable)) << stallable;
  const std::vector<std::string> argv = {stallable.string(),
                                         "--config",
                                         (dir / "programme.toml").string(),
                                         "--rehearsal=1",
                                         "--listen",
                                         "127.0.0.1:0",
                                         "--state-dir",
                                         (dir / "state").string()};
  Process daemon(argv, ProcessOptions(dir / "ceremonyd.log", {}, systemdEnvironment(dir.path())));
  auto context = [&] {
    return "notifications:\n" + notify.transcript() + "log:\n" + tailOf(daemon.log());
  };
  ASSERT_TRUE(notify.waitFor("READY=1", 30s)) << context();

  // Reload: RELOADING=1, then READY=1 again.
  const std::size_t before = notify.all().size();
  daemon.signal(SIGHUP);
  const auto reloading =
      notify.waitFor([](const std::string& l) { return l == "RELOADING=1"; }, 5s, before);
  ASSERT_TRUE(reloading) << context();
  const std::size_t afterReloading = notify.all().size();
  EXPECT_TRUE(
      notify.waitFor([](const std::string& l) { return l == "READY=1"; }, 5s, afterReloading - 1))
      << context();
  EXPECT_NE(daemon.log().find("SIGHUP: đã nạp lại"), std::string::npos) << context();

  // A stalled event loop: no ping for the 6 s it hangs (WATCHDOG_USEC is 2 s: systemd would
  // have killed it), then pings again.
  std::this_thread::sleep_for(1500ms);
  const auto stalledAt = Clock::now();
  daemon.signal(SIGUSR1);
  std::this_thread::sleep_for(6500ms);
  std::vector<Clock::time_point> pings;
  for (const auto& n : notify.all())
    if (n.line == "WATCHDOG=1") pings.push_back(n.at);
  Clock::duration longest{};
  for (std::size_t i = 1; i < pings.size(); ++i)
    if (pings[i] > stalledAt) longest = std::max(longest, pings[i] - pings[i - 1]);
  std::cout << "[ measured ] longest silence of the watchdog while the loop hung: "
            << seconds(longest) << " s (WATCHDOG_USEC " << seconds(kWatchdog) << " s)\n";
  EXPECT_GT(longest, kWatchdog) << "pings went on while the event loop was stuck\n" << context();
  const auto resumed = notify.waitFor([](const std::string& l) { return l == "WATCHDOG=1"; }, 3s,
                                      notify.all().size());
  EXPECT_TRUE(resumed) << "no ping after the loop came back\n" << context();
  EXPECT_EQ(daemon.stop(10s), 0) << context();
}

}  // namespace
}  // namespace ceremony::testing
