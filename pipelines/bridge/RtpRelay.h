#pragma once
// The programme's RTP, as the bridge packetises it for its own viewers, sent once more as
// plain RTP over UDP to a media server that fans it out further (Janus's streaming plugin, an
// "rtp" mountpoint): for an event whose viewers outnumber what one machine's uplink carries.
//
//   RtpRelay relay;
//   if (!relay.open("10.0.0.5", 5004, &error)) ...;   // on the io thread, at start
//   relay.send(rtpBuffer);                           // on a streaming thread; never blocks
//
// A send the socket cannot take at once is dropped and counted, never waited for: the relay
// is one more viewer, and no viewer holds up the programme.

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "pipelines/GstPtr.h"

namespace ceremony::media {

class RtpRelay {
 public:
  RtpRelay() = default;
  RtpRelay(const RtpRelay&) = delete;
  RtpRelay& operator=(const RtpRelay&) = delete;

  // `host` is an IP address or a name resolved now, once. False with a sentence on failure.
  bool open(const std::string& host, int port, std::string* error);
  bool isOpen() const { return socket_ != nullptr; }
  void send(GstBuffer* rtp);

  std::uint64_t packets() const { return packets_; }
  std::uint64_t dropped() const { return dropped_; }
  const std::string& target() const { return target_; }

 private:
  GObjectPtr<GSocket> socket_;
  GObjectPtr<GSocketAddress> address_;
  std::string target_;
  std::atomic<std::uint64_t> packets_{0}, dropped_{0};
};

}  // namespace ceremony::media
