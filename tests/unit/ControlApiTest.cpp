// The control API's routing, tokens and request checks, without sockets.
#include "api/ControlApi.h"

#include <gtest/gtest.h>

#include "ApiTestBackend.h"

namespace ceremony {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using nlohmann::json;

constexpr const char* kViewer = "viewer-7c1f0e";
constexpr const char* kOperator = "operator-91ab44";

class ControlApiTest : public ::testing::Test {
 protected:
  testing::RecordingBackend backend;
  api::ControlApi api{backend, {kViewer, kOperator}};

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& token = {}, const std::string& body = {}) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    if (!token.empty()) r.authorization = "Bearer " + token;
    r.body = body;
    HttpResponse res = api.handle(r);
    // Whatever happened, no answer ever carries a token.
    EXPECT_EQ(res.body.find(kViewer), std::string::npos) << target;
    EXPECT_EQ(res.body.find(kOperator), std::string::npos) << target;
    return res;
  }
  static std::string errorOf(const HttpResponse& r) {
    return json::parse(r.body).value("error", std::string());
  }
};

TEST_F(ControlApiTest, ReadsNeedTheViewerOrOperatorToken) {
  EXPECT_EQ(call("GET", "/api/status").status, 401);
  EXPECT_EQ(call("GET", "/api/status", "wrong").status, 401);
  EXPECT_EQ(errorOf(call("GET", "/api/status", "wrong")), "the token is not valid");
  EXPECT_EQ(call("GET", "/api/status", kViewer).status, 200);
  EXPECT_EQ(call("GET", "/api/status", kOperator).status, 200);
  EXPECT_EQ(call("GET", "/api/status?token=" + std::string(kViewer)).status, 200);
  EXPECT_EQ(call("GET", "/metrics").status, 401);
  const auto m = call("GET", "/metrics", kViewer);
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.contentType.find("text/plain; version=0.0.4"), std::string::npos);
}

TEST_F(ControlApiTest, ChangesNeedTheOperatorToken) {
  EXPECT_EQ(call("POST", "/api/timeline/next").status, 401);
  const auto viewer = call("POST", "/api/timeline/next", kViewer);
  EXPECT_EQ(viewer.status, 403);
  EXPECT_EQ(errorOf(viewer), "the viewer token cannot change anything");
  EXPECT_TRUE(backend.calls.empty());
  EXPECT_EQ(call("POST", "/api/timeline/next", kOperator).status, 200);
  EXPECT_EQ(backend.calls, std::vector<std::string>{"next"});
}

TEST_F(ControlApiTest, WithoutAViewerTokenReadsAreOpenAndWithoutAnOperatorTokenNothingChanges) {
  testing::RecordingBackend b;
  api::ControlApi open(b, {"", ""});
  HttpRequest r{"GET", "/api/status", "", "", ""};
  EXPECT_EQ(open.handle(r).status, 200);
  r = {"POST", "/api/timeline/hold", "Bearer anything", "", ""};
  const auto res = open.handle(r);
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("no operator token"), std::string::npos);
  EXPECT_TRUE(b.calls.empty());
}

TEST_F(ControlApiTest, EachTimelineOperationReachesTheTimeline) {
  EXPECT_EQ(call("POST", "/api/timeline/hold", kOperator).status, 200);
  EXPECT_EQ(call("POST", "/api/timeline/resume", kOperator).status, 200);
  EXPECT_EQ(call("POST", "/api/timeline/goto", kOperator, R"({"id":"chi-dao"})").status, 200);
  EXPECT_EQ(call("POST", "/api/timeline/extend", kOperator, R"({"seconds":300})").status, 200);
  EXPECT_EQ(call("POST", "/api/program/cut", kOperator, R"({"scene":"hall"})").status, 200);
  EXPECT_EQ(call("POST", "/api/cue/bam-nut", kOperator).status, 200);
  EXPECT_EQ(call("POST", "/api/outputs/facebook/stop", kOperator).status, 200);
  EXPECT_EQ(call("POST", "/api/outputs/facebook/start", kOperator).status, 200);
  EXPECT_EQ(
      call("POST", "/api/points/p37/maintenance", kOperator, R"({"on":true,"reason":"Mất điện"})")
          .status,
      200);
  EXPECT_EQ(backend.calls,
            (std::vector<std::string>{"hold", "resume", "goto chi-dao", "extend 300000", "cut hall",
                                      "cue bam-nut", "stop facebook", "start facebook",
                                      "maintenance p37 on Mất điện"}));
}

