#include "pipelines/programme/ProgramMixer.h"

#include "core/Backoff.h"
#include "pipelines/programme/Cards.h"
#include "pipelines/programme/Encoder.h"
#include "pipelines/programme/LiveInput.h"
#include "pipelines/programme/MediaBins.h"
#include "pipelines/programme/SourceBins.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

namespace ceremony::media {

using namespace bins;

const char* toString(InputState s) {
  switch (s) {
    case InputState::Running:
      return "running";
    case InputState::Stalled:
      return "stalled";
    case InputState::Retrying:
      return "retrying";
  }
  return "unknown";
}

ProgramMixer::ProgramMixer(const Config& config, boost::asio::io_context& io, Listener& listener)
    : config_(config), io_(io), listener_(listener) {}

ProgramMixer::~ProgramMixer() {
  *alive_ = false;
  stop();
  std::lock_guard lock(mutex_);
  layers_.clear();  // the mixer pads go back to the stopped mixers
}

std::shared_ptr<const ProgramMixer::FanOut> ProgramMixer::fanOut() const {
  std::lock_guard lock(fanOutMutex_);
  return fanOut_;
}

template <typename Edit>
void ProgramMixer::editFanOut(Edit edit) {
  std::lock_guard lock(fanOutMutex_);
  auto next = std::make_shared<FanOut>(*fanOut_);
  edit(*next);
  fanOut_ = std::move(next);
}

GstElement* ProgramMixer::makeSlateBin(const std::string& sceneId, const SlateConfig& slate) {
  const Card card = makeCard(config_.format, "slate-" + sceneId,
                             {config_.event.title, slate.text, slate.background, true, false});
  slateCountdownOverlays_[sceneId] = card.countdown;
  return card.bin;
}

bool ProgramMixer::addLayer(const std::string& key, GstElement* bin, bool dynamic,
                            std::string* error) {
  if (!bin) {
    *error = "cannot make " + key + " (a GStreamer plugin is missing: run `make deps`)";
    return false;
  }
  gst_bin_add(GST_BIN(pipeline_.get()), bin);
  LayerPads layer;
  layer.bin = bin;
  layer.dynamic = dynamic;
  // A layer that cannot be linked leaves nothing behind: its mixer pads go back (RequestPad)
  // and its bin leaves the pipeline.
  auto fail = [&](std::string why) {
    layer.videoPad.reset();
    layer.audioPad.reset();
    gst_element_set_state(bin, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline_.get()), bin);
    *error = std::move(why);
    return false;
  };
  GstPtr<GstPad> video(gst_element_get_static_pad(bin, "video"));
  GstPtr<GstPad> audio(gst_element_get_static_pad(bin, "audio"));
  if (!video) return fail(key + " has no picture to give the programme mixer");
  if (dynamic) {
    // Hold everything (events too) until the take sets the running-time offset: the clip
    // is opened and decoded ahead, and its first frame lands exactly at the take.
    for (GstPad* p : {video.get(), audio.get()}) {
      if (!p) continue;
      const gulong id = gst_pad_add_probe(
          p, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
          [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
      layer.blocks.emplace_back(p, id);
    }
  }
  layer.videoPad = RequestPad(compositor_, "sink_%u");
  if (!layer.videoPad) return fail("the programme mixer gave no pad for " + key);
  g_object_set(layer.videoPad.get(), "alpha", 0.0, nullptr);
  if (gst_pad_link(video.get(), layer.videoPad.get()) != GST_PAD_LINK_OK)
    return fail("cannot link " + key + " to the programme mixer");
  if (audio) {
    layer.audioPad = RequestPad(audiomixer_, "sink_%u");
    if (!layer.audioPad) return fail("the sound mixer gave no pad for " + key);
    g_object_set(layer.audioPad.get(), "volume", 0.0, nullptr);
    if (gst_pad_link(audio.get(), layer.audioPad.get()) != GST_PAD_LINK_OK)
      return fail("cannot link the sound of " + key + " to the programme mixer");
  }
  if (dynamic) {
    // A clip's end is the item's cue to hand over: report it on the io_context.
    auto alive = alive_;
    struct EndCtx {
      ProgramMixer* self;
      std::shared_ptr<bool> alive;
      std::string key;
    };
    gst_pad_add_probe(
        video.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) {
          if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS)
            return GST_PAD_PROBE_OK;
          auto* ctx = static_cast<EndCtx*>(data);
          boost::asio::post(ctx->self->io_, [self = ctx->self, alive = ctx->alive, key = ctx->key] {
            if (*alive) self->listener_.onClipEnded(key.substr(key.find(':') + 1));
          });
          return GST_PAD_PROBE_OK;
        },
        new EndCtx{this, alive, key}, [](gpointer data) { delete static_cast<EndCtx*>(data); });
  }
  {
    std::lock_guard lock(mutex_);
    layers_[key] = std::move(layer);
  }
  gst_element_sync_state_with_parent(bin);
  return true;
}

