// LiveFeed's list topic ("points"): the whole list once, then only what changed, per
// subscriber and coalesced (a slow client gets each changed point once, in its latest
// state: no backlog, no change lost).
#include "api/LiveFeed.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ceremony::api {
namespace {

using nlohmann::json;

struct Client : LiveFeed::Subscriber {
  int ready = 0;
  void onReady() override { ++ready; }
};

// The SSE frames of one take(), as (event, parsed data).
std::vector<std::pair<std::string, json>> frames(const std::string& text) {
  std::vector<std::pair<std::string, json>> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find("\n\n", at);
    if (end == std::string::npos) break;
    const std::string one = text.substr(at, end - at);
    const auto nl = one.find('\n');
    EXPECT_EQ(one.rfind("event: ", 0), 0u) << one;
    EXPECT_EQ(one.compare(nl + 1, 6, "data: "), 0) << one;
    out.emplace_back(one.substr(7, nl - 7), json::parse(one.substr(nl + 7)));
    at = end + 2;
  }
  return out;
}

std::vector<LiveFeed::Item> points(const std::vector<std::pair<std::string, std::string>>& states,
                                   int latency = 10) {
  std::vector<LiveFeed::Item> items;
  for (const auto& [id, state] : states) {
    json p{{"id", id}, {"state", state}, {"latency_ms", latency}};
    json key{{"id", id}, {"state", state}};
    items.push_back({id, p.dump(), key.dump()});
  }
  return items;
}

std::string summary(int down) {
  return json{{"counts", {{"down", down}}}}.dump();
}

std::vector<std::string> ids(const json& body) {
  std::vector<std::string> out;
  for (const auto& p : body["points"]) out.push_back(p["id"]);
  return out;
}

TEST(LiveFeedListTest, ANewClientGetsTheWholeListThenOnlyTheChangedPoints) {
  LiveFeed feed;
  feed.publish("status", "{\"phase\":\"running\"}");
  feed.publishList("points", "points", summary(0), points({{"a", "up"}, {"b", "up"}, {"c", "up"}}));
  Client c;
  feed.subscribe(&c);
  auto got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, "points");
  EXPECT_EQ(ids(got[0].second), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(got[0].second["counts"]["down"], 0);
  EXPECT_EQ(got[1].first, "status");
  EXPECT_EQ(feed.take(&c), "") << "nothing is due twice";

  feed.publishList("points", "points", summary(1),
                   points({{"a", "up"}, {"b", "down"}, {"c", "up"}}));
  EXPECT_EQ(c.ready, 1);
  got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "points-changed");
  EXPECT_EQ(ids(got[0].second), (std::vector<std::string>{"b"}));
  EXPECT_EQ(got[0].second["points"][0]["state"], "down");
  EXPECT_EQ(got[0].second["counts"]["down"], 1) << "the summary comes with every change";
  // The snapshot for a client that comes now has the change.
  EXPECT_NE(feed.latest("points")->find("\"down\""), std::string::npos);
}

TEST(LiveFeedListTest, ASlowClientGetsEachChangedPointOnceInItsLatestState) {
  LiveFeed feed;
  feed.publishList("points", "points", summary(0),
                   points({{"a", "up"}, {"b", "up"}, {"c", "up"}, {"d", "up"}}));
  Client slow, quick;
  feed.subscribe(&slow);
  feed.subscribe(&quick);
  feed.take(&slow);
  feed.take(&quick);
  // Three changes while the slow client is still writing: a down, up again, then c and d.
  feed.publishList("points", "points", summary(1),
                   points({{"a", "down"}, {"b", "up"}, {"c", "up"}, {"d", "up"}}));
  EXPECT_EQ(ids(frames(feed.take(&quick))[0].second), (std::vector<std::string>{"a"}));
  feed.publishList("points", "points", summary(0),
                   points({{"a", "up"}, {"b", "up"}, {"c", "up"}, {"d", "up"}}));
  EXPECT_EQ(ids(frames(feed.take(&quick))[0].second), (std::vector<std::string>{"a"}));
  feed.publishList("points", "points", summary(2),
                   points({{"a", "up"}, {"b", "up"}, {"c", "down"}, {"d", "degraded"}}));
  EXPECT_EQ(ids(frames(feed.take(&quick))[0].second), (std::vector<std::string>{"c", "d"}));

  // One message, each point once, the latest state, in the list's order; no backlog.
  const auto got = frames(feed.take(&slow));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "points-changed");
  EXPECT_EQ(ids(got[0].second), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(got[0].second["points"][0]["state"], "up");
  EXPECT_EQ(got[0].second["points"][1]["state"], "down");
  EXPECT_EQ(got[0].second["points"][2]["state"], "degraded");
  EXPECT_EQ(got[0].second["counts"]["down"], 2);
  EXPECT_EQ(feed.take(&slow), "");
}

