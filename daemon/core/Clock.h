#pragma once
// An injectable wall clock, so timeline and health decisions are tested without waiting.

#include <chrono>

#include "core/WallTime.h"

namespace ceremony {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::time_point_cast<Millis>(WallClock::now()); }
};

// A clock the test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start) : now_(start) {}
  WallTime now() const override { return now_; }
  void advance(Millis d) { now_ += d; }
  void set(WallTime t) { now_ = t; }

 private:
  WallTime now_;
};

}  // namespace ceremony
