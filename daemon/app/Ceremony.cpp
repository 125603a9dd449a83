#include "app/Ceremony.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/post.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <utility>

#include "app/RunState.h"
#include "config/ConfigParser.h"
#include "config/Secrets.h"
#include "config/TimeSpec.h"
#include "health/HealthEvents.h"

namespace ceremony {

namespace {

// Seconds between the programme's first frame and the first item in a rehearsal: time for
// every destination to connect, and a clear pre-show card at the start of the recording.
constexpr Millis kRehearsalLead{2000};

}  // namespace

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

Ceremony::Ceremony(Config config, Options options, boost::asio::io_context& io)
    : config_(std::move(config)),
      options_(std::move(options)),
      io_(io),
      outputs_(io, clock_, *this),
      pointsFlush_(io),
      signals_(io, SIGINT, SIGTERM),
      hup_(io, SIGHUP),
      ticker_(io),
      watchdog_(io) {}

Ceremony::~Ceremony() {
  // The programme pushes into the bridge: it goes first.
  mixer_.reset();
  bridge_.reset();
  srt_.reset();
}

bool Ceremony::start() {
  // Whatever a library says about these URIs (an error quoting one) leaves scrubbed.
  for (const auto& source : config_.sources)
    if (!source.uri.empty()) rememberSecretsOf(source.uri);
  for (const auto& out : config_.outputs)
    if (!out.url.empty()) rememberSecretsOf(out.url, true);
  for (const auto& url : options_.rtmpUrls) rememberSecretsOf(url, true);
  loadSavedState();
  mixer_ = std::make_unique<media::ProgramMixer>(config_, io_, *this);
  addOutputs();
  std::string error;
  if (!mixer_->start(&error)) {
    spdlog::critical("Không khởi động được chương trình: {}", error);
    return false;
  }

  std::vector<ItemConfig> items = config_.timeline;
  if (options_.rehearsalSpeed || options_.configPath.empty()) {
    const double speed = options_.rehearsalSpeed.value_or(kDemoSpeed);
    // A resumed rehearsal keeps its place: the same start and speed as before the restart.
    const bool same = resumed_ && resumed_->rehearsalStart && resumed_->rehearsalSpeed == speed;
    rehearsalStart_ = same ? *resumed_->rehearsalStart : mixer_->wallTimeAtStart() + kRehearsalLead;
    rehearsal_.emplace(items, *rehearsalStart_, speed);
    if (resumed_ && !same) {
      spdlog::warn("Trạng thái đã lưu là của một lần chạy khác (diễn tập khác): bắt đầu lại");
      resumed_.reset();
    }
    items = rehearsal_->apply(std::move(items));
    spdlog::info("Diễn tập: chương trình bắt đầu ngay, nhanh gấp {}×", speed);
  }
  for (const auto& scene : config_.scenes) {
    if (scene.kind != SceneKind::Slate || !scene.slate.countdownTo) continue;
    auto since = parseClockTime(*scene.slate.countdownTo);
    auto date = parseDate(config_.event.date);
    if (!since || !date) continue;
    const WallTime target = wallTimeOn(*date, *since, config_.event.utcOffsetMinutes);
    mixer_->setCountdown(scene.id, rehearsal_ ? rehearsal_->map(target) : target);
  }

  if (resumed_ && resumed_->rehearsalStart && !rehearsal_) resumed_.reset();
  runState_.ceremony = ceremonyIdentity(config_);
  runState_.origin = resumed_ ? resumed_->origin : clock_.now();
  if (rehearsal_) {
    runState_.rehearsalStart = rehearsalStart_;
    runState_.rehearsalSpeed = rehearsal_->speed();
  }
  timeline_ = std::make_unique<Timeline>(items, runState_.origin, config_.event.utcOffsetMinutes);
  if (resumed_) {
    runState_.commands = resumed_->commands;
    const std::size_t applied = replay(*timeline_, runState_.origin, runState_.commands);
    advance(*timeline_, runState_.origin, clock_.now());
    const auto current = timeline_->current();
    spdlog::warn("Tiếp tục sau khi khởi động lại: {} lệnh của kỹ thuật viên được áp dụng lại{}",
                 applied,
                 current ? ", đang ở mục " + std::to_string(*current + 1) + "/" +
                               std::to_string(timeline_->size())
                         : std::string());
    logEvent("resume", "Tiếp tục sau khi khởi động lại (" + std::to_string(applied) + " lệnh)");
  }
  saveState();
  runner_ = std::make_unique<TimelineRunner>(io_, *timeline_, clock_, *this);
  runner_->start();

  startBridge();
  startPoints();
  if (srt_) {
    const auto tokens = points_->pointTokens();
    srt_->setTokens({tokens.begin(), tokens.end()});
  }

  // READY only once the operators can reach the daemon.
  if (!startApi()) return false;

  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec) shutdown(sig == SIGINT ? "SIGINT" : "SIGTERM");
  });
  waitForHangup();
  everySecond();
  // sd_watchdog_enabled also checks WATCHDOG_PID: a child that inherited the environment
  // must not ping for us.
  if (std::uint64_t watchdogUsec = 0; sd_watchdog_enabled(0, &watchdogUsec) > 0) {
    const long long usec = static_cast<long long>(watchdogUsec);
    if (usec > 0) {
      // Pinged from the event loop itself: a stalled loop stops the pings.
      auto ping = std::make_shared<std::function<void()>>();
      *ping = [this, usec, ping] {
        sd_notify(0, "WATCHDOG=1");
        watchdog_.expires_after(std::chrono::microseconds(usec / 2));
        watchdog_.async_wait([ping](const boost::system::error_code& ec) {
          if (!ec) (*ping)();
        });
      };
      (*ping)();
    }
  }
  sd_notify(0, "READY=1");
  notifySystemd();
  spdlog::info("ceremonyd đang chạy: «{}»", config_.event.title);
  return true;
}

