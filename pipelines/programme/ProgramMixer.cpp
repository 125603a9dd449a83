#include "pipelines/programme/ProgramMixer.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "pipelines/programme/SourceBins.h"

namespace ceremony::media {

ProgramMixer::ProgramMixer(const Config& config, boost::asio::io_context& io, Listener& listener)
    : config_(config),
      io_(io),
      listener_(listener),
      inputs_(io, alive_, config.format, stopThreads_,
              {[this](const InputStatus& s) { listener_.onInputState(s); },
               [this](const InputWatch& w) {
                 std::lock_guard lock(onAirMutex_);
                 // A frozen picture whose frames still come is not rebuilt: it moves again
                 // or it does not. One whose frames stopped, or whose pipeline failed, is.
                 const bool flowing = g_get_monotonic_time() - w.lastFrameUs <= w.timeoutUs;
                 return lost_.count(w.key) > 0 && !(w.frozen && flowing);
               },
               [this](InputWatch& w, gint64 nowUs, const std::string& reason) {
                 inputLost(w, nowUs, reason, true);
               }}) {}

ProgramMixer::~ProgramMixer() {
  *alive_ = false;
  stop();
  std::lock_guard lock(onAirMutex_);
  layers_.clear();  // the mixer pads go back to the stopped mixers
}

GstElement* ProgramMixer::makeSlateBin(const std::string& sceneId, const SlateConfig& slate) {
  const Card card = makeCard(config_.format, "slate-" + sceneId,
                             {config_.event.title, slate.text, slate.background, true, false});
  countdowns_.addSlate(sceneId, card.countdown);
  return card.bin;
}

bool ProgramMixer::addLayer(const LayerKey& key, GstElement* bin, bool dynamic,
                            std::string* error) {
  LayerPads layer;
  // A point's voice stays out of the points' mix: the point on air hears everything else.
  const SourceConfig* source =
      key.kind == LayerKind::Source && !key.standIn ? config_.findSource(key.id) : nullptr;
  const bool point = source && source->kind == SourceKind::Point;
  if (!linkLayer(GST_BIN(pipeline_.get()), chain_, key, bin, dynamic, !point, &layer, error))
    return false;
  if (dynamic) {
    // A clip's end is the item's cue to hand over: reported on the io_context.
    GstPtr<GstPad> video(gst_element_get_static_pad(bin, "video"));
    onEndOfStream(video.get(), [this, alive = alive_, itemId = key.id] {
      boost::asio::post(io_, [this, alive, itemId] {
        if (*alive) listener_.onClipEnded(itemId);
      });
    });
  }
  {
    std::lock_guard lock(onAirMutex_);
    layers_.insert(key, std::move(layer));
  }
  gst_element_sync_state_with_parent(bin);
  return true;
}

void ProgramMixer::removeLayer(const LayerKey& key) {
  std::optional<LayerPads> layer;
  {
    std::lock_guard lock(onAirMutex_);
    layer = layers_.take(key);
  }
  if (layer) unlinkLayer(GST_BIN(pipeline_.get()), *layer);
}

bool ProgramMixer::build(std::string* error) {
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("programme"))));
  // The points' mix only when a point can be on air.
  const bool pointsMix =
      config_.bridge.enabled &&
      std::any_of(config_.sources.begin(), config_.sources.end(),
                  [](const SourceConfig& s) { return s.kind == SourceKind::Point; });
  if (!buildMixChain(GST_BIN(pipeline_.get()), config_.format, pointsMix, &chain_, error))
    return false;
  if (config_.watch.enabled) {
    sound_ = std::make_unique<ProgrammeSound>(config_.format, config_.watch);
    GstPtr<GstPad> mixed(gst_element_get_static_pad(chain_.mixedAudio, "src"));
    sound_->attach(mixed.get());
  }

  // Encoded data → every destination, never blocking the encoder.
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = [](GstAppSink* sink, gpointer data) {
    auto* self = static_cast<ProgramMixer*>(data);
    GstMiniPtr<GstSample> sample(gst_app_sink_pull_sample(sink));
    if (!sample) return GST_FLOW_OK;
    const bool video = GST_ELEMENT(sink) == self->chain_.videoSink;
    const auto to = self->fanOut_.snapshot();
    for (const auto& out : to->outputs)
      video ? out->pushVideo(sample.get()) : out->pushAudio(sample.get());
    for (const auto& sink : to->sinks)
      video ? sink->pushVideo(sample.get()) : sink->pushAudio(sample.get());
    return GST_FLOW_OK;
  };
  for (GstElement* sink : {chain_.videoSink, chain_.audioSink}) {
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, this, nullptr);
  }
  if (chain_.pointsSink) {
    GstAppSinkCallbacks points{};
    points.new_sample = [](GstAppSink* sink, gpointer data) {
      auto* self = static_cast<ProgramMixer*>(data);
      GstMiniPtr<GstSample> sample(gst_app_sink_pull_sample(sink));
      if (!sample) return GST_FLOW_OK;
      for (const auto& s : self->fanOut_.snapshot()->sinks) s->pushPointsAudio(sample.get());
      return GST_FLOW_OK;
    };
    g_object_set(chain_.pointsSink, "sync", FALSE, "async", FALSE, nullptr);
    gst_app_sink_set_callbacks(GST_APP_SINK(chain_.pointsSink), &points, this, nullptr);
  }
  g_signal_connect(chain_.compositor, "samples-selected", G_CALLBACK(onVideoSamplesSelected), this);
  g_signal_connect(chain_.audiomixer, "samples-selected", G_CALLBACK(onAudioSamplesSelected), this);

  if (!addSourceLayers(error)) return false;
  for (const auto& sc : config_.scenes) {
    if (sc.kind != SceneKind::Slate) continue;
    if (!addLayer(LayerKey::slate(sc.id), makeSlateBin(sc.id, sc.slate), false, error))
      return false;
  }
  // The mosaics' tiles: as many layers as the largest grid has tiles, shared by every mosaic.
  int tiles = 0;
  for (const auto& sc : config_.scenes)
    if (sc.kind == SceneKind::Mosaic) tiles = std::max(tiles, sc.tiles());
  for (int k = 0; k < tiles; ++k)
    if (!addLayer(LayerKey::tile(k),
                  makeTileBin("tile-" + std::to_string(k), config_.format, tileChannel(k)), false,
                  error))
      return false;
  // One card for whichever clip cannot play (one clip is on air at a time): the item's
  // title is set on it when its clip fails.
  const Card clipCard = makeCard(config_.format, "standin-clip",
                                 {"", "Không phát được đoạn phim", kCardGrey, false, true});
  clipCardTitle_ = clipCard.liveTitle;
  if (!addLayer(LayerKey::clip("").standInCard(), clipCard.bin, false, error)) return false;
  SlateConfig preShow;
  preShow.text = "Chương trình sắp bắt đầu";
  preShow.background = "#102a54";
  if (!addLayer(LayerKey::slate(kPreShow), makeSlateBin(kPreShow, preShow), false, error))
    return false;

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

