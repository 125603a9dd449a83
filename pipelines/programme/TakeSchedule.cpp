#include "pipelines/programme/TakeSchedule.h"

namespace ceremony::media {

void TakeSchedule::add(std::uint64_t runningTime, SceneLayout layout) {
  while (!queue_.empty() && queue_.back().runningTime >= runningTime) queue_.pop_back();
  queue_.push_back({runningTime, std::move(layout)});
}

std::optional<SceneLayout> TakeSchedule::popDue(std::uint64_t runningTime) {
  std::optional<SceneLayout> due;
  while (!queue_.empty() && queue_.front().runningTime <= runningTime) {
    due = std::move(queue_.front().layout);
    queue_.pop_front();
  }
  return due;
}

OnAirTrack::Step OnAirTrack::advance(std::uint64_t runningTime) {
  auto next = schedule.popDue(runningTime);
  const bool due = next.has_value();
  if (due) onAir = std::move(*next);
  if (!due && !dirty) return Step::Nothing;
  dirty = false;
  return due ? Step::Due : Step::Again;
}

}  // namespace ceremony::media
