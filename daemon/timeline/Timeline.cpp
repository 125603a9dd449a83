#include "timeline/Timeline.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace ceremony {

namespace {

constexpr Millis kLongestExtension = std::chrono::hours(8);  // a Facebook live lasts at most 8 h

Millis offsetOf(const ItemConfig& c) {
  return c.startAfterPrevious.value_or(Millis{0});
}

}  // namespace

std::string clockText(WallTime t, int utcOffsetMinutes, bool withSeconds) {
  const long long dayMs = 24LL * 3600 * 1000;
  long long ms = t.time_since_epoch().count() + static_cast<long long>(utcOffsetMinutes) * 60000;
  ms = ((ms % dayMs) + dayMs) % dayMs;
  const long long s = ms / 1000;
  char buf[16];
  if (withSeconds) {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", s / 3600, (s / 60) % 60);
  }
  return buf;
}

std::string spanText(Millis d) {
  const long long s =
      std::chrono::duration_cast<std::chrono::seconds>(d < Millis{0} ? -d : d).count();
  // Up to ten minutes the team reads seconds ("trễ 63 s"); beyond that minutes.
  if (s < 600) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " phút " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " giờ " + std::to_string((s / 60) % 60) + " phút";
}

const char* toString(ItemState s) {
  switch (s) {
    case ItemState::Pending:
      return "pending";
    case ItemState::Running:
      return "running";
    case ItemState::Held:
      return "held";
    case ItemState::Done:
      return "done";
    case ItemState::Skipped:
      return "skipped";
  }
  return "?";
}

const char* toString(TimelinePhase p) {
  switch (p) {
    case TimelinePhase::PreShow:
      return "pre-show";
    case TimelinePhase::Running:
      return "running";
    case TimelinePhase::Held:
      return "held";
    case TimelinePhase::Waiting:
      return "waiting";
    case TimelinePhase::Finished:
      return "finished";
  }
  return "?";
}

const char* toString(Transition t) {
  switch (t) {
    case Transition::Started:
      return "started";
    case Transition::Ended:
      return "ended";
    case Transition::Skipped:
      return "skipped";
    case Transition::Held:
      return "held";
    case Transition::Resumed:
      return "resumed";
    case Transition::Extended:
      return "extended";
  }
  return "?";
}

const char* toString(CueMode c) {
  switch (c) {
    case CueMode::At:
      return "at";
    case CueMode::After:
      return "after";
    case CueMode::Manual:
      return "manual";
  }
  return "?";
}

Timeline::Timeline(std::vector<ItemConfig> items, WallTime origin, int utcOffsetMinutes)
    : utcOffsetMinutes_(utcOffsetMinutes) {
  entries_.reserve(items.size());
  for (auto& c : items) {
    Entry e;
    e.config = std::move(c);
    entries_.push_back(std::move(e));
  }
  plan(origin);
  if (entries_.empty()) phase_ = TimelinePhase::Finished;
}

// The plan as written, with the seed's realities resolved: an `at` item that overlaps the
// previous one starts when that one ends; an open-ended item runs until the next hard start.
void Timeline::plan(WallTime origin) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    const ItemConfig& c = e.config;
    Entry* prev = i > 0 ? &entries_[i - 1] : nullptr;
    // A pointer, not a copied optional: GCC 12 warns falsely about the copy.
    const WallTime* prevEnd = prev && prev->plannedEnd ? &*prev->plannedEnd : nullptr;
    // A written wall-clock time counts for `at` (binding) and `manual` (shown) items.
    const bool written = c.start && c.cue != CueMode::After;
    if (c.cue == CueMode::At && c.start) e.anchor = c.start;

    WallTime s;
    if (written) {
      s = *c.start;
      if (prevEnd && *prevEnd > s) {
        planNotes_.push_back("Mục " + quoted(i) + " ghi giờ bắt đầu " +
                             clockText(s, utcOffsetMinutes_, false) + " nhưng mục trước " +
                             quoted(i - 1) + " đến " +
                             clockText(*prevEnd, utcOffsetMinutes_, false) +
                             " mới kết thúc: mục này sẽ bắt đầu khi mục trước kết thúc.");
        s = *prevEnd;
      }
    } else if (!prev) {
      s = c.start.value_or(origin) + offsetOf(c);
    } else {
      // After an open-ended item with no known end the plan cannot know more than this.
      s = (prevEnd ? *prevEnd : prev->plannedStart) + offsetOf(c);
    }
    e.plannedStart = s;

    // An open-ended previous item runs until this one's written time.
    if (prev && !prev->plannedEnd && written) {
      prev->plannedEnd = std::max(s, prev->plannedStart);
      if (e.anchor) {
        prev->plannedLength = *prev->plannedEnd - prev->plannedStart;
        prev->fillUntil = e.anchor;
      }
    }

    if (c.end) {
      if (*c.end < s) {
        planNotes_.push_back("Mục " + quoted(i) + " kết thúc lúc " +
                             clockText(*c.end, utcOffsetMinutes_, false) +
                             ", trước giờ bắt đầu theo kế hoạch " +
                             clockText(s, utcOffsetMinutes_, false) + ": coi như dài 0 giây.");
      }
      e.plannedEnd = std::max(*c.end, s);
    } else if (c.duration) {
      e.plannedEnd = s + std::max(*c.duration, Millis{0});
    }
    if (e.plannedEnd) e.plannedLength = *e.plannedEnd - s;
  }
}

