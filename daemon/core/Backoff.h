#pragma once
// How long to wait before trying again: `first` × 1.5ⁿ after n failed tries, at most `most`.
// One formula for a live input's rebuild and an RTMP destination's reconnect.

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ceremony {

inline std::chrono::milliseconds backoffDelay(std::chrono::milliseconds first, int attempt,
                                              std::chrono::milliseconds most) {
  // 1.5^10 ≈ 58: past ten tries every caller is at its ceiling anyway.
  const double factor = std::pow(1.5, std::clamp(attempt, 0, 10));
  const auto delay = std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(first.count()) * factor));
  return std::min(delay, most);
}

}  // namespace ceremony
