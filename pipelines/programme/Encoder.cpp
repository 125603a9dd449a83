#include "pipelines/programme/Encoder.h"

#include <cmath>
#include <string>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

using namespace bins;

namespace {
GstElement* inBin(const char* name, std::initializer_list<GstElement*> chain) {
  if (!allMadeOrDropped(chain)) return nullptr;
  GstElement* bin = gst_bin_new(name);
  for (GstElement* e : chain) gst_bin_add(GST_BIN(bin), e);
  GstElement* previous = nullptr;
  for (GstElement* e : chain) {
    if (previous) gst_element_link(previous, e);
    previous = e;
  }
  ghost(bin, *chain.begin(), "sink", "sink");
  ghost(bin, previous, "src", "src");
  return bin;
}
}  // namespace

VideoEncoding makeVideoEncoding(const ProgrammeFormat& f) {
  VideoEncoding out;
  GstElement* x264 = make("x264enc", "video-encoder");
  if (x264) {
    const int keyint = static_cast<int>(std::lround(f.keyframeIntervalSeconds * f.fps));
    // CBR with a fixed GOP and no scene-cut keyframes: Facebook wants a keyframe every 2 s.
    const std::string options =
        "scenecut=0:min-keyint=" + std::to_string(keyint) + ":nal-hrd=cbr:force-cfr=1";
    g_object_set(x264, "bitrate", f.videoBitrateKbps, "key-int-max", keyint, "vbv-buf-capacity",
                 1000, "option-string", options.c_str(), nullptr);
    gst_util_set_object_arg(G_OBJECT(x264), "speed-preset", f.x264Preset.c_str());
    gst_util_set_object_arg(G_OBJECT(x264), "tune", "zerolatency");
    gst_util_set_object_arg(G_OBJECT(x264), "pass", "cbr");
  }
  GstElement* h264caps = capsfilter(gst_caps_new_simple("video/x-h264", "profile", G_TYPE_STRING,
                                                        f.h264Profile.c_str(), nullptr));
  GstElement* h264parse = make("h264parse");
  if (h264parse) g_object_set(h264parse, "config-interval", -1, nullptr);
  GstElement* avcCaps =
      capsfilter(gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "avc",
                                     "alignment", G_TYPE_STRING, "au", nullptr));
  out.bin = inBin("video-encoding", {x264, h264caps, h264parse, avcCaps});
  if (out.bin) out.encoder = x264;
  return out;
}

GstElement* makeAudioEncoding(const ProgrammeFormat& f) {
  GstElement* aconvert = make("audioconvert");
  GstElement* aac = make("avenc_aac", "audio-encoder");
  if (aac) g_object_set(aac, "bitrate", f.audioBitrateKbps * 1000, nullptr);
  GstElement* aacparse = make("aacparse");
  return inBin("audio-encoding", {aconvert, aac, aacparse});
}

}  // namespace ceremony::media
