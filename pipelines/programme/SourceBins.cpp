#include "pipelines/programme/SourceBins.h"

#include <cmath>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/ClockStrip.h"
#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

using namespace bins;

GstElement* makeSourceBin(const SourceConfig& s, const ProgrammeFormat& f, std::string* error) {
  GstFloatingPtr owned(gst_bin_new(("source-" + s.id).c_str()));  // gone on an error path
  GstElement* bin = owned.get();
  switch (s.kind) {
    case SourceKind::Test: {
      GstElement* v = make("videotestsrc");
      gst_util_set_object_arg(G_OBJECT(v), "pattern", s.pattern.c_str());
      g_object_set(v, "is-live", TRUE, nullptr);
      GstElement* a = make("audiotestsrc");
      g_object_set(a, "is-live", TRUE, "freq", s.toneHz, "volume", 0.2, "samplesperbuffer",
                   f.audioRate / 50, nullptr);
      if (s.toneHz <= 0) gst_util_set_object_arg(G_OBJECT(a), "wave", "silence");
      addVideoAndAudio(bin, v, a, f);
      if (s.clock) {
        // The wall clock as each frame is made (I420 at the programme's size, held so by
        // addVideoAndAudio's capsfilter), for a point's browser to read back.
        GstPtr<GstPad> out(gst_element_get_static_pad(v, "src"));
        clockstrip::burnInto(out.get());
      }
      return owned.release();
    }
    case SourceKind::Uri:
    case SourceKind::Image: {
      auto [vfirst, vlast] = videoNormaliser(bin, f);
      GstElement* decode = nullptr;
      GstElement* audioFirst = nullptr;
      if (s.kind == SourceKind::Uri) {
        decode = make("uridecodebin");
        g_object_set(decode, "uri", s.uri.c_str(), nullptr);
        // srtsrc waits on its socket without end by default, so stopping it on a dead
        // connection waits for SRT's 5 s peer-idle timeout: let it look up every 100 ms.
        g_signal_connect(decode, "source-setup",
                         G_CALLBACK(+[](GstElement*, GstElement* source, gpointer) {
                           GstElementFactory* factory = gst_element_get_factory(source);
                           if (factory && g_str_equal(GST_OBJECT_NAME(factory), "srtsrc"))
                             g_object_set(source, "poll-timeout", 100, nullptr);
                         }),
                         nullptr);
        gst_bin_add(GST_BIN(bin), decode);
        auto [afirst, alast] = audioNormaliser(bin, f);
        audioFirst = afirst;
        ghost(bin, alast, "src", "audio");
        ghost(bin, vlast, "src", "video");
      } else {
        // A still: decoded once, then repeated as a live stream of frames.
        GstElement* file = make("filesrc");
        g_object_set(file, "location", s.path.c_str(), nullptr);
        decode = make("decodebin");
        GstElement* freeze = make("imagefreeze");
        g_object_set(freeze, "is-live", TRUE, nullptr);
        GstElement* rate = capsfilter(rawVideoCaps(f, false));
        gst_bin_add_many(GST_BIN(bin), file, decode, freeze, rate, nullptr);
        gst_element_link(file, decode);
        gst_element_link_many(vlast, freeze, rate, nullptr);
        ghost(bin, rate, "src", "video");
      }
      linkDecodedPads(decode, vfirst, audioFirst);
      return owned.release();
    }
    case SourceKind::Point:
      // A point's return feed is built from its WHIP offer (pipelines/bridge/ReturnFeed).
      *error = "source " + s.id + ": a point's return feed comes over the bridge";
      return nullptr;
    case SourceKind::Launch: {
      GErrorBox err;
      GstElement* v = gst_parse_bin_from_description(s.videoLaunch.c_str(), TRUE, err.out());
      if (!v) {
        *error = "source " + s.id + ": " + err.message("bad launch fragment");
        return nullptr;
      }
      auto [vfirst, vlast] = videoNormaliser(bin, f);
      gst_bin_add(GST_BIN(bin), v);
      gst_element_link(v, vfirst);
      ghost(bin, vlast, "src", "video");
      if (!s.audioLaunch.empty()) {
        GstElement* a = gst_parse_bin_from_description(s.audioLaunch.c_str(), TRUE, err.out());
        if (!a) {
          *error = "source " + s.id + ": " + err.message("bad audio fragment");
          return nullptr;
        }
        auto [afirst, alast] = audioNormaliser(bin, f);
        gst_bin_add(GST_BIN(bin), a);
        gst_element_link(a, afirst);
        ghost(bin, alast, "src", "audio");
      }
      return owned.release();
    }
  }
  return owned.release();
}

GstElement* makeClipBin(const std::string& itemId, const ClipConfig& clip, const ProgrammeFormat& f,
                        std::string* error) {
  GstFloatingPtr owned(gst_bin_new(("clip-" + itemId).c_str()));  // gone on an error path
  GstElement* bin = owned.get();
  if (clip.isTest()) {
    // A generated clip of a set length: the stand-in for a documentary in demos and tests.
    const int frames = static_cast<int>(std::lround(clip.testDurationSeconds * f.fps));
    const int samplesPerBuffer = f.audioRate / 50;
    const int audioBuffers =
        static_cast<int>(std::lround(clip.testDurationSeconds * f.audioRate / samplesPerBuffer));
    GstElement* v = make("videotestsrc");
    gst_util_set_object_arg(G_OBJECT(v), "pattern",
                            clip.testPattern.empty() ? "ball" : clip.testPattern.c_str());
    g_object_set(v, "num-buffers", frames, nullptr);
    GstElement* a = make("audiotestsrc");
    g_object_set(a, "num-buffers", audioBuffers, "samplesperbuffer", samplesPerBuffer, "freq",
                 660.0, "volume", 0.2, nullptr);
    addVideoAndAudio(bin, v, a, f);
    return owned.release();
  }
  GCharPtr uri(gst_filename_to_uri(clip.file.c_str(), nullptr));
  if (!uri) {
    *error = "clip file " + clip.file + " is not a usable path";
    return nullptr;
  }
  GstElement* decode = make("uridecodebin");
  g_object_set(decode, "uri", uri.get(), nullptr);
  auto [vfirst, vlast] = videoNormaliser(bin, f);
  auto [afirst, alast] = audioNormaliser(bin, f);
  gst_bin_add(GST_BIN(bin), decode);
  ghost(bin, vlast, "src", "video");
  ghost(bin, alast, "src", "audio");
  linkDecodedPads(decode, vfirst, afirst);
  return owned.release();
}

}  // namespace ceremony::media
