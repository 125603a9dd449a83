#pragma once
// What a scene looks like on the programme: which layers are visible, where, and whose
// audio is heard. Pure arithmetic, no GStreamer, so every scene kind is unit-tested.

#include <set>
#include <string>
#include <vector>

#include "config/Config.h"
#include "pipelines/programme/LayerKey.h"

namespace ceremony::media {

// A layer is a mixer input (LayerKey): a configured source, a slate, a clip prepared for a
// timeline item or the pre-show card (LayerKey::slate(kPreShow)).
struct Layer {
  LayerKey key;
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  int zorder = 1;
};

struct SceneLayout {
  std::vector<Layer> video;      // visible layers; every other layer is hidden
  std::vector<LayerKey> audio;   // layers heard at full volume; every other one muted
  std::string lowerThirdMarkup;  // Pango markup, empty = no lower third
};

inline const std::string kPreShow = "__pre_show";

// `layout` as shown while the layers in `lost` have no picture: each is replaced, in its
// place and size, by its stand-in card (LayerKey::standInCard), and is not heard (silence
// takes its sound's place).
SceneLayout withStandIns(const SceneLayout& layout, const std::set<LayerKey>& lost);

// The layout of `scene` on a `format` programme. `itemId` names the clip layer of clip
// scenes (each timeline item gets its own clip instance, prepared ahead).
SceneLayout layoutFor(const SceneConfig& scene, const std::string& itemId,
                      const ProgrammeFormat& format);

// A mosaic's tiles, row by row: 16:9, as large as the grid allows with a small gap between
// them, the grid centred on the programme. Tile k is the layer LayerKey::tile(k).
std::vector<Layer> mosaicTiles(const SceneConfig& scene, const ProgrammeFormat& format);

// Name on the first line, role under it; escaped for Pango.
std::string lowerThirdMarkup(const LowerThird& lowerThird, const ProgrammeFormat& format);

std::string escapeMarkup(const std::string& text);

}  // namespace ceremony::media
