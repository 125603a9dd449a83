// The control API's routing, tokens and request checks, without sockets.
#include "api/ControlApi.h"

#include <algorithm>

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
  // Before: ?token= was taken on every route, an operator's POST included.
  EXPECT_EQ(call("GET", "/api/status?token=" + std::string(kViewer)).status, 401);
  EXPECT_EQ(call("POST", "/api/timeline/next?token=" + std::string(kOperator)).status, 401);
  EXPECT_TRUE(backend.calls.empty());
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
  for (const char* bad : {"state=red", "state=down,xanh", "bridge=watching", "sort=name"}) {
    const auto r = call("GET", std::string("/api/points?") + bad, kViewer);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(errorOf(r).find("chỉ nhận"), std::string::npos) << bad << ": " << errorOf(r);
  }
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

// Before: "bearer" in lower case (as some HTTP clients send it) was taken for no token.
TEST_F(ControlApiTest, TheBearerSchemeIsCaseInsensitive) {
  HttpRequest r;
  r.method = "GET";
  r.target = "/api/status";
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER "}) {
    r.authorization = std::string(scheme) + kViewer;
    EXPECT_EQ(api.handle(r).status, 200) << scheme;
  }
  r.authorization = std::string("Basic ") + kViewer;
  EXPECT_EQ(api.handle(r).status, 401);
}

TEST_F(ControlApiTest, HeartbeatsUseThePointsOwnToken) {
  EXPECT_EQ(call("POST", "/api/points/p37/heartbeat", "point-secret").status, 200);
  EXPECT_EQ(call("POST", "/api/points/p37/heartbeat", "wrong").status, 401);
  // Neither the viewer nor the operator token stands in for a point's.
  EXPECT_EQ(call("POST", "/api/points/p37/heartbeat", kOperator).status, 401);
  // Before: 404 here told whoever asks which point ids exist.
  const auto unknown = call("POST", "/api/points/p99/heartbeat", "point-secret");
  const auto wrong = call("POST", "/api/points/p37/heartbeat", "wrong");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, wrong.body);
  EXPECT_EQ(call("GET", "/api/points/p37/heartbeat", "point-secret").status, 405);
}

// Before: an address could try tokens as fast as the network carries requests.
TEST(ControlApiFailures, TwentyWrongTokensFromOneAddressLockItOutForAMinuteAndNobodyElse) {
  testing::RecordingBackend backend;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  api::ControlApi api{backend, {kViewer, kOperator}, {}, [&] { return now; }};
  auto call = [&](const std::string& from, const std::string& token,
                  const std::string& target = "/api/status") {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.remote = from;
    if (!token.empty()) r.authorization = "Bearer " + token;
    return api.handle(r);
  };
  // No token at all is not a guess: a page opened before its token is typed.
  for (int i = 0; i < 50; ++i) ASSERT_EQ(call("203.0.113.7", "").status, 401);
  for (int i = 0; i < 19; ++i) ASSERT_EQ(call("203.0.113.7", "guess").status, 401);
  EXPECT_EQ(call("203.0.113.7", kViewer).status, 200);
  EXPECT_EQ(call("203.0.113.7", "guess").status, 401);  // the 20th
  const auto locked = call("203.0.113.7", kViewer);
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(locked.body.find("Quá nhiều lần sai mã"), std::string::npos) << locked.body;
  // A heartbeat or a bridge page from there is refused too; other addresses are not.
  EXPECT_EQ(call("203.0.113.7", "point-secret", "/api/points/p37/heartbeat").status, 429);
  EXPECT_EQ(call("203.0.113.8", kViewer).status, 200);
  now += std::chrono::seconds(61);
  EXPECT_EQ(call("203.0.113.7", kViewer).status, 200);
  // Wrong tokens spread out over more than the minute do not add up.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(call("203.0.113.9", "guess").status, 401);
    now += std::chrono::seconds(4);
  }
  EXPECT_EQ(call("203.0.113.9", kViewer).status, 200);
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

