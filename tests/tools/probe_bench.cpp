// probe_bench: the daemon's real probing path (ProbeScheduler + CurlMulti on one
// io_context, judged by HealthMonitor) against a list of HTTP targets, for
// tests/bench/health_bench.py.
//
//   probe_bench --targets FILE [--timeout MS] [--connect-timeout MS] [--interval MS]
//               [--jitter MS] (--sweeps N [--limit MS] [--verbose] | --continuous
//               [--duration S])
//
// FILE has one target a line, "ID URL [hang]" ('#' starts a comment). Every target becomes
// a point with one probe: http (expect 200) for http:// URLs, tcp (connect) for
// tcp://HOST:PORT, with the given timeouts. "hang" marks a target expected to fail: once
// any target is marked, every failed probe of an unmarked one is a false failure
// ({"ev":"false_fail",...} and the "false_failures" count in stats). Output is JSON lines on
// stdout, one object each, flushed at once.
//
// --sweeps N: N separate sweeps. Each starts the scheduler, waits for its first round to
//   finish (RoundSummary), stops it, and prints
//     {"ev":"sweep","sweep":k,"points":..,"started":..,"failed":..,"wall_ms":..,
//      "cpu_ms":..,"user_ms":..,"sys_ms":..,"cpu_per_probe_us":..,"max_rss_kb":..,
//      "reasons":{"no answer within 1500 ms":20}}
//   wall_ms is the scheduler's own RoundSummary::wall (round start to last answer); CPU is
//   getrusage(RUSAGE_SELF) from just before start() to just after the round, so it covers
//   everything the process did for the sweep (curl, asio, the scheduler). Default jitter
//   is 0 here: every probe starts at once, the worst case for the loop. A sweep still
//   running after --limit (default 10 x timeout) is reported as {"ev":"unfinished",...}
//   with the answers so far, and the program exits 1. (The limit is checked between
//   handlers: a single call into curl that takes longer overruns it.)
//
// --continuous: probes every interval (default jitter 500 ms, the daemon's) and feeds the
//   results to a HealthMonitor with default hysteresis, as the daemon does. Prints
//     {"ev":"started","points":..,"t":MS,"interval_ms":..,"jitter_ms":..}
//     {"ev":"round","round":..,"started":..,"failed":..,"skipped":..,"wall_ms":..}
//     {"ev":"fail","point":..,"t":MS,"reason":..}   a probe failed after the point's last
//                                                   probe had succeeded (first failed probe)
//     {"ev":"state","point":..,"from":..,"to":..,"t":MS,"reason":..}  HealthMonitor's decision
//   t is the wall clock in ms since the epoch (the result's ProbeResult::at, the event's
//   HealthEvent::at). Commands on stdin, one a line: "stats" prints
//     {"ev":"stats","probes":..,"failed":..,"false_failures":..,"curl_running":..,
//      "cpu_us":..,"rounds":..,"skipped":..}
//   (probes = results delivered so far, cpu_us = getrusage user+system); "quit" or end of
//   stdin stops. --duration (default 900 s) bounds the run in any case.

#include <sys/resource.h>
#include <unistd.h>

// <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "health/HealthMonitor.h"
#include "health/net/CurlMulti.h"
#include "health/net/ProbeScheduler.h"
#include "health/net/Probes.h"

namespace {

namespace asio = boost::asio;
using namespace ceremony;
using Steady = std::chrono::steady_clock;
using json = nlohmann::json;

struct Options {
  std::string targets;
  long timeoutMs = 2000;
  long connectTimeoutMs = -1;  // -1: the same as timeout
  long intervalMs = 2000;
  long jitterMs = -1;  // -1: 0 for sweeps, 500 for continuous
  int sweeps = 0;
  bool continuous = false;
  long durationS = 900;
  bool verbose = false;  // progress on stderr every second
  long limitMs = 0;      // a sweep that takes longer is reported unfinished; 0: 10 x timeout
};

void emit(const json& j) {
  std::cout << j.dump() << std::endl;  // endl: the script reads line by line, live
}

struct Cpu {
  long long userUs = 0, sysUs = 0, maxRssKb = 0;
  long long total() const { return userUs + sysUs; }
};

Cpu cpuNow() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto us = [](const timeval& t) {
    return static_cast<long long>(t.tv_sec) * 1000000 + t.tv_usec;
  };
  return Cpu{us(u.ru_utime), us(u.ru_stime), u.ru_maxrss};
}

