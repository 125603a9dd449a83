#include "health/PointState.h"

#include <algorithm>

namespace ceremony::health {

std::string_view statusName(PointStatus s) {
  switch (s) {
    case PointStatus::Unknown:
      return "unknown";
    case PointStatus::Up:
      return "up";
    case PointStatus::Degraded:
      return "degraded";
    case PointStatus::Down:
      return "down";
    case PointStatus::Maintenance:
      return "maintenance";
  }
  return "unknown";
}

std::string_view statusLabel(PointStatus s) {
  switch (s) {
    case PointStatus::Unknown:
      return "chưa rõ";
    case PointStatus::Up:
      return "hoạt động";
    case PointStatus::Degraded:
      return "chập chờn";
    case PointStatus::Down:
      return "mất kết nối";
    case PointStatus::Maintenance:
      return "bảo trì";
  }
  return "chưa rõ";
}

std::optional<PointStatus> statusFromName(std::string_view name) {
  for (auto s : kAllStatuses)
    if (statusName(s) == name) return s;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------

ProbeTrack::ProbeTrack(ProbeSpec spec, const HealthSettings& settings)
    : spec_(std::move(spec)), settings_(&settings) {}

int ProbeTrack::count(Outcome o) const {
  return static_cast<int>(std::count(window_.begin(), window_.end(), o));
}

int ProbeTrack::trailing(bool (*pred)(Outcome)) const {
  int n = 0;
  for (auto it = window_.rbegin(); it != window_.rend() && pred(*it); ++it) ++n;
  return n;
}

bool ProbeTrack::add(const ProbeResult& r) {
  const auto& s = *settings_;
  const Outcome outcome = !r.ok                                     ? Outcome::Bad
                          : r.slow || r.latency > s.degradedLatency ? Outcome::Slow
                                                                    : Outcome::Good;
  window_.push_back(outcome);
  // The window must hold m results too, or "m consecutive good" could never be seen.
  const auto size = static_cast<std::size_t>(std::max({s.downWindow, s.upSuccesses, 1}));
  while (window_.size() > size) window_.pop_front();
  // Only the last downWindow results count towards "k of the last n".
  auto recent = [&](Outcome o) {
    int n = 0, seen = 0;
    for (auto it = window_.rbegin(); it != window_.rend() && seen < s.downWindow; ++it, ++seen)
      n += *it == o;
    return n;
  };
  last_ = r;
  if (r.ok) lastOkAt_ = r.at;
  if (!r.ok) lastFailure_ = r.reason.empty() ? "thăm dò thất bại (probe failed)" : r.reason;

  const int bad = recent(Outcome::Bad);
  const int slow = recent(Outcome::Slow);
  const int okRun = trailing([](Outcome o) { return o != Outcome::Bad; });
  const int goodRun = trailing([](Outcome o) { return o == Outcome::Good; });
  // Failures mixed with successes (the last one succeeded): struggling, not dying.
  // A run of failures goes straight to down instead of passing through degraded.
  const bool intermittent = bad >= s.degradedFailures && outcome != Outcome::Bad;
  const bool slowish = bad + slow >= s.downFailures && slow > 0;

  PointStatus next = status_;
  if (bad >= s.downFailures) {
    next = PointStatus::Down;
  } else if (status_ == PointStatus::Down || status_ == PointStatus::Unknown) {
    if (okRun >= s.upSuccesses)
      next = goodRun >= s.upSuccesses ? PointStatus::Up : PointStatus::Degraded;
    else if (status_ == PointStatus::Unknown && (intermittent || slowish))
      next = PointStatus::Degraded;
  } else if (status_ == PointStatus::Up) {
    if (intermittent || slowish) next = PointStatus::Degraded;
  } else if (status_ == PointStatus::Degraded) {
    if (goodRun >= s.upSuccesses) next = PointStatus::Up;
  }

  const bool changed = next != status_;
  status_ = next;
  switch (status_) {
    case PointStatus::Down:
      reason_ = lastFailure_;
      break;
    case PointStatus::Degraded:
      if (outcome == Outcome::Slow && !r.slowReason.empty())
        reason_ = "đường truyền kém: " + r.slowReason;
      else if (outcome == Outcome::Slow)
        reason_ = "phản hồi chậm: " + std::to_string(r.latency.count()) + " ms (ngưỡng " +
                  std::to_string(s.degradedLatency.count()) + " ms)";
      else if (bad > 0)
        reason_ = "chập chờn: " + std::to_string(bad) + "/" +
                  std::to_string(std::min<int>(s.downWindow, int(window_.size()))) +
                  " lần thăm dò gần nhất thất bại, lần cuối: " + lastFailure_;
      break;
    case PointStatus::Up:
      if (changed)
        reason_ = std::to_string(goodRun) + " lần thăm dò liên tiếp thành công (" +
                  std::to_string(r.latency.count()) + " ms)";
      break;
    default:
      break;
  }
  return changed;
}

// ---------------------------------------------------------------------------------------

PointState::PointState(PointConfig config, const HealthSettings& settings, WallTime start)
    : config_(std::move(config)), settings_(&settings), start_(start), since_(start) {
  for (const auto& spec : config_.probes) probes_.emplace_back(spec, settings);
}

std::pair<PointStatus, std::string> PointState::combined() const {
  int known = 0, up = 0, down = 0;
  for (const auto& p : probes_) {
    known += p.status() != PointStatus::Unknown;
    up += p.status() == PointStatus::Up;
    down += p.status() == PointStatus::Down;
  }
  if (known == 0) return {PointStatus::Unknown, {}};
  const bool several = probes_.size() > 1;
  auto join = [&](auto pick) {
    std::string out;
    for (const auto& p : probes_) {
      if (!pick(p)) continue;
      if (!out.empty()) out += "; ";
      if (several) out += p.spec().name + ": ";
      out += p.reason();
    }
    return out;
  };
  if (down == known)
    return {PointStatus::Down,
            join([](const ProbeTrack& p) { return p.status() == PointStatus::Down; })};
  if (up == known)
    return {PointStatus::Up,
            join([](const ProbeTrack& p) { return p.status() == PointStatus::Up; })};
  return {PointStatus::Degraded, join([](const ProbeTrack& p) {
            return p.status() == PointStatus::Down || p.status() == PointStatus::Degraded;
          })};
}

std::optional<PointState::Change> PointState::settle(WallTime at) {
  auto [next, why] = combined();
  if (next == status_) {
    if (!why.empty()) reason_ = why;  // same state, fresher reason (e.g. timeout → refused)
    return std::nullopt;
  }
  Change change{at, status_, next, why};
  status_ = next;
  since_ = at;
  reason_ = why;
  return change;
}

std::optional<PointState::Change> PointState::onResult(const ProbeResult& result) {
  auto it = std::find_if(probes_.begin(), probes_.end(),
                         [&](const ProbeTrack& p) { return p.spec().name == result.probe; });
  if (it == probes_.end()) return std::nullopt;
  it->add(result);
  if (maintenance_) return std::nullopt;
  return settle(result.at);
}

std::optional<PointState::Change> PointState::setMaintenance(bool on, WallTime at,
                                                             const std::string& reason) {
  if (on == maintenance_) return std::nullopt;
  maintenance_ = on;
  if (on) {
    Change change{at, status_, PointStatus::Maintenance,
                  reason.empty() ? "điều phối viên đặt chế độ bảo trì (maintenance set)" : reason};
    status_ = PointStatus::Maintenance;
    since_ = at;
    reason_ = change.reason;
    return change;
  }
  auto [next, why] = combined();
  Change change{at, PointStatus::Maintenance, next,
                "hết bảo trì" + (why.empty() ? std::string() : "; " + why)};
  if (!reason.empty()) change.reason = reason + (why.empty() ? "" : "; " + why);
  status_ = next;
  since_ = at;
  reason_ = why;
  return change;
}

std::optional<PointState::Change> PointState::tick(WallTime now) {
  bool fed = false;
  for (auto& p : probes_) {
    if (p.spec().kind != "heartbeat") continue;
    const WallTime heard = p.lastOkAt().value_or(start_);
    if (now - heard < p.spec().heartbeatTimeout) continue;
    // The prober may report missing heartbeats itself; then stay out of its way.
    if (p.last() && now - p.last()->at < settings_->interval) continue;
    ProbeResult r;
    r.pointId = config_.id;
    r.probe = p.spec().name;
    r.ok = false;
    r.at = now;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - heard).count();
    r.reason = "không nhận được heartbeat trong " + std::to_string(seconds) +
               " s (no heartbeat for " + std::to_string(seconds) + " s)";
    p.add(r);
    fed = true;
  }
  if (!fed || maintenance_) return std::nullopt;
  return settle(now);
}

std::optional<Millis> PointState::lastLatency() const {
  const ProbeResult* newest = nullptr;
  for (const auto& p : probes_)
    if (p.last() && p.last()->ok && (!newest || p.last()->at > newest->at)) newest = &*p.last();
  if (!newest) return std::nullopt;
  return newest->latency;
}

}  // namespace ceremony::health
