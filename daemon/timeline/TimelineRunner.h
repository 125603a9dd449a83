#pragma once
// Drives a Timeline on the io_context: one timer, re-armed to the next thing that must happen
// (prepare the next item's media, send a take ahead of its start, end an item). Operator
// commands go through here so the timer follows them. All arithmetic stays in Timeline.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "core/Clock.h"
#include "timeline/Timeline.h"

namespace ceremony {

struct RunnerLeads {
  Millis prepare{5000};        // preload the next item's media this long before it starts
  Millis take{300};            // tell the media core this long before a scheduled start
  Millis operatorTake{200};    // an operator's command takes effect this long after it arrives
  Millis longestSleep{10000};  // wake at least this often, so a stepped wall clock is noticed
};

class TimelineRunner {
 public:
  struct Listener {
    virtual ~Listener() = default;
    // Before a known start (or at once when the next item has none): preload its media.
    virtual void onPrepare(const ItemStatus& item) = 0;
    // Switch the programme to `item` exactly at `at`; called `take` lead before `at` (for
    // operator commands `at` = now + operatorTake). Once called, the take is committed.
    virtual void onTake(const ItemStatus& item, WallTime at) = 0;
    // Anything changed: for the API and the dashboard.
    virtual void onTimelineChanged() = 0;
    // The last item has ended.
    virtual void onFinished() = 0;
  };

  TimelineRunner(boost::asio::io_context& io, Timeline& timeline, const Clock& clock,
                 Listener& listener, RunnerLeads leads = {});
  ~TimelineRunner();
  TimelineRunner(const TimelineRunner&) = delete;
  TimelineRunner& operator=(const TimelineRunner&) = delete;

  // Logs the plan's remarks, catches up with the clock (a daemon started mid-ceremony jumps
  // to the right item) and arms the timer. Call on the io_context thread.
  void start();
  void stop();

  CommandResult next();
  CommandResult hold();
  CommandResult resume();
  CommandResult goTo(const std::string& itemId);
  CommandResult extend(Millis by);
  // From the media core (posted onto the io_context): a clip item's media ended.
  CommandResult clipEnded(const std::string& itemId);

  const Timeline& timeline() const { return timeline_; }
  // The time the last operator command (or clip end) took effect on the timeline: what a
  // journal of commands records so a replay gives the same result.
  WallTime lastCommandAt() const { return lastCommandAt_; }

 private:
  void step();
  void commitDue();
  void publish();
  void prepareIfDue(WallTime now);
  void arm();
  CommandResult command(const CommandResult& result);

  boost::asio::steady_timer timer_;
  Timeline& timeline_;
  const Clock& clock_;
  Listener& listener_;
  RunnerLeads leads_;
  bool running_ = false;
  bool finishedAnnounced_ = false;
  std::size_t published_ = 0;            // events already logged and passed on
  std::optional<std::size_t> prepared_;  // the item whose media is being preloaded
  std::optional<WallTime> lastEnd_;      // when the last item seen ending went off air
  WallTime lastCommandAt_{};
};

}  // namespace ceremony
