#pragma once
// A Backend that records what the API asked of it: for ControlApi's unit tests and fuzzing.

#include <optional>
#include <string>
#include <vector>

#include "api/ControlApi.h"

namespace ceremony::testing {

class RecordingBackend final : public api::Backend {
 public:
  std::vector<std::string> calls;  // "next", "goto chi-dao", "extend 300000", ...
  CommandResult answer = CommandResult::done();

  nlohmann::json status() override { return {{"live", true}}; }
  nlohmann::json timeline() override { return {{"items", nlohmann::json::array()}}; }
  CommandResult next() override { return did("next"); }
  CommandResult hold() override { return did("hold"); }
  CommandResult resume() override { return did("resume"); }
  CommandResult goTo(const std::string& id) override { return did("goto " + id); }
  CommandResult extend(Millis by) override { return did("extend " + std::to_string(by.count())); }
  CommandResult cut(const std::string& scene) override { return did("cut " + scene); }
  CommandResult cue(const std::string& name) override { return did("cue " + name); }
  nlohmann::json points(bool notUp) override {
    calls.push_back(notUp ? "points not-up" : "points");
    return {{"points", nlohmann::json::array()}};
  }
  std::optional<nlohmann::json> point(const std::string& id) override {
    if (id != "p37") return std::nullopt;
    return nlohmann::json{{"id", id}};
  }
  CommandResult maintenance(const std::string& id, bool on, const std::string& reason) override {
    if (id != "p37") return CommandResult::refused(CommandError::UnknownItem, "no point " + id);
    return did("maintenance " + id + (on ? " on " : " off ") + reason);
  }
  api::HeartbeatOutcome heartbeat(const std::string& id, const std::string& token) override {
    if (id != "p37") return api::HeartbeatOutcome::UnknownPoint;
    return token == "point-secret" ? api::HeartbeatOutcome::Accepted
                                   : api::HeartbeatOutcome::BadToken;
  }
  nlohmann::json outputs() override { return nlohmann::json::array(); }
  CommandResult startOutput(const std::string& id) override { return did("start " + id); }
  CommandResult stopOutput(const std::string& id) override { return did("stop " + id); }
  nlohmann::json events(std::size_t limit) override {
    calls.push_back("events " + std::to_string(limit));
    return {{"events", nlohmann::json::array()}};
  }
  std::string metrics() override { return "probe_success 1\n"; }
  std::optional<std::string> previewJpeg() override { return std::nullopt; }
  api::LiveFeed& feed() override { return feed_; }

  // ---- who sends commands, and the report: off unless a test turns it on ----
  std::vector<std::string> sources;  // what commandFrom said before each change
  void commandFrom(const std::string& source) override { sources.push_back(source); }
  bool journalOn = false;
  ReportDone pendingReport;  // the last report asked for, answered by the test
  std::string reportFormat;
  bool report(const std::string& format, ReportDone done) override {
    if (!journalOn) return false;
    reportFormat = format;
    pendingReport = std::move(done);
    return true;
  }

  // ---- the video bridge: off unless a test turns it on ----
  bool bridgeOn = false;
  api::WhepStart whepStart{0, {}, "w1"};  // what the next offer gets
  api::WhepAnswer pendingAnswer;          // the answer callback of the last accepted offer
  std::string lastOffer;

  bool bridgeEnabled() override { return bridgeOn; }
  // Point p1's token is "p1-secret"; no other point watches over the bridge.
  bool pointTokenValid(const std::string& pointId, const std::string& token) override {
    return pointId == "p1" && token == "p1-secret";
  }
  api::WhepStart whepOffer(const std::string& pointId, const std::string& sdp,
                           const std::string& remote, api::WhepAnswer answer) override {
    calls.push_back("whep " + pointId + " from " + remote);
    lastOffer = sdp;
    if (whepStart.status == 0) pendingAnswer = std::move(answer);
    return whepStart;
  }
  bool whepEnd(const std::string& pointId, const std::string& sessionId) override {
    calls.push_back("whep end " + pointId + " " + sessionId);
    return pointId == "p1" && sessionId == "w1";
  }
  nlohmann::json bridgeSessions() override {
    return nlohmann::json::array({{{"session", "w1"}, {"point", "p1"}}});
  }
  std::optional<nlohmann::json> bridgeLinks() override {
    if (!bridgeOn) return std::nullopt;
    return nlohmann::json::array({{{"id", "p1"}, {"path", "/diem-cau/p1?token=p1-secret"}}});
  }
  CommandResult endBridgeSession(const std::string& sessionId) override {
    if (sessionId != "w1")
      return CommandResult::refused(CommandError::UnknownItem, "no bridge session " + sessionId);
    return did("end " + sessionId);
  }

 private:
  CommandResult did(std::string what) {
    calls.push_back(std::move(what));
    return answer;
  }
  api::LiveFeed feed_;
};

}  // namespace ceremony::testing
