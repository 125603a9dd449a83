#include "pipelines/bridge/WebRtcBridge.h"

#define GST_USE_UNSTABLE_API  // GstWebRTC's headers ask for it in 1.22
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <spdlog/spdlog.h>

#include "pipelines/bridge/EncodedIn.h"

#include <boost/asio/post.hpp>
#include <sstream>
#include <string_view>
#include <tuple>

namespace ceremony::media {

namespace asio = boost::asio;

// ---- the offer --------------------------------------------------------------------------

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The profile_idc byte of an H.264 profile name, as profile-level-id spells it.
std::string profileIdc(const std::string& profile) {
  if (profile == "high") return "64";
  if (profile == "baseline") return "42";
  return "4d";  // main
}

}  // namespace

std::optional<OfferChoice> chooseFromOffer(const std::string& sdp, const std::string& profile,
                                           std::string* error) {
  struct Media {
    std::string kind;
    std::map<int, std::string> rtpmap;  // pt → "h264/90000"
    std::map<int, std::string> fmtp;    // pt → parameters, lower case
  };
  std::vector<Media> media;
  std::istringstream in(sdp);
  std::string line;
  bool sawVersion = false;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    if (++lines > 5000) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("v=", 0) == 0) sawVersion = true;
    if (line.rfind("m=", 0) == 0) {
      Media m;
      m.kind = line.substr(2, line.find(' ') == std::string::npos ? 0 : line.find(' ') - 2);
      media.push_back(std::move(m));
      continue;
    }
    if (media.empty()) continue;
    auto attribute = [&](const char* prefix, std::map<int, std::string>& into) {
      if (line.rfind(prefix, 0) != 0) return;
      const std::string rest = line.substr(std::string(prefix).size());
      const auto space = rest.find(' ');
      if (space == std::string::npos || space == 0 || space > 3) return;
      int pt = 0;
      for (std::size_t i = 0; i < space; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return;
        pt = pt * 10 + (rest[i] - '0');
      }
      if (pt > 127) return;
      into[pt] = lower(rest.substr(space + 1));
    };
    attribute("a=rtpmap:", media.back().rtpmap);
    attribute("a=fmtp:", media.back().fmtp);
  }
  if (!sawVersion || media.empty()) {
    *error = "the body is not an SDP offer (Content-Type: application/sdp, starting with v=0)";
    return std::nullopt;
  }
  OfferChoice choice;
  const std::string want = "profile-level-id=" + profileIdc(profile);
  for (std::size_t i = 0; i < media.size(); ++i) {
    const Media& m = media[i];
    if (m.kind == "video" && choice.videoPt < 0) {
      // Best first: the programme's own profile; then high (a high decoder decodes main);
      // then any other H.264 of packetization-mode 1 (Firefox offers only constrained
      // baseline, yet its decoder plays main, as browsers' decoders do).
      int rank = 0;
      for (const auto& [pt, codec] : m.rtpmap) {
        if (codec.rfind("h264/90000", 0) != 0) continue;
        const auto f = m.fmtp.find(pt);
        const std::string params = f == m.fmtp.end() ? "" : f->second;
        if (params.find("packetization-mode=1") == std::string::npos) continue;
        auto has = [&](const char* p) { return params.find(p) != std::string::npos; };
        const int r = has(want.c_str())                                          ? 6
                      : profile == "main" && has("profile-level-id=64")          ? 5
                      : has("profile-level-id=4d") || has("profile-level-id=64") ? 4
                      : has("profile-level-id=42e0")                             ? 3
                      : has("profile-level-id=42")                               ? 2
                                                                                 : 1;
        if (r > rank) {
          rank = r;
          choice.videoPt = pt;
          choice.videoIndex = i;
        }
      }
    } else if (m.kind == "audio" && choice.audioPt < 0) {
      for (const auto& [pt, codec] : m.rtpmap)
        if (codec.rfind("opus/48000", 0) == 0) {
          choice.audioPt = pt;
          choice.audioIndex = i;
          break;
        }
    }
  }
  if (choice.videoPt < 0) {
    *error =
        "the offer has no H.264 video with packetization-mode=1, which the bridge sends; "
        "Chrome, Edge, Firefox and Safari offer it";
    return std::nullopt;
  }
  return choice;
}

