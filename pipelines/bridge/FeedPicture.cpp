#include "pipelines/bridge/FeedPicture.h"

#include <gst/video/video.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

// What the streaming threads read of setDecoding: whether the gate is open and, just after
// it opened, whether the picture still waits for its keyframe.
struct FeedPicture::Gate {
  std::atomic<bool> open{false};
  std::atomic<bool> waitingKey{true};
  std::atomic<gint64> askedUs{0};
  std::mutex mutex;
  GstPtr<GstPad> askFrom;  // where a keyframe request goes upstream, under mutex

  // Asks the sender for a keyframe (through a depayloader to webrtcbin's RTP session, which
  // sends an RTCP PLI). Without all-headers: with them webrtcbin sends a FIR where the point
  // offered one, which not every encoder answers.
  void askKeyframe() {
    askedUs = g_get_monotonic_time();
    GstPtr<GstPad> pad;
    {
      std::lock_guard lock(mutex);
      if (askFrom) pad.reset(GST_PAD(gst_object_ref(askFrom.get())));
    }
    if (pad)
      gst_pad_push_event(
          pad.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
  }

  // The picture, as H.264 access units: none while closed; from a keyframe on once open
  // (asking again every second while none comes: the first request may be lost).
  static GstPadProbeReturn video(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* g = static_cast<Gate*>(data);
    if (!g->open) return GST_PAD_PROBE_DROP;
    if (!g->waitingKey) return GST_PAD_PROBE_OK;
    if (GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT)) {
      if (g_get_monotonic_time() - g->askedUs > 1000000) g->askKeyframe();
      return GST_PAD_PROBE_DROP;
    }
    g->waitingKey = false;
    return GST_PAD_PROBE_OK;
  }

  static GstPadProbeReturn audio(GstPad*, GstPadProbeInfo*, gpointer data) {
    return static_cast<Gate*>(data)->open ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }
};

FeedPicture::FeedPicture(GstElement* bin, const ProgrammeFormat& f, std::string name,
                         std::shared_ptr<InputWatch> watch, bool decode)
    : bin_(bin),
      format_(f),
      name_(std::move(name)),
      watch_(std::move(watch)),
      gate_(std::make_shared<Gate>()) {
  auto [vfirst, vlast] = bins::videoNormaliser(bin, f);
  auto [afirst, alast] = bins::audioNormaliser(bin, f);
  video_ = vfirst;
  audio_ = afirst;
  // The picture to the tail, and to a mosaic tile when it has one.
  tee_ = bins::make("tee");
  g_object_set(tee_, "allow-not-linked", TRUE, nullptr);
  GstElement* toTail = bins::make("queue");
  g_object_set(toTail, "max-size-buffers", 2u, "max-size-bytes", 0u, "max-size-time",
               static_cast<guint64>(0), "leaky", 2, nullptr);
  gst_bin_add_many(GST_BIN(bin), tee_, toTail, nullptr);
  gst_element_link_many(vlast, tee_, toTail, nullptr);
  bins::ghost(bin, toTail, "src", "video");
  bins::ghost(bin, alast, "src", "audio");
  gate_->open = decode;
  // The watch may be a `point` source's that an earlier session of the point left idle.
  if (watch_) watch_->idle = !decode;
}

void FeedPicture::linkDecoder(GstPad* pad) {
  GstElement* decode = bins::make("decodebin");
  gst_bin_add(GST_BIN(bin_), decode);
  bins::linkDecodedPads(decode, video_, audio_);
  gst_element_sync_state_with_parent(decode);
  GstPtr<GstPad> sink(gst_element_get_static_pad(decode, "sink"));
  gst_pad_link(pad, sink.get());
}

void FeedPicture::linkVideo(GstPad* pad, GstPad* askFrom) {
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, Gate::video, gate_.get(), nullptr);
  if (askFrom) {
    std::lock_guard lock(gate_->mutex);
    gate_->askFrom.reset(GST_PAD(gst_object_ref(askFrom)));
  }
  linkDecoder(pad);
}

void FeedPicture::linkAudio(GstPad* pad) {
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, Gate::audio, gate_.get(), nullptr);
  linkDecoder(pad);
}

bool FeedPicture::decoding() const {
  return gate_->open;
}

