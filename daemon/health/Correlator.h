#pragma once
// Tells a provincial network (uplink) failure from many single failures: when a large
// share of the watched points go down within a few seconds, that is one alarm
// ("Mất kết nối đường truyền tỉnh / uplink"), not 60 phone calls.
//
// Raised when at least max(uplinkMinPoints, ceil(uplinkShare × watched)) points went
// down within uplinkWindow of each other and are still down. While it is active, points
// that go down join it. It clears when fewer than uplinkClearShare of its points are
// still down. Points in maintenance are not watched.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "health/HealthConfig.h"

namespace ceremony::health {

class Correlator {
 public:
  enum class Verdict { None, Raised, Cleared };

  explicit Correlator(const HealthSettings& settings);

  // `watched`: how many points are not in maintenance right now.
  Verdict pointDown(const std::string& id, WallTime at, int watched);
  // The point left down (up, degraded, maintenance, unknown).
  Verdict pointLeftDown(const std::string& id, WallTime at);

  bool active() const { return active_; }
  WallTime since() const { return since_; }
  // The points the alarm covers (their own alerts are suppressed), sorted.
  std::vector<std::string> points() const { return {covered_.begin(), covered_.end()}; }
  bool covers(const std::string& id) const { return active_ && covered_.count(id) > 0; }
  int stillDown() const;
  int threshold(int watched) const;

 private:
  const HealthSettings* settings_;
  std::map<std::string, WallTime> down_;  // currently down, with when it went down
  bool active_ = false;
  WallTime since_{};
  std::set<std::string> covered_;
};

}  // namespace ceremony::health
