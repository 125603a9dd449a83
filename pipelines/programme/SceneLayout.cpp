#include "pipelines/programme/SceneLayout.h"

#include <algorithm>

namespace ceremony::media {

SceneLayout withStandIns(const SceneLayout& layout, const std::set<LayerKey>& lost) {
  if (lost.empty()) return layout;
  SceneLayout shown = layout;
  for (auto& layer : shown.video)
    if (lost.count(layer.key)) layer.key = layer.key.standInCard();
  shown.audio.clear();
  for (const auto& key : layout.audio)
    if (!lost.count(key)) shown.audio.push_back(key);
  return shown;
}

namespace {

Layer fullScreen(LayerKey key, const ProgrammeFormat& f) {
  return Layer{std::move(key), 0, 0, f.width, f.height, 1};
}

// The inset of a picture-in-picture: a third of the width, 16:9, in a corner with a
// margin of 1/30 of the width (safe area for Facebook's player controls).
Layer inset(LayerKey key, const std::string& position, const ProgrammeFormat& f) {
  const int w = f.width / 3 / 2 * 2;
  const int h = w * f.height / f.width / 2 * 2;
  const int margin = f.width / 30;
  const bool left = position == "top-left" || position == "bottom-left";
  const bool top = position == "top-left" || position == "top-right";
  return Layer{std::move(key),
               left ? margin : f.width - w - margin,
               top ? margin : f.height - h - margin,
               w,
               h,
               2};
}

}  // namespace

std::vector<Layer> mosaicTiles(const SceneConfig& scene, const ProgrammeFormat& f) {
  const int cols = std::max(1, scene.columns), rows = std::max(1, scene.rows);
  const int gap = std::max(2, f.width / 160) / 2 * 2;
  int w = (f.width - (cols + 1) * gap) / cols;
  int h = w * 9 / 16;
  if (const int most = (f.height - (rows + 1) * gap) / rows; h > most) {
    h = most;
    w = h * 16 / 9;
  }
  w = w / 2 * 2;
  h = h / 2 * 2;
  const int x0 = (f.width - cols * w - (cols - 1) * gap) / 2;
  const int y0 = (f.height - rows * h - (rows - 1) * gap) / 2;
  std::vector<Layer> tiles;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      tiles.push_back(
          Layer{LayerKey::tile(r * cols + c), x0 + c * (w + gap), y0 + r * (h + gap), w, h, 1});
  return tiles;
}

SceneLayout layoutFor(const SceneConfig& scene, const std::string& itemId,
                      const ProgrammeFormat& format) {
  SceneLayout out;
  switch (scene.kind) {
    case SceneKind::Source:
      out.video.push_back(fullScreen(LayerKey::source(scene.source), format));
      out.audio.push_back(LayerKey::source(scene.source));
      break;
    case SceneKind::Slate:
      out.video.push_back(fullScreen(LayerKey::slate(scene.id), format));
      break;
    case SceneKind::Clip:
      out.video.push_back(fullScreen(LayerKey::clip(itemId), format));
      out.audio.push_back(LayerKey::clip(itemId));
      break;
    case SceneKind::PictureInPicture:
      out.video.push_back(fullScreen(LayerKey::source(scene.main), format));
      out.video.push_back(inset(LayerKey::source(scene.inset), scene.insetPosition, format));
      out.audio.push_back(LayerKey::source(scene.main));
      break;
    case SceneKind::SideBySide: {
      // Two 16:9 halves, centred vertically on the programme's background.
      const int w = format.width / 2;
      const int h = w * format.height / format.width;
      const int y = (format.height - h) / 2;
      out.video.push_back(Layer{LayerKey::source(scene.main), 0, y, w, h, 1});
      out.video.push_back(Layer{LayerKey::source(scene.inset), w, y, w, h, 1});
      out.audio.push_back(LayerKey::source(scene.main));
      break;
    }
    case SceneKind::Mosaic:
      out.video = mosaicTiles(scene, format);
      if (!scene.audio.empty()) out.audio.push_back(LayerKey::source(scene.audio));
      break;
  }
  return out;
}

std::string escapeMarkup(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string lowerThirdMarkup(const LowerThird& lt, const ProgrammeFormat& format) {
  if (lt.empty()) return {};
  const int nameSize = format.height / 24;  // 30 px at 720p
  const int roleSize = format.height / 34;
  std::string out;
  if (!lt.name.empty())
    out += "<span font_desc=\"" + escapeMarkup(format.font) + " Bold " + std::to_string(nameSize) +
           "px\">" + escapeMarkup(lt.name) + "</span>";
  if (!lt.role.empty()) {
    if (!out.empty()) out += "\n";
    out += "<span font_desc=\"" + escapeMarkup(format.font) + " " + std::to_string(roleSize) +
           "px\">" + escapeMarkup(lt.role) + "</span>";
  }
  return out;
}

}  // namespace ceremony::media
