#pragma once
// What the bridge reads in a WHEP offer and writes in its answer, as plain text: no
// GStreamer, so the API's checks, the unit tests and the fuzz target use it as it is.

#include <cstddef>
#include <optional>
#include <string>

namespace ceremony::media {

// The payload types a WHEP offer wants for what the bridge sends: H.264 (packetization-mode
// 1, of a profile that decodes `profile`) and Opus. Pure text work, for the API's checks
// and the fuzz target. nullopt with a sentence when the offer cannot be served.
struct OfferChoice {
  int videoPt = -1;
  int audioPt = -1;                            // -1: the offer has no audio (video only)
  std::size_t videoIndex = 0, audioIndex = 0;  // m-line indexes
};
std::optional<OfferChoice> chooseFromOffer(const std::string& sdp, const std::string& profile,
                                           std::string* error);

// The SDP with only the ICE candidates on `address` ("" keeps them all): what a point is told
// to reach when the province's machine has several interfaces (a LAN, a VPN, a docker bridge)
// and only one is reachable from the communes.
std::string keepCandidatesOn(const std::string& sdp, const std::string& address);

// The SDP with `b=AS:<kbps>` in its video section (after its c= line, replacing any b=AS
// there): the most the peer may send, as an answer tells a sender (RFC 4566 §5.8).
std::string withVideoBitrate(const std::string& sdp, int kbps);

}  // namespace ceremony::media
