// [sources.<id>]: media files, URI schemes, a live input's signal timeout.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

TEST_F(ConfigParser, MissingImageAndFileUri) {
  LoadResult r =
      parse(withBase("[sources.logo]\nkind = \"image\"\npath = \"media/logo.png\"\n"
                     "[sources.film]\nkind = \"uri\"\nuri = \"file:///nonexistent/x.mp4\"\n") +
            kOneItem);
  EXPECT_DIAGNOSTIC(r, "the image file \"media/logo.png\" does not exist", Severity::Error,
                    kBaseLines + 3, 8);
  EXPECT_DIAGNOSTIC(r, "the file \"/nonexistent/x.mp4\" named by the uri does not exist",
                    Severity::Error, kBaseLines + 6, 7);
}

TEST_F(ConfigParser, UriSchemeMustBeAMediaScheme) {
  LoadResult r =
      parse(withBase("[sources.cam2]\nkind = \"uri\"\nuri = \"ftp://host/x\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "uri \"ftp://host/x\" must start with one of srt", Severity::Error,
                    kBaseLines + 3, 7);
  LoadResult ok = parse(
      withBase("[sources.cam2]\nkind = \"uri\"\nuri = \"srt://0.0.0.0:9000?mode=listener\"\n") +
      kOneItem);
  EXPECT_TRUE(ok.config) << dump(ok);
}

TEST_F(ConfigParser, SignalTimeoutOfALiveInput) {
  const std::string cam = "[sources.cam2]\nkind = \"uri\"\nuri = \"srt://0.0.0.0:9000\"\n";
  LoadResult bad = parse(withBase(cam + "signal_timeout = \"50ms\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(bad, "must be between 100ms and 60s", Severity::Error, kBaseLines + 4, 18);
  LoadResult ok = parse(withBase(cam + "signal_timeout = \"300ms\"\n") + kOneItem);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_EQ(ok.config->sources.at(1).signalTimeout, Millis{300});
  EXPECT_EQ(ok.config->sources.at(0).signalTimeout, Millis{1000});  // the default
  // A generated source cannot lose its signal: the key is named as another kind's.
  LoadResult test =
      parse(withBase("[sources.cam3]\nkind = \"test\"\nsignal_timeout = 2\n") + kOneItem);
  EXPECT_DIAGNOSTIC(test, "signal_timeout does nothing for kind \"test\"", Severity::Warning,
                    kBaseLines + 3, 1);
}

TEST_F(ConfigParser, BurntInClockOfATestSource) {
  const std::string cam = "[sources.cam2]\nkind = \"test\"\n";
  LoadResult bad = parse(withBase(cam + "clock = \"yes\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(bad, "[sources.cam2] clock must be true or false, not text (\"yes\")",
                    Severity::Error, kBaseLines + 3, 9);
  EXPECT_FALSE(bad.config);
  LoadResult ok = parse(withBase(cam + "clock = true\n") + kOneItem);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_TRUE(ok.config->sources.at(1).clock);
  EXPECT_FALSE(ok.config->sources.at(0).clock);  // the default: no clock in the picture
  // A clock belongs to a generated picture: on a camera the key is named as another kind's.
  LoadResult cam3 = parse(
      withBase("[sources.cam3]\nkind = \"uri\"\nuri = \"srt://0.0.0.0:9000\"\nclock = true\n") +
      kOneItem);
  EXPECT_DIAGNOSTIC(cam3, "clock does nothing for kind \"uri\"", Severity::Warning, kBaseLines + 4,
                    1);
}

TEST_F(ConfigParser, APointSourceNamesAKnownPointAndNeedsTheBridge) {
  const std::string point =
      "\n[[points]]\nid = \"nghia-hanh\"\nname = \"Xã Nghĩa Hành\"\nkind = \"xã\"\n"
      "contact_phone = \"0900 000 101\"\n"
      "probes = [{ kind = \"tcp\", target = \"127.0.0.1:1\" }]\n";
  const std::string source = "[sources.xa]\nkind = \"point\"\npoint = \"nghia-hanh\"\n";
  LoadResult ok = parse(withBase(source) + kOneItem + "\n[bridge]\n" + point);
  ASSERT_TRUE(ok.config) << dump(ok);
  const SourceConfig& s = ok.config->sources.back();
  EXPECT_EQ(s.kind, SourceKind::Point);
  EXPECT_EQ(s.point, "nghia-hanh");
  EXPECT_EQ(s.signalTimeout, milliseconds(700)) << "a commune that leaves is off within 1 s";
  // A point that is not among the points: its feed could never come.
  LoadResult unknown = parse(withBase("[sources.xa]\nkind = \"point\"\npoint = \"ba-to\"\n") +
                             kOneItem + "\n[bridge]\n" + point);
  EXPECT_DIAGNOSTIC(unknown, "point \"ba-to\" is not a connection point", Severity::Error,
                    kBaseLines + 3, 9);
  // The return feed comes over the bridge.
  LoadResult off = parse(withBase(source) + kOneItem + point);
  EXPECT_DIAGNOSTIC(off, "comes over the video bridge, which is off", Severity::Error,
                    kBaseLines + 3, 9);
  LoadResult missing = parse(withBase("[sources.xa]\nkind = \"point\"\n") + kOneItem);
  EXPECT_FALSE(missing.config);
}

}  // namespace
}  // namespace ceremony
