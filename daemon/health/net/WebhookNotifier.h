#pragma once
// Sends alerts (point state changes, the uplink alarm) as JSON POSTs to one webhook.
//
// Never blocks probing: a POST is one more CurlMulti transfer on the same io_context.
// Alerts go out one at a time in the order they were raised (a receiver sees "down"
// before "up"); a failed POST (no connection, timeout, non-2xx) is retried after
// backoff, 2×backoff, 4×backoff ... up to `retries` times, then dropped with a warning.
// The queue is bounded: when the receiver is gone for long, the oldest alerts go first.
// The bearer token is sent in a header and never logged.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "health/HealthConfig.h"
#include "health/net/CurlMulti.h"

namespace ceremony::health {

struct WebhookSettings {
  std::string url;  // empty: alerts are dropped silently (no webhook configured)
  std::string bearerToken;
  int retries = 5;
  Millis backoff{1000};
  Millis timeout{5000};
  std::size_t maxQueue = 1000;

  // From [health]: webhook_url, webhook_retries, webhook_backoff and the token read from
  // webhook_token_file (trailing newline dropped).
  static WebhookSettings from(const HealthSettings& settings);
};

class WebhookNotifier {
 public:
  WebhookNotifier(boost::asio::io_context& io, CurlMulti& curl, WebhookSettings settings);
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues one alert; returns at once.
  void send(nlohmann::json alert);

  std::size_t pending() const { return queue_.size(); }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }  // retries exhausted or queue full
  std::uint64_t attempts() const { return attempts_; }

 private:
  void next();
  void onAnswer(const HttpResponse& response);

  CurlMulti& curl_;
  WebhookSettings settings_;
  std::deque<std::string> queue_;
  bool inFlight_ = false;
  int failures_ = 0;  // of the alert at the head of the queue
  std::optional<CurlMulti::TransferId> transfer_;
  boost::asio::steady_timer retryTimer_;
  std::uint64_t delivered_ = 0, dropped_ = 0, attempts_ = 0;
  std::shared_ptr<bool> alive_;
};

}  // namespace ceremony::health
