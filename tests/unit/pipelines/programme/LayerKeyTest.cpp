#include <gtest/gtest.h>

#include <map>
#include <set>

#include "pipelines/programme/LayerKey.h"

namespace ceremony::media {

TEST(LayerKey, WritesTheNamesLogsAndMessagesHaveAlwaysShown) {
  EXPECT_EQ(LayerKey::source("hall").str(), "source:hall");
  EXPECT_EQ(LayerKey::slate("welcome").str(), "slate:welcome");
  EXPECT_EQ(LayerKey::slate("__pre_show").str(), "slate:__pre_show");
  EXPECT_EQ(LayerKey::clip("item-4").str(), "clip:item-4");
  EXPECT_EQ(LayerKey::clip("").str(), "clip:");
}

TEST(LayerKey, ALiveInputHasItsOwnCardAndAllClipsShareOne) {
  EXPECT_EQ(LayerKey::source("hall").standInCard().str(), "standin:source:hall");
  EXPECT_EQ(LayerKey::clip("item-4").standInCard().str(), "standin:clip:");
  EXPECT_EQ(LayerKey::clip("item-4").standInCard(), LayerKey::clip("item-9").standInCard());
  EXPECT_EQ(LayerKey::clip("item-4").standInCard(), LayerKey::clip("").standInCard());
  EXPECT_NE(LayerKey::source("hall").standInCard(), LayerKey::source("cam2").standInCard());
  EXPECT_NE(LayerKey::source("hall").standInCard(), LayerKey::source("hall"));
}

TEST(LayerKey, KindAndIdTellKeysApartWhereTextCouldNot) {
  // An id with a colon in it stays one id of one kind.
  const LayerKey odd = LayerKey::source("clip:x");
  EXPECT_EQ(odd.kind, LayerKind::Source);
  EXPECT_NE(odd, LayerKey::clip("x"));
  EXPECT_NE(LayerKey::slate("hall"), LayerKey::source("hall"));

  std::map<LayerKey, int> layers{{LayerKey::source("hall"), 1}, {LayerKey::clip("hall"), 2}};
  layers[LayerKey::source("hall").standInCard()] = 3;
  EXPECT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers.at(LayerKey::clip("hall")), 2);
  const std::set<LayerKey> lost{LayerKey::source("hall")};
  EXPECT_EQ(lost.count(LayerKey::source("hall")), 1u);
  EXPECT_EQ(lost.count(LayerKey::slate("hall")), 0u);
}

}  // namespace ceremony::media
