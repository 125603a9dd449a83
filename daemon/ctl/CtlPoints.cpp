#include "ctl/CtlPoints.h"

#include "config/PercentEncoding.h"
#include "ctl/CtlTable.h"

namespace ceremony::ctl {

namespace {

using nlohmann::json;

std::string text(const json& j, const char* key, const std::string& otherwise = "–") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return otherwise;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

}  // namespace

std::string pointsPath(const PointsArgs& a) {
  std::string path = "/api/points?sort=trouble";
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) path += std::string("&") + key + "=" + percentEncode(value, ",");
  };
  if (a.notUp) path += "&filter=not-up";
  add("state", a.states);
  add("q", a.search);
  add("group", a.group);
  if (a.notWatching) path += "&bridge=not-watching";
  return path;
}

std::string pointsText(const json& j) {
  const json empty = json::array();
  const json& points = j.contains("points") && j["points"].is_array() ? j["points"] : empty;
  bool grouped = false;
  for (const auto& p : points) grouped = grouped || !text(p, "group", "").empty();
  std::vector<std::vector<std::string>> rows;
  rows.reserve(points.size());
  for (const auto& p : points) {
    const json& lat = p.contains("latency_ms") ? p["latency_ms"] : json();
    const bool trouble = text(p, "state") != "up";
    std::string contact;
    if (trouble) {
      contact = text(p, "contact_name", "");
      const std::string phone = text(p, "contact_phone", "");
      if (!phone.empty()) contact += (contact.empty() ? "" : " ") + phone;
    }
    std::vector<std::string> row{text(p, "id"), clip(text(p, "name"), 36)};
    if (grouped) row.push_back(clip(text(p, "group", ""), 24));
    row.push_back(text(p, "state_label", text(p, "state")));
    row.push_back(lat.is_number() ? std::to_string(lat.get<long long>()) + " ms" : "–");
    row.push_back(trouble ? clip(text(p, "reason", ""), 48) : "");
    row.push_back(contact);
    rows.push_back(std::move(row));
  }
  std::vector<std::string> head{"id", "tên"};
  if (grouped) head.push_back("nhóm");
  for (const char* h : {"trạng thái", "độ trễ", "lý do (điểm có sự cố)", "liên hệ"})
    head.push_back(h);
  std::string out = rows.empty() ? std::string() : table(head, rows);
  const json& c = j.contains("counts") ? j["counts"] : json();
  const std::size_t matched = j.contains("matched") && j["matched"].is_number()
                                  ? j["matched"].get<std::size_t>()
                                  : points.size();
  if (c.is_object()) {
    out += std::to_string(matched) + "/" + std::to_string(c.value("total", 0)) + " điểm cầu khớp\n";
    out += "Toàn bộ: " + std::to_string(c.value("up", 0)) + " hoạt động, " +
           std::to_string(c.value("degraded", 0)) + " chập chờn, " +
           std::to_string(c.value("down", 0)) + " mất kết nối, " +
           std::to_string(c.value("maintenance", 0)) + " bảo trì, " +
           std::to_string(c.value("unknown", 0)) + " chưa rõ\n";
  }
  return out;
}

}  // namespace ceremony::ctl
