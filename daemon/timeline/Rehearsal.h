#pragma once
// --rehearsal[=SPEED]: the same run-of-show moved to start now and played SPEED times faster,
// so the technical team can watch every item the day before. Only the timeline is compressed:
// clips and cameras still run in real time, so a clip item ends at its compressed end or when
// its media ends (Timeline::clipEnded), whichever comes first.

#include <vector>

#include "config/Config.h"

namespace ceremony {

class Rehearsal {
 public:
  // The plan's first start (the first item's written start, else the earliest written start,
  // else `start` itself) lands on `start`. Throws std::invalid_argument unless speed >= 1.
  Rehearsal(const std::vector<ItemConfig>& items, WallTime start, double speed);

  // A wall-clock time of the plan (an item's start or end, a slate's countdown target) in
  // the rehearsal.
  WallTime map(WallTime planned) const;
  // A duration or an offset of the plan in the rehearsal.
  Millis scale(Millis planned) const;
  std::vector<ItemConfig> apply(std::vector<ItemConfig> items) const;

  WallTime anchor() const { return anchor_; }
  double speed() const { return speed_; }

 private:
  WallTime anchor_;
  WallTime start_;
  double speed_;
};

// The rehearsal of `items` starting at `now`, compressed `speed` times (speed >= 1).
std::vector<ItemConfig> rehearse(const std::vector<ItemConfig>& items, WallTime now, double speed);

}  // namespace ceremony