void ProgramMixer::removeLayer(const std::string& key) {
  LayerPads layer;
  {
    std::lock_guard lock(mutex_);
    auto it = layers_.find(key);
    if (it == layers_.end()) return;
    layer = std::move(it->second);
    layers_.erase(it);
  }
  // Release the mixer pads first: that flushes them and frees a clip thread blocked on a
  // full mixer queue, so the bin can then stop without a deadlock.
  for (auto& [pad, id] : layer.blocks) gst_pad_remove_probe(pad, id);
  layer.videoPad.reset();
  layer.audioPad.reset();
  gst_element_set_state(layer.bin, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(pipeline_.get()), layer.bin);
}

bool ProgramMixer::build(std::string* error) {
  const auto& f = config_.format;
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("programme"))));
  GstBin* bin = GST_BIN(pipeline_.get());

  // Video: compositor forced live, so frames keep coming whatever the inputs do.
  compositor_ = gst_element_factory_make_full("compositor", "name", "video-mixer", "force-live",
                                              TRUE, "emit-signals", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(compositor_), "background", "black");
  GstElement* mixedCaps = capsfilter(rawVideoCaps(f, true));
  lowerThird_ = make("textoverlay", "lower-third");
  g_object_set(lowerThird_, "auto-resize", FALSE, "silent", TRUE, "shaded-background", TRUE,
               "shading-value", 160, "xpad", f.width / 16, "ypad", f.height / 12, "wrap-mode", -1,
               nullptr);
  gst_util_set_object_arg(G_OBJECT(lowerThird_), "valignment", "bottom");
  gst_util_set_object_arg(G_OBJECT(lowerThird_), "halignment", "left");
  gst_util_set_object_arg(G_OBJECT(lowerThird_), "line-alignment", "left");
  // The programme as viewers see it goes to the encoder and, once a second, to a small JPEG
  // for the dashboard; that branch leaks rather than ever holding up the encoder.
  GstElement* ptee = make("tee", "programme-tee");
  GstElement* pq = make("queue", "preview-queue");
  g_object_set(pq, "leaky", 2, "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time",
               static_cast<guint64>(0), nullptr);
  GstElement* prate = make("videorate", "preview-rate");
  g_object_set(prate, "drop-only", TRUE, "max-rate", 1, nullptr);
  GstElement* pscale = make("videoscale");
  GstElement* pcaps =
      capsfilter(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, 320, "height", G_TYPE_INT,
                                     320 * f.height / std::max(1, f.width), nullptr));
  GstElement* pjpeg = make("jpegenc", "preview-jpeg");
  g_object_set(pjpeg, "quality", 70, nullptr);
  previewSink_ = make("appsink", "preview-out");
  g_object_set(previewSink_, "sync", FALSE, "async", FALSE, "max-buffers", 1, "drop", TRUE,
               nullptr);
  GstElement* vqueue = make("queue");
  g_object_set(vqueue, "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time",
               static_cast<guint64>(0), nullptr);
  const VideoEncoding encoding = makeVideoEncoding(f);
  videoEncoder_ = encoding.encoder;
  GstElement* vtee = make("tee", "video-tee");
  GstElement* vsinkq = make("queue");
  g_object_set(vsinkq, "leaky", 2, "max-size-time", static_cast<guint64>(2 * GST_SECOND),
               "max-size-buffers", 0, "max-size-bytes", 0, nullptr);
  videoSink_ = make("appsink", "video-out");

  // Audio: silence underneath, so the mixer always has a live input.
  GstElement* silence = make("audiotestsrc", "silence");
  gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
  g_object_set(silence, "is-live", TRUE, "samplesperbuffer", f.audioRate / 50, nullptr);
  GstElement* silenceCaps = capsfilter(rawAudioCaps(f));
  audiomixer_ = gst_element_factory_make_full("audiomixer", "name", "audio-mixer", "force-live",
                                              TRUE, "emit-signals", TRUE, nullptr);
  // 20 ms of sound per buffer, as every source gives (10 ms by default: twice the wake-ups
  // for the mixer, the AAC encoder and every queue after them).
  g_object_set(audiomixer_, "output-buffer-duration", static_cast<guint64>(20 * GST_MSECOND),
               nullptr);
  GstElement* mixedAudioCaps = capsfilter(rawAudioCaps(f));
  GstElement* aacEncoding = makeAudioEncoding(f);
  GstElement* atee = make("tee", "audio-tee");
  GstElement* asinkq = make("queue");
  g_object_set(asinkq, "leaky", 2, "max-size-time", static_cast<guint64>(2 * GST_SECOND),
               "max-size-buffers", 0, "max-size-bytes", 0, nullptr);
  audioSink_ = make("appsink", "audio-out");

  for (GstElement* e :
       {compositor_, lowerThird_, encoding.bin, aacEncoding, videoSink_, audioSink_}) {
    if (!e) {
      *error = "a GStreamer element is missing (run `make deps`)";
      return false;
    }
  }
  gst_bin_add_many(bin, compositor_, mixedCaps, lowerThird_, ptee, vqueue, encoding.bin, vtee,
                   vsinkq, videoSink_, nullptr);
  if (pq && prate && pscale && pjpeg && previewSink_) {
    gst_bin_add_many(bin, pq, prate, pscale, pcaps, pjpeg, previewSink_, nullptr);
    // The rate first: it drops 29 frames of 30 in the mixer's thread, so the preview's
    // queue and thread wake once a second, not 30 times.
    if (!gst_element_link_many(ptee, prate, pq, pscale, pcaps, pjpeg, previewSink_, nullptr))
      spdlog::warn("Không tạo được ảnh xem trước chương trình (preview)");
  } else {
    previewSink_ = nullptr;  // a missing element costs the preview, never the programme
  }
  gst_bin_add_many(bin, silence, silenceCaps, audiomixer_, mixedAudioCaps, aacEncoding, atee,
                   asinkq, audioSink_, nullptr);
  if (!gst_element_link_many(compositor_, mixedCaps, lowerThird_, ptee, vqueue, encoding.bin, vtee,
                             vsinkq, videoSink_, nullptr) ||
      !gst_element_link_many(silence, silenceCaps, audiomixer_, mixedAudioCaps, aacEncoding, atee,
                             asinkq, audioSink_, nullptr)) {
    *error = "cannot link the programme pipeline";
    return false;
  }

  // Encoded data → every destination, never blocking the encoder.
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = [](GstAppSink* sink, gpointer data) {
    auto* self = static_cast<ProgramMixer*>(data);
    GstMiniPtr<GstSample> sample(gst_app_sink_pull_sample(sink));
    if (!sample) return GST_FLOW_OK;
    const bool video = GST_ELEMENT(sink) == self->videoSink_;
    const auto to = self->fanOut();
    for (const auto& out : to->outputs)
      video ? out->pushVideo(sample.get()) : out->pushAudio(sample.get());
    for (const auto& sink : to->sinks)
      video ? sink->pushVideo(sample.get()) : sink->pushAudio(sample.get());
    return GST_FLOW_OK;
  };
  for (GstElement* sink : {videoSink_, audioSink_}) {
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, this, nullptr);
  }
  g_signal_connect(compositor_, "samples-selected", G_CALLBACK(onVideoSamplesSelected), this);
  g_signal_connect(audiomixer_, "samples-selected", G_CALLBACK(onAudioSamplesSelected), this);

  // Every input and slate is a layer; a scene shows some of them. A live input also gets
  // its "Mất tín hiệu" card, shown in its place while it has no picture.
  for (const auto& s : config_.sources) {
    const bool live = s.kind == SourceKind::Uri || s.kind == SourceKind::Launch;
    GstElement* sb = live ? makeInterBin(s, f, interChannel(s.id)) : makeSourceBin(s, f, error);
    if (!sb || !addLayer(sourceKey(s.id), sb, false, error)) return false;
    Input input;
    input.source = s;
    input.status.id = s.id;
    input.status.label = s.label.empty() ? s.id : s.label;
    input.status.since = std::chrono::time_point_cast<Millis>(WallClock::now());
    if (live) {
      auto w = std::make_shared<InputWatch>();
      w->id = s.id;
      w->key = sourceKey(s.id);
      w->timeoutUs = static_cast<gint64>(s.signalTimeout.count()) * 1000;
      w->lastFrameUs = g_get_monotonic_time();  // a first frame is due within the timeout
      const Card card = makeCard(f, "standin-source-" + s.id,
                                 {input.status.label, "Mất tín hiệu", kCardGrey, false, false});
      if (!addLayer(standInKey(w->key), card.bin, false, error)) return false;
      input.watch = w;
      input.status.watched = true;
      watches_.push_back(w);
    }
    inputs_.push_back(std::move(input));
  }
  for (const auto& sc : config_.scenes) {
    if (sc.kind != SceneKind::Slate) continue;
    if (!addLayer(slateKey(sc.id), makeSlateBin(sc.id, sc.slate), false, error)) return false;
  }
  // One card for whichever clip cannot play (one clip is on air at a time): the item's
  // title is set on it when its clip fails.
  const Card clipCard =
      makeCard(f, "standin-clip", {"", "Không phát được đoạn phim", kCardGrey, false, true});
  clipCardTitle_ = clipCard.liveTitle;
  if (!addLayer(standInKey(clipKey("")), clipCard.bin, false, error)) return false;
  SlateConfig preShow;
  preShow.text = "Chương trình sắp bắt đầu";
  preShow.background = "#102a54";
  if (!addLayer(slateKey(kPreShow), makeSlateBin(kPreShow, preShow), false, error)) return false;

  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(
      bus.get(),
      [](GstBus*, GstMessage* msg, gpointer data) {
        auto* self = static_cast<ProgramMixer*>(data);
        const auto type = GST_MESSAGE_TYPE(msg);
        if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_WARNING) {
          boost::asio::post(self->io_, [self, alive = self->alive_,
                                        m = GstMiniPtr<GstMessage>(gst_message_ref(msg))] {
            if (*alive) self->onBus(m.get());
          });
        }
        return GST_BUS_DROP;
      },
      this, nullptr);
  return true;
}

