#include "health/PointQuery.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "core/TextFold.h"
#include "health/PointState.h"

namespace ceremony::health {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxSearch = 200;  // bytes of q=, all of them

std::string field(const json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string allStates() {
  std::string s;
  for (auto st : kAllStatuses) s += (s.empty() ? "" : ", ") + std::string(statusName(st));
  return s;
}

bool hasBridgeProbe(const json& p) {
  auto it = p.find("probes");
  if (it == p.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [](const json& probe) {
    return probe.is_object() && probe.value("kind", json()).is_string() &&
           probe["kind"].get<std::string>() == "bridge";
  });
}

bool watching(const json& p) {
  auto it = p.find("bridge");
  return it != p.end() && it->is_object() && it->value("connected", json()) == json(true);
}

}  // namespace

std::variant<PointQuery, std::string> parsePointQuery(
    const std::vector<std::pair<std::string, std::string>>& params) {
  PointQuery q;
  std::size_t searched = 0;
  for (const auto& [key, value] : params) {
    if (key == "q") {
      searched += value.size();
      if (searched > kMaxSearch)
        return "q (tìm kiếm) dài quá " + std::to_string(kMaxSearch) +
               " byte; hãy tìm bằng vài chữ của tên, mã, tỉnh hoặc người liên hệ";
      for (auto& w : foldedWords(value)) q.words.push_back(std::move(w));
    } else if (key == "state") {
      std::size_t start = 0;
      while (start <= value.size()) {
        auto comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        const std::string one = foldText(value.substr(start, comma - start));
        start = comma + 1;
        if (one.empty()) continue;
        if (!statusFromName(one))
          return "state chỉ nhận các trạng thái " + allStates() +
                 ", một hoặc nhiều, cách nhau bởi dấu phẩy (ví dụ state=down,degraded); không có "
                 "trạng thái «" +
                 one + "»";
        q.states.insert(one);
      }
    } else if (key == "group") {
      std::string g = foldText(value);
      if (g.empty())
        q.group.reset();
      else
        q.group = std::move(g);
    } else if (key == "bridge") {
      if (value == "not-watching")
        q.notWatching = true;
      else if (!value.empty())
        return "bridge chỉ nhận not-watching: các điểm cầu có đầu dò cầu truyền hình (bridge) "
               "mà không đang xem";
    } else if (key == "sort") {
      if (value == "trouble")
        q.troubleFirst = true;
      else if (value == "config" || value.empty())
        q.troubleFirst = false;
      else
        return "sort chỉ nhận trouble (sự cố trước: down, degraded, unknown, maintenance, up; rồi "
               "theo nhóm và tên) hoặc config (thứ tự trong cấu hình, mặc định)";
    }
  }
  return q;
}

bool pointMatches(const json& p, const PointQuery& q) {
  if (!p.is_object()) return false;
  if (!q.states.empty() && !q.states.count(field(p, "state"))) return false;
  if (q.group && foldText(field(p, "group")) != *q.group) return false;
  if (q.notWatching && (!hasBridgeProbe(p) || watching(p))) return false;
  if (!q.words.empty()) {
    const std::string text = foldText(field(p, "name") + " " + field(p, "id") + " " +
                                      field(p, "group") + " " + field(p, "contact_name"));
    for (const auto& w : q.words)
      if (text.find(w) == std::string::npos) return false;
  }
  return true;
}

int troubleRank(std::string_view state) {
  static constexpr std::string_view kOrder[] = {"down", "degraded", "unknown", "maintenance", "up"};
  for (int i = 0; i < 5; ++i)
    if (kOrder[i] == state) return i;
  return 5;
}

void applyPointQuery(json& answer, const PointQuery& q) {
  auto it = answer.find("points");
  if (it == answer.end() || !it->is_array()) {
    answer["matched"] = 0;
    return;
  }
  json& points = *it;
  json kept = json::array();
  for (auto& p : points)
    if (pointMatches(p, q)) kept.push_back(std::move(p));
  if (q.troubleFirst) {
    struct Key {
      int rank;
      std::string group, name, id;
    };
    std::vector<Key> keys;
    keys.reserve(kept.size());
    for (const auto& p : kept)
      keys.push_back({troubleRank(field(p, "state")), foldText(field(p, "group")),
                      foldText(field(p, "name")), field(p, "id")});
    std::vector<std::size_t> order(kept.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(keys[a].rank, keys[a].group, keys[a].name, keys[a].id) <
             std::tie(keys[b].rank, keys[b].group, keys[b].name, keys[b].id);
    });
    json sorted = json::array();
    for (auto i : order) sorted.push_back(std::move(kept[i]));
    kept = std::move(sorted);
  }
  answer["matched"] = kept.size();
  points = std::move(kept);
}

}  // namespace ceremony::health
