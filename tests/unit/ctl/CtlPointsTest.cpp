// `ceremonyctl points`: the query it sends (Vietnamese percent-encoded as UTF-8) and the list
// it prints (trouble rows with whom to call, a group column, "N/M điểm cầu khớp").
#include "ctl/CtlPoints.h"

#include <gtest/gtest.h>

namespace ceremony::ctl {
namespace {

using nlohmann::json;

TEST(CtlPoints, TheQueryIsPercentEncodedUtf8AndAlwaysTroubleFirst) {
  EXPECT_EQ(pointsPath({}), "/api/points?sort=trouble");
  PointsArgs a;
  a.group = "Quảng Ngãi";
  a.search = "nghia hanh";
  a.states = "down,degraded";
  a.notWatching = true;
  a.notUp = true;
  EXPECT_EQ(pointsPath(a),
            "/api/points?sort=trouble&filter=not-up&state=down,degraded&q=nghia%20hanh"
            "&group=Qu%E1%BA%A3ng%20Ng%C3%A3i&bridge=not-watching");
  PointsArgs tricky;
  tricky.search = "a&b=c#d+e";
  EXPECT_EQ(pointsPath(tricky), "/api/points?sort=trouble&q=a%26b%3Dc%23d%2Be");
}

TEST(CtlPoints, TroubleRowsShowWhyAndWhomToCallAndTheCountLine) {
  const json answer = {{"counts", {{"total", 3321}, {"up", 3319}, {"down", 2}}},
                       {"matched", 2},
                       {"points",
                        {{{"id", "quang-ngai-002"},
                          {"name", "Đặc khu Lý Sơn"},
                          {"group", "Quảng Ngãi"},
                          {"state", "down"},
                          {"state_label", "mất kết nối"},
                          {"reason", "connection refused"},
                          {"contact_name", "Trần Thị Bích"},
                          {"contact_phone", "0912345678"},
                          {"latency_ms", nullptr}},
                         {{"id", "hue-001"},
                          {"name", "Phường Tân Phú 1"},
                          {"group", "Huế"},
                          {"state", "up"},
                          {"state_label", "hoạt động"},
                          {"reason", "3 lần thăm dò liên tiếp thành công"},
                          {"contact_name", "Lê Văn C"},
                          {"contact_phone", "0987654321"},
                          {"latency_ms", 12}}}}};
  const std::string out = pointsText(answer);
  EXPECT_NE(out.find("nhóm"), std::string::npos) << out;
  EXPECT_NE(out.find("Quảng Ngãi"), std::string::npos) << out;
  EXPECT_NE(out.find("connection refused"), std::string::npos) << out;
  EXPECT_NE(out.find("Trần Thị Bích 0912345678"), std::string::npos) << out;
  EXPECT_EQ(out.find("0987654321"), std::string::npos) << "an up point needs no call:\n" << out;
  EXPECT_EQ(out.find("thành công"), std::string::npos) << out;
  EXPECT_NE(out.find("2/3321 điểm cầu khớp"), std::string::npos) << out;
  EXPECT_LT(out.find("quang-ngai-002"), out.find("hue-001")) << "the daemon's order is kept";

  json ungrouped = answer;
  for (auto& p : ungrouped["points"]) p["group"] = "";
  EXPECT_EQ(pointsText(ungrouped).find("nhóm"), std::string::npos);
  json none = {{"counts", {{"total", 5}}}, {"matched", 0}, {"points", json::array()}};
  EXPECT_EQ(pointsText(none).rfind("0/5 điểm cầu khớp", 0), 0u) << pointsText(none);
}

}  // namespace
}  // namespace ceremony::ctl
