// The programme's building blocks on their own, each run in a small pipeline of its own to
// an appsink: a card shows its background at the programme's size and a countdown; a test
// source gives picture and sound in the programme's format; a generated clip lasts what it
// says; the encode is H.264 of the configured profile with a keyframe every interval, and
// AAC; a bad launch fragment is an error naming its source.

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "pipelines/GstInit.h"
#include "pipelines/GstPtr.h"
#include "pipelines/programme/Cards.h"
#include "pipelines/programme/Encoder.h"
#include "pipelines/programme/MediaBins.h"
#include "pipelines/programme/SourceBins.h"

namespace ceremony::media {
namespace {

ProgrammeFormat smallFormat() {
  ProgrammeFormat f;
  f.width = 320;
  f.height = 180;
  f.fps = 30;
  f.videoBitrateKbps = 500;
  f.keyframeIntervalSeconds = 1.0;
  f.x264Preset = "ultrafast";
  return f;
}

// A pipeline: `bin`'s pad `padName` (or, with `upstream`, `upstream` ! bin) into an appsink.
class BinRun {
 public:
  BinRun(GstElement* bin, const char* padName, GstElement* upstream = nullptr) {
    EXPECT_TRUE(initGStreamer().empty());
    pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr))));
    sink_ = gst_element_factory_make("appsink", nullptr);
    g_object_set(sink_, "sync", FALSE, "max-buffers", 400u, nullptr);
    gst_bin_add_many(GST_BIN(pipeline_.get()), bin, sink_, nullptr);
    if (upstream) {
      gst_bin_add(GST_BIN(pipeline_.get()), upstream);
      EXPECT_TRUE(gst_element_link(upstream, bin));
    }
    GstPtr<GstPad> src(gst_element_get_static_pad(bin, padName));
    GstPtr<GstPad> sink(gst_element_get_static_pad(sink_, "sink"));
    linked_ = src && gst_pad_link(src.get(), sink.get()) == GST_PAD_LINK_OK;
    // A bin's other pads (a source's audio) go to fakesinks, so it never waits on them.
    GstIterator* it = gst_element_iterate_src_pads(bin);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
      auto* pad = GST_PAD(g_value_get_object(&item));
      if (!gst_pad_is_linked(pad)) {
        GstElement* fake = gst_element_factory_make("fakesink", nullptr);
        g_object_set(fake, "sync", FALSE, "async", FALSE, nullptr);
        gst_bin_add(GST_BIN(pipeline_.get()), fake);
        GstPtr<GstPad> fakePad(gst_element_get_static_pad(fake, "sink"));
        gst_pad_link(pad, fakePad.get());
      }
      g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    EXPECT_NE(gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  }
  ~BinRun() { gst_element_set_state(pipeline_.get(), GST_STATE_NULL); }
  bool linked() const { return linked_; }
  // The next sample within 5 s (nothing at the end of the stream).
  GstMiniPtr<GstSample> next() {
    return GstMiniPtr<GstSample>(gst_app_sink_try_pull_sample(GST_APP_SINK(sink_), 5 * GST_SECOND));
  }
  std::vector<GstMiniPtr<GstSample>> all() {
    std::vector<GstMiniPtr<GstSample>> out;
    while (auto s = next()) out.push_back(std::move(s));
    return out;
  }

 private:
  GstPtr<GstElement> pipeline_;
  GstElement* sink_ = nullptr;
  bool linked_ = false;
};

class ProgrammeBins : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(initGStreamer().empty()) << initGStreamer(); }
};

struct Yuv {
  int y, u, v;
};
Yuv pixelAt(GstSample* sample, int x, int yPos) {
  GstVideoInfo info;
  gst_video_info_from_caps(&info, gst_sample_get_caps(sample));
  GstVideoFrame frame;
  gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample), GST_MAP_READ);
  auto plane = [&](int p, int px, int py) {
    const auto* data = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
    return int(data[py * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p) + px]);
  };
  Yuv out{plane(0, x, yPos), plane(1, x / 2, yPos / 2), plane(2, x / 2, yPos / 2)};
  gst_video_frame_unmap(&frame);
  return out;
}

std::string capsField(GstSample* sample, const char* field) {
  const GstStructure* s = gst_caps_get_structure(gst_sample_get_caps(sample), 0);
  if (const gchar* v = gst_structure_get_string(s, field)) return v;
  int i = 0;
  if (gst_structure_get_int(s, field, &i)) return std::to_string(i);
  return {};
}

