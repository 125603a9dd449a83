// The connection points: their watch (ConnectionPoints) and what the API reads and changes
// of them (/api/points, maintenance, heartbeats). On the io_context thread.
#include "app/Ceremony.h"

namespace ceremony {

namespace {

using nlohmann::json;

}  // namespace

// The watch over the connection points of config_.health, telling systemd and the
// dashboard of every change.
void Ceremony::startPoints() {
  points_ = std::make_unique<ConnectionPoints>(io_, clock_, config_.health, options_.stateDir,
                                               bridge_ != nullptr);
  points_->onChange([this](const health::HealthEvent& e) {
    journalHealth(e);
    notifySystemd();
    publishPoints(e.kind == health::EventKind::PointChanged ? e.pointId : std::string());
  });
  points_->onAlertSent([this](const health::HealthEvent& e, const json& body) {
    json record{{"what", e.kind == health::EventKind::PointChanged ? "point" : "uplink"},
                {"message", body.value("text", std::string())}};
    if (!e.pointId.empty()) record["points"] = json::array({e.pointId});
    if (!e.points.empty()) record["points"] = e.points;
    journal("alert", std::move(record), clock_.now());
  });
  points_->start();
}

json Ceremony::points(bool notUpOnly) {
  if (!points_) return {{"counts", json::object()}, {"points", json::array()}};
  json j = points_->monitor().pointsJson();
  json kept = json::array();
  for (auto& p : j["points"]) {
    if (notUpOnly && p["state"] == "up") continue;
    p.erase("history");  // GET /api/points/{id} has it
    if (bridge_) {
      p["bridge"] = bridgeJson(p.value("id", ""));
      p["return"] = returnJson(p.value("id", ""));
    }
    kept.push_back(std::move(p));
  }
  j["points"] = std::move(kept);
  return j;
}

std::optional<json> Ceremony::point(const std::string& id) {
  if (!points_) return std::nullopt;
  auto p = points_->monitor().point(id);
  if (!p) return std::nullopt;
  json j = points_->monitor().toJson(*p);
  if (bridge_) {
    j["bridge"] = bridgeJson(id);
    j["return"] = returnJson(id);
  }
  return j;
}

CommandResult Ceremony::maintenance(const std::string& id, bool on, const std::string& reason) {
  if (!points_ || !points_->monitor().setMaintenance(id, on, clock_.now(), reason))
    return CommandResult::refused(CommandError::UnknownItem, "no connection point «" + id + "»");
  logEvent("operator", std::string(on ? "bảo trì điểm cầu «" : "hết bảo trì điểm cầu «") + id + "»",
           {{"point", id}});
  publishPoints(id);
  return CommandResult::done();
}

api::HeartbeatOutcome Ceremony::heartbeat(const std::string& id, const std::string& token) {
  if (!points_) return api::HeartbeatOutcome::UnknownPoint;
  switch (points_->heartbeats().onHeartbeat(id, token)) {
    case health::HeartbeatTracker::Outcome::Accepted:
      return api::HeartbeatOutcome::Accepted;
    case health::HeartbeatTracker::Outcome::UnknownPoint:
      return api::HeartbeatOutcome::UnknownPoint;
    case health::HeartbeatTracker::Outcome::BadToken:
      return api::HeartbeatOutcome::BadToken;
  }
  return api::HeartbeatOutcome::BadToken;
}

}  // namespace ceremony