void ProgramMixer::onBus(GstMessage* msg) {
  const std::string where = GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
  const std::string text = parseProblem(msg).error.message("unknown");
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    // An error inside a clip is that clip's alone: its title card stands in.
    GstObject* src = GST_MESSAGE_SRC(msg);
    std::string lostKey;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [key, layer] : layers_)
        if (key.rfind("clip:", 0) == 0 && (src == GST_OBJECT(layer.bin) ||
                                           gst_object_has_as_ancestor(src, GST_OBJECT(layer.bin))))
          lostKey = key;
    }
    if (lostKey.rfind("clip:", 0) == 0) return clipFailed(lostKey.substr(5), text);
  }
  listener_.onMediaProblem(where, text);
}

// Any thread. The card is on air from the next programme frame; the io_context hears of it.
void ProgramMixer::inputLost(InputWatch& w, gint64 nowUs, const std::string& reason, bool rebuild) {
  {
    std::lock_guard lock(mutex_);
    if (!lost_.count(w.key)) {
      lost_.insert(w.key);
      w.lostAtUs = nowUs;
      videoDirty_ = audioDirty_ = true;
    } else if (!rebuild) {
      return;
    }
    // Frames still on their way from a bin that failed do not bring the input back.
    if (rebuild) ++w.generation;
  }
  boost::asio::post(io_, [this, alive = alive_, id = w.id, reason, rebuild] {
    if (*alive) onInputLost(id, reason, rebuild);
  });
}

