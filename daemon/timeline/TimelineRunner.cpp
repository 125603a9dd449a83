#include "timeline/TimelineRunner.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace ceremony {

namespace {

// Titles are long ("Lãnh đạo UBND tỉnh phát biểu chỉ đạo và phát động phong trào"); a log
// line carries the first words. Cuts on a UTF-8 character boundary.
std::string shortTitle(const std::string& title) {
  constexpr std::size_t kCodePoints = 28;
  std::size_t count = 0;
  for (std::size_t i = 0; i < title.size(); ++i) {
    if ((static_cast<unsigned char>(title[i]) & 0xC0) == 0x80) continue;
    if (count++ == kCodePoints) {
      std::string cut = title.substr(0, i);
      while (!cut.empty() && cut.back() == ' ') cut.pop_back();
      return cut + "…";
    }
  }
  return title;
}

std::string lateness(Millis slip) {
  if (slip >= Millis{1000}) return "trễ " + spanText(slip);
  if (slip <= Millis{-1000}) return "sớm " + spanText(slip);
  return "đúng giờ";
}

}  // namespace

TimelineRunner::TimelineRunner(boost::asio::io_context& io, Timeline& timeline, const Clock& clock,
                               Listener& listener, RunnerLeads leads)
    : timer_(io), timeline_(timeline), clock_(clock), listener_(listener), leads_(leads) {}

TimelineRunner::~TimelineRunner() {
  timer_.cancel();
}

void TimelineRunner::start() {
  for (const auto& note : timeline_.planNotes()) spdlog::warn("Chương trình: {}", note);
  running_ = true;
  published_ = timeline_.events().size();
  finishedAnnounced_ = false;
  // A timeline rebuilt from saved commands (after a restart or a reload) already has an item
  // on air: the media core must show it.
  if (const auto current = timeline_.current()) {
    const WallTime now = clock_.now();
    const ItemStatus item = timeline_.item(*current, now);
    listener_.onPrepare(item);
    listener_.onTake(item, now);
  }
  listener_.onTimelineChanged();
  step();
}

void TimelineRunner::stop() {
  running_ = false;
  timer_.cancel();
}

void TimelineRunner::step() {
  if (running_) commitDue();
  publish();
  if (running_) arm();
}

// Moves the timeline through everything due now, and through a start due within the take
// lead: that take is committed now, so the media core can switch exactly on time.
void TimelineRunner::commitDue() {
  for (std::size_t guard = 0; guard < 3 * timeline_.size() + 3; ++guard) {
    const auto d = timeline_.nextDeadline();
    if (!d) return;
    const WallTime now = clock_.now();
    if (d->startsItem) {
      if (d->at > now + leads_.take) return;
      // A take already late gets the operator lead so the media core still has time.
      timeline_.tick(d->at >= now ? d->at : now + leads_.operatorTake);
    } else {
      if (d->at > now) return;  // an end is never committed early
      timeline_.tick(now);
    }
  }
}