void Ceremony::everySecond() {
  if (stopping_) return;
  mixer_->tick(clock_.now());
  if (bridge_) bridge_->poll();
  if (srt_) srt_->poll();
  outputs_.sample();
  notifySystemd();
  publishStatus();
  ticker_.expires_after(std::chrono::seconds(1));
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) everySecond();
  });
}

std::string Ceremony::statusLine() const {
  std::string line = outputs_.live() ? "LIVE" : "NOT LIVE";
  if (timeline_) {
    const auto items = timeline_->items(clock_.now());
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].state == ItemState::Running || items[i].state == ItemState::Held) {
        line += " · mục " + std::to_string(i + 1) + "/" + std::to_string(items.size()) + ": " +
                items[i].title;
        break;
      }
  }
  if (points_ && !points_->empty()) line += " · " + points_->monitor().systemdStatus();
  return line;
}

void Ceremony::notifySystemd() {
  static std::string last;
  const std::string line = statusLine();
  if (line == last) return;
  last = line;
  sd_notifyf(0, "STATUS=%s", line.c_str());
}

void Ceremony::shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  outputs_.shutdown();
  spdlog::info("Dừng ({}): hoàn tất các đầu ra và bản ghi hình", why);
  sd_notify(0, "STOPPING=1");
  ticker_.cancel();
  watchdog_.cancel();
  signals_.cancel();
  hup_.cancel();
  if (runner_) runner_->stop();
  if (points_) points_->stop();
  pointsFlush_.cancel();
  if (http_) http_->stop();
  if (mixer_) mixer_->stop();
  if (bridge_) bridge_->stop();
  if (srt_) srt_->stop();
  io_.stop();
}

void Ceremony::onClipEnded(const std::string& itemId) {
  spdlog::info("Clip của mục «{}» đã hết", itemId);
  if (runner_ && runner_->clipEnded(itemId).ok())
    record({runner_->lastCommandAt(), "clip-ended", itemId, Millis{0}});
}

// A clip that cannot play shows its item's title card; the run-of-show goes on: the item
// ends as if its clip had, after the card has been on air for kFailedClipCard.
void Ceremony::onClipFailed(const std::string& itemId, const std::string& reason) {
  std::string title = itemId;
  for (const auto& item : config_.timeline)
    if (item.id == itemId) title = item.title;
  spdlog::error("Clip của mục «{}» không phát được: {}", itemId, reason);
  logEvent("clip", "Không phát được clip của mục «" + title + "»: " + reason,
           {{"item", itemId}, {"reason", reason}});
  failedClips_.insert(itemId);
  if (itemId == onAirItem_) endFailedClipLater(itemId);
}

