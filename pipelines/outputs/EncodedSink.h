#pragma once
// What the programme's one encode is handed to: every destination (EncodedOutput) and the
// video bridge (WebRtcBridge). Called on the encoder's streaming threads; an implementation
// must never block them.

#include <gst/gst.h>

namespace ceremony::media {

class EncodedSink {
 public:
  virtual ~EncodedSink() = default;
  // H.264 (avc, one access unit per sample) and AAC, with the encoder's caps and segment.
  virtual void pushVideo(GstSample* sample) = 0;
  virtual void pushAudio(GstSample* sample) = 0;
  // The points' mix, raw (F32 interleaved at the programme's rate): the programme's sound
  // without any point's voice, for the points on air (mix-minus). Only the bridge wants it.
  virtual void pushPointsAudio(GstSample* /*sample*/) {}
};

}  // namespace ceremony::media
