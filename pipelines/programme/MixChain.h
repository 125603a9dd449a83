#pragma once
// The programme's fixed chain, built once; the layers are linked to its two mixers later:
//
//   compositor (force-live) ─► caps ─► textoverlay "lower-third" ─► tee "programme-tee"
//     ─┬► queue ─► bin "video-encoding" ─► tee "video-tee" ─► leaky queue ─► appsink "video-out"
//      └► videorate (1 fps) ─► leaky queue ─► videoscale ─► jpegenc ─► appsink "preview-out"
//   audiotestsrc (silence) ─► audiomixer (force-live) ─► caps ─► bin "audio-encoding"
//     ─► tee "audio-tee" ─► leaky queue ─► appsink "audio-out"
//   With points on air possible (a `point` source and the bridge): the points' mix, the same
//   sound without any point's voice, which the points on air hear back (mix-minus):
//   audiotestsrc (silence) ─► audiomixer "points-mixer" ─► caps ─► leaky queue ─► appsink
//     "points-out" (raw: the bridge encodes it for those points alone)

#include <gst/gst.h>

#include <string>

#include "config/Config.h"

namespace ceremony::media {

// Elements of the chain the programme mixer drives, all owned by its pipeline.
struct MixChain {
  GstElement* compositor = nullptr;
  GstElement* audiomixer = nullptr;
  GstElement* mixedAudio = nullptr;  // the mixed sound's caps filter, before its encode
  GstElement* lowerThird = nullptr;
  GstElement* videoEncoder = nullptr;  // x264enc: keyframe requests go to its src pad
  GstElement* videoSink = nullptr;     // appsink of the encoded video
  GstElement* audioSink = nullptr;     // appsink of the encoded sound
  GstElement* previewSink = nullptr;   // appsink of the preview JPEGs; null if one is missing
  GstElement* pointsMixer = nullptr;   // the points' mix (mix-minus); null without one
  GstElement* pointsSink = nullptr;    // appsink of its raw sound
};

// Adds the chain to `pipeline` and links it. False with a sentence when an element is
// missing or it cannot be linked (a missing preview element costs only the preview).
// `pointsMix`: also the points' mix.
bool buildMixChain(GstBin* pipeline, const ProgrammeFormat& f, bool pointsMix, MixChain* chain,
                   std::string* error);
// Once the pipeline plays: waits (at most 10 s) until both encoders produce.
bool waitUntilEncoding(const MixChain& chain, std::string* error);
// The latest preview JPEG into `last` if a new one came (`last` is kept if not).
void pullPreview(const MixChain& chain, std::string* last);

}  // namespace ceremony::media
