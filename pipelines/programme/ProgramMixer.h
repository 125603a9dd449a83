#pragma once
// The programme: every source and slate into one compositor + audiomixer (forced live, so
// the output never stalls), a lower third, one H.264 + AAC encode, fanned out to every
// destination (ARCHITECTURE.md, "A frame, from a camera to Facebook").
//
// Threads: the public methods run on the daemon's io_context thread. GStreamer's threads
// only touch media state (the scene schedule, the destination list) under mutex_, and
// report to the owner through Listener callbacks that are posted onto the io_context.

#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/Config.h"
#include "pipelines/GstPtr.h"
#include "pipelines/outputs/EncodedOutput.h"
#include "pipelines/programme/LiveInput.h"
#include "pipelines/programme/SceneLayout.h"

namespace ceremony::media {

// A live input (uri or launch source) is watched: no frame for its signal_timeout, an
// error or an end of stream puts its "Mất tín hiệu" card in its place (and silence for its
// sound) from the next programme frame on; it is rebuilt after 1 s × 1.5ⁿ (at most 10 s)
// and is back on air with its first new frame. Generated sources (test, image) cannot
// lose their signal and are not watched.
enum class InputState { Running, Stalled, Retrying };
const char* toString(InputState s);

struct InputStatus {
  std::string id;
  std::string label;
  bool watched = false;
  InputState state = InputState::Running;
  int losses = 0;    // times the signal was lost
  int restarts = 0;  // times the input was rebuilt
  std::string lastReason;
  WallTime since{};  // when the state last changed
};

class ProgramMixer {
 public:
  // Called on the io_context thread.
  struct Listener {
    virtual ~Listener() = default;
    virtual void onClipEnded(const std::string& itemId) = 0;
    // A clip that cannot play (missing, undecodable): its title card is on air instead.
    virtual void onClipFailed(const std::string& itemId, const std::string& reason) = 0;
    virtual void onInputState(const InputStatus& input) = 0;
    virtual void onMediaProblem(const std::string& where, const std::string& message) = 0;
    virtual void onOutputState(const std::string& outputId, OutputState state,
                               const std::string& detail) = 0;
  };

  ProgramMixer(const Config& config, boost::asio::io_context& io, Listener& listener);
  ~ProgramMixer();
  ProgramMixer(const ProgramMixer&) = delete;
  ProgramMixer& operator=(const ProgramMixer&) = delete;

  // Builds the pipeline, plays it and waits (bounded) until the encoders have produced
  // their first output. Shows the pre-show card until the first take.
  bool start(std::string* error);
  // Finishes every destination (recordings stay playable) and stops.
  void stop();

  // The wall-clock time at which the programme's running time was zero.
  WallTime wallTimeAtStart() const { return wallAtZero_; }

  // Prepares an item's media before its start (a clip is opened and decoded up to its
  // first frame), so the take is instant.
  // `title` is the item's, shown on a card if the clip cannot play.
  void prepare(const std::string& itemId, const std::string& title, const SceneConfig& scene);
  // Puts `scene` (with `lowerThird`) on air at wall time `at`, frame-accurately when
  // called ahead of `at`; immediately if `at` is past.
  void take(const std::string& itemId, const std::string& title, const SceneConfig& scene,
            const LowerThird& lowerThird, WallTime at);
  // Countdown target of a slate scene ("Bắt đầu sau 04:59"); text refreshed by tick().
  void setCountdown(const std::string& sceneId, WallTime target);
  // Once a second: countdowns and clean-up of clips no longer on air.
  void tick(WallTime now);

  // Adds a destination, before start() (it then gets the very first frame) or later (it
  // starts at the next keyframe); `location` is the full URL with its key, or a file path.
  bool addOutput(const OutputConfig& output, const std::string& location,
                 const std::string& safeLocation, std::string* error);
  // Takes a destination off (an operator's stop): it is finished (EOS, the file stays
  // playable) on a thread of its own, so neither the caller nor the encoder waits.
  bool removeOutput(const std::string& outputId);
  std::vector<OutputStatus> outputs() const;
  // Another consumer of the one encode (the video bridge): from now on it gets every sample.
  void addSink(std::shared_ptr<EncodedSink> sink);
  // From any thread: the next video frame is a keyframe (a bridge viewer joined or lost its
  // picture). At most one every 500 ms, so many viewers cannot turn the stream into keyframes.
  void requestKeyframe();
  // The programme's clock and base time, for pipelines that stamp in its running time.
  GstPtr<GstClock> clock() const;
  GstClockTime baseTime() const;
  // Every configured source, in configuration order.
  std::vector<InputStatus> inputs() const;
  // The programme's latest small JPEG (320 px wide, about one a second), for the dashboard.
  std::optional<std::string> previewJpeg();
  // What is on air now (for status displays): the scene id of the last take.
  const std::string& onAirScene() const { return onAirScene_; }

 private:
  // Move-only: the mixer pads go back to their mixer when it goes.
  struct LayerPads {
    GstElement* bin = nullptr;                       // owned by the pipeline
    RequestPad videoPad;                             // compositor sink pad
    RequestPad audioPad;                             // audiomixer sink pad, may be empty
    bool dynamic = false;                            // a clip: removed once off air
    std::vector<std::pair<GstPad*, gulong>> blocks;  // held until the take
  };
  struct Scheduled {
    GstClockTime runningTime;
    SceneLayout layout;
  };
  // io_context only: an input's state and its pending rebuild.
  struct Input {
    InputStatus status;
    SourceConfig source;                // a copy: what the input is rebuilt from
    std::shared_ptr<InputWatch> watch;  // null for generated sources
    LiveInputPipeline pipeline;         // a live input's own pipeline
    int attempt = 0;
    std::shared_ptr<boost::asio::steady_timer> restart;
  };