// ---- one viewer -------------------------------------------------------------------------

struct WebRtcBridge::Viewer {
  std::string id;
  OfferChoice choice;
  boost::asio::io_context* io = nullptr;
  WebRtcBridge* bridge = nullptr;  // touched on the io_context only, while *alive
  std::shared_ptr<bool> alive;     // the bridge's
  KeyframeRequest keyframe;        // for the picture-loss probe
  std::string address;             // [bridge] address: the only candidates the answer names
  GstPtr<GstElement> pipeline;
  GstElement* webrtc = nullptr;  // owned by pipeline
  GstElement* videoSrc = nullptr;
  GstElement* audioSrc = nullptr;
  std::atomic<bool> open{true};       // streaming threads push while true
  std::atomic<bool> answered{false};  // the SDP answer went out (once)
  std::atomic<gint64> lastRtcpUs{0};  // monotonic time of the viewer's last RTCP packet
  GObjectPtr<GObject> rtpSession;     // watched for RTCP (our reference; webrtcbin's session)
  gulong rtcpHandler = 0;
  // io_context only.
  Answer answer;
  std::shared_ptr<asio::steady_timer> deadline;
  bool connected = false;
  gint64 lastPolledRtcpUs = 0;
  std::chrono::steady_clock::time_point troubleSince{};
  bool inTrouble = false;
};

namespace {

using Viewer = WebRtcBridge::Viewer;

// Signal and promise user data: a weak reference, so a late callback finds the viewer gone.
using WeakViewer = std::weak_ptr<Viewer>;
gpointer weakData(const std::shared_ptr<Viewer>& v) {
  return new WeakViewer(v);
}
void freeWeak(gpointer p, GClosure*) {
  delete static_cast<WeakViewer*>(p);
}
void freeWeakNotify(gpointer p) {
  delete static_cast<WeakViewer*>(p);
}

// Runs `f` on the io_context if the bridge still exists.
template <class F>
void toIo(const std::shared_ptr<Viewer>& v, F&& f) {
  asio::post(*v->io, [alive = v->alive, f = std::forward<F>(f)]() mutable {
    if (*alive) f();
  });
}

std::string localDescription(GstElement* webrtc) {
  GstWebRTCSessionDescription* desc = nullptr;
  g_object_get(webrtc, "local-description", &desc, nullptr);
  if (!desc) return {};
  gchar* text = gst_sdp_message_as_text(desc->sdp);
  std::string out = text ? text : "";
  g_free(text);
  gst_webrtc_session_description_free(desc);
  return out;
}

void onGatheringState(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto v = static_cast<WeakViewer*>(data)->lock();
  if (!v) return;
  GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  std::string sdp = keepCandidatesOn(localDescription(webrtc), v->address);
  if (sdp.empty() || v->answered.exchange(true)) return;
  toIo(v, [v, sdp = std::move(sdp)]() mutable {
    if (v->deadline) v->deadline->cancel();
    if (auto a = std::move(v->answer)) a(201, std::move(sdp));
  });
}

gboolean onRtcp(GObject*, GstBuffer*, gpointer data) {
  if (auto v = static_cast<WeakViewer*>(data)->lock()) v->lastRtcpUs = g_get_monotonic_time();
  return FALSE;
}

void onAnswerCreated(GstPromise* promise, gpointer data) {
  auto v = static_cast<WeakViewer*>(data)->lock();
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* answer = nullptr;
  if (reply && gst_structure_has_field(reply, "answer"))
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  gst_promise_unref(promise);
  if (!v) {
    if (answer) gst_webrtc_session_description_free(answer);
    return;
  }
  if (!answer) {
    if (v->answered.exchange(true)) return;
    toIo(v, [v] {
      if (v->deadline) v->deadline->cancel();
      if (auto a = std::move(v->answer))
        a(400, "the offer cannot be answered: no media in it matches what the bridge sends");
      v->bridge->removeViewer(v->id, "offer not answerable");
    });
    return;
  }
  g_signal_emit_by_name(v->webrtc, "set-local-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
}

void onRemoteSet(GstPromise* promise, gpointer data) {
  gst_promise_unref(promise);
  auto v = static_cast<WeakViewer*>(data)->lock();
  if (!v) return;
  GstPromise* next = gst_promise_new_with_change_func(onAnswerCreated, weakData(v), freeWeakNotify);
  g_signal_emit_by_name(v->webrtc, "create-answer", nullptr, next);
}

void onConnectionState(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto v = static_cast<WeakViewer*>(data)->lock();
  if (!v) return;
  GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    if (v->keyframe) v->keyframe();  // the picture starts at the next frame, not within 2 s
    toIo(v, [v] {
      if (v->connected) return;
      v->connected = true;
      v->inTrouble = false;
      v->bridge->listener().onViewerConnected(v->id);
    });
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
             state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) {
    const char* why =
        state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ? "ICE/DTLS failed" : "connection closed";
    toIo(v, [v, why] { v->bridge->removeViewer(v->id, why); });
  }
}

// A viewer's picture-loss indication (PLI/FIR) arrives as an upstream force-key-unit event.
GstPadProbeReturn onUpstreamEvent(GstPad*, GstPadProbeInfo* info, gpointer data) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (event && gst_video_event_is_force_key_unit(event)) {
    auto* v = static_cast<Viewer*>(data);
    if (v->keyframe) v->keyframe();
  }
  return GST_PAD_PROBE_OK;
}

