#include "pipelines/bridge/RtpPacketiser.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include <tuple>
#include <utility>

#include "pipelines/bridge/EncodedIn.h"
#include "pipelines/bridge/RtpPayload.h"

namespace ceremony::media::bridge {

RtpPacketiser::RtpPacketiser(OnPacket onPacket) : onPacket_(std::move(onPacket)) {}

RtpPacketiser::~RtpPacketiser() {
  stop();
}

bool RtpPacketiser::start(const BridgeSettings& settings, std::string* error) {
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("bridge"))));
  videoIn_ = makeEncodedIn("bridge-video-in");
  audioIn_ = makeEncodedIn("bridge-audio-in");
  GstElement* pay = gst_element_factory_make("rtph264pay", "bridge-h264pay");
  GstElement* aacparse = gst_element_factory_make("aacparse", nullptr);
  GstElement* aacdec = gst_element_factory_make("avdec_aac", nullptr);
  GstElement* aconv = gst_element_factory_make("audioconvert", nullptr);
  GstElement* ares = gst_element_factory_make("audioresample", nullptr);
  GstElement* opus = gst_element_factory_make("opusenc", "bridge-opus");
  GstElement* opay = gst_element_factory_make("rtpopuspay", "bridge-opuspay");
  videoRtp_ = gst_element_factory_make("appsink", "bridge-video-rtp");
  audioRtp_ = gst_element_factory_make("appsink", "bridge-audio-rtp");
  GstElement* webrtcCheck = gst_element_factory_make("webrtcbin", nullptr);
  // The DTLS certificate every viewer's session uses is made once per process, when the first
  // DTLS decoder is created: made now, it does not slow the first commune to connect.
  dropFloating(gst_element_factory_make("dtlsdec", nullptr));
  if (!allMadeOrDropped({videoIn_, audioIn_, pay, aacparse, aacdec, aconv, ares, opus, opay,
                         videoRtp_, audioRtp_, webrtcCheck})) {
    forgetElements();
    pipeline_.reset();
    *error =
        "the video bridge needs webrtcbin, rtph264pay, opusenc and rtpopuspay "
        "(gstreamer1.0-plugins-bad, -good, -base and gstreamer1.0-nice: run `make deps`)";
    return false;
  }
  dropFloating(webrtcCheck);  // it only told that webrtcbin is there
  // Packets of at most 1200 bytes fit any line's MTU with the SRTP and TURN overheads.
  g_object_set(pay, "config-interval", -1, "pt", 96, "mtu", 1200u, nullptr);
  gst_util_set_object_arg(G_OBJECT(pay), "aggregate-mode", "zero-latency");
  g_object_set(opus, "bitrate", settings.opusBitrateKbps * 1000, nullptr);
  g_object_set(opay, "pt", 111, nullptr);
  for (GstElement* sink : {videoRtp_, audioRtp_}) {
    g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 200u, "drop", TRUE, nullptr);
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* s, gpointer self) {
      return RtpPacketiser::onSample(GST_ELEMENT(s), self);
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, this, nullptr);
  }
  GstBin* bin = GST_BIN(pipeline_.get());
  gst_bin_add_many(bin, videoIn_, pay, videoRtp_, audioIn_, aacparse, aacdec, aconv, ares, opus,
                   opay, audioRtp_, nullptr);
  if (!gst_element_link_many(videoIn_, pay, videoRtp_, nullptr) ||
      !gst_element_link_many(audioIn_, aacparse, aacdec, aconv, ares, opus, opay, audioRtp_,
                             nullptr)) {
    *error = "cannot link the video bridge's pipeline";
    forgetElements();
    pipeline_.reset();
    return false;
  }
  // A relay that cannot open is said in the log; the bridge's own viewers are served anyway.
  for (auto [relay, to, what] : {std::tuple{&videoRelay_, &settings.relayVideo, "video"},
                                 std::tuple{&audioRelay_, &settings.relayAudio, "audio"}}) {
    std::string why;
    if (to->port > 0 && !relay->open(to->host, to->port, &why))
      spdlog::error("Cầu truyền hình: không chuyển tiếp {} RTP được tới {}:{}: {}", what, to->host,
                    to->port, why);
    else if (to->port > 0)
      spdlog::info("Cầu truyền hình: chuyển tiếp {} RTP tới {}", what, relay->target());
  }
  if (!addPointsMix(settings)) {
    *error = "cannot build the points' mix of the video bridge";
    forgetElements();
    pipeline_.reset();
    return false;
  }
  if (!playOrDrop(pipeline_)) {
    *error = "the video bridge's pipeline does not start";
    forgetElements();
    return false;
  }
  return true;
}

