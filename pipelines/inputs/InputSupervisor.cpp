#include "pipelines/inputs/InputSupervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/Backoff.h"

namespace ceremony::media {

const char* toString(InputState s) {
  switch (s) {
    case InputState::Running:
      return "running";
    case InputState::Stalled:
      return "stalled";
    case InputState::Retrying:
      return "retrying";
    case InputState::Frozen:
      return "frozen";
  }
  return "unknown";
}

InputSupervisor::InputSupervisor(boost::asio::io_context& io, std::shared_ptr<bool> alive,
                                 const ProgrammeFormat& format, StopThreads& stopThreads,
                                 Hooks hooks)
    : io_(io),
      alive_(std::move(alive)),
      format_(format),
      stopThreads_(stopThreads),
      hooks_(std::move(hooks)) {}

void InputSupervisor::add(const SourceConfig& s, std::shared_ptr<InputWatch> watch,
                          std::string channel) {
  Input input;
  input.source = s;
  input.status.id = s.id;
  input.status.label = s.label.empty() ? s.id : s.label;
  input.status.since = std::chrono::time_point_cast<Millis>(WallClock::now());
  input.status.watched = watch != nullptr;
  input.watch = std::move(watch);
  input.channel = std::move(channel);
  inputs_.push_back(std::move(input));
}

void InputSupervisor::startAll() {
  for (auto& in : inputs_) {
    if (!in.watch) continue;
    // A point's return feed is built when the point sends (pipelines/bridge/ReturnFeed): until
    // then its card is on air.
    if (in.source.kind == SourceKind::Point) {
      in.watch->lastFrameUs = 0;
      continue;
    }
    in.watch->lastFrameUs = g_get_monotonic_time();
    std::string why;
    if (!startPipeline(in, &why)) hooks_.lost(*in.watch, g_get_monotonic_time(), why);
  }
}

void InputSupervisor::report(Input& input, InputState state, const std::string& reason) {
  input.status.state = state;
  input.status.lastReason = reason;
  input.status.since = std::chrono::time_point_cast<Millis>(WallClock::now());
  hooks_.report(input.status);
}

void InputSupervisor::onLost(const std::string& id, const std::string& reason, bool rebuild) {
  Input* found = find(id);
  if (!found || !found->watch) return;
  Input& in = *found;
  if (in.status.state == InputState::Running) ++in.status.losses;
  const auto state = rebuild || in.status.state == InputState::Retrying ? InputState::Retrying
                                                                        : InputState::Stalled;
  if (in.source.kind == SourceKind::Point) {
    // Nothing to rebuild: the point sends again, or it does not.
    if (in.status.state != InputState::Stalled || in.status.lastReason != reason)
      report(in, InputState::Stalled, reason);
    return;
  }
  if (in.status.state != state || in.status.lastReason != reason) report(in, state, reason);
  if (in.restart) return;  // a rebuild is already due
  // Rebuilt after 1 s × 1.5ⁿ (at most 10 s); a stall that ends before then needs none.
  const auto delay = backoffDelay(Millis(1000), in.attempt, Millis(10000));
  ++in.attempt;
  in.restart = std::make_shared<boost::asio::steady_timer>(io_, delay);
  in.restart->async_wait(
      [this, alive = alive_, id, timer = in.restart](const boost::system::error_code& ec) {
        if (ec || !*alive) return;
        Input* entry = find(id);
        if (!entry || entry->restart != timer) return;
        entry->restart.reset();
        if (hooks_.stillLost(*entry->watch)) restart(id);
      });
}

void InputSupervisor::onFrozen(const std::string& id, const std::string& reason) {
  Input* in = find(id);
  if (!in || !in->watch) return;
  if (in->status.state == InputState::Running) ++in->status.losses;
  if (in->status.state != InputState::Frozen || in->status.lastReason != reason)
    report(*in, InputState::Frozen, reason);
}

void InputSupervisor::onBlack(const std::string& id, bool black) {
  Input* in = find(id);
  if (!in || in->status.black == black) return;
  in->status.black = black;
  hooks_.report(in->status);
}

void InputSupervisor::onBack(const std::string& id) {
  Input* it = find(id);
  if (!it) return;
  it->attempt = 0;
  if (it->restart) it->restart->cancel();
  it->restart.reset();
  report(*it, InputState::Running, it->status.lastReason);
}

// A fresh pipeline for the input (its old one is stopped and dropped). The programme keeps
// its card on air until the first frame; a new pipeline that fails again gets the next,
// longer, wait. One that waits without a frame and without an error (a listener waiting
// for its caller) is left waiting: rebuilding it would refuse a caller on the way.
void InputSupervisor::restart(const std::string& id) {
  Input* in = find(id);
  if (!in || !in->watch) return;
  auto stopped = stopPipeline(*in);
  ++in->status.restarts;
  startWhenStopped(id, stopped, std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

// The new pipeline starts once the old one has let go of its port (an SRT or UDP listener
// binds the same one), checked every 20 ms, at most 5 s.
void InputSupervisor::startWhenStopped(const std::string& id,
                                       const std::shared_ptr<std::atomic<bool>>& stopped,
                                       std::chrono::steady_clock::time_point deadline) {
  if (stopping_) return;
  if (stopped && !*stopped && std::chrono::steady_clock::now() < deadline) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(20));
    timer->async_wait(
        [this, alive = alive_, id, stopped, deadline, timer](const boost::system::error_code& ec) {
          if (!ec && *alive) startWhenStopped(id, stopped, deadline);
        });
    return;
  }
  Input* in = find(id);
  if (!in) return;
  std::string error;
  if (!startPipeline(*in, &error)) {
    spdlog::error("Nguồn {}: không dựng lại được: {}", id, error);
    onLost(id, error, true);
    return;
  }
  spdlog::info("Nguồn {}: dựng lại lần {}", id, in->status.restarts);
  report(*in, InputState::Retrying, in->status.lastReason);
}

InputSupervisor::Input* InputSupervisor::find(const std::string& id) {
  auto it = std::find_if(inputs_.begin(), inputs_.end(),
                         [&](const Input& in) { return in.status.id == id; });
  return it == inputs_.end() ? nullptr : &*it;
}

// A live input's own pipeline (LiveInput.h), as its watch's next generation: what it says
// of its end or its errors is a loss to rebuild from.
bool InputSupervisor::startPipeline(Input& in, std::string* error) {
  return in.pipeline.start(in.source, format_, in.channel, in.watch, hooks_.lost, error);
}

// Stopped on a thread of its own: a source stuck on a dead connection can take seconds to
// stop, and the event loop never waits for that.
std::shared_ptr<std::atomic<bool>> InputSupervisor::stopPipeline(Input& in) {
  if (!in.pipeline.running()) return nullptr;
  return stopThreads_.run(
      [pipeline = std::shared_ptr<GstElement>(in.pipeline.release().release(), GstObjectUnref{})] {
        gst_element_set_state(pipeline.get(), GST_STATE_NULL);
      });
}

void InputSupervisor::stop() {
  stopping_ = true;
  for (auto& in : inputs_) {
    if (in.restart) in.restart->cancel();
    stopPipeline(in);
  }
}

std::vector<InputStatus> InputSupervisor::inputs() const {
  std::vector<InputStatus> out;
  for (const auto& in : inputs_) {
    out.push_back(in.status);
    if (in.watch) {
      out.back().peakDb = in.watch->peakDb;
      out.back().rmsDb = in.watch->rmsDb;
    }
  }
  return out;
}

}  // namespace ceremony::media
