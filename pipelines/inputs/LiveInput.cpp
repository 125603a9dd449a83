#include "pipelines/inputs/LiveInput.h"

#include <gst/video/video.h>

#include <algorithm>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/MediaBins.h"
#include "pipelines/programme/SourceBins.h"
#include "pipelines/watch/PictureCheck.h"

namespace ceremony::media {

using namespace bins;

SignalChange signalChange(const InputWatch& w, bool lost, gint64 nowUs) {
  if (w.idle) return SignalChange::None;
  const gint64 last = w.lastFrameUs;
  const bool stalled = nowUs - last > w.timeoutUs;
  if (!lost && stalled) return SignalChange::Lost;
  if (!lost && w.frozen) return SignalChange::Frozen;
  if (lost && w.frozen && stalled) return SignalChange::Lost;  // frozen, then no frames at all
  if (lost && last > w.lostAtUs && !w.frozen) return SignalChange::Back;
  return SignalChange::None;
}

namespace {

// intervideosrc answers a latency query with a maximum of 0: beside a generated source (a
// live test pattern, one frame of latency) the compositor cannot settle its latency and warns
// about 70 times a second, each an event for the operators. It repeats the latest frame
// whenever asked, so it can wait any time: its maximum is said to be unbounded.
void unboundedLatency(GstElement* bin) {
  GstPtr<GstPad> pad(gst_element_get_static_pad(bin, "video"));
  gst_pad_add_probe(
      pad.get(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PULL),
      [](GstPad*, GstPadProbeInfo* info, gpointer) {
        GstQuery* q = GST_PAD_PROBE_INFO_QUERY(info);
        if (GST_QUERY_TYPE(q) != GST_QUERY_LATENCY) return GST_PAD_PROBE_OK;
        gboolean live = FALSE;
        GstClockTime min = 0, max = 0;
        gst_query_parse_latency(q, &live, &min, &max);
        if (live && GST_CLOCK_TIME_IS_VALID(max))
          gst_query_set_latency(q, live, min, GST_CLOCK_TIME_NONE);
        return GST_PAD_PROBE_OK;
      },
      nullptr, nullptr);
}

}  // namespace

GstElement* makeInterBin(const SourceConfig& s, const ProgrammeFormat& f,
                         const std::string& channel) {
  GstElement* bin = gst_bin_new(("source-" + s.id).c_str());
  GstElement* v = make("intervideosrc");
  g_object_set(v, "channel", channel.c_str(), "timeout", G_MAXUINT64, nullptr);
  GstElement* a = make("interaudiosrc");
  g_object_set(a, "channel", channel.c_str(), nullptr);
  addVideoAndAudio(bin, v, a, f);
  unboundedLatency(bin);
  return bin;
}

GstElement* makeTileBin(const std::string& name, const ProgrammeFormat& f,
                        const std::string& channel) {
  GstElement* bin = gst_bin_new(name.c_str());
  GstElement* v = make("intervideosrc");
  g_object_set(v, "channel", channel.c_str(), "timeout", static_cast<guint64>(GST_SECOND), nullptr);
  GstElement* caps =
      capsfilter(gst_caps_new_simple("video/x-raw", "framerate", GST_TYPE_FRACTION, f.fps, 1,
                                     "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
  gst_bin_add_many(GST_BIN(bin), v, caps, nullptr);
  gst_element_link(v, caps);
  ghost(bin, caps, "src", "video");
  unboundedLatency(bin);
  return bin;
}

namespace {

struct LostContext {
  LiveInputPipeline::Lost lost;
  std::shared_ptr<InputWatch> watch;
  unsigned generation;
  // The picture's checks, the video streaming thread's own.
  PictureCheck check;
  PictureWatch picture;
  GstVideoInfo info;
  bool haveInfo = false;
};

// A frame of the current generation: is it the same as the last, is it black
// (pipelines/watch/PictureCheck.h). The luma plane of the I420 frame, read in place.
void lookAt(LostContext& ctx, GstPad* pad, GstBuffer* buf, gint64 nowUs) {
  InputWatch& w = *ctx.watch;
  if (!ctx.haveInfo) {
    GstMiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
    if (!caps || !gst_video_info_from_caps(&ctx.info, caps.get()) ||
        !GST_VIDEO_FORMAT_INFO_IS_YUV(ctx.info.finfo))
      return;
    ctx.haveInfo = true;
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &ctx.info, buf, GST_MAP_READ)) return;
  const PictureVerdict v =
      ctx.check.look(static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(&frame, 0)),
                     GST_VIDEO_FRAME_COMP_STRIDE(&frame, 0), GST_VIDEO_FRAME_COMP_WIDTH(&frame, 0),
                     GST_VIDEO_FRAME_COMP_HEIGHT(&frame, 0));
  gst_video_frame_unmap(&frame);
  ctx.picture.frame(v, nowUs);
  w.frozen = w.expectMotion && ctx.picture.frozen();
  w.black = ctx.picture.black();
}

// The loudest channel's peak and RMS from a `level` element's message (dBFS).
void readLevel(GstMessage* msg, InputWatch& w) {
  const GstStructure* s = gst_message_get_structure(msg);
  if (!s || !gst_structure_has_name(s, "level")) return;
  auto loudest = [s](const char* field) {
    double most = -HUGE_VAL;
    const GValue* list = gst_structure_get_value(s, field);
    if (!list || !G_VALUE_HOLDS_BOXED(list)) return most;
    const auto* values = static_cast<const GValueArray*>(g_value_get_boxed(list));
    for (guint i = 0; values && i < values->n_values; ++i)
      if (G_VALUE_HOLDS_DOUBLE(&values->values[i]))
        most = std::max(most, g_value_get_double(&values->values[i]));
    return most;
  };
  w.peakDb = loudest("peak");
  w.rmsDb = loudest("rms");
}

// Every frame of the bin's current generation says it is alive; its end of stream says it is
// lost (and goes no further: the programme never sees an input end).
void watchFrames(GstElement* bin, const std::shared_ptr<LostContext>& context) {
  GstPtr<GstPad> video(gst_element_get_static_pad(bin, "video"));
  gst_pad_add_probe(
      video.get(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      [](GstPad* pad, GstPadProbeInfo* info, gpointer data) {
        auto& ctx = **static_cast<std::shared_ptr<LostContext>*>(data);
        InputWatch& w = *ctx.watch;
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
          if (ctx.generation != w.generation) return GST_PAD_PROBE_OK;
          const gint64 now = g_get_monotonic_time();
          if (w.watchPicture) lookAt(ctx, pad, GST_PAD_PROBE_INFO_BUFFER(info), now);
          w.lastFrameUs = now;
          return GST_PAD_PROBE_OK;
        }
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS)
          return GST_PAD_PROBE_OK;
        if (ctx.generation == w.generation)
          ctx.lost(w, g_get_monotonic_time(), "hết luồng (end of stream)");
        return GST_PAD_PROBE_DROP;
      },
      new std::shared_ptr<LostContext>(context),
      [](gpointer data) { delete static_cast<std::shared_ptr<LostContext>*>(data); });
  if (GstPtr<GstPad> audio(gst_element_get_static_pad(bin, "audio")); audio)
    gst_pad_add_probe(
        audio.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer) {
          return GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS
                     ? GST_PAD_PROBE_DROP
                     : GST_PAD_PROBE_OK;
        },
        nullptr, nullptr);
}

}  // namespace

