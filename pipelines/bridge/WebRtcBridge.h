#pragma once
// The video bridge's sending half: the programme, as it is already encoded for Facebook, to
// every connection point that watches over WebRTC (WHEP).
//
//   programme encoder ─► pushVideo/pushAudio ─► [bridge pipeline]
//       H.264 ─► rtph264pay ─► appsink ─┐           (one packetisation for everyone)
//       AAC ─► decode ─► opusenc ─► rtpopuspay ─► appsink ─┤   (one Opus encode)
//                                                    │ copy-on-write list of viewers
//        viewer w1: appsrc (video), appsrc (audio) ─► webrtcbin   [its own pipeline]
//        viewer w2: …
//        relay (optional): the same RTP over UDP to a media server that fans it out further
//
// Each viewer is a pipeline of its own fed through appsrc, so a viewer that stalls, fails
// or goes away never holds up the packetiser, the other viewers or the programme. Packets
// are copied per viewer only to set the payload types that viewer's offer asked for. A
// viewer's picture-loss request reaches the programme's encoder as a keyframe request.
//
// Threads: addViewer/removeViewer/poll run on the daemon's io_context; GStreamer's threads
// push packets through a snapshot of the viewer list (no lock held while pushing) and
// report back through callbacks posted onto the io_context.

#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/GstPtr.h"
#include "pipelines/bridge/RtpRelay.h"
#include "pipelines/outputs/EncodedSink.h"

namespace ceremony::media {

struct BridgeSettings {
  std::size_t maxViewers = 150;
  int opusBitrateKbps = 64;
  std::string h264Profile = "main";  // what the programme encodes: the offer must decode it
  // Where the same RTP goes once more, to a media server's RTP mountpoint (port 0: nowhere).
  struct Relay {
    std::string host;
    int port = 0;
  };
  Relay relayVideo, relayAudio;
  // The address the viewers are told to reach (the answer's only host candidates; "" = every
  // interface's) and the UDP ports the sessions use (0, 0 = any), for the province's firewall.
  std::string address;
  int minPort = 0, maxPort = 0;
};

// What a relay has sent (for /metrics).
struct RelayStats {
  std::string media;  // "video" or "audio"
  std::string target;
  std::uint64_t packets = 0, dropped = 0;
};

// One viewer's link as webrtcbin's statistics tell it (RTCP receiver reports).
struct ViewerStats {
  std::string sessionId;
  bool connected = false;
  bool freshReport = false;  // a receiver report arrived since the last poll
  std::optional<double> rttMs, lossPercent, jitterMs;
  std::uint64_t bytesSent = 0, packetsSent = 0;
};

class WebRtcBridge final : public EncodedSink {
 public:
  // Called on the io_context thread.
  struct Listener {
    virtual ~Listener() = default;
    virtual void onViewerConnected(const std::string& sessionId) = 0;
    // The viewer is gone (ICE failed, closed, or removed): its pipeline is already stopped.
    virtual void onViewerGone(const std::string& sessionId, const std::string& reason) = 0;
    virtual void onViewerStats(const ViewerStats& stats) = 0;
  };
  // Called on a streaming thread: a viewer needs a keyframe now.
  using KeyframeRequest = std::function<void()>;
  // Called on the io_context thread: HTTP status and body (the SDP answer, or a sentence).
  using Answer = std::function<void(int status, std::string body)>;

  WebRtcBridge(BridgeSettings settings, boost::asio::io_context& io, Listener& listener,
               KeyframeRequest keyframe);
  ~WebRtcBridge() override;
  WebRtcBridge(const WebRtcBridge&) = delete;
  WebRtcBridge& operator=(const WebRtcBridge&) = delete;

  // `clock` and `baseTime` are the programme's: viewers run on its running time.
  bool start(GstClock* clock, GstClockTime baseTime, std::string* error);
  void stop();

  // EncodedSink: from the programme's streaming threads; never blocks.
  void pushVideo(GstSample* sample) override;
  void pushAudio(GstSample* sample) override;

  // A WHEP offer. On success returns the new session's id and later calls `answer` (201 and
  // the SDP answer once the ICE candidates are gathered, within about 2 s). On failure
  // returns nullopt with the HTTP status and a sentence; `answer` is never called.
  std::optional<std::string> addViewer(const std::string& offerSdp, Answer answer, int* status,
                                       std::string* error);
  bool removeViewer(const std::string& sessionId, const std::string& reason);
  // Once a second: asks every viewer's webrtcbin for its statistics (reported through the
  // listener) and ends the ones whose connection failed.
  void poll();
  std::size_t viewers() const { return viewers_.size(); }
  std::vector<RelayStats> relays() const;
  Listener& listener() { return listener_; }

  struct Viewer;  // one viewer's pipeline (WebRtcBridge.cpp)

 private:
  using ViewerList = std::vector<std::shared_ptr<Viewer>>;
  using Steady = std::chrono::steady_clock;
  // Sends the SDP answer once it holds a candidate (or at `until`, whatever it holds).
  void answerWhenReady(const std::shared_ptr<Viewer>& v, Steady::time_point until);
  void publish();  // a new snapshot of viewers_ for the streaming threads
  std::shared_ptr<const ViewerList> snapshot() const;
  static GstFlowReturn onRtpSample(GstElement* sink, gpointer self);

  BridgeSettings settings_;
  boost::asio::io_context& io_;
  Listener& listener_;
  KeyframeRequest keyframe_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // io_context only
  GstPtr<GstElement> pipeline_;
  GstElement* videoIn_ = nullptr;  // owned by pipeline_
  GstElement* audioIn_ = nullptr;
  GstElement* videoRtp_ = nullptr;
  GstElement* audioRtp_ = nullptr;
  RtpRelay videoRelay_, audioRelay_;
  GstPtr<GstClock> clock_;
  GstClockTime baseTime_ = 0;
  std::atomic<bool> sawKeyframe_{false};
  // The RTP caps the packetisers give (read by the io thread for a new viewer).
  mutable std::mutex capsMutex_;
  GstMiniPtr<GstCaps> videoCaps_, audioCaps_;
  // io_context only: the viewers by session id, and the counter that names them.
  std::map<std::string, std::shared_ptr<Viewer>> viewers_;
  std::uint64_t nextId_ = 1;
  // The streaming threads' copy of the list, swapped whole (copy on write).
  mutable std::mutex listMutex_;
  std::shared_ptr<const ViewerList> list_ = std::make_shared<ViewerList>();
};

// The payload types a WHEP offer wants for what the bridge sends: H.264 (packetization-mode
// 1, of a profile that decodes `profile`) and Opus. Pure text work, for the API's checks
// and the fuzz target. nullopt with a sentence when the offer cannot be served.
struct OfferChoice {
  int videoPt = -1;
  int audioPt = -1;                            // -1: the offer has no audio (video only)
  std::size_t videoIndex = 0, audioIndex = 0;  // m-line indexes
};
std::optional<OfferChoice> chooseFromOffer(const std::string& sdp, const std::string& profile,
                                           std::string* error);

// The SDP with only the ICE candidates on `address` ("" keeps them all): what a point is told
// to reach when the province's machine has several interfaces (a LAN, a VPN, a docker bridge)
// and only one is reachable from the communes.
std::string keepCandidatesOn(const std::string& sdp, const std::string& address);

}  // namespace ceremony::media