// Every input is a layer; a scene shows some of them. A live input also gets its
// "Mất tín hiệu" card, shown in its place while it has no picture.
bool ProgramMixer::addSourceLayers(std::string* error) {
  const auto& f = config_.format;
  for (const auto& s : config_.sources) {
    const bool live =
        s.kind == SourceKind::Uri || s.kind == SourceKind::Launch || s.kind == SourceKind::Point;
    GstElement* sb = live ? makeInterBin(s, f, interChannel(s.id)) : makeSourceBin(s, f, error);
    if (!sb || !addLayer(LayerKey::source(s.id), sb, false, error)) return false;
    std::shared_ptr<InputWatch> watch;
    if (live) {
      watch = std::make_shared<InputWatch>();
      watch->id = s.id;
      watch->key = LayerKey::source(s.id);
      watch->timeoutUs = static_cast<gint64>(s.signalTimeout.count()) * 1000;
      watch->lastFrameUs = g_get_monotonic_time();  // a first frame is due within the timeout
      watch->watchPicture = config_.watch.enabled;
      watch->expectMotion = s.expectMotion;
      watch->freezeAfterUs = static_cast<gint64>(config_.watch.freezeAfter.count()) * 1000;
      watch->blackAfterUs = static_cast<gint64>(config_.watch.blackAfter.count()) * 1000;
      // A point that is not sending says so with the commune's name.
      const bool point = s.kind == SourceKind::Point;
      const Card card =
          makeCard(f, "standin-source-" + s.id,
                   {point             ? pointName(s)
                    : s.label.empty() ? s.id
                                      : s.label,
                    point ? "Chưa có tín hiệu" : "Mất tín hiệu", kCardGrey, false, false});
      if (!addLayer(watch->key.standInCard(), card.bin, false, error)) return false;
      watches_.push_back(watch);
    }
    inputs_.add(s, std::move(watch), interChannel(s.id));
  }
  return true;
}