TEST_F(ProgrammeBins, AStandInCardIsGreyAtTheProgrammesSizeAndAFewFramesASecond) {
  const auto f = smallFormat();
  const Card card =
      makeCard(f, "card-test", {"Camera hội trường", "Mất tín hiệu", kCardGrey, false, false});
  ASSERT_NE(card.bin, nullptr);
  EXPECT_EQ(card.countdown, nullptr);
  EXPECT_EQ(card.liveTitle, nullptr);
  BinRun run(card.bin, "video");
  ASSERT_TRUE(run.linked());
  auto sample = run.next();
  ASSERT_TRUE(sample);
  EXPECT_EQ(capsField(sample.get(), "width"), "320");
  EXPECT_EQ(capsField(sample.get(), "height"), "180");
  EXPECT_EQ(capsField(sample.get(), "format"), "I420");
  int num = 0, den = 0;
  gst_structure_get_fraction(gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0),
                             "framerate", &num, &den);
  EXPECT_EQ(num, kCardFps);
  EXPECT_EQ(den, 1);
  // #3a3a3a in BT.601 limited range: Y = 16 + 58 × 219/255 ≈ 66, no colour.
  const Yuv corner = pixelAt(sample.get(), 2, 2);
  EXPECT_NEAR(corner.y, 66, 6);
  EXPECT_NEAR(corner.u, 128, 4);
  EXPECT_NEAR(corner.v, 128, 4);
  // The text is drawn: the middle row is not all background.
  bool drawn = false;
  for (int x = 0; x < f.width && !drawn; ++x)
    drawn = std::abs(pixelAt(sample.get(), x, f.height / 2).y - corner.y) > 40;
  EXPECT_TRUE(drawn) << "no text in the middle of the card";
}

TEST_F(ProgrammeBins, ASlateHasItsBackgroundAndACountdownLineToSet) {
  const auto f = smallFormat();
  const Card card =
      makeCard(f, "slate-test", {"Lễ ra mắt", "Chương trình sắp bắt đầu", "#102a54", true, false});
  ASSERT_NE(card.bin, nullptr);
  ASSERT_NE(card.countdown, nullptr);
  BinRun run(card.bin, "video");
  auto first = run.next();
  ASSERT_TRUE(first);
  const Yuv corner = pixelAt(first.get(), 2, 2);
  // #102a54 is a dark blue: little light, more blue than red.
  EXPECT_LT(corner.y, 60);
  EXPECT_GT(corner.u, 135);
  g_object_set(card.countdown, "text", formatCountdown(299).c_str(), nullptr);
  EXPECT_TRUE(run.next());
}

TEST_F(ProgrammeBins, ACardWithALiveTitleStartsSilent) {
  const Card card = makeCard(smallFormat(), "standin-clip",
                             {"", "Không phát được đoạn phim", kCardGrey, false, true});
  ASSERT_NE(card.bin, nullptr);
  ASSERT_NE(card.liveTitle, nullptr);
  gboolean silent = FALSE;
  g_object_get(card.liveTitle, "silent", &silent, nullptr);
  EXPECT_TRUE(silent);
  dropFloating(card.bin);
}

TEST_F(ProgrammeBins, CountdownsReadAsTheHallExpects) {
  EXPECT_EQ(formatCountdown(299), "Bắt đầu sau 04:59");
  EXPECT_EQ(formatCountdown(59), "Bắt đầu sau 00:59");
  EXPECT_EQ(formatCountdown(3600), "Bắt đầu sau 1:00:00");
  EXPECT_EQ(formatCountdown(3725), "Bắt đầu sau 1:02:05");
  EXPECT_EQ(formatCountdown(0), "");
  EXPECT_EQ(formatCountdown(-5), "");
}

TEST_F(ProgrammeBins, ColoursAreReadFromHexAndAnythingElseIsTheDefault) {
  EXPECT_EQ(bins::argbFromHex("#3a3a3a"), 0xff3a3a3au);
  EXPECT_EQ(bins::argbFromHex("#102A54"), 0xff102a54u);
  EXPECT_EQ(bins::argbFromHex("#zzzzzz"), 0xff7a0c0cu);  // once a std::invalid_argument
  EXPECT_EQ(bins::argbFromHex("red"), 0xff7a0c0cu);
}

TEST_F(ProgrammeBins, ATestSourceGivesPictureAndSoundInTheProgrammesFormat) {
  const auto f = smallFormat();
  SourceConfig s;
  s.id = "do";
  s.pattern = "red";
  std::string error;
  GstElement* bin = makeSourceBin(s, f, &error);
  ASSERT_NE(bin, nullptr) << error;
  GstPtr<GstPad> audio(gst_element_get_static_pad(bin, "audio"));
  ASSERT_TRUE(audio) << "a test source has sound";
  BinRun run(bin, "video");
  auto sample = run.next();
  ASSERT_TRUE(sample);
  EXPECT_EQ(capsField(sample.get(), "width"), "320");
  EXPECT_EQ(capsField(sample.get(), "height"), "180");
  const Yuv p = pixelAt(sample.get(), f.width / 2, f.height / 2);
  EXPECT_GT(p.v, 200) << "red";
}

