#pragma once
// The name of one mixer input (a layer): what it shows and whose it is. Pure, no GStreamer.

#include <compare>
#include <string>

namespace ceremony::media {

enum class LayerKind {
  Source,  // a configured source ("source:hall")
  Slate,   // a slate scene's card, or the pre-show card ("slate:welcome")
  Clip,    // a clip prepared for a timeline item ("clip:<item id>")
  Tile,    // a mosaic's tile, showing whichever point is given it ("tile:0")
};

struct LayerKey {
  LayerKind kind = LayerKind::Source;
  std::string id;        // the source's, scene's or item's id
  bool standIn = false;  // the card shown in this layer's place while it has no picture

  static LayerKey source(std::string sourceId) { return {LayerKind::Source, std::move(sourceId)}; }
  static LayerKey slate(std::string sceneId) { return {LayerKind::Slate, std::move(sceneId)}; }
  static LayerKey clip(std::string itemId) { return {LayerKind::Clip, std::move(itemId)}; }
  static LayerKey tile(int index) { return {LayerKind::Tile, std::to_string(index)}; }

  // The card that stands in for this layer: a live input's own "Mất tín hiệu" card
  // ("standin:source:hall"), or the title card shared by all clips ("standin:clip:"), one
  // clip being on air at a time.
  LayerKey standInCard() const;
  // As written in logs and messages: "source:hall", "clip:item-4", "standin:clip:".
  std::string str() const;

  auto operator<=>(const LayerKey&) const = default;
  bool operator==(const LayerKey&) const = default;
};

}  // namespace ceremony::media