TEST_F(ControlApiTest, BadBodiesGet400AndChangeNothing) {
  for (const char* body :
       {"{bad", "[1,2]", "\"x\"", R"({"seconds":"300"})", R"({"seconds":0})", R"({"seconds":1.5})",
        R"({"seconds":99999})", R"({"seconds":-5})", R"({})"}) {
    const auto r = call("POST", "/api/timeline/extend", kOperator, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_FALSE(errorOf(r).empty()) << body;
  }
  EXPECT_EQ(call("POST", "/api/timeline/goto", kOperator, R"({"id":""})").status, 400);
  EXPECT_EQ(call("POST", "/api/timeline/goto", kOperator, R"({"id":5})").status, 400);
  EXPECT_EQ(call("POST", "/api/program/cut", kOperator, "").status, 400);
  EXPECT_EQ(call("POST", "/api/points/p37/maintenance", kOperator, R"({"on":"yes"})").status, 400);
  EXPECT_EQ(call("GET", "/api/events?limit=0", kViewer).status, 400);
  EXPECT_EQ(call("GET", "/api/events?limit=abc", kViewer).status, 400);
  EXPECT_EQ(call("GET", "/api/points?filter=red", kViewer).status, 400);
  EXPECT_EQ(call("GET", "/api/points/%zz", kViewer).status, 400);
  EXPECT_TRUE(backend.calls.empty());
}

TEST_F(ControlApiTest, RefusalsMapTo404And409) {
  backend.answer = CommandResult::refused(CommandError::UnknownItem, "no item x");
  auto r = call("POST", "/api/timeline/goto", kOperator, R"({"id":"x"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(errorOf(r), "no item x");
  backend.answer = CommandResult::refused(CommandError::NotNow, "nothing is held");
  EXPECT_EQ(call("POST", "/api/timeline/resume", kOperator).status, 409);
  backend.answer = CommandResult::refused(CommandError::BadValue, "not a cue");
  EXPECT_EQ(call("POST", "/api/cue/chi-dao", kOperator).status, 400);
  EXPECT_EQ(call("GET", "/api/points/nope", kViewer).status, 404);
  EXPECT_EQ(call("POST", "/api/points/nope/maintenance", kOperator).status, 404);
}

TEST_F(ControlApiTest, UnknownPathsAre404AndWrongMethods405WithAllow) {
  EXPECT_EQ(call("GET", "/api/nothing", kViewer).status, 404);
  EXPECT_EQ(call("GET", "/nothing.html").status, 404);
  EXPECT_EQ(call("POST", "/api/timeline/jump", kOperator).status, 404);
  const auto r = call("GET", "/api/timeline/next", kOperator);
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Allow", "POST"}));
  EXPECT_EQ(call("DELETE", "/api/status", kViewer).status, 405);
  EXPECT_EQ(call("POST", "/api/points", kOperator).status, 405);
  EXPECT_EQ(call("POST", "/", kOperator).status, 405);
  EXPECT_TRUE(backend.calls.empty());
}

TEST_F(ControlApiTest, HeartbeatsUseThePointsOwnToken) {
  EXPECT_EQ(call("POST", "/api/points/p37/heartbeat", "point-secret").status, 200);
  EXPECT_EQ(call("POST", "/api/points/p37/heartbeat", "wrong").status, 401);
  // Neither the viewer nor the operator token stands in for a point's.
  EXPECT_EQ(call("POST", "/api/points/p37/heartbeat", kOperator).status, 401);
  EXPECT_EQ(call("POST", "/api/points/p99/heartbeat", "point-secret").status, 404);
  EXPECT_EQ(call("GET", "/api/points/p37/heartbeat", "point-secret").status, 405);
}

TEST_F(ControlApiTest, TheDashboardIsPublicAndTheStreamIsAnEventStream) {
  const auto page = call("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.contentType.find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("lang=\"vi\""), std::string::npos);
  EXPECT_EQ(call("GET", "/app.js").status, 200);
  EXPECT_EQ(call("GET", "/api/stream").status, 401);
  const auto s = call("GET", "/api/stream?token=" + std::string(kViewer));
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.eventStream, &backend.feed());
  EXPECT_EQ(call("GET", "/api/preview.jpg", kViewer).status, 404);
}

TEST_F(ControlApiTest, WhoAmITellsTheDashboardWhetherToShowTheButtons) {
  EXPECT_EQ(json::parse(call("GET", "/api/whoami", kViewer).body)["can_change"], false);
  EXPECT_EQ(json::parse(call("GET", "/api/whoami", kOperator).body)["role"], "operator");
}

TEST(TargetTest, SplitsDecodesAndRejectsBadEscapes) {
  auto t = api::parseTarget("/api/points/x%C3%A3%201/?limit=5&a=b+c&&flag");
  ASSERT_TRUE(t.valid);
  EXPECT_EQ(t.segments, (std::vector<std::string>{"api", "points", "xã 1"}));
  EXPECT_EQ(t.param("limit"), "5");
  EXPECT_EQ(t.param("a"), "b c");
  EXPECT_EQ(t.param("flag"), "");
  EXPECT_FALSE(t.param("x").has_value());
  EXPECT_FALSE(api::parseTarget("/a%2").valid);
  EXPECT_FALSE(api::parseTarget("/a%g1").valid);
  EXPECT_FALSE(api::parseTarget("a/b").valid);
  EXPECT_TRUE(api::parseTarget("/").segments.size() <= 1);
}

TEST(LiveFeedTest, AFrameIsOneEventAndUnchangedStateIsNotResent) {
  EXPECT_EQ(api::LiveFeed::frame("status", "{\"a\":1}"), "event: status\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(api::LiveFeed::frame("t", "a\nb"), "event: t\ndata: a\ndata: b\n\n");
  struct Counter : api::LiveFeed::Subscriber {
    int n = 0;
    void onTopic(const std::string&) override { ++n; }
  } c;
  api::LiveFeed feed;
  feed.subscribe(&c);
  feed.publish("status", "1");
  feed.publish("status", "1");
  feed.publish("status", "2");
  EXPECT_EQ(c.n, 2);
  EXPECT_EQ(feed.latest().at("status"), "2");
  feed.unsubscribe(&c);
  feed.publish("status", "3");
  EXPECT_EQ(c.n, 2);
}

}  // namespace
}  // namespace ceremony