TEST_F(ProgrammeBins, ATestSourcesSoundIsTheProgrammesRateAndChannels) {
  const auto f = smallFormat();
  SourceConfig s;
  s.id = "xanh";
  std::string error;
  GstElement* bin = makeSourceBin(s, f, &error);
  ASSERT_NE(bin, nullptr) << error;
  BinRun run(bin, "audio");
  auto sample = run.next();
  ASSERT_TRUE(sample);
  EXPECT_EQ(capsField(sample.get(), "format"), "F32LE");
  EXPECT_EQ(capsField(sample.get(), "rate"), "48000");
  EXPECT_EQ(capsField(sample.get(), "channels"), "2");
}

TEST_F(ProgrammeBins, ABadLaunchFragmentIsAnErrorNamingItsSource) {
  SourceConfig s;
  s.id = "camera-hoi-truong";
  s.kind = SourceKind::Launch;
  s.videoLaunch = "no-such-element-here ! videoconvert";
  std::string error;
  EXPECT_EQ(makeSourceBin(s, smallFormat(), &error), nullptr);
  EXPECT_NE(error.find("source camera-hoi-truong"), std::string::npos) << error;
}

TEST_F(ProgrammeBins, AGeneratedClipLastsWhatItSays) {
  ClipConfig clip;
  clip.testPattern = "ball";
  clip.testDurationSeconds = 0.5;
  std::string error;
  GstElement* bin = makeClipBin("phim", clip, smallFormat(), &error);
  ASSERT_NE(bin, nullptr) << error;
  BinRun run(bin, "video");
  EXPECT_EQ(run.all().size(), 15u) << "0.5 s at 30 fps";
}

TEST_F(ProgrammeBins, AClipOfAFileIsDecodedFromItsAbsoluteUri) {
  ClipConfig clip;
  clip.file = "/srv/le/phim-tu-lieu.mp4";
  std::string error;
  GstFloatingPtr owned(makeClipBin("phim", clip, smallFormat(), &error));
  ASSERT_NE(owned, nullptr) << error;
  GstElement* bin = owned.get();
  GstElement* decoder = nullptr;
  GstIterator* it = gst_bin_iterate_elements(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* e = GST_ELEMENT(g_value_get_object(&item));
    if (g_str_has_prefix(GST_OBJECT_NAME(gst_element_get_factory(e)), "uridecodebin")) decoder = e;
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  ASSERT_NE(decoder, nullptr);
  gchar* uri = nullptr;
  g_object_get(decoder, "uri", &uri, nullptr);
  GCharPtr owner(uri);
  EXPECT_STREQ(uri, "file:///srv/le/phim-tu-lieu.mp4");
}

TEST_F(ProgrammeBins, TheEncodeIsH264OfTheProfileWithAKeyframeEveryInterval) {
  auto f = smallFormat();
  f.x264Preset = "veryfast";  // the default: ultrafast makes a baseline-compatible stream
  ASSERT_TRUE(initGStreamer().empty());
  const VideoEncoding encoding = makeVideoEncoding(f);
  ASSERT_NE(encoding.bin, nullptr);
  ASSERT_NE(encoding.encoder, nullptr);
  guint bitrate = 0;
  g_object_get(encoding.encoder, "bitrate", &bitrate, nullptr);
  EXPECT_EQ(bitrate, 500u);
  GstElement* src = gst_parse_bin_from_description(
      "videotestsrc num-buffers=90 pattern=ball ! video/x-raw,format=I420,width=320,height=180,"
      "framerate=30/1",
      TRUE, nullptr);
  ASSERT_NE(src, nullptr);
  BinRun run(encoding.bin, "src", src);
  const auto samples = run.all();
  ASSERT_EQ(samples.size(), 90u);
  EXPECT_EQ(capsField(samples.front().get(), "profile"), "main");
  EXPECT_EQ(capsField(samples.front().get(), "stream-format"), "avc");
  EXPECT_EQ(capsField(samples.front().get(), "alignment"), "au");
  std::vector<int> keyframes;
  for (std::size_t i = 0; i < samples.size(); ++i)
    if (!GST_BUFFER_FLAG_IS_SET(gst_sample_get_buffer(samples[i].get()),
                                GST_BUFFER_FLAG_DELTA_UNIT))
      keyframes.push_back(static_cast<int>(i));
  EXPECT_EQ(keyframes, (std::vector<int>{0, 30, 60})) << "one a second, none at scene cuts";
}

TEST_F(ProgrammeBins, TheSoundIsEncodedAsAac) {
  const auto f = smallFormat();
  ASSERT_TRUE(initGStreamer().empty());
  GstElement* enc = makeAudioEncoding(f);
  ASSERT_NE(enc, nullptr);
  GstElement* src = gst_parse_bin_from_description(
      "audiotestsrc num-buffers=20 ! audio/x-raw,format=F32LE,layout=interleaved,rate=48000,"
      "channels=2",
      TRUE, nullptr);
  BinRun run(enc, "src", src);
  auto sample = run.next();
  ASSERT_TRUE(sample);
  EXPECT_EQ(gst_structure_get_name(gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0)),
            std::string("audio/mpeg"));
  EXPECT_EQ(capsField(sample.get(), "mpegversion"), "4");
}

}  // namespace
}  // namespace ceremony::media