// Before: the dashboard could only put its token in the EventSource's URL.
TEST(ControlApiTickets, AStreamTicketServesOnceWithinThirtySecondsForTheStreamOnly) {
  testing::RecordingBackend backend;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  api::ControlApi api{backend, {kViewer, kOperator}, {}, [&] { return now; }};
  auto call = [&](const std::string& method, const std::string& target,
                  const std::string& token = {}) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.remote = "203.0.113.20";
    if (!token.empty()) r.authorization = "Bearer " + token;
    return api.handle(r);
  };
  auto ticketFor = [&](const std::string& token) {
    const auto r = call("POST", "/api/stream/ticket", token);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(std::find(r.headers.begin(), r.headers.end(),
                        std::pair<std::string, std::string>{"Cache-Control", "no-store"}),
              r.headers.end());
    const auto j = json::parse(r.body);
    EXPECT_EQ(j.at("expires_in_s"), 30);
    return j.at("ticket").get<std::string>();
  };
  // A token is needed for a ticket, in the header; a wrong one gets none.
  EXPECT_EQ(call("POST", "/api/stream/ticket").status, 401);
  EXPECT_EQ(call("POST", "/api/stream/ticket", "wrong").status, 401);
  EXPECT_EQ(call("POST", "/api/stream/ticket?token=" + std::string(kViewer)).status, 401);
  EXPECT_EQ(call("GET", "/api/stream/ticket", kViewer).status, 405);

  const std::string a = ticketFor(kViewer);
  const std::string b = ticketFor(kViewer);
  EXPECT_GE(a.size(), 24u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find(kViewer), std::string::npos);
  // Once, for the stream.
  EXPECT_EQ(call("GET", "/api/status?ticket=" + a).status, 401);
  const auto s = call("GET", "/api/stream?ticket=" + a);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.eventStream, &backend.feed());
  const auto again = call("GET", "/api/stream?ticket=" + a);
  EXPECT_EQ(again.status, 401);
  EXPECT_NE(again.body.find("POST /api/stream/ticket"), std::string::npos) << again.body;
  // Within 30 s.
  now += std::chrono::seconds(31);
  EXPECT_EQ(call("GET", "/api/stream?ticket=" + b).status, 401);
  EXPECT_EQ(call("GET", "/api/stream?ticket=made-up").status, 401);
  // An operator's ticket opens the stream like a viewer's, and changes nothing.
  const std::string o = ticketFor(kOperator);
  EXPECT_EQ(call("POST", "/api/timeline/next?ticket=" + o).status, 401);
  EXPECT_EQ(call("GET", "/api/stream?ticket=" + o).status, 200);
  EXPECT_TRUE(backend.calls.empty());
  // Wrong tickets count as wrong tokens: they cannot be guessed at network speed.
  for (int i = 0; i < 20; ++i) call("GET", "/api/stream?ticket=guess" + std::to_string(i));
  EXPECT_EQ(call("GET", "/api/status", kViewer).status, 429);
}

TEST(ControlApiTickets, OutstandingTicketsAreBoundedAndAFloodCannotKeepAPageOffItsStream) {
  testing::RecordingBackend backend;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  api::ControlApi api{backend, {kViewer, kOperator}, {}, [&] { return now; }};
  HttpRequest r;
  r.method = "POST";
  r.target = "/api/stream/ticket";
  r.authorization = std::string("Bearer ") + kViewer;
  auto ticket = [&] { return json::parse(api.handle(r).body).at("ticket").get<std::string>(); };
  auto opens = [&](const std::string& t) {
    HttpRequest g;
    g.method = "GET";
    g.target = "/api/stream?ticket=" + t;
    return api.handle(g).status == 200;
  };
  const std::string first = ticket();
  for (std::size_t i = 1; i < api::ControlApi::kMaxTickets; ++i) {
    now += std::chrono::microseconds(1);
    ASSERT_EQ(api.handle(r).status, 200);
  }
  // Full: a page's new ticket still works at once; the oldest unused one is gone.
  now += std::chrono::microseconds(1);
  const std::string page = ticket();
  EXPECT_TRUE(opens(page));
  EXPECT_FALSE(opens(first));
}

TEST_F(ControlApiTest, WhoAmITellsTheDashboardWhetherToShowTheButtons) {
  EXPECT_EQ(json::parse(call("GET", "/api/whoami", kViewer).body)["can_change"], false);
  EXPECT_EQ(json::parse(call("GET", "/api/whoami", kOperator).body)["role"], "operator");
}

// ---- the video bridge: a point's page and its WHEP endpoint ----

constexpr const char* kPointToken = "p1-secret";
constexpr const char* kOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

class BridgeApiTest : public ControlApiTest {
 protected:
  void SetUp() override { backend.bridgeOn = true; }

