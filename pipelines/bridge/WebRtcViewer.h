#pragma once
// One WHEP viewer of the bridge: its own pipeline (webrtcbin alone) fed through two pads of
// the bridge's, the signals webrtcbin raises on its own threads, the SDP answer and the
// statistics. The bridge keeps the viewers and decides when one starts and ends; this is
// what happens inside one.
//
//   pad "video" (the viewer's payload type) ─┐
//   pad "audio"                             ─┴► webrtcbin ─► ICE/DTLS ─► the browser
//
// The pads belong to no element: one of the bridge's fan-out workers pushes each packet
// through the viewer's webrtcbin itself (`send`), once the viewer is connected. A
// thread of its own per viewer and stream, woken for every packet, cost more than the
// sending did: at 48 viewers, 220,000 thread switches a second.
//
// Threads: the fields marked "io_context only" and the functions here run on the io_context;
// webrtcbin's callbacks run on its threads and report back through a post onto the
// io_context, guarded by the bridge's `alive` flag and a weak reference to the viewer.

#include <gst/gst.h>
#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API  // GstWebRTC's headers ask for it in 1.22
#endif
#include <gst/webrtc/webrtc_fwd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "pipelines/GstPtr.h"
#include "pipelines/bridge/BridgeOffer.h"
#include "pipelines/bridge/BridgeSettings.h"
#include "pipelines/bridge/RtpPayload.h"
#include "pipelines/bridge/WebRtcBridge.h"

namespace ceremony::media {

struct WebRtcBridge::Viewer {
  std::string id;
  OfferChoice choice;
  boost::asio::io_context* io = nullptr;
  WebRtcBridge* bridge = nullptr;  // touched on the io_context only, while *alive
  std::shared_ptr<bool> alive;     // the bridge's
  KeyframeRequest keyframe;        // for the picture-loss probe
  std::string address;             // [bridge] address: the only candidates the answer names
  unsigned worker = 0;             // the fan-out worker that sends to this viewer
  GstPtr<GstElement> pipeline;
  GstElement* webrtc = nullptr;              // owned by pipeline
  GstMiniPtr<GstCaps> videoCaps, audioCaps;  // what the pads send (no audio caps: no audio)
  // Ours, linked to webrtcbin (no audio pad for a video-only offer). Set before the viewer is
  // published and never reset: the streaming threads read them without a lock.
  GstPtr<GstPad> videoPad, audioPad;
  std::atomic<bool> open{true};       // streaming threads push while true
  std::atomic<bool> sending{false};   // ICE and DTLS are up: a push no longer waits for them
  std::atomic<bool> answered{false};  // the SDP answer went out (once)
  std::atomic<gint64> lastRtcpUs{0};  // monotonic time of the viewer's last RTCP packet
  // Its point is on air: it hears the points' mix, not the programme's sound (mix-minus).
  std::atomic<bool> hearsPointsMix{false};
  // Its sound's own sequence numbers (its fan-out worker's alone): continuous across a move
  // between the two Opus streams.
  std::uint16_t audioSeq = static_cast<std::uint16_t>(g_random_int());
  GObjectPtr<GObject> rtpSession;  // watched for RTCP (our reference; webrtcbin's session)
  gulong rtcpHandler = 0;
  // io_context only.
  Answer answer;
  std::shared_ptr<boost::asio::steady_timer> deadline;
  bool connected = false;
  gint64 lastPolledRtcpUs = 0;
  std::chrono::steady_clock::time_point troubleSince{};
  bool inTrouble = false;

  // The SDP answer as webrtcbin has it now, with only the candidates on `address` ("" when
  // there is none yet).
  std::string answerSdp() const;
  // Pushes one packet (taken) to the viewer, on its fan-out worker's thread: dropped until
  // the viewer is connected (webrtcbin holds back packets until DTLS has its keys, and the
  // thread that pushes serves other viewers too).
  void send(bool video, GstBuffer* rtp);
  // Stops watching RTCP and sets the pipeline to NULL (on the io_context, synchronously).
  void stop();
};

namespace bridge {

using Viewer = WebRtcBridge::Viewer;

// What a new viewer's pipeline is given: the offer (taken), the caps of what it sends (with
// the offer's payload types; no audio caps for a video-only offer), and the programme's
// clock and base time, whose running time stamps every packet.
struct ViewerStart {
  SdpMessagePtr offer;
  GstCaps* videoCaps = nullptr;
  GstCaps* audioCaps = nullptr;
  int minPort = 0, maxPort = 0;  // [bridge] ports for ICE (0, 0: any)
  GstClock* clock = nullptr;
  GstClockTime baseTime = 0;
};

// Builds the viewer's pipeline, starts it and hands webrtcbin the offer: the answer comes
// later (`Viewer::answerSdp`). False with the HTTP status and a sentence.
bool startViewer(const std::shared_ptr<Viewer>& v, ViewerStart start, int* status,
                 std::string* error);

// Deactivates and unlinks one of the viewer's pads (the viewer keeps it).
void detachViewerPad(GstPad* pad);

// What every webrtcbin of the bridge shares, viewers' and return feeds': the session's UDP
// ports ([bridge] ports, 0, 0: any) and no UPnP; the SDP of its local description ("" before
// it has one).
void configureIce(GstElement* webrtc, int minPort, int maxPort);
std::string localDescription(GstElement* webrtc);

// A session description webrtcbin handed over, freed when it goes.
struct SessionDescriptionFree {
  void operator()(GstWebRTCSessionDescription* d) const;
};
using SessionDescriptionPtr = std::unique_ptr<GstWebRTCSessionDescription, SessionDescriptionFree>;
// The answer a create-answer promise replied with (null when it has none).
SessionDescriptionPtr answerOf(GstPromise* promise);

// Asks webrtcbin for the viewer's statistics (reported through the bridge's listener on the
// io_context) and, the first time it can, starts watching the viewer's RTCP.
void requestStats(const std::shared_ptr<Viewer>& v);

}  // namespace bridge

}  // namespace ceremony::media
