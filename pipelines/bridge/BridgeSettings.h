#pragma once
// What the video bridge is told ([bridge] in the configuration) and what it reports back
// about its relays and its viewers.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ceremony::media {

struct BridgeSettings {
  std::size_t maxViewers = 150;
  int opusBitrateKbps = 64;
  std::string h264Profile = "main";  // what the programme encodes: the offer must decode it
  // Where the same RTP goes once more, to a media server's RTP mountpoint (port 0: nowhere).
  struct Relay {
    std::string host;
    int port = 0;
  };
  Relay relayVideo, relayAudio;
  // The address the viewers are told to reach (the answer's only host candidates; "" = every
  // interface's) and the UDP ports the sessions use (0, 0 = any), for the province's firewall.
  std::string address;
  int minPort = 0, maxPort = 0;
};

// What a relay has sent (for /metrics).
struct RelayStats {
  std::string media;  // "video" or "audio"
  std::string target;
  std::uint64_t packets = 0, dropped = 0;
};

// One viewer's link as webrtcbin's statistics tell it (RTCP receiver reports).
struct ViewerStats {
  std::string sessionId;
  bool connected = false;
  bool freshReport = false;  // a receiver report arrived since the last poll
  std::optional<double> rttMs, lossPercent, jitterMs;
  std::uint64_t bytesSent = 0, packetsSent = 0;
};

}  // namespace ceremony::media
