#include "pipelines/bridge/ReturnFeed.h"

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API  // GstWebRTC's headers ask for it in 1.22
#endif
#include <gst/webrtc/webrtc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <string_view>
#include <utility>

#include "pipelines/bridge/EncodedIn.h"
#include "pipelines/bridge/RtpPayload.h"
#include "pipelines/bridge/WebRtcViewer.h"
#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

namespace asio = boost::asio;

namespace {

using WeakFeed = std::weak_ptr<ReturnFeed>;
gpointer weakData(const std::shared_ptr<ReturnFeed>& f) {
  return new WeakFeed(f);
}
void freeWeak(gpointer p, GClosure*) {
  delete static_cast<WeakFeed*>(p);
}
void freeWeakNotify(gpointer p) {
  delete static_cast<WeakFeed*>(p);
}

using bridge::SessionDescriptionPtr;

}  // namespace

// webrtcbin's signals and promises, on its threads: each finds the feed through a weak
// reference and posts what the io_context must hear.
struct ReturnFeed::Signals {
  template <class F>
  static void toIo(const std::shared_ptr<ReturnFeed>& f, F&& fn) {
    asio::post(f->io_, [alive = f->alive_, fn = std::forward<F>(fn)]() mutable {
      if (*alive) fn();
    });
  }

  // A stream the point sends: through the gate to its decoder (FeedPicture). The picture is
  // depayloaded first, so the gate sees whole frames and knows a keyframe.
  static void onIncomingPad(GstElement* webrtc, GstPad* pad, gpointer data) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    FeedPicture& picture = **static_cast<std::shared_ptr<FeedPicture>*>(data);
    GstMiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
    const GstStructure* s = caps ? gst_caps_get_structure(caps.get(), 0) : nullptr;
    const char* media = s ? gst_structure_get_string(s, "media") : nullptr;
    if (!media || std::string_view(media) != "video") return picture.linkAudio(pad);
    GstElement* bin = GST_ELEMENT(gst_element_get_parent(webrtc));
    if (!bin) return;
    GstElement* depay = bins::make("rtph264depay");
    // A lost packet asks for a keyframe; nothing before the first one is decoded.
    g_object_set(depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, nullptr);
    gst_bin_add(GST_BIN(bin), depay);
    gst_element_sync_state_with_parent(depay);
    GstPtr<GstPad> in(gst_element_get_static_pad(depay, "sink"));
    GstPtr<GstPad> out(gst_element_get_static_pad(depay, "src"));
    picture.linkVideo(out.get(), in.get());
    gst_pad_link(pad, in.get());
    gst_object_unref(bin);
  }

  static void onGatheringState(GstElement* webrtc, GParamSpec*, gpointer data) {
    auto f = static_cast<WeakFeed*>(data)->lock();
    if (!f) return;
    GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
    g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
    if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
    std::string sdp = keepCandidatesOn(bridge::localDescription(webrtc), f->start_.address);
    if (sdp.empty()) return;
    toIo(f, [f, sdp = std::move(sdp)]() mutable { f->sendAnswer(201, std::move(sdp)); });
  }

  static void onConnectionState(GstElement* webrtc, GParamSpec*, gpointer data) {
    auto f = static_cast<WeakFeed*>(data)->lock();
    if (!f) return;
    GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
    g_object_get(webrtc, "connection-state", &state, nullptr);
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
      if (f->connected_.exchange(true)) return;
      toIo(f, [f] { f->listener_.onReturnConnected(f->pointId(), f->sessionId()); });
    } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
               state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) {
      const char* why = state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED
                            ? "ICE/DTLS failed"
                            : "the point closed the connection";
      f->connected_ = false;
      toIo(f, [f, why] { f->listener_.onReturnEnded(f->pointId(), f->sessionId(), why); });
    }
  }

  static void onAnswerCreated(GstPromise* promiseIn, gpointer data) {
    GstMiniPtr<GstPromise> promise(promiseIn);
    auto f = static_cast<WeakFeed*>(data)->lock();
    SessionDescriptionPtr answer = bridge::answerOf(promise.get());
    promise.reset();
    if (!f || f->stopped_) return;
    if (!answer) {
      toIo(f, [f] {
        f->sendAnswer(400, "the offer cannot be answered: the bridge receives H.264 and Opus");
      });
      return;
    }
    g_signal_emit_by_name(f->webrtc_, "set-local-description", answer.get(), nullptr);
  }

  // The offer is set: webrtcbin made a transceiver per m-line. Each receives only what the
  // bridge decodes (the payload types chosen from the offer), and the answer follows.
  static void onRemoteSet(GstPromise* promise, gpointer data) {
    gst_promise_unref(promise);
    auto f = static_cast<WeakFeed*>(data)->lock();
    if (!f || f->stopped_) return;
    GArray* transceivers = nullptr;
    g_signal_emit_by_name(f->webrtc_, "get-transceivers", &transceivers);
    for (guint i = 0; transceivers && i < transceivers->len; ++i) {
      auto* t = g_array_index(transceivers, GstWebRTCRTPTransceiver*, i);
      guint mline = 0;
      g_object_get(t, "mlineindex", &mline, nullptr);
      GstCaps* prefs = mline == f->choice_.videoIndex ? f->videoCaps_.get()
                       : f->choice_.audioPt >= 0 && mline == f->choice_.audioIndex
                           ? f->audioCaps_.get()
                           : nullptr;
      g_object_set(t, "direction",
                   prefs ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY
                         : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE,
                   nullptr);
      if (prefs) g_object_set(t, "codec-preferences", prefs, nullptr);
    }
    if (transceivers) g_array_unref(transceivers);
    GstPromise* next =
        gst_promise_new_with_change_func(onAnswerCreated, weakData(f), freeWeakNotify);
    g_signal_emit_by_name(f->webrtc_, "create-answer", nullptr, next);
  }

  static void onStats(GstPromise* promiseIn, gpointer data) {
    GstMiniPtr<GstPromise> promise(promiseIn);
    auto f = static_cast<WeakFeed*>(data)->lock();
    const GstStructure* reply = gst_promise_get_reply(promise.get());
    if (!f || !reply) return;
    ReturnFeedStats stats;
    const int n = gst_structure_n_fields(reply);
    for (int i = 0; i < n; ++i) {
      const GValue* value = gst_structure_get_value(reply, gst_structure_nth_field_name(reply, i));
      if (!value || !GST_VALUE_HOLDS_STRUCTURE(value)) continue;
      const GstStructure* s = gst_value_get_structure(value);
      GstWebRTCStatsType type;
      if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr) ||
          type != GST_WEBRTC_STATS_INBOUND_RTP)
        continue;
      stats.bytesReceived +=
          static_cast<std::uint64_t>(bridge::statNumber(s, "bytes-received").value_or(0));
      stats.packetsLost +=
          static_cast<std::uint64_t>(bridge::statNumber(s, "packets-lost").value_or(0));
      if (const auto j = bridge::statNumber(s, "jitter"))
        stats.jitterMs = std::max(stats.jitterMs.value_or(0), *j * 1000);
    }
    promise.reset();
    toIo(f, [f, stats] { f->listener_.onReturnStats(f->pointId(), f->sessionId(), stats); });
  }
};

