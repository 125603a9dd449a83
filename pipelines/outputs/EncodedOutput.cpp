#include "pipelines/outputs/EncodedOutput.h"

#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

namespace ceremony::media {

const char* toString(OutputState s) {
  switch (s) {
    case OutputState::Stopped:
      return "stopped";
    case OutputState::Connecting:
      return "connecting";
    case OutputState::Live:
      return "live";
    case OutputState::Failed:
      return "failed";
  }
  return "unknown";
}

namespace {

// The recording's n-th segment (from 0): the first is `path` itself.
std::string segmentPath(const std::string& path, guint fragment) {
  if (fragment == 0) return path;
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  const auto cut =
      dot == std::string::npos || (slash != std::string::npos && dot < slash) ? path.size() : dot;
  return path.substr(0, cut) + "-" + std::to_string(fragment + 1) + path.substr(cut);
}

// Removes every trace of the secret location from a message meant for people.
std::string scrub(std::string text, const std::string& secret, const std::string& safe) {
  if (secret.empty()) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
    text.replace(pos, secret.size(), safe), pos += safe.size();
  // The key alone (last path segment) may appear too.
  const auto slash = secret.find_last_of('/');
  if (slash != std::string::npos && slash + 1 < secret.size()) {
    const std::string key = secret.substr(slash + 1);
    if (key.size() >= 6)
      for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos))
        text.replace(pos, key.size(), "***"), pos += 3;
  }
  return text;
}

// Seconds an RTMP server gets to answer (handshake, connect, publish) and to take the next
// bytes: a destination that accepts the TCP connection and then never reads fails after
// this and is reconnected with backoff instead of staying "connecting" for ever.
constexpr guint kRtmpTimeoutSeconds = 5;

// What went wrong, in the operators' words. The technical text goes to the log.
std::string reasonFor(const GError* err, OutputKind kind) {
  if (!err) return "Lỗi không rõ";
  if (err->domain == GST_RESOURCE_ERROR) {
    switch (err->code) {
      case GST_RESOURCE_ERROR_NO_SPACE_LEFT:
        return "Hết dung lượng đĩa";
      case GST_RESOURCE_ERROR_OPEN_WRITE:
      case GST_RESOURCE_ERROR_OPEN_READ_WRITE:
        if (kind == OutputKind::Record) return "Không mở được tệp ghi hình";
        break;
      case GST_RESOURCE_ERROR_WRITE:
        if (kind == OutputKind::Record) return "Không ghi được tệp ghi hình";
        break;
      default:
        break;
    }
  }
  // rtmp2sink wraps GIO's errors in its own text ("Failed to connect: Socket I/O timed out").
  const std::string text = err->message ? err->message : "";
  if (text.find("timed out") != std::string::npos)
    return "Máy chủ không trả lời trong " + std::to_string(kRtmpTimeoutSeconds) + " s";
  if (text.find("refused") != std::string::npos) return "Máy chủ từ chối kết nối";
  if (kind == OutputKind::Record) return "Lỗi ghi hình";
  return "Lỗi kết nối tới máy chủ";
}

GstElement* makeAppSrc(const char* name) {
  GstElement* src = gst_element_factory_make("appsrc", name);
  // Not live: the muxer interleaves by timestamp and never waits on a clock, so an output
  // started late (or restarted) needs no clock sharing with the programme.
  // Caps arrive with the first sample (gst_app_src_push_sample sets them), so a destination
  // can be opened before the encoder has produced anything and gets the very first keyframe.
  // The encoder's segment travels with each sample: x264enc shifts timestamps by 1000 h
  // (room for negative DTS) and only the segment turns them back into running time.
  g_object_set(src, "format", GST_FORMAT_TIME, "handle-segment-change", TRUE, "is-live", FALSE,
               "block", FALSE, "max-bytes", static_cast<guint64>(8 * 1024 * 1024), nullptr);
  gst_util_set_object_arg(G_OBJECT(src), "leaky-type", "downstream");
  return src;
}

}  // namespace

