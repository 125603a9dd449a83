#include "health/Correlator.h"

#include <algorithm>
#include <cmath>

namespace ceremony::health {

Correlator::Correlator(const HealthSettings& settings) : settings_(&settings) {}

int Correlator::threshold(int watched) const {
  const int share = static_cast<int>(std::ceil(settings_->uplinkShare * watched - 1e-9));
  return std::max({settings_->uplinkMinPoints, share, 1});
}

int Correlator::stillDown() const {
  return static_cast<int>(std::count_if(covered_.begin(), covered_.end(),
                                        [&](const std::string& id) { return down_.count(id); }));
}

Correlator::Verdict Correlator::pointDown(const std::string& id, WallTime at, int watched) {
  down_[id] = at;
  if (active_) {
    covered_.insert(id);
    return Verdict::None;
  }
  // Points that went down within the window ending now.
  std::vector<std::string> recent;
  for (const auto& [pid, when] : down_)
    if (at - when <= settings_->uplinkWindow) recent.push_back(pid);
  if (static_cast<int>(recent.size()) < threshold(watched)) return Verdict::None;
  active_ = true;
  since_ = at;
  covered_ = {recent.begin(), recent.end()};
  return Verdict::Raised;
}

Correlator::Verdict Correlator::pointLeftDown(const std::string& id, WallTime) {
  down_.erase(id);
  if (!active_ || !covered_.count(id)) return Verdict::None;
  const double share = double(stillDown()) / double(covered_.size());
  if (share >= settings_->uplinkClearShare) return Verdict::None;
  active_ = false;
  return Verdict::Cleared;
}

}  // namespace ceremony::health
