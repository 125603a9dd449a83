#include "timeline/Rehearsal.h"

#include <cmath>
#include <stdexcept>

namespace ceremony {

namespace {

WallTime anchorOf(const std::vector<ItemConfig>& items, WallTime start) {
  if (!items.empty() && items.front().start) return *items.front().start;
  std::optional<WallTime> earliest;
  for (const auto& i : items) {
    if (i.start && (!earliest || *i.start < *earliest)) earliest = i.start;
  }
  return earliest.value_or(start);
}

}  // namespace

Rehearsal::Rehearsal(const std::vector<ItemConfig>& items, WallTime start, double speed)
    : anchor_(anchorOf(items, start)), start_(start), speed_(speed) {
  if (!std::isfinite(speed) || speed < 1.0) {
    throw std::invalid_argument("rehearsal speed must be a number >= 1 (tốc độ tổng duyệt >= 1)");
  }
}

Millis Rehearsal::scale(Millis planned) const {
  return Millis{std::llround(static_cast<double>(planned.count()) / speed_)};
}

WallTime Rehearsal::map(WallTime planned) const {
  return start_ + scale(planned - anchor_);
}

std::vector<ItemConfig> Rehearsal::apply(std::vector<ItemConfig> items) const {
  for (auto& i : items) {
    if (i.start) i.start = map(*i.start);
    if (i.end) i.end = map(*i.end);
    if (i.duration) i.duration = scale(*i.duration);
    if (i.startAfterPrevious) i.startAfterPrevious = scale(*i.startAfterPrevious);
  }
  return items;
}

std::vector<ItemConfig> rehearse(const std::vector<ItemConfig>& items, WallTime now, double speed) {
  return Rehearsal(items, now, speed).apply(items);
}

}  // namespace ceremony
