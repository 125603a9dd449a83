#pragma once
// The watch over the connection points (điểm cầu), assembled on the daemon's io_context:
// probes (libcurl multi, tcp, heartbeats) feed the HealthMonitor's decisions; alerts go to
// the webhook; state changes are logged and kept in the event log on disk.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/Clock.h"
#include "health/HealthConfig.h"
#include "health/HealthEvents.h"
#include "health/HealthMonitor.h"
#include "health/net/CurlMulti.h"
#include "health/net/ProbeScheduler.h"
#include "health/net/Probes.h"
#include "health/net/WebhookNotifier.h"

namespace ceremony {

class ConnectionPoints final : public health::HealthMonitor::Listener {
 public:
  // `stateDir` holds the event log unless [health] event_log names one. Without the video
  // bridge (`bridge` false), a point's bridge probe fails saying so.
  ConnectionPoints(boost::asio::io_context& io, const Clock& clock,
                   const health::HealthConfig& config, const std::string& stateDir,
                   bool bridge = false);
  ~ConnectionPoints() override;

  void start();
  void stop();
  bool empty() const { return monitor_.size() == 0; }

  health::HealthMonitor& monitor() { return monitor_; }
  const health::HealthMonitor& monitor() const { return monitor_; }
  health::HeartbeatTracker& heartbeats() { return heartbeats_; }
  // What the video bridge reports of each point's viewing sessions (the `bridge` probes').
  health::BridgeSignals& bridge() { return bridge_; }
  const health::BridgeSignals& bridge() const { return bridge_; }
  // The point's own token (from its bridge or heartbeat probe's token_file), compared in
  // constant time; false for an unknown point or one without a token.
  bool tokenValid(const std::string& pointId, const std::string& token) const;
  // Every point with a token, for the links sent out to the communes (operators only).
  std::vector<std::pair<std::string, std::string>> pointTokens() const;

  // Called with every state change and uplink alarm (for the journal, systemd STATUS and the
  // dashboard), and with every alert handed to the webhook.
  void onChange(std::function<void(const health::HealthEvent&)> f) { changed_ = std::move(f); }
  void onAlertSent(std::function<void(const health::HealthEvent&, const nlohmann::json&)> f) {
    alertSent_ = std::move(f);
  }

  // Another alert for the same webhook (the programme's sound, [watch]): queued behind the
  // points' own, in the order raised.
  void sendAlert(nlohmann::json body) { webhook_.send(std::move(body)); }

  // health::HealthMonitor::Listener
  void onHealthEvent(const health::HealthEvent& event) override;
  void onAlert(const health::HealthEvent& event, const nlohmann::json& body) override;

 private:
  void everySecond();

  const Clock& clock_;
  health::CurlMulti curl_;
  health::HeartbeatTracker heartbeats_;
  health::BridgeSignals bridge_;
  std::map<std::string, std::string> tokens_;  // point id → its token; never logged
  health::ProbeKinds kinds_;
  std::unique_ptr<health::EventLog> log_;
  health::HealthMonitor monitor_;
  health::WebhookNotifier webhook_;
  health::ProbeContext context_;
  std::unique_ptr<health::ProbeScheduler> scheduler_;
  boost::asio::steady_timer ticker_;
  std::function<void(const health::HealthEvent&)> changed_;
  std::function<void(const health::HealthEvent&, const nlohmann::json&)> alertSent_;
  bool running_ = false;
};

}  // namespace ceremony