GstBusSyncReply onViewerBus(GstBus*, GstMessage* msg, gpointer data) {
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR) return GST_BUS_DROP;
  auto v = static_cast<WeakViewer*>(data)->lock();
  if (!v) return GST_BUS_DROP;
  const std::string text = parseProblem(msg).error.message("unknown error");
  v->open = false;
  toIo(v, [v, text] {
    spdlog::warn("Cầu truyền hình: phiên {} lỗi: {}", v->id, text);
    v->bridge->removeViewer(v->id, "media error");
  });
  return GST_BUS_DROP;
}

GstElement* makeViewerSrc(const char* name, GstCaps* caps) {
  GstElement* src = gst_element_factory_make("appsrc", name);
  if (!src) return nullptr;
  // Live, timestamps in the programme's running time (the pipeline shares its clock and base
  // time); a viewer that cannot keep up loses the oldest packets, never holds the pusher.
  g_object_set(src, "format", GST_FORMAT_TIME, "is-live", TRUE, "do-timestamp", FALSE, "block",
               FALSE, "caps", caps, "max-bytes", static_cast<guint64>(2 * 1024 * 1024), nullptr);
  gst_util_set_object_arg(G_OBJECT(src), "leaky-type", "downstream");
  return src;
}

// The offer's own caps for `pt`, as webrtcbin wants codec preferences.
GstCaps* offerCaps(const GstSDPMessage* sdp, std::size_t index, int pt) {
  if (index >= gst_sdp_message_medias_len(sdp)) return nullptr;
  const GstSDPMedia* media = gst_sdp_message_get_media(sdp, static_cast<guint>(index));
  GstCaps* caps = gst_sdp_media_get_caps_from_media(media, pt);
  if (!caps) return nullptr;
  caps = gst_caps_make_writable(caps);
  for (guint i = 0; i < gst_caps_get_size(caps); ++i)
    gst_structure_set_name(gst_caps_get_structure(caps, i), "application/x-rtp");
  return caps;
}

GstCaps* withPayload(const GstCaps* caps, int pt) {
  GstCaps* out = gst_caps_copy(caps);
  gst_caps_set_simple(out, "payload", G_TYPE_INT, pt, nullptr);
  return out;
}

