#include "pipelines/bridge/WebRtcBridge.h"

#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "pipelines/bridge/RtpPayload.h"
#include "pipelines/bridge/WebRtcViewer.h"

namespace ceremony::media {

namespace asio = boost::asio;

WebRtcBridge::WebRtcBridge(BridgeSettings settings, asio::io_context& io, Listener& listener,
                           KeyframeRequest keyframe)
    : settings_(std::move(settings)),
      io_(io),
      listener_(listener),
      keyframe_(std::move(keyframe)) {}

WebRtcBridge::~WebRtcBridge() {
  stop();
}

bool WebRtcBridge::start(GstClock* clock, GstClockTime baseTime, std::string* error) {
  if (clock) clock_.reset(GST_CLOCK(gst_object_ref(clock)));
  baseTime_ = baseTime;
  fanOut_.start();
  return packetiser_.start(settings_, error);
}

void WebRtcBridge::stop() {
  std::vector<std::string> ids;
  for (const auto& [id, v] : viewers_) ids.push_back(id);
  for (const auto& id : ids) removeViewer(id, "bridge stopped");
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  packetiser_.stop();
  fanOut_.stop();
}

void WebRtcBridge::pushVideo(GstSample* sample) {
  packetiser_.pushVideo(sample);
}

void WebRtcBridge::pushAudio(GstSample* sample) {
  packetiser_.pushAudio(sample);
}

std::vector<RelayStats> WebRtcBridge::relays() const {
  return packetiser_.relays();
}

void WebRtcBridge::publish() {
  std::vector<std::shared_ptr<Viewer>> next;
  next.reserve(viewers_.size());
  for (const auto& [id, v] : viewers_) next.push_back(v);
  list_.replace(std::move(next));
}

void WebRtcBridge::deliver(unsigned worker, bridge::RtpStream stream, GstBuffer* rtp,
                           GstClockTime runningTime) {
  const auto viewers = list_.snapshot();
  const bool video = stream == bridge::RtpStream::Video;
  const bool pointsMix = stream == bridge::RtpStream::PointsAudio;
  for (const auto& v : *viewers) {
    if (v->worker != worker || !v->open || !v->sending) continue;
    if (video) {
      v->send(true, bridge::forViewer(rtp, runningTime, v->choice.videoPt).release());
      continue;
    }
    // Each viewer hears one of the two sounds, numbered as its own.
    if (v->hearsPointsMix != pointsMix) continue;
    auto packet = bridge::forViewer(rtp, runningTime, v->choice.audioPt, v->audioSeq++);
    v->send(false, packet.release());
  }
}

void WebRtcBridge::hearPointsMix(const std::string& sessionId, bool on) {
  if (auto it = viewers_.find(sessionId); it != viewers_.end()) it->second->hearsPointsMix = on;
}

void WebRtcBridge::pushPointsAudio(GstSample* sample) {
  packetiser_.pushPointsAudio(sample);
}

std::optional<std::string> WebRtcBridge::addViewer(const std::string& offerSdp, Answer answer,
                                                   int* status, std::string* error) {
  if (!packetiser_.running()) {
    *status = 503;
    *error = "the video bridge is not running";
    return std::nullopt;
  }
  if (viewers_.size() >= settings_.maxViewers) {
    *status = 503;
    *error = "the bridge already serves its " + std::to_string(settings_.maxViewers) +
             " viewers ([bridge] max_viewers); try again later";
    return std::nullopt;
  }
  auto choice = chooseFromOffer(offerSdp, settings_.h264Profile, error);
  if (!choice) {
    *status = 400;
    return std::nullopt;
  }
  bridge::SdpMessagePtr sdp = bridge::parseSdp(offerSdp);
  if (!sdp) {
    *status = 400;
    *error = "the SDP offer cannot be parsed";
    return std::nullopt;
  }
  bridge::RtpPacketiser::Caps caps = packetiser_.capsFor(choice->videoPt, choice->audioPt);
  if (!caps.video) {
    *status = 503;
    *error = "the programme has not produced its first picture yet; try again in a moment";
    return std::nullopt;
  }
  GstMiniPtr<GstCaps> videoWanted =
      bridge::offerCaps(sdp.get(), choice->videoIndex, choice->videoPt);
  GstMiniPtr<GstCaps> audioWanted =
      caps.audio ? bridge::offerCaps(sdp.get(), choice->audioIndex, choice->audioPt) : nullptr;
  // The encode is labelled with the profile-level-id the offer chose (chooseFromOffer matched
  // the profile already: main and high decode whatever a browser offers): webrtcbin pairs
  // the offer's m-line with our stream only if their caps intersect, and the encoder's own
  // 4d401f does not intersect a browser's 4d001f.
  if (videoWanted && gst_caps_get_size(videoWanted.get()) > 0) {
    if (const gchar* level = gst_structure_get_string(gst_caps_get_structure(videoWanted.get(), 0),
                                                      "profile-level-id"))
      gst_caps_set_simple(caps.video.get(), "profile-level-id", G_TYPE_STRING, level, nullptr);
  }
  // What webrtcbin could not pair it would still start, and then abort the whole process
  // (gstwebrtcbin.c asserts a sending transceiver has a stream): refused here instead.
  if (!videoWanted || !gst_caps_can_intersect(videoWanted.get(), caps.video.get()) ||
      (caps.audio &&
       (!audioWanted || !gst_caps_can_intersect(audioWanted.get(), caps.audio.get())))) {
    *status = 400;
    *error = "the offer's H.264 or Opus parameters do not match what the bridge sends";
    return std::nullopt;
  }

  auto v = std::make_shared<Viewer>();
  v->id = "w" + std::to_string(nextId_++);
  v->choice = *choice;
  v->io = &io_;
  v->bridge = this;
  v->alive = alive_;
  v->keyframe = keyframe_;
  v->address = settings_.address;
  // The worker with the fewest viewers sends to this one.
  std::vector<std::size_t> load(fanOut_.workers(), 0);
  for (const auto& [id, other] : viewers_) ++load[other->worker % load.size()];
  v->worker = static_cast<unsigned>(std::min_element(load.begin(), load.end()) - load.begin());
  v->answer = std::move(answer);
  bridge::ViewerStart start{std::move(sdp),    caps.video.get(),  caps.audio.get(),
                            settings_.minPort, settings_.maxPort, clock_.get(),
                            baseTime_};
  if (!bridge::startViewer(v, std::move(start), status, error)) return std::nullopt;

  // Host candidates come in milliseconds, but libnice calls gathering complete only after
  // every interface and TCP candidate (about 0.5 s). The viewer's own candidates, in its
  // offer, are enough for the checks to succeed (ours are learnt as peer-reflexive), so the
  // answer goes out once it has a host candidate, checked every 20 ms, and at 2 s whatever.
  v->deadline = std::make_shared<asio::steady_timer>(io_);
  answerWhenReady(v, Steady::now() + std::chrono::milliseconds(2000));
  viewers_[v->id] = v;
  publish();
  return v->id;
}

void WebRtcBridge::answerWhenReady(const std::shared_ptr<Viewer>& v, Steady::time_point until) {
  v->deadline->expires_after(std::chrono::milliseconds(20));
  v->deadline->async_wait(
      [this, weak = std::weak_ptr<Viewer>(v), alive = alive_, until](boost::system::error_code ec) {
        if (ec || !*alive) return;
        auto viewer = weak.lock();
        if (!viewer || viewer->answered) return;
        std::string sdpText = viewer->answerSdp();
        const bool ready = sdpText.find("a=candidate:") != std::string::npos;
        if (!ready && Steady::now() < until) return answerWhenReady(viewer, until);
        if (viewer->answered.exchange(true)) return;
        spdlog::debug("Cầu truyền hình: trả lời phiên {} sau {} ms", viewer->id,
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          Steady::now() - (until - std::chrono::milliseconds(2000)))
                          .count());
        auto a = std::move(viewer->answer);
        if (sdpText.empty()) {
          if (a) a(500, "the bridge could not produce an answer in time");
          removeViewer(viewer->id, "no answer");
          return;
        }
        if (a) a(201, std::move(sdpText));
      });
}

bool WebRtcBridge::removeViewer(const std::string& sessionId, const std::string& reason) {
  auto it = viewers_.find(sessionId);
  if (it == viewers_.end()) return false;
  std::shared_ptr<Viewer> v = std::move(it->second);
  viewers_.erase(it);
  v->open = false;
  publish();
  if (v->deadline) v->deadline->cancel();
  if (!v->answered.exchange(true))
    if (auto a = std::move(v->answer)) a(500, "the session ended before it was answered");
  v->stop();
  listener_.onViewerGone(v->id, reason);
  return true;
}

void WebRtcBridge::poll() {
  for (auto& [id, v] : viewers_)
    if (v->connected) bridge::requestStats(v);
}

}  // namespace ceremony::media
