#include "health/BridgeSignals.h"

#include <cmath>
#include <cstdio>

namespace ceremony::health {

void BridgeSignals::expect(const std::string& pointId) {
  expected_.emplace(pointId, clock_.now());
}

void BridgeSignals::update(const BridgeSession& session) {
  sessions_[session.id] = session;
}

void BridgeSignals::remove(const std::string& sessionId) {
  sessions_.erase(sessionId);
}

BridgeSession* BridgeSignals::find(const std::string& sessionId) {
  auto it = sessions_.find(sessionId);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::optional<BridgeSession> BridgeSignals::best(const std::string& pointId) const {
  const BridgeSession* best = nullptr;
  for (const auto& [id, s] : sessions_) {
    if (s.pointId != pointId) continue;
    auto rank = [](const BridgeSession& x) {
      return std::make_pair(x.connected, x.lastReport.value_or(WallTime{}));
    };
    if (!best || rank(s) > rank(*best)) best = &s;
  }
  if (!best) return std::nullopt;
  return *best;
}

std::vector<BridgeSession> BridgeSignals::sessions() const {
  std::vector<BridgeSession> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back(s);
  return out;
}

std::optional<WallTime> BridgeSignals::expectedSince(const std::string& pointId) const {
  auto it = expected_.find(pointId);
  if (it == expected_.end()) return std::nullopt;
  return it->second;
}

namespace {
std::string seconds(Millis d) {
  const long long s = std::max<long long>(1, (d.count() + 500) / 1000);
  return std::to_string(s) + " s";
}
std::string oneDecimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}
}  // namespace

BridgeVerdict judgeBridge(const BridgeSignals& signals, const std::string& pointId, Millis grace,
                          const BridgeThresholds& t) {
  BridgeVerdict v;
  const WallTime now = signals.clock().now();
  const auto session = signals.best(pointId);
  if (!session) {
    const WallTime since = signals.expectedSince(pointId).value_or(now);
    if (now - since < grace) {
      v.judged = false;
      return v;
    }
    v.reason = "no bridge session";
    return v;
  }
  if (!session->connected) {
    if (now - session->since < t.connectTimeout) {
      v.judged = false;  // connecting: ICE and DTLS take a moment
      return v;
    }
    v.reason = "bridge session not connected after " + seconds(now - session->since);
    return v;
  }
  const WallTime heard = session->lastReport.value_or(session->since);
  if (now - heard >= t.reportTimeout) {
    v.reason = "no receiver report for " + seconds(now - heard);
    return v;
  }
  v.ok = true;
  v.latency = Millis(static_cast<long long>(std::lround(session->rttMs.value_or(0))));
  if (session->lossPercent.value_or(0) >= t.degradedLossPercent) {
    v.degraded = true;
    v.reason = "loss " + oneDecimal(*session->lossPercent) + " %";
  } else if (v.latency >= t.degradedRtt) {
    v.degraded = true;
    v.reason = "round trip " + std::to_string(v.latency.count()) + " ms";
  }
  return v;
}

}  // namespace ceremony::health
