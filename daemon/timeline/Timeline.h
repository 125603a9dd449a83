#pragma once
// The run-of-show as time passes: which item is on air, when the next one starts, how late
// the ceremony runs. Pure arithmetic: every call gets `now`, nothing here reads a clock, arms
// a timer or logs. The cue and slip rules are written down in daemon/timeline/README.md.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"

namespace ceremony {

enum class ItemState { Pending, Running, Held, Done, Skipped };

// Where the ceremony as a whole stands.
enum class TimelinePhase {
  PreShow,   // nothing has started yet
  Running,   // an item is on air
  Held,      // an item is on air and an operator holds it
  Waiting,   // between items: the next waits for its hard start or for an operator's "next"
  Finished,  // the last item has ended
};

// One item as the API and the media core see it. Times are absolute (UTC time points);
// optional ones are unknown (an open-ended item has no planned end, a pending item no
// actual start).
struct ItemStatus {
  std::size_t index = 0;  // 0-based position in the run-of-show
  std::string id;
  std::string title;
  std::string scene;
  LowerThird lowerThird;
  CueMode cue = CueMode::At;
  WallTime plannedStart;
  std::optional<WallTime> plannedEnd;
  std::optional<WallTime> projectedStart;  // actual start once started
  std::optional<WallTime> projectedEnd;    // actual end once ended
  std::optional<WallTime> actualStart;
  std::optional<WallTime> actualEnd;
  ItemState state = ItemState::Pending;
  // How late it starts (or started) against the plan; negative = early.
  std::optional<Millis> slip;
};

// What the dashboard shows at the top: what is on, what comes next, how long.
struct TimelineNow {
  TimelinePhase phase = TimelinePhase::PreShow;
  std::optional<std::size_t> current;  // the item on air (running or held)
  std::optional<std::size_t> next;     // the next item to start
  std::optional<WallTime> nextStart;   // its projected start
  bool nextStartsByItself = false;     // false for manual items: they wait for "next"
  std::optional<Millis> remaining;     // time left of the current item
  std::optional<Millis> countdown;     // time until the next item starts
};

enum class Transition { Started, Ended, Skipped, Held, Resumed, Extended };

// Why a transition happened. The API can show `reason`; code and tests use `cause`.
enum class Cause {
  HardStart,        // an `at` item's wall-clock time came (or the previous item ended after it)
  FollowsPrevious,  // an `after` item followed the previous one
  PlannedEnd,       // the item's time was up
  OperatorNext,
  OperatorGoTo,
  OperatorHold,
  OperatorResume,
  OperatorExtend,
  ClipEnded,
  JoinedMidway,  // the daemon started in the middle of the ceremony
};

// One line of the change log: planned against actual, and why.
struct TimelineEvent {
  std::size_t index = 0;
  std::string itemId;
  Transition what = Transition::Started;
  Cause cause = Cause::HardStart;
  std::optional<WallTime> planned;  // planned start (Started, Skipped) or end (Ended); the
                                    // projected end before the change for Held/Extended
  WallTime actual;
  std::string reason;  // Vietnamese, e.g. "đúng giờ 14:10", "lệnh Tiếp của kỹ thuật viên"
};

// Why an operator command was refused; the API maps these to 404 / 400 / 409.
enum class CommandError { None, UnknownItem, BadValue, NotNow };

struct CommandResult {
  CommandError error = CommandError::None;
  std::string message;  // a plain sentence when refused (Vietnamese, English gloss)
  bool ok() const { return error == CommandError::None; }
  static CommandResult done() { return {}; }
  static CommandResult refused(CommandError e, std::string why) { return {e, std::move(why)}; }
};

// When tick() must be called next, and whether an item starts then (the runner sends the
// take to the media core ahead of such a deadline).
struct Deadline {
  WallTime at;
  bool startsItem = false;
};

class Timeline {
 public:
  // A transition this much behind its scheduled time is recorded as happening at the tick
  // that saw it (the io loop stalled), not at the scheduled time. In pre-show it also decides
  // that the daemon came up in the middle of the ceremony.
  static constexpr Millis kLateTolerance{2000};

  // `origin` is the planned start of a first item that has no wall-clock start (an `after`
  // or `manual` first item); the daemon passes the time it starts.
  Timeline(std::vector<ItemConfig> items, WallTime origin, int utcOffsetMinutes = 7 * 60);