long long msOf(WallTime t) {
  return t.time_since_epoch().count();
}

double msOf(Steady::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
}

// The targets marked "hang" in the file: their failures are expected, any other is false.
std::set<std::string> hanging;

std::vector<health::PointConfig> readTargets(const Options& o) {
  std::ifstream in(o.targets);
  if (!in) throw std::runtime_error("cannot read " + o.targets);
  std::vector<health::PointConfig> points;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string id, url, expect;
    if (!(words >> id >> url)) continue;
    words >> expect;
    health::ProbeSpec spec;
    static const std::string tcpScheme = "tcp://";
    if (url.rfind(tcpScheme, 0) == 0) {
      const auto hostPort = url.substr(tcpScheme.size());
      const auto colon = hostPort.rfind(':');
      if (colon == std::string::npos) throw std::runtime_error("tcp://HOST:PORT expected: " + url);
      spec.name = spec.kind = "tcp";
      spec.host = hostPort.substr(0, colon);
      spec.port = std::stoi(hostPort.substr(colon + 1));
    } else {
      spec.name = spec.kind = "http";
      spec.url = url;
    }
    if (expect == "hang") hanging.insert(id);
    spec.timeout = Millis(o.timeoutMs);
    spec.connectTimeout = Millis(o.connectTimeoutMs < 0 ? o.timeoutMs : o.connectTimeoutMs);
    spec.expectStatus = 200;
    health::PointConfig p;
    p.id = id;
    p.name = "Xã " + id;
    p.kind = "xã";
    p.probes = {spec};
    points.push_back(std::move(p));
  }
  return points;
}

// Runs `io` until `done()` or `limit`. Returns done(). Blocks in run_one(): no polling
// wake-ups of its own, so the CPU measured is the probing's, not the harness's.
bool runUntil(asio::io_context& io, Steady::duration limit, const std::function<bool()>& done) {
  bool expired = false;
  asio::steady_timer deadline(io);
  deadline.expires_after(limit);
  deadline.async_wait([&expired](boost::system::error_code ec) {
    if (!ec) expired = true;
  });
  io.restart();
  while (!done() && !expired) io.run_one();
  deadline.cancel();
  io.poll();  // the cancelled wait completes while `expired` still exists
  return done();
}

