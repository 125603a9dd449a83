#include "pipelines/bridge/WebRtcViewer.h"

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API  // GstWebRTC's headers ask for it in 1.22
#endif
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "pipelines/bridge/EncodedIn.h"

namespace ceremony::media {
namespace bridge {

namespace {

namespace asio = boost::asio;

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

void onGatheringState(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto v = static_cast<WeakViewer*>(data)->lock();
  if (!v) return;
  GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  std::string sdp = v->answerSdp();
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

void onAnswerCreated(GstPromise* promiseIn, gpointer data) {
  GstMiniPtr<GstPromise> promise(promiseIn);
  auto v = static_cast<WeakViewer*>(data)->lock();
  SessionDescriptionPtr answer = answerOf(promise.get());
  promise.reset();
  if (!v) return;
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
  g_signal_emit_by_name(v->webrtc, "set-local-description", answer.get(), nullptr);
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
    v->sending = true;
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
    v->sending = false;
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

// A viewer's pad answers what webrtcbin asks upstream: its caps, and that it is live.
gboolean onPadQuery(GstPad* pad, GstObject*, GstQuery* query) {
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_CAPS: {
      GstCaps* filter = nullptr;
      gst_query_parse_caps(query, &filter);
      auto* mine = static_cast<GstCaps*>(gst_pad_get_element_private(pad));
      GstMiniPtr<GstCaps> out(filter
                                  ? gst_caps_intersect_full(filter, mine, GST_CAPS_INTERSECT_FIRST)
                                  : gst_caps_ref(mine));
      gst_query_set_caps_result(query, out.get());
      return TRUE;
    }
    case GST_QUERY_LATENCY:
      gst_query_set_latency(query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    default:
      return FALSE;
  }
}

// A pad of the bridge's that feeds one of the viewer's streams: active, answering with
// `caps` (the viewer's, which outlive the pad).
GstPtr<GstPad> makeViewerPad(const char* name, GstCaps* caps) {
  GstPtr<GstPad> pad(GST_PAD(gst_object_ref_sink(gst_pad_new(name, GST_PAD_SRC))));
  gst_pad_set_element_private(pad.get(), caps);
  gst_pad_set_query_function(pad.get(), onPadQuery);
  gst_pad_set_active(pad.get(), TRUE);
  return pad;
}

// The events a stream starts with (held by the pad until its first packet goes): stream
// start, the caps and a segment in the programme's running time.
void startStream(GstPad* pad, GstCaps* caps, const std::string& id) {
  gst_pad_push_event(pad, gst_event_new_stream_start(id.c_str()));
  gst_pad_push_event(pad, gst_event_new_caps(caps));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(pad, gst_event_new_segment(&segment));
}

}  // namespace

// A push on its way through the pad meets a flushing pad; the pad itself stays with the
// viewer, which the pushing thread holds while it pushes.
void detachViewerPad(GstPad* pad) {
  if (!pad) return;
  gst_pad_set_active(pad, FALSE);
  if (GstPad* peer = gst_pad_get_peer(pad)) {
    gst_pad_unlink(pad, peer);
    gst_object_unref(peer);
  }
}

void configureIce(GstElement* webrtc, int minPort, int maxPort) {
  GstWebRTCICE* iceOut = nullptr;
  g_object_get(webrtc, "ice-agent", &iceOut, nullptr);
  GstPtr<GstWebRTCICE> ice(iceOut);
  if (!ice) return;
  if (minPort > 0 && maxPort >= minPort)
    g_object_set(ice.get(), "min-rtp-port", static_cast<guint>(minPort), "max-rtp-port",
                 static_cast<guint>(maxPort), nullptr);
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

void SessionDescriptionFree::operator()(GstWebRTCSessionDescription* d) const {
  if (d) gst_webrtc_session_description_free(d);
}

SessionDescriptionPtr answerOf(GstPromise* promise) {
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* out = nullptr;
  if (reply && gst_structure_has_field(reply, "answer"))
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &out, nullptr);
  return SessionDescriptionPtr(out);
}

std::string localDescription(GstElement* webrtc) {
  GstWebRTCSessionDescription* descOut = nullptr;
  g_object_get(webrtc, "local-description", &descOut, nullptr);
  SessionDescriptionPtr desc(descOut);
  if (!desc) return {};
  GCharPtr text(gst_sdp_message_as_text(desc->sdp));
  return text ? text.get() : "";
}

namespace {

// webrtcbin puts a clocksync in front of each stream it sends, which waits on the clock for
// every packet: the bridge's packets come from a live encode, paced already, and a clock
// wait per packet per viewer is CPU the 96th viewer needs.
void onElementAdded(GstBin*, GstBin*, GstElement* element, gpointer) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (factory && g_strcmp0(GST_OBJECT_NAME(factory), "clocksync") == 0)
    g_object_set(element, "sync", FALSE, nullptr);
}

// Links `srcPad` to a new webrtcbin sink pad whose transceiver sends what the offer's m-line
// `index` asked for as `pt`.
bool linkToWebrtc(GstElement* webrtc, GstPad* srcPad, const GstSDPMessage* offer, std::size_t index,
                  int pt) {
  GstPtr<GstPad> sinkPad(gst_element_request_pad_simple(webrtc, "sink_%u"));
  if (!sinkPad || gst_pad_link(srcPad, sinkPad.get()) != GST_PAD_LINK_OK) return false;
  GstWebRTCRTPTransceiver* transOut = nullptr;
  g_object_get(sinkPad.get(), "transceiver", &transOut, nullptr);
  GstPtr<GstWebRTCRTPTransceiver> trans(transOut);
  if (!trans) return false;
  GstMiniPtr<GstCaps> prefs = offerCaps(offer, index, pt);
  g_object_set(trans.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
               "codec-preferences", prefs.get(), nullptr);
  return true;
}

}  // namespace

bool startViewer(const std::shared_ptr<Viewer>& v, ViewerStart start, int* status,
                 std::string* error) {
  v->pipeline.reset(
      GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(("viewer-" + v->id).c_str()))));
  v->webrtc = gst_element_factory_make("webrtcbin", "webrtc");
  v->videoCaps.reset(gst_caps_ref(start.videoCaps));
  v->videoPad = makeViewerPad("video", v->videoCaps.get());
  if (start.audioCaps) {
    v->audioCaps.reset(gst_caps_ref(start.audioCaps));
    v->audioPad = makeViewerPad("audio", v->audioCaps.get());
  }
  GstBin* bin = GST_BIN(v->pipeline.get());
  g_signal_connect(bin, "deep-element-added", G_CALLBACK(onElementAdded), nullptr);
  gst_bin_add(bin, v->webrtc);
  gst_util_set_object_arg(G_OBJECT(v->webrtc), "bundle-policy", "max-bundle");
  configureIce(v->webrtc, start.minPort, start.maxPort);