LiveInputPipeline::~LiveInputPipeline() {
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

bool LiveInputPipeline::start(const SourceConfig& s, const ProgrammeFormat& f,
                              const std::string& channel, const std::shared_ptr<InputWatch>& watch,
                              Lost lost, std::string* error) {
  GstElement* bin = makeSourceBin(s, f, error);
  if (!bin) return false;
  // A file plays at its own pace; a live feed is handed on as it comes.
  const bool file = s.kind == SourceKind::Uri && s.uri.rfind("file:", 0) == 0;
  return startWith(bin, "input-" + s.id, !file, f, channel, watch, std::move(lost), error);
}

bool LiveInputPipeline::startWith(GstElement* bin, const std::string& name, bool live,
                                  const ProgrammeFormat& f, const std::string& channel,
                                  const std::shared_ptr<InputWatch>& watch, Lost lost,
                                  std::string* error) {
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(name.c_str()))));
  watch_ = watch;
  GstBin* p = GST_BIN(pipeline_.get());
  const bool file = !live;
  GstElement* rate = make("videorate");
  // After a gap (a point's feed not decoded for a while, a camera that stalled) the next frame
  // is taken as it comes, not preceded by a burst of copies of the last one.
  if (live) g_object_set(rate, "max-duplication-time", static_cast<guint64>(GST_SECOND), nullptr);
  GstElement* vcaps = capsfilter(rawVideoCaps(f, true));
  GstElement* vsink = make("intervideosink");
  // A live feed does not wait for a first frame of each kind (preroll) before it plays: a
  // point's encoder that sends no sound would hold the picture at its first frame forever.
  g_object_set(vsink, "channel", channel.c_str(), "sync", file, "qos", FALSE, "async", file,
               nullptr);
  gst_bin_add_many(p, bin, rate, vcaps, vsink, nullptr);
  GstPtr<GstPad> video(gst_element_get_static_pad(bin, "video"));
  GstPtr<GstPad> rateSink(gst_element_get_static_pad(rate, "sink"));
  bool linked = gst_pad_link(video.get(), rateSink.get()) == GST_PAD_LINK_OK &&
                gst_element_link_many(rate, vcaps, vsink, nullptr);
  if (GstPtr<GstPad> audio(gst_element_get_static_pad(bin, "audio")); audio) {
    GstElement* asink = make("interaudiosink");
    g_object_set(asink, "channel", channel.c_str(), "sync", file, "async", file, nullptr);
    gst_bin_add(p, asink);
    // With [watch], its meter for the operators: peak and RMS ten times a second, read off
    // the bus.
    GstElement* first = asink;
    if (watch->watchPicture) {
      first = make("level");
      g_object_set(first, "interval", static_cast<guint64>(100 * GST_MSECOND), "post-messages",
                   TRUE, nullptr);
      gst_bin_add(p, first);
      linked = linked && gst_element_link(first, asink);
    }
    GstPtr<GstPad> firstSink(gst_element_get_static_pad(first, "sink"));
    linked = linked && gst_pad_link(audio.get(), firstSink.get()) == GST_PAD_LINK_OK;
  }
  if (!linked) {
    *error = "cannot link " + name;
    pipeline_.reset();
    return false;
  }
  ++watch->generation;
  watch->frozen = false;
  watch->black = false;
  watch->peakDb = watch->rmsDb = -HUGE_VAL;
  auto context = std::make_shared<LostContext>(
      LostContext{std::move(lost),
                  watch,
                  watch->generation.load(),
                  {},
                  PictureWatch(watch->freezeAfterUs, watch->blackAfterUs),
                  {},
                  false});
  watchFrames(bin, context);
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(
      bus.get(),
      [](GstBus*, GstMessage* msg, gpointer data) {
        auto& ctx = **static_cast<std::shared_ptr<LostContext>*>(data);
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
          if (ctx.generation == ctx.watch->generation) readLevel(msg, *ctx.watch);
          return GST_BUS_DROP;
        }
        if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR) return GST_BUS_DROP;
        const std::string text = parseProblem(msg).error.message("unknown error");
        if (ctx.generation == ctx.watch->generation)
          ctx.lost(*ctx.watch, g_get_monotonic_time(), text);
        return GST_BUS_DROP;
      },
      new std::shared_ptr<LostContext>(context),
      [](gpointer data) { delete static_cast<std::shared_ptr<LostContext>*>(data); });
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    *error = name + " cannot start";
    return false;  // its bus has said why; the pipeline is dropped at the next rebuild
  }
  return true;
}

GstPtr<GstElement> LiveInputPipeline::release() {
  if (watch_ && pipeline_) ++watch_->generation;  // whatever it still says is about the past
  return std::move(pipeline_);
}

}  // namespace ceremony::media
