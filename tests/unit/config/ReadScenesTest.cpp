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

}  // namespace
}  // namespace ceremony
