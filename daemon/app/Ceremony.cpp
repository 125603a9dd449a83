// Starting and stopping the ceremony, its once-a-second tick, and what the programme and
// the run-of-show report (clips, inputs, takes). On the io_context thread.
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

Ceremony::Ceremony(Config config, Options options, boost::asio::io_context& io)
    : config_(std::move(config)),
      options_(std::move(options)),
      io_(io),
      outputs_(io, clock_, *this),
      pointsFlush_(io),
      signals_(io, SIGINT, SIGTERM),
      hup_(io, SIGHUP),
      ticker_(io),
      listener_(io),
      watchdog_(io) {}

Ceremony::~Ceremony() {
  // The return feeds hand their frames to the programme: they go first. The programme
  // pushes into the bridge: it goes next.
  stopReturns();
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
  openJournal();
  saveState();
  runner_ = std::make_unique<TimelineRunner>(io_, *timeline_, clock_, *this);
  runner_->start();

  startBridge();
  startPoints();
  startSrtPublish();
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
  if (config_.watch.enabled) {
    soundWatch_ = std::make_unique<watch::SoundWatch>(config_.watch);
    listen();
  }
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
  steerReturnFeeds();  // a mosaic's next page; feeds nothing shows any more
  if (bridge_) bridge_->poll();
  for (auto& [id, r] : returns_) r.feed->poll();
  if (srt_) srt_->poll();
  outputs_.sample();
  journalEverySecond();
  notifySystemd();
  publishStatus();
  ticker_.expires_after(std::chrono::seconds(1));
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) everySecond();
  });
}

void Ceremony::shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  journalAlive();  // the last figures (the loudness read at most 250 ms ago), for the report
  journal("stop", {{"why", why}});
  outputs_.shutdown();
  spdlog::info("Dừng ({}): hoàn tất các đầu ra và bản ghi hình", why);
  sd_notify(0, "STOPPING=1");
  ticker_.cancel();
  listener_.cancel();
  watchdog_.cancel();
  signals_.cancel();
  hup_.cancel();
  if (runner_) runner_->stop();
  if (points_) points_->stop();
  stopReturns();
  pointsFlush_.cancel();
  if (http_) http_->stop();
  if (mixer_) mixer_->stop();
  if (bridge_) bridge_->stop();
  if (srt_) srt_->stop();
  writeReportFiles("dừng");
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
  if (std::exchange(inputBlack_[input.id], input.black) != input.black) {
    const std::string seconds = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(config_.watch.blackAfter).count());
    if (input.black) spdlog::warn("Nguồn {}: hình đen quá {} s", input.id, seconds);
    logEvent("input",
             name + (input.black ? ": hình đen quá " + seconds + " s (black)" : ": hết hình đen"),
             {{"input", input.id}, {"picture", input.black ? "black" : "ok"}});
  }
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
    case media::InputState::Frozen:
      spdlog::warn("Nguồn {}: {}, thay bằng thẻ «Mất tín hiệu»", input.id, input.lastReason);
      logEvent("input", name + ": " + input.lastReason + ", thay bằng thẻ «Mất tín hiệu»",
               {{"input", input.id}, {"state", "frozen"}, {"reason", input.lastReason}});
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
  logEvent("media", where + ": " + message, {{"where", where}});
}

void Ceremony::onPrepare(const ItemStatus& item) {
  if (const SceneConfig* scene = config_.findScene(item.scene)) {
    mixer_->prepare(item.id, item.title, *scene);
    preparedScene_ = scene->id;  // its points are decoded ahead (a keyframe takes a moment)
    steerReturnFeeds();
  }
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
  if (preparedScene_ == scene->id) preparedScene_.clear();  // on air now
  steerPointsMix();
  steerReturnFeeds();
  if (failedClips_.count(item.id)) endFailedClipLater(item.id);
}

void Ceremony::onTimelineChanged() {
  journalTimeline();
  notifySystemd();
  publishTimeline();
  publishStatus();
  publishEvents();
}

void Ceremony::onFinished() {
  spdlog::info("Hết chương trình");
  journalTimeline();
  if (!reportWritten_) {
    reportWritten_ = true;
    journalAlive();
    writeReportFiles("hết chương trình");
  }
  if (options_.exitWhenDone) {
    // Let the last frames reach every destination before closing them.
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(500));
    timer->async_wait([this, timer](const boost::system::error_code&) { shutdown("hết giờ"); });
  }
}

}  // namespace ceremony
