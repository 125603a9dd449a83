#include <gtest/gtest.h>

#include "pipelines/programme/SceneLayout.h"

namespace ceremony::media {

namespace {
SceneConfig scene(SceneKind kind) {
  SceneConfig s;
  s.id = "s";
  s.kind = kind;
  s.source = "hall";
  s.main = "hall";
  s.inset = "cam2";
  return s;
}
std::vector<std::string> keys(const std::vector<LayerKey>& layers) {
  std::vector<std::string> out;
  for (const auto& k : layers) out.push_back(k.str());
  return out;
}
}  // namespace

TEST(SceneLayout, SourceFillsTheProgrammeAndIsHeard) {
  auto l = layoutFor(scene(SceneKind::Source), "item", ProgrammeFormat{});
  ASSERT_EQ(l.video.size(), 1u);
  EXPECT_EQ(l.video[0].key.str(), "source:hall");
  EXPECT_EQ(l.video[0].width, 1280);
  EXPECT_EQ(l.video[0].height, 720);
  EXPECT_EQ(keys(l.audio), std::vector<std::string>{"source:hall"});
}

TEST(SceneLayout, SlateIsSilentAndClipIsPerItem) {
  auto slate = layoutFor(scene(SceneKind::Slate), "item", ProgrammeFormat{});
  EXPECT_EQ(slate.video[0].key.str(), "slate:s");
  EXPECT_TRUE(slate.audio.empty());
  auto clip = layoutFor(scene(SceneKind::Clip), "item-4", ProgrammeFormat{});
  EXPECT_EQ(clip.video[0].key.str(), "clip:item-4");
  EXPECT_EQ(keys(clip.audio), std::vector<std::string>{"clip:item-4"});
}

TEST(SceneLayout, PictureInPictureInsetSitsInsideTheChosenCorner) {
  ProgrammeFormat f;
  for (std::string pos : {"top-left", "top-right", "bottom-left", "bottom-right"}) {
    auto s = scene(SceneKind::PictureInPicture);
    s.insetPosition = pos;
    auto l = layoutFor(s, "item", f);
    ASSERT_EQ(l.video.size(), 2u);
    const Layer& in = l.video[1];
    EXPECT_EQ(in.key.str(), "source:cam2");
    EXPECT_GT(in.zorder, l.video[0].zorder) << "the inset must be drawn over the main picture";
    EXPECT_GE(in.x, 0);
    EXPECT_LE(in.x + in.width, f.width);
    EXPECT_LE(in.y + in.height, f.height);
    EXPECT_EQ(in.x < f.width / 2, pos.find("left") != std::string::npos) << pos;
    EXPECT_EQ(in.y < f.height / 2, pos.find("top") != std::string::npos) << pos;
    EXPECT_EQ(keys(l.audio), std::vector<std::string>{"source:hall"});
  }
}

TEST(SceneLayout, SideBySideSplitsTheWidth) {
  ProgrammeFormat f;
  auto l = layoutFor(scene(SceneKind::SideBySide), "item", f);
  ASSERT_EQ(l.video.size(), 2u);
  EXPECT_EQ(l.video[0].x + l.video[0].width, l.video[1].x);
  EXPECT_EQ(l.video[1].x + l.video[1].width, f.width);
}

TEST(SceneLayout, LowerThirdEscapesMarkupAndKeepsDiacritics) {
  ProgrammeFormat f;
  auto m = lowerThirdMarkup({"Nguyễn Văn <A> & B", "Phó Chủ tịch UBND tỉnh"}, f);
  EXPECT_NE(m.find("Nguyễn Văn &lt;A&gt; &amp; B"), std::string::npos);
  EXPECT_NE(m.find("Phó Chủ tịch UBND tỉnh"), std::string::npos);
  EXPECT_TRUE(lowerThirdMarkup({}, f).empty());
}

TEST(SceneLayout, ALostInputIsReplacedInPlaceByItsCardAndIsNotHeard) {
  const auto pip = layoutFor(scene(SceneKind::PictureInPicture), "item", ProgrammeFormat{});
  const auto shown = withStandIns(pip, {LayerKey::source("cam2")});
  ASSERT_EQ(shown.video.size(), 2u);
  EXPECT_EQ(shown.video[0].key.str(), "source:hall");
  EXPECT_EQ(shown.video[1].key.str(), "standin:source:cam2");
  EXPECT_EQ(shown.video[1].x, pip.video[1].x);
  EXPECT_EQ(shown.video[1].width, pip.video[1].width);
  EXPECT_EQ(shown.video[1].zorder, pip.video[1].zorder);
  EXPECT_EQ(keys(shown.audio), std::vector<std::string>{"source:hall"});

  const auto hallLost = withStandIns(pip, {LayerKey::source("hall")});
  EXPECT_EQ(hallLost.video[0].key.str(), "standin:source:hall");
  EXPECT_EQ(hallLost.video[0].width, 1280);
  EXPECT_TRUE(hallLost.audio.empty());  // silence, not the inset's sound
  EXPECT_EQ(withStandIns(pip, {}).video[0].key.str(), "source:hall");
}

TEST(SceneLayout, AMosaicIsAGridOfTilesThatNeverOverlap) {
  SceneConfig mosaic = scene(SceneKind::Mosaic);
  mosaic.columns = mosaic.rows = 3;
  mosaic.audio = "hall";
  const ProgrammeFormat f{};
  auto l = layoutFor(mosaic, "item", f);
  ASSERT_EQ(l.video.size(), 9u);
  EXPECT_EQ(l.video[0].key.str(), "tile:0");
  EXPECT_EQ(l.video[8].key.str(), "tile:8");
  EXPECT_EQ(keys(l.audio), std::vector<std::string>{"source:hall"});
  for (const auto& a : l.video) {
    EXPECT_EQ(a.width % 2, 0);
    EXPECT_EQ(a.height % 2, 0);
    EXPECT_NEAR(double(a.width) / a.height, 16.0 / 9, 0.02) << a.key.str();
    EXPECT_GE(a.x, 0);
    EXPECT_GE(a.y, 0);
    EXPECT_LE(a.x + a.width, f.width);
    EXPECT_LE(a.y + a.height, f.height);
    for (const auto& b : l.video) {
      if (&a == &b) continue;
      EXPECT_TRUE(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y ||
                  b.y + b.height <= a.y)
          << a.key.str() << " overlaps " << b.key.str();
    }
  }
  // Row by row, and as large as the height allows (the rows fill it but for the gaps).
  EXPECT_LT(l.video[0].x, l.video[1].x);
  EXPECT_EQ(l.video[0].y, l.video[2].y);
  EXPECT_LT(l.video[2].y, l.video[3].y);
  EXPECT_GT(3 * l.video[0].height, f.height - 40);
  // The same arithmetic at the tests' 640×360, 2×2 (tests/integration/BridgeMosaicTest.cpp).
  mosaic.columns = mosaic.rows = 2;
  ProgrammeFormat small;
  small.width = 640;
  small.height = 360;
  const auto tiles = mosaicTiles(mosaic, small);
  ASSERT_EQ(tiles.size(), 4u);
  EXPECT_EQ(tiles[0].x, 10);
  EXPECT_EQ(tiles[0].y, 4);
  EXPECT_EQ(tiles[0].width, 308);
  EXPECT_EQ(tiles[0].height, 174);
  EXPECT_EQ(tiles[3].x, 10 + 312);
  EXPECT_EQ(tiles[3].y, 4 + 178);
}

}  // namespace ceremony::media
