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
  auto p = parseOptions({"--rtmp", "rtmp://127.0.0.1/live/a", "--rtmp=rtmps://h/live"});
  ASSERT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.rtmpUrls.size(), 2u);
  EXPECT_FALSE(parseOptions({"--rtmp", "http://x"}).error.empty());
}

// Before: a real stream key on the command line was taken as it was, for `ps` to show.
TEST(Options, AnRtmpUrlWithAKeyForAnotherMachineIsRefusedWithoutEchoingIt) {
  const char* key = "FB-1234567890123456-0-AbCdEfGhIjKlMnOp";
  for (const std::string& url :
       {std::string("rtmps://live-api-s.facebook.com:443/rtmp/") + key,
        std::string("rtmp://10.0.0.5/live/") + key, std::string("rtmp://127.0.0.1/live?key=") + key,
        std::string("rtmp://user:") + key + "@127.0.0.1/live"}) {
    const auto p = parseOptions({"--rtmp", url});
    EXPECT_NE(p.error.find("--rtmp URL carries"), std::string::npos) << url << ": " << p.error;
    EXPECT_EQ(p.error.find(key), std::string::npos) << p.error;
  }
  // A rehearsal's own nginx: the stream name is no key.
  for (const char* ok :
       {"rtmp://127.0.0.1:1935/live/hall", "rtmp://localhost/live/x", "rtmp://[::1]:1935/live/x"})
    EXPECT_TRUE(parseOptions({"--rtmp", ok}).error.empty()) << ok;
}

TEST(Options, InsecureIsSaidOutLoud) {
  EXPECT_FALSE(parseOptions({}).options.insecure);
  EXPECT_TRUE(parseOptions({"--insecure"}).options.insecure);
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