void FeedPicture::setDecoding(bool on) {
  if (!tee_ || gate_->open == on) return;
  if (on) {
    // A frame is due again within the input's timeout; the first one is a keyframe.
    if (watch_) {
      watch_->lastFrameUs = g_get_monotonic_time();
      watch_->idle = false;
    }
    gate_->waitingKey = true;
    gate_->open = true;
    gate_->askKeyframe();
  } else {
    gate_->open = false;
    if (watch_) watch_->idle = true;
  }
}

namespace {

// A tile's branch: the feed's picture scaled to the tile, the commune's name at its foot.
GstElement* makeTileBranch(const TileTarget& tile, const std::string& name,
                           const ProgrammeFormat& f) {
  GstElement* branch = gst_bin_new(nullptr);
  GstElement* queue = bins::make("queue");
  g_object_set(queue, "max-size-buffers", 2u, "max-size-bytes", 0u, "max-size-time",
               static_cast<guint64>(0), "leaky", 2, nullptr);
  GstElement* scale = bins::make("videoscale");
  g_object_set(scale, "add-borders", TRUE, nullptr);
  GstCaps* caps =
      gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, tile.width, "height", G_TYPE_INT,
                          tile.height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr);
  GstElement* size = bins::capsfilter(caps);
  GstElement* label = bins::make("textoverlay");
  const int px = std::max(12, tile.height / 11);
  g_object_set(label, "text", name.c_str(), "valignment", 1 /* bottom */, "halignment",
               1 /* center */, "shaded-background", TRUE, "font-desc",
               (f.font + " Bold " + std::to_string(px) + "px").c_str(), "ypad", px / 3, nullptr);
  GstElement* sink = bins::make("intervideosink");
  g_object_set(sink, "channel", tile.channel.c_str(), "sync", FALSE, "async", FALSE, "qos", FALSE,
               nullptr);
  gst_bin_add_many(GST_BIN(branch), queue, scale, size, label, sink, nullptr);
  gst_element_link_many(queue, scale, size, label, sink, nullptr);
  bins::ghost(branch, queue, "sink", "sink");
  return branch;
}

}  // namespace

void FeedPicture::showOnTile(const std::optional<TileTarget>& tile) {
  if (!tee_ || tile == tile_) return;
  if (tileBranch_) {
    // The old branch leaves once no frame is passing through the tee's pad to it.
    GstPtr<GstPad> sink(gst_element_get_static_pad(tileBranch_, "sink"));
    GstPtr<GstPad> teePad(gst_pad_get_peer(sink.get()));
    if (teePad)
      gst_pad_add_probe(
          teePad.get(), GST_PAD_PROBE_TYPE_IDLE,
          [](GstPad* pad, GstPadProbeInfo*, gpointer data) {
            auto* branch = static_cast<GstElement*>(data);
            GstPtr<GstElement> tee(gst_pad_get_parent_element(pad));
            GstPtr<GstPad> sink(gst_element_get_static_pad(branch, "sink"));
            gst_pad_unlink(pad, sink.get());
            if (tee) gst_element_release_request_pad(tee.get(), pad);
            // Stopped off the streaming thread; the bin keeps it until the feed ends.
            gst_element_call_async(
                branch,
                [](GstElement* b, gpointer) {
                  gst_element_set_state(b, GST_STATE_NULL);
                  GstPtr<GstObject> parent(gst_object_get_parent(GST_OBJECT(b)));
                  if (parent) gst_bin_remove(GST_BIN(parent.get()), b);
                },
                nullptr, nullptr);
            return GST_PAD_PROBE_REMOVE;
          },
          tileBranch_, nullptr);
    tileBranch_ = nullptr;
  }
  tile_ = tile;
  if (!tile) return;
  tileBranch_ = makeTileBranch(*tile, name_, format_);
  gst_bin_add(GST_BIN(bin_), tileBranch_);
  gst_element_sync_state_with_parent(tileBranch_);
  GstPad* teePad = gst_element_request_pad_simple(tee_, "src_%u");
  GstPtr<GstPad> sink(gst_element_get_static_pad(tileBranch_, "sink"));
  gst_pad_link(teePad, sink.get());
  gst_object_unref(teePad);
}

void FeedPicture::stopped() {
  tee_ = tileBranch_ = nullptr;
  std::lock_guard lock(gate_->mutex);
  gate_->askFrom.reset();
}

}  // namespace ceremony::media
