#include "pipelines/programme/MixChain.h"

#include <gst/app/gstappsink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/Encoder.h"
#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

using namespace bins;

bool buildMixChain(GstBin* bin, const ProgrammeFormat& f, bool pointsMix, MixChain* chain,
                   std::string* error) {
  MixChain& c = *chain;  // filled as it is made, as far as it gets
  // Video: compositor forced live, so frames keep coming whatever the inputs do.
  c.compositor = gst_element_factory_make_full("compositor", "name", "video-mixer", "force-live",
                                               TRUE, "emit-signals", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(c.compositor), "background", "black");
  GstElement* mixedCaps = capsfilter(rawVideoCaps(f, true));
  c.lowerThird = make("textoverlay", "lower-third");
  g_object_set(c.lowerThird, "auto-resize", FALSE, "silent", TRUE, "shaded-background", TRUE,
               "shading-value", 160, "xpad", f.width / 16, "ypad", f.height / 12, "wrap-mode", -1,
               nullptr);
  gst_util_set_object_arg(G_OBJECT(c.lowerThird), "valignment", "bottom");
  gst_util_set_object_arg(G_OBJECT(c.lowerThird), "halignment", "left");
  gst_util_set_object_arg(G_OBJECT(c.lowerThird), "line-alignment", "left");
  // The programme as viewers see it goes to the encoder and, once a second, to a small JPEG
  // for the dashboard; that branch leaks rather than ever holding up the encoder.
  GstElement* ptee = make("tee", "programme-tee");
  GstElement* pq = make("queue", "preview-queue");
  g_object_set(pq, "leaky", 2, "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time",
               static_cast<guint64>(0), nullptr);
  GstElement* prate = make("videorate", "preview-rate");
  g_object_set(prate, "drop-only", TRUE, "max-rate", 1, nullptr);
  GstElement* pscale = make("videoscale");
  GstElement* pcaps =
      capsfilter(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, 320, "height", G_TYPE_INT,
                                     320 * f.height / std::max(1, f.width), nullptr));
  GstElement* pjpeg = make("jpegenc", "preview-jpeg");
  g_object_set(pjpeg, "quality", 70, nullptr);
  c.previewSink = make("appsink", "preview-out");
  g_object_set(c.previewSink, "sync", FALSE, "async", FALSE, "max-buffers", 1, "drop", TRUE,
               nullptr);
  GstElement* vqueue = make("queue");
  g_object_set(vqueue, "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time",
               static_cast<guint64>(0), nullptr);
  const VideoEncoding encoding = makeVideoEncoding(f);
  c.videoEncoder = encoding.encoder;
  GstElement* vtee = make("tee", "video-tee");
  GstElement* vsinkq = make("queue");
  g_object_set(vsinkq, "leaky", 2, "max-size-time", static_cast<guint64>(2 * GST_SECOND),
               "max-size-buffers", 0, "max-size-bytes", 0, nullptr);
  c.videoSink = make("appsink", "video-out");

  // Audio: silence underneath, so the mixer always has a live input.
  GstElement* silence = make("audiotestsrc", "silence");
  gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
  g_object_set(silence, "is-live", TRUE, "samplesperbuffer", f.audioRate / 50, nullptr);
  GstElement* silenceCaps = capsfilter(rawAudioCaps(f));
  c.audiomixer = gst_element_factory_make_full("audiomixer", "name", "audio-mixer", "force-live",
                                               TRUE, "emit-signals", TRUE, nullptr);
  // 20 ms of sound per buffer, as every source gives (10 ms by default: twice the wake-ups
  // for the mixer, the AAC encoder and every queue after them).
  g_object_set(c.audiomixer, "output-buffer-duration", static_cast<guint64>(20 * GST_MSECOND),
               nullptr);
  GstElement* mixedAudioCaps = capsfilter(rawAudioCaps(f));
  c.mixedAudio = mixedAudioCaps;
  GstElement* aacEncoding = makeAudioEncoding(f);
  GstElement* atee = make("tee", "audio-tee");
  GstElement* asinkq = make("queue");
  g_object_set(asinkq, "leaky", 2, "max-size-time", static_cast<guint64>(2 * GST_SECOND),
               "max-size-buffers", 0, "max-size-bytes", 0, nullptr);
  c.audioSink = make("appsink", "audio-out");

  for (GstElement* e :
       {c.compositor, c.lowerThird, encoding.bin, aacEncoding, c.videoSink, c.audioSink}) {
    if (!e) {
      *error = "a GStreamer element is missing (run `make deps`)";
      return false;
    }
  }
  gst_bin_add_many(bin, c.compositor, mixedCaps, c.lowerThird, ptee, vqueue, encoding.bin, vtee,
                   vsinkq, c.videoSink, nullptr);
  if (pq && prate && pscale && pjpeg && c.previewSink) {
    gst_bin_add_many(bin, pq, prate, pscale, pcaps, pjpeg, c.previewSink, nullptr);
    // The rate first: it drops 29 frames of 30 in the mixer's thread, so the preview's
    // queue and thread wake once a second, not 30 times.
    if (!gst_element_link_many(ptee, prate, pq, pscale, pcaps, pjpeg, c.previewSink, nullptr))
      spdlog::warn("Không tạo được ảnh xem trước chương trình (preview)");
  } else {
    c.previewSink = nullptr;  // a missing element costs the preview, never the programme
  }
  gst_bin_add_many(bin, silence, silenceCaps, c.audiomixer, mixedAudioCaps, aacEncoding, atee,
                   asinkq, c.audioSink, nullptr);
  if (!gst_element_link_many(c.compositor, mixedCaps, c.lowerThird, ptee, vqueue, encoding.bin,
                             vtee, vsinkq, c.videoSink, nullptr) ||
      !gst_element_link_many(silence, silenceCaps, c.audiomixer, mixedAudioCaps, aacEncoding, atee,
                             asinkq, c.audioSink, nullptr)) {
    *error = "cannot link the programme pipeline";
    return false;
  }
  if (pointsMix) {
    GstElement* floor = make("audiotestsrc", "points-silence");
    gst_util_set_object_arg(G_OBJECT(floor), "wave", "silence");
    g_object_set(floor, "is-live", TRUE, "samplesperbuffer", f.audioRate / 50, nullptr);
    GstElement* floorCaps = capsfilter(rawAudioCaps(f));
    c.pointsMixer = gst_element_factory_make_full("audiomixer", "name", "points-mixer",
                                                  "force-live", TRUE, nullptr);
    g_object_set(c.pointsMixer, "output-buffer-duration", static_cast<guint64>(20 * GST_MSECOND),
                 nullptr);
    GstElement* pointsCaps = capsfilter(rawAudioCaps(f));
    GstElement* pointsQueue = make("queue");
    g_object_set(pointsQueue, "leaky", 2, "max-size-time", static_cast<guint64>(GST_SECOND),
                 "max-size-buffers", 0, "max-size-bytes", 0, nullptr);
    c.pointsSink = make("appsink", "points-out");
    gst_bin_add_many(bin, floor, floorCaps, c.pointsMixer, pointsCaps, pointsQueue, c.pointsSink,
                     nullptr);
    if (!gst_element_link_many(floor, floorCaps, c.pointsMixer, pointsCaps, pointsQueue,
                               c.pointsSink, nullptr)) {
      *error = "cannot link the points' mix";
      return false;
    }
  }
  return true;
}

bool waitUntilEncoding(const MixChain& chain, std::string* error) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (bool ready = false; !ready;) {
    GstPtr<GstPad> vpad(gst_element_get_static_pad(chain.videoSink, "sink"));
    GstPtr<GstPad> apad(gst_element_get_static_pad(chain.audioSink, "sink"));
    GstMiniPtr<GstCaps> vcaps(gst_pad_get_current_caps(vpad.get()));
    GstMiniPtr<GstCaps> acaps(gst_pad_get_current_caps(apad.get()));
    ready = vcaps && acaps;
    if (!ready && std::chrono::steady_clock::now() > deadline) {
      *error = "the programme's encoders produced nothing within 10 s";
      return false;
    }
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void pullPreview(const MixChain& chain, std::string* last) {
  GstMiniPtr<GstSample> sample(gst_app_sink_try_pull_sample(GST_APP_SINK(chain.previewSink), 0));
  if (!sample) return;
  if (GstBuffer* buf = gst_sample_get_buffer(sample.get())) {
    GstMapInfo map;
    if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
      last->assign(reinterpret_cast<const char*>(map.data), map.size);
      gst_buffer_unmap(buf, &map);
    }
  }
}

}  // namespace ceremony::media