  const OfferChoice& choice = v->choice;
  bool linked = linkToWebrtc(v->webrtc, v->videoPad.get(), start.offer.get(), choice.videoIndex,
                             choice.videoPt);
  if (linked && v->audioPad)
    linked = linkToWebrtc(v->webrtc, v->audioPad.get(), start.offer.get(), choice.audioIndex,
                          choice.audioPt);
  if (!linked) {
    *status = 500;
    *error = "cannot set up the viewer's WebRTC session";
    return false;
  }
  startStream(v->videoPad.get(), start.videoCaps, v->id + "/video");
  if (v->audioPad) startStream(v->audioPad.get(), start.audioCaps, v->id + "/audio");
  gst_pad_add_probe(v->videoPad.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, v.get(),
                    nullptr);
  g_signal_connect_data(v->webrtc, "notify::ice-gathering-state", G_CALLBACK(onGatheringState),
                        weakData(v), freeWeak, GConnectFlags(0));
  g_signal_connect_data(v->webrtc, "notify::connection-state", G_CALLBACK(onConnectionState),
                        weakData(v), freeWeak, GConnectFlags(0));
  {
    GstPtr<GstBus> bus(gst_element_get_bus(v->pipeline.get()));
    gst_bus_set_sync_handler(bus.get(), onViewerBus, weakData(v), freeWeakNotify);
  }
  // The viewer runs on the programme's clock and running time: packets are stamped with it.
  if (start.clock) {
    gst_pipeline_use_clock(GST_PIPELINE(v->pipeline.get()), start.clock);
    gst_element_set_start_time(v->pipeline.get(), GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(v->pipeline.get(), start.baseTime);
  }
  if (gst_element_set_state(v->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gst_element_set_state(v->pipeline.get(), GST_STATE_NULL);
    *status = 500;
    *error = "the viewer's WebRTC session does not start";
    return false;
  }
  // The description takes the SDP message.
  SessionDescriptionPtr offer(
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, start.offer.release()));
  GstPromise* promise = gst_promise_new_with_change_func(onRemoteSet, weakData(v), freeWeakNotify);
  g_signal_emit_by_name(v->webrtc, "set-remote-description", offer.get(), promise);
  return true;
}

// ---- statistics -------------------------------------------------------------------------

namespace {

void onStats(GstPromise* promiseIn, gpointer data) {
  GstMiniPtr<GstPromise> promise(promiseIn);
  auto v = static_cast<WeakViewer*>(data)->lock();
  const GstStructure* reply = gst_promise_get_reply(promise.get());
  if (!v || !reply) return;
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
      const auto v = statNumber(s, field);
      if (v && (!into || *v * scale > *into)) into = *v * scale;
    };
    if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
      worst(stats.rttMs, "round-trip-time", 1000);
      worst(stats.lossPercent, "fraction-lost", 100);
      worst(stats.jitterMs, "jitter", 1000);
    } else if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
      stats.bytesSent += static_cast<std::uint64_t>(statNumber(s, "bytes-sent").value_or(0));
      stats.packetsSent += static_cast<std::uint64_t>(statNumber(s, "packets-sent").value_or(0));
    }
  }
  promise.reset();
  toIo(v, [v, stats]() mutable {
    stats.connected = v->connected;
    const gint64 rtcp = v->lastRtcpUs;
    stats.freshReport = rtcp != v->lastPolledRtcpUs && rtcp != 0;
    v->lastPolledRtcpUs = rtcp;
    v->bridge->listener().onViewerStats(stats);
  });
}

}  // namespace

void requestStats(const std::shared_ptr<Viewer>& v) {
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

}  // namespace bridge

std::string WebRtcBridge::Viewer::answerSdp() const {
  return keepCandidatesOn(bridge::localDescription(webrtc), address);
}

void WebRtcBridge::Viewer::send(bool video, GstBuffer* rtp) {
  GstPad* pad = video ? videoPad.get() : audioPad.get();
  if (!pad || !open || !sending) {
    gst_buffer_unref(rtp);
    return;
  }
  gst_pad_push(pad, rtp);  // a viewer's failure is its bus's error, not the pusher's
}

void WebRtcBridge::Viewer::stop() {
  open = false;
  sending = false;
  if (rtpSession && rtcpHandler) g_signal_handler_disconnect(rtpSession.get(), rtcpHandler);
  rtpSession.reset();
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  bridge::detachViewerPad(videoPad.get());
  bridge::detachViewerPad(audioPad.get());
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (took > std::chrono::milliseconds(100))
    spdlog::debug("Cầu truyền hình: dừng phiên {} mất {} ms", id, took.count());
}

}  // namespace ceremony::media