void ProgramMixer::onBus(GstMessage* msg) {
  const std::string where = GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
  const std::string text = parseProblem(msg).error.message("unknown");
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    // An error inside a clip is that clip's alone: its title card stands in.
    GstObject* src = GST_MESSAGE_SRC(msg);
    std::optional<LayerKey> lostClip;
    {
      std::lock_guard lock(onAirMutex_);
      lostClip = layers_.clipHolding(src);
    }
    if (lostClip) return clipFailed(lostClip->id, text);
  }
  listener_.onMediaProblem(where, text);
}

// Any thread. The card is on air from the next programme frame; the io_context hears of it.
void ProgramMixer::inputLost(InputWatch& w, gint64 nowUs, const std::string& reason, bool rebuild) {
  {
    std::lock_guard lock(onAirMutex_);
    if (!lost_.count(w.key)) {
      lost_.insert(w.key);
      w.lostAtUs = nowUs;
      video_.dirty = audio_.dirty = true;
    } else if (!rebuild) {
      return;
    }
    // Frames still on their way from a bin that failed do not bring the input back; a
    // failed bin is not a frozen picture any more.
    if (rebuild) {
      ++w.generation;
      w.frozen = false;
    }
  }
  boost::asio::post(io_, [this, alive = alive_, id = w.id, reason, rebuild] {
    if (*alive) inputs_.onLost(id, reason, rebuild);
  });
}

// On the compositor's thread before each frame (onAirMutex_ held): an input whose last
// frame is older than its timeout is lost, one whose picture stands still is frozen; a lost
// one with a newer frame that moves is back.
void ProgramMixer::checkInputs() {
  const gint64 nowUs = g_get_monotonic_time();
  for (auto& w : watches_) {
    checkBlack(*w);
    switch (signalChange(*w, lost_.count(w->key) > 0, nowUs)) {
      case SignalChange::None:
        break;
      case SignalChange::Lost: {
        w->frozen = false;  // if it was: no frames at all now, which a rebuild may mend
        lost_.insert(w->key);
        w->lostAtUs = nowUs;
        video_.dirty = audio_.dirty = true;
        const std::string reason =
            "không có hình quá " + std::to_string(w->timeoutUs / 1000) + " ms (no frames)";
        boost::asio::post(io_, [this, alive = alive_, id = w->id, reason] {
          if (*alive) inputs_.onLost(id, reason, false);
        });
        break;
      }
      case SignalChange::Frozen: {
        lost_.insert(w->key);
        w->lostAtUs = nowUs;
        video_.dirty = audio_.dirty = true;
        const std::string reason =
            "hình đứng yên (frozen) quá " + std::to_string(w->freezeAfterUs / 1000000) + " s";
        boost::asio::post(io_, [this, alive = alive_, id = w->id, reason] {
          if (*alive) inputs_.onFrozen(id, reason);
        });
        break;
      }
      case SignalChange::Back:
        lost_.erase(w->key);
        video_.dirty = audio_.dirty = true;
        boost::asio::post(io_, [this, alive = alive_, id = w->id] {
          if (*alive) inputs_.onBack(id);
        });
        break;
    }
  }
}

