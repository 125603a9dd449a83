#include "app/ConnectionPoints.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "config/Secrets.h"
#include "health/PointState.h"

namespace ceremony {

namespace {

std::unique_ptr<health::EventLog> openLog(const health::HealthConfig& config,
                                          const std::string& stateDir) {
  std::string path = config.settings.eventLogPath;
  if (path.empty() && !stateDir.empty())
    path = (std::filesystem::path(stateDir) / "health-events.jsonl").string();
  if (path.empty()) return nullptr;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  // The log opens on first append and says why it could not (lastError) without stopping us.
  return std::make_unique<health::EventLog>(path, config.settings.utcOffsetMinutes);
}

std::string readToken(const std::string& file) {
  return readSecret(file, "", "point token", nullptr).value_or("");
}

}  // namespace

ConnectionPoints::ConnectionPoints(boost::asio::io_context& io, const Clock& clock,
                                   const health::HealthConfig& config, const std::string& stateDir,
                                   bool bridge)
    : clock_(clock),
      curl_(io),
      heartbeats_(clock),
      bridge_(clock),
      kinds_(health::ProbeKinds::builtin()),
      log_(openLog(config, stateDir)),
      monitor_(config, clock.now(), log_.get()),
      webhook_(io, curl_, health::WebhookSettings::from(config.settings)),
      context_{io, curl_, heartbeats_, clock, bridge ? &bridge_ : nullptr},
      ticker_(io) {
  monitor_.addListener(this);
  // A point that reports in (behind NAT) proves itself with its own token.
  for (const auto& point : monitor_.config().points)
    for (const auto& probe : point.probes)
      if (probe.kind == "heartbeat" || probe.kind == "bridge") {
        const std::string token = probe.tokenFile.empty() ? "" : readToken(probe.tokenFile);
        if (token.empty()) {
          spdlog::warn("Điểm cầu {}: không có mã (token) cho {}", point.id, probe.kind);
          continue;
        }
        if (probe.kind == "heartbeat") heartbeats_.expect(point.id, token);
        tokens_.emplace(point.id, token);
      }
}

bool ConnectionPoints::tokenValid(const std::string& pointId, const std::string& token) const {
  auto it = tokens_.find(pointId);
  // An unknown point still costs a comparison: the time says nothing of which ids exist.
  const std::string& expected = it == tokens_.end() ? std::string() : it->second;
  const bool same = sameSecret(expected.empty() ? std::string(32, '\0') : expected, token);
  return it != tokens_.end() && !expected.empty() && same;
}

std::vector<std::pair<std::string, std::string>> ConnectionPoints::pointTokens() const {
  return {tokens_.begin(), tokens_.end()};
}

ConnectionPoints::~ConnectionPoints() {
  stop();
  monitor_.removeListener(this);
}

void ConnectionPoints::start() {
  if (empty() || running_) return;
  running_ = true;
  scheduler_ = std::make_unique<health::ProbeScheduler>(
      context_, kinds_, monitor_.settings(), monitor_.config().points,
      [this](const health::ProbeResult& r) { monitor_.onProbeResult(r); });
  scheduler_->start();
  everySecond();
  spdlog::info("Theo dõi {} điểm cầu, mỗi {} ms", monitor_.size(),
               monitor_.settings().interval.count());
}

void ConnectionPoints::stop() {
  if (!running_) return;
  running_ = false;
  ticker_.cancel();
  if (scheduler_) scheduler_->stop();
}

void ConnectionPoints::everySecond() {
  if (!running_) return;
  monitor_.tick(clock_.now());
  ticker_.expires_after(std::chrono::seconds(1));
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) everySecond();
  });
}

void ConnectionPoints::onHealthEvent(const health::HealthEvent& e) {
  if (e.kind == health::EventKind::UplinkRaised)
    spdlog::error("{}", e.reason);
  else if (e.kind == health::EventKind::UplinkCleared)
    spdlog::info("{}", e.reason);
  else
    spdlog::info("Điểm cầu {}: {} → {} ({})", e.pointId, health::statusLabel(e.from),
                 health::statusLabel(e.to), e.reason);
  if (changed_) changed_(e);
}

void ConnectionPoints::onAlert(const health::HealthEvent& e, const nlohmann::json& body) {
  webhook_.send(body);
  if (alertSent_) alertSent_(e, body);
}

}  // namespace ceremony
