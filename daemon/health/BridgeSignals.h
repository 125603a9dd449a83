#pragma once
// What the video bridge knows of each connection point's viewing sessions: the media side
// (pipelines/bridge/) reports every session's state and its viewer's RTCP receiver reports
// once a second, and the `bridge` probe kind judges a point from it. A point that watches the
// ceremony over the bridge proves its link better than any ping: its own browser says how
// many packets it lost and how long they took.
//
// Lives on the io_context thread like the rest of health.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/Clock.h"

namespace ceremony::health {

struct BridgeSession {
  std::string id;                      // "w3"
  std::string pointId;                 // "nghia-hanh"
  std::string transport;               // "webrtc"
  std::string peer;                    // the viewer's address as the API saw it
  bool connected = false;              // ICE and DTLS are up
  WallTime since{};                    // session opened
  std::optional<WallTime> lastReport;  // the viewer's latest RTCP receiver report
  std::optional<double> rttMs;         // round-trip time from the latest report
  std::optional<double> lossPercent;   // fraction lost in the latest report, in %
  std::optional<double> jitterMs;
  std::uint64_t bytesSent = 0;
  std::uint64_t packetsSent = 0;
  double kbps = 0;  // sent over the last report interval

  // The bytes sent so far, as the statistics say: the rate since the last call.
  void sent(std::uint64_t totalBytes) {
    if (bytesSent > 0 && totalBytes >= bytesSent)
      kbps = static_cast<double>(totalBytes - bytesSent) * 8.0 / 1000.0;
    bytesSent = totalBytes;
  }
};

// Thresholds a bridge session is judged by (daemon/health/README.md).
struct BridgeThresholds {
  Millis connectTimeout{5000};  // still connecting (ICE, DTLS) after this long: failed
  // No RTCP from the viewer for this long: it is gone. Browsers send some every second, but
  // a receiver that keeps to RFC 3550 (GStreamer's webrtcbin, hardware decoders) sends its
  // reports 5 s apart on average, randomised to anywhere from about 2 to 6.2 s.
  Millis reportTimeout{8000};
  double degradedLossPercent = 5.0;
  Millis degradedRtt{400};
};

class BridgeSignals {
 public:
  explicit BridgeSignals(const Clock& clock) : clock_(clock) {}

  // Starts watching `pointId`: the grace period (no session yet) counts from here.
  void expect(const std::string& pointId);
  void update(const BridgeSession& session);
  void remove(const std::string& sessionId);
  // The session, to change in place; null if there is none.
  BridgeSession* find(const std::string& sessionId);

  // The point's session with the freshest receiver report (a connected one first).
  std::optional<BridgeSession> best(const std::string& pointId) const;
  std::vector<BridgeSession> sessions() const;
  std::size_t viewers() const { return sessions_.size(); }
  std::optional<WallTime> expectedSince(const std::string& pointId) const;
  const Clock& clock() const { return clock_; }

 private:
  const Clock& clock_;
  std::map<std::string, WallTime> expected_;
  std::map<std::string, BridgeSession> sessions_;  // by session id
};

// The verdict on one point from its best session: empty when it is fine, else a sentence
// ("no bridge session", "no receiver report for 6 s"); `degraded` says the link is poor.
struct BridgeVerdict {
  bool judged = true;  // false: still within the grace period with no session yet
  bool ok = false;
  bool degraded = false;
  std::string reason;
  Millis latency{0};
};
BridgeVerdict judgeBridge(const BridgeSignals& signals, const std::string& pointId, Millis grace,
                          const BridgeThresholds& thresholds);

}  // namespace ceremony::health