EncodedOutput::EncodedOutput(OutputConfig config, std::string location, std::string safeLocation,
                             Report report)
    : config_(std::move(config)),
      location_(std::move(location)),
      safeLocation_(std::move(safeLocation)),
      report_(std::move(report)) {}

EncodedOutput::~EncodedOutput() {
  if (pipeline_) {
    running_ = false;
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  }
}

bool EncodedOutput::start(std::string* error) {
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(config_.id.c_str()))));
  videoSrc_ = makeAppSrc("video");
  audioSrc_ = makeAppSrc("audio");
  // No queue after the appsrcs: each already has its own queue (max-bytes) and thread.
  GstElement* mux = nullptr;
  GstElement* sink = nullptr;
  if (config_.kind == OutputKind::Rtmp) {
    mux = gst_element_factory_make("flvmux", "mux");
    g_object_set(mux, "streamable", TRUE, nullptr);
    sink = gst_element_factory_make("rtmp2sink", "sink");
    // No deleteStream/FCUnpublish on stop: Facebook may end the broadcast on deleteStream.
    g_object_set(sink, "location", location_.c_str(), "sync", FALSE, "async", FALSE, "timeout",
                 kRtmpTimeoutSeconds, nullptr);
    gst_util_set_object_arg(G_OBJECT(sink), "stop-commands", "none");
    // Only for rehearsals against a local server with a self-signed certificate.
    if (!config_.tlsValidation) g_object_set(sink, "tls-validation-flags", 0, nullptr);
  } else {
    // Matroska segments (a new file every `segment`, cut on a keyframe): each one plays on
    // its own, the one being written too after a crash. The first keeps the recording's
    // name, the next ones get -2, -3, … before the extension.
    GstElement* file = gst_element_factory_make("filesink", nullptr);
    mux = gst_element_factory_make("matroskamux", nullptr);
    sink = gst_element_factory_make("splitmuxsink", "sink");
    if (file && mux && sink) {
      g_object_set(file, "sync", FALSE, "async", FALSE, nullptr);
      g_object_set(sink, "muxer", mux, "sink", file, "max-size-time",
                   static_cast<guint64>(config_.segment.count()) * GST_MSECOND, "async-handling",
                   TRUE, nullptr);
      g_signal_connect(
          sink, "format-location",
          G_CALLBACK(+[](GstElement*, guint fragment, gpointer data) -> gchar* {
            return g_strdup(
                segmentPath(static_cast<EncodedOutput*>(data)->location_, fragment).c_str());
          }),
          this);
    }
    mux = nullptr;  // inside the splitmuxsink now
  }
  const bool flv = config_.kind == OutputKind::Rtmp;
  if (!videoSrc_ || !audioSrc_ || (flv && !mux) || !sink) {
    *error = "cannot create the elements of output " + config_.id;
    return false;
  }
  gst_bin_add_many(GST_BIN(pipeline_.get()), videoSrc_, audioSrc_, sink, nullptr);
  if (mux) gst_bin_add(GST_BIN(pipeline_.get()), mux);
  // flvmux names its request pads video/audio, splitmuxsink video/audio_%u.
  GstElement* target = flv ? mux : sink;
  GstPtr<GstPad> videoIn;
  auto linkTo = [&](GstElement* src, const char* templ, bool video) {
    // The muxer keeps its pad for the pipeline's life: only our reference goes here.
    GstPtr<GstPad> pad(gst_element_request_pad_simple(target, templ));
    if (!pad) return false;
    GstPtr<GstPad> srcPad(gst_element_get_static_pad(src, "src"));
    const bool ok = gst_pad_link(srcPad.get(), pad.get()) == GST_PAD_LINK_OK;
    if (video) videoIn = std::move(pad);
    return ok;
  };
  const bool linked = linkTo(videoSrc_, "video", true) &&
                      linkTo(audioSrc_, flv ? "audio" : "audio_%u", false) &&
                      (!flv || gst_element_link(mux, sink));
  if (!linked) {
    *error = "cannot link output " + config_.id;
    return false;
  }
  sink_ = sink;
  // A recording is live once data reaches the file; an RTMP destination once the server
  // has taken bytes (poll()).
  if (config_.kind == OutputKind::Record)
    gst_pad_add_probe(
        videoIn.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer data) {
          auto* self = static_cast<EncodedOutput*>(data);
          if (self->running_) self->setState(OutputState::Live, self->safeLocation_);
          return GST_PAD_PROBE_REMOVE;
        },
        this, nullptr);
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), &EncodedOutput::onBusMessage, this, nullptr);
  setState(OutputState::Connecting, safeLocation_);
  running_ = true;
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    running_ = false;
    setState(OutputState::Failed, "cannot start");
    *error = "output " + config_.id + " cannot start";
    return false;
  }
  return true;
}

