#include "pipelines/programme/LayerKey.h"

namespace ceremony::media {

LayerKey LayerKey::standInCard() const {
  return {kind, kind == LayerKind::Clip ? std::string() : id, true};
}

std::string LayerKey::str() const {
  const char* kindName = "source:";
  switch (kind) {
    case LayerKind::Source:
      break;
    case LayerKind::Slate:
      kindName = "slate:";
      break;
    case LayerKind::Clip:
      kindName = "clip:";
      break;
    case LayerKind::Tile:
      kindName = "tile:";
      break;
  }
  return (standIn ? "standin:" : "") + (kindName + id);
}

}  // namespace ceremony::media
