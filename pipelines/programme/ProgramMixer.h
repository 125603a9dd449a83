#pragma once
// The programme: every source and slate into one compositor + audiomixer (forced live, so
// the output never stalls), a lower third, one H.264 + AAC encode, fanned out to every
// destination (ARCHITECTURE.md, "A frame, from a camera to Facebook").
//
// Threads: the public methods run on the daemon's io_context thread. The compositor's and
// the audio mixer's threads apply the scene (under onAirMutex_); the appsink threads push
// the encode to the current FanOut with no lock held. Nothing on a streaming thread calls
// the Listener: it is posted onto the io_context.

#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/Config.h"
#include "pipelines/CopyOnWrite.h"
#include "pipelines/GstPtr.h"
#include "pipelines/StopThreads.h"
#include "pipelines/inputs/InputSupervisor.h"
#include "pipelines/inputs/LiveInput.h"
#include "pipelines/outputs/EncodedOutput.h"
#include "pipelines/programme/Cards.h"
#include "pipelines/programme/MixChain.h"
#include "pipelines/programme/MixerLayers.h"
#include "pipelines/programme/SceneLayout.h"
#include "pipelines/programme/TakeSchedule.h"
#include "pipelines/watch/ProgrammeSound.h"

namespace ceremony::media {

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
  // Where the point's return feed goes: its `point` source's channel and watch (the first
  // source showing that point); nullopt when no source shows it.
  std::optional<LiveTarget> returnTarget(const std::string& pointId);
  // The points whose `point` source is in the scene taken last (on air, or about to be).
  std::set<std::string> pointsOnAir() const;
  // Where a return feed's picture goes to be a mosaic's tile `index` (from 0; each mosaic
  // scene uses tiles 0 … columns×rows−1).
  std::string tileChannel(int index) const {
    return interChannel("#tile-" + std::to_string(index));
  }
  // The programme's loudness now (and its peak since the last call); nullopt when [watch]
  // is off.
  std::optional<Loudness> loudness();
  // [watch] auto_gain: follow the loudness just read (`since` the previous reading).
  void steerGain(const Loudness& now, Millis since);
  // The programme's latest small JPEG (320 px wide, about one a second), for the dashboard.
  std::optional<std::string> previewJpeg();
  // What is on air now (for status displays): the scene id of the last take.
  const std::string& onAirScene() const { return onAirScene_; }

 private:
  // Where the encode goes (the appsink threads push to a snapshot, with no lock held).
  struct FanOut {
    std::vector<std::shared_ptr<EncodedOutput>> outputs;
    std::vector<std::shared_ptr<EncodedSink>> sinks;  // the bridge
  };

  bool build(std::string* error);
  bool addLayer(const LayerKey& key, GstElement* bin, bool dynamic, std::string* error);
  bool addSourceLayers(std::string* error);
  GstElement* makeSlateBin(const std::string& sceneId, const SlateConfig& slate);
  // Streaming threads: a watched input lost its signal (`rebuild`: its pipeline ended or
  // failed); checkInputs, on the compositor's thread before each frame, finds a stall or
  // its end. The io_context hears of it (InputSupervisor).
  void inputLost(InputWatch& w, gint64 nowUs, const std::string& reason, bool rebuild);
  void checkInputs();
  void checkBlack(InputWatch& w);
  std::string interChannel(const std::string& sourceId) const;
  std::string pointName(const SourceConfig& source) const;  // a `point` source's card title
  void clipFailed(const std::string& itemId, const std::string& reason);
  void removeLayer(const LayerKey& key);
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

  // The programme's loudness ([watch]): its probe is on pipeline_, which goes first.
  std::unique_ptr<ProgrammeSound> sound_;
  GstPtr<GstElement> pipeline_;
  MixChain chain_;                       // its elements, owned by pipeline_
  GstElement* clipCardTitle_ = nullptr;  // the title line of the failed-clip card
  std::string preview_;                  // the last preview JPEG (io_context only)
  WallTime wallAtZero_{};

  // Read by the appsink threads (each sample) and tick(); replaced by addOutput,
  // removeOutput and addSink.
  CopyOnWrite<FanOut> fanOut_;

  // What is on air and how it looks, shared by the io_context thread (takes, layers added
  // and removed, losses) and the compositor's and the audio mixer's threads (applyVideo,
  // applyAudio): the layers' pads, both OnAirTracks (scheduled layouts, the layouts applied
  // last, their dirty flags), the layers with no picture, InputWatch::lostAtUs.
  mutable std::mutex onAirMutex_;
  MixerLayers layers_;
  OnAirTrack video_;  // the compositor's: its schedule and the layout applied last
  OnAirTrack audio_;  // the audio mixer's
  // Layers with no picture (their stand-in card shows): the one record of it. The
  // InputSupervisor's InputStatus is what operators are told, and asks here (stillLost).
  std::set<LayerKey> lost_;

  std::vector<std::shared_ptr<InputWatch>> watches_;  // fixed once built
  std::atomic<gint64> lastKeyframeRequestUs_{0};

  // io_context only from here on.
  // One token per destination's current pipeline. A pipeline whose token is gone while a
  // newer one of the same destination runs (a reconnect) has nothing left to report: its
  // end is not the destination's.
  std::map<std::string, std::shared_ptr<const char>> outputTokens_;
  StopThreads stopThreads_;  // removed outputs and replaced input pipelines being stopped
  InputSupervisor inputs_;   // every configured source: its state and rebuilds
  Countdowns countdowns_;
  std::map<std::string, std::string> clipTitles_;  // item id → title, for its stand-in card
  std::string onAirScene_;
  std::vector<LayerKey> onAirLayers_;
  std::vector<std::pair<LayerKey, WallTime>> retiring_;  // dynamic layers to remove
};

}  // namespace ceremony::media