std::optional<std::size_t> Timeline::find(const std::string& itemId) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].config.id == itemId) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> Timeline::current() const {
  if (phase_ == TimelinePhase::Running || phase_ == TimelinePhase::Held) return cursor_;
  return std::nullopt;
}

std::optional<std::size_t> Timeline::nextIndex() const {
  const std::size_t n = cursor_ ? *cursor_ + 1 : 0;
  if (n < entries_.size()) return n;
  return std::nullopt;
}

std::optional<WallTime> Timeline::runningEnd(const Entry& e) const {
  if (!e.endBase) return std::nullopt;
  return *e.endBase + e.extension + e.heldTotal;
}

// When the next item would start by itself, from the pre-show or a gap between items.
std::optional<WallTime> Timeline::autoStartOfNext() const {
  const auto n = nextIndex();
  if (!n) return std::nullopt;
  const Entry& e = entries_[*n];
  if (e.config.cue == CueMode::Manual) return std::nullopt;
  if (phase_ == TimelinePhase::PreShow) return e.plannedStart;
  if (phase_ != TimelinePhase::Waiting) return std::nullopt;
  const WallTime base = lastEnd_.value_or(e.plannedStart);
  if (e.anchor) return std::max(*e.anchor, base);
  return base + offsetOf(e.config);
}

std::optional<Deadline> Timeline::nextDeadline() const {
  switch (phase_) {
    case TimelinePhase::PreShow:
    case TimelinePhase::Waiting:
      if (auto s = autoStartOfNext()) return Deadline{*s, true};
      return std::nullopt;
    case TimelinePhase::Running: {
      const auto end = runningEnd(entries_[*cursor_]);
      if (!end) return std::nullopt;
      bool starts = false;
      if (auto n = nextIndex()) {
        const Entry& e = entries_[*n];
        if (e.anchor) {
          starts = *e.anchor <= *end;
        } else if (e.config.cue != CueMode::Manual) {
          starts = offsetOf(e.config) <= Millis{0};
        }
      }
      return Deadline{*end, starts};
    }
    case TimelinePhase::Held:
    case TimelinePhase::Finished:
      return std::nullopt;
  }
  return std::nullopt;
}

// A transition seen late by more than the tolerance happened when it was seen.
WallTime Timeline::when(WallTime scheduled, WallTime now) const {
  return clamp(now - scheduled > kLateTolerance ? now : scheduled);
}

std::string Timeline::quoted(std::size_t index) const {
  return std::to_string(index + 1) + " «" + entries_[index].config.title + "»";
}

void Timeline::record(std::size_t index, Transition what, Cause cause,
                      std::optional<WallTime> planned, WallTime actual, std::string reason) {
  events_.push_back(TimelineEvent{index, entries_[index].config.id, what, cause, planned, actual,
                                  std::move(reason)});
}

void Timeline::start(std::size_t index, WallTime at, Cause cause, std::string reason) {
  Entry& e = entries_[index];
  e.state = ItemState::Running;
  e.actualStart = at;
  e.actualEnd.reset();
  e.extension = Millis{0};
  e.heldTotal = Millis{0};
  e.heldSince.reset();
  e.mediaEnded = false;
  e.endBase.reset();
  if (e.plannedLength) {
    e.endBase = at + *e.plannedLength;
    if (e.fillUntil) e.endBase = std::max(*e.endBase, *e.fillUntil);
  }
  cursor_ = index;
  phase_ = TimelinePhase::Running;
  horizon_ = std::max(horizon_, at);
  record(index, Transition::Started, cause, e.plannedStart, at, std::move(reason));
}

