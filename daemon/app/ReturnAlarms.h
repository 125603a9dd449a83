#pragma once
// What the operators are told of the points' return feeds (their cameras sent back over
// WHIP), decided here without GStreamer: a feed that stops, freezes or fails while it was
// sending or is on the programme, and one that floods the province's line (its bytes far
// above the b=AS it was given, for a while), which is cut off alone.
//
//   - One alert per cause and point ("stopped", "frozen", "failed", "flood"), however many
//     sessions it takes, and one message when the point sends again ("back").
//   - "stopped": a session that was sending receives nothing for `quietFor`, or ends without
//     the point's DELETE (ICE/DTLS failed, the peer closed); "failed": its media failed
//     (garbage it cannot decode), or it ended before sending while a source shows the point.
//   - A point that ends its session itself (DELETE from its page, a replacing session) is not
//     alerted unless it was on air: nothing an operator shows or expects broke.
//   - "flood": over `floodFactor` × `capKbps` for `floodFor`; the caller cuts the session.
//   - "back": a session sends again (for a flood, after `floodFor` within the cap), or the
//     picture moves again.
// Everything runs on the daemon's io_context (Ceremony's callbacks); times are the caller's.

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ceremony {

class ReturnAlarms {
 public:
  using Time = std::chrono::steady_clock::time_point;
  struct Settings {
    int capKbps = 1500;      // [bridge] return_bitrate_kbps: the answer's b=AS
    double floodFactor = 3;  // [bridge] return_flood_factor
    std::chrono::milliseconds floodFor{5000};
    std::chrono::milliseconds quietFor{3000};
  };
  struct Alert {
    std::string pointId;
    std::string cause;   // stopped | frozen | failed | flood, or what is over when back
    bool active = true;  // false: the point sends again (the cause is over)
    std::string what;    // the sentence after «Điểm cầu <name>: »
    long kbps = 0;       // flood: what it sent
  };
  // The statistics of one session, once a second.
  struct Sample {
    std::uint64_t bytes = 0;  // received so far (webrtcbin's bytes-received)
    bool frozen = false;      // its picture stands still (only known when it is decoded)
    Time at{};
  };

  explicit ReturnAlarms(Settings settings) : settings_(settings) {}
  void setSettings(Settings settings) { settings_ = settings; }

  // A session's statistics. `*cut` says the session floods and must be ended (its end then
  // comes through ended() with `flooded`).
  std::vector<Alert> sample(const std::string& pointId, const std::string& sessionId,
                            const Sample& s, bool* cut);
  // A session is over. `byThePoint`: its DELETE or a new session of the same point;
  // `onProgramme`: a source shows the point; `onAir`: the programme shows it now; `reason`:
  // why, for the alert; `mediaFailed`: its pipeline failed (garbage, a decoder's error).
  struct End {
    bool byThePoint = false, onProgramme = false, onAir = false, mediaFailed = false,
         flooded = false;
    std::string reason;
  };
  std::vector<Alert> ended(const std::string& pointId, const std::string& sessionId,
                           const End& end);

  // The causes alerted and not over, by point (for the API and the tests).
  const std::map<std::string, std::set<std::string>>& active() const { return active_; }

 private:
  struct Session {
    std::string id;
    bool haveBytes = false;
    std::uint64_t bytes = 0;
    Time at{}, grewAt{};
    bool sending = false;         // its bytes have grown at least once
    Time overSince{};             // over the flood line since (epoch: not over)
    std::uint64_t overBytes = 0;  // its bytes then
    Time withinSince{};           // within the line since (for a flood's end)
  };
  bool raise(const std::string& pointId, const std::string& cause, std::string what,
             std::vector<Alert>& out, long kbps = 0);
  void clear(const std::string& pointId, const std::string& cause, std::vector<Alert>& out);

  Settings settings_;
  std::map<std::string, Session> sessions_;  // by point: its current session
  std::map<std::string, std::set<std::string>> active_;
};

}  // namespace ceremony
