#include "health/net/WebhookNotifier.h"

#include <spdlog/spdlog.h>

#include "config/Secrets.h"

namespace ceremony::health {

WebhookSettings WebhookSettings::from(const HealthSettings& s) {
  WebhookSettings w;
  w.url = s.webhookUrl;
  w.retries = s.webhookRetries;
  w.backoff = s.webhookBackoff;
  if (!s.webhookTokenFile.empty()) {
    std::string why;
    if (auto token = readSecret(s.webhookTokenFile, "", "webhook token", &why)) {
      rememberSecret(*token);
      w.bearerToken = std::move(*token);
    } else {
      // Never fail open: a receiver that wants a token would take these for forgeries, or
      // one that does not check would be told the ceremony's state by anyone's request.
      spdlog::error("webhook: {}; không gửi cảnh báo qua webhook", why);
      w.url.clear();
    }
  }
  return w;
}

WebhookNotifier::WebhookNotifier(boost::asio::io_context& io, CurlMulti& curl,
                                 WebhookSettings settings)
    : curl_(curl),
      settings_(std::move(settings)),
      retryTimer_(io),
      alive_(std::make_shared<bool>(true)) {}

WebhookNotifier::~WebhookNotifier() {
  *alive_ = false;
  retryTimer_.cancel();
  if (transfer_) curl_.cancel(*transfer_);
}

void WebhookNotifier::send(nlohmann::json alert) {
  if (settings_.url.empty()) return;
  if (queue_.size() >= settings_.maxQueue) {
    // Keep the head if it is being sent; drop the oldest waiting alert.
    queue_.erase(queue_.begin() + (inFlight_ ? 1 : 0));
    ++dropped_;
  }
  queue_.push_back(alert.dump());
  if (!inFlight_) next();
}

void WebhookNotifier::next() {
  if (queue_.empty() || inFlight_) return;
  inFlight_ = true;
  ++attempts_;
  HttpRequest request;
  request.url = settings_.url;
  request.method = "POST";
  request.body = queue_.front();
  request.headers.push_back("Content-Type: application/json; charset=utf-8");
  if (!settings_.bearerToken.empty())
    request.headers.push_back("Authorization: Bearer " + settings_.bearerToken);
  request.connectTimeout = std::min(settings_.timeout, Millis(2000));
  request.timeout = settings_.timeout;
  request.maxBody = 4096;
  transfer_ = curl_.start(std::move(request),
                          [this, alive = std::weak_ptr<bool>(alive_)](const HttpResponse& r) {
                            auto a = alive.lock();
                            if (!a || !*a) return;
                            onAnswer(r);
                          });
}

void WebhookNotifier::onAnswer(const HttpResponse& r) {
  transfer_.reset();
  inFlight_ = false;
  const bool ok = r.code == CURLE_OK && r.status >= 200 && r.status < 300;
  if (ok) {
    ++delivered_;
    failures_ = 0;
    queue_.pop_front();
    next();
    return;
  }
  ++failures_;
  const std::string why = r.code == CURLE_OK ? "HTTP " + std::to_string(r.status) : r.error;
  if (failures_ > settings_.retries) {
    spdlog::warn("webhook: alert dropped after {} attempts ({})", failures_, why);
    ++dropped_;
    failures_ = 0;
    queue_.pop_front();
    next();
    return;
  }
  const Millis wait = settings_.backoff * (1LL << std::min(failures_ - 1, 10));
  spdlog::info("webhook: attempt {} failed ({}), retry in {} ms", failures_, why, wait.count());
  inFlight_ = true;  // the head stays reserved while we wait
  retryTimer_.expires_after(wait);
  retryTimer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](auto ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    inFlight_ = false;
    next();
  });
}

}  // namespace ceremony::health