void Timeline::end(WallTime at, Cause cause, std::string reason) {
  const std::size_t index = *cursor_;
  Entry& e = entries_[index];
  e.state = ItemState::Done;
  e.actualEnd = at;
  e.heldSince.reset();
  lastEnd_ = at;
  horizon_ = std::max(horizon_, at);
  phase_ = index + 1 < entries_.size() ? TimelinePhase::Waiting : TimelinePhase::Finished;
  record(index, Transition::Ended, cause, e.plannedEnd, at, std::move(reason));
}

void Timeline::skip(std::size_t index, WallTime at, Cause cause, std::string reason) {
  Entry& e = entries_[index];
  e.state = ItemState::Skipped;
  e.actualStart.reset();
  e.actualEnd.reset();
  record(index, Transition::Skipped, cause, e.plannedStart, at, std::move(reason));
}

std::string Timeline::startReason(std::size_t index, WallTime at) const {
  const Entry& e = entries_[index];
  if (e.anchor) {
    const std::string hm = clockText(*e.anchor, utcOffsetMinutes_, false);
    if (at == *e.anchor) return "đúng giờ " + hm;
    return "giờ " + hm + ", chờ mục trước kết thúc";
  }
  if (index == 0) return "khi chương trình bắt đầu";
  const Millis off = offsetOf(e.config);
  if (off > Millis{0}) return "sau mục trước " + spanText(off);
  return "sau mục trước";
}

// The daemon came up after the ceremony began: go straight to the item the plan says is on
// now, and say which were passed over.
bool Timeline::joinMidway(WallTime now) {
  if (entries_.empty() || now - entries_[0].plannedStart <= kLateTolerance) return false;
  std::size_t k = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].plannedStart <= now) k = i;
  }
  const std::string why = "khởi động giữa chương trình lúc " + clockText(now, utcOffsetMinutes_);
  const Entry& target = entries_[k];
  const bool pastItsEnd = target.plannedEnd && *target.plannedEnd <= now;
  if (!pastItsEnd && target.config.cue == CueMode::Manual && k == 0) return false;
  for (std::size_t i = 0; i < k; ++i) skip(i, now, Cause::JoinedMidway, why);
  if (pastItsEnd) {
    // Between items (or after the last one): nothing should be on air now.
    skip(k, now, Cause::JoinedMidway, why);
    cursor_ = k;
    lastEnd_ = target.plannedEnd;
    phase_ = k + 1 < entries_.size() ? TimelinePhase::Waiting : TimelinePhase::Finished;
    return true;
  }
  if (target.config.cue == CueMode::Manual) {
    // A manual item is the operator's to take, even when the plan says it is due.
    cursor_ = k - 1;
    lastEnd_ = entries_[k - 1].plannedEnd.value_or(target.plannedStart);
    phase_ = TimelinePhase::Waiting;
    return true;
  }
  start(k, now, Cause::JoinedMidway, why);
  // It ends when the plan says, as if it had started on time.
  if (target.plannedEnd && target.plannedLength) entries_[k].endBase = target.plannedEnd;
  return true;
}

bool Timeline::advanceOnce(WallTime now) {
  switch (phase_) {
    case TimelinePhase::Finished:
    case TimelinePhase::Held:
      return false;
    case TimelinePhase::Running: {
      const auto e = runningEnd(entries_[*cursor_]);
      if (!e || *e > now) return false;
      end(when(*e, now), Cause::PlannedEnd, "hết giờ");
      return true;
    }
    case TimelinePhase::PreShow:
    case TimelinePhase::Waiting: {
      const auto s = autoStartOfNext();
      if (!s || *s > now) return false;
      const std::size_t n = *nextIndex();
      const WallTime at = when(*s, now);
      start(n, at, entries_[n].anchor ? Cause::HardStart : Cause::FollowsPrevious,
            startReason(n, at));
      return true;
    }
  }
  return false;
}

void Timeline::advance(WallTime now) {
  // Each step starts or ends an item, so this ends; the bound guards against a bug.
  for (std::size_t guard = 0; guard < 3 * entries_.size() + 3 && advanceOnce(now); ++guard) {
  }
}

void Timeline::tick(WallTime now) {
  if (!firstTickSeen_) {
    firstTickSeen_ = true;
    if (phase_ == TimelinePhase::PreShow) joinMidway(now);
  }
  advance(now);
}

