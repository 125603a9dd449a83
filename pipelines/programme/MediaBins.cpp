#include "pipelines/programme/MediaBins.h"

#include "pipelines/GstPtr.h"

namespace ceremony::media::bins {

GstElement* make(const char* factory, const char* name) {
  return gst_element_factory_make(factory, name);
}

GstCaps* rawVideoCaps(const ProgrammeFormat& f, bool withFormat, bool withRate) {
  GstCaps* caps =
      gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, f.width, "height", G_TYPE_INT,
                          f.height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr);
  if (withRate) gst_caps_set_simple(caps, "framerate", GST_TYPE_FRACTION, f.fps, 1, nullptr);
  if (withFormat) gst_caps_set_simple(caps, "format", G_TYPE_STRING, "I420", nullptr);
  return caps;
}

GstCaps* rawAudioCaps(const ProgrammeFormat& f) {
  return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "layout",
                             G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, f.audioRate,
                             "channels", G_TYPE_INT, f.audioChannels, nullptr);
}

GstElement* capsfilter(GstCaps* caps) {
  GstElement* e = make("capsfilter");
  g_object_set(e, "caps", caps, nullptr);
  gst_caps_unref(caps);
  return e;
}

guint argbFromHex(const std::string& hex) {
  unsigned rgb = 0x7a0c0c;
  if (hex.size() == 7 && hex[0] == '#' &&
      hex.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos)
    rgb = static_cast<unsigned>(std::stoul(hex.substr(1), nullptr, 16));
  return 0xff000000u | rgb;
}

void ghost(GstElement* bin, GstElement* inner, const char* padName, const char* ghostName) {
  GstPtr<GstPad> target(gst_element_get_static_pad(inner, padName));
  gst_element_add_pad(bin, gst_ghost_pad_new(ghostName, target.get()));
}

void addVideoAndAudio(GstElement* bin, GstElement* video, GstElement* audio,
                      const ProgrammeFormat& f) {
  GstElement* vcaps = capsfilter(rawVideoCaps(f, true));
  GstElement* acaps = capsfilter(rawAudioCaps(f));
  gst_bin_add_many(GST_BIN(bin), video, vcaps, audio, acaps, nullptr);
  gst_element_link(video, vcaps);
  gst_element_link(audio, acaps);
  ghost(bin, vcaps, "src", "video");
  ghost(bin, acaps, "src", "audio");
}

std::pair<GstElement*, GstElement*> videoNormaliser(GstElement* bin, const ProgrammeFormat& f) {
  GstElement* convert = make("videoconvert");
  GstElement* scale = make("videoscale");
  g_object_set(scale, "add-borders", TRUE, nullptr);
  GstElement* caps = capsfilter(rawVideoCaps(f, false, false));
  gst_bin_add_many(GST_BIN(bin), convert, scale, caps, nullptr);
  gst_element_link_many(convert, scale, caps, nullptr);
  return {convert, caps};
}

std::pair<GstElement*, GstElement*> audioNormaliser(GstElement* bin, const ProgrammeFormat& f) {
  GstElement* convert = make("audioconvert");
  GstElement* resample = make("audioresample");
  GstElement* caps = capsfilter(rawAudioCaps(f));
  gst_bin_add_many(GST_BIN(bin), convert, resample, caps, nullptr);
  gst_element_link_many(convert, resample, caps, nullptr);
  return {convert, caps};
}

namespace {
struct DynamicLink {
  GstElement* video;
  GstElement* audio;
};
void onDecodedPad(GstElement*, GstPad* pad, gpointer data) {
  auto* link = static_cast<DynamicLink*>(data);
  GstMiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  if (!caps || gst_caps_is_empty(caps.get())) return;
  const char* name = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  GstElement* target = g_str_has_prefix(name, "video/")   ? link->video
                       : g_str_has_prefix(name, "audio/") ? link->audio
                                                          : nullptr;
  if (!target) return;
  GstPtr<GstPad> sink(gst_element_get_static_pad(target, "sink"));
  if (!gst_pad_is_linked(sink.get())) gst_pad_link(pad, sink.get());
}
}  // namespace

void linkDecodedPads(GstElement* decoder, GstElement* video, GstElement* audio) {
  g_signal_connect_data(
      decoder, "pad-added", G_CALLBACK(onDecodedPad), new DynamicLink{video, audio},
      [](gpointer data, GClosure*) { delete static_cast<DynamicLink*>(data); }, GConnectFlags(0));
}

}  // namespace ceremony::media::bins
