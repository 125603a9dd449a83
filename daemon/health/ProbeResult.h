#pragma once
// What one probe of one point found. Probers (http, tcp, heartbeat, ...) produce it;
// HealthMonitor turns a stream of them into states, events and alerts.

#include <optional>
#include <string>

#include "health/HealthConfig.h"

namespace ceremony::health {

struct ProbeResult {
  std::string pointId;
  std::string probe;  // probe name within the point, e.g. "http", "tcp", "heartbeat"
  bool ok = false;
  WallTime at;                                    // when the probe finished
  Millis latency{0};                              // total
  std::optional<Millis> connect, tls, firstByte;  // when curl gives them
  // Plain sentence on failure: "connect timeout after 2000 ms", "HTTP 503",
  // "no heartbeat for 30 s", "connection refused".
  std::string reason;
  int httpStatus = 0;
  // A success that still counts as poor (a bridge viewer losing packets): judged like a slow
  // answer, with `slowReason` ("loss 12.0 %") as what the operators read.
  bool slow = false;
  std::string slowReason;
};

}  // namespace ceremony::health