TEST(LiveFeedListTest, AMeasurementAloneIsNoChangeButRidesAlongAndIsInTheSnapshot) {
  LiveFeed feed;
  feed.publishList("points", "points", summary(0), points({{"a", "up"}, {"b", "up"}}, 10));
  Client c;
  feed.subscribe(&c);
  feed.take(&c);
  feed.publishList("points", "points", summary(0), points({{"a", "up"}, {"b", "up"}}, 20));
  EXPECT_EQ(c.ready, 0);
  EXPECT_EQ(feed.take(&c), "");
  EXPECT_EQ(json::parse(*feed.latest("points"))["points"][1]["latency_ms"], 20);
  feed.publishList("points", "points", summary(1), points({{"a", "up"}, {"b", "down"}}, 30));
  const auto got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second["points"][0]["latency_ms"], 30) << "the changed point's latest data";
}

TEST(LiveFeedListTest, ASummaryChangeAloneIsSentWithNoPoints) {
  LiveFeed feed;
  feed.publishList("points", "points", summary(0), points({{"a", "up"}}));
  Client c;
  feed.subscribe(&c);
  feed.take(&c);
  feed.publishList("points", "points", summary(3), points({{"a", "up"}}));
  const auto got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "points-changed");
  EXPECT_TRUE(got[0].second["points"].empty());
  EXPECT_EQ(got[0].second["counts"]["down"], 3);
}

TEST(LiveFeedListTest, PointsAddedRemovedOrMovedSendTheWholeListAgain) {
  LiveFeed feed;
  feed.publishList("points", "points", summary(0), points({{"a", "up"}, {"b", "up"}}));
  Client c;
  feed.subscribe(&c);
  feed.take(&c);
  feed.publishList("points", "points", summary(1), points({{"a", "down"}, {"b", "up"}}));
  // Before the client takes the change, a reload removes b and adds z.
  feed.publishList("points", "points", summary(1), points({{"a", "down"}, {"z", "up"}}));
  auto got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u) << "the snapshot replaces the pending change";
  EXPECT_EQ(got[0].first, "points");
  EXPECT_EQ(ids(got[0].second), (std::vector<std::string>{"a", "z"}));
  feed.publishList("points", "points", summary(1), points({{"z", "up"}, {"a", "down"}}));
  got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "points");
}

TEST(LiveFeedListTest, AClientAskingForWholeListsGetsTheWholeListAtEachChange) {
  LiveFeed feed;
  feed.publishList("points", "points", summary(0), points({{"a", "up"}, {"b", "up"}}));
  Client whole;
  feed.subscribe(&whole, true);
  feed.take(&whole);
  feed.publishList("points", "points", summary(1), points({{"a", "up"}, {"b", "down"}}));
  feed.publishList("points", "points", summary(2), points({{"a", "down"}, {"b", "down"}}));
  const auto got = frames(feed.take(&whole));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "points");
  EXPECT_EQ(ids(got[0].second), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(got[0].second["counts"]["down"], 2);
}

TEST(LiveFeedListTest, AnEmptySummaryAndAnUnsubscribedClient) {
  LiveFeed feed;
  Client c;
  feed.subscribe(&c);
  feed.publishList("points", "points", "{}", points({{"a", "up"}}));
  EXPECT_EQ(c.ready, 1);
  const auto got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, json::parse("{\"points\":[{\"id\":\"a\",\"state\":\"up\","
                                       "\"latency_ms\":10}]}"));
  feed.unsubscribe(&c);
  feed.publishList("points", "points", "{}", points({{"a", "down"}}));
  EXPECT_EQ(c.ready, 1);
  EXPECT_EQ(feed.take(&c), "");
  EXPECT_EQ(feed.subscribers(), 0u);
}

TEST(LiveFeedListTest, AFewPointsUpdateWithoutTheWholeList) {
  LiveFeed feed;
  EXPECT_FALSE(feed.updateItems("points", summary(1), points({{"b", "down"}})))
      << "no list yet: the publisher sends the whole one";
  feed.publishList("points", "points", summary(0), points({{"a", "up"}, {"b", "up"}, {"c", "up"}}));
  Client c;
  feed.subscribe(&c);
  (void)feed.take(&c);

  ASSERT_TRUE(feed.updateItems("points", summary(1), points({{"b", "down"}})));
  auto got = frames(feed.take(&c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "points-changed");
  EXPECT_EQ(ids(got[0].second), (std::vector<std::string>{"b"}));
  EXPECT_EQ(got[0].second["counts"]["down"], 1);
  // The others are kept as they were: a new client's list has all three, b down.
  const auto whole = json::parse(*feed.latest("points"));
  ASSERT_EQ(ids(whole), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(whole["points"][1]["state"], "down");
  EXPECT_EQ(whole["points"][0]["state"], "up");

  const int before = c.ready;
  ASSERT_TRUE(feed.updateItems("points", summary(1), points({{"b", "down"}}, 99)));
  EXPECT_EQ(c.ready, before) << "only its latency moved: nobody is told";
  EXPECT_EQ(json::parse(*feed.latest("points"))["points"][1]["latency_ms"], 99);
  EXPECT_FALSE(feed.updateItems("points", summary(1), points({{"z", "down"}})))
      << "an id not in the list: the whole list is due";
  EXPECT_EQ(json::parse(*feed.latest("points"))["points"].size(), 3u);
}

}  // namespace
}  // namespace ceremony::api