// Black is said, not hidden: a fade or a dark hall may be meant.
void ProgramMixer::checkBlack(InputWatch& w) {
  const bool black = w.black;
  if (black == w.blackTold) return;
  w.blackTold = black;
  boost::asio::post(io_, [this, alive = alive_, id = w.id, black] {
    if (*alive) inputs_.onBlack(id, black);
  });
}

std::string ProgramMixer::interChannel(const std::string& sourceId) const {
  char self[32];
  std::snprintf(self, sizeof self, "%p", static_cast<const void*>(this));
  return std::string("ceremonyd-") + self + "-" + sourceId;
}

std::optional<Loudness> ProgramMixer::loudness() {
  if (!sound_) return std::nullopt;
  return sound_->read();
}

void ProgramMixer::steerGain(const Loudness& now, Millis since) {
  if (sound_) sound_->steer(now, since);
}

std::vector<InputStatus> ProgramMixer::inputs() const {
  return inputs_.inputs();
}

std::string ProgramMixer::pointName(const SourceConfig& s) const {
  if (!s.label.empty()) return s.label;
  for (const auto& p : config_.health.points)
    if (p.id == s.point) return p.name.empty() ? p.id : p.name;
  return s.point;
}

std::set<std::string> ProgramMixer::pointsOnAir() const {
  std::set<std::string> out;
  for (const auto& key : onAirLayers_)
    if (const SourceConfig* s =
            key.kind == LayerKind::Source ? config_.findSource(key.id) : nullptr;
        s && s->kind == SourceKind::Point)
      out.insert(s->point);
  return out;
}

std::optional<LiveTarget> ProgramMixer::returnTarget(const std::string& pointId) {
  for (const auto& s : config_.sources) {
    if (s.kind != SourceKind::Point || s.point != pointId) continue;
    for (const auto& w : watches_)
      if (w->id == s.id)
        return LiveTarget{interChannel(s.id), w,
                          [this](InputWatch& watch, gint64 nowUs, const std::string& reason) {
                            inputLost(watch, nowUs, reason, true);
                          }};
  }
  return std::nullopt;
}