// The packet with the viewer's payload type, in the programme's running time.
GstBuffer* forViewer(GstBuffer* shared, GstClockTime runningTime, int pt) {
  GstBuffer* buf = gst_buffer_copy(shared);  // shares the memory until it is written
  GST_BUFFER_PTS(buf) = runningTime;
  GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  bool same = false;
  if (gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp)) {
    same = gst_rtp_buffer_get_payload_type(&rtp) == pt;
    gst_rtp_buffer_unmap(&rtp);
  }
  if (!same && gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp)) {
    gst_rtp_buffer_set_payload_type(&rtp, static_cast<guint8>(pt));
    gst_rtp_buffer_unmap(&rtp);
  }
  return buf;
}

}  // namespace

std::string keepCandidatesOn(const std::string& sdp, const std::string& address) {
  if (address.empty()) return sdp;
  std::string out;
  out.reserve(sdp.size());
  std::size_t at = 0;
  while (at < sdp.size()) {
    std::size_t end = sdp.find('\n', at);
    end = end == std::string::npos ? sdp.size() : end + 1;
    const std::string_view line(sdp.data() + at, end - at);
    bool keep = true;
    if (line.rfind("a=candidate:", 0) == 0) {
      // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ …
      std::size_t field = 0, pos = 0;
      std::string_view value;
      while (field <= 4 && pos < line.size()) {
        const std::size_t next = line.find(' ', pos);
        value =
            line.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        ++field;
        if (next == std::string_view::npos) break;
        pos = next + 1;
      }
      keep = field == 5 && value == address;
    }
    if (keep) out.append(line);
    at = end;
  }
  return out;
}

// ---- the bridge -------------------------------------------------------------------------

WebRtcBridge::WebRtcBridge(BridgeSettings settings, asio::io_context& io, Listener& listener,
                           KeyframeRequest keyframe)
    : settings_(std::move(settings)),
      io_(io),
      listener_(listener),
      keyframe_(std::move(keyframe)) {}

WebRtcBridge::~WebRtcBridge() {
  stop();
}

bool WebRtcBridge::start(GstClock* clock, GstClockTime baseTime, std::string* error) {
  if (clock) clock_.reset(GST_CLOCK(gst_object_ref(clock)));
  baseTime_ = baseTime;
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("bridge"))));
  videoIn_ = bridge::makeEncodedIn("bridge-video-in");
  audioIn_ = bridge::makeEncodedIn("bridge-audio-in");
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
    videoIn_ = audioIn_ = videoRtp_ = audioRtp_ = nullptr;
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
  g_object_set(opus, "bitrate", settings_.opusBitrateKbps * 1000, nullptr);
  g_object_set(opay, "pt", 111, nullptr);
  for (GstElement* sink : {videoRtp_, audioRtp_}) {
    g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 200u, "drop", TRUE, nullptr);
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* s, gpointer self) {
      return WebRtcBridge::onRtpSample(GST_ELEMENT(s), self);
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
    pipeline_.reset();
    return false;
  }
  // A relay that cannot open is said in the log; the bridge's own viewers are served anyway.
  for (auto [relay, to, what] : {std::tuple{&videoRelay_, &settings_.relayVideo, "video"},
                                 std::tuple{&audioRelay_, &settings_.relayAudio, "audio"}}) {
    std::string why;
    if (to->port > 0 && !relay->open(to->host, to->port, &why))
      spdlog::error("Cầu truyền hình: không chuyển tiếp {} RTP được tới {}:{}: {}", what, to->host,
                    to->port, why);
    else if (to->port > 0)
      spdlog::info("Cầu truyền hình: chuyển tiếp {} RTP tới {}", what, relay->target());
  }
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    *error = "the video bridge's pipeline does not start";
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    pipeline_.reset();
    return false;
  }
  return true;
}

void WebRtcBridge::stop() {
  std::vector<std::string> ids;
  for (const auto& [id, v] : viewers_) ids.push_back(id);
  for (const auto& id : ids) removeViewer(id, "bridge stopped");
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  if (pipeline_) {
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    pipeline_.reset();
  }
  videoIn_ = audioIn_ = videoRtp_ = audioRtp_ = nullptr;
}

void WebRtcBridge::pushVideo(GstSample* sample) {
  bridge::pushFromKeyframe(videoIn_, sample, sawKeyframe_);
}

