#pragma once
// One connection point's state, decided from its probes' recent results with
// hysteresis both ways (rules and defaults: daemon/health/README.md).
//
// Each probe keeps its last n outcomes (good, slow, bad) and a damped status:
//   down      when >= k of the last n failed                    (3 of 4)
//   degraded  when up and >= degradedFailures of the last n failed (2 of 4),
//             or >= k of the last n were slow or failed
//   up        from down/degraded/unknown only after m consecutive good results (3)
//   unknown   until one of the above holds
// The point combines its probes: all known probes down → down, all up → up,
// otherwise degraded ("some probes failing"). Maintenance overrides everything and
// freezes the state; results are still recorded, so clearing it shows the truth at once.

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "health/HealthConfig.h"
#include "health/ProbeResult.h"

namespace ceremony::health {

enum class PointStatus { Unknown, Up, Degraded, Down, Maintenance };

std::string_view statusName(PointStatus s);   // "unknown" "up" "degraded" "down" "maintenance"
std::string_view statusLabel(PointStatus s);  // for operators: "chưa rõ" "hoạt động" ...
std::optional<PointStatus> statusFromName(std::string_view name);
inline constexpr PointStatus kAllStatuses[] = {PointStatus::Unknown, PointStatus::Up,
                                               PointStatus::Degraded, PointStatus::Down,
                                               PointStatus::Maintenance};

// One probe of a point: its recent outcomes and its damped status.
class ProbeTrack {
 public:
  enum class Outcome { Good, Slow, Bad };

  ProbeTrack(ProbeSpec spec, const HealthSettings& settings);

  // Records a result; true when the damped status changed.
  bool add(const ProbeResult& result);

  const ProbeSpec& spec() const { return spec_; }
  PointStatus status() const { return status_; }
  const std::string& reason() const { return reason_; }  // why it is in that status
  const std::optional<ProbeResult>& last() const { return last_; }
  std::optional<WallTime> lastOkAt() const { return lastOkAt_; }

 private:
  int count(Outcome o) const;
  int trailing(bool (*pred)(Outcome)) const;

  ProbeSpec spec_;
  const HealthSettings* settings_;
  std::deque<Outcome> window_;
  PointStatus status_ = PointStatus::Unknown;
  std::string reason_;
  std::string lastFailure_;
  std::optional<ProbeResult> last_;
  std::optional<WallTime> lastOkAt_;
};

class PointState {
 public:
  struct Change {
    WallTime at;
    PointStatus from = PointStatus::Unknown;
    PointStatus to = PointStatus::Unknown;
    std::string reason;
  };

  PointState(PointConfig config, const HealthSettings& settings, WallTime start);

  // A result for one of this point's probes (unknown probe names are ignored).
  std::optional<Change> onResult(const ProbeResult& result);

  // Operator action. Entering maintenance freezes the state; leaving it shows what the
  // probes say now. No change when already in the asked mode.
  std::optional<Change> setMaintenance(bool on, WallTime at, const std::string& reason);

  // Time-based checks: a heartbeat probe that heard nothing for its heartbeat timeout
  // gets a failed result (at most one per interval) unless its prober reports itself.
  std::optional<Change> tick(WallTime now);

  const PointConfig& config() const { return config_; }
  const std::string& id() const { return config_.id; }
  PointStatus status() const { return status_; }
  bool inMaintenance() const { return maintenance_; }
  WallTime since() const { return since_; }
  const std::string& reason() const { return reason_; }
  const std::vector<ProbeTrack>& probes() const { return probes_; }
  // Latency of the most recent successful result of any probe.
  std::optional<Millis> lastLatency() const;

 private:
  std::pair<PointStatus, std::string> combined() const;
  std::optional<Change> settle(WallTime at);

  PointConfig config_;
  const HealthSettings* settings_;
  std::vector<ProbeTrack> probes_;
  WallTime start_;
  bool maintenance_ = false;
  PointStatus status_ = PointStatus::Unknown;
  WallTime since_;
  std::string reason_;
};

}  // namespace ceremony::health
