#pragma once
// Search, filters and order for the list of connection points (GET /api/points and
// `ceremonyctl points`): at a national event 3,321 points, and the operator wants the one in
// trouble. Pure, over the points' JSON as /api/points gives it (HealthMonitor::toJson).
//
//   q=nghia hanh           every word, folded (core/TextFold.h), in the name, id, group or
//                          contact name
//   state=down,degraded    one of these states (up, degraded, down, unknown, maintenance)
//   group=Quảng Ngãi       exactly this group (province), folded
//   bridge=not-watching    points with a bridge probe whose browser is not watching now
//   sort=trouble           down, degraded, unknown, maintenance, up; then group, name
//   sort=config            the configuration's order (the default)

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace ceremony::health {

struct PointQuery {
  std::vector<std::string> words;    // folded; all must match
  std::set<std::string> states;      // empty: every state
  std::optional<std::string> group;  // folded
  bool notWatching = false;
  bool troubleFirst = false;
};

// The query from the request's parameters (others are ignored; a parameter given twice adds
// its words or states); a sentence for the operator, in Vietnamese, saying what is allowed
// when a value is wrong.
std::variant<PointQuery, std::string> parsePointQuery(
    const std::vector<std::pair<std::string, std::string>>& params);

// Whether one point (an element of /api/points' "points") passes the query's filters.
bool pointMatches(const nlohmann::json& point, const PointQuery& q);

// Where a state goes in the trouble-first order: down 0, degraded 1, unknown 2,
// maintenance 3, up 4 (anything else last).
int troubleRank(std::string_view state);

// Keeps in answer["points"] the points that match, in the query's order, and sets
// answer["matched"] to how many; the rest of the answer ("counts": the totals) is untouched.
void applyPointQuery(nlohmann::json& answer, const PointQuery& q);

}  // namespace ceremony::health