ReturnFeed::ReturnFeed(asio::io_context& io, Listener& listener, ReturnFeedStart start)
    : io_(io), listener_(listener), start_(std::move(start)) {}

ReturnFeed::~ReturnFeed() {
  stop("");
}

bool ReturnFeed::start(Answer answer, int* status, std::string* error) {
  // A camera from a browser or an encoder: any H.264 it sends decodes; constrained baseline
  // is what every browser encodes in software.
  auto choice = chooseFromOffer(start_.offerSdp, "baseline", error);
  if (!choice) {
    *status = 400;
    return false;
  }
  choice_ = *choice;
  bridge::SdpMessagePtr offer = bridge::parseSdp(start_.offerSdp);
  if (!offer) {
    *status = 400;
    *error = "the SDP offer cannot be read";
    return false;
  }
  videoCaps_ = bridge::offerCaps(offer.get(), choice_.videoIndex, choice_.videoPt);
  if (choice_.audioPt >= 0)
    audioCaps_ = bridge::offerCaps(offer.get(), choice_.audioIndex, choice_.audioPt);
  if (!videoCaps_) {
    *status = 400;
    *error = "the offer's H.264 payload type cannot be read";
    return false;
  }

  const ProgrammeFormat& f = start_.format;
  GstElement* bin = gst_bin_new(("return-" + start_.pointId).c_str());
  webrtc_ = bins::make("webrtcbin", "webrtc");
  if (!webrtc_) {
    gst_object_unref(gst_object_ref_sink(bin));
    *status = 500;
    *error = "webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)";
    return false;
  }
  gst_bin_add(GST_BIN(bin), webrtc_);
  gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
  bridge::configureIce(webrtc_, start_.minPort, start_.maxPort);
  picture_ = std::make_shared<FeedPicture>(bin, f, start_.name.empty() ? pointId() : start_.name,
                                           start_.target.watch, start_.decode);
  g_signal_connect_data(
      webrtc_, "pad-added", G_CALLBACK(Signals::onIncomingPad),
      new std::shared_ptr<FeedPicture>(picture_),
      [](gpointer data, GClosure*) { delete static_cast<std::shared_ptr<FeedPicture>*>(data); },
      GConnectFlags(0));
  auto self = shared_from_this();
  g_signal_connect_data(webrtc_, "notify::ice-gathering-state",
                        G_CALLBACK(Signals::onGatheringState), weakData(self), freeWeak,
                        GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::connection-state", G_CALLBACK(Signals::onConnectionState),
                        weakData(self), freeWeak, GConnectFlags(0));

  // The pipeline's end or error is the programme's loss (its card) and this session's end.
  auto lost = [programme = start_.target.lost, weak = WeakFeed(self)](InputWatch& w, gint64 nowUs,
                                                                      const std::string& reason) {
    if (programme) programme(w, nowUs, reason);
    if (auto f = weak.lock())
      Signals::toIo(f, [f, reason] {
        f->listener_.onReturnEnded(f->pointId(), f->sessionId(), "media error: " + reason);
      });
  };
  if (!pipeline_.startWith(bin, "return-" + start_.pointId, true, f, start_.target.channel,
                           start_.target.watch, lost, error)) {
    *status = 500;
    webrtc_ = nullptr;
    return false;
  }
  answer_ = std::move(answer);
  SessionDescriptionPtr description(
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, offer.release()));
  GstPromise* promise =
      gst_promise_new_with_change_func(Signals::onRemoteSet, weakData(self), freeWeakNotify);
  g_signal_emit_by_name(webrtc_, "set-remote-description", description.get(), promise);
  answerWhenReady(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  return true;
}