GstBusSyncReply EncodedOutput::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<EncodedOutput*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
      return GST_BUS_PASS;  // stop() waits for it
    case GST_MESSAGE_ERROR: {
      // The first error is the cause; what follows (appsrc's "Internal data stream error"
      // once the sink is gone) would only hide it.
      if (!self->running_.exchange(false)) break;
      const BusProblem problem = parseProblem(msg);
      const std::string text = problem.error.message("unknown error") +
                               (problem.debug.empty() ? "" : " (" + problem.debug + ")");
      spdlog::warn("Đầu ra {}: GStreamer: {}", self->config_.id,
                   scrub(text, self->location_, self->safeLocation_));
      const std::string reason = reasonFor(problem.error.get(), self->config_.kind);
      self->setState(OutputState::Failed, reason);
      break;
    }
    default:
      break;
  }
  return GST_BUS_DROP;
}

void EncodedOutput::setState(OutputState s, const std::string& detail) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == s && (s != OutputState::Failed || lastError_ == detail)) return;
    state_ = s;
    if (s == OutputState::Failed) lastError_ = detail;
  }
  if (report_) report_(config_.id, s, detail);
}

void EncodedOutput::pushVideo(GstSample* sample) {
  if (!running_) return;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (!sawKeyframe_) {
    // A destination must start on a keyframe: anything before it cannot be decoded.
    if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) return;
    sawKeyframe_ = true;
  }
  bytes_ += gst_buffer_get_size(buffer);
  gst_app_src_push_sample(GST_APP_SRC(videoSrc_), sample);
}

void EncodedOutput::pushAudio(GstSample* sample) {
  if (!running_ || !sawKeyframe_) return;
  bytes_ += gst_buffer_get_size(gst_sample_get_buffer(sample));
  gst_app_src_push_sample(GST_APP_SRC(audioSrc_), sample);
}

void EncodedOutput::stop(std::chrono::milliseconds timeout) {
  if (!pipeline_) return;
  const bool wasRunning = running_.exchange(false);
  if (wasRunning) {
    gst_app_src_end_of_stream(GST_APP_SRC(videoSrc_));
    gst_app_src_end_of_stream(GST_APP_SRC(audioSrc_));
    GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
    GstMiniPtr<GstMessage> eos(gst_bus_timed_pop_filtered(
        bus.get(), static_cast<GstClockTime>(timeout.count()) * GST_MSECOND, GST_MESSAGE_EOS));
    (void)eos;
  }
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  setState(OutputState::Stopped, "");
}

void EncodedOutput::poll() {
  if (!running_ || !sink_ || config_.kind != OutputKind::Rtmp) return;
  GstStructure* stats = nullptr;
  g_object_get(sink_, "stats", &stats, nullptr);
  if (!stats) return;
  guint64 sent = 0;
  gst_structure_get_uint64(stats, "out-bytes-total", &sent);
  gst_structure_free(stats);
  if (sent > sentToServer_) setState(OutputState::Live, safeLocation_);
  sentToServer_ = sent;
}

OutputStatus EncodedOutput::status() const {
  OutputStatus s;
  s.id = config_.id;
  s.label = config_.label;
  s.kind = config_.kind;
  s.destination = safeLocation_;
  s.bytes = bytes_;
  std::lock_guard lock(mutex_);
  s.state = state_;
  s.lastError = lastError_;
  return s;
}

}  // namespace ceremony::media
