#pragma once
// The connection points' health: the registry of points, their states, the uplink
// correlation, the event history, and what the API, /metrics, systemd and the webhook
// see. Pure decisions on the event loop: probers feed it ProbeResults, the daemon
// calls tick() about once a second, every time comes in as a parameter.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "health/Correlator.h"
#include "health/HealthConfig.h"
#include "health/HealthEvents.h"
#include "health/PointState.h"
#include "health/ProbeResult.h"

namespace ceremony::health {

struct ProbeSnapshot {
  std::string name;
  std::string kind;
  std::string target;  // url or host:port, credentials masked; empty for heartbeat
  PointStatus status = PointStatus::Unknown;
  std::string reason;
  std::optional<ProbeResult> last;
};

struct PointSnapshot {
  std::string id, name, kind, contactName, contactPhone, group;
  PointStatus status = PointStatus::Unknown;
  WallTime since;
  std::string reason;
  std::optional<Millis> lastLatency;
  bool coveredByUplink = false;  // down as part of the uplink alarm
  std::vector<ProbeSnapshot> probes;
  std::vector<HealthEvent> history;  // oldest first
};

struct StateCounts {
  int unknown = 0, up = 0, degraded = 0, down = 0, maintenance = 0;
  int of(PointStatus s) const;
  void add(PointStatus s);
  int total() const { return unknown + up + degraded + down + maintenance; }
};

class HealthMonitor {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Every state change and uplink raise/clear as it happens (dashboard push, logs).
    virtual void onHealthEvent(const HealthEvent&) {}
    // What people must be told (the webhook body is ready): point changes after
    // settings.alertHold unless the uplink alarm covers them; uplink raise/clear at once.
    virtual void onAlert(const HealthEvent&, const nlohmann::json& /*body*/) {}
  };

  // `log` (optional) must outlive the monitor. Its recent events become the points'
  // history, and points left in maintenance before a restart stay in maintenance.
  HealthMonitor(const HealthConfig& config, WallTime start, EventLog* log = nullptr);
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void addListener(Listener* listener);
  void removeListener(Listener* listener);

  // False when the result names no known point or probe (it is counted, not used).
  bool onProbeResult(const ProbeResult& result);
  // Heartbeat deadlines and held alerts. Call at least once a second.
  void tick(WallTime now);
  // Operator: maintenance freezes the point's state and silences it. False: unknown id.
  bool setMaintenance(const std::string& id, bool on, WallTime now, const std::string& reason = {});

  // Queries for the API, dashboard and probers.
  const HealthConfig& config() const { return config_; }
  const HealthSettings& settings() const { return config_.settings; }
  std::size_t size() const { return states_.size(); }
  const PointConfig* findPoint(const std::string& id) const;
  std::optional<PointStatus> status(const std::string& id) const;
  std::vector<PointSnapshot> snapshot() const;
  std::optional<PointSnapshot> point(const std::string& id) const;
  StateCounts counts() const;
  bool uplinkAlarm() const { return correlator_.active(); }
  std::vector<std::string> uplinkPoints() const;
  // The groups whose own line is down now (each group's points are correlated on their own
  // when the points come in two groups or more), sorted.
  std::vector<std::string> groupAlarms() const;
  const std::deque<HealthEvent>& recentEvents() const { return recent_; }

  // JSON for GET /api/points and /api/points/{id} (the latter with its history).
  nlohmann::json toJson(const PointSnapshot& p, bool withHistory = true) const;
  nlohmann::json pointsJson() const;  // {"counts":{...},"uplink":{...},"groups":[…],"points":[...]}
  nlohmann::json summaryJson() const;  // the same without "points"
  // Each group's counts by state and whether its own uplink alarm is on, by name; empty
  // when no point has a group.
  nlohmann::json groupsJson() const;

  // Prometheus text exposition (version 0.0.4) for /metrics.
  std::string prometheusText() const;
  // systemd STATUS=: "94/96 điểm cầu hoạt động (2 chập chờn, 2 mất kết nối)".
  std::string systemdStatus() const;

 private:
  void onChange(std::size_t index, const PointState::Change& change);
  void record(HealthEvent e);
  void handleVerdict(Correlator::Verdict v, WallTime at);
  void releaseAlerts(WallTime now);
  // The points still down when the uplink alarm cleared that are still down a recovery time
  // later (recoveryTime()): each gets its own "still down" alert then, once.
  void releaseStillDown(WallTime now);
  // How long a point whose line came back needs to be decided up: up_after good rounds,
  // one more for a probe that was already under way, and the jitter.
  Millis recoveryTime() const;
  void sendAlert(const HealthEvent& e);
  void markSuppressed(const HealthEvent& e);
  int watched() const;
  PointSnapshot snapshotOf(std::size_t index, bool withHistory = true) const;
  // A group's points dropping together: the group's own uplink alarm. Its alert waits
  // alertHold like a point's, and is not sent while the alarm over all points is active:
  // when the whole line drops, every group drops with it, and that is one alarm. A group
  // still down a recovery time after that alarm cleared is told then.
  struct GroupWatch {
    std::string name;
    std::vector<std::size_t> members;
    Correlator correlator;
    std::optional<HealthEvent> held;  // raised, waiting out alertHold
    bool told = false;                // its raise was sent: its clear will be too
  };
  void handleGroupVerdict(GroupWatch& g, Correlator::Verdict v, WallTime at);
  void releaseGroupAlarms(WallTime now);
  int watchedIn(const GroupWatch& g) const;
  bool coveredByUplink(std::size_t index) const;
  void watchAfterClear(const std::vector<std::string>& points, WallTime at);

  HealthConfig config_;  // first: states_ and correlator_ point at config_.settings
  std::vector<PointState> states_;
  std::vector<PointHistory> histories_;
  std::vector<std::uint64_t> changes_;  // state changes per point since start
  std::unordered_map<std::string, std::size_t> index_;
  Correlator correlator_;
  std::vector<GroupWatch> groups_;  // empty unless the points come in two groups or more
  std::vector<int> groupOf_;        // each point's index in groups_, -1 for none
  WallTime allClearedAt_{};         // when the alarm over all points last cleared
  EventLog* log_;
  std::vector<Listener*> listeners_;
  std::deque<HealthEvent> recent_;   // all events, newest last
  std::deque<HealthEvent> pending_;  // point alerts waiting out alertHold
  std::set<std::string> silent_;     // down alert suppressed: recovery is not news either
  std::map<std::string, WallTime> stillDownAt_;  // uplink cleared: when to say "still down"
  std::uint64_t strayResults_ = 0;
  std::uint64_t logErrors_ = 0;
  std::uint64_t alertsSent_ = 0;
  std::uint64_t alertsSuppressed_ = 0;
};

}  // namespace ceremony::health
