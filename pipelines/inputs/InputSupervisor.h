#pragma once
// The recovery policy of live inputs (uri and launch sources), on the io_context thread.
// Streaming threads detect a loss (LiveInput.h) and the programme mixer puts the input's
// "Mất tín hiệu" card on air; the mixer then tells the supervisor (onLost / onBack), which
// keeps each input's state for the operators and rebuilds its pipeline after
// 1 s × 1.5ⁿ (at most 10 s). Whether the layer has no picture right now is the mixer's to
// say (Hooks::stillLost); the InputStatus here is what operators are told of it.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/Config.h"
#include "pipelines/StopThreads.h"
#include "pipelines/inputs/LiveInput.h"

namespace ceremony::media {

// A live input is watched: no frame for its signal_timeout, an error or an end of stream
// puts its "Mất tín hiệu" card in its place (and silence for its sound) from the next
// programme frame on; it is rebuilt after 1 s × 1.5ⁿ (at most 10 s) and is back on air with
// its first new frame. Generated sources (test, image) cannot lose their signal and are not
// watched.
// Frozen: frames still come but the picture has not changed for [watch] freeze_after (its
// card is on air; it is not rebuilt: the moment it moves it is back).
enum class InputState { Running, Stalled, Retrying, Frozen };
const char* toString(InputState s);

struct InputStatus {
  std::string id;
  std::string label;
  bool watched = false;
  InputState state = InputState::Running;
  int losses = 0;    // times the signal was lost
  int restarts = 0;  // times the input was rebuilt
  std::string lastReason;
  WallTime since{};    // when the state last changed
  bool black = false;  // [watch]: its picture has been black for black_after
  // Its sound now (dBFS, the loudest channel; -infinity: silence or no sound), read fresh by
  // inputs().
  double peakDb = -HUGE_VAL;
  double rmsDb = -HUGE_VAL;
};

class InputSupervisor {
 public:
  struct Hooks {
    // io_context thread: an input's state changed.
    std::function<void(const InputStatus&)> report;
    // io_context thread: whether the input's layer has still no picture (then it is rebuilt).
    std::function<bool(const InputWatch&)> stillLost;
    // A pipeline that ended or failed (streaming threads), or could not start (io_context).
    LiveInputPipeline::Lost lost;
  };

  // `alive` is the owner's: false once it is gone, so a late timer does nothing.
  InputSupervisor(boost::asio::io_context& io, std::shared_ptr<bool> alive,
                  const ProgrammeFormat& format, StopThreads& stopThreads, Hooks hooks);
  InputSupervisor(const InputSupervisor&) = delete;
  InputSupervisor& operator=(const InputSupervisor&) = delete;

  // While the programme is built, in configuration order: a source, watched through `watch`
  // (null for generated sources) and handed to the programme on `channel`.
  void add(const SourceConfig& source, std::shared_ptr<InputWatch> watch, std::string channel);
  // Once the programme runs: every watched input's pipeline; a first frame is due within
  // its timeout.
  void startAll();
  // The input's layer lost its picture (`rebuild`: its pipeline ended or failed) / has
  // frames again.
  void onLost(const std::string& id, const std::string& reason, bool rebuild);
  void onBack(const std::string& id);
  // Its picture stands still (its card is on air; no rebuild) / has gone black or come back.
  void onFrozen(const std::string& id, const std::string& reason);
  void onBlack(const std::string& id, bool black);
  // No more rebuilds; every pipeline is stopped on a thread of its own.
  void stop();
  // Every configured source, in configuration order.
  std::vector<InputStatus> inputs() const;

 private:
  struct Input {
    InputStatus status;
    SourceConfig source;                // a copy: what the input is rebuilt from
    std::shared_ptr<InputWatch> watch;  // null for generated sources
    std::string channel;                // where its pipeline hands its frames to the programme
    LiveInputPipeline pipeline;         // a live input's own pipeline
    int attempt = 0;
    std::shared_ptr<boost::asio::steady_timer> restart;
  };

  Input* find(const std::string& id);
  void report(Input& input, InputState state, const std::string& reason);
  void restart(const std::string& id);
  bool startPipeline(Input& input, std::string* error);
  // Returns what says the old pipeline has stopped (null if there was none).
  std::shared_ptr<std::atomic<bool>> stopPipeline(Input& input);
  void startWhenStopped(const std::string& id, const std::shared_ptr<std::atomic<bool>>& stopped,
                        std::chrono::steady_clock::time_point deadline);

  boost::asio::io_context& io_;
  std::shared_ptr<bool> alive_;
  const ProgrammeFormat& format_;
  StopThreads& stopThreads_;
  Hooks hooks_;
  std::vector<Input> inputs_;
  bool stopping_ = false;
};

}  // namespace ceremony::media