  HttpResponse whep(const std::string& method, const std::string& target,
                    const std::string& token = kPointToken,
                    const std::string& contentType = "application/sdp",
                    const std::string& body = kOffer) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    if (!token.empty()) r.authorization = "Bearer " + token;
    r.contentType = contentType;
    r.body = body;
    r.remote = "10.55.0.11";
    return api.handle(r);
  }
  static std::optional<std::string> header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::nullopt;
  }
};

TEST_F(ControlApiTest, WithTheBridgeOffItsRoutesAre404) {
  const auto page = call("GET", "/diem-cau/p1?token=p1-secret");
  EXPECT_EQ(page.status, 404);
  EXPECT_NE(page.contentType.find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("Cầu truyền hình chưa được bật"), std::string::npos) << page.body;
  const auto w = call("POST", "/whep/p1", kPointToken, kOffer);
  EXPECT_EQ(w.status, 404);
  EXPECT_EQ(errorOf(w), "the video bridge is off ([bridge] in the configuration)");
  EXPECT_EQ(call("GET", "/api/bridge/links", kOperator).status, 404);
  EXPECT_TRUE(backend.calls.empty());
}

TEST_F(BridgeApiTest, ThePointPageNeedsThePointsTokenAndSaysNothingAboutWhichWasWrong) {
  const auto none = call("GET", "/diem-cau/p1");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.contentType.find("text/html"), std::string::npos);
  EXPECT_NE(none.body.find("Liên kết không đúng"), std::string::npos) << none.body;
  const auto wrong = call("GET", "/diem-cau/p1?token=nope");
  const auto unknown = call("GET", "/diem-cau/p9?token=p1-secret");
  // Neither the API's tokens nor another point's token open a point's page.
  const auto operatorToken = call("GET", "/diem-cau/p1?token=" + std::string(kOperator));
  for (const auto* r : {&wrong, &unknown, &operatorToken}) {
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->contentType, none.contentType);
    EXPECT_EQ(r->body, none.body) << "an unknown point and a wrong token look the same";
    EXPECT_EQ(r->body.find(kPointToken), std::string::npos);
  }
  EXPECT_EQ(header(none, "Referrer-Policy"), "no-referrer");
}

TEST_F(BridgeApiTest, TheRightTokenGivesThePageWithoutReferrer) {
  const auto page = call("GET", "/diem-cau/p1?token=p1-secret");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.contentType.find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("lang=\"vi\""), std::string::npos);
  EXPECT_EQ(page.body.find(kPointToken), std::string::npos) << "the page reads it from its URL";
  EXPECT_EQ(header(page, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(page, "Cache-Control"), "no-store");
  EXPECT_EQ(call("POST", "/diem-cau/p1?token=p1-secret").status, 405);
  EXPECT_EQ(call("GET", "/diem-cau/p1/x?token=p1-secret").status, 404);
}

TEST_F(BridgeApiTest, AnOfferNeedsThePointsBearerAndAnSdpBody) {
  auto r = whep("POST", "/whep/p1", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(errorOf(r), "a token is needed: Authorization: Bearer <the point's token>");
  r = whep("POST", "/whep/p1", "wrong");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(errorOf(r), "the token is not valid for this point");
  EXPECT_EQ(whep("POST", "/whep/p9").status, 401);
  EXPECT_EQ(whep("POST", "/whep/p1", kOperator).status, 401);
  r = whep("POST", "/whep/p1", kPointToken, "application/json");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(errorOf(r), "a WHEP offer is sent as Content-Type: application/sdp");
  EXPECT_EQ(whep("POST", "/whep/p1", kPointToken, "").status, 415);
  r = whep("GET", "/whep/p1");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "POST");
  EXPECT_TRUE(backend.calls.empty()) << "nothing reached the bridge";
}

