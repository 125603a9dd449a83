#pragma once
// The programme's inputs as bins with a "video" and (for most) an "audio" pad, both already
// at the programme's format: a source of the configuration (test pattern, still image, a
// URI such as srt:// or rtsp://, a gst-launch fragment) or an item's clip.
//
// A live source (uri, launch) runs in a pipeline of its own, watched and rebuilt when it
// loses its signal: that is ProgramMixer's (its Inputs); these functions only build bins.

#include <gst/gst.h>

#include <string>

#include "config/Config.h"

namespace ceremony::media {

// nullptr with a sentence in `error` when it cannot be built (a bad launch fragment).
GstElement* makeSourceBin(const SourceConfig& source, const ProgrammeFormat& f, std::string* error);
// An item's clip: a file decoded from its start, or a generated test clip of a set length.
GstElement* makeClipBin(const std::string& itemId, const ClipConfig& clip, const ProgrammeFormat& f,
                        std::string* error);

}  // namespace ceremony::media
