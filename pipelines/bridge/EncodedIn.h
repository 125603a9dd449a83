#pragma once
// What the bridge's pipelines share: the programme's encode coming in through appsrc, their
// start and stop, and numbers read out of GStreamer's statistics structures.

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <optional>

#include "pipelines/GstPtr.h"

namespace ceremony::media::bridge {

// An appsrc taking the programme encoder's samples as a destination does: caps and the
// encoder's segment arrive with each sample; never blocks; a full queue drops the oldest.
inline GstElement* makeEncodedIn(const char* name) {
  GstElement* src = gst_element_factory_make("appsrc", name);
  if (!src) return nullptr;
  g_object_set(src, "format", GST_FORMAT_TIME, "handle-segment-change", TRUE, "is-live", FALSE,
               "block", FALSE, "max-bytes", static_cast<guint64>(4 * 1024 * 1024), nullptr);
  gst_util_set_object_arg(G_OBJECT(src), "leaky-type", "downstream");
  return src;
}

// Pushes a video sample once the first keyframe has come (a viewer starts at a keyframe):
// until then, nothing downstream has anything to do with it.
inline void pushFromKeyframe(GstElement* appsrc, GstSample* sample,
                             std::atomic<bool>& sawKeyframe) {
  if (!appsrc) return;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  if (!buf) return;
  if (!sawKeyframe) {
    if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT)) return;
    sawKeyframe = true;
  }
  gst_app_src_push_sample(GST_APP_SRC(appsrc), sample);
}

// Sets a pipeline just built to PLAYING. One that will not start is set back to NULL and let
// go of (false).
inline bool playOrDrop(GstPtr<GstElement>& pipeline) {
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
    return true;
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  pipeline.reset();
  return false;
}

// Stops a pipeline (to NULL, on the calling thread) and lets go of it; nothing if there is none.
inline void stopAndDrop(GstPtr<GstElement>& pipeline) {
  if (!pipeline) return;
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  pipeline.reset();
}

// A statistics structure handed over by an element, freed when it goes.
struct StructureFree {
  void operator()(GstStructure* s) const {
    if (s) gst_structure_free(s);
  }
};
using StructurePtr = std::unique_ptr<GstStructure, StructureFree>;

// A statistics field, whatever integer or floating type the element gave it.
inline std::optional<double> statNumber(const GstStructure* s, const char* field) {
  double d = 0;
  gint64 i64 = 0;
  guint64 u64 = 0;
  gint i = 0;
  guint u = 0;
  if (gst_structure_get_double(s, field, &d)) return d;
  if (gst_structure_get_int64(s, field, &i64)) return static_cast<double>(i64);
  if (gst_structure_get_uint64(s, field, &u64)) return static_cast<double>(u64);
  if (gst_structure_get_int(s, field, &i)) return i;
  if (gst_structure_get_uint(s, field, &u)) return u;
  return std::nullopt;
}

}  // namespace ceremony::media::bridge
