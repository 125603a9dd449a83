#pragma once
// One destination of the encoded programme (an RTMP/RTMPS ingest or a recording), in its
// own pipeline fed from the programme's encoder through appsrc. A destination that stalls
// or fails never blocks the encoder or another destination (ARCHITECTURE.md, "A frame, from a
// camera to Facebook"): the programme pushes without blocking and a full queue drops.

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "config/Config.h"
#include "pipelines/GstPtr.h"
#include "pipelines/outputs/EncodedSink.h"

namespace ceremony::media {

enum class OutputState { Stopped, Connecting, Live, Failed };
const char* toString(OutputState s);

struct OutputStatus {
  std::string id;
  std::string label;
  OutputKind kind = OutputKind::Rtmp;
  OutputState state = OutputState::Stopped;
  std::string destination;  // redacted URL or recording path: safe to show
  std::uint64_t bytes = 0;  // encoded bytes handed to this destination
  std::string lastError;
};

class EncodedOutput final : public EncodedSink {
 public:
  // Called on a GStreamer thread; the owner posts it to its event loop.
  using Report = std::function<void(const std::string& outputId, OutputState state,
                                    const std::string& detail)>;

  // `location` is the full RTMP URL (with the key: kept here only, never logged) or the
  // recording file path.
  EncodedOutput(OutputConfig config, std::string location, std::string safeLocation, Report report);
  ~EncodedOutput() override;
  EncodedOutput(const EncodedOutput&) = delete;
  EncodedOutput& operator=(const EncodedOutput&) = delete;

  bool start(std::string* error);
  // Finishes the file or stream cleanly (EOS), waiting at most `timeout`.
  void stop(std::chrono::milliseconds timeout);

  // From the programme's streaming threads. Never blocks. Drops until the first keyframe.
  void pushVideo(GstSample* sample) override;
  void pushAudio(GstSample* sample) override;

  // On the owner's thread, about once a second: an RTMP destination is live once the
  // server takes bytes.
  void poll();
  OutputStatus status() const;
  const std::string& id() const { return config_.id; }

 private:
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);
  void setState(OutputState s, const std::string& detail);

  OutputConfig config_;
  std::string location_;
  std::string safeLocation_;
  Report report_;
  GstPtr<GstElement> pipeline_;
  GstElement* sink_ = nullptr;  // owned by pipeline_
  std::uint64_t sentToServer_ = 0;
  GstElement* videoSrc_ = nullptr;  // owned by pipeline_
  GstElement* audioSrc_ = nullptr;
  std::atomic<bool> sawKeyframe_{false};
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> bytes_{0};
  mutable std::mutex mutex_;
  OutputState state_ = OutputState::Stopped;
  std::string lastError_;
};

}  // namespace ceremony::media
