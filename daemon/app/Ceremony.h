#pragma once
// One running ceremony: the configuration, the run-of-show and the programme, wired on
// the daemon's io_context (the one thread that owns domain state, DESIGN.md principle 1).

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "app/ConnectionPoints.h"
#include "app/Options.h"
#include "config/Config.h"
#include "core/Clock.h"
#include "pipelines/ProgramMixer.h"
#include "timeline/Rehearsal.h"
#include "timeline/Timeline.h"
#include "timeline/TimelineRunner.h"

namespace ceremony {

class Ceremony final : public media::ProgramMixer::Listener, public TimelineRunner::Listener {
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
  void onMediaProblem(const std::string& where, const std::string& message) override;
  void onOutputState(const std::string& outputId, media::OutputState state,
                     const std::string& detail) override;

  // TimelineRunner::Listener
  void onPrepare(const ItemStatus& item) override;
  void onTake(const ItemStatus& item, WallTime at) override;
  void onTimelineChanged() override;
  void onFinished() override;

 private:
  bool addOutputs();
  void everySecond();
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
  boost::asio::signal_set signals_;
  boost::asio::steady_timer ticker_;
  boost::asio::steady_timer watchdog_;
  std::optional<Rehearsal> rehearsal_;
  bool stopping_ = false;
  int exitCode_ = 0;
};

// Loads the configuration named by the options (or the embedded demo), printing problems.
// Returns nullopt when it cannot be used.
std::optional<Config> loadForRun(const Options& options);

}  // namespace ceremony
