// The configuration of a run: loading it, resuming a run after a restart (RunState, the
// journal of operators' commands) and reloading on SIGHUP. On the io_context thread.
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <filesystem>

#include "app/Ceremony.h"
#include "app/RunState.h"
#include "config/ConfigParser.h"
#include "health/HealthEvents.h"

namespace ceremony {

// Every problem of a configuration, one log line each (warnings as warnings).
static void logDiagnostics(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) {
    if (d.severity == Severity::Warning)
      spdlog::warn("{}", d.format());
    else
      spdlog::error("{}", d.format());
  }
}

std::optional<Config> loadForRun(const Options& options) {
  LoadResult loaded = options.configPath.empty()
                          ? parseConfigText(embeddedDemoConfig(), "<demo quang-ngai-2025-07-28>",
                                            std::filesystem::current_path())
                          : loadConfigFile(options.configPath);
  logDiagnostics(loaded.diagnostics);
  return std::move(loaded.config);
}

std::filesystem::path Ceremony::statePath() const {
  return std::filesystem::path(options_.stateDir) / "run-state.json";
}

void Ceremony::loadSavedState() {
  if (options_.stateDir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(options_.stateDir, ec);
  if (options_.fresh) {
    spdlog::info("--fresh: bỏ qua trạng thái đã lưu, bắt đầu từ đầu");
    return;
  }
  auto loaded = loadRunState(statePath());
  auto& saved = loaded.state;
  if (!saved) {
    if (loaded.present) setAsideBadState(loaded.why);
    return;
  }
  if (saved->ceremony != ceremonyIdentity(config_)) {
    spdlog::info("Trạng thái đã lưu là của buổi lễ khác: bắt đầu từ đầu");
    return;
  }
  // Facebook ends a live video after 8 hours: older state is yesterday's run, not a crash.
  if (clock_.now() - saved->savedAt > std::chrono::hours(8)) {
    spdlog::info("Trạng thái đã lưu quá cũ (hơn 8 giờ): bắt đầu từ đầu");
    return;
  }
  if (saved->savedAt - clock_.now() > std::chrono::minutes(5)) {
    setAsideBadState("it was saved in the future (" + health::formatTime(saved->savedAt, 0) + ")");
    return;
  }
  resumed_ = std::move(saved);
  runState_.stoppedOutputs = resumed_->stoppedOutputs;
}

void Ceremony::setAsideBadState(const std::string& why) {
  // Kept for whoever looks into it, out of the way of every later start: the ceremony goes
  // on the air from the beginning instead of failing to start for ever.
  const auto aside =
      std::filesystem::path(statePath().string() + ".bad-" +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               clock_.now().time_since_epoch())
                                               .count()));
  std::error_code ec;
  std::filesystem::rename(statePath(), aside, ec);
  spdlog::warn("Trạng thái đã lưu không dùng được ({}); để riêng ở {}, bắt đầu từ đầu", why,
               ec ? "(không đổi tên được: " + ec.message() + ")" : aside.string());
}

void Ceremony::saveState() {
  if (options_.stateDir.empty()) return;
  runState_.savedAt = clock_.now();
  std::string error;
  if (!saveRunState(statePath(), runState_, &error)) {
    // The ceremony goes on; only a restart would lose the operators' adjustments.
    spdlog::error("Không lưu được trạng thái để khởi động lại: {}", error);
  }
}

void Ceremony::record(RecordedCommand command) {
  runState_.commands.push_back(std::move(command));
  saveState();
}

void Ceremony::waitForHangup() {
  hup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec || stopping_) return;
    reload();
    waitForHangup();
  });
}

void Ceremony::reload() {
  sd_notify(0, "RELOADING=1");
  auto done = [this](const std::string& outcome, bool ok = false) {
    logEvent("reload", outcome, {{"ok", ok}});
    sd_notify(0, "READY=1");
    notifySystemd();
  };
  if (options_.configPath.empty()) {
    spdlog::warn("SIGHUP: bản demo nhúng không có tệp cấu hình để nạp lại");
    return done("không có tệp cấu hình để nạp lại");
  }
  spdlog::info("SIGHUP: nạp lại {}", options_.configPath);
  LoadResult loaded = loadConfigFile(options_.configPath);
  logDiagnostics(loaded.diagnostics);
  if (!loaded.config) {
    spdlog::error("Cấu hình mới có lỗi (xem trên): vẫn chạy theo cấu hình cũ");
    return done("cấu hình mới có lỗi; vẫn chạy cấu hình cũ");
  }
  Config& next = *loaded.config;
  // The programme's media (sources, scenes, format, outputs) is built once: a reload changes
  // the run-of-show and the points; the rest needs a restart.
  for (const auto& item : next.timeline)
    if (!config_.findScene(item.scene)) {
      spdlog::error(
          "{}:{}:{}: mục «{}» dùng cảnh «{}» mà chương trình đang chạy không có (thêm cảnh "
          "cần khởi động lại): vẫn chạy theo cấu hình cũ",
          options_.configPath, item.pos.line, item.pos.column, item.id, item.scene);
      return done("cảnh mới cần khởi động lại; vẫn chạy cấu hình cũ");
    }
  if (next.scenes.size() != config_.scenes.size() ||
      next.sources.size() != config_.sources.size() ||
      next.outputs.size() != config_.outputs.size())
    spdlog::warn("SIGHUP: thay đổi nguồn, cảnh hay đầu ra chỉ có hiệu lực sau khi khởi động lại");

  std::vector<ItemConfig> items = next.timeline;
  if (rehearsal_) items = rehearsal_->apply(std::move(items));
  auto timeline = std::make_unique<Timeline>(items, runState_.origin, next.event.utcOffsetMinutes);
  const std::size_t applied = replay(*timeline, runState_.origin, runState_.commands);
  advance(*timeline, runState_.origin, clock_.now());
  runner_->stop();
  runner_.reset();
  timeline_ = std::move(timeline);
  config_.timeline = std::move(next.timeline);
  runner_ = std::make_unique<TimelineRunner>(io_, *timeline_, clock_, *this);
  runner_->start();

  // The bridge's viewers stay connected through a reload: their sessions move to the new
  // watch, and any of a point no longer configured (or whose token changed) is ended.
  std::vector<health::BridgeSession> sessions;
  if (points_) {
    sessions = points_->bridge().sessions();
    points_->stop();
  }
  points_.reset();
  config_.health = std::move(next.health);
  startPoints();
  keepBridgeSessions(sessions);
  if (srt_) {
    const auto tokens = points_->pointTokens();
    srt_->setTokens({tokens.begin(), tokens.end()});
  }
  setSrtPublishTokens();
  // A renewed certificate takes effect for new connections; a bad one keeps the old.
  if (http_ && http_->tls() && next.api.tls() && !loadTls(next.api, false))
    spdlog::error("SIGHUP: chứng chỉ HTTPS mới không dùng được (xem trên): vẫn dùng chứng chỉ cũ");
  if (next.api.tls() != config_.api.tls())
    spdlog::warn("SIGHUP: bật hay tắt HTTPS chỉ có hiệu lực sau khi khởi động lại");
  publishPoints();
  publishTimeline();
  publishStatus();
  spdlog::info("SIGHUP: đã nạp lại: {} mục, {} điểm cầu; {} lệnh của kỹ thuật viên giữ nguyên",
               timeline_->size(), points_->monitor().size(), applied);
  done("đã nạp lại cấu hình", true);
}

}  // namespace ceremony
