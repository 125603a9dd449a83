#pragma once
// The control API's routing, authorisation and request checks: HTTP request in, response
// out, with every change handed to a Backend (the running ceremony). No sockets here, so
// the fuzz target and the unit tests drive it directly. The routes are listed in
// daemon/api/README.md.
//
// Tokens: a viewer token for reading and an operator token for anything that changes state
// ("Authorization: Bearer …"). Where a browser cannot set headers (EventSource on
// GET /api/stream) a short-lived ticket stands in: POST /api/stream/ticket with the token
// in the header gives a one-use ticket of 30 s for ?ticket=…; ?token=… is still taken
// there for tools. Without a configured viewer token reads are open (the API listens on loopback by
// default); without an operator token nothing can be changed. Heartbeats carry the point's
// own token. Tokens are compared in constant time and never appear in a response or log.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/HttpServer.h"
#include "api/LiveFeed.h"
#include "timeline/Timeline.h"

namespace ceremony::api {

enum class HeartbeatOutcome { Accepted, UnknownPoint, BadToken };

// A WHEP offer's fate: refused at once (`status` 4xx/5xx and a sentence), or a session whose
// SDP answer comes later through the callback given with the offer.
struct WhepStart {
  int status = 0;  // 0: accepted, answer to follow
  std::string error;
  std::string sessionId;
};
using WhepAnswer = std::function<void(int status, std::string body)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual nlohmann::json status() = 0;
  // GET /api/status as sent: a backend may serve a recent copy instead of rebuilding it.
  virtual std::string statusBody() { return status().dump(); }
  virtual nlohmann::json timeline() = 0;
  virtual CommandResult next() = 0;
  virtual CommandResult hold() = 0;
  virtual CommandResult resume() = 0;
  virtual CommandResult goTo(const std::string& itemId) = 0;
  virtual CommandResult extend(Millis by) = 0;
  virtual CommandResult cut(const std::string& sceneId) = 0;
  virtual CommandResult cue(const std::string& name) = 0;
  virtual nlohmann::json points(bool notUpOnly) = 0;
  virtual std::optional<nlohmann::json> point(const std::string& id) = 0;
  virtual CommandResult maintenance(const std::string& id, bool on, const std::string& reason) = 0;
  virtual HeartbeatOutcome heartbeat(const std::string& id, const std::string& token) = 0;
  virtual nlohmann::json outputs() = 0;
  virtual CommandResult startOutput(const std::string& id) = 0;
  virtual CommandResult stopOutput(const std::string& id) = 0;
  virtual nlohmann::json events(std::size_t limit) = 0;
  virtual std::string metrics() = 0;
  // The programme's latest small JPEG, if the preview runs.
  virtual std::optional<std::string> previewJpeg() = 0;
  virtual LiveFeed& feed() = 0;

  // ---- the results report and who gives commands (the journal: daemon/report/) ----
  // Where the next command comes from: "dashboard", "ceremonyctl" or "api" (set just before
  // each change the API makes).
  virtual void commandFrom(const std::string& /*source*/) {}
  // The report now (a draft while the ceremony runs) in one of its forms: "html", "json",
  // "items.csv", "points.csv", "outages.csv", given to `done` later on the io_context thread
  // (it is built off the event loop). False when the daemon keeps no journal.
  struct ReportBody {
    std::string contentType;
    std::string body;
    std::string fileName;  // "report-2025-07-28-items.csv"
  };
  using ReportDone = std::function<void(ReportBody)>;
  virtual bool report(const std::string& /*format*/, ReportDone /*done*/) { return false; }