// The points' mix, encoded as the programme's sound is: raw in (live, leaky), Opus out with
// the same SSRC and timestamp base as the programme's sound (opay's, set here on both).
bool RtpPacketiser::addPointsMix(const BridgeSettings& settings) {
  pointsIn_ = makeEncodedIn("bridge-points-in");
  GstElement* conv = gst_element_factory_make("audioconvert", nullptr);
  GstElement* opus = gst_element_factory_make("opusenc", "bridge-points-opus");
  GstElement* pay = gst_element_factory_make("rtpopuspay", "bridge-points-opuspay");
  pointsRtp_ = gst_element_factory_make("appsink", "bridge-points-rtp");
  if (!allMadeOrDropped({pointsIn_, conv, opus, pay, pointsRtp_})) return false;
  g_object_set(opus, "bitrate", settings.opusBitrateKbps * 1000, nullptr);
  GstPtr<GstElement> programme(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "bridge-opuspay"));
  const guint ssrc = g_random_int(), base = g_random_int();
  for (GstElement* p : {pay, programme.get()})
    if (p) g_object_set(p, "pt", 111, "ssrc", ssrc, "timestamp-offset", base, nullptr);
  g_object_set(pointsRtp_, "sync", FALSE, "async", FALSE, "max-buffers", 200u, "drop", TRUE,
               nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = [](GstAppSink* s, gpointer self) {
    return RtpPacketiser::onSample(GST_ELEMENT(s), self);
  };
  gst_app_sink_set_callbacks(GST_APP_SINK(pointsRtp_), &callbacks, this, nullptr);
  gst_bin_add_many(GST_BIN(pipeline_.get()), pointsIn_, conv, opus, pay, pointsRtp_, nullptr);
  return gst_element_link_many(pointsIn_, conv, opus, pay, pointsRtp_, nullptr);
}

void RtpPacketiser::stop() {
  stopAndDrop(pipeline_);
  forgetElements();
}

void RtpPacketiser::pushVideo(GstSample* sample) {
  pushFromKeyframe(videoIn_, sample, sawKeyframe_);
}

void RtpPacketiser::pushAudio(GstSample* sample) {
  if (audioIn_) gst_app_src_push_sample(GST_APP_SRC(audioIn_), sample);
}

void RtpPacketiser::pushPointsAudio(GstSample* sample) {
  if (pointsIn_) gst_app_src_push_sample(GST_APP_SRC(pointsIn_), sample);
}

RtpPacketiser::Caps RtpPacketiser::capsFor(int videoPt, int audioPt) const {
  Caps out;
  std::lock_guard lock(capsMutex_);
  if (videoCaps_) out.video = withPayload(videoCaps_.get(), videoPt);
  if (audioCaps_ && audioPt >= 0) out.audio = withPayload(audioCaps_.get(), audioPt);
  return out;
}

std::vector<RelayStats> RtpPacketiser::relays() const {
  std::vector<RelayStats> out;
  for (auto [relay, what] : {std::pair{&videoRelay_, "video"}, std::pair{&audioRelay_, "audio"}})
    if (relay->isOpen()) out.push_back({what, relay->target(), relay->packets(), relay->dropped()});
  return out;
}

GstFlowReturn RtpPacketiser::onSample(GstElement* sink, gpointer data) {
  auto* self = static_cast<RtpPacketiser*>(data);
  GstMiniPtr<GstSample> sample(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
  if (!sample) return GST_FLOW_OK;
  const bool video = sink == self->videoRtp_;
  GstBuffer* buf = gst_sample_get_buffer(sample.get());
  if (!buf) return GST_FLOW_OK;
  GstClockTime rt = GST_BUFFER_PTS(buf);
  if (const GstSegment* seg = gst_sample_get_segment(sample.get());
      seg && GST_CLOCK_TIME_IS_VALID(rt))
    rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME, rt);
  if (sink == self->pointsRtp_) {
    self->onPacket_(RtpStream::PointsAudio, buf, rt);  // not relayed: only the points hear it
    return GST_FLOW_OK;
  }
  {
    std::lock_guard lock(self->capsMutex_);
    auto& caps = video ? self->videoCaps_ : self->audioCaps_;
    GstCaps* now = gst_sample_get_caps(sample.get());
    if (now && (!caps || !gst_caps_is_equal(caps.get(), now))) caps.reset(gst_caps_copy(now));
  }
  (video ? self->videoRelay_ : self->audioRelay_).send(buf);
  self->onPacket_(video ? RtpStream::Video : RtpStream::Audio, buf, rt);
  return GST_FLOW_OK;
}

}  // namespace ceremony::media::bridge
