#pragma once
// One running ceremony: the configuration, the run-of-show and the programme, wired on
// the daemon's io_context (the one thread that owns domain state: ARCHITECTURE.md, "Threads and who
// owns what").

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "api/ControlApi.h"
#include "api/HttpServer.h"
#include "api/LiveFeed.h"
#include "app/ConnectionPoints.h"
#include "app/Options.h"
#include "app/ReportWorker.h"
#include "app/ReturnAlarms.h"
#include "app/RunState.h"
#include "config/Config.h"
#include "core/Clock.h"
#include "pipelines/bridge/ReturnFeed.h"
#include "pipelines/bridge/SrtListener.h"
#include "pipelines/bridge/SrtPublish.h"
#include "pipelines/bridge/WebRtcBridge.h"
#include "pipelines/outputs/OutputSupervisor.h"
#include "pipelines/programme/ProgramMixer.h"
#include "report/Journal.h"
#include "timeline/Rehearsal.h"
#include "timeline/Timeline.h"
#include "timeline/TimelineRunner.h"
#include "watch/SoundWatch.h"

namespace ceremony {

class Ceremony final : public media::ProgramMixer::Listener,
                       public media::WebRtcBridge::Listener,
                       public media::SrtListener::Listener,
                       public media::ReturnFeed::Listener,
                       public media::SrtPublishListener::Listener,
                       public TimelineRunner::Listener,
                       public media::OutputHost,
                       public api::Backend {
 public:
  Ceremony(Config config, Options options, boost::asio::io_context& io);
  ~Ceremony() override;

  // Starts the programme and the run-of-show; false (with a logged reason) if it cannot.
  bool start();
  // Finishes outputs (recordings stay playable) and stops the event loop.
  void shutdown(const std::string& why);
  int exitCode() const { return exitCode_; }

  // media::ProgramMixer::Listener
  void onClipEnded(const std::string& itemId) override;
  void onClipFailed(const std::string& itemId, const std::string& reason) override;
  void onInputState(const media::InputStatus& input) override;
  void onMediaProblem(const std::string& where, const std::string& message) override;
  void onOutputState(const std::string& outputId, media::OutputState state,
                     const std::string& detail) override;

  // media::WebRtcBridge::Listener (daemon/app/CeremonyBridge.cpp)
  void onViewerConnected(const std::string& sessionId) override;
  void onViewerGone(const std::string& sessionId, const std::string& reason) override;
  void onViewerStats(const media::ViewerStats& stats) override;
  // media::SrtListener::Listener (daemon/app/CeremonyBridge.cpp)
  void onCallerJoined(const std::string& sessionId, const std::string& pointId,
                      const std::string& peer) override;
  void onCallerLeft(const std::string& sessionId) override;
  void onCallerStats(const media::SrtCallerStats& stats) override;

  // TimelineRunner::Listener
  void onPrepare(const ItemStatus& item) override;
  void onTake(const ItemStatus& item, WallTime at) override;
  void onTimelineChanged() override;
  void onFinished() override;

  // api::Backend: what the control API reads and changes (daemon/app/CeremonyStatus.cpp,
  // CeremonyCommands.cpp, CeremonyPoints.cpp, CeremonyOutputs.cpp, CeremonyMetrics.cpp,
  // CeremonyBridge.cpp; the server itself in CeremonyApi.cpp).
  nlohmann::json status() override;
  std::string statusBody() override;
  nlohmann::json timeline() override;
  CommandResult next() override;
  CommandResult hold() override;
  CommandResult resume() override;
  CommandResult goTo(const std::string& itemId) override;
  CommandResult extend(Millis by) override;
  CommandResult cut(const std::string& sceneId) override;
  CommandResult cue(const std::string& name) override;
  nlohmann::json points(bool notUpOnly) override;
  std::optional<nlohmann::json> point(const std::string& id) override;
  CommandResult maintenance(const std::string& id, bool on, const std::string& reason) override;
  api::HeartbeatOutcome heartbeat(const std::string& id, const std::string& token) override;
  nlohmann::json outputs() override;
  CommandResult startOutput(const std::string& id) override;
  CommandResult stopOutput(const std::string& id) override;
  nlohmann::json events(std::size_t limit) override;
  std::string metrics() override;
  std::optional<std::string> previewJpeg() override;
  api::LiveFeed& feed() override { return feed_; }
  bool bridgeEnabled() override { return bridge_ != nullptr; }
  bool pointTokenValid(const std::string& pointId, const std::string& token) override;
  api::WhepStart whepOffer(const std::string& pointId, const std::string& sdp,
                           const std::string& remote, api::WhepAnswer answer) override;
  bool whepEnd(const std::string& pointId, const std::string& sessionId) override;
  // A point's return feed (WHIP): daemon/app/CeremonyReturn.cpp.
  api::WhepStart whipOffer(const std::string& pointId, const std::string& sdp,
                           const std::string& remote, api::WhepAnswer answer) override;
  bool whipEnd(const std::string& pointId, const std::string& sessionId) override;
  void onReturnConnected(const std::string& pointId, const std::string& sessionId) override;
  void onReturnEnded(const std::string& pointId, const std::string& sessionId,
                     const std::string& reason) override;
  void onReturnStats(const std::string& pointId, const std::string& sessionId,
                     const media::ReturnFeedStats& stats) override;
  // A point's encoder publishing over SRT ([bridge] srt_publish_port): CeremonyReturn.cpp.
  void onSrtPublisher(media::SrtPublisher publisher) override;
  nlohmann::json bridgeSessions() override;
  CommandResult endBridgeSession(const std::string& sessionId) override;
  // Every point's link (with its token): for the operators who send them out.
  std::optional<nlohmann::json> bridgeLinks() override;
  // The journal and the results report (daemon/app/CeremonyJournal.cpp).
  void commandFrom(const std::string& source) override { commandSource_ = source; }
  bool report(const std::string& format, ReportDone done) override;

  // Where the API listens ("127.0.0.1:8080"); empty before start().
  std::string apiEndpoint() const { return http_ ? http_->endpoint() : std::string(); }

 private:
  bool startBridge();
  // After a reload: the sessions of points still configured go on; the others are ended.
  void keepBridgeSessions(const std::vector<health::BridgeSession>& sessions);
  // The point's bridge session as /api/points shows it (null when it has none).
  nlohmann::json bridgeJson(const std::string& pointId) const;
  void bridgeMetrics(std::string& out) const;
  bool addOutputs();
  void startPoints();
  void loadSavedState();
  void setAsideBadState(const std::string& why);
  void saveState();
  void record(RecordedCommand command);
  std::filesystem::path statePath() const;
  void waitForHangup();
  void reload();
  // media::OutputHost (daemon/app/CeremonyOutputs.cpp): a destination's pipeline in the
  // programme, with its recording file or stream key.
  bool openOutput(const media::Destination& destination, std::string* error) override;
  bool closeOutput(const std::string& outputId) override;
  std::vector<media::OutputStatus> openOutputs() const override;
  nlohmann::json outputsJson(const std::vector<media::DestinationStatus>& list) const;
  bool startApi();
  // Loads [api]'s TLS certificate and key into the server (at start, and again on SIGHUP).
  // False + the reason logged; the server keeps what it had.
  bool loadTls(const ApiConfig& api, bool atStart);
  void publishStatus();
  void refreshStatusBody();
  void publishTimeline();
  // The points' feed, at most 4 times a second: `pointId` changed (its state, its bridge
  // session), or, empty, anything (a reload, a maintenance): the whole list is rebuilt.
  void publishPoints(const std::string& pointId = {});
  void publishPointsNow();  // the whole list, at once
  // Only the points named since the last flush: at 10,000 points the whole list takes the
  // event loop a tenth of a second, the API's heartbeats waiting behind it.
  void publishPointsChanged();
  void publishEvents();
  void logEvent(const std::string& kind, const std::string& message, nlohmann::json extra = {});
  // `command` ({op, arg, seconds, item}) goes to the journal with who gave it, at `tookEffect`
  // (the run-of-show's time of the change, when the runner takes it ahead; else now).
  CommandResult operatorCommand(const std::string& what, const CommandResult& result,
                                nlohmann::json command = {},
                                std::optional<WallTime> tookEffect = std::nullopt);
  // Journals a command that took effect, so a restart can replay it.
  CommandResult recorded(const CommandResult& result, const std::string& op,
                         const std::string& arg = {}, Millis by = Millis{0});
  // A command on the run-of-show: refused while it is not running, else logged and journaled.
  CommandResult runOfShowCommand(const std::string& what,
                                 const std::function<CommandResult(TimelineRunner&)>& run,
                                 const std::string& op, const std::string& arg = {},
                                 Millis by = Millis{0});
  nlohmann::json itemJson(const ItemStatus& item) const;
  std::string timeText(WallTime t) const;
  void everySecond();
  // [watch] (CeremonySound.cpp): four times a second, the programme's loudness is read, the
  // automatic gain steered, the sound's alerts decided and the meters pushed ("sound").
  void listen();
  std::optional<watch::OnAirItem> onAirForWatch() const;
  nlohmann::json soundJson() const;
  // A loudness or level with one decimal, null for silence (-infinity: nothing to measure).
  static nlohmann::json soundLevel(double v);
  void soundMetrics(std::string& out) const;
  // The journal (daemon/app/CeremonyJournal.cpp): opened once the run-of-show is known
  // (a fresh run sets the last run's journal aside; a resumed one appends to it).
  void openJournal();
  void journal(std::string_view type, nlohmann::json fields, std::optional<WallTime> at = {});
  void journalTimeline();
  void journalHealth(const health::HealthEvent& e);
  void journalEverySecond();
  void journalAlive();
  // Writes the report files into --report-dir (or the state directory) and says where.
  void writeReportFiles(const std::string& why);
  void endFailedClipLater(const std::string& itemId);
  void notifySystemd();
  std::string statusLine() const;

  Config config_;
  Options options_;
  boost::asio::io_context& io_;
  SystemClock clock_;
  std::unique_ptr<media::ProgramMixer> mixer_;
  std::unique_ptr<Timeline> timeline_;
  std::unique_ptr<TimelineRunner> runner_;
  std::unique_ptr<ConnectionPoints> points_;
  // The video bridge and, by session, what the API said when each viewer came.
  std::unique_ptr<media::WebRtcBridge> bridge_;
  std::unique_ptr<media::SrtListener> srt_;  // null without [bridge] srt_listen
  // The points sending their picture back, by point (one session each), and what each last
  // said of its reception.
  struct ReturnSession {
    std::shared_ptr<media::ReturnFeedHandle> feed;  // WHIP or SRT
    std::string remote;
    WallTime since{};
    bool connected = false;
    media::ReturnFeedStats stats;
  };
  std::map<std::string, ReturnSession> returns_;
  std::uint64_t returnCount_ = 0;
  void stopReturns();  // and the SRT publish listener
  // The return feeds' alerts (CeremonyReturn.cpp): a feed that stops, freezes, fails or
  // floods, told to the operators' events and the points' webhook; a flood is cut off.
  ReturnAlarms returnAlarms_{ReturnAlarms::Settings{}};
  void watchReturn(const std::string& pointId, const std::string& sessionId,
                   std::uint64_t bytesReceived);
  void returnEndAlarm(const std::string& pointId, const std::string& sessionId,
                      const std::string& reason);
  void tellReturnAlerts(const std::vector<ReturnAlarms::Alert>& alerts);
  // Points' encoders publishing over SRT (null without [bridge] srt_publish_port).
  std::unique_ptr<media::SrtPublishListener> srtPublish_;
  void startSrtPublish();                          // after startPoints: it needs the points' tokens
  void setSrtPublishTokens();                      // after a reload too
  void replaceReturn(const std::string& pointId);  // a point's new session ends its old one
  std::string pointName(const std::string& pointId) const;  // "Xã Nghĩa Hành", or the id
  media::LiveTarget returnDestination(const std::string& pointId, bool* shownBySource = nullptr);
  // Mix-minus: the viewers of the points on air hear the points' mix, the others the
  // programme's sound. After every take, and when a viewer connects.
  void steerPointsMix();
  // A point's return session, as /api/points and /api/bridge show it (null when none).
  nlohmann::json returnJson(const std::string& pointId) const;
  // Which return feeds are decoded and which point each mosaic tile shows
  // (daemon/app/CeremonyFeeds.cpp): after every take, prepare, return session change and
  // once a second (a mosaic's pages).
  void steerReturnFeeds();
  const SceneConfig* sceneById(const std::string& id) const;  // configured or `point:<id>`
  std::set<std::string> pointsShownBy(const SceneConfig& scene) const;
  std::vector<std::string> mosaicPage(const SceneConfig& scene,
                                      std::chrono::steady_clock::time_point now);
  struct MosaicState {
    std::string sceneId;  // the mosaic on air, "" for none
    std::size_t page = 0;
    std::chrono::steady_clock::time_point pageSince{};
  };
  MosaicState mosaic_;
  std::string preparedScene_;  // the next item's, while it is prepared
  std::map<std::string, std::chrono::steady_clock::time_point> decodeUntil_;
  // `cut point:<id>`: the point's own `point` source, full screen.
  const SceneConfig* pointScene(const std::string& sceneId, std::string* error);
  std::map<std::string, SceneConfig> pointScenes_;
  health::BridgeSignals* bridgeSignals();
  // Every destination and its reconnects.
  media::OutputSupervisor outputs_;
  std::deque<nlohmann::json> log_;  // operator commands, outputs, media problems: newest last
  std::size_t cutCount_ = 0;
  std::set<std::string> failedClips_;  // items whose clip cannot play
  // What the event log last said of each input ("retrying: <reason>"): a camera that stays
  // dead is retried every few seconds, and each try that fails alike is not news.
  std::map<std::string, std::string> inputTold_;
  static constexpr Millis kFailedClipCard{10000};
  // The control API: the feed outlives the server (its connections unsubscribe on close).
  api::LiveFeed feed_;
  std::unique_ptr<api::ControlApi> api_;
  std::unique_ptr<api::HttpServer> http_;
  boost::asio::steady_timer pointsFlush_;
  // GET /api/status: rebuilt by every change (publishStatus) and at most every 100 ms.
  std::string statusBody_;
  std::chrono::steady_clock::time_point statusBodyAt_{};
  bool pointsDirty_ = false;
  bool pointsAllChanged_ = true;
  std::set<std::string> pointsChanged_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set hup_;
  RunState runState_;
  std::optional<RunState> resumed_;  // the state found at start, if it is resumed
  std::optional<WallTime> rehearsalStart_;
  std::string onAirItem_, onAirItemScene_;
  LowerThird onAirLowerThird_;
  boost::asio::steady_timer ticker_;
  boost::asio::steady_timer listener_;             // listen()'s
  std::unique_ptr<watch::SoundWatch> soundWatch_;  // null when [watch] is off
  std::optional<media::Loudness> sound_;           // its latest reading
  std::string soundState_ = "ok";
  double silentSeconds_ = 0;
  std::map<std::string, bool> inputBlack_;  // what the event log last said of each picture
  boost::asio::steady_timer watchdog_;
  std::optional<Rehearsal> rehearsal_;
  bool stopping_ = false;
  int exitCode_ = 0;
  // The journal: null without a state directory.
  std::unique_ptr<report::Journal> journal_;
  std::unique_ptr<ReportWorker> reportWorker_;  // builds GET /api/report off the event loop
  report::PointThrottle pointThrottle_;
  std::set<std::string> journaledTimeline_;  // "what|item|ms" of the transitions written
  std::optional<WallTime> journaledUntil_;   // resumed: the last record before this start
  std::chrono::steady_clock::time_point lastAlive_{};
  std::string commandSource_ = "api";
  bool reportWritten_ = false;  // at the end of the run-of-show
};

// Loads the configuration named by the options (or the embedded demo), printing problems.
// Returns nullopt when it cannot be used.
std::optional<Config> loadForRun(const Options& options);

}  // namespace ceremony
