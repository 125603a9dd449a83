// The clock burnt into a test source's frames: a value drawn on a frame of any common format
// reads back the same, a misread cell is caught rather than read as another time, and a real
// test source with `clock = true` carries, through scaling, x264 at 2.5 Mbps and a decoder,
// the wall clock of the moment its frame was made.

#include "pipelines/programme/ClockStrip.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "pipelines/GstInit.h"
#include "pipelines/GstPtr.h"
#include "pipelines/programme/SourceBins.h"

namespace ceremony::media {
namespace {

namespace cs = clockstrip;

class ClockStrip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(initGStreamer().empty()) << initGStreamer(); }
};

TEST_F(ClockStrip, CellsCarryTheValueAndAMisreadCellIsCaught) {
  for (std::uint32_t v : {0u, 1u, 0x800000u, 0xffffffu, 0x123456u, cs::valueAt(cs::nowUnixMs())}) {
    auto cells = cs::encode(v);
    EXPECT_EQ(cs::decode(cells), v);
    // Any one cell read wrong (a guard, a bit, the parity) gives no time at all.
    for (int c = 0; c < cs::kCells; ++c) {
      auto wrong = cells;
      wrong[c] = !wrong[c];
      EXPECT_EQ(cs::decode(wrong), std::nullopt) << "cell " << c << " of " << v;
    }
  }
  std::array<bool, cs::kCells> black{};
  EXPECT_EQ(cs::decode(black), std::nullopt);
  std::array<bool, cs::kCells> white;
  white.fill(true);
  EXPECT_EQ(cs::decode(white), std::nullopt);
}

TEST_F(ClockStrip, AgeIsCountedAcrossTheWrapOfTwentyFourBits) {
  const std::int64_t wrap = std::int64_t{1} << 24;
  const std::int64_t now = 1780000000000;  // 2026
  EXPECT_EQ(cs::ageMs(cs::valueAt(now - 300), now), 300);
  EXPECT_EQ(cs::ageMs(cs::valueAt(now + 50), now), -50);  // clocks apart: ahead of now
  const std::int64_t justAfterWrap = (now / wrap + 1) * wrap + 20;
  EXPECT_EQ(cs::ageMs(cs::valueAt(justAfterWrap - 120), justAfterWrap), 120);
  EXPECT_EQ(cs::valueAt(justAfterWrap), 20u);
}

TEST_F(ClockStrip, DrawnOnAFrameOfEachFormatItReadsBack) {
  for (const char* format : {"I420", "NV12", "AYUV", "BGRA", "RGBx", "YUY2"})
    for (auto [w, h] :
         std::vector<std::pair<int, int>>{{1280, 720}, {640, 360}, {320, 180}, {1920, 1080}}) {
      GstVideoInfo info;
      ASSERT_TRUE(gst_video_info_set_format(&info, gst_video_format_from_string(format), w, h));
      GstMiniPtr<GstBuffer> buffer(gst_buffer_new_allocate(nullptr, info.size, nullptr));
      GstVideoFrame frame;
      ASSERT_TRUE(gst_video_frame_map(&frame, &info, buffer.get(), GST_MAP_READWRITE));
      // A bright picture underneath: the band's black is the strip's own.
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); ++p)
        std::memset(
            GST_VIDEO_FRAME_PLANE_DATA(&frame, p), 200,
            GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p) * GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p));
      EXPECT_EQ(cs::decodeFrame(&frame), std::nullopt) << format << " " << w << "x" << h;
      const std::uint32_t value = 0xa5c30f;
      ASSERT_TRUE(cs::draw(&frame, value)) << format;
      EXPECT_EQ(cs::decodeFrame(&frame), value) << format << " " << w << "x" << h;
      if (std::string(format) == "I420") {
        EXPECT_EQ(
            cs::decodeLuma(static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)),
                           GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), 1, w, h),
            value);
      }
      gst_video_frame_unmap(&frame);
    }
}

// A test source's video, scaled to half its size, through x264 at 2.5 Mbps and back to raw
// frames: what a point's browser gets, decoded at the moment each frame comes out.
std::vector<std::optional<std::int64_t>> agesThroughH264(bool clock, int frames) {
  ProgrammeFormat f;  // 1280×720 at 30 fps
  SourceConfig s;
  s.id = "clock";
  s.clock = clock;
  std::string error;
  GstElement* source = makeSourceBin(s, f, &error);
  EXPECT_NE(source, nullptr) << error;
  if (!source) return {};
  GstPtr<GstElement> pipeline(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr))));
  GstElement* chain = gst_parse_bin_from_description(
      "videoscale ! video/x-raw,width=640,height=360 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=2500 key-int-max=60 ! "
      "h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=I420",
      TRUE, nullptr);
  EXPECT_NE(chain, nullptr);
  if (!chain) {
    dropFloating(source);
    return {};
  }
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  g_object_set(sink, "sync", FALSE, "max-buffers", 2u, "drop", TRUE, nullptr);
  GstElement* audio = gst_element_factory_make("fakesink", nullptr);
  g_object_set(audio, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline.get()), source, chain, sink, audio, nullptr);
  EXPECT_TRUE(gst_element_link_pads(source, "video", chain, nullptr));
  EXPECT_TRUE(gst_element_link(chain, sink));
  EXPECT_TRUE(gst_element_link_pads(source, "audio", audio, nullptr));
  EXPECT_NE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  std::vector<std::optional<std::int64_t>> ages;
  for (int i = 0; i < frames; ++i) {
    GstMiniPtr<GstSample> sample(gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 5 * GST_SECOND));
    if (!sample) break;
    const std::int64_t now = cs::nowUnixMs();
    GstVideoInfo info;
    gst_video_info_from_caps(&info, gst_sample_get_caps(sample.get()));
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample.get()), GST_MAP_READ))
      break;
    auto value = cs::decodeFrame(&frame);
    gst_video_frame_unmap(&frame);
    ages.push_back(value ? std::optional(cs::ageMs(*value, now)) : std::nullopt);
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  return ages;
}

TEST_F(ClockStrip, ATestSourceWithAClockCarriesTheWallClockThroughH264) {
  const auto ages = agesThroughH264(true, 60);
  ASSERT_EQ(ages.size(), 60u);
  int read = 0;
  for (std::size_t i = 0; i < ages.size(); ++i) {
    if (!ages[i]) continue;
    ++read;
    // Made a moment ago on this machine's clock: never ahead of it, never 200 ms old.
    EXPECT_GE(*ages[i], 0) << "frame " << i;
    EXPECT_LE(*ages[i], 200) << "frame " << i;
  }
  // Every frame after the first few (x264 may start soft) carries a time that reads.
  EXPECT_GE(read, 57) << "frames whose clock read back";
}

TEST_F(ClockStrip, ATestSourceWithoutAClockCarriesNone) {
  const auto ages = agesThroughH264(false, 15);
  ASSERT_EQ(ages.size(), 15u);
  for (const auto& age : ages) EXPECT_EQ(age, std::nullopt);
}

}  // namespace
}  // namespace ceremony::media