void Ceremony::endFailedClipLater(const std::string& itemId) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, kFailedClipCard);
  timer->async_wait([this, itemId, timer](const boost::system::error_code& ec) {
    if (ec || stopping_ || !runner_ || itemId != onAirItem_) return;
    if (runner_->clipEnded(itemId).ok())
      record({runner_->lastCommandAt(), "clip-ended", itemId, Millis{0}});
  });
}

void Ceremony::onInputState(const media::InputStatus& input) {
  const std::string name = input.label.empty() ? input.id : input.label;
  const std::string told = std::string(media::toString(input.state)) + ": " + input.lastReason;
  if (std::exchange(inputTold_[input.id], told) == told) {  // the same again: status only
    publishStatus();
    return;
  }
  switch (input.state) {
    case media::InputState::Running:
      spdlog::info("Nguồn {}: có tín hiệu trở lại", input.id);
      logEvent("input", name + ": có tín hiệu trở lại",
               {{"input", input.id}, {"state", "running"}});
      break;
    case media::InputState::Stalled:
    case media::InputState::Retrying:
      spdlog::warn("Nguồn {}: mất tín hiệu ({}): {}", input.id, media::toString(input.state),
                   input.lastReason);
      logEvent("input",
               name + ": mất tín hiệu" +
                   (input.state == media::InputState::Retrying ? ", đang kết nối lại" : "") +
                   " — " + input.lastReason,
               {{"input", input.id},
                {"state", media::toString(input.state)},
                {"reason", input.lastReason}});
      break;
  }
  notifySystemd();
  publishStatus();
}

void Ceremony::onMediaProblem(const std::string& where, const std::string& message) {
  spdlog::warn("Media: {}: {}", where, message);
  logEvent("media", where + ": " + message);
}

// The watch over the connection points of config_.health, telling systemd and the
// dashboard of every change.
void Ceremony::startPoints() {
  points_ = std::make_unique<ConnectionPoints>(io_, clock_, config_.health, options_.stateDir,
                                               bridge_ != nullptr);
  points_->onChange([this] {
    notifySystemd();
    publishPoints();
  });
  points_->start();
}

void Ceremony::onPrepare(const ItemStatus& item) {
  if (const SceneConfig* scene = config_.findScene(item.scene))
    mixer_->prepare(item.id, item.title, *scene);
}

void Ceremony::onTake(const ItemStatus& item, WallTime at) {
  const SceneConfig* scene = config_.findScene(item.scene);
  if (!scene) {
    spdlog::error("Mục «{}»: không có cảnh «{}»", item.id, item.scene);
    return;
  }
  // A reload rebuilds the timeline: the item already on air is not taken again (a clip
  // would start over).
  if (item.id == onAirItem_ && item.scene == onAirItemScene_ &&
      item.lowerThird.name == onAirLowerThird_.name &&
      item.lowerThird.role == onAirLowerThird_.role)
    return;
  onAirItem_ = item.id;
  onAirItemScene_ = item.scene;
  onAirLowerThird_ = item.lowerThird;
  mixer_->take(item.id, item.title, *scene, item.lowerThird, at);
  if (failedClips_.count(item.id)) endFailedClipLater(item.id);
}

void Ceremony::onTimelineChanged() {
  notifySystemd();
  publishTimeline();
  publishStatus();
  publishEvents();
}

void Ceremony::onFinished() {
  spdlog::info("Hết chương trình");
  if (options_.exitWhenDone) {
    // Let the last frames reach every destination before closing them.
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(500));
    timer->async_wait([this, timer](const boost::system::error_code&) { shutdown("hết giờ"); });
  }
}

// ---- resume and reload -------------------------------------------------------------------

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
  auto done = [this](const std::string& outcome) {
    logEvent("reload", outcome);
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
  done("đã nạp lại cấu hình");
}

}  // namespace ceremony
