#pragma once
// The bridge's one packetisation, shared by every viewer and relay: the programme's encode in,
// RTP out, handed packet by packet to whoever serves the viewers.
//
//   pushVideo ─► appsrc ─► rtph264pay (pt 96, mtu 1200) ─► appsink ─┐
//   pushAudio ─► appsrc ─► AAC decode ─► opusenc ─► rtpopuspay ─► appsink ─┤
//   pushPointsAudio ─► appsrc (raw) ─► opusenc ─► rtpopuspay ─► appsink ───┤  (mix-minus)
//                                           onSample: the relay, then `onPacket`
//
// The two Opus streams share their SSRC and timestamp base, so a viewer moved from one to
// the other (its point going on air) hears one stream (its sequence numbers are its own).
//
// Threads: start/stop on the io_context; pushVideo/pushAudio on the programme's streaming
// threads (never blocking); `onPacket` on the appsinks' streaming threads.

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "pipelines/GstPtr.h"
#include "pipelines/bridge/BridgeSettings.h"
#include "pipelines/bridge/FanOut.h"
#include "pipelines/bridge/RtpRelay.h"

namespace ceremony::media::bridge {

class RtpPacketiser {
 public:
  // One RTP packet (the packetiser's, not to be written) and its running time.
  using OnPacket = std::function<void(RtpStream stream, GstBuffer* rtp, GstClockTime runningTime)>;

  explicit RtpPacketiser(OnPacket onPacket);
  ~RtpPacketiser();
  RtpPacketiser(const RtpPacketiser&) = delete;
  RtpPacketiser& operator=(const RtpPacketiser&) = delete;

  // Builds and starts the pipeline, and opens the relays `settings` names (a relay that
  // cannot open is said in the log). False with a sentence when the pipeline cannot run.
  bool start(const BridgeSettings& settings, std::string* error);
  void stop();
  bool running() const { return pipeline_ != nullptr; }

  void pushVideo(GstSample* sample);
  void pushAudio(GstSample* sample);
  void pushPointsAudio(GstSample* sample);  // raw; dropped until the programme's sound flows

  // The RTP caps the packetisers produced, with the payload types a viewer asked for
  // (audioPt < 0: no audio). Null until the first packet of each.
  struct Caps {
    GstMiniPtr<GstCaps> video, audio;
  };
  Caps capsFor(int videoPt, int audioPt) const;

  std::vector<RelayStats> relays() const;

 private:
  static GstFlowReturn onSample(GstElement* sink, gpointer self);
  bool addPointsMix(const BridgeSettings& settings);
  void forgetElements() {
    videoIn_ = audioIn_ = pointsIn_ = videoRtp_ = audioRtp_ = pointsRtp_ = nullptr;
  }

  OnPacket onPacket_;
  GstPtr<GstElement> pipeline_;
  GstElement* videoIn_ = nullptr;  // owned by pipeline_
  GstElement* audioIn_ = nullptr;
  GstElement* videoRtp_ = nullptr;
  GstElement* audioRtp_ = nullptr;
  GstElement* pointsIn_ = nullptr;  // the points' mix: raw in, Opus RTP out
  GstElement* pointsRtp_ = nullptr;
  RtpRelay videoRelay_, audioRelay_;
  std::atomic<bool> sawKeyframe_{false};
  mutable std::mutex capsMutex_;  // only the two caps below
  GstMiniPtr<GstCaps> videoCaps_, audioCaps_;
};

}  // namespace ceremony::media::bridge
