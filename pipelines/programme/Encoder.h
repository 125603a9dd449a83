#pragma once
// The programme's one encode, which every destination and the video bridge share: H.264 for
// Facebook (CBR, a keyframe every keyframe_interval_s and none at scene cuts, the profile
// of [programme] h264_profile, AVC in access units) and AAC-LC.

#include <gst/gst.h>

#include "config/Config.h"

namespace ceremony::media {

struct VideoEncoding {
  GstElement* bin = nullptr;      // "sink": raw I420 at the programme's format; "src": H.264
  GstElement* encoder = nullptr;  // the x264enc inside (keyframe requests go to its src pad)
};

// nullptr in `bin` when x264enc or h264parse is missing.
VideoEncoding makeVideoEncoding(const ProgrammeFormat& f);
// "sink": raw F32 audio at the programme's format; "src": AAC (ADTS framing left to the
// muxers). nullptr when avenc_aac is missing.
GstElement* makeAudioEncoding(const ProgrammeFormat& f);

}  // namespace ceremony::media
