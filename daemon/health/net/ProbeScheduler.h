#pragma once
// Runs every probe of every point once per interval on the daemon's io_context.
//
//  - Rounds start on a fixed grid (start, start + interval, ...), so a slow round never
//    pushes the next one later.
//  - Within a round, probe i of N starts at round start + jitter * i / N: 96 points do not
//    fire in the same millisecond, and each point keeps its own steady period.
//  - Probes run concurrently (curl multi, asio connects): a hanging point costs its own
//    timeout and nothing else.
//  - A probe whose previous run has not finished is skipped for this round, never
//    started twice (counted in skippedBusy()).
//  - A connecting probe (Probe::restsWhileDown) that failed its last `down_after` runs in a
//    row, so whose point is down, rests every other round (counted in rested()): a dead
//    or hanging point is asked every two intervals, not every one. Its first good answer
//    brings it back to every round, so a point that comes back is seen at most one
//    interval later than without the rest, and its `up_after` good answers then come one
//    interval apart as before. At 10,000 points with a fifth hanging that was 400 new
//    connections a second, each left to time out.
//  - One thread: the io_context's. No thread per probe.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "health/HealthConfig.h"
#include "health/ProbeResult.h"
#include "health/net/Probes.h"

namespace ceremony::health {

class ProbeScheduler {
 public:
  using Deliver = std::function<void(const ProbeResult&)>;
  using Steady = std::chrono::steady_clock;

  // What one round cost, once its last probe has answered.
  struct RoundSummary {
    std::uint64_t round = 0;  // 1, 2, ...
    std::size_t started = 0;
    std::size_t skippedBusy = 0;  // previous run of that probe still going
    std::size_t rested = 0;       // probes of down points resting this round
    std::size_t failed = 0;
    Steady::duration wall{};  // round start → last answer of this round
  };

  // Builds one Probe per (point, probe spec) through `kinds`; throws
  // std::invalid_argument for a kind the registry does not know.
  ProbeScheduler(ProbeContext context, const ProbeKinds& kinds, const HealthSettings& settings,
                 const std::vector<PointConfig>& points, Deliver deliver);
  ~ProbeScheduler();
  ProbeScheduler(const ProbeScheduler&) = delete;
  ProbeScheduler& operator=(const ProbeScheduler&) = delete;

  void start();  // first round now
  void stop();   // no new probes; running ones still deliver
  void onRoundDone(std::function<void(const RoundSummary&)> f) { roundDone_ = std::move(f); }

  std::size_t probeCount() const { return slots_.size(); }
  std::size_t running() const;
  std::uint64_t rounds() const { return round_; }
  std::uint64_t skippedBusy() const { return skippedBusy_; }
  std::uint64_t rested() const { return rested_; }
  Millis jitter() const { return jitter_; }

 private:
  struct Slot {
    std::unique_ptr<Probe> probe;
    Millis offset{0};
    bool busy = false;
    std::uint64_t round = 0;  // of its running check
    int failedRun = 0;        // failed results in a row
    bool rested = false;      // skipped its last round to rest
  };
  struct RoundState {
    Steady::time_point start;
    RoundSummary summary;
    std::size_t outstanding = 0;
    bool launchedAll = false;
  };

  // Probes due this soon are started together (never late; this much early at most).
  static constexpr Steady::duration kLaunchAhead = std::chrono::milliseconds(4);

  void beginRound();
  void launchDue();
  void launch(std::size_t index);
  void finished(std::size_t index, const std::optional<ProbeResult>& r);
  void maybeRoundDone(std::uint64_t round);

  ProbeContext context_;
  Millis interval_;
  Millis jitter_;
  int restAfter_;  // failures in a row after which a connecting probe rests every other round
  Deliver deliver_;
  std::function<void(const RoundSummary&)> roundDone_;
  std::vector<Slot> slots_;
  boost::asio::steady_timer roundTimer_;
  boost::asio::steady_timer launchTimer_;
  Steady::time_point roundStart_;
  std::size_t cursor_ = 0;
  std::uint64_t round_ = 0;
  std::uint64_t skippedBusy_ = 0;
  std::uint64_t rested_ = 0;
  std::map<std::uint64_t, RoundState> rounds_;
  bool stopped_ = true;
  std::shared_ptr<bool> alive_;
};

}  // namespace ceremony::health
