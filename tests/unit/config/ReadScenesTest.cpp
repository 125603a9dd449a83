// [scenes.<id>]: the sources they name and their clips.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

TEST_F(ConfigParser, UnknownSourceInAScene) {
  LoadResult r = parse(
      withBase("[scenes.pip]\nkind = \"pip\"\nmain = \"hall\"\ninset = \"cam2\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "[scenes.pip] inset \"cam2\" is not a source", Severity::Error,
                    kBaseLines + 4, 9);
}

TEST_F(ConfigParser, MissingClipFile) {
  const std::string text =
      withBase("[scenes.film]\nkind = \"clip\"\nfile = \"media/phong-su.mp4\"\n") + kOneItem;
  LoadResult r = parse(text);
  EXPECT_DIAGNOSTIC(r, "the clip file \"media/phong-su.mp4\"", Severity::Error, kBaseLines + 3, 8);
  EXPECT_NE(find(r, "does not exist"), nullptr);

  // Once the file is there (relative to the config's folder) the same text is fine.
  dir_.write("media/phong-su.mp4", "not really a film");
  LoadResult ok = parse(text);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_EQ(fs::path(ok.config->findScene("film")->clip.file),
            dir_.path() / "media" / "phong-su.mp4");
}

TEST_F(ConfigParser, AMosaicOfPoints) {
  const std::string points =
      "\n[[points]]\nid = \"nghia-hanh\"\nname = \"Xã Nghĩa Hành\"\nkind = \"xã\"\n"
      "contact_phone = \"0900 000 101\"\n"
      "probes = [{ kind = \"tcp\", target = \"127.0.0.1:1\" }]\n";
  const std::string mosaic =
      "[scenes.ca_tinh]\nkind = \"mosaic\"\ngrid = \"4x3\"\npage = \"5s\"\n"
      "points = [\"nghia-hanh\"]\n";
  LoadResult ok = parse(withBase(mosaic) + kOneItem + "\n[bridge]\n" + points);
  ASSERT_TRUE(ok.config) << dump(ok);
  const SceneConfig* s = ok.config->findScene("ca_tinh");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, SceneKind::Mosaic);
  EXPECT_EQ(s->columns, 4);
  EXPECT_EQ(s->rows, 3);
  EXPECT_EQ(s->tiles(), 12);
  EXPECT_EQ(s->page, milliseconds(5000));
  EXPECT_EQ(s->points, std::vector<std::string>{"nghia-hanh"});
  // Without a list: every point sending, 3×3, a page every 10 s.
  LoadResult all =
      parse(withBase("[scenes.ca_tinh]\nkind = \"mosaic\"\n") + kOneItem + "\n[bridge]\n" + points);
  ASSERT_TRUE(all.config) << dump(all);
  EXPECT_EQ(all.config->findScene("ca_tinh")->tiles(), 9);
  EXPECT_EQ(all.config->findScene("ca_tinh")->page, milliseconds(10000));

  LoadResult grid = parse(withBase("[scenes.ca_tinh]\nkind = \"mosaic\"\ngrid = \"3 by 3\"\n") +
                          kOneItem + "\n[bridge]\n" + points);
  EXPECT_DIAGNOSTIC(grid, "grid \"3 by 3\" is not columns×rows", Severity::Error, kBaseLines + 3,
                    8);
  LoadResult big = parse(withBase("[scenes.ca_tinh]\nkind = \"mosaic\"\ngrid = \"7x7\"\n") +
                         kOneItem + "\n[bridge]\n" + points);
  EXPECT_DIAGNOSTIC(big, "grid \"7x7\" is not columns×rows of 1 to 6", Severity::Error,
                    kBaseLines + 3, 8);
  LoadResult unknown = parse(
      withBase("[scenes.ca_tinh]\nkind = \"mosaic\"\npoints = [\"nghia-hanh\", \"ba-to\"]\n") +
      kOneItem + "\n[bridge]\n" + points);
  EXPECT_DIAGNOSTIC(unknown, "point \"ba-to\" is not a connection point", Severity::Error,
                    kBaseLines + 3, 25);
  LoadResult fast = parse(withBase("[scenes.ca_tinh]\nkind = \"mosaic\"\npage = \"1s\"\n") +
                          kOneItem + "\n[bridge]\n" + points);
  EXPECT_DIAGNOSTIC(fast, "page must be at least 2s", Severity::Error, kBaseLines + 3, 8);
  LoadResult off = parse(withBase(mosaic) + kOneItem + points);
  EXPECT_DIAGNOSTIC(off, "which is off: add [bridge]", Severity::Error, kBaseLines + 1, 1);
}

}  // namespace
}  // namespace ceremony