int sweeps(const Options& o, const std::vector<health::PointConfig>& points) {
  asio::io_context io;
  SystemClock clock;
  health::CurlMulti curl(io);
  health::HeartbeatTracker heartbeats(clock);
  health::ProbeContext context{io, curl, heartbeats, clock};
  health::HealthSettings settings;
  // One round per start(): the next round would begin long after the sweep is over.
  settings.interval = Millis(o.timeoutMs * 10 + 60000);
  settings.jitter = Millis(o.jitterMs < 0 ? 0 : o.jitterMs);
  std::size_t answered = 0, failed = 0;
  std::map<std::string, std::size_t> reasons;  // why probes failed, this sweep
  health::ProbeScheduler scheduler(context, health::ProbeKinds::builtin(), settings, points,
                                   [&](const health::ProbeResult& r) {
                                     ++answered;
                                     failed += r.ok ? 0 : 1;
                                     if (!r.ok) ++reasons[r.reason];
                                   });
  std::optional<health::ProbeScheduler::RoundSummary> summary;
  scheduler.onRoundDone([&](const auto& s) { summary = s; });
  int status = 0;
  for (int k = 1; k <= o.sweeps; ++k) {
    summary.reset();
    answered = failed = 0;
    reasons.clear();
    const Cpu before = cpuNow();
    const auto t0 = Steady::now();
    scheduler.start();
    auto lastReport = Steady::now();
    const bool finished = runUntil(io, std::chrono::milliseconds(o.timeoutMs * 5 + 30000), [&] {
      if (o.verbose && Steady::now() - lastReport > std::chrono::seconds(1)) {
        lastReport = Steady::now();
        std::cerr << "sweep " << k << ": " << msOf(lastReport - t0) << " ms, probes running "
                  << scheduler.running() << ", curl transfers " << curl.running()
                  << ", curl sockets " << curl.watchedSockets() << "\n";
      }
      return summary.has_value();
    });
    const auto elapsed = Steady::now() - t0;
    scheduler.stop();
    const Cpu after = cpuNow();
    const double cpuMs = (after.total() - before.total()) / 1000.0;
    if (!finished) {
      // Report how far it got; the probes still running are abandoned with the process.
      emit({{"ev", "unfinished"},
            {"sweep", k},
            {"points", points.size()},
            {"answered", answered},
            {"failed", failed},
            {"elapsed_ms", msOf(elapsed)},
            {"cpu_ms", cpuMs}});
      status = 1;
      break;
    }
    emit({{"ev", "sweep"},
          {"sweep", k},
          {"points", points.size()},
          {"started", summary->started},
          {"failed", summary->failed},
          {"skipped", summary->skippedBusy},
          {"wall_ms", msOf(summary->wall)},
          {"elapsed_ms", msOf(elapsed)},
          {"cpu_ms", cpuMs},
          {"user_ms", (after.userUs - before.userUs) / 1000.0},
          {"sys_ms", (after.sysUs - before.sysUs) / 1000.0},
          {"cpu_per_probe_us",
           summary->started ? cpuMs * 1000.0 / static_cast<double>(summary->started) : 0.0},
          {"max_rss_kb", after.maxRssKb},
          {"reasons", reasons},
          {"curl_running", curl.running()},
          {"curl_sockets", curl.watchedSockets()}});
    // Let the kernel settle closed connections before the next sweep.
    runUntil(io, std::chrono::milliseconds(300), [] { return false; });
  }
  return status;
}

class Printer final : public health::HealthMonitor::Listener {
 public:
  void onHealthEvent(const health::HealthEvent& e) override {
    if (e.kind != health::EventKind::PointChanged) {
      emit({{"ev", e.kind == health::EventKind::UplinkRaised ? "uplink_raised" : "uplink_cleared"},
            {"t", msOf(e.at)}});
      return;
    }
    emit({{"ev", "state"},
          {"point", e.pointId},
          {"from", health::statusName(e.from)},
          {"to", health::statusName(e.to)},
          {"t", msOf(e.at)},
          {"reason", e.reason}});
  }
};

