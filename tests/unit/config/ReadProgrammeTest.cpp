// [programme] within Facebook Live's ingest rules.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

// ---------------------------------------------------------------------------------------
// Facebook's ingest rules

TEST_F(ConfigParser, FacebookIngestRules) {
  LoadResult r = parse(withBase(R"([programme]
keyframe_interval_s = 6
audio_rate = 22050
video_bitrate_kbps = 5000
fps = 24
h264_profile = "baseline"
)") + kOneItem);
  EXPECT_DIAGNOSTIC(r, "keyframe_interval_s 6 is too long", Severity::Error, kBaseLines + 2, 23);
  EXPECT_DIAGNOSTIC(r, "audio_rate 22050 is not allowed", Severity::Error, kBaseLines + 3, 14);
  EXPECT_DIAGNOSTIC(r, "video_bitrate_kbps 5000 is outside 1500–4000 kbps", Severity::Warning,
                    kBaseLines + 4, 22);
  EXPECT_DIAGNOSTIC(r, "fps 24 is unusual", Severity::Warning, kBaseLines + 5, 7);
  EXPECT_DIAGNOSTIC(r, "h264_profile \"baseline\" is not allowed", Severity::Error, kBaseLines + 6,
                    16);
}

TEST_F(ConfigParser, ProgrammeWithinTheRulesIsQuiet) {
  LoadResult r = parse(withBase(R"([programme]
width = 1920
height = 1080
video_bitrate_kbps = 4500
keyframe_interval_s = 2
audio_rate = 44100
h264_profile = "high"
)") + kOneItem);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_EQ(r.config->format.height, 1080);
  EXPECT_EQ(r.config->format.audioRate, 44100);
}

}  // namespace
}  // namespace ceremony