void WebRtcBridge::pushAudio(GstSample* sample) {
  if (audioIn_) gst_app_src_push_sample(GST_APP_SRC(audioIn_), sample);
}

std::vector<RelayStats> WebRtcBridge::relays() const {
  std::vector<RelayStats> out;
  for (auto [relay, what] : {std::pair{&videoRelay_, "video"}, std::pair{&audioRelay_, "audio"}})
    if (relay->isOpen()) out.push_back({what, relay->target(), relay->packets(), relay->dropped()});
  return out;
}

std::shared_ptr<const WebRtcBridge::ViewerList> WebRtcBridge::snapshot() const {
  std::lock_guard lock(listMutex_);
  return list_;
}

void WebRtcBridge::publish() {
  auto next = std::make_shared<ViewerList>();
  for (const auto& [id, v] : viewers_) next->push_back(v);
  std::lock_guard lock(listMutex_);
  list_ = std::move(next);
}

GstFlowReturn WebRtcBridge::onRtpSample(GstElement* sink, gpointer data) {
  auto* self = static_cast<WebRtcBridge*>(data);
  GstMiniPtr<GstSample> sample(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
  if (!sample) return GST_FLOW_OK;
  const bool video = sink == self->videoRtp_;
  GstBuffer* buf = gst_sample_get_buffer(sample.get());
  if (!buf) return GST_FLOW_OK;
  {
    std::lock_guard lock(self->capsMutex_);
    auto& caps = video ? self->videoCaps_ : self->audioCaps_;
    GstCaps* now = gst_sample_get_caps(sample.get());
    if (now && (!caps || !gst_caps_is_equal(caps.get(), now))) caps.reset(gst_caps_copy(now));
  }
  GstClockTime rt = GST_BUFFER_PTS(buf);
  if (const GstSegment* seg = gst_sample_get_segment(sample.get());
      seg && GST_CLOCK_TIME_IS_VALID(rt))
    rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME, rt);
  (video ? self->videoRelay_ : self->audioRelay_).send(buf);
  const auto viewers = self->snapshot();
  for (const auto& v : *viewers) {
    if (!v->open) continue;
    GstElement* src = video ? v->videoSrc : v->audioSrc;
    if (!src) continue;
    const int pt = video ? v->choice.videoPt : v->choice.audioPt;
    gst_app_src_push_buffer(GST_APP_SRC(src), forViewer(buf, rt, pt));
  }
  return GST_FLOW_OK;
}