  // Carries out every transition due at or before `now`, in order.
  void tick(WallTime now);

  // Operator commands. A refused command changes nothing.
  CommandResult next(WallTime now);
  CommandResult hold(WallTime now);
  CommandResult resume(WallTime now);
  CommandResult goTo(const std::string& itemId, WallTime now);
  CommandResult extend(Millis by, WallTime now);
  // The media core says a clip item's media ended (possibly before its planned end).
  CommandResult clipEnded(const std::string& itemId, WallTime now);

  // Queries.
  TimelinePhase phase() const { return phase_; }
  std::optional<std::size_t> current() const;
  std::optional<std::size_t> nextIndex() const;
  TimelineNow status(WallTime now) const;
  std::optional<Deadline> nextDeadline() const;
  std::vector<ItemStatus> items(WallTime now) const;
  ItemStatus item(std::size_t index, WallTime now) const;
  std::size_t size() const { return entries_.size(); }
  std::optional<std::size_t> find(const std::string& itemId) const;
  const std::vector<TimelineEvent>& events() const { return events_; }
  // Remarks about the plan itself, e.g. overlapping items (Vietnamese sentences).
  const std::vector<std::string>& planNotes() const { return planNotes_; }
  int utcOffsetMinutes() const { return utcOffsetMinutes_; }

 private:
  struct Entry {
    ItemConfig config;
    WallTime plannedStart;
    std::optional<WallTime> plannedEnd;
    std::optional<Millis> plannedLength;  // kept when the item starts late (the ceremony slips)
    std::optional<WallTime> anchor;       // the written wall-clock start of an `at` item
    std::optional<WallTime> fillUntil;    // open-ended before an `at` item: runs at least
                                          // until that item's wall-clock time
    ItemState state = ItemState::Pending;
    std::optional<WallTime> actualStart;
    std::optional<WallTime> actualEnd;
    // While on air:
    std::optional<WallTime> endBase;  // own end fixed at its start; none = until "next"
    Millis extension{0};
    Millis heldTotal{0};
    std::optional<WallTime> heldSince;
    bool mediaEnded = false;
  };

  struct Projection {
    std::optional<WallTime> start;
    std::optional<WallTime> end;
  };

  void plan(WallTime origin);
  std::vector<Projection> project(WallTime now) const;
  std::optional<WallTime> runningEnd(const Entry& e) const;
  std::optional<WallTime> autoStartOfNext() const;
  bool advanceOnce(WallTime now);
  void advance(WallTime now);
  bool joinMidway(WallTime now);
  WallTime clamp(WallTime t) const { return t < horizon_ ? horizon_ : t; }
  WallTime when(WallTime scheduled, WallTime now) const;
  void start(std::size_t index, WallTime at, Cause cause, std::string reason);
  void end(WallTime at, Cause cause, std::string reason);
  void skip(std::size_t index, WallTime at, Cause cause, std::string reason);
  void record(std::size_t index, Transition what, Cause cause, std::optional<WallTime> planned,
              WallTime actual, std::string reason);
  std::string startReason(std::size_t index, WallTime at) const;
  std::string quoted(std::size_t index) const;

  std::vector<Entry> entries_;
  int utcOffsetMinutes_;
  TimelinePhase phase_ = TimelinePhase::PreShow;
  // The last item started (on air, or ended while the next one waits); none in pre-show.
  std::optional<std::size_t> cursor_;
  std::optional<WallTime> lastEnd_;  // when the last item went off air
  WallTime horizon_{};               // the latest transition so far; time never runs back
  bool firstTickSeen_ = false;       // the mid-ceremony jump is only for the first tick
  std::vector<TimelineEvent> events_;
  std::vector<std::string> planNotes_;
};

// "14:21:03" (or "14:21" without seconds) in the event's timezone.
std::string clockText(WallTime t, int utcOffsetMinutes, bool withSeconds = true);
// "63 s", "12 phút 5 s": a span as the technical team reads it.
std::string spanText(Millis d);

const char* toString(ItemState s);
const char* toString(TimelinePhase p);
const char* toString(Transition t);
const char* toString(CueMode c);

}  // namespace ceremony
