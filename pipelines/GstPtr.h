#pragma once
// RAII ownership of GStreamer objects: never hand-paired ref/unref.

#include <gst/gst.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

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

// Memory GLib hands over with g_free (a URI, a debug string).
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<gchar, GFree>;

// An element just made is floating: nobody owns it until a bin takes it. One that will not
// be added after all (a sibling could not be made) is disposed of here.
inline void dropFloating(GstElement* e) {
  if (e) gst_object_unref(gst_object_ref_sink(e));
}

// True when every element of a chain just made exists; otherwise each one that does is
// disposed of, so a missing plugin leaks nothing.
inline bool allMadeOrDropped(std::initializer_list<GstElement*> made) {
  for (GstElement* e : made)
    if (!e) {
      for (GstElement* other : made) dropFloating(other);
      return false;
    }
  return true;
}

// A floating element under construction (a source or clip bin): disposed of if an error
// path returns early; release() hands the floating reference on to the caller.
struct GstFloatingDrop {
  void operator()(GstElement* e) const { dropFloating(e); }
};
using GstFloatingPtr = std::unique_ptr<GstElement, GstFloatingDrop>;

// A GError out-parameter that frees itself.
class GErrorBox {
 public:
  GErrorBox() = default;
  GErrorBox(const GErrorBox&) = delete;
  GErrorBox& operator=(const GErrorBox&) = delete;
  GErrorBox(GErrorBox&& other) noexcept : error_(std::exchange(other.error_, nullptr)) {}
  ~GErrorBox() { g_clear_error(&error_); }

  GError** out() {
    g_clear_error(&error_);
    return &error_;
  }
  const GError* get() const { return error_; }
  explicit operator bool() const { return error_ != nullptr; }
  std::string message(const char* otherwise) const {
    return error_ && error_->message ? error_->message : otherwise;
  }

 private:
  GError* error_ = nullptr;
};

// What an error or warning message on a bus says.
struct BusProblem {
  GErrorBox error;
  std::string debug;  // empty when the element gave none
};
inline BusProblem parseProblem(GstMessage* msg) {
  BusProblem p;
  gchar* debug = nullptr;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING)
    gst_message_parse_warning(msg, p.error.out(), &debug);
  else
    gst_message_parse_error(msg, p.error.out(), &debug);
  GCharPtr owned(debug);
  if (owned) p.debug = owned.get();
  return p;
}

// A pad requested from an element (a mixer's sink_%u): released back to it and unreferenced
// when this goes. Move-only; it keeps the element alive as long as it holds the pad.
class RequestPad {
 public:
  RequestPad() = default;
  RequestPad(GstElement* owner, const char* templateName)
      : pad_(gst_element_request_pad_simple(owner, templateName)) {
    if (pad_) owner_.reset(GST_ELEMENT(gst_object_ref(owner)));
  }
  RequestPad(const RequestPad&) = delete;
  RequestPad& operator=(const RequestPad&) = delete;
  RequestPad(RequestPad&&) noexcept = default;
  RequestPad& operator=(RequestPad&& other) noexcept {
    if (this != &other) {
      reset();
      owner_ = std::move(other.owner_);
      pad_ = std::move(other.pad_);
    }
    return *this;
  }
  ~RequestPad() { reset(); }

  GstPad* get() const { return pad_.get(); }
  explicit operator bool() const { return pad_ != nullptr; }
  // The pad stays with its element (released when the element goes), not with this holder.
  void forget() {
    pad_.reset();
    owner_.reset();
  }
  void reset() {
    if (pad_ && owner_) gst_element_release_request_pad(owner_.get(), pad_.get());
    pad_.reset();
    owner_.reset();
  }

 private:
  GstPtr<GstElement> owner_;
  GstPtr<GstPad> pad_;
};

}  // namespace ceremony::media
