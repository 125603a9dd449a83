#include "pipelines/programme/SceneLayout.h"

namespace ceremony::media {

std::string sourceKey(const std::string& sourceId) {
  return "source:" + sourceId;
}
std::string slateKey(const std::string& sceneId) {
  return "slate:" + sceneId;
}
std::string clipKey(const std::string& itemId) {
  return "clip:" + itemId;
}
std::string standInKey(const std::string& layerKey) {
  // Clips share one card (one clip is on air at a time); each live input has its own.
  return layerKey.rfind("clip:", 0) == 0 ? "standin:clip:" : "standin:" + layerKey;
}

SceneLayout withStandIns(const SceneLayout& layout, const std::set<std::string>& lost) {
  if (lost.empty()) return layout;
  SceneLayout shown = layout;
  for (auto& layer : shown.video)
    if (lost.count(layer.key)) layer.key = standInKey(layer.key);
  shown.audio.clear();
  for (const auto& key : layout.audio)
    if (!lost.count(key)) shown.audio.push_back(key);
  return shown;
}

namespace {

Layer fullScreen(std::string key, const ProgrammeFormat& f) {
  return Layer{std::move(key), 0, 0, f.width, f.height, 1};
}

// The inset of a picture-in-picture: a third of the width, 16:9, in a corner with a
// margin of 1/30 of the width (safe area for Facebook's player controls).
Layer inset(std::string key, const std::string& position, const ProgrammeFormat& f) {
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

SceneLayout layoutFor(const SceneConfig& scene, const std::string& itemId,
                      const ProgrammeFormat& format) {
  SceneLayout out;
  switch (scene.kind) {
    case SceneKind::Source:
      out.video.push_back(fullScreen(sourceKey(scene.source), format));
      out.audio.push_back(sourceKey(scene.source));
      break;
    case SceneKind::Slate:
      out.video.push_back(fullScreen(slateKey(scene.id), format));
      break;
    case SceneKind::Clip:
      out.video.push_back(fullScreen(clipKey(itemId), format));
      out.audio.push_back(clipKey(itemId));
      break;
    case SceneKind::PictureInPicture:
      out.video.push_back(fullScreen(sourceKey(scene.main), format));
      out.video.push_back(inset(sourceKey(scene.inset), scene.insetPosition, format));
      out.audio.push_back(sourceKey(scene.main));
      break;
    case SceneKind::SideBySide: {
      // Two 16:9 halves, centred vertically on the programme's background.
      const int w = format.width / 2;
      const int h = w * format.height / format.width;
      const int y = (format.height - h) / 2;
      out.video.push_back(Layer{sourceKey(scene.main), 0, y, w, h, 1});
      out.video.push_back(Layer{sourceKey(scene.inset), w, y, w, h, 1});
      out.audio.push_back(sourceKey(scene.main));
      break;
    }
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
