#pragma once
// The video bridge's sending half: the programme, as it is already encoded for Facebook, to
// every connection point that watches over WebRTC (WHEP).
//
//   programme encoder ─► pushVideo/pushAudio ─► [bridge pipeline]
//       H.264 ─► rtph264pay ─► appsink ─┐           (one packetisation for everyone)
//       AAC ─► decode ─► opusenc ─► rtpopuspay ─► appsink ─┤   (one Opus encode)
//                                       FanOut: a worker thread per core, each with its
//                                       share of the viewers │ copy-on-write list of viewers
//        viewer w1: pad (video), pad (audio) ─► webrtcbin   [its own pipeline]
//        viewer w2: …
//        relay (optional): the same RTP over UDP to a media server that fans it out further
//
// Each viewer is a pipeline of its own. The fan-out's workers (one per core) push every
// packet through each connected viewer's webrtcbin themselves (its sending is a UDP socket
// that never waits), so the bridge has no thread per viewer; a viewer that stalls, fails or
// goes away never holds up the packetiser, the other viewers or the programme, which is
// encoded in another pipeline. Each viewer gets its own copy of a packet, with the payload
// types its offer asked for. A viewer's picture-loss request reaches the programme's
// encoder as a keyframe request.
//
// Threads: addViewer/removeViewer/poll run on the daemon's io_context; GStreamer's threads
// push packets through a snapshot of the viewer list (no lock held while pushing) and
// report back through callbacks posted onto the io_context.
//
// The parts, each in a file of its name: BridgeOffer (reading the offer, pure text),
// RtpPacketiser (the shared packetisation and the relays), FanOut (the sending threads),
// RtpPayload (a packet and caps with
// one viewer's payload types), WebRtcViewer (one viewer's pipeline, signals, answer and
// statistics), CopyOnWrite (the viewers as the streaming threads see them). This class
// keeps the viewers and decides when each one starts and ends.

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

#include "pipelines/CopyOnWrite.h"
#include "pipelines/GstPtr.h"
#include "pipelines/bridge/BridgeOffer.h"
#include "pipelines/bridge/BridgeSettings.h"
#include "pipelines/bridge/FanOut.h"
#include "pipelines/bridge/RtpPacketiser.h"
#include "pipelines/bridge/RtpRelay.h"
#include "pipelines/outputs/EncodedSink.h"

namespace ceremony::media {

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
  // The viewer's point is on air (`on`): it hears the points' mix, the programme's sound
  // without any point's voice, so a commune speaking never hears itself a second late.
  void hearPointsMix(const std::string& sessionId, bool on);
  // EncodedSink: the points' mix, raw.
  void pushPointsAudio(GstSample* sample) override;
  // Once a second: asks every viewer's webrtcbin for its statistics (reported through the
  // listener) and ends the ones whose connection failed.
  void poll();
  std::size_t viewers() const { return viewers_.size(); }
  std::vector<RelayStats> relays() const;
  Listener& listener() { return listener_; }

  struct Viewer;  // one viewer's pipeline (WebRtcViewer.h)

 private:
  using Steady = std::chrono::steady_clock;
  // Sends the SDP answer once it holds a candidate (or at `until`, whatever it holds).
  void answerWhenReady(const std::shared_ptr<Viewer>& v, Steady::time_point until);
  void publish();  // viewers_ as the streaming threads see it from now on
  // A packet from a fan-out worker: to every connected viewer of that worker's.
  void deliver(unsigned worker, bridge::RtpStream stream, GstBuffer* rtp, GstClockTime runningTime);

  BridgeSettings settings_;
  boost::asio::io_context& io_;
  Listener& listener_;
  KeyframeRequest keyframe_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // io_context only
  GstPtr<GstClock> clock_;
  GstClockTime baseTime_ = 0;
  // io_context only: the viewers by session id, and the counter that names them.
  std::map<std::string, std::shared_ptr<Viewer>> viewers_;
  std::uint64_t nextId_ = 1;
  // The streaming threads' copy of viewers_, replaced whole (copy on write).
  CopyOnWrite<std::vector<std::shared_ptr<Viewer>>> list_;
  // Its threads read list_. A worker's queue holds about 0.4 s of packets: a machine short
  // of CPU loses packets rather than showing the points a picture seconds late.
  bridge::FanOut fanOut_{bridge::FanOut::workersForThisMachine(), 128,
                         [this](unsigned worker, bridge::RtpStream stream, GstBuffer* rtp,
                                GstClockTime rt) { deliver(worker, stream, rtp, rt); }};
  // Last, so that it goes first: its threads post to fanOut_.
  bridge::RtpPacketiser packetiser_{[this](bridge::RtpStream stream, GstBuffer* rtp,
                                           GstClockTime rt) { fanOut_.post(stream, rtp, rt); }};
};

}  // namespace ceremony::media
