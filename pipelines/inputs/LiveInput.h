#pragma once
// A live input (a `uri` or `launch` source: the hall's camera over SRT or RTSP, a capture
// card) runs in a pipeline of its own, handing its frames and sound to the programme through
// intervideo/interaudio, so it can fail, stall or be rebuilt without the programme pipeline
// ever changing state:
//
//   [input pipeline]  source bin ─► videorate ─► intervideosink   (channel C)
//                               └─► interaudiosink                (channel C)
//   [programme]       makeInterBin(C): intervideosrc + interaudiosrc ─► a layer of the mixer
//
// Every frame of the current pipeline marks the input alive (InputWatch::lastFrameUs); its
// end of stream or an error says it is lost. Detecting a loss stays on streaming threads
// (here, and signalChange on the compositor's thread); deciding what to do then is not
// theirs: the "Mất tín hiệu" card is the programme mixer's, the rebuild after 1 s × 1.5ⁿ
// the InputSupervisor's, on the io_context thread.

#include <gst/gst.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <string>

#include "config/Config.h"
#include "pipelines/GstPtr.h"
#include "pipelines/programme/LayerKey.h"

namespace ceremony::media {

// What streaming threads know of a watched input. The probes and the bus handler of an
// input's pipeline carry its generation: a pipeline being replaced cannot speak for its
// successor.
struct InputWatch {
  std::string id;
  LayerKey key;  // the input's layer in the programme
  gint64 timeoutUs = 1000000;
  std::atomic<unsigned> generation{0};
  std::atomic<gint64> lastFrameUs{0};  // monotonic, last frame of the current generation
  gint64 lostAtUs = 0;                 // the mixer's, under its lock
  // [watch] (pipelines/watch/PictureCheck.h), set before the first generation: a picture
  // the same for freezeAfterUs counts as lost (unless the source may stand still); black for
  // blackAfterUs is said; a `level` element meters its sound. All of it only if watchPicture
  // ([watch] enabled).
  bool watchPicture = true;
  bool expectMotion = true;
  gint64 freezeAfterUs = 5000000;
  gint64 blackAfterUs = 5000000;
  // What the current generation's frames show (its streaming thread writes them).
  std::atomic<bool> frozen{false};
  std::atomic<bool> black{false};
  bool blackTold = false;  // the mixer's, under its lock: what the io_context was told last
  // Its sound, from its `level` element ten times a second (dBFS, the loudest channel).
  std::atomic<double> peakDb{-HUGE_VAL};
  std::atomic<double> rmsDb{-HUGE_VAL};
  // Not decoded on purpose (a point's return feed nothing shows now): no frames is not a
  // loss. Whoever resumes it sets lastFrameUs to now first (a frame is due again).
  std::atomic<bool> idle{false};
};

// What the compositor's thread learns of a watched input before each frame: it has just
// lost its signal (no frame for longer than its timeout), its picture has just frozen (the
// same frame for freezeAfterUs), it has just got it back (a frame newer than the loss, and
// moving), or nothing changed. `lost` is whether its layer shows its card now. A frozen one
// whose frames then stop is lost as well (so it is rebuilt).
enum class SignalChange { None, Lost, Frozen, Back };
SignalChange signalChange(const InputWatch& watch, bool lost, gint64 nowUs);

// The programme's side of a live input: the latest frame and sound its pipeline delivered,
// as a steady live stream at the programme's format (the last frame repeats if none comes;
// silence).
GstElement* makeInterBin(const SourceConfig& source, const ProgrammeFormat& f,
                         const std::string& channel);

// A mosaic tile's layer: whatever picture is on `channel` (a return feed's tile branch, at the
// tile's size), black a second after none comes. Video only.
GstElement* makeTileBin(const std::string& name, const ProgrammeFormat& f,
                        const std::string& channel);

// Where a pipeline made elsewhere hands its frames (a point's return feed): the programme's
// channel and watch of that input, and what its loss means to the programme (its card, the
// input's state).
struct LiveTarget {
  std::string channel;
  std::shared_ptr<InputWatch> watch;
  std::function<void(InputWatch& watch, gint64 nowUs, const std::string& reason)> lost;
};

class LiveInputPipeline {
 public:
  // Called on a streaming thread when the current generation ends or fails: `reason` says
  // why, in words for the operators' event list.
  using Lost = std::function<void(InputWatch& watch, gint64 nowUs, const std::string& reason)>;

  LiveInputPipeline() = default;
  LiveInputPipeline(const LiveInputPipeline&) = delete;
  LiveInputPipeline& operator=(const LiveInputPipeline&) = delete;
  LiveInputPipeline(LiveInputPipeline&&) = default;
  LiveInputPipeline& operator=(LiveInputPipeline&&) = default;
  ~LiveInputPipeline();

  // Builds the source's pipeline into `channel` and plays it, as the watch's next
  // generation. False with a sentence when it cannot be built or started (a pipeline that
  // did start and then fails says so through `lost`).
  bool start(const SourceConfig& source, const ProgrammeFormat& f, const std::string& channel,
             const std::shared_ptr<InputWatch>& watch, Lost lost, std::string* error);
  // The same with a source bin made elsewhere (a point's return feed: its WebRTC session and
  // decoders), with raw "video" and, if it has one, "audio" pads; `live` as a camera is (not
  // paced like a file). The pipeline is named `name`; the bin is taken.
  bool startWith(GstElement* bin, const std::string& name, bool live, const ProgrammeFormat& f,
                 const std::string& channel, const std::shared_ptr<InputWatch>& watch, Lost lost,
                 std::string* error);
  GstElement* pipeline() const { return pipeline_.get(); }
  bool running() const { return pipeline_ != nullptr; }
  // Gives up the pipeline for the caller to stop (setting it to NULL can take seconds on a
  // dead connection: the caller does it off the event loop). What it still reports is of a
  // past generation and is ignored.
  GstPtr<GstElement> release();

 private:
  GstPtr<GstElement> pipeline_;
  std::shared_ptr<InputWatch> watch_;
};

}  // namespace ceremony::media