CommandResult Timeline::next(WallTime now) {
  if (phase_ == TimelinePhase::Finished) {
    return CommandResult::refused(
        CommandError::NotNow,
        "Chương trình đã kết thúc, không còn mục nào để chuyển tới (the ceremony has finished).");
  }
  firstTickSeen_ = true;
  const WallTime t = clamp(now);
  const auto n = nextIndex();
  if (current()) end(t, Cause::OperatorNext, "lệnh Tiếp của kỹ thuật viên");
  if (n) start(*n, t, Cause::OperatorNext, "lệnh Tiếp của kỹ thuật viên");
  advance(t);
  return CommandResult::done();
}

CommandResult Timeline::hold(WallTime now) {
  if (phase_ == TimelinePhase::Held) {
    return CommandResult::refused(CommandError::NotNow,
                                  "Mục " + quoted(*cursor_) + " đang được giữ rồi (already held).");
  }
  if (phase_ != TimelinePhase::Running) {
    return CommandResult::refused(CommandError::NotNow,
                                  "Không có mục nào đang phát để giữ (nothing on air to hold).");
  }
  firstTickSeen_ = true;
  const WallTime t = clamp(now);
  Entry& e = entries_[*cursor_];
  const auto before = runningEnd(e);
  e.heldSince = t;
  e.state = ItemState::Held;
  phase_ = TimelinePhase::Held;
  record(*cursor_, Transition::Held, Cause::OperatorHold, before, t,
         "giữ mục, không tự kết thúc (lệnh kỹ thuật viên)");
  return CommandResult::done();
}

CommandResult Timeline::resume(WallTime now) {
  if (phase_ != TimelinePhase::Held) {
    return CommandResult::refused(CommandError::NotNow,
                                  "Không có mục nào đang giữ để tiếp tục (resume when not held).");
  }
  const WallTime t = clamp(now);
  Entry& e = entries_[*cursor_];
  const Millis held = t - *e.heldSince;
  e.heldTotal += held;
  e.heldSince.reset();
  e.state = ItemState::Running;
  phase_ = TimelinePhase::Running;
  record(*cursor_, Transition::Resumed, Cause::OperatorResume, runningEnd(e), t,
         "tiếp tục sau khi giữ " + spanText(held));
  if (e.mediaEnded) end(t, Cause::ClipEnded, "clip đã hết trong lúc giữ");
  advance(t);
  return CommandResult::done();
}

CommandResult Timeline::goTo(const std::string& itemId, WallTime now) {
  const auto target = find(itemId);
  if (!target) {
    return CommandResult::refused(
        CommandError::UnknownItem,
        "Không có mục «" + itemId + "» trong chương trình (unknown item id).");
  }
  if (current() == target) {
    return CommandResult::refused(CommandError::NotNow,
                                  "Mục " + quoted(*target) + " đang phát rồi (already on air).");
  }
  firstTickSeen_ = true;
  const WallTime t = clamp(now);
  const std::string why = "chuyển đến mục " + quoted(*target) + " (lệnh kỹ thuật viên)";
  if (current()) end(t, Cause::OperatorGoTo, why);
  const std::size_t from = cursor_ ? *cursor_ + 1 : 0;
  if (*target >= from) {
    for (std::size_t i = from; i < *target; ++i) skip(i, t, Cause::OperatorGoTo, why);
  } else {
    // Going back: the target and everything after it run again, in order.
    for (std::size_t i = *target; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      e.state = ItemState::Pending;
      e.actualStart.reset();
      e.actualEnd.reset();
      e.endBase.reset();
      e.heldSince.reset();
    }
  }
  start(*target, t, Cause::OperatorGoTo, why);
  advance(t);
  return CommandResult::done();
}

CommandResult Timeline::extend(Millis by, WallTime now) {
  if (by <= Millis{0}) {
    return CommandResult::refused(
        CommandError::BadValue,
        "Thời gian kéo dài phải lớn hơn 0 (extend needs a positive duration).");
  }
  if (by > kLongestExtension) {
    return CommandResult::refused(
        CommandError::BadValue,
        "Không thể kéo dài quá 8 giờ một lần (extend is limited to 8 hours).");
  }
  const auto cur = current();
  if (!cur) {
    return CommandResult::refused(
        CommandError::NotNow, "Không có mục nào đang phát để kéo dài (nothing on air to extend).");
  }
  Entry& e = entries_[*cur];
  if (!e.endBase) {
    return CommandResult::refused(CommandError::NotNow,
                                  "Mục " + quoted(*cur) +
                                      " không có giờ kết thúc (chạy đến khi có lệnh Tiếp), không "
                                      "cần kéo dài (open-ended item).");
  }
  const WallTime t = clamp(now);
  const auto before = runningEnd(e);
  e.extension += by;
  record(*cur, Transition::Extended, Cause::OperatorExtend, before, t,
         "kéo dài thêm " + spanText(by) + ", kết thúc lúc " +
             clockText(*runningEnd(e), utcOffsetMinutes_));
  return CommandResult::done();
}