TEST_F(BridgeApiTest, ARefusedOfferGetsTheBridgesStatusAndSentence) {
  backend.whepStart = {400, "the offer has no H.264 video the bridge can send", {}};
  auto r = whep("POST", "/whep/p1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorOf(r), "the offer has no H.264 video the bridge can send");
  EXPECT_FALSE(r.deferred);
  backend.whepStart = {503, "the bridge already serves its 150 viewers", {}};
  r = whep("POST", "/whep/p1", kPointToken, "application/sdp; charset=utf-8");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(errorOf(r), "the bridge already serves its 150 viewers");
  EXPECT_EQ(backend.calls,
            (std::vector<std::string>{"whep p1 from 10.55.0.11", "whep p1 from 10.55.0.11"}));
}

TEST_F(BridgeApiTest, AnAcceptedOfferIsAnsweredLaterWithTheSessionsLocation) {
  const auto r = whep("POST", "/whep/p1");
  ASSERT_TRUE(r.deferred);
  EXPECT_EQ(backend.lastOffer, kOffer);
  std::optional<HttpResponse> replied;
  r.deferred([&](HttpResponse res) { replied = std::move(res); });
  EXPECT_FALSE(replied) << "no reply before the answer is ready";
  ASSERT_TRUE(backend.pendingAnswer);
  backend.pendingAnswer(201, "v=0\r\nanswer\r\n");
  ASSERT_TRUE(replied);
  EXPECT_EQ(replied->status, 201);
  EXPECT_EQ(replied->contentType, "application/sdp");
  EXPECT_EQ(replied->body, "v=0\r\nanswer\r\n");
  EXPECT_EQ(header(*replied, "Location"), "/whep/p1/w1");
}

TEST_F(BridgeApiTest, AnAnswerReadyBeforeTheServerAsksIsKept) {
  backend.whepStart = {0, {}, "w7"};
  const auto r = whep("POST", "/whep/p1");
  ASSERT_TRUE(r.deferred);
  backend.pendingAnswer(201, "v=0\r\n");
  std::optional<HttpResponse> replied;
  r.deferred([&](HttpResponse res) { replied = std::move(res); });
  ASSERT_TRUE(replied);
  EXPECT_EQ(replied->status, 201);
  EXPECT_EQ(header(*replied, "Location"), "/whep/p1/w7");
}

TEST_F(BridgeApiTest, AnOfferThatFailsLaterGetsAJsonError) {
  const auto r = whep("POST", "/whep/p1");
  ASSERT_TRUE(r.deferred);
  std::optional<HttpResponse> replied;
  r.deferred([&](HttpResponse res) { replied = std::move(res); });
  backend.pendingAnswer(500, "the bridge could not produce an answer in time");
  ASSERT_TRUE(replied);
  EXPECT_EQ(replied->status, 500);
  EXPECT_EQ(errorOf(*replied), "the bridge could not produce an answer in time");
  EXPECT_FALSE(header(*replied, "Location"));
}

TEST_F(BridgeApiTest, DeleteEndsOnlyThePointsOwnSession) {
  auto r = whep("DELETE", "/whep/p1/w1", kPointToken, "", "");
  EXPECT_EQ(r.status, 200);
  r = whep("DELETE", "/whep/p1/w2", kPointToken, "", "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(errorOf(r), "no such session of this point");
  EXPECT_EQ(whep("DELETE", "/whep/p1/w1", "wrong", "", "").status, 401);
  EXPECT_EQ(whep("POST", "/whep/p1/w1").status, 405);
  EXPECT_EQ(whep("DELETE", "/whep/p1/w1/x").status, 404);
  EXPECT_EQ(backend.calls, (std::vector<std::string>{"whep end p1 w1", "whep end p1 w2"}));
}

TEST_F(BridgeApiTest, SessionsAreForViewersLinksAndEndingForOperatorsOnly) {
  EXPECT_EQ(call("GET", "/api/bridge").status, 401);
  EXPECT_EQ(call("GET", "/api/bridge", kViewer).status, 200);
  EXPECT_EQ(json::parse(call("GET", "/api/bridge", kViewer).body)[0]["session"], "w1");

  EXPECT_EQ(call("GET", "/api/bridge/links").status, 401);
  const auto viewer = call("GET", "/api/bridge/links", kViewer);
  EXPECT_EQ(viewer.status, 403);
  EXPECT_EQ(viewer.body.find(kPointToken), std::string::npos);
  // A point's token opens its own page, not the list of everyone's links.
  EXPECT_EQ(call("GET", "/api/bridge/links", kPointToken).status, 401);
  const auto links = call("GET", "/api/bridge/links", kOperator);
  EXPECT_EQ(links.status, 200);
  EXPECT_EQ(json::parse(links.body)[0]["path"], "/diem-cau/p1?token=p1-secret");
  EXPECT_EQ(call("POST", "/api/bridge/links", kOperator).status, 405);

  EXPECT_EQ(call("POST", "/api/bridge/w1/end").status, 401);
  EXPECT_EQ(call("POST", "/api/bridge/w1/end", kViewer).status, 403);
  EXPECT_TRUE(backend.calls.empty());
  EXPECT_EQ(call("POST", "/api/bridge/w1/end", kOperator).status, 200);
  EXPECT_EQ(call("POST", "/api/bridge/w9/end", kOperator).status, 404);
  EXPECT_EQ(call("GET", "/api/bridge/w1/end", kOperator).status, 405);
  EXPECT_EQ(backend.calls, std::vector<std::string>{"end w1"});
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
    void onReady() override { ++n; }
  } c;
  api::LiveFeed feed;
  feed.subscribe(&c);
  feed.publish("status", "1");
  feed.publish("status", "1");
  feed.publish("status", "2");
  EXPECT_EQ(c.n, 2);
  EXPECT_EQ(feed.latest("status"), "2");
  EXPECT_EQ(feed.take(&c), "event: status\ndata: 2\n\n");
  feed.unsubscribe(&c);
  feed.publish("status", "3");
  EXPECT_EQ(c.n, 2);
}

TEST_F(ControlApiTest, EachCommandSaysWhoSentIt) {
  for (const char* agent :
       {"ceremonyctl/1", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156", "curl/7.88.1", ""}) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/api/timeline/hold";
    r.authorization = std::string("Bearer ") + kOperator;
    r.userAgent = agent;
    EXPECT_EQ(api.handle(r).status, 200);
  }
  EXPECT_EQ(backend.sources, (std::vector<std::string>{"ceremonyctl", "dashboard", "api", "api"}));
  // A read is no command.
  EXPECT_EQ(call("GET", "/api/status", kViewer).status, 200);
  EXPECT_EQ(backend.sources.size(), 4u);
}

TEST_F(ControlApiTest, TheReportComesLaterInTheFormAskedFor) {
  EXPECT_EQ(call("GET", "/api/report", kViewer).status, 404);  // no journal
  EXPECT_NE(errorOf(call("GET", "/api/report", kViewer)).find("--state-dir"), std::string::npos);
  backend.journalOn = true;
  EXPECT_EQ(call("GET", "/api/report").status, 401);
  const HttpResponse bad = call("GET", "/api/report?format=pdf", kViewer);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(errorOf(bad).find("items.csv"), std::string::npos);
  EXPECT_EQ(call("POST", "/api/report", kOperator).status, 405);

  HttpResponse r = call("GET", "/api/report?format=points.csv", kViewer);
  ASSERT_TRUE(r.deferred);
  EXPECT_EQ(backend.reportFormat, "points.csv");
  std::optional<HttpResponse> replied;
  r.deferred([&](HttpResponse res) { replied = std::move(res); });
  EXPECT_FALSE(replied);  // not before the report is built
  backend.pendingReport(
      {"text/csv; charset=utf-8", "\xEF\xBB\xBFMã điểm\r\n", "report-2025-07-28-points.csv"});
  ASSERT_TRUE(replied);
  EXPECT_EQ(replied->status, 200);
  EXPECT_EQ(replied->contentType, "text/csv; charset=utf-8");
  bool named = false;
  for (const auto& [k, v] : replied->headers)
    if (k == "Content-Disposition" && v.find("report-2025-07-28-points.csv") != std::string::npos)
      named = true;
  EXPECT_TRUE(named);

  // Built before the server asks (a report a moment old): the answer still arrives.
  r = call("GET", "/api/report", kViewer);
  ASSERT_TRUE(r.deferred);
  EXPECT_EQ(backend.reportFormat, "html");
  backend.pendingReport({"text/html; charset=utf-8", "<html></html>", "report-2025-07-28.html"});
  replied.reset();
  r.deferred([&](HttpResponse res) { replied = std::move(res); });
  ASSERT_TRUE(replied);
  EXPECT_EQ(replied->body, "<html></html>");
}

}  // namespace
// Found by fuzz_api: a 404 quoted the path, token and all, when a client put it there.
TEST_F(ControlApiTest, AnAnswerNeverEchoesAToken) {
  const auto r = call("POST", "/api/points/p1/maintenanc " + std::string(kOperator), kOperator,
                      R"({"on":false})");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(errorOf(r).find("***"), std::string::npos) << r.body;  // checked in call() too
}

}  // namespace ceremony
