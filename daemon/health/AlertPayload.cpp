#include "health/AlertPayload.h"

namespace ceremony::health {

namespace {

nlohmann::json pointJson(const PointConfig& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"kind", p.kind},
          {"contact_name", p.contactName},
          {"contact_phone", p.contactPhone},
          {"group", p.group}};
}

std::string contactLine(const PointConfig& p) {
  if (p.contactName.empty() && p.contactPhone.empty()) return "chưa có người liên hệ";
  std::string out = "liên hệ " + p.contactName;
  if (!p.contactPhone.empty()) out += (p.contactName.empty() ? "" : " ") + p.contactPhone;
  return out;
}

}  // namespace

nlohmann::json pointAlert(const HealthEvent& e, const PointConfig& point, int utcOffsetMinutes) {
  nlohmann::json j;
  j["type"] = "point_state";
  j["time"] = formatTime(e.at, utcOffsetMinutes);
  j["point"] = pointJson(point);
  j["from"] = statusName(e.from);
  j["to"] = statusName(e.to);
  j["from_label"] = statusLabel(e.from);
  j["to_label"] = statusLabel(e.to);
  j["reason"] = e.reason;
  std::string text = point.name + ": " + std::string(statusLabel(e.to));
  if (e.from == e.to)
    text += " (vẫn)";
  else
    text += " (trước đó: " + std::string(statusLabel(e.from)) + ")";
  if (!e.reason.empty()) text += " — " + e.reason;
  text += ". " + contactLine(point) + ".";
  j["text"] = text;
  return j;
}

nlohmann::json uplinkAlert(const HealthEvent& e, const std::vector<const PointConfig*>& points,
                           int watched, int utcOffsetMinutes) {
  const bool active = e.kind == EventKind::UplinkRaised;
  nlohmann::json j;
  j["type"] = "uplink_alarm";
  j["active"] = active;
  j["time"] = formatTime(e.at, utcOffsetMinutes);
  j["count"] = points.size();
  j["watched"] = watched;
  j["reason"] = e.reason;
  auto list = nlohmann::json::array();
  for (const auto* p : points)
    if (p) list.push_back(pointJson(*p));
  j["points"] = list;
  if (!e.group.empty()) j["group"] = e.group;
  if (e.group.empty())
    j["text"] = active ? "CẢNH BÁO: Mất kết nối đường truyền tỉnh / uplink — " + e.reason
                       : "Đường truyền tỉnh / uplink đã phục hồi — " + e.reason;
  else
    j["text"] = (active ? "CẢNH BÁO: " : "") + e.reason;
  return j;
}

}  // namespace ceremony::health
