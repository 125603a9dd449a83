#pragma once
// RAII ownership of GStreamer objects: never hand-paired ref/unref.

#include <gst/gst.h>

#include <memory>

namespace ceremony::media {

struct GstObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
template <typename T>
using GstPtr = std::unique_ptr<T, GstObjectUnref>;

struct GstMiniObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_mini_object_unref(GST_MINI_OBJECT_CAST(p));
  }
};
template <typename T>
using GstMiniPtr = std::unique_ptr<T, GstMiniObjectUnref>;

// Plain GObjects (GIO's sockets and addresses) that are not GstObjects.
struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

}  // namespace ceremony::media
