#pragma once
// What a scene looks like on the programme: which layers are visible, where, and whose
// audio is heard. Pure arithmetic, no GStreamer, so every scene kind is unit-tested.

#include <set>
#include <string>
#include <vector>

#include "config/Config.h"

namespace ceremony::media {

// A layer is a mixer input: a configured source ("source:hall"), a slate
// ("slate:welcome"), a clip prepared for a timeline item ("clip:<item id>") or the
// pre-show card ("slate:" + kPreShow).
struct Layer {
  std::string key;
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  int zorder = 1;
};

struct SceneLayout {
  std::vector<Layer> video;        // visible layers; every other layer is hidden
  std::vector<std::string> audio;  // layers heard at full volume; every other one muted
  std::string lowerThirdMarkup;    // Pango markup, empty = no lower third
};

inline const std::string kPreShow = "__pre_show";

std::string sourceKey(const std::string& sourceId);
std::string slateKey(const std::string& sceneId);
std::string clipKey(const std::string& itemId);
// The card that stands in for a layer with no picture: a live input's "Mất tín hiệu" card
// ("standin:source:hall") or the title card of a clip that cannot play (one for all clips,
// "standin:clip:").
std::string standInKey(const std::string& layerKey);

// `layout` as shown while the layers in `lost` have no picture: each is replaced, in its
// place and size, by its stand-in card, and is not heard (silence takes its sound's place).
SceneLayout withStandIns(const SceneLayout& layout, const std::set<std::string>& lost);

// The layout of `scene` on a `format` programme. `itemId` names the clip layer of clip
// scenes (each timeline item gets its own clip instance, prepared ahead).
SceneLayout layoutFor(const SceneConfig& scene, const std::string& itemId,
                      const ProgrammeFormat& format);

// Name on the first line, role under it; escaped for Pango.
std::string lowerThirdMarkup(const LowerThird& lowerThird, const ProgrammeFormat& format);

std::string escapeMarkup(const std::string& text);

}  // namespace ceremony::media
