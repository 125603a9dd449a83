#pragma once
// `ceremonyctl points`: the connection points, trouble first, searched and filtered by the
// daemon (GET /api/points?q=…&state=…&group=…&bridge=not-watching&sort=trouble).

#include <string>

#include <nlohmann/json.hpp>

namespace ceremony::ctl {

struct PointsArgs {
  bool notUp = false;        // --down: every point not up (filter=not-up)
  std::string states;        // --state down,degraded
  std::string search;        // --search "nghia hanh", or the words after `points`
  std::string group;         // --group "Quảng Ngãi"
  bool notWatching = false;  // --not-watching: a bridge probe and no browser watching
};

// The API path for these options, every value percent-encoded (UTF-8 as %XX).
std::string pointsPath(const PointsArgs& args);

// The answer for a person: one row per point (with its group when points have one, and
// why and whom to call when it is not up), then "N/M điểm cầu khớp" and the totals by state.
std::string pointsText(const nlohmann::json& answer);

}  // namespace ceremony::ctl