  // ---- the video bridge (off unless [bridge] is configured) ----
  virtual bool bridgeEnabled() { return false; }
  // The point's own token (its bridge or heartbeat token_file), compared in constant time.
  virtual bool pointTokenValid(const std::string& /*pointId*/, const std::string& /*token*/) {
    return false;
  }
  virtual WhepStart whepOffer(const std::string& /*pointId*/, const std::string& /*sdp*/,
                              const std::string& /*remote*/, WhepAnswer /*answer*/) {
    return {404, "the video bridge is off", {}};
  }
  // Ends the point's session (WHEP DELETE); false if it has no such session.
  virtual bool whepEnd(const std::string& /*pointId*/, const std::string& /*sessionId*/) {
    return false;
  }
  // A point's return feed (WHIP, RFC 9725): the same exchange as WHEP, the other way.
  virtual WhepStart whipOffer(const std::string& /*pointId*/, const std::string& /*sdp*/,
                              const std::string& /*remote*/, WhepAnswer /*answer*/) {
    return {404, "the video bridge is off", {}};
  }
  virtual bool whipEnd(const std::string& /*pointId*/, const std::string& /*sessionId*/) {
    return false;
  }
  virtual nlohmann::json bridgeSessions() { return nlohmann::json::array(); }
  // Every point's viewing link, token included: operators only, who send them out.
  virtual std::optional<nlohmann::json> bridgeLinks() { return std::nullopt; }
  virtual CommandResult endBridgeSession(const std::string& sessionId) {
    return {CommandError::UnknownItem, "no bridge session «" + sessionId + "»"};
  }
};

struct Target;

struct ApiTokens {
  std::string viewer;     // empty: reads need no token
  std::string operator_;  // empty: no changes possible over HTTP
};

// Wrong tokens from one address: after `maxFailures` 401s within `window`, that address gets
// 429 for `lockout`, whatever it sends (a token cannot be guessed at network speed).
struct FailureLimit {
  int maxFailures = 20;
  std::chrono::milliseconds window{60000};
  std::chrono::milliseconds lockout{60000};
};

class ControlApi {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;
  ControlApi(Backend& backend, ApiTokens tokens, FailureLimit limit = {},
             Now now = &std::chrono::steady_clock::now);
  HttpResponse handle(const HttpRequest& request);

  // Requests answered per status class, for /metrics.
  struct Counts {
    std::size_t ok = 0, clientErrors = 0, serverErrors = 0;
  };
  const Counts& counts() const { return counts_; }

 private:
  enum class Role { None, Viewer, Operator };
  HttpResponse route(const HttpRequest& request);
  HttpResponse bridgeRoute(const HttpRequest& request, const Target& target);
  Role roleOf(const std::string& token) const;
  // A new one-use ticket standing for `role` (the oldest unused one goes when
  // kMaxTickets wait), or "" without random bytes.
  std::string issueTicket(Role role, std::chrono::steady_clock::time_point now);
  // The role a ticket stood for, once: it is gone after this.
  std::optional<Role> redeemTicket(const std::string& ticket,
                                   std::chrono::steady_clock::time_point now);

  Backend& backend_;
  ApiTokens tokens_;
  Counts counts_;
  FailureLimit limit_;
  Now now_;
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point since, lockedUntil;
  };
  std::unordered_map<std::string, Failures> failures_;  // by client address
  struct Ticket {
    Role role;
    std::chrono::steady_clock::time_point expires;
  };
  std::unordered_map<std::string, Ticket> tickets_;

 public:
  static constexpr std::chrono::seconds kTicketLife{30};
  static constexpr std::size_t kMaxTickets = 4096;
};

// A path and query split and percent-decoded: "/api/points/x%20y?limit=5".
struct Target {
  std::string path;
  std::vector<std::string> segments;  // decoded; "" for an empty segment
  std::vector<std::pair<std::string, std::string>> query;
  bool valid = true;  // false: bad percent-encoding
  std::optional<std::string> param(const std::string& name) const;
};
Target parseTarget(const std::string& target);

// The dashboard's files, compiled into the binary (daemon/api/dashboard/).
struct Asset {
  const char* contentType;
  std::string_view body;
};
std::optional<Asset> dashboardAsset(const std::string& path);

}  // namespace ceremony::api