int continuous(const Options& o, const std::vector<health::PointConfig>& points) {
  asio::io_context io;
  SystemClock clock;
  health::CurlMulti curl(io);
  health::HeartbeatTracker heartbeats(clock);
  health::ProbeContext context{io, curl, heartbeats, clock};
  health::HealthConfig config;
  config.points = points;
  config.settings.interval = Millis(o.intervalMs);
  config.settings.jitter = Millis(o.jitterMs < 0 ? 500 : o.jitterMs);
  health::HealthMonitor monitor(config, clock.now());  // default hysteresis, no event log
  Printer printer;
  monitor.addListener(&printer);

  std::map<std::string, bool> lastOk;
  std::uint64_t delivered = 0, failedProbes = 0, falseFailures = 0;
  health::ProbeScheduler scheduler(
      context, health::ProbeKinds::builtin(), config.settings, points,
      [&](const health::ProbeResult& r) {
        ++delivered;
        if (!r.ok) {
          ++failedProbes;
          if (!hanging.empty() && !hanging.count(r.pointId)) {
            ++falseFailures;
            emit({{"ev", "false_fail"},
                  {"point", r.pointId},
                  {"t", msOf(r.at)},
                  {"reason", r.reason}});
          }
        }
        auto it = lastOk.find(r.pointId);
        if (!r.ok && it != lastOk.end() && it->second)
          emit({{"ev", "fail"}, {"point", r.pointId}, {"t", msOf(r.at)}, {"reason", r.reason}});
        lastOk[r.pointId] = r.ok;
        monitor.onProbeResult(r);
      });
  scheduler.onRoundDone([](const health::ProbeScheduler::RoundSummary& s) {
    emit({{"ev", "round"},
          {"round", s.round},
          {"started", s.started},
          {"failed", s.failed},
          {"skipped", s.skippedBusy},
          {"wall_ms", msOf(s.wall)}});
  });

  asio::steady_timer ticker(io);
  std::function<void()> tick = [&] {
    monitor.tick(clock.now());
    ticker.expires_after(std::chrono::seconds(1));  // as the daemon (ConnectionPoints)
    ticker.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };

  bool quit = false;
  asio::posix::stream_descriptor input(io, ::dup(STDIN_FILENO));
  asio::streambuf buffer;
  std::function<void()> read = [&] {
    asio::async_read_until(input, buffer, '\n', [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
        quit = true;  // stdin closed: the script is gone or done
        return;
      }
      std::istream in(&buffer);
      std::string line;
      std::getline(in, line);
      if (line == "stats") {
        emit({{"ev", "stats"},
              {"probes", delivered},
              {"failed", failedProbes},
              {"false_failures", falseFailures},
              {"curl_running", curl.running()},
              {"cpu_us", cpuNow().total()},
              {"rounds", scheduler.rounds()},
              {"skipped", scheduler.skippedBusy()}});
      } else if (line == "quit") {
        quit = true;
        return;
      }
      read();
    });
  };
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) quit = true;
  });

  tick();
  read();
  scheduler.start();
  emit({{"ev", "started"},
        {"points", points.size()},
        {"t", msOf(clock.now())},
        {"interval_ms", o.intervalMs},
        {"jitter_ms", config.settings.jitter.count()}});
  runUntil(io, std::chrono::seconds(o.durationS), [&] { return quit; });
  scheduler.stop();
  ticker.cancel();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--targets" && hasValue) {
      o.targets = argv[++i];
    } else if (a == "--timeout" && hasValue) {
      o.timeoutMs = std::stol(argv[++i]);
    } else if (a == "--connect-timeout" && hasValue) {
      o.connectTimeoutMs = std::stol(argv[++i]);
    } else if (a == "--interval" && hasValue) {
      o.intervalMs = std::stol(argv[++i]);
    } else if (a == "--jitter" && hasValue) {
      o.jitterMs = std::stol(argv[++i]);
    } else if (a == "--sweeps" && hasValue) {
      o.sweeps = std::stoi(argv[++i]);
    } else if (a == "--duration" && hasValue) {
      o.durationS = std::stol(argv[++i]);
    } else if (a == "--limit" && hasValue) {
      o.limitMs = std::stol(argv[++i]);
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--continuous") {
      o.continuous = true;
    } else {
      std::cerr << "probe_bench: unknown or incomplete argument " << a << "\n";
      return 2;
    }
  }
  if (o.limitMs <= 0) o.limitMs = o.timeoutMs * 10;
  if (o.targets.empty() || (o.sweeps <= 0 && !o.continuous)) {
    std::cerr << "usage: probe_bench --targets FILE [--timeout MS] [--connect-timeout MS]\n"
                 "         [--interval MS] [--jitter MS] (--sweeps N | --continuous "
                 "[--duration S])\n";
    return 2;
  }
  // 10,000 concurrent probes need 10,000 sockets.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  try {
    const auto points = readTargets(o);
    if (points.empty()) throw std::runtime_error("no targets in " + o.targets);
    return o.continuous ? continuous(o, points) : sweeps(o, points);
  } catch (const std::exception& e) {
    std::cerr << "probe_bench: " << e.what() << "\n";
    return 1;
  }
}
