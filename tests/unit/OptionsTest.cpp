#include <gtest/gtest.h>

#include "app/Options.h"

namespace ceremony {

TEST(Options, NoArgumentsRunsTheDemo) {
  auto p = parseOptions({});
  EXPECT_TRUE(p.error.empty());
  EXPECT_TRUE(p.options.configPath.empty());
  EXPECT_FALSE(p.options.rehearsalSpeed);
}

TEST(Options, RehearsalWithAndWithoutSpeed) {
  EXPECT_EQ(*parseOptions({"--rehearsal"}).options.rehearsalSpeed, 1.0);
  EXPECT_EQ(*parseOptions({"--rehearsal=30"}).options.rehearsalSpeed, 30.0);
  EXPECT_FALSE(parseOptions({"--rehearsal=fast"}).error.empty());
  EXPECT_FALSE(parseOptions({"--rehearsal=0.5"}).error.empty());
}

TEST(Options, RtmpUrlsAccumulateAndMustBeRtmp) {
  auto p = parseOptions({"--rtmp", "rtmp://127.0.0.1/live/a", "--rtmp=rtmps://h/live/b"});
  ASSERT_TRUE(p.error.empty());
  EXPECT_EQ(p.options.rtmpUrls.size(), 2u);
  EXPECT_FALSE(parseOptions({"--rtmp", "http://x"}).error.empty());
}

TEST(Options, CheckNeedsAConfigAndUnknownOptionsAreNamed) {
  EXPECT_FALSE(parseOptions({"--check"}).error.empty());
  EXPECT_TRUE(parseOptions({"--check", "--config", "a.toml"}).error.empty());
  auto p = parseOptions({"--stream-key", "abc"});
  EXPECT_NE(p.error.find("--stream-key"), std::string::npos);
  EXPECT_FALSE(parseOptions({"--config"}).error.empty());
}

// Before: spdlog took "warning" (or any typo) for "off" and the daemon ran silent.
TEST(Options, AnUnknownLogLevelIsAnError) {
  EXPECT_EQ(parseOptions({"--log-level", "debug"}).options.logLevel, "debug");
  const auto bad = parseOptions({"--log-level=warning"});
  EXPECT_NE(bad.error.find("--log-level needs one of"), std::string::npos) << bad.error;
  EXPECT_NE(bad.error.find("«warning»"), std::string::npos) << bad.error;
}

}  // namespace ceremony