std::optional<std::string> WebRtcBridge::addViewer(const std::string& offerSdp, Answer answer,
                                                   int* status, std::string* error) {
  if (!pipeline_) {
    *status = 503;
    *error = "the video bridge is not running";
    return std::nullopt;
  }
  if (viewers_.size() >= settings_.maxViewers) {
    *status = 503;
    *error = "the bridge already serves its " + std::to_string(settings_.maxViewers) +
             " viewers ([bridge] max_viewers); try again later";
    return std::nullopt;
  }
  auto choice = chooseFromOffer(offerSdp, settings_.h264Profile, error);
  if (!choice) {
    *status = 400;
    return std::nullopt;
  }
  GstSDPMessage* sdp = nullptr;
  if (gst_sdp_message_new_from_text(offerSdp.c_str(), &sdp) != GST_SDP_OK || !sdp) {
    if (sdp) gst_sdp_message_free(sdp);
    *status = 400;
    *error = "the SDP offer cannot be parsed";
    return std::nullopt;
  }
  GstMiniPtr<GstCaps> videoCaps, audioCaps;
  {
    std::lock_guard lock(capsMutex_);
    if (videoCaps_) videoCaps.reset(withPayload(videoCaps_.get(), choice->videoPt));
    if (audioCaps_ && choice->audioPt >= 0)
      audioCaps.reset(withPayload(audioCaps_.get(), choice->audioPt));
  }
  if (!videoCaps) {
    gst_sdp_message_free(sdp);
    *status = 503;
    *error = "the programme has not produced its first picture yet; try again in a moment";
    return std::nullopt;
  }
  GstMiniPtr<GstCaps> videoWanted(offerCaps(sdp, choice->videoIndex, choice->videoPt));
  GstMiniPtr<GstCaps> audioWanted(audioCaps ? offerCaps(sdp, choice->audioIndex, choice->audioPt)
                                            : nullptr);
  // The encode is labelled with the profile-level-id the offer chose (chooseFromOffer matched
  // the profile already: main and high decode whatever a browser offers): webrtcbin pairs
  // the offer's m-line with our stream only if their caps intersect, and the encoder's own
  // 4d401f does not intersect a browser's 4d001f.
  if (videoWanted && gst_caps_get_size(videoWanted.get()) > 0) {
    if (const gchar* level = gst_structure_get_string(gst_caps_get_structure(videoWanted.get(), 0),
                                                      "profile-level-id"))
      gst_caps_set_simple(videoCaps.get(), "profile-level-id", G_TYPE_STRING, level, nullptr);
  }
  // What webrtcbin could not pair it would still start, and then abort the whole process
  // (gstwebrtcbin.c asserts a sending transceiver has a stream): refused here instead.
  if (!videoWanted || !gst_caps_can_intersect(videoWanted.get(), videoCaps.get()) ||
      (audioCaps &&
       (!audioWanted || !gst_caps_can_intersect(audioWanted.get(), audioCaps.get())))) {
    gst_sdp_message_free(sdp);
    *status = 400;
    *error = "the offer's H.264 or Opus parameters do not match what the bridge sends";
    return std::nullopt;
  }

  auto v = std::make_shared<Viewer>();
  v->id = "w" + std::to_string(nextId_++);
  v->choice = *choice;
  v->io = &io_;
  v->bridge = this;
  v->alive = alive_;
  v->keyframe = keyframe_;
  v->address = settings_.address;
  v->answer = std::move(answer);
  v->pipeline.reset(
      GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(("viewer-" + v->id).c_str()))));
  v->webrtc = gst_element_factory_make("webrtcbin", "webrtc");
  v->videoSrc = makeViewerSrc("video", videoCaps.get());
  if (audioCaps) v->audioSrc = makeViewerSrc("audio", audioCaps.get());
  GstBin* bin = GST_BIN(v->pipeline.get());
  gst_bin_add_many(bin, v->webrtc, v->videoSrc, nullptr);
  if (v->audioSrc) gst_bin_add(bin, v->audioSrc);
  gst_util_set_object_arg(G_OBJECT(v->webrtc), "bundle-policy", "max-bundle");
  GstWebRTCICE* iceOut = nullptr;
  g_object_get(v->webrtc, "ice-agent", &iceOut, nullptr);
  if (GstPtr<GstWebRTCICE> ice(iceOut); ice) {
    if (settings_.minPort > 0 && settings_.maxPort >= settings_.minPort)
      g_object_set(ice.get(), "min-rtp-port", static_cast<guint>(settings_.minPort), "max-rtp-port",
                   static_cast<guint>(settings_.maxPort), nullptr);
    // libnice asks the LAN's router for a port mapping (UPnP IGD) for every session by
    // default: the province's server has its own address, and 96 viewers would be 96 rounds
    // of SSDP on its network.
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice.get()), "agent")) {
      GObject* agentOut = nullptr;
      g_object_get(ice.get(), "agent", &agentOut, nullptr);
      GObjectPtr<GObject> agent(agentOut);
      if (agent && g_object_class_find_property(G_OBJECT_GET_CLASS(agent.get()), "upnp"))
        g_object_set(agent.get(), "upnp", FALSE, nullptr);
    }
  }

  auto link = [&](GstElement* src, std::size_t index, int pt) {
    GstPtr<GstPad> sinkPad(gst_element_request_pad_simple(v->webrtc, "sink_%u"));
    GstPtr<GstPad> srcPad(gst_element_get_static_pad(src, "src"));
    if (!sinkPad || gst_pad_link(srcPad.get(), sinkPad.get()) != GST_PAD_LINK_OK) return false;
    GstWebRTCRTPTransceiver* transOut = nullptr;
    g_object_get(sinkPad.get(), "transceiver", &transOut, nullptr);
    GstPtr<GstWebRTCRTPTransceiver> trans(transOut);
    if (!trans) return false;
    GstMiniPtr<GstCaps> prefs(offerCaps(sdp, index, pt));
    g_object_set(trans.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                 "codec-preferences", prefs.get(), nullptr);
    return true;
  };
  bool linked = link(v->videoSrc, choice->videoIndex, choice->videoPt);
  if (linked && v->audioSrc) linked = link(v->audioSrc, choice->audioIndex, choice->audioPt);
  if (!linked) {
    gst_sdp_message_free(sdp);
    *status = 500;
    *error = "cannot set up the viewer's WebRTC session";
    return std::nullopt;
  }
  {
    GstPtr<GstPad> pad(gst_element_get_static_pad(v->videoSrc, "src"));
    gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, v.get(),
                      nullptr);
  }
  g_signal_connect_data(v->webrtc, "notify::ice-gathering-state", G_CALLBACK(onGatheringState),
                        weakData(v), freeWeak, GConnectFlags(0));
  g_signal_connect_data(v->webrtc, "notify::connection-state", G_CALLBACK(onConnectionState),
                        weakData(v), freeWeak, GConnectFlags(0));
  {
    GstPtr<GstBus> bus(gst_element_get_bus(v->pipeline.get()));
    gst_bus_set_sync_handler(bus.get(), onViewerBus, weakData(v), freeWeakNotify);
  }
  // The viewer runs on the programme's clock and running time: packets are stamped with it.
  if (clock_) {
    gst_pipeline_use_clock(GST_PIPELINE(v->pipeline.get()), clock_.get());
    gst_element_set_start_time(v->pipeline.get(), GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(v->pipeline.get(), baseTime_);
  }
  if (gst_element_set_state(v->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gst_sdp_message_free(sdp);
    gst_element_set_state(v->pipeline.get(), GST_STATE_NULL);
    *status = 500;
    *error = "the viewer's WebRTC session does not start";
    return std::nullopt;
  }
  GstWebRTCSessionDescription* offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  GstPromise* promise = gst_promise_new_with_change_func(onRemoteSet, weakData(v), freeWeakNotify);
  g_signal_emit_by_name(v->webrtc, "set-remote-description", offer, promise);
  gst_webrtc_session_description_free(offer);  // frees sdp too

  // Host candidates come in milliseconds, but libnice calls gathering complete only after
  // every interface and TCP candidate (about 0.5 s). The viewer's own candidates, in its
  // offer, are enough for the checks to succeed (ours are learnt as peer-reflexive), so the
  // answer goes out once it has a host candidate, checked every 20 ms, and at 2 s whatever.
  v->deadline = std::make_shared<asio::steady_timer>(io_);
  answerWhenReady(v, Steady::now() + std::chrono::milliseconds(2000));
  viewers_[v->id] = v;
  publish();
  return v->id;
}

void WebRtcBridge::answerWhenReady(const std::shared_ptr<Viewer>& v, Steady::time_point until) {
  v->deadline->expires_after(std::chrono::milliseconds(20));
  v->deadline->async_wait(
      [this, weak = WeakViewer(v), alive = alive_, until](boost::system::error_code ec) {
        if (ec || !*alive) return;
        auto viewer = weak.lock();
        if (!viewer || viewer->answered) return;
        std::string sdpText = keepCandidatesOn(localDescription(viewer->webrtc), settings_.address);
        const bool ready = sdpText.find("a=candidate:") != std::string::npos;
        if (!ready && Steady::now() < until) return answerWhenReady(viewer, until);
        if (viewer->answered.exchange(true)) return;
        spdlog::debug("Cầu truyền hình: trả lời phiên {} sau {} ms", viewer->id,
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          Steady::now() - (until - std::chrono::milliseconds(2000)))
                          .count());
        auto a = std::move(viewer->answer);
        if (sdpText.empty()) {
          if (a) a(500, "the bridge could not produce an answer in time");
          removeViewer(viewer->id, "no answer");
          return;
        }
        if (a) a(201, std::move(sdpText));
      });
}