// On the compositor's thread before each frame (mutex_ held): an input whose last frame is
// older than its timeout is lost; a lost one with a newer frame is back.
void ProgramMixer::checkInputs() {
  const gint64 nowUs = g_get_monotonic_time();
  for (auto& w : watches_) {
    const gint64 last = w->lastFrameUs;
    const bool isLost = lost_.count(w->key) > 0;
    if (!isLost && nowUs - last > w->timeoutUs) {
      lost_.insert(w->key);
      w->lostAtUs = nowUs;
      videoDirty_ = audioDirty_ = true;
      const std::string reason =
          "không có hình quá " + std::to_string(w->timeoutUs / 1000) + " ms (no frames)";
      boost::asio::post(io_, [this, alive = alive_, id = w->id, reason] {
        if (*alive) onInputLost(id, reason, false);
      });
    } else if (isLost && last > w->lostAtUs) {
      lost_.erase(w->key);
      videoDirty_ = audioDirty_ = true;
      boost::asio::post(io_, [this, alive = alive_, id = w->id] {
        if (*alive) onInputBack(id);
      });
    }
  }
}

void ProgramMixer::reportInput(Input& input, InputState state, const std::string& reason) {
  input.status.state = state;
  input.status.lastReason = reason;
  input.status.since = std::chrono::time_point_cast<Millis>(WallClock::now());
  listener_.onInputState(input.status);
}

