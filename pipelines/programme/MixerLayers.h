#pragma once
// The programme's layers: every source, slate, card and prepared clip is a bin linked to
// the compositor (and to the audio mixer if it has sound) for as long as it exists. A scene
// never relinks anything: it only sets the layers' pad properties (alpha, position, size,
// zorder; volume).

#include <gst/gst.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/MixChain.h"
#include "pipelines/programme/SceneLayout.h"

namespace ceremony::media {

// Move-only: the mixer pads go back to their mixer when it goes.
struct LayerPads {
  GstElement* bin = nullptr;  // owned by the pipeline
  RequestPad videoPad;        // compositor sink pad
  RequestPad audioPad;        // audiomixer sink pad, may be empty
  // Its sound in the points' mix too (every layer's but a point's): a tee in front of the
  // two mixers, a leaky queue to the points' mixer and its pad there.
  GstElement* audioTee = nullptr;  // owned by the pipeline
  GstElement* pointsQueue = nullptr;
  RequestPad pointsPad;
  bool dynamic = false;                            // a clip: removed once off air
  std::vector<std::pair<GstPad*, gulong>> blocks;  // held until the take
};

// Adds `bin` to `pipeline` and links its "video" (and "audio") pad to the chain's mixers,
// hidden and muted. A clip (`dynamic`) is held, events too, until startAt(). A layer that
// cannot be linked leaves nothing behind (false with a sentence in `error`).
// `intoPointsMix`: its sound goes into the points' mix as well (if the chain has one).
bool linkLayer(GstBin* pipeline, const MixChain& chain, const LayerKey& key, GstElement* bin,
               bool dynamic, bool intoPointsMix, LayerPads* layer, std::string* error);
// Takes the layer out of `pipeline`.
void unlinkLayer(GstBin* pipeline, LayerPads& layer);
// Calls `then` on the streaming thread where `pad` sees an end of stream.
void onEndOfStream(GstPad* pad, std::function<void()> then);

// The layers by key. No lock of its own: its owner guards it (the mixers' threads read it).
class MixerLayers {
 public:
  void insert(const LayerKey& key, LayerPads layer) { layers_[key] = std::move(layer); }
  bool contains(const LayerKey& key) const { return layers_.count(key) > 0; }
  // Takes the layer out of the table, for unlinkLayer.
  std::optional<LayerPads> take(const LayerKey& key);
  // A held clip starts now, its timestamps moved to the take's running time `rt`.
  void startAt(const LayerKey& key, GstClockTime rt);
  // The clip whose bin holds `object`, if any (an error inside it is its own).
  std::optional<LayerKey> clipHolding(GstObject* object) const;
  // Every layer's picture as `shown` says (a layer not in it is hidden).
  void showVideo(const SceneLayout& shown);
  // Every layer's sound as `heard` says (a layer not in it is muted).
  void setVolumes(const SceneLayout& heard);
  // The mixer pads go back to their (stopped) mixers.
  void clear() { layers_.clear(); }

 private:
  std::map<LayerKey, LayerPads> layers_;
};

}  // namespace ceremony::media