bool WebRtcBridge::removeViewer(const std::string& sessionId, const std::string& reason) {
  auto it = viewers_.find(sessionId);
  if (it == viewers_.end()) return false;
  std::shared_ptr<Viewer> v = std::move(it->second);
  viewers_.erase(it);
  v->open = false;
  publish();
  if (v->deadline) v->deadline->cancel();
  if (!v->answered.exchange(true))
    if (auto a = std::move(v->answer)) a(500, "the session ended before it was answered");
  if (v->rtpSession && v->rtcpHandler)
    g_signal_handler_disconnect(v->rtpSession.get(), v->rtcpHandler);
  v->rtpSession.reset();
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_set_state(v->pipeline.get(), GST_STATE_NULL);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (took > std::chrono::milliseconds(100))
    spdlog::debug("Cầu truyền hình: dừng phiên {} mất {} ms", v->id, took.count());
  listener_.onViewerGone(v->id, reason);
  return true;
}

namespace {

void onStats(GstPromise* promise, gpointer data) {
  auto v = static_cast<WeakViewer*>(data)->lock();
  const GstStructure* reply = gst_promise_get_reply(promise);
  if (!v || !reply) {
    gst_promise_unref(promise);
    return;
  }
  ViewerStats stats;
  stats.sessionId = v->id;
  const int n = gst_structure_n_fields(reply);
  for (int i = 0; i < n; ++i) {
    const GValue* value = gst_structure_get_value(reply, gst_structure_nth_field_name(reply, i));
    if (!value || !GST_VALUE_HOLDS_STRUCTURE(value)) continue;
    const GstStructure* s = gst_value_get_structure(value);
    GstWebRTCStatsType type;
    if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) continue;
    // The worst of the audio and video reports speaks for the link.
    auto worst = [&](std::optional<double>& into, const char* field, double scale) {
      const auto v = bridge::statNumber(s, field);
      if (v && (!into || *v * scale > *into)) into = *v * scale;
    };
    if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
      worst(stats.rttMs, "round-trip-time", 1000);
      worst(stats.lossPercent, "fraction-lost", 100);
      worst(stats.jitterMs, "jitter", 1000);
    } else if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
      stats.bytesSent +=
          static_cast<std::uint64_t>(bridge::statNumber(s, "bytes-sent").value_or(0));
      stats.packetsSent +=
          static_cast<std::uint64_t>(bridge::statNumber(s, "packets-sent").value_or(0));
    }
  }
  gst_promise_unref(promise);
  toIo(v, [v, stats]() mutable {
    stats.connected = v->connected;
    const gint64 rtcp = v->lastRtcpUs;
    stats.freshReport = rtcp != v->lastPolledRtcpUs && rtcp != 0;
    v->lastPolledRtcpUs = rtcp;
    v->bridge->listener().onViewerStats(stats);
  });
}

}  // namespace

void WebRtcBridge::poll() {
  for (auto& [id, v] : viewers_) {
    if (!v->connected) continue;
    // The viewer's RTCP (receiver reports, feedback) says it is still there.
    if (!v->rtpSession) {
      GstPtr<GstElement> rtpbin(gst_bin_get_by_name(GST_BIN(v->webrtc), "rtpbin"));
      if (rtpbin) {
        GObject* session = nullptr;
        g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, &session);
        if (session) {
          v->rtpSession.reset(session);
          v->rtcpHandler = g_signal_connect_data(session, "on-receiving-rtcp", G_CALLBACK(onRtcp),
                                                 weakData(v), freeWeak, GConnectFlags(0));
        }
      }
    }
    GstPromise* p = gst_promise_new_with_change_func(onStats, weakData(v), freeWeakNotify);
    g_signal_emit_by_name(v->webrtc, "get-stats", nullptr, p);
  }
}

}  // namespace ceremony::media
