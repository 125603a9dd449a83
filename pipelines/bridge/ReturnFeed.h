#pragma once
// The video bridge's receiving half: a connection point's camera and microphone, sent back
// to the province over WHIP (a browser's getUserMedia, OBS, or any WHIP client with the
// point's token), made a live input of the programme.
//
//   [return-<point> pipeline]  webrtcbin (receive only: H.264 and Opus, as the offer has them)
//     ─► rtph264depay ─► ⊘ ─► decodebin ─► normaliser ─► tee ─┐ LiveInputPipeline::startWith:
//     ─► ⊘ ─► decodebin ─► audio normaliser ──────────────────┤ the tail every live input has
//                                                             │ (videorate, level, the frame and
//                                                             │ picture watch) ─► inter sinks
//                                    tee ─► scale ─► name ─► intervideosink (a mosaic's tile)
//   [programme]  the point's `point` source: an inter bin on the same channel, a layer with its
//                card («Xã Nghĩa Hành — chưa có tín hiệu») while no frame comes; a mosaic's
//                tile layers read the tiles' channels.
//
// ⊘ is the gate and the tee's branch a mosaic tile's (FeedPicture, shared with the SRT feeds):
// a feed is decoded only while something shows it; opening the gate asks the point for a
// keyframe (RTCP PLI) and lets the picture through from that keyframe on.
//
// One feed per point: a new offer from the same point replaces the session before it (a
// commune reloading its page). Each feed is a pipeline of its own, so a point that sends
// garbage, stalls or leaves touches nothing but its own layer, which shows its card.
//
// Threads: start/stop run on the io_context; webrtcbin's signals and promises come on its
// threads and are posted back (guarded by a weak reference to the feed).

#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/Config.h"
#include "pipelines/GstPtr.h"
#include "pipelines/bridge/BridgeOffer.h"
#include "pipelines/bridge/FeedPicture.h"
#include "pipelines/inputs/LiveInput.h"

namespace ceremony::media {

struct ReturnFeedStart {
  std::string pointId;
  std::string sessionId;
  std::string offerSdp;
  std::string address;  // [bridge] address: the only candidates the answer names ("": all)
  int minPort = 0, maxPort = 0;
  int maxKbps = 1500;  // the most the point may send (b=AS in the answer)
  ProgrammeFormat format;
  LiveTarget target;  // where its frames go (the programme's `point` source, or nowhere)
  // Whether it is decoded from the start (something shows it now); see setDecoding.
  bool decode = true;
  std::string name;  // the commune's name, written on its mosaic tile
};

// What a feed has received (webrtcbin's inbound statistics), for the operators.
struct ReturnFeedStats {
  std::uint64_t bytesReceived = 0;
  std::uint64_t packetsLost = 0;
  std::optional<double> jitterMs;
};

class ReturnFeed : public std::enable_shared_from_this<ReturnFeed> {
 public:
  // io_context thread: HTTP status and body (the SDP answer, or a sentence).
  using Answer = std::function<void(int status, std::string body)>;
  // io_context thread: the session connected / ended on its own (ICE failed, the peer
  // closed, a media error), with a reason.
  struct Listener {
    virtual ~Listener() = default;
    virtual void onReturnConnected(const std::string& pointId, const std::string& sessionId) = 0;
    virtual void onReturnEnded(const std::string& pointId, const std::string& sessionId,
                               const std::string& reason) = 0;
    virtual void onReturnStats(const std::string& pointId, const std::string& sessionId,
                               const ReturnFeedStats& stats) = 0;
  };

  ReturnFeed(boost::asio::io_context& io, Listener& listener, ReturnFeedStart start);
  ~ReturnFeed();
  ReturnFeed(const ReturnFeed&) = delete;
  ReturnFeed& operator=(const ReturnFeed&) = delete;

  // Builds the pipeline and answers the offer later through `answer` (201 and the SDP once
  // the ICE candidates are gathered, within about 2 s). False with an HTTP status and a
  // sentence when the offer cannot be served; `answer` is then never called.
  bool start(Answer answer, int* status, std::string* error);
  // Ends the session: the pipeline stops and the programme's layer shows its card from the
  // next frame (`reason` goes to the input's state).
  void stop(const std::string& reason);
  // Once a second: asks webrtcbin for its statistics (reported through the listener).
  void poll();
  // Decodes the feed from now on (asking the point for a keyframe), or stops decoding it
  // (its packets are still received and counted). The input's watch is idle while not.
  void setDecoding(bool on);
  bool decoding() const;
  // Its picture on a mosaic tile as well (scaled, the commune's name on it), or on none.
  void showOnTile(const std::optional<TileTarget>& tile);
  std::optional<TileTarget> tile() const;

  const std::string& pointId() const { return start_.pointId; }
  const std::string& sessionId() const { return start_.sessionId; }
  bool connected() const { return connected_; }

  struct Signals;  // webrtcbin's callbacks (ReturnFeed.cpp)

 private:
  void answerWhenReady(std::chrono::steady_clock::time_point until);
  void sendAnswer(int status, std::string body);

  boost::asio::io_context& io_;
  Listener& listener_;
  ReturnFeedStart start_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  LiveInputPipeline pipeline_;
  GstElement* webrtc_ = nullptr;  // owned by the pipeline
  OfferChoice choice_;
  GstMiniPtr<GstCaps> videoCaps_, audioCaps_;  // what each transceiver receives (the offer's)
  Answer answer_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> connected_{false};
  // Set on the io_context before the pipeline stops: webrtcbin's callbacks still running
  // during the stop (a promise it interrupts) then leave webrtcbin alone.
  std::atomic<bool> stopped_{false};
  std::shared_ptr<boost::asio::steady_timer> deadline_;
  std::shared_ptr<FeedPicture> picture_;  // the gate, the decoders, the tile's branch
};

}  // namespace ceremony::media
