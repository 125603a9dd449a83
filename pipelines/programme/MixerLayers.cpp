#include "pipelines/programme/MixerLayers.h"

#include <algorithm>

namespace ceremony::media {

namespace {

// The layer's tee and queue in front of the two mixers leave with it.
void removeAudioSplit(GstBin* pipeline, LayerPads& layer) {
  for (GstElement** e : {&layer.pointsQueue, &layer.audioTee}) {
    if (!*e) continue;
    gst_element_set_state(*e, GST_STATE_NULL);
    gst_bin_remove(pipeline, *e);
    *e = nullptr;
  }
}

// The layer's sound to both mixers: a tee, its first branch to the programme's mixer pad,
// its second through a leaky queue to the points' mixer (which never holds up the other).
bool splitAudio(GstBin* pipeline, const MixChain& chain, GstPad* audio, LayerPads& layer) {
  layer.audioTee = gst_element_factory_make("tee", nullptr);
  layer.pointsQueue = gst_element_factory_make("queue", nullptr);
  if (!layer.audioTee || !layer.pointsQueue) return false;
  g_object_set(layer.pointsQueue, "leaky", 2, "max-size-time",
               static_cast<guint64>(200 * GST_MSECOND), "max-size-buffers", 0, "max-size-bytes", 0,
               nullptr);
  gst_bin_add_many(pipeline, layer.audioTee, layer.pointsQueue, nullptr);
  layer.pointsPad = RequestPad(chain.pointsMixer, "sink_%u");
  if (!layer.pointsPad) return false;
  g_object_set(layer.pointsPad.get(), "volume", 0.0, nullptr);
  GstPtr<GstPad> teeSink(gst_element_get_static_pad(layer.audioTee, "sink"));
  GstPtr<GstPad> queueSrc(gst_element_get_static_pad(layer.pointsQueue, "src"));
  RequestPad toMain(layer.audioTee, "src_%u"), toPoints(layer.audioTee, "src_%u");
  GstPtr<GstPad> queueSink(gst_element_get_static_pad(layer.pointsQueue, "sink"));
  const bool linked = gst_pad_link(audio, teeSink.get()) == GST_PAD_LINK_OK &&
                      gst_pad_link(toMain.get(), layer.audioPad.get()) == GST_PAD_LINK_OK &&
                      gst_pad_link(toPoints.get(), queueSink.get()) == GST_PAD_LINK_OK &&
                      gst_pad_link(queueSrc.get(), layer.pointsPad.get()) == GST_PAD_LINK_OK;
  // The tee's pads stay with the tee (released when it goes), not with these holders.
  toMain.forget();
  toPoints.forget();
  gst_element_sync_state_with_parent(layer.audioTee);
  gst_element_sync_state_with_parent(layer.pointsQueue);
  return linked;
}

}  // namespace

bool linkLayer(GstBin* pipeline, const MixChain& chain, const LayerKey& key, GstElement* bin,
               bool dynamic, bool intoPointsMix, LayerPads* out, std::string* error) {
  const std::string name = key.str();
  if (!bin) {
    *error = "cannot make " + name + " (a GStreamer plugin is missing: run `make deps`)";
    return false;
  }
  gst_bin_add(pipeline, bin);
  LayerPads layer;
  layer.bin = bin;
  layer.dynamic = dynamic;
  // A layer that cannot be linked leaves nothing behind: its mixer pads go back (RequestPad)
  // and its bin leaves the pipeline.
  auto fail = [&](std::string why) {
    layer.videoPad.reset();
    layer.audioPad.reset();
    layer.pointsPad.reset();
    removeAudioSplit(pipeline, layer);
    gst_element_set_state(bin, GST_STATE_NULL);
    gst_bin_remove(pipeline, bin);
    *error = std::move(why);
    return false;
  };
  GstPtr<GstPad> video(gst_element_get_static_pad(bin, "video"));
  GstPtr<GstPad> audio(gst_element_get_static_pad(bin, "audio"));
  if (!video) return fail(name + " has no picture to give the programme mixer");
  if (dynamic) {
    // Hold everything (events too) until the take sets the running-time offset: the clip
    // is opened and decoded ahead, and its first frame lands exactly at the take.
    for (GstPad* p : {video.get(), audio.get()}) {
      if (!p) continue;
      const gulong id = gst_pad_add_probe(
          p, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
          [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
      layer.blocks.emplace_back(p, id);
    }
  }
  layer.videoPad = RequestPad(chain.compositor, "sink_%u");
  if (!layer.videoPad) return fail("the programme mixer gave no pad for " + name);
  g_object_set(layer.videoPad.get(), "alpha", 0.0, nullptr);
  if (gst_pad_link(video.get(), layer.videoPad.get()) != GST_PAD_LINK_OK)
    return fail("cannot link " + name + " to the programme mixer");
  if (audio) {
    layer.audioPad = RequestPad(chain.audiomixer, "sink_%u");
    if (!layer.audioPad) return fail("the sound mixer gave no pad for " + name);
    g_object_set(layer.audioPad.get(), "volume", 0.0, nullptr);
    if (chain.pointsMixer && intoPointsMix) {
      if (!splitAudio(pipeline, chain, audio.get(), layer))
        return fail("cannot link the sound of " + name + " to the points' mix");
    } else if (gst_pad_link(audio.get(), layer.audioPad.get()) != GST_PAD_LINK_OK) {
      return fail("cannot link the sound of " + name + " to the programme mixer");
    }
  }
  *out = std::move(layer);
  return true;
}

void unlinkLayer(GstBin* pipeline, LayerPads& layer) {
  // Release the mixer pads first: that flushes them and frees a clip thread blocked on a
  // full mixer queue, so the bin can then stop without a deadlock.
  for (auto& [pad, id] : layer.blocks) gst_pad_remove_probe(pad, id);
  layer.videoPad.reset();
  layer.audioPad.reset();
  layer.pointsPad.reset();
  gst_element_set_state(layer.bin, GST_STATE_NULL);
  gst_bin_remove(pipeline, layer.bin);
  removeAudioSplit(pipeline, layer);
}

void onEndOfStream(GstPad* pad, std::function<void()> then) {
  using Then = std::function<void()>;
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
          (*static_cast<Then*>(data))();
        return GST_PAD_PROBE_OK;
      },
      new Then(std::move(then)), [](gpointer data) { delete static_cast<Then*>(data); });
}

std::optional<LayerPads> MixerLayers::take(const LayerKey& key) {
  auto it = layers_.find(key);
  if (it == layers_.end()) return std::nullopt;
  std::optional<LayerPads> layer(std::move(it->second));
  layers_.erase(it);
  return layer;
}

void MixerLayers::startAt(const LayerKey& key, GstClockTime rt) {
  auto it = layers_.find(key);
  if (it == layers_.end()) return;
  for (auto& [pad, id] : it->second.blocks) {
    gst_pad_set_offset(pad, static_cast<gint64>(rt));
    gst_pad_remove_probe(pad, id);
  }
  it->second.blocks.clear();
}

std::optional<LayerKey> MixerLayers::clipHolding(GstObject* object) const {
  std::optional<LayerKey> found;
  for (const auto& [key, layer] : layers_)
    if (key.kind == LayerKind::Clip && !key.standIn &&
        (object == GST_OBJECT(layer.bin) ||
         gst_object_has_as_ancestor(object, GST_OBJECT(layer.bin))))
      found = key;
  return found;
}

void MixerLayers::showVideo(const SceneLayout& shown) {
  for (auto& [key, layer] : layers_) {
    auto it = std::find_if(shown.video.begin(), shown.video.end(),
                           [&k = key](const Layer& l) { return l.key == k; });
    if (it == shown.video.end()) {
      g_object_set(layer.videoPad.get(), "alpha", 0.0, nullptr);
    } else {
      g_object_set(layer.videoPad.get(), "alpha", 1.0, "xpos", it->x, "ypos", it->y, "width",
                   it->width, "height", it->height, "zorder", static_cast<guint>(it->zorder),
                   nullptr);
    }
  }
}

void MixerLayers::setVolumes(const SceneLayout& heard) {
  for (auto& [key, layer] : layers_) {
    if (!layer.audioPad) continue;
    const bool on = std::find(heard.audio.begin(), heard.audio.end(), key) != heard.audio.end();
    g_object_set(layer.audioPad.get(), "volume", on ? 1.0 : 0.0, nullptr);
    if (layer.pointsPad) g_object_set(layer.pointsPad.get(), "volume", on ? 1.0 : 0.0, nullptr);
  }
}

}  // namespace ceremony::media
