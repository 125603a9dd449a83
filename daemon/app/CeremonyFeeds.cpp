// What the points' return feeds are used for now: which are decoded (only those something
// shows: a point in the scene on air or being prepared, a mosaic's tile) and which point
// each tile of the mosaic on air shows, a page of them at a time.

#include <algorithm>

#include "app/Ceremony.h"

namespace ceremony {

namespace {

// A feed stays decoded this long after nothing shows it any more: the scene it left is
// still on air until the next one's take lands (200–300 ms), and a cut back costs nothing.
constexpr std::chrono::seconds kDecodeLinger{2};

}  // namespace

const SceneConfig* Ceremony::sceneById(const std::string& id) const {
  if (const SceneConfig* scene = config_.findScene(id)) return scene;
  auto it = pointScenes_.find(id);
  return it == pointScenes_.end() ? nullptr : &it->second;
}

std::set<std::string> Ceremony::pointsShownBy(const SceneConfig& scene) const {
  std::set<std::string> out;
  for (const std::string* id : {&scene.source, &scene.main, &scene.inset})
    if (const SourceConfig* s = id->empty() ? nullptr : config_.findSource(*id);
        s && s->kind == SourceKind::Point)
      out.insert(s->point);
  return out;
}

// The point each tile of the mosaic `scene` shows now ("" for none), turning the page when
// its time is up. A fixed list keeps each point in its own tile (empty while it does not
// send); otherwise the points sending fill the tiles in the points' order.
std::vector<std::string> Ceremony::mosaicPage(const SceneConfig& scene,
                                              std::chrono::steady_clock::time_point now) {
  std::vector<std::string> list;
  if (!scene.points.empty()) {
    list = scene.points;
  } else {
    for (const auto& p : config_.health.points)
      if (auto r = returns_.find(p.id); r != returns_.end() && r->second.connected)
        list.push_back(p.id);
  }
  const std::size_t tiles = static_cast<std::size_t>(scene.tiles());
  const std::size_t pages = std::max<std::size_t>(1, (list.size() + tiles - 1) / tiles);
  if (mosaic_.sceneId != scene.id) {
    mosaic_ = MosaicState{scene.id, 0, now};
  } else if (now - mosaic_.pageSince >= scene.page) {
    mosaic_.page = (mosaic_.page + 1) % pages;
    mosaic_.pageSince = now;
  }
  if (mosaic_.page >= pages) mosaic_.page = 0;
  std::vector<std::string> shown(tiles);
  for (std::size_t k = 0; k < tiles; ++k)
    if (const std::size_t i = mosaic_.page * tiles + k; i < list.size()) shown[k] = list[i];
  return shown;
}

void Ceremony::steerReturnFeeds() {
  if (!mixer_) return;
  const auto now = std::chrono::steady_clock::now();
  std::set<std::string> wanted;
  const SceneConfig* onAir = sceneById(mixer_->onAirScene());
  for (const SceneConfig* scene : {onAir, sceneById(preparedScene_)})
    if (scene) wanted.merge(pointsShownBy(*scene));

  std::vector<std::string> tilePoints;
  std::vector<media::Layer> tiles;
  if (onAir && onAir->kind == SceneKind::Mosaic) {
    tilePoints = mosaicPage(*onAir, now);
    tiles = media::mosaicTiles(*onAir, config_.format);
  } else {
    mosaic_ = MosaicState{};
  }
  for (auto& [id, r] : returns_) {
    const auto on = std::find(tilePoints.begin(), tilePoints.end(), id);
    std::optional<media::TileTarget> tile;
    if (on != tilePoints.end()) {
      const auto k = static_cast<std::size_t>(on - tilePoints.begin());
      tile = media::TileTarget{mixer_->tileChannel(static_cast<int>(k)), tiles[k].width,
                               tiles[k].height};
    }
    r.feed->showOnTile(tile);
    auto& until = decodeUntil_[id];
    if (tile || wanted.count(id)) until = now + kDecodeLinger;
    r.feed->setDecoding(now < until);
  }
}

}  // namespace ceremony