CommandResult Timeline::clipEnded(const std::string& itemId, WallTime now) {
  const auto index = find(itemId);
  if (!index) {
    return CommandResult::refused(
        CommandError::UnknownItem,
        "Không có mục «" + itemId + "» trong chương trình (unknown item id).");
  }
  if (current() != index) {
    return CommandResult::refused(
        CommandError::NotNow,
        "Mục " + quoted(*index) + " không còn trên sóng, bỏ qua báo hết clip (not on air).");
  }
  const WallTime t = clamp(now);
  Entry& e = entries_[*index];
  if (phase_ == TimelinePhase::Held) {
    // The operator holds it: it stays on air and ends when resumed.
    e.mediaEnded = true;
    return CommandResult::done();
  }
  const auto planned = runningEnd(e);
  end(t, Cause::ClipEnded, planned && t < *planned ? "clip kết thúc sớm" : "clip kết thúc");
  advance(t);
  return CommandResult::done();
}

// Where every item is expected to start and end, given what has happened by `now`.
std::vector<Timeline::Projection> Timeline::project(WallTime now) const {
  std::vector<Projection> p(entries_.size());
  // The projected end of the item the next pending one follows.
  std::optional<WallTime> cursorEnd;
  if (phase_ == TimelinePhase::Waiting || phase_ == TimelinePhase::Finished) cursorEnd = lastEnd_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    switch (e.state) {
      case ItemState::Done:
        p[i] = {e.actualStart, e.actualEnd};
        break;
      case ItemState::Skipped:
        break;
      case ItemState::Running:
      case ItemState::Held: {
        auto end = runningEnd(e);
        if (end && e.heldSince) end = std::max(*end + std::max(now - *e.heldSince, Millis{0}), now);
        p[i] = {e.actualStart, end};
        // An unknown end could come any moment.
        cursorEnd = end.value_or(std::max(now, *e.actualStart));
        break;
      }
      case ItemState::Pending: {
        WallTime s = e.plannedStart;
        if (cursorEnd) {
          if (e.anchor) {
            s = std::max(*e.anchor, *cursorEnd);
          } else {
            s = *cursorEnd + offsetOf(e.config);
            if (e.config.cue == CueMode::Manual && e.config.start) s = std::max(s, *e.config.start);
          }
        }
        if (e.config.cue == CueMode::Manual) s = std::max(s, now);  // not before someone acts
        std::optional<WallTime> end;
        if (e.plannedLength) {
          end = s + *e.plannedLength;
          if (e.fillUntil) end = std::max(*end, *e.fillUntil);
        }
        if (i > 0 && entries_[i - 1].state == ItemState::Pending && !p[i - 1].end) {
          p[i - 1].end = s;  // open-ended: until this one starts
        }
        p[i] = {s, end};
        cursorEnd = end.value_or(s);
        break;
      }
    }
  }
  return p;
}

ItemStatus Timeline::item(std::size_t index, WallTime now) const {
  return items(now).at(index);
}

std::vector<ItemStatus> Timeline::items(WallTime now) const {
  const auto p = project(now);
  std::vector<ItemStatus> out;
  out.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    ItemStatus s;
    s.index = i;
    s.id = e.config.id;
    s.title = e.config.title;
    s.scene = e.config.scene;
    s.lowerThird = e.config.lowerThird;
    s.cue = e.config.cue;
    s.plannedStart = e.plannedStart;
    s.plannedEnd = e.plannedEnd;
    s.projectedStart = p[i].start;
    s.projectedEnd = p[i].end;
    s.actualStart = e.actualStart;
    s.actualEnd = e.actualEnd;
    s.state = e.state;
    if (s.projectedStart) s.slip = *s.projectedStart - e.plannedStart;
    out.push_back(std::move(s));
  }
  return out;
}

TimelineNow Timeline::status(WallTime now) const {
  TimelineNow s;
  s.phase = phase_;
  s.current = current();
  if (phase_ != TimelinePhase::Finished) s.next = nextIndex();
  const auto p = project(now);
  if (s.current && p[*s.current].end) s.remaining = std::max(*p[*s.current].end - now, Millis{0});
  if (s.next) {
    s.nextStart = p[*s.next].start;
    s.nextStartsByItself = entries_[*s.next].config.cue != CueMode::Manual;
    if (s.nextStart) s.countdown = std::max(*s.nextStart - now, Millis{0});
  }
  return s;
}

}  // namespace ceremony