void ProgramMixer::onInputLost(const std::string& id, const std::string& reason, bool rebuild) {
  Input* found = findInput(id);
  if (!found || !found->watch) return;
  Input& in = *found;
  if (in.status.state == InputState::Running) ++in.status.losses;
  const auto state = rebuild || in.status.state == InputState::Retrying ? InputState::Retrying
                                                                        : InputState::Stalled;
  if (in.status.state != state || in.status.lastReason != reason) reportInput(in, state, reason);
  if (in.restart) return;  // a rebuild is already due
  // Rebuilt after 1 s × 1.5ⁿ (at most 10 s); a stall that ends before then needs none.
  const auto delay = backoffDelay(Millis(1000), in.attempt, Millis(10000));
  ++in.attempt;
  in.restart = std::make_shared<boost::asio::steady_timer>(io_, delay);
  in.restart->async_wait(
      [this, alive = alive_, id, timer = in.restart](const boost::system::error_code& ec) {
        if (ec || !*alive) return;
        Input* entry = findInput(id);
        if (!entry || entry->restart != timer) return;
        entry->restart.reset();
        bool stillLost = false;
        {
          std::lock_guard lock(mutex_);
          stillLost = lost_.count(entry->watch->key) > 0;
        }
        if (stillLost) restartInput(id);
      });
}

void ProgramMixer::onInputBack(const std::string& id) {
  Input* it = findInput(id);
  if (!it) return;
  it->attempt = 0;
  if (it->restart) it->restart->cancel();
  it->restart.reset();
  reportInput(*it, InputState::Running, it->status.lastReason);
}

// A fresh pipeline for the input (its old one is stopped and dropped). The programme keeps
// its card on air until the first frame; a new pipeline that fails again gets the next,
// longer, wait. One that waits without a frame and without an error (a listener waiting
// for its caller) is left waiting: rebuilding it would refuse a caller on the way.
void ProgramMixer::restartInput(const std::string& id) {
  Input* in = findInput(id);
  if (!in || !in->watch) return;
  auto stopped = stopInputPipeline(*in);
  ++in->status.restarts;
  startWhenStopped(id, stopped, std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

// The new pipeline starts once the old one has let go of its port (an SRT or UDP listener
// binds the same one), checked every 20 ms, at most 5 s.
void ProgramMixer::startWhenStopped(const std::string& id,
                                    const std::shared_ptr<std::atomic<bool>>& stopped,
                                    std::chrono::steady_clock::time_point deadline) {
  if (stopping_) return;
  if (stopped && !*stopped && std::chrono::steady_clock::now() < deadline) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(20));
    timer->async_wait(
        [this, alive = alive_, id, stopped, deadline, timer](const boost::system::error_code& ec) {
          if (!ec && *alive) startWhenStopped(id, stopped, deadline);
        });
    return;
  }
  Input* in = findInput(id);
  if (!in) return;
  std::string error;
  if (!startInputPipeline(*in, &error)) {
    spdlog::error("Nguồn {}: không dựng lại được: {}", id, error);
    onInputLost(id, error, true);
    return;
  }
  spdlog::info("Nguồn {}: dựng lại lần {}", id, in->status.restarts);
  reportInput(*in, InputState::Retrying, in->status.lastReason);
}

ProgramMixer::Input* ProgramMixer::findInput(const std::string& id) {
  auto it = std::find_if(inputs_.begin(), inputs_.end(),
                         [&](const Input& in) { return in.status.id == id; });
  return it == inputs_.end() ? nullptr : &*it;
}

std::string ProgramMixer::interChannel(const std::string& sourceId) const {
  char self[32];
  std::snprintf(self, sizeof self, "%p", static_cast<const void*>(this));
  return std::string("ceremonyd-") + self + "-" + sourceId;
}

// A live input's own pipeline (LiveInput.h), as its watch's next generation: what it says
// of its end or its errors is a loss to rebuild from.
bool ProgramMixer::startInputPipeline(Input& in, std::string* error) {
  return in.pipeline.start(
      in.source, config_.format, interChannel(in.source.id), in.watch,
      [this](InputWatch& w, gint64 nowUs, const std::string& reason) {
        inputLost(w, nowUs, reason, true);
      },
      error);
}

// Stopped on a thread of its own: a source stuck on a dead connection can take seconds to
// stop, and the event loop never waits for that.
std::shared_ptr<std::atomic<bool>> ProgramMixer::stopInputPipeline(Input& in) {
  if (!in.pipeline.running()) return nullptr;
  reapFinished();
  auto done = std::make_shared<std::atomic<bool>>(false);
  finishing_.push_back({std::thread([pipeline = std::shared_ptr<GstElement>(
                                         in.pipeline.release().release(), GstObjectUnref{}),
                                     done] {
                          gst_element_set_state(pipeline.get(), GST_STATE_NULL);
                          *done = true;
                        }),
                        done});
  return done;
}