// A clip that cannot play: its layer goes, a card with the item's title takes its place.
void ProgramMixer::clipFailed(const std::string& itemId, const std::string& reason) {
  const LayerKey key = LayerKey::clip(itemId);
  {
    std::lock_guard lock(onAirMutex_);
    if (lost_.count(key)) return;
  }
  removeLayer(key);
  const auto title = clipTitles_.count(itemId) ? clipTitles_[itemId] : itemId;
  g_object_set(clipCardTitle_, "text", escapeMarkup(title).c_str(), "silent", FALSE, nullptr);
  {
    std::lock_guard lock(onAirMutex_);
    lost_.insert(key);
    video_.dirty = audio_.dirty = true;
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
  if (!waitUntilEncoding(chain_, error)) return false;
  // The live inputs, each in its own pipeline; a first frame is due within the timeout.
  inputs_.startAll();
  GstPtr<GstClock> clock(gst_element_get_clock(pipeline_.get()));
  const GstClockTime runningNow =
      gst_clock_get_time(clock.get()) - gst_element_get_base_time(pipeline_.get());
  const auto wallNow = std::chrono::time_point_cast<Millis>(WallClock::now());
  wallAtZero_ = wallNow - Millis(runningNow / GST_MSECOND);
  // Until the first take: the pre-show card.
  SceneLayout preShow;
  preShow.video.push_back(
      Layer{LayerKey::slate(kPreShow), 0, 0, config_.format.width, config_.format.height, 1});
  {
    std::lock_guard lock(onAirMutex_);
    video_.schedule.add(0, preShow);
    audio_.schedule.add(0, preShow);
  }
  onAirLayers_ = {LayerKey::slate(kPreShow)};
  return true;
}

void ProgramMixer::stop() {
  std::vector<std::shared_ptr<EncodedOutput>> outs;
  fanOut_.edit([&](FanOut& f) { outs.swap(f.outputs); });
  for (auto& o : outs) o->stop(std::chrono::milliseconds(3000));
  inputs_.stop();
  stopThreads_.joinAll();
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

GstClockTime ProgramMixer::runningTimeAt(WallTime at) const {
  const auto ms = (at - wallAtZero_).count();
  return ms <= 0 ? 0 : static_cast<GstClockTime>(ms) * GST_MSECOND;
}

void ProgramMixer::prepare(const std::string& itemId, const std::string& title,
                           const SceneConfig& scene) {
  if (scene.kind != SceneKind::Clip) return;
  const LayerKey key = LayerKey::clip(itemId);
  clipTitles_[itemId] = title;
  {
    std::lock_guard lock(onAirMutex_);
    if (layers_.contains(key) || lost_.count(key)) return;
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
    std::lock_guard lock(onAirMutex_);
    // A clip starts at the take: its timestamps are moved to the take's running time.
    if (scene.kind == SceneKind::Clip) layers_.startAt(LayerKey::clip(itemId), rt);
    // A later take replaces anything scheduled at or after it.
    video_.schedule.add(rt, layout);
    audio_.schedule.add(rt, layout);
  }
  // Clips of earlier items leave once the new scene is on air.
  std::vector<LayerKey> newLayers;
  for (const auto& l : layout.video) newLayers.push_back(l.key);
  for (const auto& old : onAirLayers_)
    if (old.kind == LayerKind::Clip &&
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
  std::lock_guard lock(onAirMutex_);
  checkInputs();
  const auto step = video_.advance(rt);
  if (step == OnAirTrack::Step::Nothing) return;
  const SceneLayout shown = withStandIns(video_.onAir, lost_);
  layers_.showVideo(shown);
  if (step != OnAirTrack::Step::Due) return;
  if (shown.lowerThirdMarkup.empty()) {
    g_object_set(chain_.lowerThird, "silent", TRUE, nullptr);
  } else {
    g_object_set(chain_.lowerThird, "text", shown.lowerThirdMarkup.c_str(), "silent", FALSE,
                 nullptr);
  }
}

void ProgramMixer::applyAudio(GstClockTime rt) {
  std::lock_guard lock(onAirMutex_);
  if (audio_.advance(rt) != OnAirTrack::Step::Nothing)
    layers_.setVolumes(withStandIns(audio_.onAir, lost_));
}

void ProgramMixer::setCountdown(const std::string& sceneId, WallTime target) {
  countdowns_.set(sceneId, target);
}

void ProgramMixer::tick(WallTime now) {
  for (const auto& out : fanOut_.snapshot()->outputs) out->poll();
  countdowns_.tick(now);
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if (it->second <= now &&
        std::find(onAirLayers_.begin(), onAirLayers_.end(), it->first) == onAirLayers_.end()) {
      removeLayer(it->first);
      {
        std::lock_guard lock(onAirMutex_);
        lost_.erase(it->first);
      }
      it = retiring_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> ProgramMixer::previewJpeg() {
  if (!chain_.previewSink) return std::nullopt;
  pullPreview(chain_, &preview_);
  if (preview_.empty()) return std::nullopt;
  return preview_;
}

void ProgramMixer::requestKeyframe() {
  const gint64 now = g_get_monotonic_time();
  gint64 last = lastKeyframeRequestUs_;
  if (now - last < 500000 || !lastKeyframeRequestUs_.compare_exchange_strong(last, now)) return;
  if (!chain_.videoEncoder) return;
  GstPtr<GstPad> pad(gst_element_get_static_pad(chain_.videoEncoder, "src"));
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
