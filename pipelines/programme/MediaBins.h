#pragma once
// The small pieces every bin of the programme is made of: caps held to the programme's
// format, ghost pads, the normalisers that bring any decoded picture or sound to the
// programme's size and sample format, and the late linking of a decoder's pads.

#include <gst/gst.h>

#include <string>
#include <utility>

#include "config/Config.h"

namespace ceremony::media::bins {

GstElement* make(const char* factory, const char* name = nullptr);
// video/x-raw at the programme's size (square pixels); its frame rate and I420 if asked.
GstCaps* rawVideoCaps(const ProgrammeFormat& f, bool withFormat, bool withRate = true);
// audio/x-raw F32LE interleaved at the programme's rate and channels.
GstCaps* rawAudioCaps(const ProgrammeFormat& f);
// A capsfilter holding `caps` (taken).
GstElement* capsfilter(GstCaps* caps);
// "#rrggbb" as opaque ARGB (a dark red for anything else).
guint argbFromHex(const std::string& hex);
void ghost(GstElement* bin, GstElement* inner, const char* padName, const char* ghostName);
// A raw video and a raw audio source, each held to the programme's format, as the bin's
// "video" and "audio" pads (test sources, generated clips).
void addVideoAndAudio(GstElement* bin, GstElement* video, GstElement* audio,
                      const ProgrammeFormat& f);
// Raw video of any size/format → the programme's size (keeping the aspect ratio). The frame
// rate stays the source's own (a 25 fps camera or clip): the mixer resamples it in time.
// Returns {first, last} of the chain, added to `bin`.
std::pair<GstElement*, GstElement*> videoNormaliser(GstElement* bin, const ProgrammeFormat& f);
std::pair<GstElement*, GstElement*> audioNormaliser(GstElement* bin, const ProgrammeFormat& f);
// decodebin/uridecodebin pads appear later: each is linked to `video` or `audio` (either may
// be null: that kind is then left unlinked) as it comes.
void linkDecodedPads(GstElement* decoder, GstElement* video, GstElement* audio);

}  // namespace ceremony::media::bins
