#include "pipelines/GstInit.h"

#include <gst/gst.h>

#include "pipelines/GstPtr.h"

namespace ceremony::media {

std::string initGStreamer() {
  static bool done = false;
  if (!done) {
    gst_init(nullptr, nullptr);
    done = true;
  }
  static const char* const kNeeded[] = {
      "compositor",   "audiomixer",  "videotestsrc", "audiotestsrc", "x264enc",     "avenc_aac",
      "h264parse",    "aacparse",    "flvmux",       "rtmp2sink",    "textoverlay", "matroskamux",
      "uridecodebin", "imagefreeze", "appsrc",       "appsink"};
  std::string missing;
  for (const char* name : kNeeded) {
    GstPtr<GstElementFactory> f(gst_element_factory_find(name));
    if (!f) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (missing.empty()) return {};
  return "GStreamer elements are missing: " + missing + " (run `make deps`)";
}

}  // namespace ceremony::media
