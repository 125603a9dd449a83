#pragma once
// The video bridge's receiving half over SRT: a point's hardware encoder (a commune hall's
// box, OBS) calls the bridge's publish port and sends its camera and microphone as MPEG-TS
// (H.264 + AAC or Opus), the way such encoders publish to any SRT server:
//
//   srt://province.example:9001?streamid=#!::r=nghia-hanh,m=publish&passphrase=<the token>
//
// The stream id names the point (SRT's access-control syntax) and the point's token is the
// connection's passphrase: libsrt's listen callback looks the point up before the handshake
// completes and sets that point's passphrase on the new socket, so a wrong token fails the
// handshake itself (the encoder hears "bad secret"); an unknown point, another mode than
// publish or no stream id are refused there too. Nothing refused reaches a pipeline.
//
//   SrtPublishListener: one libsrt listening socket and one epoll thread for every caller
//        (gst's srtsrc serves one caller; here many points publish on the one port)
//   SrtReturnFeed: one accepted caller, made a live input like a WHIP session:
//        [return-<point>] appsrc (the datagrams) ─► tsdemux ─► h264parse ─► FeedPicture ─┐
//                                                            ─► (the sound) ─► FeedPicture ─┤
//        LiveInputPipeline::startWith: the tail every live input has ─► inter sinks ◄───────┘
//        FeedPicture: the gate before each decoder and a mosaic tile's branch, as a WHIP
//        feed's; an SRT sender cannot be asked for a keyframe, so a feed its `point` source
//        shows is always decoded (the others from their next keyframe once something shows
//        them).
//
// Threads: the epoll thread accepts and reads; what the io_context must hear is posted to it
// (Listener and ReturnFeed::Listener calls come on the io_context only).

#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "pipelines/bridge/ReturnFeed.h"

namespace ceremony::media {

// SRT's access-control stream id, "#!::r=nghia-hanh,m=publish" (keys in any order; r the
// resource, here the point; m the mode; u a user name, kept for the operators). nullopt
// when it is not that syntax (no "#!::", a pair without '=', an empty key, a key twice, longer
// than SRT's 512 bytes).
struct SrtStreamId {
  std::string resource;  // r
  std::string mode;      // m ("" when absent: SRT's default is request)
  std::string user;      // u
};
std::optional<SrtStreamId> parseSrtStreamId(std::string_view id);

// Who may publish: the point a stream id names, if it names one and asks to publish;
// otherwise the SRT rejection code (SRT_REJX_*) and a sentence for the log.
struct SrtPublishDecision {
  std::string pointId;  // empty: refused
  int rejectCode = 0;
  std::string why;
};
SrtPublishDecision decideSrtPublish(std::string_view streamId);

// A point's return feed, whatever carries it (WHIP or SRT publish): what the ceremony keeps
// of each, one per point.
class ReturnFeedHandle {
 public:
  virtual ~ReturnFeedHandle() = default;
  virtual const std::string& pointId() const = 0;
  virtual const std::string& sessionId() const = 0;
  virtual void stop(const std::string& reason) = 0;
  virtual void poll() = 0;
  virtual const char* transport() const = 0;  // "webrtc" or "srt"
  // Decoded only while something shows it, and on a mosaic tile (FeedPicture).
  virtual void setDecoding(bool) {}
  virtual bool decoding() const { return true; }
  virtual void showOnTile(const std::optional<TileTarget>&) {}
  virtual std::optional<TileTarget> tile() const { return std::nullopt; }
};

// A WHIP session (ReturnFeed) as a handle.
std::shared_ptr<ReturnFeedHandle> returnHandle(std::shared_ptr<ReturnFeed> feed);

class SrtConnection;  // one accepted socket (SrtPublish.cpp)

// What the listener accepted, given to the io_context: the caller's socket (closed when the
// last copy goes), the point and the caller's address.
struct SrtPublisher {
  std::shared_ptr<SrtConnection> connection;
  std::string pointId;
  std::string peer;  // "127.0.0.1:50312"
};

class SrtPublishListener {
 public:
  // io_context thread.
  struct Listener {
    virtual ~Listener() = default;
    // A point's encoder is connected (its passphrase was right): make it a feed, or drop it.
    virtual void onSrtPublisher(SrtPublisher publisher) = 0;
  };

  SrtPublishListener(boost::asio::io_context& io, Listener& listener);
  ~SrtPublishListener();
  SrtPublishListener(const SrtPublishListener&) = delete;
  SrtPublishListener& operator=(const SrtPublishListener&) = delete;

  // Listens on host:port (UDP) with the given SRT latency. False + a sentence.
  bool start(const std::string& host, std::uint16_t port, int latencyMs, std::string* error);
  void stop();
  // Who may publish: point id → token, the passphrase (replaced whole, e.g. after a reload).
  void setTokens(std::map<std::string, std::string> tokens);

  struct Shared;  // what the epoll thread, the listen callback and connections share

 private:
  void run();

  boost::asio::io_context& io_;
  Listener& listener_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // io_context: false once stopped
};

struct SrtReturnFeedStart {
  std::string pointId;
  std::string sessionId;
  SrtPublisher publisher;
  ProgrammeFormat format;
  LiveTarget target;
  bool decode = true;          // false: received (statistics), not decoded (nothing shows it yet)
  bool shownBySource = false;  // a `point` source shows it: always decoded (see setDecoding)
  std::string name;            // the commune's name, written on its mosaic tile
};

class SrtReturnFeed final : public ReturnFeedHandle,
                            public std::enable_shared_from_this<SrtReturnFeed> {
 public:
  SrtReturnFeed(boost::asio::io_context& io, ReturnFeed::Listener& listener,
                SrtReturnFeedStart start);
  ~SrtReturnFeed() override;
  SrtReturnFeed(const SrtReturnFeed&) = delete;
  SrtReturnFeed& operator=(const SrtReturnFeed&) = delete;

  // Builds the pipeline and starts reading the caller's socket. False + a sentence.
  bool start(std::string* error);
  void stop(const std::string& reason) override;
  // Once a second: libsrt's statistics of the connection, through the listener.
  void poll() override;
  const std::string& pointId() const override { return start_.pointId; }
  const std::string& sessionId() const override { return start_.sessionId; }
  const char* transport() const override { return "srt"; }
  void setDecoding(bool on) override;
  bool decoding() const override;
  void showOnTile(const std::optional<TileTarget>& tile) override;
  std::optional<TileTarget> tile() const override;

  // The epoll thread: one datagram of MPEG-TS; the connection's end.
  void push(const char* data, std::size_t size);
  void ended(const std::string& reason);

 private:
  boost::asio::io_context& io_;
  ReturnFeed::Listener& listener_;
  SrtReturnFeedStart start_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  LiveInputPipeline pipeline_;
  std::mutex inMutex_;                    // only in_ (the epoll thread pushes, stop clears)
  GstElement* in_ = nullptr;              // appsrc, owned by the pipeline
  std::shared_ptr<FeedPicture> picture_;  // the gate, the decoders, the tile's branch
  std::atomic<bool> stopped_{false};
  std::atomic<bool> endedOnce_{false};
  std::uint64_t datagrams_ = 0;  // epoll thread
};

}  // namespace ceremony::media
