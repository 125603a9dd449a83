// A live input's own pipeline on its own: its frames reach the programme's side of the
// channel at the programme's size; its end and its errors are reported as a loss, with a
// reason an operator can read; a pipeline given up (being replaced) says nothing more.

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "pipelines/GstInit.h"
#include "pipelines/GstPtr.h"
#include "pipelines/inputs/LiveInput.h"

namespace ceremony::media {
namespace {

using namespace std::chrono_literals;

class LiveInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(initGStreamer().empty()); }

  ProgrammeFormat format() const {
    ProgrammeFormat f;
    f.width = 320;
    f.height = 180;
    return f;
  }
  std::string channel() const {
    return "live-input-test-" +
           std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  // Records the losses reported from streaming threads.
  struct Losses {
    std::mutex mutex;
    std::vector<std::string> reasons;
    LiveInputPipeline::Lost callback() {
      return [this](InputWatch&, gint64, const std::string& reason) {
        std::lock_guard lock(mutex);
        reasons.push_back(reason);
      };
    }
    std::size_t count() {
      std::lock_guard lock(mutex);
      return reasons.size();
    }
    bool waitFor(std::size_t n, std::chrono::milliseconds limit) {
      const auto until = std::chrono::steady_clock::now() + limit;
      while (count() < n && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(10ms);
      return count() >= n;
    }
  };
};

SourceConfig launchSource(const std::string& fragment) {
  SourceConfig s;
  s.id = "camera";
  s.kind = SourceKind::Launch;
  s.videoLaunch = fragment;
  return s;
}

TEST_F(LiveInput, FramesReachTheProgrammeSideAndTheEndIsALoss) {
  const auto f = format();
  auto watch = std::make_shared<InputWatch>();
  watch->id = "camera";
  const SourceConfig s = launchSource("videotestsrc pattern=red num-buffers=15");
  // The programme's side: what the channel carries, into an appsink.
  GstPtr<GstElement> programme(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr))));
  GstElement* inter = makeInterBin(s, f, channel());
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  GstElement* fake = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "max-buffers", 2u, "drop", TRUE, nullptr);
  g_object_set(fake, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(programme.get()), inter, sink, fake, nullptr);
  ASSERT_TRUE(gst_element_link_pads(inter, "video", sink, "sink"));
  ASSERT_TRUE(gst_element_link_pads(inter, "audio", fake, "sink"));
  ASSERT_NE(gst_element_set_state(programme.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  Losses losses;
  LiveInputPipeline input;
  std::string error;
  ASSERT_TRUE(input.start(s, f, channel(), watch, losses.callback(), &error)) << error;
  EXPECT_TRUE(input.running());
  EXPECT_EQ(watch->generation, 1u);
  // Red arrives on the programme's side, at the programme's size (the input's own 320×240
  // scaled); the channel keeps showing its last frame once the input has ended.
  bool red = false;
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!red && std::chrono::steady_clock::now() < until) {
    GstMiniPtr<GstSample> sample(
        gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 500 * GST_MSECOND));
    if (!sample) continue;
    GstVideoInfo info;
    ASSERT_TRUE(gst_video_info_from_caps(&info, gst_sample_get_caps(sample.get())));
    EXPECT_EQ(GST_VIDEO_INFO_WIDTH(&info), 320);
    EXPECT_EQ(GST_VIDEO_INFO_HEIGHT(&info), 180);
    GstVideoFrame frame;
    ASSERT_TRUE(
        gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample.get()), GST_MAP_READ));
    const auto* v = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 2));
    red = v[(90 / 2) * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 2) + 160 / 2] > 200;
    gst_video_frame_unmap(&frame);
  }
  EXPECT_TRUE(red) << "the input's picture never reached the programme's side";
  EXPECT_GT(watch->lastFrameUs.load(), 0);
  ASSERT_TRUE(losses.waitFor(1, 5s)) << "the input's end was not reported";
  EXPECT_EQ(losses.reasons.front(), "hết luồng (end of stream)");
  gst_element_set_state(programme.get(), GST_STATE_NULL);
}

TEST_F(LiveInput, AnInputThatCannotOpenIsALossWithItsReason) {
  SourceConfig s;
  s.id = "camera";
  s.kind = SourceKind::Uri;
  s.uri = "file:///nonexistent/ceremonyd/camera.ts";
  auto watch = std::make_shared<InputWatch>();
  Losses losses;
  LiveInputPipeline input;
  std::string error;
  // It may fail at once or start and then say so on its bus: either way, nothing plays.
  if (input.start(s, format(), channel(), watch, losses.callback(), &error)) {
    ASSERT_TRUE(losses.waitFor(1, 5s)) << "a missing file was not reported";
    EXPECT_FALSE(losses.reasons.front().empty());
  } else {
    EXPECT_FALSE(error.empty());
  }
}

TEST_F(LiveInput, APipelineGivenUpSaysNothingMore) {
  auto watch = std::make_shared<InputWatch>();
  Losses losses;
  LiveInputPipeline input;
  std::string error;
  ASSERT_TRUE(input.start(launchSource("videotestsrc is-live=true num-buffers=10"), format(),
                          channel(), watch, losses.callback(), &error))
      << error;
  GstPtr<GstElement> old = input.release();
  ASSERT_TRUE(old);
  EXPECT_FALSE(input.running());
  EXPECT_EQ(watch->generation, 2u);
  // Its end comes a third of a second later, from a generation that is over.
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(losses.count(), 0u) << losses.reasons.front();
  gst_element_set_state(old.get(), GST_STATE_NULL);
}

TEST_F(LiveInput, ABadFragmentIsAnErrorAndNoPipeline) {
  auto watch = std::make_shared<InputWatch>();
  Losses losses;
  LiveInputPipeline input;
  std::string error;
  EXPECT_FALSE(input.start(launchSource("no-such-element"), format(), channel(), watch,
                           losses.callback(), &error));
  EXPECT_FALSE(input.running());
  EXPECT_NE(error.find("source camera"), std::string::npos) << error;
  EXPECT_EQ(watch->generation, 0u);
}

}  // namespace
}  // namespace ceremony::media
