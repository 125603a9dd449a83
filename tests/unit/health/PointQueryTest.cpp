// Search, filters and the trouble-first order of /api/points, over the points' JSON: the
// operator of 3,321 communes types "nghia hanh" or asks for the down ones of a province.
#include "health/PointQuery.h"

#include <gtest/gtest.h>

namespace ceremony::health {
namespace {

using nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

json point(const std::string& id, const std::string& name, const std::string& group,
           const std::string& state, const std::string& contact = "") {
  return {{"id", id},
          {"name", name},
          {"group", group},
          {"state", state},
          {"contact_name", contact},
          {"contact_phone", "0912345678"},
          {"probes", json::array({{{"kind", "http"}, {"state", state}}})}};
}

json answer() {
  json points = json::array({
      point("quang-ngai-001", "Xã Nghĩa Hành 1", "Quảng Ngãi", "up", "Nguyễn Văn A"),
      point("quang-ngai-002", "Đặc khu Lý Sơn", "Quảng Ngãi", "down", "Trần Thị Bích"),
      point("ha-noi-001", "Phường Hòa Bình 1", "Hà Nội", "degraded"),
      point("ha-noi-002", "Xã Nghĩa Hành 2", "Hà Nội", "unknown"),
      point("hue-001", "Phường Tân Phú 1", "Huế", "maintenance"),
      point("hue-002", "Xã Đức Thắng 1", "Huế", "down"),
  });
  return {{"counts", {{"total", 6}, {"up", 1}, {"down", 2}}}, {"points", points}};
}

PointQuery parsed(const Params& params) {
  auto q = parsePointQuery(params);
  if (auto* why = std::get_if<std::string>(&q)) {
    ADD_FAILURE() << *why;
    return {};
  }
  return std::get<PointQuery>(q);
}

std::vector<std::string> ids(const Params& params) {
  json a = answer();
  applyPointQuery(a, parsed(params));
  std::vector<std::string> out;
  for (const auto& p : a["points"]) out.push_back(p["id"]);
  EXPECT_EQ(a["matched"], out.size());
  EXPECT_EQ(a["counts"]["total"], 6) << "the counts stay the totals";
  return out;
}

using Ids = std::vector<std::string>;

TEST(PointQuery, SearchWithoutDiacriticsFindsTheCommuneInAnyCase) {
  EXPECT_EQ(ids({{"q", "nghia hanh"}}), (Ids{"quang-ngai-001", "ha-noi-002"}));
  EXPECT_EQ(ids({{"q", "NGHĨA HÀNH"}}), (Ids{"quang-ngai-001", "ha-noi-002"}));
  // Every word must match, in any field: the name and the province.
  EXPECT_EQ(ids({{"q", "nghia  quang ngai"}}), (Ids{"quang-ngai-001"}));
  EXPECT_EQ(ids({{"q", "ly son"}}), (Ids{"quang-ngai-002"}));
  EXPECT_EQ(ids({{"q", "hue-002"}}), (Ids{"hue-002"}));      // an id
  EXPECT_EQ(ids({{"q", "bich"}}), (Ids{"quang-ngai-002"}));  // the contact's name
  EXPECT_EQ(ids({{"q", "nghia hanh son"}}), Ids{});
  EXPECT_EQ(ids({{"q", "  "}}).size(), 6u);  // no words: no search
}

TEST(PointQuery, StatesGroupAndTheirCombination) {
  EXPECT_EQ(ids({{"state", "down"}}), (Ids{"quang-ngai-002", "hue-002"}));
  EXPECT_EQ(ids({{"state", "down,degraded"}}), (Ids{"quang-ngai-002", "ha-noi-001", "hue-002"}));
  EXPECT_EQ(ids({{"state", "DOWN"}, {"state", "maintenance"}}),
            (Ids{"quang-ngai-002", "hue-001", "hue-002"}));
  EXPECT_EQ(ids({{"group", "quang ngai"}}), (Ids{"quang-ngai-001", "quang-ngai-002"}));
  EXPECT_EQ(ids({{"group", "Quảng Ngãi"}, {"state", "down"}}), (Ids{"quang-ngai-002"}));
  EXPECT_EQ(ids({{"group", "Quảng"}}), Ids{}) << "group is exact, not a search";
  EXPECT_EQ(ids({{"group", "ha noi"}, {"q", "nghia"}}), (Ids{"ha-noi-002"}));
  EXPECT_EQ(ids({{"state", ""}, {"group", ""}, {"filter", "whatever"}}).size(), 6u);
}

TEST(PointQuery, TroubleFirstThenGroupAndName) {
  EXPECT_EQ(ids({{"sort", "trouble"}}), (Ids{"hue-002", "quang-ngai-002", "ha-noi-001",
                                             "ha-noi-002", "hue-001", "quang-ngai-001"}));
  EXPECT_EQ(ids({{"sort", "config"}}).front(), "quang-ngai-001");
  EXPECT_EQ(ids({}).front(), "quang-ngai-001") << "the configuration's order by default";
  EXPECT_LT(troubleRank("down"), troubleRank("degraded"));
  EXPECT_LT(troubleRank("degraded"), troubleRank("unknown"));
  EXPECT_LT(troubleRank("unknown"), troubleRank("maintenance"));
  EXPECT_LT(troubleRank("maintenance"), troubleRank("up"));
}

TEST(PointQuery, NotWatchingIsABridgeProbeWithoutAConnectedViewer) {
  json a = answer();
  auto bridgeProbe = json::array({{{"kind", "bridge"}, {"state", "down"}}});
  a["points"][0]["probes"] = bridgeProbe;  // never opened: bridge null
  a["points"][0]["bridge"] = nullptr;
  a["points"][1]["probes"] = bridgeProbe;  // watching
  a["points"][1]["bridge"] = {{"session", "s1"}, {"connected", true}};
  a["points"][2]["probes"] = bridgeProbe;  // still connecting
  a["points"][2]["bridge"] = {{"session", "s2"}, {"connected", false}};
  a["points"][3]["bridge"] = nullptr;  // no bridge probe: not in this filter
  applyPointQuery(a, parsed({{"bridge", "not-watching"}}));
  ASSERT_EQ(a["matched"], 2);
  EXPECT_EQ(a["points"][0]["id"], "quang-ngai-001");
  EXPECT_EQ(a["points"][1]["id"], "ha-noi-001");
}

TEST(PointQuery, BadValuesAreRefusedWithWhatIsAllowed) {
  for (const Params& bad :
       {Params{{"state", "red"}}, Params{{"state", "down,,xanh"}}, Params{{"bridge", "watching"}},
        Params{{"sort", "name"}}, Params{{"q", std::string(201, 'a')}}}) {
    auto q = parsePointQuery(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(q)) << bad[0].first << "=" << bad[0].second;
    EXPECT_FALSE(std::get<std::string>(q).empty());
  }
  const auto why = std::get<std::string>(parsePointQuery({{"state", "red"}}));
  EXPECT_NE(why.find("unknown, up, degraded, down, maintenance"), std::string::npos) << why;
  EXPECT_NE(why.find("«red»"), std::string::npos) << why;
}

TEST(PointQuery, AnAnswerWithoutPointsMatchesNone) {
  json a = {{"counts", json::object()}};
  applyPointQuery(a, {});
  EXPECT_EQ(a["matched"], 0);
}

}  // namespace
}  // namespace ceremony::health