void TimelineRunner::publish() {
  const WallTime now = clock_.now();
  const auto& events = timeline_.events();
  const bool changed = published_ < events.size();
  const std::size_t n = timeline_.size();
  const int tz = timeline_.utcOffsetMinutes();
  for (; published_ < events.size(); ++published_) {
    const TimelineEvent ev = events[published_];
    const ItemStatus item = timeline_.item(ev.index, now);
    const std::string head = fmt::format("Mục {}/{} «{}»", ev.index + 1, n, shortTitle(item.title));
    switch (ev.what) {
      case Transition::Started: {
        const Millis slip = ev.actual - item.plannedStart;
        const auto level =
            ev.cause == Cause::JoinedMidway ? spdlog::level::warn : spdlog::level::info;
        spdlog::log(level, "{} bắt đầu {} (kế hoạch {}, {}) — {}", head, clockText(ev.actual, tz),
                    clockText(item.plannedStart, tz), lateness(slip), ev.reason);
        if (prepared_ != ev.index) listener_.onPrepare(item);
        listener_.onTake(item, ev.actual);
        prepared_.reset();
        break;
      }
      case Transition::Ended:
        lastEnd_ = ev.actual;
        spdlog::info("{} kết thúc {} — {}", head, clockText(ev.actual, tz), ev.reason);
        break;
      case Transition::Skipped:
        spdlog::warn("{} bị bỏ qua — {}", head, ev.reason);
        break;
      case Transition::Held:
        spdlog::info("{} đang giữ từ {} — {}", head, clockText(ev.actual, tz), ev.reason);
        break;
      case Transition::Resumed:
      case Transition::Extended:
        spdlog::info("{}: {}", head, ev.reason);
        break;
    }
  }
  prepareIfDue(now);
  if (changed) listener_.onTimelineChanged();
  if (timeline_.phase() == TimelinePhase::Finished) {
    // An operator's "next" on the last item ends it a lead from now: announce it then.
    if (!finishedAnnounced_ && (!lastEnd_ || *lastEnd_ <= now)) {
      finishedAnnounced_ = true;
      spdlog::info("Chương trình kết thúc lúc {}", clockText(lastEnd_.value_or(now), tz));
      listener_.onFinished();
    }
  } else {
    finishedAnnounced_ = false;  // a "go to" brought an item back after the end
  }
}

void TimelineRunner::prepareIfDue(WallTime now) {
  const auto s = timeline_.status(now);
  if (!s.next || prepared_ == s.next) return;
  if (s.nextStart && *s.nextStart - leads_.prepare > now) return;
  prepared_ = s.next;
  listener_.onPrepare(timeline_.item(*s.next, now));
}

void TimelineRunner::arm() {
  const WallTime now = clock_.now();
  std::optional<WallTime> target;
  if (const auto d = timeline_.nextDeadline()) target = d->startsItem ? d->at - leads_.take : d->at;
  if (timeline_.phase() == TimelinePhase::Finished && !finishedAnnounced_ && lastEnd_) {
    target = *lastEnd_;
  }
  const auto s = timeline_.status(now);
  if (s.next && prepared_ != s.next && s.nextStart) {
    const WallTime prepareAt = *s.nextStart - leads_.prepare;
    target = target ? std::min(*target, prepareAt) : prepareAt;
  }
  if (!target) {
    timer_.cancel();  // nothing happens by itself: wait for an operator
    return;
  }
  // At least 1 ms, so an arithmetic slip can never become a busy loop.
  const Millis wait = std::clamp(*target - now, Millis{1}, leads_.longestSleep);
  timer_.expires_after(wait);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed, stopped or destroyed
    step();
  });
}

CommandResult TimelineRunner::command(const CommandResult& result) {
  if (result.ok()) step();
  return result;
}

CommandResult TimelineRunner::next() {
  lastCommandAt_ = clock_.now() + leads_.operatorTake;
  return command(timeline_.next(lastCommandAt_));
}

CommandResult TimelineRunner::hold() {
  lastCommandAt_ = clock_.now();
  return command(timeline_.hold(lastCommandAt_));
}

// Resuming takes nothing (unless the clip ended meanwhile): the hold ends now, exactly.
CommandResult TimelineRunner::resume() {
  lastCommandAt_ = clock_.now();
  return command(timeline_.resume(lastCommandAt_));
}

CommandResult TimelineRunner::goTo(const std::string& itemId) {
  lastCommandAt_ = clock_.now() + leads_.operatorTake;
  return command(timeline_.goTo(itemId, lastCommandAt_));
}

CommandResult TimelineRunner::extend(Millis by) {
  lastCommandAt_ = clock_.now();
  return command(timeline_.extend(by, lastCommandAt_));
}

CommandResult TimelineRunner::clipEnded(const std::string& itemId) {
  lastCommandAt_ = clock_.now() + leads_.operatorTake;
  return command(timeline_.clipEnded(itemId, lastCommandAt_));
}

}  // namespace ceremony
