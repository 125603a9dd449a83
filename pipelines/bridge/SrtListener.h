#pragma once
// The video bridge for hardware decoders and VLC: one SRT listener that many points call at
// once, each receiving the programme's own encode (H.264 + AAC) in MPEG-TS. A caller says who
// it is in its stream id, in SRT's access-control syntax, and is refused unless the token is
// that point's:
//
//   srt://province.example:9000?streamid=#!::u=nghia-hanh,s=<the point's token>
//
// Its own pipeline, fed through appsrc like a destination: a caller that stalls or a listener
// that fails never touches the programme or the WebRTC viewers.

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/GstPtr.h"
#include "pipelines/outputs/EncodedSink.h"

namespace ceremony::media {

struct SrtCallerStats {
  std::string sessionId;  // "s1", "s2", …
  std::string pointId;
  std::string peer;  // "127.0.0.1"
  std::optional<double> rttMs;
  std::optional<double> lossPercent;  // retransmitted or dropped among sent, since the last poll
  std::uint64_t bytesSent = 0;
};

class SrtListener final : public EncodedSink {
 public:
  // Called on the io_context thread.
  struct Listener {
    virtual ~Listener() = default;
    virtual void onCallerJoined(const std::string& sessionId, const std::string& pointId,
                                const std::string& peer) = 0;
    virtual void onCallerLeft(const std::string& sessionId) = 0;
    virtual void onCallerStats(const SrtCallerStats& stats) = 0;
  };

  SrtListener(boost::asio::io_context& io, Listener& listener);
  ~SrtListener() override;
  SrtListener(const SrtListener&) = delete;
  SrtListener& operator=(const SrtListener&) = delete;

  // Listens on host:port with the given SRT latency. False + a sentence.
  bool start(const std::string& host, std::uint16_t port, int latencyMs, std::string* error);
  void stop();
  // Who may call: point id → token (replaced whole, e.g. after a reload).
  void setTokens(std::map<std::string, std::string> tokens);

  void pushVideo(GstSample* sample) override;
  void pushAudio(GstSample* sample) override;

  // Once a second, on the io_context: every caller's statistics through the listener.
  void poll();
  std::size_t callers() const;

  // "#!::u=nghia-hanh,s=TOKEN" (keys in any order, r= also names the point) → point, token.
  static std::optional<std::pair<std::string, std::string>> parseStreamId(const std::string& id);

 private:
  static gboolean onConnecting(GstElement*, GSocketAddress* addr, const gchar* streamid,
                               gpointer self);
  static void onAdded(GstElement*, gint socket, GSocketAddress* addr, gpointer self);
  static void onRemoved(GstElement*, gint socket, GSocketAddress* addr, gpointer self);

  boost::asio::io_context& io_;
  Listener& listener_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  GstPtr<GstElement> pipeline_;
  GstElement* videoIn_ = nullptr;  // owned by pipeline_
  GstElement* audioIn_ = nullptr;
  GstElement* sink_ = nullptr;
  std::atomic<bool> sawKeyframe_{false};
  // SRT's threads: who may call, and which point each admitted address is.
  mutable std::mutex admissionMutex_;  // only tokens_ and admitted_
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::string> admitted_;  // "ip:port" → point id
  // io_context only: "ip:port" → caller.
  struct Caller {
    std::string sessionId, pointId, peer;
    std::uint64_t lastSent = 0, lastLost = 0;
  };
  std::map<std::string, Caller> callers_;
  std::uint64_t nextId_ = 1;
};

}  // namespace ceremony::media
