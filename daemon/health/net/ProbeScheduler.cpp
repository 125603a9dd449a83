#include "health/net/ProbeScheduler.h"

#include <algorithm>

namespace ceremony::health {

ProbeScheduler::ProbeScheduler(ProbeContext context, const ProbeKinds& kinds,
                               const HealthSettings& settings,
                               const std::vector<PointConfig>& points, Deliver deliver)
    : context_(context),
      interval_(std::max(settings.interval, Millis(1))),
      // Spreading beyond most of the interval would push a round's tail into the next.
      jitter_(std::clamp(settings.jitter, Millis(0), interval_ * 3 / 4)),
      restAfter_(std::max(1, settings.downFailures)),
      deliver_(std::move(deliver)),
      roundTimer_(context.io),
      launchTimer_(context.io),
      alive_(std::make_shared<bool>(true)) {
  for (const auto& point : points)
    for (const auto& spec : point.probes) slots_.push_back(Slot{kinds.make(point, spec, context_)});
  const auto n = static_cast<long long>(slots_.size());
  for (long long i = 0; i < n; ++i) slots_[i].offset = Millis(jitter_.count() * i / n);
}

ProbeScheduler::~ProbeScheduler() {
  *alive_ = false;
  roundTimer_.cancel();
  launchTimer_.cancel();
  slots_.clear();  // abandons running probes: their callbacks never come
}

void ProbeScheduler::start() {
  if (!stopped_) return;
  stopped_ = false;
  roundStart_ = Steady::now() - interval_;  // beginRound() adds one interval
  beginRound();
}

void ProbeScheduler::stop() {
  stopped_ = true;
  roundTimer_.cancel();
  launchTimer_.cancel();
}

std::size_t ProbeScheduler::running() const {
  return static_cast<std::size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.busy; }));
}

void ProbeScheduler::beginRound() {
  if (stopped_) return;
  // A round whose launches had not all happened (only possible with a huge jitter) ends
  // here: its remaining probes wait for this round's turn.
  if (auto it = rounds_.find(round_); it != rounds_.end() && !it->second.launchedAll) {
    it->second.launchedAll = true;
    maybeRoundDone(round_);
  }
  ++round_;
  roundStart_ += interval_;
  // After a long stall of the loop, restart the grid instead of firing a burst of rounds.
  if (Steady::now() - roundStart_ > interval_) roundStart_ = Steady::now();
  cursor_ = 0;
  RoundState& state = rounds_[round_];
  state.start = roundStart_;
  state.summary.round = round_;

  roundTimer_.expires_at(roundStart_ + interval_);
  roundTimer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](auto ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    beginRound();
  });
  launchDue();
}

void ProbeScheduler::launchDue() {
  if (stopped_) return;
  // Everything due within the next few milliseconds starts now: at 10,000 points (2,000
  // starts a second) waking the loop once per probe cost a timer re-arm each. Always the
  // same probes together, so each still keeps its own steady period.
  const auto now = Steady::now() + kLaunchAhead;
  while (cursor_ < slots_.size() && roundStart_ + slots_[cursor_].offset <= now) launch(cursor_++);
  if (cursor_ < slots_.size()) {
    launchTimer_.expires_at(roundStart_ + slots_[cursor_].offset);
    launchTimer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](auto ec) {
      auto a = alive.lock();
      if (ec || !a || !*a) return;
      launchDue();
    });
    return;
  }
  rounds_[round_].launchedAll = true;
  maybeRoundDone(round_);
}

void ProbeScheduler::launch(std::size_t index) {
  Slot& slot = slots_[index];
  RoundState& state = rounds_[round_];
  if (slot.busy) {
    ++skippedBusy_;
    ++state.summary.skippedBusy;
    return;
  }
  if (slot.failedRun >= restAfter_ && !slot.rested && slot.probe->restsWhileDown()) {
    slot.rested = true;
    ++rested_;
    ++state.summary.rested;
    return;
  }
  slot.rested = false;
  slot.busy = true;
  slot.round = round_;
  ++state.outstanding;
  ++state.summary.started;
  // A probe never calls back once destroyed, and the probes die with the scheduler: `this`
  // is enough, and two words fit std::function without an allocation per probe.
  slot.probe->run([this, index](std::optional<ProbeResult> r) { finished(index, r); });
}

void ProbeScheduler::finished(std::size_t index, const std::optional<ProbeResult>& r) {
  const std::uint64_t round = slots_[index].round;
  slots_[index].busy = false;
  if (r) slots_[index].failedRun = r->ok ? 0 : slots_[index].failedRun + 1;
  auto it = rounds_.find(round);
  if (it != rounds_.end()) {
    --it->second.outstanding;
    if (r && !r->ok) ++it->second.summary.failed;
    it->second.summary.wall = Steady::now() - it->second.start;
  }
  if (r && deliver_) deliver_(*r);
  maybeRoundDone(round);
}

void ProbeScheduler::maybeRoundDone(std::uint64_t round) {
  auto it = rounds_.find(round);
  if (it == rounds_.end() || !it->second.launchedAll || it->second.outstanding != 0) return;
  RoundSummary summary = it->second.summary;
  rounds_.erase(it);
  if (roundDone_) roundDone_(summary);
}

}  // namespace ceremony::health