void ProgramMixer::reapFinished() {
  for (auto it = finishing_.begin(); it != finishing_.end();) {
    if (*it->done) {
      it->thread.join();
      it = finishing_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<InputStatus> ProgramMixer::inputs() const {
  std::vector<InputStatus> out;
  for (const auto& in : inputs_) out.push_back(in.status);
  return out;
}

// A clip that cannot play: its layer goes, a card with the item's title takes its place.
void ProgramMixer::clipFailed(const std::string& itemId, const std::string& reason) {
  const std::string key = clipKey(itemId);
  {
    std::lock_guard lock(mutex_);
    if (lost_.count(key)) return;
  }
  removeLayer(key);
  const auto title = clipTitles_.count(itemId) ? clipTitles_[itemId] : itemId;
  g_object_set(clipCardTitle_, "text", escapeMarkup(title).c_str(), "silent", FALSE, nullptr);
  {
    std::lock_guard lock(mutex_);
    lost_.insert(key);
    videoDirty_ = audioDirty_ = true;
  }
  listener_.onClipFailed(itemId, reason);
}

bool ProgramMixer::start(std::string* error) {
  if (!build(error)) return false;
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    *error = "the programme pipeline cannot start";
    return false;
  }
  // Wait (bounded) until both encoders produce: then the programme is really running.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (bool ready = false; !ready;) {
    GstPtr<GstPad> vpad(gst_element_get_static_pad(videoSink_, "sink"));
    GstPtr<GstPad> apad(gst_element_get_static_pad(audioSink_, "sink"));
    GstMiniPtr<GstCaps> vcaps(gst_pad_get_current_caps(vpad.get()));
    GstMiniPtr<GstCaps> acaps(gst_pad_get_current_caps(apad.get()));
    ready = vcaps && acaps;
    if (!ready && std::chrono::steady_clock::now() > deadline) {
      *error = "the programme's encoders produced nothing within 10 s";
      return false;
    }
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The live inputs, each in its own pipeline; a first frame is due within the timeout.
  for (auto& in : inputs_) {
    if (!in.watch) continue;
    in.watch->lastFrameUs = g_get_monotonic_time();
    std::string why;
    if (!startInputPipeline(in, &why)) inputLost(*in.watch, g_get_monotonic_time(), why, true);
  }
  GstPtr<GstClock> clock(gst_element_get_clock(pipeline_.get()));
  const GstClockTime runningNow =
      gst_clock_get_time(clock.get()) - gst_element_get_base_time(pipeline_.get());
  const auto wallNow = std::chrono::time_point_cast<Millis>(WallClock::now());
  wallAtZero_ = wallNow - Millis(runningNow / GST_MSECOND);
  // Until the first take: the pre-show card.
  SceneLayout preShow;
  preShow.video.push_back(
      Layer{slateKey(kPreShow), 0, 0, config_.format.width, config_.format.height, 1});
  {
    std::lock_guard lock(mutex_);
    videoQueue_.push_back({0, preShow});
    audioQueue_.push_back({0, preShow});
  }
  onAirLayers_ = {slateKey(kPreShow)};
  return true;
}

void ProgramMixer::stop() {
  stopping_ = true;
  std::vector<std::shared_ptr<EncodedOutput>> outs;
  editFanOut([&](FanOut& f) { outs.swap(f.outputs); });
  for (auto& o : outs) o->stop(std::chrono::milliseconds(3000));
  for (auto& in : inputs_) {
    if (in.restart) in.restart->cancel();
    stopInputPipeline(in);
  }
  for (auto& f : finishing_)
    if (f.thread.joinable()) f.thread.join();
  finishing_.clear();
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

GstClockTime ProgramMixer::runningTimeAt(WallTime at) const {
  const auto ms = (at - wallAtZero_).count();
  return ms <= 0 ? 0 : static_cast<GstClockTime>(ms) * GST_MSECOND;
}

void ProgramMixer::prepare(const std::string& itemId, const std::string& title,
                           const SceneConfig& scene) {
  if (scene.kind != SceneKind::Clip) return;
  const std::string key = clipKey(itemId);
  clipTitles_[itemId] = title;
  {
    std::lock_guard lock(mutex_);
    if (layers_.count(key) || lost_.count(key)) return;
  }
  std::string error;
  GstElement* bin = makeClipBin(itemId, scene.clip, config_.format, &error);
  if (!bin || !addLayer(key, bin, true, &error)) return clipFailed(itemId, error);
  // A file that is gone or not media fails on the bus (onBus) once it is opened.
  if (!scene.clip.isTest() && !std::filesystem::is_regular_file(scene.clip.file))
    return clipFailed(itemId, "không thấy tệp " + scene.clip.file);
  spdlog::info("Đã chuẩn bị clip cho mục «{}»", itemId);
}

void ProgramMixer::take(const std::string& itemId, const std::string& title,
                        const SceneConfig& scene, const LowerThird& lowerThird, WallTime at) {
  prepare(itemId, title, scene);  // no-op if already prepared
  const GstClockTime rt = runningTimeAt(at);
  SceneLayout layout = layoutFor(scene, itemId, config_.format);
  layout.lowerThirdMarkup = lowerThirdMarkup(lowerThird, config_.format);
  {
    std::lock_guard lock(mutex_);
    // A clip starts at the take: its timestamps are moved to the take's running time.
    auto it = layers_.find(clipKey(itemId));
    if (scene.kind == SceneKind::Clip && it != layers_.end()) {
      for (auto& [pad, id] : it->second.blocks) {
        gst_pad_set_offset(pad, static_cast<gint64>(rt));
        gst_pad_remove_probe(pad, id);
      }
      it->second.blocks.clear();
    }
    // A later take replaces anything scheduled at or after it.
    while (!videoQueue_.empty() && videoQueue_.back().runningTime >= rt) videoQueue_.pop_back();
    while (!audioQueue_.empty() && audioQueue_.back().runningTime >= rt) audioQueue_.pop_back();
    videoQueue_.push_back({rt, layout});
    audioQueue_.push_back({rt, layout});
  }
  // Clips of earlier items leave once the new scene is on air.
  std::vector<std::string> newLayers;
  for (const auto& l : layout.video) newLayers.push_back(l.key);
  for (const auto& old : onAirLayers_)
    if (old.rfind("clip:", 0) == 0 &&
        std::find(newLayers.begin(), newLayers.end(), old) == newLayers.end())
      retiring_.emplace_back(old, at + Millis(1000));
  onAirLayers_ = newLayers;
  onAirScene_ = scene.id;
}

void ProgramMixer::onVideoSamplesSelected(GstElement*, GstSegment* segment, GstClockTime pts,
                                          GstClockTime, GstClockTime, GstStructure*,
                                          gpointer data) {
  auto* self = static_cast<ProgramMixer*>(data);
  self->applyVideo(gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts));
}

void ProgramMixer::onAudioSamplesSelected(GstElement*, GstSegment* segment, GstClockTime pts,
                                          GstClockTime, GstClockTime, GstStructure*,
                                          gpointer data) {
  auto* self = static_cast<ProgramMixer*>(data);
  self->applyAudio(gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts));
}

// Runs on the compositor's thread just before it composes the frame at `rt`: the scene
// change lands on the first frame at or after its scheduled running time, and so does a
// lost input's card (or the input, back).
void ProgramMixer::applyVideo(GstClockTime rt) {
  std::lock_guard lock(mutex_);
  checkInputs();
  bool due = false;
  while (!videoQueue_.empty() && videoQueue_.front().runningTime <= rt) {
    onAirVideo_ = std::move(videoQueue_.front().layout);
    videoQueue_.pop_front();
    due = true;
  }
  if (!due && !videoDirty_) return;
  videoDirty_ = false;
  const SceneLayout shown = withStandIns(onAirVideo_, lost_);
  for (auto& [key, layer] : layers_) {
    auto it = std::find_if(shown.video.begin(), shown.video.end(),
                           [&k = key](const Layer& l) { return l.key == k; });
    if (it == shown.video.end()) {
      g_object_set(layer.videoPad.get(), "alpha", 0.0, nullptr);
    } else {
      g_object_set(layer.videoPad.get(), "alpha", 1.0, "xpos", it->x, "ypos", it->y, "width",
                   it->width, "height", it->height, "zorder", static_cast<guint>(it->zorder),
                   nullptr);
    }
  }
  if (!due) return;
  if (shown.lowerThirdMarkup.empty()) {
    g_object_set(lowerThird_, "silent", TRUE, nullptr);
  } else {
    g_object_set(lowerThird_, "text", shown.lowerThirdMarkup.c_str(), "silent", FALSE, nullptr);
  }
}

void ProgramMixer::applyAudio(GstClockTime rt) {
  std::lock_guard lock(mutex_);
  bool due = false;
  while (!audioQueue_.empty() && audioQueue_.front().runningTime <= rt) {
    onAirAudio_ = std::move(audioQueue_.front().layout);
    audioQueue_.pop_front();
    due = true;
  }
  if (!due && !audioDirty_) return;
  audioDirty_ = false;
  const SceneLayout heard = withStandIns(onAirAudio_, lost_);
  for (auto& [key, layer] : layers_) {
    if (!layer.audioPad) continue;
    const bool on = std::find(heard.audio.begin(), heard.audio.end(), key) != heard.audio.end();
    g_object_set(layer.audioPad.get(), "volume", on ? 1.0 : 0.0, nullptr);
  }
}

void ProgramMixer::setCountdown(const std::string& sceneId, WallTime target) {
  auto it = slateCountdownOverlays_.find(sceneId);
  if (it != slateCountdownOverlays_.end()) countdowns_[sceneId] = Countdown{target, it->second};
}

void ProgramMixer::tick(WallTime now) {
  for (const auto& out : fanOut()->outputs) out->poll();
  for (auto& [id, c] : countdowns_) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(c.target - now).count();
    g_object_set(c.overlay, "text", formatCountdown(left).c_str(), nullptr);
  }
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if (it->second <= now &&
        std::find(onAirLayers_.begin(), onAirLayers_.end(), it->first) == onAirLayers_.end()) {
      removeLayer(it->first);
      {
        std::lock_guard lock(mutex_);
        lost_.erase(it->first);
      }
      it = retiring_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ProgramMixer::addOutput(const OutputConfig& output, const std::string& location,
                             const std::string& safeLocation, std::string* error) {
  auto alive = alive_;
  auto token = std::make_shared<const char>('\0');
  std::weak_ptr<const char> mine = token;
  auto out = std::make_shared<EncodedOutput>(
      output, location, safeLocation,
      [this, alive, mine](const std::string& id, OutputState state, const std::string& detail) {
        boost::asio::post(io_, [this, alive, mine, id, state, detail] {
          if (!*alive) return;
          // The old pipeline of a reconnected destination says "stopped" as it is finished:
          // the destination did not stop, so nobody is told.
          if (mine.expired() && outputTokens_.count(id)) return;
          listener_.onOutputState(id, state, detail);
        });
      });
  outputTokens_[output.id] = token;  // a pipeline before it, if any, is no longer current
  if (!out->start(error)) {
    outputTokens_.erase(output.id);  // its failure report still reaches the listener
    return false;
  }
  editFanOut([&](FanOut& f) { f.outputs.push_back(std::move(out)); });
  return true;
}

std::optional<std::string> ProgramMixer::previewJpeg() {
  if (!previewSink_) return std::nullopt;
  GstMiniPtr<GstSample> sample(gst_app_sink_try_pull_sample(GST_APP_SINK(previewSink_), 0));
  if (sample) {
    if (GstBuffer* buf = gst_sample_get_buffer(sample.get())) {
      GstMapInfo map;
      if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
        preview_.assign(reinterpret_cast<const char*>(map.data), map.size);
        gst_buffer_unmap(buf, &map);
      }
    }
  }
  if (preview_.empty()) return std::nullopt;
  return preview_;
}

bool ProgramMixer::removeOutput(const std::string& outputId) {
  std::shared_ptr<EncodedOutput> out;
  editFanOut([&](FanOut& f) {
    auto it = std::find_if(f.outputs.begin(), f.outputs.end(),
                           [&](const auto& o) { return o->id() == outputId; });
    if (it == f.outputs.end()) return;
    out = *it;
    f.outputs.erase(it);
  });
  if (!out) return false;
  outputTokens_.erase(outputId);  // its last reports (stopped) still reach the listener
  reapFinished();
  auto done = std::make_shared<std::atomic<bool>>(false);
  finishing_.push_back({std::thread([out, done] {
                          out->stop(std::chrono::milliseconds(3000));
                          *done = true;
                        }),
                        done});
  return true;
}

std::vector<OutputStatus> ProgramMixer::outputs() const {
  std::vector<OutputStatus> out;
  for (const auto& o : fanOut()->outputs) out.push_back(o->status());
  return out;
}

void ProgramMixer::addSink(std::shared_ptr<EncodedSink> sink) {
  editFanOut([&](FanOut& f) { f.sinks.push_back(std::move(sink)); });
}

void ProgramMixer::requestKeyframe() {
  const gint64 now = g_get_monotonic_time();
  gint64 last = lastKeyframeRequestUs_;
  if (now - last < 500000 || !lastKeyframeRequestUs_.compare_exchange_strong(last, now)) return;
  if (!videoEncoder_) return;
  GstPtr<GstPad> pad(gst_element_get_static_pad(videoEncoder_, "src"));
  if (pad)
    gst_pad_send_event(pad.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstPtr<GstClock> ProgramMixer::clock() const {
  if (!pipeline_) return nullptr;
  return GstPtr<GstClock>(gst_pipeline_get_pipeline_clock(GST_PIPELINE(pipeline_.get())));
}

GstClockTime ProgramMixer::baseTime() const {
  return pipeline_ ? gst_element_get_base_time(pipeline_.get()) : 0;
}

}  // namespace ceremony::media