  bool build(std::string* error);
  bool addLayer(const std::string& key, GstElement* bin, bool dynamic, std::string* error);
  GstElement* makeSlateBin(const std::string& sceneId, const SlateConfig& slate);
  // Streaming threads: a watched input lost its signal / has frames again.
  void inputLost(InputWatch& w, gint64 nowUs, const std::string& reason, bool rebuild);
  void checkInputs();  // on the compositor's thread, before each frame
  // io_context thread.
  void onInputLost(const std::string& id, const std::string& reason, bool rebuild);
  void onInputBack(const std::string& id);
  void restartInput(const std::string& id);
  std::string interChannel(const std::string& sourceId) const;
  bool startInputPipeline(Input& input, std::string* error);
  // Returns what says the old pipeline has stopped (null if there was none).
  std::shared_ptr<std::atomic<bool>> stopInputPipeline(Input& input);
  void startWhenStopped(const std::string& id, const std::shared_ptr<std::atomic<bool>>& stopped,
                        std::chrono::steady_clock::time_point deadline);
  Input* findInput(const std::string& id);
  void reapFinished();  // joins the stop threads that are done
  void reportInput(Input& input, InputState state, const std::string& reason);
  void clipFailed(const std::string& itemId, const std::string& reason);
  void removeLayer(const std::string& key);
  GstClockTime runningTimeAt(WallTime at) const;
  void applyVideo(GstClockTime runningTime);
  void applyAudio(GstClockTime runningTime);
  void onBus(GstMessage* msg);

  static void onVideoSamplesSelected(GstElement*, GstSegment*, GstClockTime pts, GstClockTime,
                                     GstClockTime, GstStructure*, gpointer self);
  static void onAudioSamplesSelected(GstElement*, GstSegment*, GstClockTime pts, GstClockTime,
                                     GstClockTime, GstStructure*, gpointer self);

  const Config& config_;
  boost::asio::io_context& io_;
  Listener& listener_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  GstPtr<GstElement> pipeline_;
  GstElement* compositor_ = nullptr;
  GstElement* audiomixer_ = nullptr;
  GstElement* lowerThird_ = nullptr;
  GstElement* videoSink_ = nullptr;
  GstElement* audioSink_ = nullptr;
  GstElement* previewSink_ = nullptr;
  GstElement* clipCardTitle_ = nullptr;  // the title line of the failed-clip card
  std::string preview_;                  // the last preview JPEG (io_context only)
  WallTime wallAtZero_{};

  // Where the encode goes: the appsink threads take the current list and push without a
  // lock (a slow destination or viewer never holds the mixer's state); adding or removing
  // one makes a new list.
  struct FanOut {
    std::vector<std::shared_ptr<EncodedOutput>> outputs;
    std::vector<std::shared_ptr<EncodedSink>> sinks;  // the bridge
  };
  std::shared_ptr<const FanOut> fanOut() const;
  template <typename Edit>
  void editFanOut(Edit edit);
  mutable std::mutex fanOutMutex_;  // only to read or replace fanOut_
  std::shared_ptr<const FanOut> fanOut_ = std::make_shared<const FanOut>();

  // Shared with streaming threads (the compositor's and the audio mixer's).
  mutable std::mutex mutex_;
  std::map<std::string, LayerPads> layers_;
  std::deque<Scheduled> videoQueue_;
  std::deque<Scheduled> audioQueue_;
  SceneLayout onAirVideo_;      // the last layouts applied, shown again with stand-ins when
  SceneLayout onAirAudio_;      // a layer loses or regains its picture
  std::set<std::string> lost_;  // layers with no picture: their stand-in card shows
  bool videoDirty_ = false;
  bool audioDirty_ = false;
  std::vector<std::shared_ptr<InputWatch>> watches_;  // fixed once built
  GstElement* videoEncoder_ = nullptr;                // owned by pipeline_
  std::atomic<gint64> lastKeyframeRequestUs_{0};
  // io_context only: one token per destination's current pipeline. A pipeline whose token
  // is gone while a newer one of the same destination runs (a reconnect) has nothing left to
  // report: its end is not the destination's.
  std::map<std::string, std::shared_ptr<const char>> outputTokens_;
  // Outputs and input pipelines being stopped on their own threads: joined when done (at
  // the next removal) or by stop(), so an 8-hour ceremony of reconnects does not pile
  // threads up.
  struct Finishing {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Finishing> finishing_;

  // io_context only.
  struct Countdown {
    WallTime target;
    GstElement* overlay;
  };
  std::map<std::string, Countdown> countdowns_;
  std::map<std::string, GstElement*> slateCountdownOverlays_;
  std::vector<Input> inputs_;
  bool stopping_ = false;
  std::map<std::string, std::string> clipTitles_;  // item id → title, for its stand-in card
  std::string onAirScene_;
  std::vector<std::string> onAirLayers_;
  std::vector<std::pair<std::string, WallTime>> retiring_;  // dynamic layers to remove
};

}  // namespace ceremony::media