// The answer goes once ICE gathering completes, or at `until` with the candidates it has
// (a machine with an interface that never answers STUN must not keep the point waiting).
void ReturnFeed::answerWhenReady(std::chrono::steady_clock::time_point until) {
  deadline_ = std::make_shared<asio::steady_timer>(io_, until);
  deadline_->async_wait(
      [weak = WeakFeed(shared_from_this()), alive = alive_](const boost::system::error_code& ec) {
        auto f = weak.lock();
        if (ec || !f || !*alive || f->answered_) return;
        std::string sdp = keepCandidatesOn(bridge::localDescription(f->webrtc_), f->start_.address);
        if (sdp.empty())
          f->sendAnswer(500, "the bridge could not answer the offer in time");
        else
          f->sendAnswer(201, std::move(sdp));
      });
}

void ReturnFeed::sendAnswer(int status, std::string body) {
  if (answered_.exchange(true)) return;
  if (deadline_) deadline_->cancel();
  if (status == 201) body = withVideoBitrate(body, start_.maxKbps);
  if (auto a = std::move(answer_)) a(status, std::move(body));
  if (status != 201)
    listener_.onReturnEnded(pointId(), sessionId(),
                            "offer not answered: " + std::to_string(status));
}

void ReturnFeed::poll() {
  if (stopped_ || !webrtc_ || !connected_) return;
  GstPromise* p = gst_promise_new_with_change_func(Signals::onStats, weakData(shared_from_this()),
                                                   freeWeakNotify);
  g_signal_emit_by_name(webrtc_, "get-stats", nullptr, p);
}

bool ReturnFeed::decoding() const {
  return picture_ && picture_->decoding();
}

void ReturnFeed::setDecoding(bool on) {
  if (picture_ && !stopped_) picture_->setDecoding(on);
}

void ReturnFeed::showOnTile(const std::optional<TileTarget>& tile) {
  if (picture_ && !stopped_) picture_->showOnTile(tile);
}

std::optional<TileTarget> ReturnFeed::tile() const {
  return picture_ ? picture_->tile() : std::nullopt;
}

void ReturnFeed::stop(const std::string& reason) {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  connected_ = false;
  if (deadline_) deadline_->cancel();
  GstPtr<GstElement> pipeline = pipeline_.release();  // what it still says is of the past
  // Its card from the next programme frame, not after the signal timeout.
  if (!reason.empty() && start_.target.lost && start_.target.watch)
    start_.target.lost(*start_.target.watch, g_get_monotonic_time(), reason);
  if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  webrtc_ = nullptr;  // its callbacks have all returned: the pipeline is stopped
  if (picture_) picture_->stopped();
}

}  // namespace ceremony::media
